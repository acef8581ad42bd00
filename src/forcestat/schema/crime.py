"""Crime records: the force's own crime recording and police.uk street-level files."""

from __future__ import annotations

from .base import Column, RecordKind, Rule

crimes = RecordKind(
    name="crimes",
    domain="crime",
    description="A crime record; status 'cancelled' when the record was cancelled after review.",
    columns=(
        Column("crime_id", "str"),
        Column("recorded_at", "timestamp"),
        Column("crime_type", "str"),
        Column("district", "str", required=False),
        Column("status", "str", allowed=("recorded", "cancelled")),
        Column("status_changed_at", "timestamp", required=False),
        Column("cancellation_reason", "str", required=False),
    ),
    key=("crime_id",),
    rules=(
        Rule(
            "status_change_after_recording",
            "status_changed_at IS NULL OR status_changed_at >= recorded_at",
            "status_changed_at",
            "status_changed_at must not be before recorded_at",
        ),
        Rule(
            "cancelled_has_reason",
            "status <> 'cancelled' OR cancellation_reason IS NOT NULL",
            "cancellation_reason",
            "a cancelled crime must give its cancellation_reason",
        ),
    ),
    time_column="recorded_at",
)

#: data.police.uk street-level CSV, column names as published mapped to snake_case.
POLICEUK_HEADERS = {
    "Crime ID": "crime_id",
    "Month": "month_text",
    "Reported by": "reported_by",
    "Falls within": "falls_within",
    "Longitude": "longitude",
    "Latitude": "latitude",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "crime_type",
    "Last outcome category": "last_outcome_category",
    "Context": "context",
}

policeuk_street = RecordKind(
    name="policeuk_street",
    domain="crime",
    description=(
        "A data.police.uk street-level record as published; a blank Crime ID is an "
        "anti-social behaviour incident, kept as police.uk keeps it."
    ),
    columns=(
        Column("crime_id", "str", required=False),
        Column("month_text", "str", description="Month as published, YYYY-MM"),
        Column("reported_by", "str"),
        Column("falls_within", "str"),
        Column("longitude", "float", required=False, minimum=-180, maximum=180),
        Column("latitude", "float", required=False, minimum=-90, maximum=90),
        Column("location", "str", required=False),
        Column("lsoa_code", "str", required=False),
        Column("lsoa_name", "str", required=False),
        Column("crime_type", "str"),
        Column("last_outcome_category", "str", required=False),
        Column("context", "str", required=False),
    ),
    key=("crime_id",),
    rules=(
        Rule(
            "month_format",
            "regexp_full_match(month_text, '[0-9]{4}-(0[1-9]|1[0-2])')",
            "month_text",
            "Month must be YYYY-MM",
        ),
    ),
    plausible=(
        Rule(
            "implausible_time",
            "try_strptime(month_text, '%Y-%m') >= date_trunc('month', {earliest}) "
            "AND try_strptime(month_text, '%Y-%m') < {latest}",
            "month_text",
            "Month must be from {earliest_text} up to {latest_text}",
        ),
    ),
    header_aliases=POLICEUK_HEADERS,
    key_may_be_empty=True,
    key_repeats=True,
)

KINDS = (crimes, policeuk_street)
