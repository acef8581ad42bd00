"""One transaction per file: a failure or a killed process mid-load leaves the store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from fixtures.ingest.examples import calls, write_csv
from forcestat.ingest import ingest_file, ingest_paths, load
from forcestat.store import Store

TABLES = ("calls", "quarantine", "load_log", "audit")


def snapshot(store):
    return {t: store.duck.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}


def test_exception_mid_load_leaves_store_unchanged(store, tmp_path, monkeypatch):
    ingest_file(store, write_csv(tmp_path / "a.csv", calls(3)))
    before = snapshot(store)
    every_table = store.checksums()
    rows = calls(6)
    rows[1]["district"] = "Dover"  # a conflict, so quarantine and fates are written first
    rows[4]["channel"] = "1"

    real_insert = load._FileLoad.insert

    def insert_then_fail(self, any_fates):
        real_insert(self, any_fates)  # rows are in the table, inside the transaction
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(load._FileLoad, "insert", insert_then_fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest_file(store, write_csv(tmp_path / "b.csv", rows), replace=True)
    assert snapshot(store) == before
    assert store.checksums() == every_table  # journal and undo copies included
    monkeypatch.undo()
    # the connection is usable afterwards and the same file now loads
    result = ingest_file(store, tmp_path / "b.csv")
    assert (result.loaded, result.quarantined) == (2, 2)


def test_failure_in_second_file_keeps_the_first(store, tmp_path, monkeypatch):
    a = write_csv(tmp_path / "a.csv", calls(2))
    b = write_csv(tmp_path / "b.csv", calls(2, start=5))
    real_run = load._FileLoad.run

    def fail_on_b(self):
        if self.file.endswith("b.csv"):
            raise KeyboardInterrupt  # even an interrupt rolls back
        return real_run(self)

    monkeypatch.setattr(load._FileLoad, "run", fail_on_b)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(store, [a, b])
    assert store.duck.execute("SELECT call_id FROM calls ORDER BY 1").fetchall() == [
        ("C0",),
        ("C1",),
    ]
    assert store.duck.execute("SELECT file FROM load_log").fetchall() == [(str(a),)]


KILLED_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from forcestat.ingest import ingest_file, load
    from forcestat.store import Store

    real_insert = load._FileLoad.insert

    def insert_and_hang(self, any_fates):
        n = real_insert(self, any_fates)
        Path(sys.argv[3]).write_text(str(n))  # rows written, transaction still open
        time.sleep(60)
        return n

    load._FileLoad.insert = insert_and_hang
    store = Store.open(sys.argv[1])
    ingest_file(store, sys.argv[2])
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_killed_process_mid_load_leaves_store_unchanged(db_path, tmp_path):
    with Store.open(db_path) as store:
        ingest_file(store, write_csv(tmp_path / "a.csv", calls(3)))
        before = snapshot(store)
    marker = tmp_path / "inserted"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_CHILD,
            str(db_path),
            str(write_csv(tmp_path / "b.csv", calls(500, start=3))),
            str(marker),
        ],
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "child exited before it was killed"
            assert time.monotonic() < deadline, "child never reached the insert"
            time.sleep(0.05)
        assert marker.read_text() == "500"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with Store.open(db_path) as store:
        assert snapshot(store) == before
