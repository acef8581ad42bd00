"""A store another process holds is waited for, with a message naming that process, then
refused with exit 2 and one line; a reader never sees a load that did not commit."""

from __future__ import annotations

import subprocess
import sys
import time

from fixtures.ingest.examples import calls, write_csv
from forcestat.ingest import ingest_file
from forcestat.store import Store

HOLD = (
    "import sys, time; from forcestat.store import Store; s = Store.open(sys.argv[1]); "
    "open(sys.argv[2], 'w').write('open'); time.sleep(float(sys.argv[3]))"
)


def hold_store(db, tmp_path, seconds: float) -> subprocess.Popen:
    marker = tmp_path / "held"
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(marker), str(seconds)])
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return child


def forcestat(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from forcestat.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_busy_store_waits_then_exits_2_with_one_line_naming_the_holder(db_path, tmp_path):
    Store.open(db_path).close()
    child = hold_store(db_path, tmp_path, 120)
    try:
        for command in (["status"], ["ingest", str(write_csv(tmp_path / "a.csv", calls(2)))]):
            done = forcestat(*command, "--db", str(db_path), "--wait", "1")
            assert done.returncode == 2, done.stderr
            lines = done.stderr.strip().splitlines()
            assert "waiting:" in lines[0] and f"PID {child.pid}" in lines[0]
            assert lines[-1].startswith("error:") and "in use by" in lines[-1]
            assert "Traceback" not in done.stderr
    finally:
        child.kill()
        child.wait()


def test_busy_store_is_used_once_the_other_process_lets_go(db_path, tmp_path):
    Store.open(db_path).close()
    child = hold_store(db_path, tmp_path, 2)
    try:
        path = write_csv(tmp_path / "a.csv", calls(2))
        done = forcestat("ingest", str(path), "--db", str(db_path), "--wait", "60", "--json")
        assert done.returncode == 0, done.stderr
        assert '"loaded": 2' in done.stdout
    finally:
        child.wait()


def test_reader_never_sees_a_load_that_did_not_commit(db_path, tmp_path):
    with Store.open(db_path) as store:
        ingest_file(store, write_csv(tmp_path / "a.csv", calls(3)))
        before = store.checksums()
        # what a writer killed inside its commit can leave: rows and a started journal entry
        store.duck.execute(
            "INSERT INTO load_journal VALUES (2, 'b.csv', 'calls', 'started', -1, 'h', "
            "now()::TIMESTAMP, NULL)"
        )
        store.duck.execute("INSERT INTO calls BY NAME SELECT * REPLACE (2 AS _load_id) FROM calls")
    with Store.open(db_path, read_only=True) as reader:
        after = reader.checksums()
        status = reader.duck.execute("SELECT status FROM load_journal WHERE load_id = 2").fetchone()
    assert status == ("rolled_back",)
    after.pop("load_journal"), before.pop("load_journal")
    assert after == before
