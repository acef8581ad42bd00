"""Officer visits and referrals for enforcement, with the keeper's address (record-level)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ...store import Store
from .. import audit
from .process import end_of_day_utc

VISIT_COLUMNS = (
    "reference",
    "action",
    "sighting_number",
    "vrm",
    "keeper_name",
    "address",
    "postcode",
    "site",
    "district",
    "detected_at",
    "speed_mph",
    "limit_mph",
)


def visits(
    store: Store,
    *,
    since: date | None = None,
    until: date | None = None,
    action: str | None = None,
) -> list[dict[str, Any]]:
    """Visits and referrals the ladder decided, oldest first; the read is audited."""
    where = ["o.outcome IN ('visit', 'referral')"]
    args: list[Any] = []
    if action:
        where.append("o.outcome = ?")
        args.append(action)
    if since:
        where.append("o.detected_at >= ?")
        args.append(end_of_day_utc(since - timedelta(days=1)))
    if until:
        where.append("o.detected_at < ?")
        args.append(end_of_day_utc(until))
    rows = store.duck.execute(
        f"""SELECT o.detection_id, o.outcome, o.sighting_number, o.vrm, k.keeper_name,
                   k.address, k.postcode, coalesce(s.name, o.site_id), o.district,
                   strftime(timezone('Europe/London', timezone('UTC', o.detected_at)),
                            '%Y-%m-%d %H:%M'),
                   o.speed_mph, o.limit_mph
            FROM speedwatch_outcomes o
            LEFT JOIN vehicle_keepers k ON k.vrm = o.vrm
                 AND k.looked_up_at = o.keeper_looked_up_at
            LEFT JOIN (SELECT site_id, any_value(name) AS name FROM speedwatch_sites
                       GROUP BY site_id) s ON s.site_id = o.site_id
            WHERE {" AND ".join(where)}
            ORDER BY o.detected_at, o.detection_id""",
        args,
    ).fetchall()
    audit.record(store, "read", "speedwatch_visits", {"rows": len(rows)})
    return [dict(zip(VISIT_COLUMNS, r, strict=True)) for r in rows]
