"""Timestamps: offsets become UTC, offset-less text is London time, months are London months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from fixtures.ingest.examples import calls, write_csv
from forcestat.ingest import ingest_file
from forcestat.ingest.validate import london_to_utc
from forcestat.schema import KINDS

LONDON = ZoneInfo("Europe/London")


def load_arrivals(store, tmp_path, texts):
    rows = calls(len(texts))
    for row, text in zip(rows, texts, strict=True):
        row.update(arrived_at=text, answered_at="", ended_at=text)  # a call of no length
    result = ingest_file(store, write_csv(tmp_path / "calls.csv", rows))
    assert result.loaded == len(texts)
    return store.duck.execute(
        "SELECT CAST(arrived_at AS VARCHAR), CAST(month AS VARCHAR) FROM calls ORDER BY _line"
    ).fetchall()


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2022-08-01T10:00:00+01:00", "2022-08-01 09:00:00"),
        ("2022-08-01T10:00:00Z", "2022-08-01 10:00:00"),
        ("2022-08-01 10:00:00-05:00", "2022-08-01 15:00:00"),
        ("2022-08-01T10:00:00.250+0100", "2022-08-01 09:00:00.25"),
        ("2022-08-01T10:00:00", "2022-08-01 09:00:00"),  # BST wall clock
        ("2022-12-01 10:00", "2022-12-01 10:00:00"),  # GMT wall clock
        ("2022-12-01", "2022-12-01 00:00:00"),
    ],
)
def test_timestamp_forms(store, tmp_path, text, utc):
    assert load_arrivals(store, tmp_path, [text])[0][0] == utc


def test_call_just_before_midnight_utc_on_31_march_is_april(store, tmp_path):
    stored = load_arrivals(store, tmp_path, ["2022-03-31T23:30:00Z", "2022-03-31T22:59:59Z"])
    assert stored == [
        ("2022-03-31 23:30:00", "2022-04-01"),  # 00:30 BST on 1 April: FY2022/23
        ("2022-03-31 22:59:59", "2022-03-01"),
    ]


def test_new_year_in_gmt_needs_no_shift(store, tmp_path):
    stored = load_arrivals(store, tmp_path, ["2022-12-31T23:30:00Z"])
    assert stored == [("2022-12-31 23:30:00", "2022-12-01")]


def test_leap_day(store, tmp_path):
    stored = load_arrivals(store, tmp_path, ["2024-02-29 23:59:59"])
    assert stored == [("2024-02-29 23:59:59", "2024-02-01")]


def test_29_february_in_a_common_year_is_quarantined(store, tmp_path):
    rows = calls(1)
    rows[0]["arrived_at"] = "2023-02-29 10:00:00"
    result = ingest_file(store, write_csv(tmp_path / "calls.csv", rows))
    assert (result.loaded, result.quarantined) == (0, 1)


def expected_utc(local: datetime) -> datetime:
    """The documented reading of London wall-clock time: in the changeover hour, GMT."""
    first = local.replace(tzinfo=LONDON, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=LONDON, fold=1).astimezone(UTC)
    if first != second:  # ambiguous (October) or non-existent (March)
        return local
    return first.replace(tzinfo=None)


@pytest.mark.parametrize(
    ("local", "utc", "why"),
    [
        ("2022-03-27 00:59:59", "2022-03-27 00:59:59", "last second of GMT"),
        ("2022-03-27 01:30:00", "2022-03-27 01:30:00", "never happened: read as GMT"),
        ("2022-03-27 02:00:00", "2022-03-27 01:00:00", "first BST hour"),
        ("2022-10-30 00:30:00", "2022-10-29 23:30:00", "BST"),
        ("2022-10-30 01:30:00", "2022-10-30 01:30:00", "happened twice: the GMT one"),
        ("2022-10-30 02:00:00", "2022-10-30 02:00:00", "GMT again"),
    ],
)
def test_clock_change_hours(store, tmp_path, local, utc, why):
    assert load_arrivals(store, tmp_path, [local])[0][0] == utc, why
    assert expected_utc(datetime.fromisoformat(local)) == datetime.fromisoformat(utc)


def test_every_half_hour_around_2022_changes_matches_zoneinfo(store, tmp_path):
    locals_ = []
    for day in (datetime(2022, 3, 26), datetime(2022, 10, 29)):
        locals_ += [day + timedelta(minutes=30 * i) for i in range(96)]
    stored = load_arrivals(store, tmp_path, [t.isoformat(sep=" ") for t in locals_])
    assert [s[0] for s in stored] == [str(expected_utc(t)) for t in locals_]


def test_date_arithmetic_agrees_with_icu_1996_to_2099():
    # the fast UK rule used at ingest against the time-zone database, every 10 minutes
    # through every March and October changeover day, plus month starts
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    ts = "ts"
    fast = london_to_utc(ts)
    icu = f"timezone('UTC', timezone('Europe/London', {ts}))"
    days = """SELECT d + INTERVAL (m) MINUTE AS ts FROM (
        SELECT unnest([make_date(y, 3, 31) - CAST(dayofweek(make_date(y, 3, 31)) AS INTEGER),
                       make_date(y, 10, 31) - CAST(dayofweek(make_date(y, 10, 31)) AS INTEGER),
                       make_date(y, 4, 1), make_date(y, 11, 1), make_date(y, 1, 1)]) AS d
        FROM range(1996, 2100) r(y)), range(-60, 1500, 10) s(m)"""
    diff = con.execute(f"SELECT count(*), count(*) FILTER ({fast} <> {icu}) FROM ({days})")
    n, wrong = diff.fetchone()
    assert n > 50_000 and wrong == 0


def test_month_sql_agrees_with_icu():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    month = KINDS["calls"].month_sql.replace("arrived_at", "ts")
    icu = "CAST(date_trunc('month', timezone('Europe/London', timezone('UTC', ts))) AS DATE)"
    instants = """SELECT make_timestamp(y, mo, 1, 0, 0, 0) + INTERVAL (m) MINUTE AS ts
        FROM range(1990, 2100) a(y), range(1, 13) b(mo), range(-120, 120, 15) c(m)"""
    n, wrong = con.execute(
        f"SELECT count(*), count(*) FILTER ({month} <> {icu}) FROM ({instants})"
    ).fetchone()
    assert n > 20_000 and wrong == 0
