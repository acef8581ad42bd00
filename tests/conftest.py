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


def _unavailable(reason: str) -> None:
    """Skip a backend test where its server cannot run here, but fail in CI, where
    scripts/system-deps.sh and the test extra install everything it needs."""
    import os

    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the backend tests)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server of our own on 127.0.0.1, started once per test process."""
    from servers import LocalPostgres, postgres_bin

    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable('needs psycopg: pip install -e ".[postgres]"')
    if postgres_bin() is None:
        _unavailable("needs PostgreSQL's server (Debian package postgresql)")
    server = LocalPostgres().start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server, request):
    """A fresh, empty database on the test server, named after the test."""
    import re

    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:50]
    return postgres_server.create_database(name)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """A seed-calibrated synthetic force's record files and its DuckDB store (tests/parity.py)."""
    from parity import synth_force

    return synth_force(tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="session")
def spark_ready():
    """Skips (fails in CI) where pyspark or a Java runtime is missing."""
    import shutil

    try:
        import pyspark  # noqa: F401
    except ImportError:
        _unavailable('needs pyspark: pip install -e ".[spark]"')
    if not shutil.which("java") and not __import__("os").environ.get("JAVA_HOME"):
        _unavailable("needs a Java 17 runtime (Debian package openjdk-17-jre-headless)")
    return True


@pytest.fixture(scope="session")
def spark_connect(spark_ready):
    """A Spark Connect server of our own on 127.0.0.1 (tests/servers.py), started once per
    test process; its ``url`` is the ``sc://`` address. Skips (fails in CI) where pyspark's
    Connect client or server jar is missing."""
    from servers import LocalSparkConnect, spark_connect_jar

    try:
        import pyspark.sql.connect.session  # noqa: F401 - needs grpcio, protobuf: [connect]
    except ImportError as e:
        _unavailable(f'needs pyspark[connect] ({e}): pip install -e ".[spark]"')
    if spark_connect_jar() is None:
        _unavailable("needs pyspark's spark-connect jar (pyspark 4.0 ships it in jars/)")
    server = LocalSparkConnect().start()
    yield server
    server.stop()
