"""Community Speedwatch measures.

Detections come from the volunteers' records (``speedwatch_detections``, over-limit meaning
speed_mph > limit_mph). Sightings, letters, visits, referrals and DVLA referrals come from
what the Speedwatch workflow did (``forcestat speedwatch process``): ``speedwatch_outcomes``
and ``speedwatch_dvla``, each placed in the month of the detection it was decided for. Repeat
tiers are counted as the ladder counted them, in its rolling window: the 4th-sighting visits
made in a period, not vehicles whose 4th detection fell inside it.
"""

from __future__ import annotations

from typing import Any

from .base import Count, Distinct, Expr, Measure, OfMonths, Source, table

BY = ("site_id", "scheme", "district", "session_id")


def _detections_in_context(con: Any) -> Any:
    """Detections with their session's scheme and their site's district."""
    d = con.table("speedwatch_detections")
    sessions = con.table("speedwatch_sessions")
    sites = con.table("speedwatch_sites")
    # min(), not arbitrary(): the same row on every backend, and arbitrary() compiles to
    # FIRST() on PostgreSQL, which has no such function
    scheme = sessions.group_by("session_id").aggregate(scheme=sessions.scheme.min())
    district = sites.group_by("site_id").aggregate(district=sites.district.min())
    return d.left_join(scheme, "session_id").left_join(district, "site_id")


DETECTIONS = Source(
    "speedwatch_detections_in_context",
    ("speedwatch_detections", "speedwatch_sessions", "speedwatch_sites"),
    _detections_in_context,
    text="speedwatch_detections, with the session's scheme and the site's district",
)
OUTCOMES = table("speedwatch_outcomes", text="speedwatch_outcomes (what the ladder decided)")


def _processed_with_referrals(con: Any) -> Any:
    """Every processed detection, with the DVLA referral it led to (if any): the months the
    workflow has processed count referrals as zero when there were none, and the months it
    has not processed are missing."""
    o = con.table("speedwatch_outcomes").select("detection_id", "month")
    d = con.table("speedwatch_dvla").select("detection_id", "tax_status", "site_id", "district")
    return o.left_join(d, "detection_id")


DVLA = Source(
    "speedwatch_outcomes+dvla",
    ("speedwatch_outcomes", "speedwatch_dvla"),
    _processed_with_referrals,
    text="speedwatch_outcomes with the speedwatch_dvla referral each led to",
)
PRINTED_MONTH = Expr("printed_month", lambda t: t.printed_at.truncate("M").date(), "printed")
PRINTED = table("speedwatch_outcomes", month=PRINTED_MONTH, text="speedwatch_outcomes, printed")

OVER = Expr("over_limit", lambda t: t.speed_mph > t.limit_mph, "speed_mph > limit_mph")
VRM = Expr("vrm", lambda t: t.vrm, "the registration mark (normalised at ingest)")
SORN = Expr("sorn", lambda t: t.tax_status == "sorn", "tax_status is 'sorn'")
UNTAXED = Expr("untaxed", lambda t: t.tax_status == "untaxed", "tax_status is 'untaxed'")
LADDER = ("letter1", "letter2", "letter3", "visit", "referral")
SIGHTING = Expr("sighting", lambda t: t.outcome.isin(LADDER), "outcome is a step of the ladder")
LETTER = Expr(
    "letter", lambda t: t.outcome.isin(LADDER[:3]), "outcome is letter1, letter2 or letter3"
)


def _outcome(name: str) -> Expr:
    return Expr(f"outcome_{name}", lambda t: t.outcome == name, f"outcome is '{name}'")


_det: dict[str, Any] = {"family": "speedwatch", "source": DETECTIONS, "breakdowns": BY}
_out: dict[str, Any] = {"family": "speedwatch", "source": OUTCOMES, "breakdowns": BY}
_dvla: dict[str, Any] = {
    "family": "speedwatch",
    "source": DVLA,
    "breakdowns": ("site_id", "district"),
}
_when = "by month of the detection it was decided for"

