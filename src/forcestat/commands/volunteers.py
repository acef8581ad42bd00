"""``forcestat volunteers``: log a duty; hours by activity, kind or role."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from ..store import Store
from . import DbOption, JsonOption
from .speedwatch import parse_date

out = Console()
app = typer.Typer(help="Special constables and volunteers: duty logging.", no_args_is_help=True)


@app.command("log")
def log_cmd(
    db: DbOption,
    volunteer: Annotated[str, typer.Option("--volunteer", help="volunteer_id")],
    on: Annotated[str, typer.Option("--date", help="Duty date, YYYY-MM-DD")],
    hours: Annotated[float, typer.Option("--hours", help="Hours of duty (0-24)")],
    activity: Annotated[str | None, typer.Option("--activity", help="e.g. patrol")] = None,
    duty_id: Annotated[str | None, typer.Option("--id", help="Duty id (default: new)")] = None,
    district: Annotated[str | None, typer.Option("--district", help="District served")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record the hours a volunteer or special constable gave on one day."""
    from ..workflows.volunteers import log_duty

    day = parse_date(on, "--date")
    assert day is not None
    with Store.open(db) as store:
        row = log_duty(store, volunteer, day, hours, activity, duty_id, district)
    if as_json:
        print(json.dumps(row))
    else:
        out.print(f"logged duty {row['duty_id']}: {volunteer}, {row['duty_date']}, {hours:g} h")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="volunteers")
