"""Crime measures: the force's crime recording and data.police.uk street-level records."""

from __future__ import annotations

from typing import Any

from .base import Count, Expr, Measure, OfMonths, Ratio, Split, table

CRIMES = table("crimes")
RECORDED = Expr("recorded", lambda t: t.status == "recorded", "status is 'recorded'")
CANCELLED = Expr("cancelled", lambda t: t.status == "cancelled", "status is 'cancelled'")
EITHER = Expr(
    "recorded_or_cancelled",
    lambda t: t.status.isin(("recorded", "cancelled")),
    "status is 'recorded' or 'cancelled'",
)

POLICEUK = table("policeuk_street", text="data.police.uk street-level records")
HAS_CRIME_ID = Expr(
    "has_crime_id",
    lambda t: t.crime_id.notnull() & (t.crime_id.strip() != ""),
    "the row has a Crime ID (a crime)",
)
NO_CRIME_ID = Expr(
    "no_crime_id",
    lambda t: t.crime_id.isnull() | (t.crime_id.strip() == ""),
    "the row has no Crime ID (an anti-social behaviour incident)",
)
_crime: dict[str, Any] = {"family": "crime", "source": CRIMES}
_puk: dict[str, Any] = {
    "family": "crime",
    "source": POLICEUK,
    "coverage": "every_month",
    "breakdowns": ("crime_type", "lsoa_code", "falls_within"),
}

MEASURES = [
    Measure(
        "recorded_crime",
        "Recorded crime",
        "count",
        aggregate=Count(RECORDED),
        definition="Crime records with status 'recorded', by month of recorded_at.",
        **_crime,
    ),
    Measure(
        "cancelled_crime",
        "Cancelled crime",
        "count",
        aggregate=Count(CANCELLED),
        definition="Crime records with status 'cancelled', by month of recorded_at (the month"
        " the crime was first recorded, not the month it was cancelled).",
        **_crime,
    ),
    Measure(
        "cancelled_crime_pct",
        "Cancelled crime (%)",
        "percent",
        aggregate=Ratio(Count(CANCELLED), Count(EITHER)),
        decimals=1,
        definition="100 x cancelled / (recorded + cancelled), by month of recorded_at. This is"
        " the formula the seed's figures fit (582 of 15,652 + 582 = 3.6%); cancelled / recorded"
        " would give 3.7%. Published to 1 decimal place.",
        **_crime,
    ),
    Measure(
        "cancelled_crime_pct_average",
        "Cancelled crime, mean of monthly %",
        "percent",
        aggregate=OfMonths("cancelled_crime_pct", "mean"),
        decimals=1,
        definition="The mean of the period's monthly cancelled_crime_pct values (each month"
        " weighs the same, whatever its volume), as the board narrative quotes it.",
        **_crime,
    ),
    Measure(
        "policeuk_crimes",
        "Street-level crimes (police.uk)",
        "count",
        aggregate=Count(HAS_CRIME_ID),
        definition="data.police.uk street-level rows with a Crime ID, by the file's Month. A"
        " month with no police.uk rows at all is missing (no value), not zero: police.uk has"
        " gaps. Coverage is judged over the whole police.uk table, so a store holds one force's"
        " files. Break down by crime_type, lsoa_code or falls_within.",
        **_puk,
    ),
    Measure(
        "policeuk_asb",
        "Anti-social behaviour incidents (police.uk)",
        "count",
        aggregate=Count(NO_CRIME_ID),
        definition="data.police.uk street-level rows without a Crime ID (anti-social behaviour"
        " incidents), by the file's Month; a month with no police.uk rows is missing.",
        **_puk,
    ),
]

#: A crime is recorded or cancelled or neither: the two add up to cancelled_crime_pct's base.
SPLITS = (Split(EITHER, (RECORDED, CANCELLED)),)
