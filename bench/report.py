"""Benchmark: the whole board report from a 12-year store (s.136 since April 2011).

Builds a seed-calibrated store with synth + ingest (or reuses ``--db``), then times:

* the figures alone (every ``evaluate`` call the report makes): the peer the rendering is
  measured against;
* HTML only (figures + Great Tables + Altair/vl-convert SVG + Jinja);
* all three formats (HTML, PDF by WeasyPrint, Word by python-docx).

Targets (issue 5): HTML under 3 s, all three formats under 20 s on 2 cores.

    .venv/bin/python bench/report.py [--db FILE] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from forcestat.periods import parse_period
from forcestat.report import write_report
from forcestat.report.figures import collect_figures
from forcestat.report.profile import load_profile
from forcestat.store import Store

PERIOD = "2022-08..2022-10"


def build_store(folder: Path) -> Path:
    from forcestat.ingest import ingest_paths
    from forcestat.synth import generate

    t = time.perf_counter()
    generate(folder, seed=0)
    db = folder / "forcestat.duckdb"
    with Store.open(db) as store:
        ingest_paths(store, [folder / "records"])
    print(f"store built in {time.perf_counter() - t:.1f} s (synth + ingest, not timed below)")
    return db


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="an existing store (default: build one)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or build_store(Path(tmp))
        out = Path(tmp) / "report"
        with Store.open(db, read_only=True) as store:
            rows = store.duck.execute("SELECT count(*) FROM s136_detentions").fetchone()
            calls = store.duck.execute("SELECT count(*) FROM calls").fetchone()
            print(
                f"store: {calls[0] if calls else 0:,} calls, {rows[0] if rows else 0:,} s.136 "
                "detentions since April 2011"
            )
            period = parse_period(PERIOD)
            extra = [b.measure for b in load_profile().benchmarks]
            figures = timed(lambda: collect_figures(store, period, extra_fytd=extra), args.repeat)
            html = timed(lambda: write_report(store, PERIOD, out, formats=["html"]), args.repeat)
            every = timed(lambda: write_report(store, PERIOD, out), args.repeat)
        pages = "?"
        try:
            import subprocess

            info = subprocess.run(
                ["pdfinfo", str(out / "report.pdf")], capture_output=True, text=True, check=True
            ).stdout
            pages = next(ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages"))
        except (OSError, subprocess.CalledProcessError, StopIteration):
            pass
    print(f"figures only (evaluate calls): {figures:6.2f} s")
    print(
        f"HTML report:                   {html:6.2f} s  (target < 3 s)  "
        f"{html / figures:.1f}x the figures"
    )
    print(
        f"HTML + PDF + Word:             {every:6.2f} s  (target < 20 s) "
        f"{every / figures:.1f}x the figures; PDF has {pages} pages"
    )
    print(f"rendering share of HTML:       {100 * (html - figures) / html:5.1f}%")


if __name__ == "__main__":
    main()
