"""The CLI shell: exit codes reach the shell, and errors are one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from forcestat.errors import StoreError
from forcestat.store import Store


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from forcestat.cli import main; main()", *args],
        capture_output=True,
        text=True,
    )


def test_every_area_registers_its_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("ingest", "quarantine", "status", "measures", "check-published", "synth"):
        assert command in result.stdout
    for command in ("report", "demand", "demo"):
        assert command in result.stdout


def test_usage_error_exits_2_with_message():
    result = run_cli("status", "--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_status_on_a_new_store_lists_every_table(tmp_path):
    db = tmp_path / "new.duckdb"
    Store.open(db).close()
    result = run_cli("status", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert '"table": "calls"' in result.stdout


def test_status_never_creates_a_store(tmp_path):
    db = tmp_path / "typo.duckdb"
    result = run_cli("status", "--db", str(db), "--json")
    assert result.returncode == 2
    assert "no store at" in result.stderr
    assert not db.exists()


def test_a_read_only_open_never_creates_a_store(tmp_path):
    missing = tmp_path / "missing.duckdb"
    with pytest.raises(StoreError, match="no store at"):
        Store.open(missing, read_only=True)
    assert not missing.exists()


def test_store_in_a_missing_folder_is_a_clear_error(tmp_path):
    result = run_cli("status", "--db", str(tmp_path / "nowhere" / "x.duckdb"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
