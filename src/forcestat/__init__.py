"""forcestat: a police force's performance-board figures, computed from its records."""

from __future__ import annotations

from .errors import ForcestatError, InputError
from .periods import Period, parse_period
from .schema import KINDS, RecordKind, get_kind
from .store import Store

__version__ = "0.1.0"

__all__ = [
    "KINDS",
    "ForcestatError",
    "InputError",
    "Period",
    "RecordKind",
    "Store",
    "__version__",
    "get_kind",
    "parse_period",
]
