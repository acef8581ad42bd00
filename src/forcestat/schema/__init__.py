"""Record kinds, one module per domain. ``KINDS`` maps each kind's name to its definition."""

from __future__ import annotations

from ..errors import SchemaError
from ..safe import visible
from . import contact, crime, encompass, mental_health, neighbourhood, speedwatch, volunteers
from .base import Column, Derived, RecordKind, Rule

KINDS: dict[str, RecordKind] = {
    k.name: k
    for module in (contact, crime, mental_health, volunteers, speedwatch, encompass, neighbourhood)
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


class UnknownKindError(SchemaError):
    """A header that matches no record kind; ``closest`` is the nearest kind's name and
    ``missing`` the columns it lacks, as that kind's files name them."""

    def __init__(self, message: str, closest: str, missing: list[str]) -> None:
        super().__init__(message)
        self.closest = closest
        self.missing = missing


def closest_kind(header: list[str]) -> tuple[RecordKind, list[str]]:
    """The record kind a header fits best and the required columns it lacks (none: a fit)."""
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
    return best[1], best[2]


def published_name(kind: RecordKind, column: str) -> str:
    """How the kind's files name ``column`` (police.uk's "Reported by"), else the column."""
    return next((h for h, c in kind.header_aliases.items() if c == column), column)


#: how much of a file's header an error message quotes
NAMES_SHOWN = 400


def detect_kind(header: list[str], own: list[str] | None = None) -> RecordKind:
    """The record kind whose required columns a file header holds (the best match wins).

    Raises :class:`UnknownKindError` naming the closest kind, the columns it lacks (as its
    files name them) and the file's own columns (``own``, default ``header``) when none fits.
    """
    kind, missing = closest_kind(header)
    if missing:
        lacks = [published_name(kind, c) for c in missing]
        # the file's own names, as one line: a header can hold newlines (a quote left open)
        names = ", ".join(visible(h) for h in (own or header) if h) or "(none)"
        if len(names) > NAMES_SHOWN:
            names = names[:NAMES_SHOWN] + "..."
        raise UnknownKindError(
            f"header does not match any record kind (closest: {kind.name}, which needs "
            f"{', '.join(lacks)}; the file has {names})",
            kind.name,
            lacks,
        )
    return kind


__all__ = [
    "KINDS",
    "Column",
    "Derived",
    "RecordKind",
    "Rule",
    "UnknownKindError",
    "closest_kind",
    "detect_kind",
    "get_kind",
    "published_name",
]
