"""Reporting periods at their edges: financial-year turn, clock changes, leap days, labels."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixtures.ingest.examples import calls, write_csv
from forcestat.errors import PeriodError
from forcestat.ingest import ingest_file
from forcestat.periods import (
    Period,
    fiscal_quarter_of,
    fy,
    fy_label,
    fy_start_year,
    fytd,
    local_month,
    month,
    month_range,
    parse_period,
    rolling12,
)


# -- the financial year turns between 31 March and 1 April --------------------------------------
def test_financial_year_runs_april_to_march():
    p = parse_period("FY2022/23")
    assert (p.start, p.end, p.label) == (date(2022, 4, 1), date(2023, 4, 1), "FY2022/23")
    assert not p.contains(date(2022, 3, 31))
    assert p.contains(date(2022, 4, 1)) and p.contains(date(2023, 3, 31))
    assert not p.contains(date(2023, 4, 1))
    assert parse_period("2022/23") == p
    assert len(p.months()) == 12


@pytest.mark.parametrize(
    ("day", "fy_start"),
    [(date(2022, 3, 31), 2021), (date(2022, 4, 1), 2022), (date(2023, 3, 31), 2022)],
)
def test_fy_of_a_day(day, fy_start):
    assert fy_start_year(day) == fy_start


def test_call_at_2330_utc_on_31_march_is_april_and_fy_2022_23():
    moment = datetime(2022, 3, 31, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 April
    m = local_month(moment)
    assert m == date(2022, 4, 1)
    assert fy_label(fy_start_year(m)) == "FY2022/23"


def test_call_at_2330_utc_on_31_march_is_stored_in_april(store, tmp_path):
    rows = calls(2)
    rows[0].update(
        arrived_at="2022-03-31T23:30:00Z", answered_at="", ended_at="2022-04-01T00:00:00Z"
    )
    rows[1].update(
        arrived_at="2022-03-31T22:30:00Z", answered_at="", ended_at="2022-04-01T00:00:00Z"
    )
    ingest_file(store, write_csv(tmp_path / "calls.csv", rows))
    months = dict(store.duck.execute("SELECT call_id, month FROM calls").fetchall())
    assert months == {"C0": date(2022, 4, 1), "C1": date(2022, 3, 1)}
    assert parse_period("FY2022/23").contains(months["C0"])
    assert parse_period("FY2021/22").contains(months["C1"])


# -- clock changes: 27 March 2022 (to BST) and 30 October 2022 (to GMT) -------------------------
@pytest.mark.parametrize(
    ("utc", "london_month"),
    [
        (datetime(2022, 3, 27, 0, 30), date(2022, 3, 1)),  # GMT, change day
        (datetime(2022, 3, 27, 1, 30), date(2022, 3, 1)),  # 02:30 BST
        (datetime(2022, 9, 30, 23, 30), date(2022, 10, 1)),  # 00:30 BST, 1 October
        (datetime(2022, 10, 30, 0, 30), date(2022, 10, 1)),  # 01:30 BST, first time
        (datetime(2022, 10, 30, 1, 30), date(2022, 10, 1)),  # 01:30 GMT, second time
        (datetime(2022, 10, 31, 23, 30), date(2022, 10, 1)),  # GMT: still October
        (datetime(2022, 12, 31, 23, 59), date(2022, 12, 1)),
    ],
)
def test_local_month_across_clock_changes(utc, london_month):
    assert local_month(utc) == london_month  # naive datetimes are UTC
    assert local_month(utc.replace(tzinfo=UTC)) == london_month


def test_months_containing_clock_changes_are_whole_months():
    march, october = parse_period("2022-03"), parse_period("2022-10")
    assert (march.start, march.end) == (date(2022, 3, 1), date(2022, 4, 1))
    assert (october.start, october.end) == (date(2022, 10, 1), date(2022, 11, 1))
    assert march.contains(date(2022, 3, 27)) and october.contains(date(2022, 10, 30))


# -- leap days -------------------------------------------------------------------------------
def test_leap_day_is_a_date_and_29_february_2023_is_not():
    p = parse_period("2024-02-29")
    assert (p.start, p.end, p.grain, p.label) == (
        date(2024, 2, 29),
        date(2024, 3, 1),
        "date",
        "2024-02-29",
    )
    assert month(date(2024, 2, 1)).contains(date(2024, 2, 29))
    with pytest.raises(PeriodError, match="not a date"):
        parse_period("2023-02-29")


def test_leap_day_last_year_and_month_before():
    assert parse_period("2024-02-29").same_period_last_year().label == "2023-02-28"
    assert parse_period("2024-03-31").previous().label == "2024-02-29"
    assert parse_period("2025-02-28").same_period_last_year().label == "2024-02-28"


# -- comparisons -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "previous", "last_year"),
    [
        ("2022-08", "2022-07", "2021-08"),
        ("2022-01", "2021-12", "2021-01"),
        ("2022-08..2022-10", "2022-05..2022-07", "2021-08..2021-10"),
        ("FY2022/23", "FY2021/22", "FY2021/22"),
        ("FY2022/23 Q2", "FY2022/23 Q1", "FY2021/22 Q2"),
        ("FY2022/23 Q1", "FY2021/22 Q4", "FY2021/22 Q1"),
        ("FY2022/23 to 2022-10", "FY2022/23 to 2022-09", "FY2021/22 to 2021-10"),
        ("2022", "2021", "2021"),
        ("R12 2022-10", "R12 2021-10", "R12 2021-10"),
    ],
)
def test_previous_and_same_period_last_year(text, previous, last_year):
    p = parse_period(text)
    assert p.previous().label == previous
    assert p.same_period_last_year().label == last_year
    assert p.previous().n_months == p.n_months or p.grain == "fytd"


def test_year_to_date_in_april_compares_with_march():
    p = parse_period("FY2022/23 to 2022-04")
    assert p.previous() == parse_period("2022-03")


def test_rolling_twelve_months():
    p = parse_period("R12 2022-10")
    assert (p.start, p.end, p.n_months) == (date(2021, 11, 1), date(2022, 11, 1), 12)


def test_split_into_quarters_and_months():
    quarters = parse_period("FY2022/23").split("quarter")
    assert [q.label for q in quarters] == [f"FY2022/23 Q{i}" for i in range(1, 5)]
    seed = parse_period("2022-08..2022-10")
    assert [m.label for m in seed.split("month")] == ["2022-08", "2022-09", "2022-10"]
    # August-September is part of Q2, October starts Q3: clipped pieces
    assert [q.label for q in seed.split("quarter")] == ["2022-08..2022-09", "2022-10"]
    assert seed.split("total") == [seed]


@pytest.mark.parametrize(
    "text", ["2022-13", "FY2022/24", "FY2022/23 to 2023-04", "2022-10..2022-08", "soon", ""]
)
def test_bad_periods_raise_period_error(text):
    with pytest.raises(PeriodError):
        parse_period(text)


# -- labels round-trip ---------------------------------------------------------------------------
months = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)).map(
    lambda d: date(d.year, d.month, 1)
)
periods = st.one_of(
    months.map(month),
    st.integers(1990, 2090).map(fy),
    months.map(fiscal_quarter_of),
    months.map(fytd),
    months.map(rolling12),
    st.tuples(months, months).map(lambda ab: month_range(min(ab), max(ab))),
    st.integers(1990, 2090).map(lambda y: Period(date(y, 1, 1), date(y + 1, 1, 1), "year")),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)).map(
        lambda d: parse_period(d.isoformat())
    ),
)


@given(periods)
def test_labels_round_trip(p):
    assert parse_period(p.label) == p
    assert parse_period(str(p)).label == p.label


@given(periods)
def test_previous_period_ends_where_this_one_starts_for_whole_months(p):
    if p.grain in ("fytd", "date"):
        return
    assert p.previous().end == p.start
