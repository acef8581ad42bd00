"""CLI commands, one module per area, each with ``register(app)``. Shared options live here."""

from __future__ import annotations

from typing import Annotated

import typer

from ..store import WAIT_SECONDS, default_db_path, set_wait


def _set_wait(seconds: float | None) -> float | None:
    if seconds is not None:
        if seconds < 0:
            raise typer.BadParameter("must be 0 or more seconds")
        set_wait(seconds)
    return seconds


DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="FORCESTAT_DB",
        help="The store: a DuckDB file (default ./forcestat.duckdb).",
        default_factory=default_db_path,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
WaitOption = Annotated[
    float | None,
    typer.Option(
        "--wait",
        metavar="SECONDS",
        help=f"Wait this long for a store another process is using (default {WAIT_SECONDS:g}).",
        callback=_set_wait,
        show_default=False,
    ),
]
