"""Operation Encompass: tell a school's key adult, before the next school day starts, that a
pupil was present at a domestic abuse incident.

>>> from forcestat.workflows.encompass import load_encompass_policy
>>> load_encompass_policy(None).start.isoformat()
'09:00:00'
"""

from __future__ import annotations

from .deadline import SchoolCalendar, Term, bank_holidays, is_bank_holiday
from .notify import (
    SAFEGUARDING,
    DueList,
    EncompassPolicy,
    Notice,
    Outbox,
    SendResult,
    due,
    load_encompass_policy,
    message,
    on_schedule,
    require_safeguarding,
    send,
)

__all__ = [
    "SAFEGUARDING",
    "DueList",
    "EncompassPolicy",
    "Notice",
    "Outbox",
    "SchoolCalendar",
    "SendResult",
    "Term",
    "bank_holidays",
    "due",
    "is_bank_holiday",
    "load_encompass_policy",
    "message",
    "on_schedule",
    "require_safeguarding",
    "send",
]
