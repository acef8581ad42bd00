"""forcestat: a police force's performance-board figures, computed from its records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ForcestatError, InputError
from .periods import Period, parse_period
from .schema import KINDS, RecordKind, get_kind

if TYPE_CHECKING:
    from .store import Store

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Store is imported when first used, so `forcestat --help` starts without DuckDB
    if name == "Store":
        from .store import Store

        return Store
    raise AttributeError(f"module 'forcestat' has no attribute {name!r}")


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
