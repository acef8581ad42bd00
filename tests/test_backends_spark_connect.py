"""The catalogue through Spark Connect: ``--db sc://host:port`` against a live Connect server.

The test starts Spark's own Connect server (Spark 4.0.5 from pyspark's jars, local[2], on
127.0.0.1, its JVM in Europe/London and its working folder elsewhere: tests/servers.py), exports
the synthetic force's DuckDB store as a lake, and asks the server for the same figures as the
parity test (tests/parity.py): the board report's scopes and the whole catalogue over the
period, by month and in total, identical to DuckDB's (counts exactly, ratios and means to
1e-9). Then as a user would: ``forcestat measures --db sc://... --lake DIR`` and ``forcestat
status`` with ``FORCESTAT_DB`` and a ``file://`` lake URL, in processes of their own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from forcestat.store import Store, open_store
from parity import PERIOD, catalogue_tables, differences, report_scopes

#: each query here reads a few thousand rows: one shuffle partition is plenty, and the
#: lake's tables kept in the server's memory after the first read (a third of the time)
SETTINGS = "?spark.sql.shuffle.partitions=1&cache=true"


@pytest.fixture(scope="module")
def lake(synth, tmp_path_factory):
    """The synthetic force's DuckDB store exported as a Parquet lake."""
    from forcestat.backends.lake import export_lake

    out = tmp_path_factory.mktemp("connect") / "lake"
    with Store.open(synth / "store.duckdb", read_only=True) as duck:
        export_lake(duck, out)
    return out


#: gRPC would send even 127.0.0.1 through a proxy a CI runner sets: these tests talk direct
PROXIES = [v for n in ("grpc_proxy", "https_proxy", "http_proxy") for v in (n, n.upper())]


def forcestat(*args: str, cwd: Path, env: dict[str, str] | None = None):
    """Run the CLI in a process of its own, as a user would."""
    direct = {k: v for k, v in os.environ.items() if k not in PROXIES}
    return subprocess.run(
        [sys.executable, "-m", "forcestat", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**direct, **(env or {})},
    )


def test_the_catalogue_through_spark_connect_is_identical_to_duckdb(
    synth, lake, spark_connect, monkeypatch
):
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)
    with Store.open(synth / "store.duckdb", read_only=True) as duck:
        scopes = report_scopes(duck)
        ref = catalogue_tables(duck, scopes)
    assert len(scopes) >= 8 and ref["value"].notna().sum() > 500

    t = time.perf_counter()
    with open_store(spark_connect.url + SETTINGS, lake=lake) as store:
        assert type(store.spark).__module__.startswith("pyspark.sql.connect")  # a thin client
        assert store.spark.conf.get("spark.sql.session.timeZone") == "UTC"  # not the server's
        on_connect = catalogue_tables(store, scopes)
    print(f"{len(ref)} figures through Spark Connect in {time.perf_counter() - t:.0f}s")
    assert differences(ref, on_connect) == []


def test_measures_from_the_command_line_through_spark_connect(synth, lake, spark_connect):
    """``forcestat measures --db sc://host:port --lake DIR``, as documented (no settings, no
    cache): the lake named relative to the client's folder, which the server (working in a
    folder of its own) must still find. The contact family by month: counts, percentages and
    mean waits."""
    args = ["--period", PERIOD, "--grain", "month", "-m", "contact", "--format", "json"]
    on_duck = forcestat("measures", "--db", str(synth / "store.duckdb"), *args, cwd=synth)
    assert on_duck.returncode == 0, on_duck.stderr
    db = spark_connect.url
    done = forcestat("measures", "--db", db, "--lake", lake.name, *args, cwd=lake.parent)
    assert done.returncode == 0, done.stderr
    ref, got = pd.DataFrame(json.loads(on_duck.stdout)), pd.DataFrame(json.loads(done.stdout))
    assert len(ref) == 27 * 3 and ref["value"].notna().sum() > 60
    assert set(ref["unit"]) >= {"count", "percent", "seconds"}, set(ref["unit"])
    assert differences(ref, got) == []


def test_status_with_forcestat_db_and_a_lake_url(synth, lake, spark_connect, tmp_path):
    """``FORCESTAT_DB=sc://...`` and ``--lake file:///...`` (what a cluster's object store
    URL looks like to forcestat: Spark, not the client, reads it); a kind the lake lacks
    reads as an empty table."""
    partial = tmp_path / "lake"
    shutil.copytree(lake, partial, ignore=shutil.ignore_patterns("speedwatch_detections"))
    duck = forcestat("status", "--db", str(synth / "store.duckdb"), "--json", cwd=synth)
    assert duck.returncode == 0, duck.stderr
    env = {"FORCESTAT_DB": spark_connect.url}
    done = forcestat("status", "--lake", partial.as_uri(), "--json", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    want = {r["table"]: r for r in map(json.loads, duck.stdout.splitlines())}
    got = {r["table"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert want["speedwatch_detections"]["rows"] > 0 and got["speedwatch_detections"]["rows"] == 0
    assert sum(r["rows"] for r in want.values()) > 10_000
    for table, row in want.items():
        if table != "speedwatch_detections":
            span = ("rows", "first_month", "last_month")
            assert [got[table][k] for k in span] == [row[k] for k in span], table


def test_no_server_or_an_unreadable_lake_is_one_line_and_exit_2(lake, spark_connect):
    """No Connect server at the address: refused at once (the client would otherwise retry
    quietly for ten minutes), the URL's token hidden. A lake URL the server's file systems
    cannot read: one line too."""
    from servers import CONNECT_PORTS, free_port

    closed = free_port({spark_connect.port}, CONNECT_PORTS)
    url = f"sc://127.0.0.1:{closed}/;token=s3cr3t"
    t = time.perf_counter()
    done = forcestat("measures", "--db", url, "--lake", str(lake), "--period", PERIOD, cwd=lake)
    assert done.returncode == 2 and time.perf_counter() - t < 120
    assert "Traceback" not in done.stderr and "s3cr3t" not in done.stderr
    assert "Spark Connect server running" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

    bad = ["--db", spark_connect.url, "--lake", "nosuchfs://bucket/lake", "--json"]
    done = forcestat("status", *bad, cwd=lake)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot read the lake at nosuchfs://bucket/lake" in done.stderr, done.stderr


def test_behind_a_proxy_the_client_is_left_to_reach_the_server_through_it(monkeypatch):
    """A direct probe of the port would wrongly refuse a server only the proxy reaches."""
    from forcestat.backends.spark import _through_proxy

    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert not _through_proxy("spark.force.example")
    monkeypatch.setenv("https_proxy", "http://proxy.force.example:3128")
    assert _through_proxy("spark.force.example")
    monkeypatch.setenv("no_proxy", "127.0.0.1,.force.example")
    assert not _through_proxy("spark.force.example") and not _through_proxy("127.0.0.1")
