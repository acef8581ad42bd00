"""police.uk measures: outcomes joined to crimes, stop and search, from a made-up force's
files for one month (tests/fixtures/policeuk/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forcestat.ingest import ingest_paths
from forcestat.measures import breakdown, value_of

FIX = Path(__file__).parent / "fixtures" / "policeuk"


@pytest.fixture
def puk(store):
    ingest_paths(store, [FIX])
    return store


def test_crimes_asb_and_outcomes_are_counted(puk):
    assert value_of(puk, "policeuk_crimes", "2023-02") == 3
    assert value_of(puk, "policeuk_asb", "2023-02") == 1
    assert value_of(puk, "policeuk_outcomes", "2023-02") == 3


def test_outcomes_by_category(puk):
    by = breakdown(puk, "policeuk_outcomes", "2023-02", "outcome_type")
    got = dict(zip(by["outcome_type"], by["value"], strict=True))
    assert got == {"Suspect charged": 2, "Investigation complete; no suspect identified": 1}


def test_share_of_crimes_charged_joins_outcomes_on_crime_id(puk):
    # c2 and c3 have a 'Suspect charged' outcome, c1 does not: 2 of 3
    assert value_of(puk, "policeuk_charged_pct", "2023-02") == pytest.approx(200 / 3)


def test_share_charged_is_missing_without_outcomes(store):
    ingest_paths(store, [FIX / "2023-02-borsetshire-street.csv"])
    assert value_of(store, "policeuk_charged_pct", "2023-02") is None


def test_searches_by_month_legislation_object_and_outcome(puk):
    assert value_of(puk, "policeuk_searches", "2023-02") == 3
    by = breakdown(puk, "policeuk_searches", "2023-02", "legislation")
    got = dict(zip(by["legislation"], by["value"], strict=True))
    assert got == {
        "Misuse of Drugs Act 1971 (section 23)": 2,
        "Police and Criminal Evidence Act 1984 (section 1)": 1,
    }
    for col in ("object_of_search", "outcome", "search_type"):
        assert breakdown(puk, "policeuk_searches", "2023-02", col)["value"].sum() == 3


def test_arrest_rate_and_linked_share(puk):
    assert value_of(puk, "policeuk_search_arrest_pct", "2023-02") == pytest.approx(200 / 3)
    # one search has the outcome linked; a blank counts as not linked
    assert value_of(puk, "policeuk_search_linked_pct", "2023-02") == pytest.approx(100 / 3)
