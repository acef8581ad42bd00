"""Operation Encompass measures, from what the workflow sent (``encompass_notices``).

Each notification is a child present at a domestic abuse incident, told to their school; it
counts in the Europe/London month the police knew of the incident (``reported_at``). Counts
of children are special category data in aggregate too: public outputs suppress them below
the suppression threshold like every count.
"""

from __future__ import annotations

from typing import Any

from .base import Count, Expr, Measure, Median, Ratio, table

NOTICES = table("encompass_notices", text="encompass_notices (notifications the workflow sent)")
IN_TIME = Expr("sent_in_time", lambda t: t.sent_at <= t.due_at, "sent_at <= due_at")
LATE = Expr("sent_late", lambda t: t.sent_at > t.due_at, "sent_at > due_at")
LEAD_HOURS = Expr(
    "lead_hours",
    lambda t: (t.due_at.epoch_seconds() - t.sent_at.epoch_seconds()) / 3600.0,
    "hours from sending to the deadline (negative when late)",
)
_e: dict[str, Any] = {"family": "encompass", "source": NOTICES, "breakdowns": ("district",)}

MEASURES = [
    Measure(
        "encompass_notifications",
        "Operation Encompass notifications sent",
        "count",
        aggregate=Count(),
        definition="Notifications sent to schools (one per child present at an incident), by"
        " month of the incident's reported_at.",
        **_e,
    ),
    Measure(
        "encompass_pct_before_deadline",
        "Encompass notifications sent before the school day began",
        "percent",
        aggregate=Ratio(Count(IN_TIME), Count()),
        good="up",
        decimals=1,
        definition="Notifications sent at or before their deadline (the first school-day start"
        " after the police knew) as a percentage of notifications sent.",
        **_e,
    ),
    Measure(
        "encompass_median_lead_hours",
        "Median hours to spare before the deadline",
        "hours",
        aggregate=Median(LEAD_HOURS),
        good="up",
        decimals=1,
        definition="Median of (due_at - sent_at) in hours over the period's notifications;"
        " negative when most were late.",
        **_e,
    ),
    Measure(
        "encompass_late_notifications",
        "Encompass notifications sent late",
        "count",
        aggregate=Count(LATE),
        good="down",
        definition="Notifications sent after their deadline.",
        **_e,
    ),
]