MEASURES = [
    Measure(
        "vehicles_detected_over_limit",
        "Vehicles detected over the limit",
        "count",
        aggregate=Count(OVER),
        definition="Speedwatch detections with speed_mph > limit_mph, by month of detected_at"
        " (a vehicle seen twice counts twice).",
        **_det,
    ),
    Measure(
        "speedwatch_distinct_vehicles",
        "Distinct vehicles over the limit",
        "count",
        aggregate=Distinct(VRM, OVER),
        definition="Distinct registration marks (upper case, spaces removed) among the period's"
        " over-limit detections.",
        **_det,
    ),
    Measure(
        "speedwatch_sightings",
        "Speedwatch sightings",
        "count",
        aggregate=Count(SIGHTING),
        definition="Detections at or above the policy's threshold for the road's limit that the"
        f" ladder acted on (exempt vehicles left out), {_when}.",
        **_out,
    ),
    Measure(
        "speedwatch_vehicles_sighted",
        "Distinct vehicles sighted",
        "count",
        aggregate=Distinct(VRM, SIGHTING),
        definition="Distinct registration marks among the period's sightings.",
        **_out,
    ),
    Measure(
        "letters_sent",
        "Speedwatch letters sent",
        "count",
        aggregate=Count(LETTER),
        definition="Letters the ladder issued to registered keepers (1st, 2nd and final"
        f" letters), {_when}.",
        **_out,
    ),
    Measure(
        "speedwatch_final_letters",
        "Speedwatch final letters (3rd sighting)",
        "count",
        aggregate=Count(_outcome("letter3")),
        definition=f"Final letters (a vehicle's 3rd sighting in the window), {_when}.",
        **_out,
    ),
    Measure(
        "letters_sent_monthly_average",
        "Speedwatch letters a month (average)",
        "count/month",
        family="speedwatch",
        source=OUTCOMES,
        aggregate=OfMonths("letters_sent", "mean"),
        decimals=0,
        definition="letters_sent over the period divided by the number of months in it.",
    ),
    Measure(
        "speedwatch_letters_printed",
        "Speedwatch letters printed",
        "count",
        family="speedwatch",
        source=PRINTED,
        aggregate=Count(LETTER),
        coverage="always",
        definition="Letters written to PDF by `forcestat speedwatch letters`, by month of"
        " printing.",
    ),
    Measure(
        "addresses_attended_4th_detection",
        "Addresses attended (4th sighting)",
        "count",
        aggregate=Count(_outcome("visit")),
        definition="Officer visits to the keeper's address the ladder decided (a vehicle's 4th"
        f" sighting within the rolling window), {_when}.",
        **_out,
    ),
    Measure(
        "drivers_5_plus_detections",
        "Occasions of a 5th or later sighting (referrals)",
        "count",
        aggregate=Count(_outcome("referral")),
        definition="Referrals for enforcement the ladder decided (a vehicle's 5th or later"
        f" sighting within the rolling window: the board's 'occasions'), {_when}.",
        **_out,
    ),
    Measure(
        "speedwatch_vehicles_referred",
        "Vehicles referred for enforcement",
        "count",
        aggregate=Distinct(VRM, _outcome("referral")),
        definition="Distinct registration marks with a referral for enforcement in the period.",
        **_out,
    ),
    Measure(
        "sorn_vehicles_to_dvla",
        "SORN vehicles passed to the DVLA",
        "count",
        aggregate=Count(SORN),
        definition="Vehicles declared off-road (SORN) yet detected on the road, passed to the"
        f" DVLA once per vehicle within the window, {_when}.",
        **_dvla,
    ),
    Measure(
        "untaxed_vehicles_to_dvla",
        "Untaxed vehicles passed to the DVLA",
        "count",
        aggregate=Count(UNTAXED),
        definition="Untaxed vehicles detected, passed to the DVLA once per vehicle within the"
        f" window, {_when}.",
        **_dvla,
    ),
]
