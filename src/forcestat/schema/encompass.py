"""Operation Encompass: police notifications to schools after domestic abuse incidents."""

from __future__ import annotations

from .base import Column, RecordKind, Rule

encompass_notifications = RecordKind(
    name="encompass_notifications",
    domain="encompass",
    description=(
        "A notification to a school's key adult that a pupil was present at a domestic abuse "
        "incident. Record-level: never published except as suppressed aggregates."
    ),
    columns=(
        Column("notification_id", "str"),
        Column("incident_at", "timestamp"),
        Column("notified_at", "timestamp"),
        Column("school_id", "str"),
        Column("district", "str", required=False),
        Column("child_ref", "str", required=False, description="Pseudonymous child reference"),
    ),
    key=("notification_id",),
    time_column="incident_at",
)


# -- the Operation Encompass workflow's own records ---------------------------------------------
SPECIAL = "Special category data about a child: visible only to the safeguarding role"
DATES = "[0-9]{4}-[0-9]{2}-[0-9]{2}"

da_incidents = RecordKind(
    name="da_incidents",
    domain="encompass",
    description="A domestic abuse incident; reported_at is when the police knew of it.",
    columns=(
        Column("incident_id", "str"),
        Column("occurred_at", "timestamp"),
        Column("reported_at", "timestamp"),
        Column("district", "str", required=False),
    ),
    key=("incident_id",),
    rules=(
        Rule(
            "reported_after_occurred",
            "reported_at >= occurred_at",
            "reported_at",
            "reported_at must not be before occurred_at",
        ),
    ),
    time_column="reported_at",
)

children = RecordKind(
    name="children",
    domain="encompass",
    description="A child known to the police through an incident. " + SPECIAL + ".",
    columns=(
        Column("child_id", "str"),
        Column("name", "str", description=SPECIAL),
        Column("date_of_birth", "date", description=SPECIAL),
        Column("school_id", "str", required=False, description="Empty: no known school"),
    ),
    key=("child_id",),
)

incident_children = RecordKind(
    name="incident_children",
    domain="encompass",
    description="A child linked to a domestic abuse incident; present: at the incident.",
    columns=(
        Column("incident_id", "str"),
        Column("child_id", "str"),
        Column("present", "bool"),
    ),
    key=("incident_id", "child_id"),
)

schools = RecordKind(
    name="schools",
    domain="encompass",
    description="A school and its Operation Encompass key adult's e-mail address.",
    columns=(
        Column("school_id", "str"),
        Column("name", "str"),
        Column("district", "str", required=False),
        Column("phase", "str", required=False, description="primary, secondary, ..."),
        Column("key_adult_email", "str", required=False),
        Column("local_authority", "str", required=False),
    ),
    key=("school_id",),
    rules=(
        Rule(
            "email_format",
            "key_adult_email IS NULL OR regexp_full_match(key_adult_email, '[^@ ]+@[^@ ]+')",
            "key_adult_email",
            "key_adult_email is not an e-mail address",
        ),
    ),
)

school_terms = RecordKind(
    name="school_terms",
    domain="encompass",
    description=(
        "A school term: for one school, or for every school of a local authority that has no "
        "term dates of its own. INSET days inside it are not school days."
    ),
    columns=(
        Column("term_id", "str"),
        Column("school_id", "str", required=False),
        Column("local_authority", "str", required=False),
        Column("starts_on", "date"),
        Column("ends_on", "date"),
        Column("inset_days", "str", required=False, description="Dates, ; separated"),
    ),
    key=("term_id",),
    rules=(
        Rule(
            "school_or_authority",
            "school_id IS NOT NULL OR local_authority IS NOT NULL",
            "school_id",
            "a term needs a school_id or a local_authority",
        ),
        Rule("ends_after_starts", "ends_on >= starts_on", "ends_on", "ends_on before starts_on"),
        Rule(
            "inset_dates",
            f"inset_days IS NULL OR regexp_full_match(replace(inset_days, ' ', ''), "
            f"'{DATES}(;{DATES})*;?')",
            "inset_days",
            "inset_days must be dates YYYY-MM-DD separated by ;",
        ),
    ),
    time_column="starts_on",
)

KINDS = (encompass_notifications, da_incidents, children, incident_children, schools, school_terms)
