"""Neighbourhood policing: which school officer covers which school, and when."""

from __future__ import annotations

from .base import Column, RecordKind, Rule

school_officer_assignments = RecordKind(
    name="school_officer_assignments",
    domain="neighbourhood",
    description=(
        "A school officer assigned to a school from one date to another (inclusive; an empty "
        "'to' means the assignment is current). The school officers and the schools covered "
        "at any date are counted from these rows."
    ),
    columns=(
        Column("officer_id", "str", description="The officer (a collar number or staff id)"),
        Column("school_id", "str", description="The school, as the schools list names it"),
        Column("from_date", "date", description="First day of the assignment (file: from)"),
        Column(
            "to_date",
            "date",
            required=False,
            description="Last day of the assignment; empty while it lasts (file: to)",
        ),
    ),
    key=("officer_id", "school_id", "from_date"),
    rules=(
        Rule(
            "to_not_before_from",
            "to_date IS NULL OR to_date >= from_date",
            "to_date",
            "to must not be before from",
        ),
    ),
    time_column="from_date",
    # files name the dates as the assignment list does: from, to
    header_aliases={"from": "from_date", "to": "to_date"},
)

KINDS = (school_officer_assignments,)
