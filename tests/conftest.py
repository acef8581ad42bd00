"""Shared fixtures. Tests that need ../shared skip with a reason where it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from forcestat.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def store():
    """An empty in-memory store with every table created."""
    s = Store.open(":memory:")
    yield s
    s.close()


@pytest.fixture
def db_path(tmp_path):
    """A path for a fresh DuckDB file store."""
    return tmp_path / "test.duckdb"


@pytest.fixture
def shared():
    """../shared beside the clone; skipped where a user's clone has none."""
    if not SHARED.is_dir():
        pytest.skip(
            f"needs ../shared (not found at {SHARED}): CI provides it, a user clone may not"
        )
    return SHARED


@pytest.fixture
def seed_figures(shared):
    """Path of the seed's reference figures."""
    p = shared / "reference" / "seed_figures.csv"
    if not p.exists():
        pytest.skip(f"needs {p}")
    return p
