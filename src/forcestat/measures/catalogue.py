"""The catalogue: every measure, by key. Adding a measure is adding an entry to a family."""

from __future__ import annotations

from ..errors import UnknownMeasureError
from . import (
    contact,
    crime,
    encompass,
    mental_health,
    neighbourhood,
    speedwatch,
    volunteers,
)
from .base import Measure, Split

FAMILIES = (
    "contact",
    "crime",
    "mental_health",
    "volunteers",
    "speedwatch",
    "encompass",
    "neighbourhood",
)

_MODULES = (contact, crime, mental_health, volunteers, speedwatch, encompass, neighbourhood)

CATALOGUE: dict[str, Measure] = {m.key: m for module in _MODULES for m in module.MEASURES}


#: Every split the families state (see :class:`~forcestat.measures.base.Split`).
SPLITS: tuple[Split, ...] = tuple(s for module in _MODULES for s in getattr(module, "SPLITS", ()))


def get_measure(key: str) -> Measure:
    """The measure called ``key``; UnknownMeasureError listing the valid keys otherwise."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise UnknownMeasureError(
            f"unknown measure {key!r}; choose from: {', '.join(CATALOGUE)}"
        ) from None


def resolve(keys: str | list[str] | tuple[str, ...] | None) -> list[Measure]:
    """Measures for keys (a key, a family name, or None for all), in catalogue order."""
    if keys is None:
        return list(CATALOGUE.values())
    if isinstance(keys, str):
        keys = [keys]
    out: list[Measure] = []
    for k in keys:
        found = [m for m in CATALOGUE.values() if m.family == k] if k in FAMILIES else None
        for m in found or [get_measure(k)]:
            if m not in out:
                out.append(m)
    return out
