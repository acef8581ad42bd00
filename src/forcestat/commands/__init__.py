"""CLI commands, one module per area, each with ``register(app)``. Shared options live here."""

from __future__ import annotations

from typing import Annotated

import typer

from ..store import WAIT_SECONDS, check_store_path, default_db_path, set_wait


def _checked_db(value: str) -> str:
    """Refuse an empty ``--db``, a folder, or a file in a missing folder before any work."""
    check_store_path(value)
    return value


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
        metavar="FILE|URL",
        envvar="FORCESTAT_DB",
        help="The store: a DuckDB file (default ./forcestat.duckdb), postgresql://user@host/db, "
        "spark://local[2] or sc://host:15002 (Spark reads --lake).",
        default_factory=default_db_path,
        show_default=False,
        callback=_checked_db,
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


def period_text(value: str | None) -> str | None:
    """Option callback: refuse a period that cannot be read (one line, exit 2) before any
    work; the command still receives the text it was given."""
    if value is not None:
        from ..periods import parse_period

        parse_period(value)
    return value
