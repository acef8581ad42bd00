"""Mental Health Act section 136 detentions."""

from __future__ import annotations

from .base import Column, RecordKind

s136_detentions = RecordKind(
    name="s136_detentions",
    domain="mental_health",
    description="A detention under section 136 of the Mental Health Act 1983.",
    columns=(
        Column("detention_id", "str"),
        Column("detained_at", "timestamp"),
        Column("district", "str", required=False),
        Column("place_of_safety", "str", allowed=("health", "custody", "other")),
        Column("age_band", "str", required=False, allowed=("under_18", "18_plus", "unknown")),
    ),
    key=("detention_id",),
    time_column="detained_at",
)

KINDS = (s136_detentions,)
