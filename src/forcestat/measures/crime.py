"""Crime measures: the force's crime recording and data.police.uk street-level records."""

from __future__ import annotations

from typing import Any

from .base import Count, Expr, Measure, OfMonths, Ratio, Source, Split, table

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
#: outcome types that mean a suspect was charged or summonsed to court (police.uk words them
#: "Suspect charged", "Suspect charged as part of another case", "... summonsed ...")
CHARGE_WORDS = ("charged", "summons")


def _is_charge(outcome: Any) -> Any:
    text = outcome.lower()
    test = text.contains(CHARGE_WORDS[0])
    for w in CHARGE_WORDS[1:]:
        test = test | text.contains(w)
    return test


def _crimes_with_charge(con: Any) -> Any:
    """police.uk street crimes (rows with a Crime ID) in the months the stored outcome files
    span, each with ``charged``: whether any outcome row for its Crime ID is a charge or
    summons. Crimes outside that span are left out: their outcomes are not held."""
    street = con.table("policeuk_street")
    street = street.filter(street.crime_id.notnull() & (street.crime_id.strip() != ""))
    outcomes = con.table("policeuk_outcomes")
    span = outcomes.aggregate(_first=outcomes.month.min(), _last=outcomes.month.max())
    columns = street.columns
    street = street.cross_join(span)
    # select the columns back by name: drop() compiles to an EXCLUDE list in set order,
    # which made the SQL snapshot differ from run to run
    street = street.filter(street.month.between(street._first, street._last)).select(*columns)
    charged = outcomes.filter(_is_charge(outcomes.outcome_type)).select("crime_id").distinct()
    charged = charged.mutate(_charged=True)
    joined = street.left_join(charged, "crime_id")
    return joined.select(*street.columns, charged=joined._charged.notnull())


POLICEUK_CHARGED = Source(
    "policeuk_street_with_charge",
    ("policeuk_outcomes", "policeuk_street"),
    _crimes_with_charge,
    text="police.uk street crimes joined to police.uk outcomes on Crime ID",
)
CHARGED = Expr("charged", lambda t: t.charged, "an outcome for the Crime ID is a charge or summons")
EVERY = Expr("every_row", lambda t: t.month.notnull(), "every row")

POLICEUK_OUTCOMES = table("policeuk_outcomes", text="data.police.uk outcome records")
POLICEUK_SEARCHES = table("policeuk_stop_search", text="data.police.uk stop-and-search records")
ARREST = Expr("search_arrest", lambda t: t.outcome == "Arrest", "Outcome is 'Arrest'")
LINKED = Expr(
    "search_linked",
    lambda t: t.outcome_linked_to_object.fill_null(False),
    "Outcome linked to object of search is True",
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
    Measure(
        "policeuk_outcomes",
        "Crime outcomes (police.uk)",
        "count",
        aggregate=Count(),
        definition="data.police.uk outcome rows (one per outcome event of a crime), by the"
        " outcome's Month; a month with no outcome rows is missing. Break down by outcome_type"
        " for outcomes by category.",
        family="crime",
        source=POLICEUK_OUTCOMES,
        coverage="every_month",
        breakdowns=("outcome_type", "lsoa_code", "falls_within"),
    ),
    Measure(
        "policeuk_charged_pct",
        "Crimes charged or summonsed (police.uk, %)",
        "percent",
        aggregate=Ratio(Count(CHARGED), Count(EVERY)),
        decimals=1,
        good="up",
        definition="100 x street-level crimes (rows with a Crime ID) that have at least one"
        " police.uk outcome whose Outcome type mentions a charge or summons ('Suspect"
        " charged', 'Suspect charged as part of another case', a summons), joined on Crime"
        " ID / all street-level crimes, by the crime's Month. Only months between the first"
        " and last stored outcome Month count (outside them the outcomes are not held), and"
        " outcomes arrive months after the crime, so recent months rise as later outcome"
        " files are loaded.",
        family="crime",
        source=POLICEUK_CHARGED,
        coverage="every_month",
        breakdowns=("crime_type",),
    ),
    Measure(
        "policeuk_searches",
        "Stop and searches (police.uk)",
        "count",
        aggregate=Count(),
        definition="data.police.uk stop-and-search records, by the Europe/London month of"
        " Date; a month with no records is missing. Break down by legislation,"
        " object_of_search, outcome or search_type.",
        family="crime",
        source=POLICEUK_SEARCHES,
        coverage="every_month",
        breakdowns=("legislation", "object_of_search", "outcome", "search_type"),
    ),
    Measure(
        "policeuk_search_arrest_pct",
        "Stop and searches ending in arrest (police.uk, %)",
        "percent",
        aggregate=Ratio(Count(ARREST), Count()),
        decimals=1,
        definition="100 x stop-and-search records whose Outcome is 'Arrest' / all"
        " stop-and-search records, by month of Date (the arrest rate).",
        family="crime",
        source=POLICEUK_SEARCHES,
        coverage="every_month",
        breakdowns=("legislation", "object_of_search", "search_type"),
    ),
    Measure(
        "policeuk_search_linked_pct",
        "Searches with outcome linked to object (police.uk, %)",
        "percent",
        aggregate=Ratio(Count(LINKED), Count()),
        decimals=1,
        good="up",
        definition="100 x stop-and-search records with 'Outcome linked to object of search'"
        " True / all stop-and-search records (a blank counts as not linked), by month of"
        " Date: how often a search found what it was for.",
        family="crime",
        source=POLICEUK_SEARCHES,
        coverage="every_month",
        breakdowns=("legislation", "object_of_search", "search_type"),
    ),
]

#: A crime is recorded or cancelled or neither: the two add up to cancelled_crime_pct's base.
SPLITS = (Split(EITHER, (RECORDED, CANCELLED)),)
