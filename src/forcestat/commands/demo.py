"""``forcestat demo``: the main job on the embedded default store."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

out = Console(markup=False, highlight=False)
err = Console(stderr=True, markup=False, highlight=False)


def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for records, store and report.")
    ] = Path("demo-out"),
    seed: Annotated[int, typer.Option(help="Random seed for the synthetic records.")] = 0,
    period: Annotated[str, typer.Option(help="Reporting period.")] = "2022-08..2022-10",
) -> None:
    """Build a seed-calibrated store, print the key figures and write the board report."""
    from ..measures import CATALOGUE, format_value
    from ..periods import parse_period
    from .paths import check_output_dir

    parse_period(period)  # a bad period fails now, not after minutes of building
    check_output_dir(out_dir)
    from ..demo import run_demo

    started = time.perf_counter()
    shown: set[str] = set()

    def step(message: str) -> None:
        """One line per step (visible in a log as on a terminal); sub-steps once each."""
        key = message.split(" (")[0]
        if key in shown:
            return
        shown.add(key)
        err.print(f"[{time.perf_counter() - started:5.0f} s] {message.split(' (')[0]}")

    result = run_demo(out_dir, seed=seed, period=period, progress=step)
    loaded = sum(r.loaded for r in result.loads)
    read = sum(r.read for r in result.loads)
    out.print(f"Store {result.db}: {read:,} rows read, {loaded:,} loaded")
    t = Table(title=f"Key figures {period}")
    t.add_column("measure")
    periods = list(dict.fromkeys(result.figures["period"]))
    for p in periods:
        t.add_column(p, justify="right")
    for key, rows in result.figures.groupby("measure", sort=False):
        by_period = dict(zip(rows["period"], rows["value"], strict=True))
        unit, decimals = rows["unit"].iloc[0], CATALOGUE[str(key)].decimals
        t.add_row(
            str(key),
            *(format_value(by_period.get(p), unit, decimals) for p in periods),
        )
    out.print(t)
    out.print(f"Calibration: {result.calibration}")
    for fmt, path in result.report.items():
        out.print(f"Report ({fmt}): {path.resolve()}")
    out.print(
        f"Try it: export FORCESTAT_DB={result.db}\n"
        f"        .venv/bin/forcestat measures --period {period} --grain month"
    )


def register(app: typer.Typer) -> None:
    """Add ``demo`` to ``app``."""
    app.command("demo")(demo)
