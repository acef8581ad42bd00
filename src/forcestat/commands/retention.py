"""``forcestat retention apply``: delete personal data past its retention period."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..store import Store
from . import DbOption, JsonOption

out = Console()
app = typer.Typer(help="Retention of personal data (Speedwatch, Operation Encompass).")


@app.command("apply")
def apply_cmd(
    db: DbOption,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run/--no-dry-run", help="Only count what would go (the default)."),
    ] = True,
    speedwatch_policy: Annotated[
        Path | None, typer.Option("--speedwatch-policy", help="Speedwatch policy TOML.")
    ] = None,
    encompass_policy: Annotated[
        Path | None, typer.Option("--encompass-policy", help="Encompass policy TOML.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Delete detections, keeper details and Encompass records past retention (audited)."""
    from ..workflows.encompass import load_encompass_policy
    from ..workflows.retention import apply_retention
    from ..workflows.speedwatch import load_policy

    with Store.open(db) as store:
        result = apply_retention(
            store,
            load_policy(speedwatch_policy),
            load_encompass_policy(encompass_policy),
            dry_run=dry_run,
        )
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    verb = "would be" if dry_run else "were"
    t = Table(title=f"retention: rows that {verb} changed (older than {result.cutoffs})")
    t.add_column("what")
    t.add_column("rows", justify="right")
    for k, v in result.counts.items():
        t.add_row(k, f"{v:,}")
    out.print(t)
    if dry_run:
        out.print("dry run: nothing changed; run with --no-dry-run to delete")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="retention")
