"""Community Speedwatch: sightings, the ladder of letters, visits and referrals, DVLA exports.

>>> from forcestat.workflows.speedwatch import load_policy
>>> load_policy(None).steps
('letter1', 'letter2', 'letter3', 'visit', 'referral')
"""

from __future__ import annotations

from .dvla import DVLA_COLUMNS, DvlaExport, write_dvla
from .letters import MANIFEST_COLUMNS, LetterBatch, batches, vrm_shown, write_letters
from .policy import ACTIONS, LETTERS, Policy, load_policy, normalise_vrm
from .process import ProcessResult, process, waiting
from .visits import VISIT_COLUMNS, visits

__all__ = [
    "ACTIONS",
    "DVLA_COLUMNS",
    "LETTERS",
    "MANIFEST_COLUMNS",
    "VISIT_COLUMNS",
    "DvlaExport",
    "LetterBatch",
    "Policy",
    "ProcessResult",
    "batches",
    "load_policy",
    "normalise_vrm",
    "process",
    "visits",
    "vrm_shown",
    "waiting",
    "write_dvla",
    "write_letters",
]
