"""Synth benchmark: generate the seed-calibrated force at --scale 100 as Parquet.

    python bench/synth.py                # scale 100: about 53 million rows, 37 million calls
    python bench/synth.py --scale 10     # quicker
    python bench/synth.py --check        # also measure every target from the files written

Each run is a child process so its peak RSS is its own. The peer is the write ceiling: the
same calls file read back into memory and written again with pyarrow alone, the cost of
Parquet encoding without generating, simulating or calibrating anything. Target (issue 4):
>= 3 million rows/s written as Parquet on 2 cores.
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

TARGET_ROWS_PER_S = 3e6


def child_generate(out: str, scale: float, fmt: str, check: bool) -> None:
    from forcestat.synth import generate, load_targets
    from forcestat.synth.calibrate import is_met
    from forcestat.synth.verify import measure_files

    before = resource.getrusage(resource.RUSAGE_SELF)
    r = generate(out, scale=scale, fmt=fmt, measure="none")
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {
        "rows": r.total_rows,
        "calls": r.rows.get("calls", 0),
        "seconds": r.write_seconds,
        "cpu_seconds": cpu,
        "rss": after.ru_maxrss * 1024,
        "bytes": sum(p.stat().st_size for p in r.files.values()),
    }
    if check:
        t0 = time.perf_counter()
        targets = load_targets().scaled(scale)
        achieved = measure_files(r.files, targets)
        result["measure_seconds"] = time.perf_counter() - t0
        result["missed"] = [
            f"{t.measure} {t.period_text}"
            for t in targets
            if t.period is not None
            and (t.measure, t.period_text) in achieved
            and achieved[(t.measure, t.period_text)] is not None
            and not is_met(t, achieved[(t.measure, t.period_text)], scale)
        ]
    print(json.dumps(result))


def child_peer(path: str) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    t0 = time.perf_counter()
    pq.write_table(
        table,
        path + ".peer",
        compression="lz4",
        use_dictionary=["channel", "district", "agent_id"],
        write_statistics=["arrived_at"],
    )
    wall = time.perf_counter() - t0
    os.unlink(path + ".peer")
    print(json.dumps({"rows": table.num_rows, "seconds": wall}))


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=100.0)
    ap.add_argument("--format", default="parquet", choices=("parquet", "csv"))
    ap.add_argument("--check", action="store_true", help="measure every target from the files")
    ap.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child is not None:
        if a.child[0] == "generate":
            child_generate(a.child[1], float(a.child[2]), a.child[3], a.child[4] == "1")
        else:
            child_peer(a.child[1])
        return
    with tempfile.TemporaryDirectory(prefix="forcestat-bench-synth-") as tmp:
        g = run_child("generate", tmp, str(a.scale), a.format, "1" if a.check else "0")
        peer = None
        calls = Path(tmp) / "records" / "calls.parquet"
        if a.format == "parquet" and calls.exists():
            peer = run_child("peer", str(calls))
    rate = g["rows"] / g["seconds"]
    print(f"synth --scale {a.scale:g} --format {a.format}: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    )
    print(f"rows written     {g['rows']:>14,} ({g['calls']:,} calls)")
    print(f"seconds          {g['seconds']:>14.2f}")
    print(f"CPU seconds      {g['cpu_seconds']:>14.2f}   (user + system, all threads)")
    print(f"rows/s           {rate:>14,.0f}   target >= {TARGET_ROWS_PER_S:,.0f}")
    print(f"peak RSS         {g['rss'] / 2**20:>13,.0f} MiB")
    print(f"bytes written    {g['bytes'] / 2**20:>13,.0f} MiB")
    if peer:
        peer_rate = peer["rows"] / peer["seconds"]
        print(f"peer: pyarrow write only of calls.parquet: {peer_rate:,.0f} rows/s")
        print(f"ratio synth / write-only: {rate / peer_rate:.2f}")
    if a.check:
        print(f"measuring every target from the files: {g['measure_seconds']:.1f} s (not timed)")
        print(f"targets not printing as published: {', '.join(g['missed']) or 'none'}")
    print("PASS" if rate >= TARGET_ROWS_PER_S else "BELOW TARGET")


if __name__ == "__main__":
    main()
