"""Neighbourhood measures: school officers and the schools they cover, at a date.

Both come from ``school_officer_assignments``: an assignment is current at D when its
``from`` is on or before D and its ``to`` is empty or on or after D (the last day counts).
"""

from __future__ import annotations

from typing import Any

from .base import Expr, Headcount, Measure, Source


def _assignments(con):  # type: ignore[no-untyped-def]
    import ibis  # lazily: the catalogue loads without Ibis (the CLI's help stays light)

    t = con.table("school_officer_assignments")
    # 'to' is the last day covered; a headcount's end is the first day no longer counted
    return t.mutate(ends_before=t.to_date + ibis.interval(days=1))


ASSIGNMENTS = Source(
    "school_officer_assignments_current",
    ("school_officer_assignments",),
    _assignments,
    text="school_officer_assignments, each current from its from to its to (inclusive)",
)
OFFICER = Expr("officer_id", lambda t: t.officer_id, "officer_id")
SCHOOL = Expr("school_id", lambda t: t.school_id, "school_id")
_current = Headcount(since=("from_date",), until="ends_before")
_n: dict[str, Any] = {"family": "neighbourhood", "source": ASSIGNMENTS, "good": "up"}
_at = (
    "at the period's last day D: from <= D and (to empty or to >= D). A month's figure is "
    "taken on its last day."
)

MEASURES = [
    Measure(
        "school_officers",
        "School officers",
        "count",
        aggregate=Headcount(_current.where, _current.since, _current.until, OFFICER),
        definition=f"Distinct officer_id of the school officer assignments current {_at}",
        **_n,
    ),
    Measure(
        "schools_covered",
        "Schools covered by a school officer",
        "count",
        aggregate=Headcount(_current.where, _current.since, _current.until, SCHOOL),
        definition=f"Distinct school_id of the school officer assignments current {_at}",
        **_n,
    ),
]
