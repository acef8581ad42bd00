"""Benchmark: the 20 call measures by month on DuckDB, PostgreSQL and Spark local[2], side by side.

For each size N (``--rows``, default 10 and 100 million): N synthetic calls over FY2022/23
(the shape bench/measures.py uses, with call ids) are written to one Parquet file, then

* loaded with ``forcestat ingest``'s own code into a DuckDB file and into PostgreSQL (the full
  ingest: validation, COPY, comparison with the store, one transaction), and exported as the
  Parquet lake Spark reads (``export-lake``): the load times;
* the 20 call measures (999 and 101) are computed by month over FY2022/23 on each backend
  (best of ``--repeat`` runs; Spark's first run, which warms the JVM, is not counted);
* the peak memory of each engine is sampled while it works: the proportional set size
  (shared pages divided among the processes sharing them) of this process for DuckDB, of
  every PostgreSQL server process, and of Spark's JVM.

PostgreSQL is a server of our own (tests/servers.py) in a temporary folder on 127.0.0.1,
with fsync on and shared_buffers of 1 GB. Prints a table, the ratios to DuckDB and how each
backend's times scale from the smallest size to the largest.

    python bench/backends.py                          # 10 and 100 million rows
    python bench/backends.py --rows 1000000,10000000
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from forcestat.backends.lake import export_lake  # noqa: E402
from forcestat.ingest.anystore import ingest_paths  # noqa: E402
from forcestat.measures import CATALOGUE, evaluate  # noqa: E402
from forcestat.store import Store, open_store  # noqa: E402
from servers import LocalPostgres  # noqa: E402

CALL_KEYS = [k for k, m in CATALOGUE.items() if m.source.tables == ("calls",)]


# -- memory ----------------------------------------------------------------------------------
def pss_kib(pid: int) -> int:
    """Proportional set size of a process (0 if it is gone or unreadable)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(p.name))
    return out


