"""Benchmark: every call measure by month over 12 months, through the measure engine.

Generates N call rows directly in DuckDB (not realistic, just the right shape: two channels,
about 20% unanswered, queue and talk times in seconds), then times

* the engine: ``evaluate`` for the 20 call measures (999 and 101) by month over FY2022/23;
* hand-written pandas for the same figures, on a subset (``--pandas-rows``), scaled up;
* hand-written Polars for the same figures on all rows.

Every peer reads the same stored columns the engine does, including the queue and talk times
the store derives at ingest (``queue_us``, ``talk_us``). Only the computation is timed: loading
the peers' data frames from DuckDB is not. Prints
seconds, rows per second, peak RSS and the ratios.

    python bench/measures.py               # 100 million rows
    python bench/measures.py --rows 10000000
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from forcestat.measures import CATALOGUE, evaluate
from forcestat.schema import get_kind
from forcestat.store import Store

CALL_KEYS = [k for k, m in CATALOGUE.items() if m.source.tables == ("calls",)]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(store: Store, rows: int) -> float:
    """Fill ``calls`` with ``rows`` synthetic calls over FY2022/23; returns seconds taken."""
    t0 = time.perf_counter()
    # the derived columns (month, queue and talk times) through the same SQL ingest uses
    derived = get_kind("calls").derived_columns
    names = ", ".join(d.name for d in derived)
    exprs = ", ".join(f"{d.sql} AS {d.name}" for d in derived)
    step = 31_449_600_000_000 // rows  # microseconds between calls over 364 days
    store.duck.execute(
        f"""
        INSERT INTO calls (channel, arrived_at, answered_at, ended_at, {names})
        SELECT channel, arrived_at, answered_at, ended_at, {exprs}
        FROM (
            SELECT
                CASE WHEN i % 9 < 5 THEN '999' ELSE '101' END AS channel,
                -- in arrival order, as a store loaded month by month holds them
                TIMESTAMP '2022-03-31 23:00:00' + to_microseconds(i * {step}) AS arrived_at,
                CASE WHEN i % 5 = 0 THEN NULL
                     ELSE arrived_at + to_microseconds((i * 7919) % 120000000) END AS answered_at,
                coalesce(answered_at, arrived_at) + to_microseconds((i * 104729) % 600000000)
                    AS ended_at
            FROM range({rows}) AS r(i)
        )
        """
    )
    return time.perf_counter() - t0


def run_engine(store: Store, comparisons: bool) -> float:
    t0 = time.perf_counter()
    df = evaluate(store, CALL_KEYS, "FY2022/23", grain="month", comparisons=comparisons)
    elapsed = time.perf_counter() - t0
    assert len(df) == len(CALL_KEYS) * 12
    return elapsed


HAND_SQL = """
SELECT month, channel,
    count(*) AS received,
    count(answered_at) AS answered,
    count(*) - count(answered_at) AS not_answered,
    sum(queue_us) / 1e6 AS queue_s, sum(talk_us) / 1e6 AS talk_s,
    count(CASE WHEN queue_us < 10000000 THEN 1 END) AS under_10,
    count(CASE WHEN queue_us >= 10000000 AND queue_us < 60000000 THEN 1 END) AS b10_60,
    count(CASE WHEN queue_us >= 60000000 THEN 1 END) AS over_60
