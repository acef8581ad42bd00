"""CLI commands, one module per area, each with ``register(app)``. Shared options live here."""

from __future__ import annotations

from typing import Annotated

import typer

from ..store import default_db_path

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="FORCESTAT_DB",
        help="The store: a DuckDB file (default ./forcestat.duckdb), postgresql://user@host/db, "
        "spark://local[2] or sc://host:15002 (Spark reads --lake).",
        default_factory=default_db_path,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
