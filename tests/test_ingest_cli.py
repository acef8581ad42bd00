"""`forcestat ingest` and `forcestat quarantine` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from fixtures.ingest.examples import calls, write_csv
from forcestat.cli import app
from forcestat.store import Store

runner = CliRunner()


def run_main(*args, env=None):
    """The installed entry point (forcestat.cli:main), which maps errors to exit codes."""
    return subprocess.run(
        [sys.executable, "-c", "from forcestat.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_ingest_json_prints_one_object_per_file(tmp_path, db_path):
    rows = calls(4)
    rows[0]["channel"] = "9"
    a = write_csv(tmp_path / "a.csv", rows)
    b = write_csv(tmp_path / "b.csv", calls(2, start=10))
    result = runner.invoke(app, ["ingest", str(a), str(b), "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [
        {
            "file": str(a),
            "kind": "calls",
            "status": "loaded",
            "read": 4,
            "loaded": 3,
            "quarantined": 1,
            "skipped_duplicates": 0,
            "replaced": 0,
            "deleted": 0,
            "filtered": 0,
        },
        {
            "file": str(b),
            "kind": "calls",
            "status": "loaded",
            "read": 2,
            "loaded": 2,
            "quarantined": 0,
            "skipped_duplicates": 0,
            "replaced": 0,
            "deleted": 0,
            "filtered": 0,
        },
    ]


def test_ingest_table_and_quarantine_listing(tmp_path, db_path, monkeypatch):
    rows = calls(3)
    rows[2]["arrived_at"] = "31/12/2022"
    write_csv(tmp_path / "calls.csv", rows)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["ingest", "calls.csv", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.stdout and "calls.csv" in result.stdout
    listing = runner.invoke(app, ["quarantine", "--db", str(db_path)])
    assert listing.exit_code == 0
    assert "invalid_timestamp" in listing.stdout
    as_json = runner.invoke(app, ["quarantine", "--db", str(db_path), "--json"])
    (row,) = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert (row["line"], row["column"], row["rule"]) == (4, "arrived_at", "invalid_timestamp")
    assert "31/12/2022" in row["reason"] and "31/12/2022" in row["raw"]


def test_ingest_folder_with_kind_and_db_from_environment(tmp_path, db_path, monkeypatch):
    folder = tmp_path / "records"
    folder.mkdir()
    write_csv(folder / "one.csv", calls(2))
    write_csv(folder / "two.csv", calls(2, start=2))
    monkeypatch.setenv("FORCESTAT_DB", str(db_path))
    result = runner.invoke(app, ["ingest", str(folder), "--kind", "calls", "--json"])
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["loaded"] for x in result.stdout.splitlines()] == [2, 2]
    with Store.open(db_path) as store:
        assert store.duck.execute("SELECT count(*) FROM calls").fetchone() == (4,)


def test_replace_flag(tmp_path, db_path):
    write_csv(tmp_path / "a.csv", calls(2))
    rows = calls(2)
    rows[1]["district"] = "Dover"
    write_csv(tmp_path / "b.csv", rows)
    db = ["--db", str(db_path), "--json"]
    runner.invoke(app, ["ingest", str(tmp_path / "a.csv"), *db])
    conflict = runner.invoke(app, ["ingest", str(tmp_path / "b.csv"), *db])
    assert json.loads(conflict.stdout)["quarantined"] == 1
    replaced = runner.invoke(app, ["ingest", str(tmp_path / "b.csv"), "--replace", *db])
    assert json.loads(replaced.stdout)["loaded"] == 1
    with Store.open(db_path) as store:
        assert store.duck.execute("SELECT count(*) FROM audit").fetchone() == (1,)


def test_missing_column_exits_2_with_one_line_and_loads_nothing_of_that_file(tmp_path, db_path):
    good = write_csv(tmp_path / "good.csv", calls(2))
    assert run_main("ingest", str(good), "--db", str(db_path)).returncode == 0
    bad = write_csv(tmp_path / "bad.csv", [{"call_id": "X", "channel": "999"}])
    done = run_main("ingest", str(good), str(bad), "--db", str(db_path), "--kind", "calls")
    assert done.returncode == 2
    message = done.stderr.strip()
    assert "\n" not in message
    assert str(bad) in message and "arrived_at, ended_at" in message
    with Store.open(db_path) as store:
        # each file is judged on its own: good.csv was read again (nothing new), bad.csv not
        assert store.duck.execute("SELECT count(*) FROM calls").fetchone() == (2,)
        logged = store.duck.execute("SELECT file FROM load_log").fetchall()
        assert (str(bad),) not in logged


def test_empty_file_exits_2(tmp_path, db_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    done = run_main("ingest", str(empty), "--db", str(db_path))
    assert done.returncode == 2
    assert "empty.csv: file is empty" in done.stderr


def test_quarantine_filters_by_load(tmp_path, db_path):
    bad = calls(2)
    bad[0]["channel"] = "0"
    write_csv(tmp_path / "a.csv", bad)
    bad[1]["channel"] = "112"
    write_csv(tmp_path / "b.csv", bad)  # an edited copy: a different file
    db = ["--db", str(db_path)]
    runner.invoke(app, ["ingest", str(tmp_path / "a.csv"), *db])
    runner.invoke(app, ["ingest", str(tmp_path / "b.csv"), *db])  # load 2 quarantines its rows
    listed = runner.invoke(app, ["quarantine", *db, "--json", "--load", "2"])
    assert [json.loads(x)["load_id"] for x in listed.stdout.splitlines()] == [2, 2]
