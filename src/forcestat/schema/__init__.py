"""Record kinds, one module per domain. ``KINDS`` maps each kind's name to its definition."""

from __future__ import annotations

from ..errors import SchemaError
from . import contact, crime, encompass, mental_health, speedwatch, volunteers
from .base import Column, Derived, RecordKind, Rule

KINDS: dict[str, RecordKind] = {
    k.name: k
    for module in (contact, crime, mental_health, volunteers, speedwatch, encompass)
    for k in module.KINDS
}


def get_kind(name: str) -> RecordKind:
    """The record kind called ``name``; a SchemaError listing the valid names otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise SchemaError(
            f"unknown kind {name!r}; choose one of: {', '.join(sorted(KINDS))}"
        ) from None


def detect_kind(header: list[str]) -> RecordKind:
    """The record kind whose required columns a file header holds (the best match wins).

    Raises SchemaError naming the closest kind and its missing columns when none fits.
    """
    best: tuple[int, RecordKind, list[str]] | None = None
    for kind in KINDS.values():
        names = {kind.canonical(h) for h in header}
        missing = [c for c in kind.required_columns if c not in names]
        present = sum(1 for c in kind.column_names if c in names)
        if not missing:
            score = 10_000 + present
        else:
            score = present - len(missing)
        if best is None or score > best[0]:
            best = (score, kind, missing)
    assert best is not None
    score, kind, missing = best
    if missing:
        raise SchemaError(
            f"header does not match any record kind (closest: {kind.name}, "
            f"missing columns: {', '.join(missing)})"
        )
    return kind


__all__ = ["KINDS", "Column", "Derived", "RecordKind", "Rule", "detect_kind", "get_kind"]
