"""Figures that were wrong when tried, each pinned by an example (issue: one source of truth).

Fixture calls (tests/fixtures/measures/calls.csv): on 31 March 2022 (BST) call c02 arrived at
23:30 London time; c04 arrived at 00:30 on 1 April London time (23:30 UTC on the 31st).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fixtures.measures.loader import HERE, load_csv, load_records
from forcestat.measures import evaluate, value_of
from forcestat.measures.format import display_rows, export_frame
from forcestat.periods import parse_period
from forcestat.store import Store


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "fx.duckdb"
    with Store.open(path) as s:
        load_records(s)
    return str(path)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from forcestat.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_day_counts_that_day_not_its_month(db: str) -> None:
    with Store.open(db, read_only=True) as s:
        assert value_of(s, "calls_999_received", "2022-03") == 2  # c01, c02
        assert value_of(s, "calls_999_received", "2022-03-31") == 1  # c02 only
        assert value_of(s, "calls_999_received", "2022-04-01") == 1  # c04, 00:30 BST
        # a ratio and a mean over one day come from that day's rows
        assert value_of(s, "calls_999_avg_queue_seconds", "2022-03-31") == 20.0


def test_a_monthly_average_over_a_day_is_missing_with_a_reason(db: str) -> None:
    with Store.open(db, read_only=True) as s:
        df = evaluate(s, ["letters_sent_monthly_average"], "2022-08-10", comparisons=False)
    assert df["value"].isna().all()
    assert "whole months" in df["note"].iloc[0]


def test_no_records_is_not_zero(tmp_path: Path) -> None:
    """A store with calls only: volunteer figures are n/a, never 0."""
    with Store.open(tmp_path / "calls-only.duckdb") as s:
        load_csv(s, "calls", HERE / "calls.csv")
        df = evaluate(s, None, "FY2022/23 to 2022-05", comparisons=False)
    values = dict(zip(df["measure"], df["value"], strict=True))
    assert values["calls_999_received"] == 5
    assert pd.isna(values["specials_accepted_into_regular_force"])
    assert pd.isna(values["special_constables"])
    not_calls = df[~df["measure"].str.startswith("calls_")]
    assert not_calls["value"].isna().all(), not_calls[not_calls["value"].notna()]
    assert not_calls["note"].notna().all()


def test_overlapping_periods_are_not_tested(db: str) -> None:
    with Store.open(db, read_only=True) as s:
        row = evaluate(s, ["calls_999_received"], "FY2022/23 to 2022-05").iloc[0]
    assert row["previous_period"] == "FY2022/23 to 2022-04"
    assert row["significant"] is None
    assert "overlaps" in row["significance_note"]
    assert "not tested" in row["significance_note"]


def test_averages_say_they_are_not_tested(db: str) -> None:
    with Store.open(db, read_only=True) as s:
        row = evaluate(s, ["calls_999_avg_queue_seconds"], "2022-04").iloc[0]
    assert row["significant"] is None
    assert row["significance_note"].startswith("not tested")


def test_changes_of_percentages_are_percentage_points(db: str) -> None:
    with Store.open(db, read_only=True) as s:
        df = evaluate(s, ["calls_999_pct_not_answered", "calls_999_received"], "2022-04")
    shown = {r["measure"]: r for r in display_rows(df)}
    # March 0% not answered, April 1 of 4 = 25%: +25.00pp, not a % change of a percentage
    assert shown["calls_999_pct_not_answered"]["change"] == "+25.00pp"
    assert shown["calls_999_received"]["change"].endswith("%")
    units = dict(zip(df["measure"], export_frame(df)["change_unit"], strict=True))
    assert units == {"calls_999_pct_not_answered": "pp", "calls_999_received": "count"}


def test_by_honours_grain_month(db: str) -> None:
    r = run("measures", "--db", db, "--period", "2022-08..2022-10", "-m", "policeuk_crimes",
            "--by", "crime_type", "--grain", "month", "--format", "json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert {x["period"] for x in rows} == {"2022-08", "2022-10"}  # no police.uk data for 09
    aug = {x["crime_type"]: x["value"] for x in rows if x["period"] == "2022-08"}
    assert aug["Burglary"] == 2
    assert "2022-09" in r.stderr  # the month without data is named


def test_rows_with_no_value_are_labelled_none(tmp_path: Path) -> None:
    src = (HERE / "policeuk_street.csv").read_text().splitlines()
    src[1] = src[1].replace("E01024001", "")  # aaa1 has no LSOA
    f = tmp_path / "policeuk_street.csv"
    f.write_text("\n".join(src) + "\n")
    db = tmp_path / "p.duckdb"
    with Store.open(db) as s:
        load_csv(s, "policeuk_street", f)
    r = run("measures", "--db", str(db), "--period", "2022-08", "-m", "policeuk_crimes",
            "--by", "lsoa_code", "--format", "csv")  # fmt: skip
    assert r.returncode == 0, r.stderr
    codes = [row["lsoa_code"] for row in csv.DictReader(io.StringIO(r.stdout))]
    assert "(none)" in codes and "nan" not in codes


def test_csv_cells_that_look_like_formulas_are_neutralised(tmp_path: Path) -> None:
    src = (HERE / "policeuk_street.csv").read_text().splitlines()
    src[1] = src[1].replace("Burglary", '"=HYPERLINK(""http://x"",""y"")"')
    f = tmp_path / "policeuk_street.csv"
    f.write_text("\n".join(src) + "\n")
    db = tmp_path / "p.duckdb"
    with Store.open(db) as s:
        load_csv(s, "policeuk_street", f)
    r = run("measures", "--db", str(db), "--period", "2022-08", "-m", "policeuk_crimes",
            "--by", "crime_type", "--format", "csv")  # fmt: skip
    assert r.returncode == 0, r.stderr
    types = [row["crime_type"] for row in csv.DictReader(io.StringIO(r.stdout))]
    assert '\'=HYPERLINK("http://x","y")' in types
    assert not any(t.startswith("=") for t in types)


def test_default_lists_measures_with_data_and_all_lists_every_one(db: str) -> None:
    few = run("measures", "--db", db, "--period", "2022-04", "--no-comparisons")
    every = run("measures", "--db", db, "--period", "2022-04", "--no-comparisons", "--all")
    assert few.returncode == every.returncode == 0, few.stderr + every.stderr
    assert "s136_detentions" not in few.stdout and "s136_detentions" in every.stdout
    assert "calls_999_received" in few.stdout
    assert "--all shows them" in few.stdout


def test_a_store_with_a_record_in_year_1_still_reports(tmp_path: Path) -> None:
    """Year 1 is labelled 0001-01, and a range from it reads back."""
    p = parse_period("0001-01..2022-10")
    assert p.label == "0001-01..2022-10"
    assert parse_period(p.label) == p


def test_a_record_in_year_1_does_not_break_comparisons(tmp_path: Path) -> None:
    """A s.136 record dated 0001-01-01 beside real ones: figures and comparisons still come."""
    f = tmp_path / "s136.csv"
    f.write_text(
        "detention_id,detained_at,district,place_of_safety,age_band\n"
        "old,0001-01-01T12:00:00Z,Dover,health,18_plus\n"
        "d1,2022-10-10T12:00:00Z,Dover,health,18_plus\n"
    )
    with Store.open(tmp_path / "s.duckdb") as s:
        from forcestat.ingest import ingest_paths

        ingest_paths(s, [f], kind="s136_detentions")
        first = evaluate(s, ["s136_detentions"], "0001-01")
        late = evaluate(s, ["s136_detentions"], "2022-08..2022-10")
    assert first["previous_period"].iloc[0] is None  # nothing before the year 1
    assert late["period"].iloc[0] == "2022-08..2022-10"
