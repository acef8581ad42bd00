"""SIGKILL a load at random points, including while DuckDB writes the commit.

A child process runs ``forcestat ingest`` on a large file (and, separately, a large
``--replace``); the test kills it either at a random moment of the load or the moment the
write-ahead log (``.wal``) starts to grow for the data commit. After each kill, opening the
store must give exactly the store before or exactly a clean full load -- every table's row
count and checksum -- with ``load_log`` agreeing with the rows' load ids, and a second load
must succeed. ``FORCESTAT_KILL_TRIALS`` (default 10 each) and ``FORCESTAT_KILL_ROWS`` (default
150,000) size it.

The rows must fill more than one of DuckDB's row groups (122,880 rows): only then does DuckDB
write row groups to the file optimistically, before the commit, which is the path that tore
stores in two (the test checks the reference load has several row groups).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from forcestat.ingest import ingest_file
from forcestat.store import Store

TRIALS = int(os.environ.get("FORCESTAT_KILL_TRIALS", "10"))
ROWS = int(os.environ.get("FORCESTAT_KILL_ROWS", "150000"))
#: columns that hold the wall-clock time of a load, different in every run
CLOCK_COLUMNS = {"loaded_at", "replaced_at", "started_at", "finished_at"}

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")


def write_calls(path: Path, rows: int, district: str) -> Path:
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'C' || i AS call_id, CASE WHEN i % 3 = 0 THEN '101' ELSE '999' END
                  AS channel,
                  strftime(TIMESTAMP '2022-04-01' + to_seconds(i * 7), '%Y-%m-%dT%H:%M:%S')
                  AS arrived_at,
                  strftime(TIMESTAMP '2022-04-01' + to_seconds(i * 7 + 5), '%Y-%m-%dT%H:%M:%S')
                  AS answered_at,
                  strftime(TIMESTAMP '2022-04-01' + to_seconds(i * 7 + 200), '%Y-%m-%dT%H:%M:%S')
                  AS ended_at,
                  CASE WHEN i % 501 = 0 THEN '' ELSE '{district}' END AS district,
                  CASE WHEN i % 997 = 0 THEN 'bad' ELSE 'A' || (i % 50) END AS agent_id
            FROM range({rows}) t(i)) TO '{path}' (HEADER)"""
    )
    # a few rows break a rule, so quarantine is written in the same commit
    con.close()
    return path


def state(db: Path) -> dict[str, tuple[int, int]]:
    """Row count and checksum of every table (clock columns left out), after recovery."""
    with Store.open(db) as store:
        con = store.duck
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_name <> 'load_journal' ORDER BY 1"
            ).fetchall()
        ]
        out = {}
        for t in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position",
                    [t],
                ).fetchall()
                if r[0] not in CLOCK_COLUMNS
            ]
            quoted = ", ".join(f'"{c}"' for c in cols)
            row = con.execute(
                f'SELECT count(*), coalesce(sum(hash({quoted})::HUGEINT), 0) FROM "{t}"'
            ).fetchone()
            assert row is not None
            out[t] = (int(row[0]), int(row[1]))
        # load_log agrees with the rows' load ids, and the journal has nothing unfinished
        orphans = con.execute(
            "SELECT count(*) FROM calls WHERE _load_id NOT IN (SELECT load_id FROM load_log)"
        ).fetchone()
        assert orphans == (0,)
        pending = con.execute(
            "SELECT count(*) FROM load_journal WHERE status NOT IN ('committed', 'rolled_back')"
        ).fetchone()
        assert pending == (0,)
    return out


CHILD = (
    "import sys; from forcestat.ingest import ingest_file; from forcestat.store import Store; "
    "s = Store.open(sys.argv[1]); ingest_file(s, sys.argv[2], replace='--replace' in sys.argv)"
)


def run_child(db: Path, args: list[str]) -> subprocess.Popen:
    """``ingest_file`` in a child (the CLI's imports would only slow each trial down)."""
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_during(db: Path, args: list[str], mode: str, duration: float) -> str:
    """Start the load, kill it by ``mode``; return when it was killed (for the message)."""
    wal = Path(str(db) + ".wal")
    child = run_child(db, args)
    t0 = time.monotonic()
    try:
        if mode == "random":
            delay = random.uniform(0.5, duration)
            while time.monotonic() - t0 < delay and child.poll() is None:
                time.sleep(0.005)
            when = f"at {delay:.2f}s"
        else:
            # the journal commit makes the .wal appear; the data commit makes it grow again
            first = None
            while child.poll() is None:
                size = wal.stat().st_size if wal.exists() else None
                if first is None and size:
                    first = size
                elif first is not None and size is not None and size > first:
                    break
                time.sleep(0.001)
            time.sleep(random.uniform(0, 0.02))
            when = "while the commit was written"
        if child.poll() is not None:
            return f"{when}, but it had finished"
        os.kill(child.pid, signal.SIGKILL)
        return when
    finally:
        child.wait(timeout=120)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("kill")
    return {
        "v1": write_calls(d / "calls.csv", ROWS, "Ashford"),
        "v2": write_calls(d / "calls-corrected.csv", ROWS, "Dover"),
        "dir": d,
    }


def reference(files, name: str, start: Path | None, args: list[str]) -> tuple[Path, float]:
    """A clean full load of ``args`` onto a copy of ``start`` (or an empty store)."""
    db = files["dir"] / f"{name}.duckdb"
    if start is not None:
        shutil.copy(start, db)
    t0 = time.monotonic()
    child = run_child(db, args)
    assert child.wait(timeout=600) == 0
    return db, time.monotonic() - t0


@pytest.mark.parametrize("replace", [False, True], ids=["plain", "replace"])
def test_kill_anywhere_leaves_before_or_after(files, replace, tmp_path):
    empty = files["dir"] / "empty.duckdb"
    if not empty.exists():
        Store.open(empty).close()
    if replace:
        before, _ = reference(files, "loaded", empty, [str(files["v1"])])
        args = [str(files["v2"]), "--replace"]
    else:
        before, args = empty, [str(files["v1"])]
    after, duration = reference(files, f"after-{replace}", before, args)
    with Store.open(after) as store:
        (groups,) = store.duck.execute(
            "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('calls')"
        ).fetchone()
    assert groups > 1, "the file must span several row groups (FORCESTAT_KILL_ROWS)"
    want_before, want_after = state(before), state(after)
    assert want_before != want_after
    outcomes = []
    for trial in range(TRIALS):
        db = tmp_path / f"trial{trial}.duckdb"
        shutil.copy(before, db)
        when = kill_during(db, args, "wal" if trial % 2 == 0 else "random", duration)
        got = state(db)
        outcome = "before" if got == want_before else "after" if got == want_after else "TORN"
        outcomes.append(f"{outcome} ({when})")
        assert outcome != "TORN", f"trial {trial}, killed {when}: {got} not {want_before}"
        if outcome == "before":  # the load can simply be run again
            with Store.open(db) as store:
                again = ingest_file(store, args[0], replace=replace)
            assert again.read == ROWS
            assert {t: n for t, (n, _) in state(db).items()} == {
                t: n for t, (n, _) in want_after.items()
            }
        db.unlink()
    print(outcomes)
