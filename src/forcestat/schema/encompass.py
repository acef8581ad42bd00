"""Operation Encompass: police notifications to schools after domestic abuse incidents."""

from __future__ import annotations

from .base import Column, RecordKind

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

KINDS = (encompass_notifications,)
