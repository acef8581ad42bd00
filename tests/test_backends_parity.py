"""The same figures on every backend: DuckDB, a live PostgreSQL and Spark local mode.

A small synthetic force (seed-calibrated, 2% of Kent's volumes) is ingested into a DuckDB file
and, through ``forcestat ingest``'s PostgreSQL path, into a PostgreSQL server this test starts;
the DuckDB store is exported as a Parquet lake which Spark reads. The board report's own scopes
are recorded from a real report run, then evaluated on all three backends, together with the
whole catalogue over the reporting period by month and in total: counts must be identical,
ratios and means equal to 1e-9 (tests/parity.py; tests/test_backends_spark_connect.py does the
same through a Spark Connect server).
"""

from __future__ import annotations

import json
import time

from forcestat.store import Store, open_store
from parity import catalogue_tables, differences, report_scopes

#: local mode for a small lake: one shuffle partition (each query is a few thousand rows)
SPARK = "spark://local[2]?spark.sql.shuffle.partitions=1"


def test_the_catalogue_is_identical_on_duckdb_postgres_and_spark(
    synth, postgres_url, spark_ready, tmp_path
):
    from forcestat.backends.lake import export_lake
    from forcestat.ingest.anystore import ingest_paths

    timings = {}
    with Store.open(synth / "store.duckdb", read_only=True) as duck:
        scopes = report_scopes(duck)
        t = time.perf_counter()
        ref = catalogue_tables(duck, scopes)
        timings["duckdb"] = time.perf_counter() - t
        export_lake(duck, tmp_path / "lake")
    assert len(scopes) >= 8 and ref["value"].notna().sum() > 500

    with open_store(postgres_url) as pg:
        results = ingest_paths(pg, [synth / "records"])
        on_duckdb = json.loads((synth / "duckdb_counts.json").read_text())
        assert [r.as_dict() for r in results] == on_duckdb  # the same rows loaded, quarantined
        t = time.perf_counter()
        on_pg = catalogue_tables(pg, scopes)
        timings["postgres"] = time.perf_counter() - t
    with open_store(SPARK, lake=tmp_path / "lake") as spark:
        t = time.perf_counter()
        on_spark = catalogue_tables(spark, scopes)
        timings["spark"] = time.perf_counter() - t

    print(f"{len(ref)} figures; seconds: {timings}")
    assert differences(ref, on_pg) == []
    assert differences(ref, on_spark) == []


def test_export_lake_and_measures_on_spark_from_the_command_line(synth, spark_ready, tmp_path):
    """The documented commands: export-lake, then measures --db spark://... --lake (run in
    this process, so Spark's JVM is the one the parity test started)."""
    from typer.testing import CliRunner

    from forcestat.cli import app

    runner = CliRunner()
    lake = tmp_path / "lake"
    db = str(synth / "store.duckdb")
    done = runner.invoke(app, ["export-lake", "--db", db, "--out", str(lake), "--json"])
    assert done.exit_code == 0, done.output
    exported = {t["table"]: t for t in map(json.loads, done.stdout.splitlines())}
    assert exported["calls"]["partitions"] == len(list((lake / "calls").glob("month=*")))
    assert not list(lake.glob(".staging-*"))
    args = ["--period", "2022-08", "-m", "calls_999_received", "--format", "json"]
    on_duck = runner.invoke(app, ["measures", "--db", db, *args])
    on_spark = runner.invoke(app, ["measures", "--db", SPARK, "--lake", str(lake), *args])
    assert on_spark.exit_code == 0, on_spark.output
    assert json.loads(on_spark.stdout)[0]["value"] == json.loads(on_duck.stdout)[0]["value"] > 0
    import subprocess
    import sys

    missing = subprocess.run(
        [sys.executable, "-c", "from forcestat.cli import main; main()", "measures", "--db",
         SPARK, *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert missing.returncode == 2 and "--lake" in missing.stderr, missing.stderr
