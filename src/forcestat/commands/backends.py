"""CLI command for the lake: ``export-lake`` (the store's tables as partitioned Parquet)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..store import open_store
from . import DbOption, JsonOption
from .paths import check_output_dir

out = Console()


def export_lake(
    out_dir: Annotated[Path, typer.Option("--out", help="Lake folder (created if missing).")],
    db: DbOption,
    as_json: JsonOption = False,
) -> None:
    """Write the store's tables as Parquet partitioned by month (Hive layout) for Spark."""
    from ..backends.lake import export_lake as export

    check_output_dir(out_dir)
    with open_store(db, read_only=True) as store:
        done = export(store, out_dir)
    if as_json:
        for t in done:
            print(json.dumps(t.as_dict()))
        return
    from ..backends import redact  # sqlglot: loaded when the command runs

    table = Table(title=f"lake {out_dir} from {redact(db)}")
    for c in ("table", "rows", "partitions"):
        table.add_column(c, justify="left" if c == "table" else "right")
    for t in done:
        table.add_row(t.table, f"{t.rows:,}", f"{t.partitions:,}")
    out.print(table)
    out.print(f"read it with: forcestat measures --db spark://local[2] --lake {out_dir}")


def register(app: typer.Typer) -> None:
    """Add ``export-lake`` to ``app``."""
    app.command("export-lake")(export_lake)
