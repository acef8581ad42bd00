"""Parameter checks and shared parameter objects for the demand model.

Every public entry point of :mod:`forcestat.demand` validates its inputs here, so a bad
value (a negative rate, a target above 100%, no agents while calls arrive) fails early with
a :class:`~forcestat.errors.ParameterError` that names the parameter; the CLI turns it into
exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError

FloatArray = npt.NDArray[np.float64]


def as_array(name: str, value: Any) -> FloatArray:
    """``value`` as a 1-D float array; a ParameterError naming ``name`` if it is not numeric."""
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} must be a number or a list of numbers (got {value!r})"
        ) from None
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be a number or a 1-D list of numbers")
    if np.isnan(arr).any():
        raise ParameterError(f"{name} must not contain missing values (NaN)")
    return arr


def check_non_negative(name: str, value: Any) -> FloatArray:
    """Rates, counts and loads: finite and >= 0."""
    arr = as_array(name, value)
    bad = arr[(arr < 0) | ~np.isfinite(arr)]
    if bad.size:
        raise ParameterError(f"{name} must be zero or more (got {_show(bad[0])})")
    return arr


def check_positive(name: str, value: Any) -> FloatArray:
    """Durations such as handling time and patience: finite and > 0."""
    arr = as_array(name, value)
    bad = arr[(arr <= 0) | ~np.isfinite(arr)]
    if bad.size:
        raise ParameterError(f"{name} must be greater than zero (got {_show(bad[0])})")
    return arr


def check_percent(name: str, value: float, *, allow_zero: bool = False) -> float:
    """A percentage in (0, 100] (or [0, 100] with ``allow_zero``)."""
    v = float(value)
    low_ok = v >= 0 if allow_zero else v > 0
    if not (low_ok and v <= 100):
        bound = "0 to 100" if allow_zero else "above 0 and at most 100"
        raise ParameterError(f"{name} must be a percentage {bound} (got {_show(v)})")
    return v


def check_fraction(name: str, value: float, *, upper_open: bool = False) -> float:
    """A share in [0, 1] (or [0, 1) with ``upper_open``, as shrinkage must be)."""
    v = float(value)
    ok = 0 <= v < 1 if upper_open else 0 <= v <= 1
    if not ok:
        bound = "from 0 up to (not including) 1" if upper_open else "between 0 and 1"
        raise ParameterError(f"{name} must be a share {bound} (got {_show(v)})")
    return v


def check_agents_cover_arrivals(rates: FloatArray, agents: FloatArray, name: str) -> None:
    """Zero agents while calls arrive has no meaningful queue; say which interval."""
    idx = np.flatnonzero((agents <= 0) & (rates > 0))
    if idx.size:
        raise ParameterError(
            f"{name} must be at least 1 where calls arrive (interval {int(idx[0])} has "
            f"{_show(rates[idx[0]])} calls per hour and no agents)"
        )


def check_interval_minutes(value: int) -> int:
    if value not in (15, 30, 60):
        raise ParameterError(f"interval_minutes must be 15, 30 or 60 (got {value})")
    return value


def _show(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class ServiceTarget:
    """A channel's service standard: ``target_pct`` percent answered within ``within_s``.

    ``max_abandon_pct`` optionally caps the share of callers who give up (Erlang A only).
    """

    channel: str
    target_pct: float
    within_s: float
    max_abandon_pct: float | None = None

    def __post_init__(self) -> None:
        check_percent("target_pct", self.target_pct)
        check_non_negative("within_s", self.within_s)
        if self.max_abandon_pct is not None:
            check_percent("max_abandon_pct", self.max_abandon_pct, allow_zero=True)

    @property
    def label(self) -> str:
        return f"{self.target_pct:g}% answered within {self.within_s:g} s"


#: The Home Office 999 standard; the 101 default is a local choice, change it per force.
DEFAULT_TARGETS = {
    "999": ServiceTarget("999", 90.0, 10.0),
    "101": ServiceTarget("101", 80.0, 60.0),
}
