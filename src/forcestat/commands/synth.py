"""``forcestat synth``: write a seed-calibrated synthetic force's records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def register(app: typer.Typer) -> None:
    """Add this area's commands to ``app``."""

    @app.command("synth")
    def synth(
        out: Annotated[
            Path, typer.Option("--out", help="Folder to write records/ and calibration.json into.")
        ],
        targets: Annotated[
            Path | None,
            typer.Option(
                "--targets",
                help="Targets file (seed_figures.csv format); default: the seed's figures.",
            ),
        ] = None,
        seed: Annotated[
            int, typer.Option("--seed", help="Random seed: same seed, same bytes.")
        ] = 0,
        scale: Annotated[
            float, typer.Option("--scale", help="Multiply volumes (counts scaled and rounded).")
        ] = 1.0,
        fmt: Annotated[str, typer.Option("--format", help="parquet (default) or csv.")] = "parquet",
        measure: Annotated[
            str,
            typer.Option(
                "--measure",
                help="Where calibration.json's achieved values come from: files or auto (the "
                "measures engine over the written files), store (ingest into a temporary store "
                "first, as a user would) or none.",
            ),
        ] = "auto",
        as_json: Annotated[
            bool, typer.Option("--json", help="Machine-readable JSON output.")
        ] = False,
    ) -> None:
        """Write synthetic records whose figures reproduce a targets file.

        By default the targets are the Kent board report's published figures.
        """
        from ..errors import InputError
        from .paths import check_output_dir

        check_output_dir(out)
        if targets is not None and not targets.is_file():
            raise InputError(f"cannot read --targets {targets}: no such file")
        if not scale > 0 or scale != scale or scale == float("inf"):
            raise InputError(f"--scale must be a positive number, not {scale}")
        console = Console(stderr=as_json, markup=False, highlight=False)
        from ..synth import generate

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=as_json,
        ) as bar:
            task = bar.add_task("synth", total=None)

            def progress(step: str, done: int, total: int) -> None:
                bar.update(task, description=step, completed=done, total=total)

            result = generate(
                out,
                targets=targets,
                seed=seed,
                scale=scale,
                progress=progress,
                fmt=fmt,
                measure=measure,
            )
        summary = result.calibration["summary"]
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "out": str(result.out_dir),
                        "rows": result.rows,
                        "seconds": round(result.seconds, 2),
                        "calibration": str(result.calibration_path),
                        "summary": summary,
                    },
                    indent=2,
                )
            )
            return
        table = Table(title=f"Records written to {result.records_dir}")
        table.add_column("kind")
        table.add_column("rows", justify="right")
        for kind, n in result.rows.items():
            table.add_row(kind, f"{n:,}")
        console.print(table)
        console.print(
            f"{result.total_rows:,} rows in {result.seconds:.1f} s; targets: "
            + ", ".join(f"{v} {k}" for k, v in summary.items())
        )
        for e in result.missed:
            what = f"{e['measure']} {e['period']}: {e['target']} -> {e['achieved']}"
            console.print(f"missed {what}: {e.get('why', '')}")
        if result.profile_path is None:
            console.print("no force profile yet: force_profile.toml not written")
        console.print(f"calibration: {result.calibration_path}")
