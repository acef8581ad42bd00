"""``forcestat encompass``: what is due for schools and by when; send it by e-mail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..store import open_store
from . import DbOption, JsonOption

out = Console()
app = typer.Typer(
    help="Operation Encompass: notify schools before the next school day (safeguarding role).",
    no_args_is_help=True,
)
RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role",
        envvar="FORCESTAT_ROLE",
        help="Your role; children's details need 'safeguarding' (every read is audited).",
    ),
]
PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="Encompass policy TOML (default: packaged).")
]
LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


def _local(t: Any) -> str:
    return "" if t is None else f"{t.replace(tzinfo=UTC).astimezone(LONDON):%a %Y-%m-%d %H:%M}"


def _open(db: str) -> Any:
    """The DuckDB file or a PostgreSQL store (the workflow's SQL is written once)."""
    from ..backends import backend_name

    if backend_name(db) == "spark":
        raise InputError("Operation Encompass runs on a DuckDB or PostgreSQL store")
    return open_store(db)


@app.command("due")
def due_cmd(
    db: DbOption, role: RoleOption = None, policy: PolicyOption = None, as_json: JsonOption = False
) -> None:
    """Notifications not yet sent, soonest deadline first, and the exceptions list."""
    from ..workflows.encompass import due, load_encompass_policy

    with _open(db) as store:
        result = due(store, role, load_encompass_policy(policy))
    if as_json:
        for n in result.due + result.exceptions:
            print(json.dumps(n.as_dict(), default=str))
        return
    t = Table(title=f"due ({len(result.due):,}) - times Europe/London")
    for c in ("due by", "school", "child", "incident", "reported"):
        t.add_column(c)
    for n in result.due:
        t.add_row(
            _local(n.due_at),
            n.school_name or "",
            n.child_name,
            n.incident_id,
            _local(n.reported_at),
        )
    out.print(t)
    if result.exceptions:
        e = Table(title=f"exceptions ({len(result.exceptions):,}): nothing is sent for these")
        for c in ("child", "incident", "reported", "problem"):
            e.add_column(c)
        for n in result.exceptions:
            e.add_row(n.child_name, n.incident_id, _local(n.reported_at), n.problem or "")
        out.print(e)


@app.command("send")
def send_cmd(
    db: DbOption,
    smtp: Annotated[str, typer.Option("--smtp", help="SMTP server, e.g. smtp://127.0.0.1:25")],
    role: RoleOption = None,
    policy: PolicyOption = None,
    profile: Annotated[
        Path | None, typer.Option("--profile", help="Force profile TOML (the force's name).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """E-mail each due notification to the school's key adult and record when it went."""
    from ..report.profile import load_profile
    from ..workflows.encompass import load_encompass_policy, send

    with _open(db) as store:
        result = send(
            store,
            smtp,
            role,
            load_encompass_policy(policy),
            force=load_profile(profile).name,
        )
    if as_json:
        print(json.dumps(result.as_dict()))
    else:
        out.print(
            f"sent {result.sent:,}; failed {len(result.failed):,}; "
            f"{result.exceptions:,} on the exceptions list"
        )
        for incident, child, why in result.failed:
            out.print(f"  not sent: incident {incident} child {child}: {why}")
    if result.failed:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add ``forcestat encompass ...`` to ``root``."""
    root.add_typer(app, name="encompass")