FROM calls
GROUP BY month, channel
"""


def run_duckdb_sql(store: Store) -> float:
    """The same monthly partials as one hand-written DuckDB query (the engine's floor)."""
    t0 = time.perf_counter()
    out = store.duck.execute(HAND_SQL).df()
    elapsed = time.perf_counter() - t0
    assert len(out) == 24
    return elapsed


def run_pandas(store: Store, rows: int) -> float:
    import pandas as pd

    df = store.duck.execute(
        f"SELECT channel, answered_at, queue_us, talk_us, month FROM calls USING SAMPLE {rows} ROWS"
    ).df()
    t0 = time.perf_counter()
    answered = df["answered_at"].notna()
    queue = df["queue_us"] / 1e6
    talk = df["talk_us"] / 1e6
    work = pd.DataFrame(
        {
            "month": df["month"],
            "channel": df["channel"],
            "n": 1,
            "answered": answered,
            "not_answered": ~answered,
            "queue": queue,
            "talk": talk,
            "under_10": answered & (queue < 10),
            "b10_60": answered & (queue >= 10) & (queue < 60),
            "over_60": answered & (queue >= 60),
        }
    )
    sums = work.groupby(["month", "channel"]).sum()
    out = pd.DataFrame(
        {
            "received": sums["n"],
            "answered": sums["answered"],
            "not_answered": sums["not_answered"],
            "pct_not_answered": 100 * sums["not_answered"] / sums["n"],
            "avg_queue": sums["queue"] / sums["answered"],
            "avg_talk": sums["talk"] / sums["answered"],
            "pct_within_10s": 100 * sums["under_10"] / sums["answered"],
            "under_10": sums["under_10"],
            "b10_60": sums["b10_60"],
            "over_60": sums["over_60"],
        }
    )
    elapsed = time.perf_counter() - t0
    assert len(out) == 24
    del df, work
    return elapsed


def run_polars(store: Store) -> float:
    import polars as pl

    frame = pl.from_arrow(
        store.duck.execute(
            "SELECT channel, answered_at, queue_us, talk_us, month FROM calls"
        ).to_arrow_table()
    )
    assert isinstance(frame, pl.DataFrame)
    t0 = time.perf_counter()
    answered = pl.col("answered_at").is_not_null()
    queue = pl.col("queue_us") / 1e6
    talk = pl.col("talk_us") / 1e6
    out = (
        frame.lazy()
        .group_by("month", "channel")
        .agg(
            pl.len().alias("received"),
            answered.sum().alias("answered"),
            (~answered).sum().alias("not_answered"),
            queue.sum().alias("queue"),
            talk.sum().alias("talk"),
            (answered & (queue < 10)).sum().alias("under_10"),
            (answered & (queue >= 10) & (queue < 60)).sum().alias("b10_60"),
            (answered & (queue >= 60)).sum().alias("over_60"),
        )
        .with_columns(
            (100 * pl.col("not_answered") / pl.col("received")).alias("pct_not_answered"),
            (pl.col("queue") / pl.col("answered")).alias("avg_queue"),
            (pl.col("talk") / pl.col("answered")).alias("avg_talk"),
            (100 * pl.col("under_10") / pl.col("answered")).alias("pct_within_10s"),
        )
        .collect()
    )
    elapsed = time.perf_counter() - t0
    assert out.height == 24
    del frame
    return elapsed


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--pandas-rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="best of N engine runs")
    ap.add_argument("--skip-peers", action="store_true")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.duckdb")
        gen = generate(store, args.rows)
        store.duck.execute("CHECKPOINT")
        print(f"generated {args.rows:,} calls in {gen:.1f} s; cores: {os.cpu_count()}")
        engine = min(run_engine(store, comparisons=False) for _ in range(args.repeat))
        engine_cmp = min(run_engine(store, comparisons=True) for _ in range(args.repeat))
        rss = peak_rss_mib()
        print(
            f"engine: {engine:.2f} s ({args.rows / engine / 1e6:.0f} M rows/s),"
            f" with comparisons and records {engine_cmp:.2f} s; peak RSS {rss:,.0f} MiB"
        )
        if args.skip_peers:
            return
        sql = min(run_duckdb_sql(store) for _ in range(args.repeat))
        print(f"hand-written DuckDB SQL: {sql:.2f} s (engine / SQL = {engine / sql:.2f}x)")
        p_rows = min(args.pandas_rows, args.rows)
        pandas_s = run_pandas(store, p_rows) * args.rows / p_rows
        gc.collect()
        print(f"pandas: {pandas_s:.2f} s (measured on {p_rows:,} rows, scaled)")
        polars_s = min(run_polars(store) for _ in range(args.repeat))
        print(f"polars: {polars_s:.2f} s ({args.rows / polars_s / 1e6:.0f} M rows/s)")
        print(
            f"ratios: pandas / engine = {pandas_s / engine:.1f}x;"
            f" engine / polars = {engine / polars_s:.2f}x; peak RSS {peak_rss_mib():,.0f} MiB"
        )
        store.close()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
