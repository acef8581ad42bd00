"""Workflows: the work forcestat does itself, whose results the board report then counts.

- :mod:`.speedwatch`: Community Speedwatch sightings, the letter ladder, visits, referrals and
  DVLA exports.
- :mod:`.encompass`: Operation Encompass notifications to schools before the next school day.
- :mod:`.volunteers`: duty logging for special constables and volunteers.
- :mod:`.retention`: deleting personal data past its retention period.

Every record-level read of personal data is written to the ``audit_log`` (:mod:`.audit`).
"""
