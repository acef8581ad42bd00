"""Ingest benchmark: N call rows as Parquet and as CSV, validated into a fresh store.

    python bench/ingest.py                 # 10 million rows
    python bench/ingest.py --rows 1000000  # quicker
    python bench/ingest.py --pandas-rows 2000000   # cap the pandas comparison (scaled)
    python bench/ingest.py --jsonl-rows 500000     # JSON Lines size (default 2M rows)

Each measurement runs in its own child process, into a fresh DuckDB file store, so that its
peak RSS is its own; DuckDB runs are repeated (``--repeat``, default 2) and the fastest kept.
A plain DuckDB copy of the same file with no checks is measured too, as the floor. The pandas
peer reads the same CSV file with ``read_csv`` and applies the same checks (types, required
values, allowed channel, the three time-order rules, duplicate keys, London month); its
rows/s is compared with forcestat's on that file. Targets (issue 2): >= 5M rows/s from
Parquet, >= 1.5M rows/s from CSV, peak RSS < 2 GB, >= 5x pandas. Issue 10: validated
ingest >= 0.8 of the plain DuckDB copy from Parquet and from CSV (with the journal, the
parser-independent record count and the plausibility rules), and JSON Lines (its own,
smaller file: ``--jsonl-rows``) at >= 200,000 rows/s, beside DuckDB's own ``read_json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

TARGETS = {
    "parquet_rows_per_s": 5e6,
    "csv_rows_per_s": 1.5e6,
    "rss_bytes": 2e9,
    "vs_pandas": 5,
    "vs_plain": 0.8,
    "jsonl_rows_per_s": 2e5,
}


def generate_jsonl(out: Path, rows: int) -> Path:
    """The same call rows as JSON Lines (London wall-clock text times)."""
    con = duckdb.connect()
    path = out / "calls.jsonl"
    con.execute(
        f"""COPY (SELECT 'C' || i AS call_id,
                  CASE WHEN i % 997 = 0 THEN '112' WHEN i % 3 = 0 THEN '101' ELSE '999' END
                  AS channel,
                  strftime(TIMESTAMP '2021-01-01' + to_seconds(i * 6), '%Y-%m-%dT%H:%M:%S')
                  AS arrived_at,
                  CASE WHEN i % 11 <> 0 THEN strftime(TIMESTAMP '2021-01-01'
                       + to_seconds(i * 6 + i % 50), '%Y-%m-%dT%H:%M:%S') END AS answered_at,
                  strftime(TIMESTAMP '2021-01-01' + to_seconds(i * 6 + 240 + i % 50),
                           '%Y-%m-%dT%H:%M:%S') AS ended_at,
                  'District ' || (i % 13) AS district
            FROM range({rows}) t(i)) TO '{path}' (FORMAT json)"""
    )
    con.close()
    return path


def generate(out: Path, rows: int) -> tuple[Path, Path]:
    """Call rows with London wall-clock text times in CSV and UTC instants in Parquet;
    about 0.1% have a channel outside {999, 101} so the quarantine path runs too."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""CREATE TABLE c AS SELECT
            'C' || i AS call_id,
            CASE WHEN i % 997 = 0 THEN '112' WHEN i % 3 = 0 THEN '101' ELSE '999' END AS channel,
            TIMESTAMP '2021-01-01' + to_seconds(i * 6) AS arrived_at,
            CASE WHEN i % 11 = 0 THEN NULL
                 ELSE TIMESTAMP '2021-01-01' + to_seconds(i * 6 + i % 50) END AS answered_at,
            TIMESTAMP '2021-01-01' + to_seconds(i * 6 + 240 + i % 50) AS ended_at,
            'District ' || (i % 13) AS district
        FROM range({rows}) t(i)"""
    )
    csv_path, parquet_path = out / "calls.csv", out / "calls.parquet"
    fmt = "'%Y-%m-%dT%H:%M:%S'"
    con.execute(
        f"""COPY (SELECT call_id, channel, strftime(arrived_at, {fmt}) AS arrived_at,
                  strftime(answered_at, {fmt}) AS answered_at,
                  strftime(ended_at, {fmt}) AS ended_at, district FROM c)
            TO '{csv_path}' (HEADER)"""
    )
    con.execute(
        f"""COPY (SELECT call_id, channel,
                  timezone('Europe/London', arrived_at) AS arrived_at,
                  timezone('Europe/London', answered_at) AS answered_at,
                  timezone('Europe/London', ended_at) AS ended_at, district FROM c)
            TO '{parquet_path}' (FORMAT parquet)"""
    )
    con.close()
    return csv_path, parquet_path


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def run_forcestat(path: Path, db: Path) -> dict[str, object]:
    from forcestat.ingest import ingest_file
    from forcestat.store import Store

    with Store.open(db) as store:
        t0 = time.perf_counter()
        result = ingest_file(store, path)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rss": peak_rss(), **result.as_dict()}


def run_plain_duckdb(path: Path, db: Path) -> dict[str, object]:
    """The floor: DuckDB copying the file into a file store with no checks at all."""
    scan = {".parquet": "read_parquet", ".jsonl": "read_json"}.get(path.suffix, "read_csv")
    scan = f"{scan}('{path}')"
    con = duckdb.connect(str(db))
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE calls AS SELECT * FROM {scan}")
    seconds = time.perf_counter() - t0
    row = con.execute("SELECT count(*) FROM calls").fetchone()
    n = int(row[0]) if row else 0
    con.close()
    return {"seconds": seconds, "rss": peak_rss(), "read": n, "loaded": n, "quarantined": 0}


def run_pandas(path: Path, limit: int | None) -> dict[str, object]:
    """The same checks with pandas, as a careful analyst would write them."""
    import pandas as pd

    t0 = time.perf_counter()
    df = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=limit)
    ts = {}
    bad = pd.Series(False, index=df.index)
    for col in ("arrived_at", "answered_at", "ended_at"):
        text = df[col].replace("", None)
        local = pd.to_datetime(text, format="ISO8601", errors="coerce")
        # London wall clock to UTC; the changeover hour read as GMT, as forcestat does
        ts[col] = (
            local.dt.tz_localize("Europe/London", ambiguous=False, nonexistent="shift_forward")
            .dt.tz_convert("UTC")
            .dt.tz_localize(None)
        )
        unreadable = text.notna() & ts[col].isna()
        missing = text.isna() if col != "answered_at" else pd.Series(False, index=df.index)
        bad |= unreadable | missing
    bad |= (df["call_id"] == "") | ~df["channel"].isin(["999", "101"])
    a, n, e = ts["arrived_at"], ts["answered_at"], ts["ended_at"]
    bad |= (n.notna() & (n < a)) | (n.notna() & (e < n)) | (e < a)
    ok = df[~bad].assign(arrived_at=a, answered_at=n, ended_at=e)
    dup = ok["call_id"].duplicated(keep=False)
    ok = ok[~dup]
    london = ok["arrived_at"].dt.tz_localize("UTC").dt.tz_convert("Europe/London")
    ok = ok.assign(month=london.dt.tz_localize(None).dt.to_period("M").dt.start_time)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "rss": peak_rss(),
        "read": len(df),
        "loaded": len(ok),
        "quarantined": int(bad.sum() + dup.sum()),
    }


def child(args: argparse.Namespace) -> None:
    path = Path(args.file)
    if args.phase == "pandas":
        out = run_pandas(path, args.pandas_rows)
    elif args.phase.startswith("plain"):
        out = run_plain_duckdb(path, Path(args.db))
    else:
        out = run_forcestat(path, Path(args.db))
    print(json.dumps(out))


def measure(
    phase: str, file: Path, workdir: Path, pandas_rows: int | None, repeat: int = 1
) -> dict:
    """Run ``phase`` in a fresh child process (fresh store) ``repeat`` times; keep the fastest,
    the usual way to read timings on a machine shared with other work."""
    best: dict | None = None
    for i in range(repeat):
        db = workdir / f"{phase}-{i}.duckdb"
        cmd = [sys.executable, __file__, "--phase", phase, "--file", str(file), "--db", str(db)]
        if pandas_rows:
            cmd += ["--pandas-rows", str(pandas_rows)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        run = json.loads(done.stdout.strip().splitlines()[-1])
        db.unlink(missing_ok=True)
        if best is None or run["seconds"] < best["seconds"]:
            best = run
    assert best is not None
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--pandas-rows", type=int, default=None, help="cap pandas at N rows")
    ap.add_argument("--repeat", type=int, default=2, help="runs per DuckDB measurement (best)")
    ap.add_argument("--jsonl-rows", type=int, default=2_000_000, help="rows in the JSONL file")
    ap.add_argument(
        "--phase",
        choices=(
            "generate",
            "generate-jsonl",
            "parquet",
            "csv",
            "jsonl",
            "pandas",
            "plain-parquet",
            "plain-csv",
            "plain-jsonl",
        ),
        help=argparse.SUPPRESS,
    )
    ap.add_argument("--file", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase == "generate":
        generate(Path(args.file), args.rows)
        return
    if args.phase == "generate-jsonl":
        generate_jsonl(Path(args.file), args.rows)
        return
    if args.phase:
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="forcestat-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        # generated in a child too: a child's peak RSS starts from its parent's size at fork
        # (Linux keeps ru_maxrss across exec), so the parent must stay small
        cmd = [sys.executable, __file__, "--phase", "generate", "--file", str(work)]
        subprocess.run([*cmd, "--rows", str(args.rows)], check=True)
        cmd[3] = "generate-jsonl"
        subprocess.run([*cmd, "--rows", str(args.jsonl_rows)], check=True)
        csv_path, parquet_path = work / "calls.csv", work / "calls.parquet"
        jsonl_path = work / "calls.jsonl"
        print(
            f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f}s "
            f"(CSV {csv_path.stat().st_size / 1e6:,.0f} MB, "
            f"Parquet {parquet_path.stat().st_size / 1e6:,.0f} MB)"
        )
        n = args.repeat
        # each floor runs right beside its measurement, so both see the same machine load
        results = {
            "plain-parquet": measure("plain-parquet", parquet_path, work, None, n),
            "parquet": measure("parquet", parquet_path, work, None, n),
            "plain-csv": measure("plain-csv", csv_path, work, None, n),
            "csv": measure("csv", csv_path, work, None, n),
            "plain-jsonl": measure("plain-jsonl", jsonl_path, work, None, n),
            "jsonl": measure("jsonl", jsonl_path, work, None, n),
            "pandas": measure("pandas", csv_path, work, args.pandas_rows),
        }
    report(args, results)


def report(args: argparse.Namespace, r: dict[str, dict]) -> None:
    rate = {k: v["read"] / v["seconds"] for k, v in r.items()}
    ratio = rate["csv"] / rate["pandas"]
    print(
        f"\nforcestat ingest benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, {platform.python_version()}, duckdb {duckdb.__version__}"
    )
    print(
        f"{'run':<14}{'rows':>13}{'seconds':>9}{'rows/s':>13}{'peak RSS':>11}  loaded/quarantined"
    )
    for k, v in r.items():
        print(
            f"{k:<14}{v['read']:>13,}{v['seconds']:>9.2f}{rate[k]:>13,.0f}"
            f"{v['rss'] / 2**20:>8,.0f} MiB  {v['loaded']:,}/{v['quarantined']:,}"
        )
    scaled = " (pandas on fewer rows: rates compared)" if args.pandas_rows else ""
    print(f"CSV vs pandas read_csv + same checks: {ratio:.1f}x{scaled}")
    share = {}
    for fmt in ("parquet", "csv", "jsonl"):
        share[fmt] = rate[fmt] / rate[f"plain-{fmt}"]
        print(
            f"{fmt} with every check vs plain DuckDB copy of the same file: "
            f"{share[fmt]:.2f} (ratio of rows/s)"
        )
    checks = {
        "Parquet >= 0.8 of plain DuckDB": share["parquet"] >= TARGETS["vs_plain"],
        "CSV >= 0.8 of plain DuckDB": share["csv"] >= TARGETS["vs_plain"],
        "JSON Lines >= 200,000 rows/s": rate["jsonl"] >= TARGETS["jsonl_rows_per_s"],
        "Parquet >= 5M rows/s": rate["parquet"] >= TARGETS["parquet_rows_per_s"],
        "CSV >= 1.5M rows/s": rate["csv"] >= TARGETS["csv_rows_per_s"],
        "peak RSS < 2 GB": max(r[k]["rss"] for k in ("parquet", "csv", "jsonl"))
        < TARGETS["rss_bytes"],
        ">= 5x pandas": ratio >= TARGETS["vs_pandas"],
    }
    for name, met in checks.items():
        print(f"  {'met ' if met else 'MISSED'}  {name}")


if __name__ == "__main__":
    main()
