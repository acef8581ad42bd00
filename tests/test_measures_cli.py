"""``forcestat measures`` from the command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from fixtures.measures.loader import load_records
from forcestat.store import Store


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "fx.duckdb"
    with Store.open(path) as s:
        load_records(s)
    return str(path)


def run(*args):
    return subprocess.run(
        [sys.executable, "-c", "from forcestat.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_csv_rows_carry_plain_numbers_and_comparisons(db):
    r = run("measures", "--db", db, "--period", "2022-04", "-m", "calls_999_pct_not_answered",
            "-m", "calls_999_avg_queue_seconds", "--format", "csv")  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = {row["measure"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    pct = rows["calls_999_pct_not_answered"]
    assert float(pct["value"]) == 25.0  # percent as 25.0, not 0.25
    assert pct["unit"] == "percent"
    assert pct["previous_period"] == "2022-03" and float(pct["previous_value"]) == 0.0
    assert float(rows["calls_999_avg_queue_seconds"]["value"]) == 26.5  # seconds


def test_json_output(db):
    r = run("measures", "--db", db, "--period", "FY2022/23 to 2022-05", "-m",
            "calls_999_received", "--format", "json")  # fmt: skip
    rows = json.loads(r.stdout)
    assert rows[0]["period"] == "FY2022/23 to 2022-05"
    assert rows[0]["value"] == 5


def test_table_reads_like_a_board_paper(db):
    r = run("measures", "--db", db, "--period", "2022-04", "-m", "calls_101_avg_queue_seconds",
            "-m", "calls_999_pct_not_answered")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "10m 0s" in r.stdout  # c08 waited 600 s
    assert "25.00%" in r.stdout


def test_parquet_needs_out_and_writes_a_file(db, tmp_path):
    out = tmp_path / "m.parquet"
    r = run("measures", "--db", db, "--period", "2022-08", "-m", "crime", "--format", "parquet",
            "--out", str(out))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert set(pd.read_parquet(out).measure) >= {"recorded_crime", "cancelled_crime_pct"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["-m", "calls_999_recieved", "--period", "2022-04"], "calls_999_received"),
        (["--period", "2022-13"], "FY2022/23 to 2022-10"),
        (["--period", "2022-04", "--grain", "week"], "quarter"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(db, args, says):
    r = run("measures", "--db", db, *args)
    assert r.returncode == 2
    assert says in r.stderr
    assert "Traceback" not in r.stderr


def test_a_missing_store_is_an_input_error_not_a_new_empty_file(tmp_path):
    missing = tmp_path / "nope.duckdb"
    r = run("measures", "--db", str(missing), "--period", "2022-08")
    assert r.returncode == 2 and "forcestat ingest" in r.stderr
    assert not missing.exists()


def test_breakdown_by_crime_type(db):
    r = run("measures", "--db", db, "--period", "2022-08..2022-10", "-m", "policeuk_crimes",
            "--by", "crime_type", "--format", "csv")  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["crime_type"], x["value"]) for x in rows] == [
        ("Burglary", "2"),
        ("Shoplifting", "1"),
        ("Vehicle crime", "1"),
    ]
    assert "no policeuk_street data for 2022-09" in r.stderr  # the gap, kept out of the CSV


def test_an_unknown_measure_fails_before_any_store_opens(monkeypatch, tmp_path):
    # on Spark, opening the store starts a session (tens of seconds) before a typo was seen
    from typer.testing import CliRunner

    from forcestat import cli
    from forcestat.commands import measures as command

    def never(*args, **kwargs):
        raise AssertionError("the store was opened")

    monkeypatch.setattr(command, "open_store", never)
    words = ["measures", "--db", "spark://local[2]", "--lake", str(tmp_path)]
    got = CliRunner().invoke(cli.app, [*words, "--period", "2022-08", "-m", "nosuch"])
    assert got.exit_code != 0 and "unknown measure 'nosuch'" in str(got.exception or got.output)
