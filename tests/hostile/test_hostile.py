"""Every hostile input: exit 0 or 2, one line and no traceback, every record accounted for,
and a refused file leaves every table of the store exactly as it was."""

from __future__ import annotations

import json
import sys

import pytest
from cases import CASES, Case

from forcestat.cli import main
from forcestat.store import Store


def checksums(db) -> dict[str, tuple[int, int]]:
    """Row count and checksum of every table."""
    with Store.open(db) as store:
        return store.checksums()


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["forcestat", *args])
    try:
        main()
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("hostile", CASES, ids=[c.name for c in CASES])
def test_hostile_input(hostile: Case, tmp_path, monkeypatch, capsys):
    db = tmp_path / "store.duckdb"
    Store.open(db).close()
    before = checksums(db)
    work = tmp_path / "in"
    work.mkdir()
    paths = hostile.make(work)
    code, out, err = run_cli(
        monkeypatch, capsys, "ingest", *map(str, paths), "--db", str(db), "--json"
    )
    assert "Traceback" not in err and "Traceback" not in out
    assert code in (0, 2), err
    if hostile.exit is not None:
        assert code == hostile.exit, f"exit {code}: {err}"
    if code == 2:
        assert err.strip(), "a refusal says why"
        assert len(err.strip().splitlines()) == 1, err
        if hostile.says:
            assert hostile.says in err, err
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    for r in lines:
        if r["status"] == "loaded":
            assert r["read"] == r["loaded"] + r["quarantined"] + r["skipped_duplicates"], r
        else:
            assert r["error"], r
    if hostile.expect:
        assert lines, "every file's outcome is printed, whatever the exit code"
        for key, value in hostile.expect.items():
            assert lines[0][key] == value, (key, lines[0])
    after = checksums(db)
    if not any(r["status"] == "loaded" for r in lines):
        assert after == before, "a refused load leaves the store as it was"
    with Store.open(db) as store:
        if hostile.rules:
            found = {r[0] for r in store.duck.execute("SELECT rule FROM quarantine").fetchall()}
            assert set(hostile.rules) <= found, found
        if hostile.check:
            assert store.duck.execute(f"SELECT {hostile.check}").fetchone() == (True,)
        # lineage: every stored row's load is in load_log
        for kind in ("calls", "staffing"):
            orphan = store.duck.execute(
                f"SELECT count(*) FROM {kind} WHERE _load_id NOT IN (SELECT load_id FROM load_log)"
            ).fetchone()
            assert orphan == (0,)
