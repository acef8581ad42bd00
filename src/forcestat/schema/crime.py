"""Crime records: the force's own crime recording and the data.police.uk files (street-level
crime, outcomes, stop and search)."""

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

#: data.police.uk outcomes CSV: the street file's location columns and the outcome.
POLICEUK_OUTCOME_HEADERS = {
    **{
        k: v
        for k, v in POLICEUK_HEADERS.items()
        if k not in ("Crime type", "Last outcome category", "Context")
    },
    "Outcome type": "outcome_type",
}

policeuk_outcomes = RecordKind(
    name="policeuk_outcomes",
    domain="crime",
    description=(
        "A data.police.uk outcome: one row per outcome event of a crime, in the month it "
        "happened; joined to the street-level crimes on Crime ID."
    ),
    columns=(
        Column("crime_id", "str"),
        Column("month_text", "str", description="Month of the outcome as published, YYYY-MM"),
        Column("reported_by", "str"),
        Column("falls_within", "str"),
        Column("longitude", "float", required=False, minimum=-180, maximum=180),
        Column("latitude", "float", required=False, minimum=-90, maximum=90),
        Column("location", "str", required=False),
        Column("lsoa_code", "str", required=False),
        Column("lsoa_name", "str", required=False),
        Column("outcome_type", "str"),
    ),
    key=("crime_id", "month_text"),
    rules=(
        Rule(
            "month_format",
            "regexp_full_match(month_text, '[0-9]{4}-(0[1-9]|1[0-2])')",
            "month_text",
            "Month must be YYYY-MM",
        ),
    ),
    header_aliases=POLICEUK_OUTCOME_HEADERS,
    key_repeats=True,
)

#: data.police.uk stop-and-search CSV, column names as published mapped to snake_case.
POLICEUK_SEARCH_HEADERS = {
    "Type": "search_type",
    "Date": "searched_at",
    "Part of a policing operation": "part_of_policing_operation",
    "Policing operation": "policing_operation",
    "Latitude": "latitude",
    "Longitude": "longitude",
    "Gender": "gender",
    "Age range": "age_range",
    "Self-defined ethnicity": "self_defined_ethnicity",
    "Officer-defined ethnicity": "officer_defined_ethnicity",
    "Legislation": "legislation",
    "Object of search": "object_of_search",
    "Outcome": "outcome",
    "Outcome linked to object of search": "outcome_linked_to_object",
    "Removal of more than just outer clothing": "removal_of_more_than_outer_clothing",
}

policeuk_stop_search = RecordKind(
    name="policeuk_stop_search",
    domain="crime",
    description=(
        "A data.police.uk stop-and-search record as published: who was searched, under which "
        "power, for what, and what came of it. The files do not name the force."
    ),
    columns=(
        Column("search_type", "str", description="Person, vehicle, or person and vehicle"),
        Column("searched_at", "timestamp", description="Date, ISO 8601 with an offset"),
        Column("part_of_policing_operation", "bool", required=False),
        Column("policing_operation", "str", required=False),
        Column("latitude", "float", required=False, minimum=-90, maximum=90),
        Column("longitude", "float", required=False, minimum=-180, maximum=180),
        Column("gender", "str", required=False),
        Column("age_range", "str", required=False),
        Column("self_defined_ethnicity", "str", required=False),
        Column("officer_defined_ethnicity", "str", required=False),
        Column("legislation", "str", required=False),
        Column("object_of_search", "str", required=False),
        Column("outcome", "str", required=False),
        Column("outcome_linked_to_object", "bool", required=False),
        Column("removal_of_more_than_outer_clothing", "bool", required=False),
    ),
    # no identifier is published: rows are told apart by their content, and the time only
    # links a later file's rows to stored ones
    key=("searched_at",),
    time_column="searched_at",
    header_aliases=POLICEUK_SEARCH_HEADERS,
    key_repeats=True,
)

KINDS = (crimes, policeuk_street, policeuk_outcomes, policeuk_stop_search)
