"""CLI commands, one module per area, each with ``register(app)``. Shared options live here."""

from __future__ import annotations

from typing import Annotated

import typer

from ..store import check_store_path, default_db_path


def _checked_db(value: str) -> str:
    """Refuse an empty ``--db``, a folder, or a file in a missing folder before any work."""
    check_store_path(value)
    return value


DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="FORCESTAT_DB",
        help="The store: a DuckDB file (default ./forcestat.duckdb).",
        default_factory=default_db_path,
        show_default=False,
        callback=_checked_db,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


def period_text(value: str | None) -> str | None:
    """Option callback: refuse a period that cannot be read (one line, exit 2) before any
    work; the command still receives the text it was given."""
    if value is not None:
        from ..periods import parse_period

        parse_period(value)
    return value
