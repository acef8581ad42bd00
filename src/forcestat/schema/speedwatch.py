"""Community Speedwatch: sites, volunteer sessions, the vehicles they detect, and the keepers
of those vehicles (from the keeper lookup, which stands in for the police national computer).

Registration marks are normalised at ingest (upper case, spaces removed) and must have one of
the four UK formats (:data:`VRM_FORMATS`); any other mark is quarantined.
"""

from __future__ import annotations

from .base import Column, RecordKind, Rule

#: The UK registration formats, as regular expressions over a normalised mark.
VRM_FORMATS: dict[str, str] = {
    # since September 2001: two letters (area), two digits (age), three letters: AB51ABC
    "current": "[A-Z]{2}[0-9]{2}[A-Z]{3}",
    # August 1983 to August 2001: age letter, one to three digits, three letters: A123BCD
    "prefix": "[A-Z][0-9]{1,3}[A-Z]{3}",
    # 1963 to July 1983: three letters, one to three digits, age letter: ABC123D
    "suffix": "[A-Z]{3}[0-9]{1,3}[A-Z]",
    # before 1963 (and Northern Ireland): letters then digits, or digits then letters
    "dateless": "[A-Z]{1,3}[0-9]{1,4}|[0-9]{1,4}[A-Z]{1,3}",
}
VRM_PATTERN = "|".join(f"({p})" for p in VRM_FORMATS.values())
#: SQL normalising a mark: upper case, spaces removed
VRM_NORMALISE = "upper(replace(replace({}, ' ', ''), chr(9), ''))"


def _vrm_column(description: str) -> Column:
    return Column("vrm", "str", description=description, normalise=VRM_NORMALISE)


def _vrm_rule() -> Rule:
    return Rule(
        "vrm_format",
        f"length(vrm) <= 7 AND regexp_full_match(vrm, '{VRM_PATTERN}')",
        "vrm",
        "vrm is not a UK registration mark (current, prefix, suffix or dateless format)",
    )


speedwatch_sites = RecordKind(
    name="speedwatch_sites",
    domain="speedwatch",
    description="A road location where a Community Speedwatch scheme sets up.",
    columns=(
        Column("site_id", "str"),
        Column("name", "str"),
        Column("district", "str"),
        Column("road", "str", required=False),
        Column("limit_mph", "int", minimum=5, maximum=70),
        Column("latitude", "float", required=False, minimum=-90, maximum=90),
        Column("longitude", "float", required=False, minimum=-180, maximum=180),
    ),
    key=("site_id",),
)

speedwatch_sessions = RecordKind(
    name="speedwatch_sessions",
    domain="speedwatch",
    description="One Community Speedwatch session: a scheme's volunteers at a site for a time.",
    columns=(
        Column("session_id", "str"),
        Column("site_id", "str"),
        Column("scheme", "str"),
        Column("started_at", "timestamp"),
        Column("ended_at", "timestamp"),
        Column("volunteers", "int", required=False, minimum=1, maximum=50),
    ),
    key=("session_id",),
    rules=(
        Rule(
            "ended_after_started",
            "ended_at > started_at",
            "ended_at",
            "ended_at must be after started_at",
        ),
    ),
    time_column="started_at",
)

speedwatch_detections = RecordKind(
    name="speedwatch_detections",
    domain="speedwatch",
    description="A vehicle seen by a Community Speedwatch session (record-level: holds a VRM).",
    columns=(
        Column("detection_id", "str"),
        Column("session_id", "str"),
        Column("site_id", "str"),
        Column("detected_at", "timestamp"),
        _vrm_column("Vehicle registration mark: personal data"),
        Column("speed_mph", "float", minimum=0, maximum=250),
        Column("limit_mph", "int", minimum=5, maximum=70),
        Column("tax_status", "str", allowed=("taxed", "untaxed", "sorn", "unknown")),
        Column(
            "letter_sent",
            "bool",
            required=False,
            description="A flag from another system; forcestat counts its own letters",
        ),
    ),
    key=("detection_id",),
    rules=(_vrm_rule(),),
    time_column="detected_at",
)

vehicle_keepers = RecordKind(
    name="vehicle_keepers",
    domain="speedwatch",
    description=(
        "The registered keeper of a vehicle, as a keeper lookup returned it (imported from a "
        "file that stands in for the police national computer). Personal data."
    ),
    columns=(
        _vrm_column("Vehicle registration mark"),
        Column("keeper_name", "str"),
        Column("address", "str", description="Keeper's address, lines separated by commas"),
        Column("postcode", "str"),
        Column("looked_up_at", "timestamp"),
        Column("source", "str", required=False, description="Where the lookup came from"),
    ),
    key=("vrm", "looked_up_at"),
    rules=(_vrm_rule(),),
    time_column="looked_up_at",
)

KINDS = (speedwatch_sites, speedwatch_sessions, speedwatch_detections, vehicle_keepers)
