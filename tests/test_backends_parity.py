"""The same figures on every backend: DuckDB, a live PostgreSQL and Spark local mode.

A small synthetic force (seed-calibrated, 2% of Kent's volumes) is ingested into a DuckDB file
and, through ``forcestat ingest``'s PostgreSQL path, into a PostgreSQL server this test starts;
the DuckDB store is exported as a Parquet lake which Spark reads. The board report's own scopes
(the months of its trend, the period, the financial year to date, the s.136 history,
headcounts at the last day, Speedwatch's calendar year) are recorded from a real report run,
then evaluated on all three backends, together with the whole catalogue over the reporting
period by month and in total: counts must be identical, ratios and means equal to 1e-9.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pandas as pd
import pytest

from forcestat.measures import CATALOGUE, Engine, evaluate
from forcestat.periods import parse_period
from forcestat.store import Store, open_store

PERIOD = "2022-08..2022-10"
SCALE = 0.02
#: local mode for a small lake: one shuffle partition (each query is a few thousand rows)
SPARK = "spark://local[2]?spark.sql.shuffle.partitions=1"
NUMBERS = ("value", "previous_value", "last_year_value", "change", "last_year_change")
TEXTS = ("record", "note", "previous_period", "last_year_period", "benchmark_status")


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """A seed-calibrated synthetic force's record files and its DuckDB store."""
    from forcestat.ingest import ingest_paths
    from forcestat.synth import generate

    out = tmp_path_factory.mktemp("synth")
    generate(out, scale=SCALE, measure="none")
    db = out / "store.duckdb"
    with Store.open(db) as s:
        results = ingest_paths(s, [out / "records"])
    (out / "duckdb_counts.json").write_text(json.dumps([r.as_dict() for r in results]))
    return out


def report_scopes(store: Store) -> list[tuple[list[str], str, str, bool]]:
    """(keys, period, grain, comparisons) of every evaluate call the board report makes."""
    from forcestat.report.figures import collect_figures

    calls: list[tuple[list[str], str, str, bool]] = []

    def spy(con, keys, period, grain, comparisons=True, **kw):
        calls.append((list(keys), period, grain, comparisons))
        return evaluate(con, keys, period, grain, comparisons=comparisons)

    collect_figures(store, parse_period(PERIOD), evaluate=spy)
    return calls


def catalogue_tables(con: Any, scopes: list[tuple[list[str], str, str, bool]]) -> pd.DataFrame:
    """Every scope's figures, and the whole catalogue over the period, as one frame."""
    engine = Engine(con, CATALOGUE)
    whole = [(None, PERIOD, "total", True), (None, PERIOD, "month", True)]
    frames = []
    for i, (keys, period, grain, cmp) in enumerate([*whole, *scopes]):
        df = evaluate(con, keys, period, grain, comparisons=cmp, engine=engine)
        frames.append(df.assign(scope=i))
    return pd.concat(frames, ignore_index=True)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def differences(ref: pd.DataFrame, other: pd.DataFrame) -> list[str]:
    """Cells that differ: exact for counts and text, 1e-9 (relative) for other numbers."""
    assert len(ref) == len(other)
    out = []
    units = {k: m.unit for k, m in CATALOGUE.items()}
    for (_, a), (_, b) in zip(ref.iterrows(), other.iterrows(), strict=True):
        where = f"{a['measure']} {a['period']} (scope {a['scope']})"
        assert (a["measure"], a["period"]) == (b["measure"], b["period"]), where
        for c in NUMBERS:
            x, y = a[c], b[c]
            if _missing(x) or _missing(y):
                if _missing(x) != _missing(y):
                    out.append(f"{where} {c}: {x!r} != {y!r}")
            elif units.get(a["measure"]) == "count" and c in ("value", "previous_value"):
                if float(x) != float(y):
                    out.append(f"{where} {c}: {x!r} != {y!r}")
            elif not math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9):
                out.append(f"{where} {c}: {x!r} != {y!r}")
        for c in TEXTS:
            x, y = a[c], b[c]
            if not (_missing(x) and _missing(y)) and str(x) != str(y):
                out.append(f"{where} {c}: {x!r} != {y!r}")
    return out


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
