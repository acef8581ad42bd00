"""police.uk street-level measures on the real City of London files in ../shared.

Expected values are counted straight from the CSV files with the csv module, independently of
ingest and the engine.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from forcestat.ingest import ingest_paths
from forcestat.measures import breakdown, evaluate, value_of
from forcestat.store import Store

pytestmark = pytest.mark.shared


SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="module")
def street_files():
    """The street files (module-scoped, so the shared fixture's skip is repeated here)."""
    folder = SHARED / "data" / "police-uk-city-of-london"
    files = sorted(folder.glob("*-street.csv"))
    if not files:
        pytest.skip(f"needs ../shared (no police.uk street files at {folder})")
    return files


def count_rows(files):
    """Crimes and ASB by month, and crimes by (year, type), counted from the files as
    published (ingest keeps police.uk rows as published, repeats included)."""
    crimes, asb, types = Counter(), Counter(), Counter()
    for f in files:
        with f.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                if (row["Crime ID"] or "").strip():
                    crimes[row["Month"]] += 1
                    types[(row["Month"][:4], row["Crime type"])] += 1
                else:
                    asb[row["Month"]] += 1
    return crimes, asb, types


@pytest.fixture(scope="module")
def gap_store(street_files):
    """Every street file except June 2019: police.uk has gaps like this."""
    s = Store.open(":memory:")
    ingest_paths(s, [f for f in street_files if not f.name.startswith("2019-06")])
    yield s
    s.close()


def test_monthly_crimes_and_asb_match_the_files(gap_store, street_files):
    crimes, asb, _ = count_rows(street_files)
    df = evaluate(gap_store, ["policeuk_crimes", "policeuk_asb"], "2019-04..2019-08", "month",
                  comparisons=False)  # fmt: skip
    got = {(r.measure, r.period): r.value for r in df.itertuples()}
    for month in ("2019-04", "2019-05", "2019-07", "2019-08"):
        assert got[("policeuk_crimes", month)] == crimes[month]
        assert got[("policeuk_asb", month)] == asb[month]


def test_a_missing_month_is_missing_not_zero(gap_store):
    df = evaluate(gap_store, ["policeuk_crimes"], "2019-06", comparisons=False)
    assert df.value.isna().all()
    assert "2019-06" in df.note.iloc[0]
    # and a year containing it has no total either
    assert value_of(gap_store, "policeuk_crimes", "FY2019/20") is None


def test_a_full_financial_year_is_the_sum_of_its_files(street_files):
    crimes, _, types = count_rows(street_files)
    with Store.open(":memory:") as s:
        ingest_paths(s, street_files)
        fy = [f"2020-{m:02d}" for m in range(4, 13)] + [f"2021-{m:02d}" for m in range(1, 4)]
        assert value_of(s, "policeuk_crimes", "FY2020/21") == sum(crimes[m] for m in fy)
        by_type = breakdown(s, "policeuk_crimes", "2019-01..2019-12", "crime_type")
        expected = {t: n for (y, t), n in types.items() if y == "2019"}
        assert dict(zip(by_type.crime_type, by_type.value, strict=True)) == expected
