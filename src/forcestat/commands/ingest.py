"""CLI commands for loading records and inspecting the store: ingest, quarantine, status."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from ..store import Store
from . import DbOption, JsonOption

out = Console()


def status(db: DbOption, as_json: JsonOption = False) -> None:
    """Each table's rows, month range and quarantined rows."""
    with Store.open(db) as store:
        rows = store.status()
    if as_json:
        for r in rows:
            print(json.dumps(r))
        return
    t = Table(title=f"forcestat store {db}")
    for col in ("table", "rows", "first_month", "last_month", "quarantined"):
        t.add_column(col, justify="right" if col in ("rows", "quarantined") else "left")
    for r in rows:
        t.add_row(
            r["table"],
            f"{r['rows']:,}",
            r["first_month"] or "-",
            r["last_month"] or "-",
            f"{r['quarantined']:,}",
        )
    out.print(t)


def register(app: typer.Typer) -> None:
    """Add ingest, quarantine and status to ``app``."""
    app.command("status")(status)