class PeakMemory(threading.Thread):
    """Samples the summed PSS of the processes ``pids()`` names, every 0.2 s."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, sum(pss_kib(p) for p in self.pids()))
            self._halt.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._halt.set()
        self.join()

    @property
    def mib(self) -> float:
        return self.peak / 1024


# -- data --------------------------------------------------------------------------------------
def write_calls(path: Path, rows: int) -> float:
    """N calls over FY2022/23 as one Parquet file, as a force's export would be."""
    import duckdb

    t0 = time.perf_counter()
    step = 31_449_600_000_000 // rows
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""COPY (
            SELECT 'C' || lpad(CAST(i AS VARCHAR), 10, '0') AS call_id,
                CASE WHEN i % 9 < 5 THEN '999' ELSE '101' END AS channel,
                TIMESTAMP '2022-03-31 23:00:00' + to_microseconds(i * {step}) AS arrived_at,
                CASE WHEN i % 5 = 0 THEN NULL
                     ELSE arrived_at + to_microseconds((i * 7919) % 120000000) END AS answered_at,
                coalesce(answered_at, arrived_at) + to_microseconds((i * 104729) % 600000000)
                    AS ended_at,
                'District ' || (i % 13) AS district
            FROM range({rows}) AS r(i)
        ) TO '{path}' (FORMAT parquet)"""
    )
    con.close()
    return time.perf_counter() - t0


def measure(con: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        df = evaluate(con, CALL_KEYS, "FY2022/23", grain="month", comparisons=False)
        best = min(best, time.perf_counter() - t0)
        assert len(df) == len(CALL_KEYS) * 12 and df["value"].notna().all()
    return best


def postgres_pids(server: LocalPostgres) -> Callable[[], list[int]]:
    pidfile = server.data / "postmaster.pid"
    root = int(pidfile.read_text().split()[0])
    return lambda: [root, *children(root)]


def run_size(rows: int, work: Path, server: LocalPostgres, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": rows}
    src = work / f"calls-{rows}.parquet"
    out["generate_s"] = write_calls(src, rows)
    me = os.getpid()

    # DuckDB
    db = work / f"calls-{rows}.duckdb"
    with PeakMemory(lambda: [me]) as mem, Store.open(db) as duck:
        t0 = time.perf_counter()
        ingest_paths(duck, [src])
        duck.duck.execute("CHECKPOINT")
        out["duckdb_load_s"] = time.perf_counter() - t0
        measure(duck, 1)  # warm up (imports, first plans): not counted
        out["duckdb_s"] = measure(duck, repeat)
        t0 = time.perf_counter()
        export_lake(duck, work / f"lake-{rows}")
        out["lake_export_s"] = time.perf_counter() - t0
    out["duckdb_mib"] = mem.mib
    print(
        f"  duckdb: load {out['duckdb_load_s']:.1f} s, measures {out['duckdb_s']:.2f} s", flush=True
    )

    # PostgreSQL
    url = server.create_database(f"bench_{rows}")
    with PeakMemory(postgres_pids(server)) as mem, open_store(url) as pg:
        t0 = time.perf_counter()
        ingest_paths(pg, [src])
        pg.pg.execute("VACUUM ANALYZE calls")
        out["postgres_load_s"] = time.perf_counter() - t0
        measure(pg, 1)  # warm up: not counted
        out["postgres_s"] = measure(pg, repeat)
    out["postgres_mib"] = mem.mib
    print(
        f"  postgres: load {out['postgres_load_s']:.1f} s, measures {out['postgres_s']:.2f} s",
        flush=True,
    )

    # Spark local[2]
    url = "spark://local[2]?spark.driver.memory=3g"
    with PeakMemory(lambda: children(me)) as mem:
        with open_store(url, lake=work / f"lake-{rows}") as spark:
            measure(spark, 1)  # warm the JVM: not counted
            out["spark_s"] = measure(spark, repeat)
    out["spark_mib"] = mem.mib
    print(f"  spark: measures {out['spark_s']:.2f} s", flush=True)
    # free the disk for the next size (100 million calls take about 40 GB in PostgreSQL
    # while they load: the validated rows as CSV, the table and its key index)
    for f in (src, db):
        f.unlink(missing_ok=True)
    shutil.rmtree(work / f"lake-{rows}", ignore_errors=True)
    import psycopg

    with psycopg.connect(server.url, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "bench_{rows}" WITH (FORCE)')
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="10000000,100000000", help="comma-separated sizes")
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.rows.split(",")]
    print(f"cores: {os.cpu_count()}; sizes: {', '.join(f'{s:,}' for s in sizes)}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="forcestat-bench-", dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)
        server = LocalPostgres(durable=True, shared_buffers="1GB").start()
        try:
            for rows in sizes:
                print(f"{rows:,} calls", flush=True)
                results.append(run_size(rows, Path(tmp), server, args.repeat))
        finally:
            server.stop()
    print()
    head = (
        "| calls | backend | load | 20 call measures by month | x DuckDB | peak memory |\n"
        "|---:|---|---:|---:|---:|---:|"
    )
    print(head)
    for r in results:
        duck = r["duckdb_s"]
        loads = {
            "duckdb": f"{r['duckdb_load_s']:.1f} s ingest",
            "postgres": f"{r['postgres_load_s']:.1f} s ingest (COPY)",
            "spark": f"{r['lake_export_s']:.1f} s export-lake",
        }
        for b in ("duckdb", "postgres", "spark"):
            print(
                f"| {r['rows']:,} | {b} | {loads[b]} | {r[b + '_s']:.2f} s | "
                f"{r[b + '_s'] / duck:.1f}x | {r[b + '_mib']:,.0f} MiB |"
            )
    if len(results) > 1:
        a, b = results[0], results[-1]
        grow = b["rows"] / a["rows"]
        print(f"\nscaling {a['rows']:,} -> {b['rows']:,} rows ({grow:.0f}x the rows):")
        for k in ("duckdb", "postgres", "spark"):
            print(f"  {k}: measures {b[k + '_s'] / a[k + '_s']:.1f}x the time", end="")
            load = {"duckdb": "duckdb_load_s", "postgres": "postgres_load_s"}.get(
                k, "lake_export_s"
            )
            print(f", load {b[load] / a[load]:.1f}x")


if __name__ == "__main__":
    main()
