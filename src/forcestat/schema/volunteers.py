"""Special Constabulary, police support volunteers (PSV) and community policing volunteers."""

from __future__ import annotations

from .base import Column, RecordKind, Rule

CPV_ROLES = (
    "canine",
    "aviation",
    "pcso",
    "joint_response_unit",
    "security",
    "equine",
    "coastal",
    "rural",
    "cyber",
    "other",
)

volunteers = RecordKind(
    name="volunteers",
    domain="volunteers",
    description="A special constable or volunteer, with the dates they joined and left.",
    columns=(
        Column("volunteer_id", "str"),
        Column("kind", "str", allowed=("special", "psv", "cpv")),
        Column("role", "str", required=False, description="CPV role, e.g. canine, equine"),
        Column("joined_on", "date"),
        Column("left_on", "date", required=False),
        Column("independent", "bool", required=False, description="Specials: independent patrol"),
        Column("independent_from", "date", required=False),
        Column(
            "left_to_regular_force",
            "bool",
            required=False,
            description="Descriptive only: the figures count regular_force_applications",
        ),
    ),
    key=("volunteer_id",),
    rules=(
        Rule(
            "left_after_joined",
            "left_on IS NULL OR left_on >= joined_on",
            "left_on",
            "left_on must not be before joined_on",
        ),
    ),
    time_column="joined_on",
)

volunteer_duties = RecordKind(
    name="volunteer_duties",
    domain="volunteers",
    description="Hours of duty a volunteer or special constable gave on one day.",
    columns=(
        Column("duty_id", "str"),
        Column("volunteer_id", "str"),
        Column("duty_date", "date"),
        Column("hours", "float", minimum=0, maximum=24),
        Column("activity", "str", required=False),
        Column("district", "str", required=False, description="District the duty served"),
    ),
    key=("duty_id",),
    time_column="duty_date",
)

#: where a special constable's move to the regular force stands
APPLICATION_STATUSES = ("in_process", "accepted", "withdrawn", "declined")

regular_force_applications = RecordKind(
    name="regular_force_applications",
    domain="volunteers",
    description=(
        "A special constable moving to the regular force: in process from applied_on until "
        "decided_on, then accepted (or withdrawn, declined)."
    ),
    columns=(
        Column("volunteer_id", "str"),
        Column("applied_on", "date"),
        Column("status", "str", allowed=APPLICATION_STATUSES),
        Column(
            "decided_on",
            "date",
            required=False,
            description="Day the status became accepted, withdrawn or declined; empty in process",
        ),
    ),
    key=("volunteer_id", "applied_on"),
    rules=(
        Rule(
            "decided_unless_in_process",
            "(status = 'in_process') = (decided_on IS NULL)",
            "decided_on",
            "decided_on must be empty while in_process and given otherwise",
        ),
        Rule(
            "decided_after_applied",
            "decided_on IS NULL OR decided_on >= applied_on",
            "decided_on",
            "decided_on must not be before applied_on",
        ),
    ),
    time_column="applied_on",
)

KINDS = (volunteers, volunteer_duties, regular_force_applications)
