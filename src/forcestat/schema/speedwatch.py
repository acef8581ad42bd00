"""Community Speedwatch: vehicles detected over the limit by volunteer sessions."""

from __future__ import annotations

from .base import Column, RecordKind, Rule

speedwatch_detections = RecordKind(
    name="speedwatch_detections",
    domain="speedwatch",
    description="A vehicle seen by a Community Speedwatch session (record-level: holds a VRM).",
    columns=(
        Column("detection_id", "str"),
        Column("session_id", "str"),
        Column("site_id", "str"),
        Column("detected_at", "timestamp"),
        Column("vrm", "str", description="Vehicle registration mark: personal data"),
        Column("speed_mph", "float", minimum=0, maximum=250),
        Column("limit_mph", "int", minimum=5, maximum=70),
        Column("tax_status", "str", allowed=("taxed", "untaxed", "sorn", "unknown")),
        Column("letter_sent", "bool", required=False),
    ),
    key=("detection_id",),
    rules=(
        Rule(
            "vrm_format",
            "regexp_full_match(upper(replace(vrm, ' ', '')), '[A-Z0-9]{1,8}')",
            "vrm",
            "vrm must be 1 to 8 letters and digits",
        ),
    ),
    time_column="detected_at",
)

KINDS = (speedwatch_detections,)
