"""Community Speedwatch measures. Over-limit means speed_mph > limit_mph."""

from __future__ import annotations

from typing import Any

from .base import Count, Distinct, Expr, GroupsWithAtLeast, Measure, OfMonths, table

DETECTIONS = table("speedwatch_detections")
OVER = Expr("over_limit", lambda t: t.speed_mph > t.limit_mph, "speed_mph > limit_mph")
VRM = Expr(
    "vrm_normalised",
    lambda t: t.vrm.upper().replace(" ", ""),
    "the registration mark, upper case without spaces",
)
SORN = Expr("sorn", lambda t: t.tax_status == "sorn", "tax_status is 'sorn'")
UNTAXED = Expr("untaxed", lambda t: t.tax_status == "untaxed", "tax_status is 'untaxed'")
LETTER = Expr("letter_sent", lambda t: t.letter_sent.fill_null(False), "letter_sent is true")
_sw: dict[str, Any] = {"family": "speedwatch", "source": DETECTIONS}

MEASURES = [
    Measure(
        "vehicles_detected_over_limit",
        "Vehicles detected over the limit",
        "count",
        aggregate=Count(OVER),
        definition="Speedwatch detections with speed_mph > limit_mph, by month of detected_at"
        " (a vehicle seen twice counts twice).",
        **_sw,
    ),
    Measure(
        "speedwatch_distinct_vehicles",
        "Distinct vehicles over the limit",
        "count",
        aggregate=Distinct(VRM, OVER),
        definition="Distinct registration marks (upper case, spaces removed) among the period's"
        " over-limit detections.",
        **_sw,
    ),
    Measure(
        "addresses_attended_4th_detection",
        "Vehicles at a 4th detection (address visited)",
        "count",
        aggregate=GroupsWithAtLeast(VRM, 4, OVER),
        definition="Vehicles (registration marks) with 4 or more over-limit detections in the"
        " period: officers visit the keeper's address at the 4th.",
        **_sw,
    ),
    Measure(
        "drivers_5_plus_detections",
        "Vehicles with 5 or more detections",
        "count",
        aggregate=GroupsWithAtLeast(VRM, 5, OVER),
        definition="Vehicles (registration marks) with 5 or more over-limit detections in the"
        " period.",
        **_sw,
    ),
    Measure(
        "sorn_vehicles_to_dvla",
        "SORN vehicles referred to DVLA",
        "count",
        aggregate=Distinct(VRM, OVER & SORN),
        definition="Distinct registration marks over the limit in the period whose tax_status is"
        " 'sorn' (declared off-road), referred to DVLA.",
        **_sw,
    ),
    Measure(
        "untaxed_vehicles_to_dvla",
        "Untaxed vehicles referred to DVLA",
        "count",
        aggregate=Distinct(VRM, OVER & UNTAXED),
        definition="Distinct registration marks over the limit in the period whose tax_status is"
        " 'untaxed', referred to DVLA.",
        **_sw,
    ),
    Measure(
        "letters_sent",
        "Speedwatch letters sent",
        "count",
        aggregate=Count(OVER & LETTER),
        definition="Over-limit detections in the period with letter_sent true, by month of"
        " detected_at.",
        **_sw,
    ),
    Measure(
        "letters_sent_monthly_average",
        "Speedwatch letters a month (average)",
        "count/month",
        aggregate=OfMonths("letters_sent", "mean"),
        decimals=0,
        definition="letters_sent over the period divided by the number of months in it.",
        **_sw,
    ),
]
