"""Mental health measures: section 136 detentions."""

from __future__ import annotations

from typing import Any

from .base import Count, Measure, OfMonths, table

S136 = table("s136_detentions")
_s136: dict[str, Any] = {"family": "mental_health", "source": S136}

MEASURES = [
    Measure(
        "s136_detentions",
        "Section 136 detentions",
        "count",
        aggregate=Count(),
        definition="Detentions under section 136 of the Mental Health Act 1983, by month of"
        " detained_at (Europe/London).",
        **_s136,
    ),
    Measure(
        "s136_detentions_monthly_average",
        "Section 136 detentions a month (average)",
        "count/month",
        aggregate=OfMonths("s136_detentions", "mean"),
        decimals=1,
        definition="s136_detentions over the period divided by the number of months in it"
        " (the board quotes it per financial year and for the year to date).",
        **_s136,
    ),
    Measure(
        "s136_record_low",
        "Section 136 detentions, lowest month",
        "count",
        aggregate=OfMonths("s136_detentions", "min"),
        definition="The lowest monthly s136_detentions value in the period; its record column"
        " says how long since a month was lower.",
        **_s136,
    ),
]
