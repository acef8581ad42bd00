"""Periods read and print back for every year from 1 to 9999, and refuse what lies beyond."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forcestat.errors import PeriodError
from forcestat.periods import fy_label, month_label, parse_period

days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 30))
months = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 11, 30))


@given(months)
def test_every_month_round_trips(d: date) -> None:
    p = parse_period(month_label(d))
    assert p.label == month_label(d)
    assert len(p.label.split("-")[0]) == 4


@given(days)
def test_every_day_round_trips(d: date) -> None:
    p = parse_period(d.isoformat())
    assert p.label == d.isoformat() and parse_period(p.label) == p
    assert p.end == d + timedelta(days=1)


@given(months, months)
def test_every_range_round_trips(a: date, b: date) -> None:
    a, b = min(a, b), max(a, b)
    p = parse_period(f"{month_label(a)}..{month_label(b)}")
    assert parse_period(p.label) == p


@given(st.integers(min_value=1, max_value=9997))
def test_financial_years_and_years_to_date_round_trip(y: int) -> None:
    fy = parse_period(fy_label(y))
    assert parse_period(fy.label) == fy
    ytd = parse_period(f"{fy_label(y)} to {y:04d}-06")
    assert parse_period(ytd.label) == ytd


@pytest.mark.parametrize(
    "text", ["0000-01", "10000-01", "9999-12", "9999-12-31", "FY9999/00", "0000-01-01"]
)
def test_beyond_the_calendar_is_a_period_error(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


def test_comparisons_of_the_first_month_are_refused_not_crashed() -> None:
    with pytest.raises(PeriodError):
        parse_period("0001-01").previous()
