"""``forcestat speedwatch``: process detections, print letters, export to the DVLA, list visits."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..safe import csv_row
from ..store import Store
from . import DbOption, JsonOption

out = Console()
app = typer.Typer(
    help="Community Speedwatch: sightings, letters, visits, referrals and DVLA exports.",
    no_args_is_help=True,
)
PolicyOption = Annotated[
    Path | None,
    typer.Option("--policy", help="Policy TOML (default: the packaged policy, see docs)."),
]


def parse_date(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value; an InputError naming the option otherwise."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} must be a date, YYYY-MM-DD, not {text!r}") from None


def _policy(path: Path | None) -> Any:
    from ..workflows.speedwatch import load_policy

    return load_policy(path)


@app.command("process")
def process_cmd(
    db: DbOption,
    until: Annotated[
        str | None, typer.Option("--until", help="Only detections up to this date (inclusive).")
    ] = None,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Apply the ladder to detections not yet processed; running it again records nothing."""
    from ..workflows.speedwatch import process

    day = parse_date(until, "--until")
    with Store.open(db) as store:
        result = process(store, _policy(policy), day)
    d = result.as_dict()
    if as_json:
        print(json.dumps(d))
        return
    if result.run_id is None:
        out.print("nothing new to process")
    t = Table(title=f"speedwatch run {result.run_id or '-'}")
    t.add_column("outcome")
    t.add_column("detections", justify="right")
    for k, v in d.items():
        if k not in ("run_id", "until"):
            t.add_row(k.replace("_", " "), f"{v:,}")
    out.print(t)
    if result.waiting:
        out.print(
            f"{result.waiting:,} sightings wait for a keeper lookup: "
            f"[bold]forcestat speedwatch waiting --db {db}[/]"
        )


@app.command("waiting")
def waiting_cmd(db: DbOption, policy: PolicyOption = None, as_json: JsonOption = False) -> None:
    """Vehicles whose sightings wait for a keeper lookup (registration marks: audited)."""
    from ..workflows import audit
    from ..workflows.speedwatch import waiting

    with Store.open(db) as store:
        rows = waiting(store, _policy(policy))
        audit.record(store, "read", "speedwatch_waiting", {"rows": len(rows)})
    _print_rows(
        rows, ("vrm", "sightings", "first_seen", "last_seen"), "waiting for a keeper", as_json
    )


@app.command("letters")
def letters_cmd(
    db: DbOption,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PDFs and manifest.")],
    policy: PolicyOption = None,
    profile: Annotated[
        Path | None, typer.Option("--profile", help="Force profile TOML (letterhead).")
    ] = None,
    batch: Annotated[
        int | None, typer.Option("--batch", help="Print this earlier batch again.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many letters.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write each letter not yet printed as a PDF, a merged PDF and a manifest CSV."""
    from ..workflows.speedwatch import write_letters

    with Store.open(db) as store:
        result = write_letters(
            store, _policy(policy), out_dir, profile=profile, batch=batch, limit=limit
        )
    if as_json:
        print(json.dumps(result.as_dict()))
    elif result.batch_id is None:
        out.print("no letters waiting to be printed")
    else:
        again = " (reprint)" if result.reprint else ""
        out.print(f"batch {result.batch_id}{again}: {result.letters:,} letters")
        out.print(f"  merged PDF  {result.merged}")
        out.print(f"  manifest    {result.manifest}")


@app.command("batches")
def batches_cmd(db: DbOption, as_json: JsonOption = False) -> None:
    """Letter batches printed so far."""
    from ..workflows.speedwatch import batches

    with Store.open(db) as store:
        rows = batches(store)
    _print_rows(rows, ("batch_id", "printed_at", "letters", "out_dir"), "letter batches", as_json)


@app.command("dvla")
def dvla_cmd(
    db: DbOption,
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    include_exported: Annotated[
        bool, typer.Option("--all", help="Include vehicles earlier exports held.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write untaxed and SORN vehicles for the DVLA, each vehicle once (layout in docs)."""
    from ..workflows.speedwatch import write_dvla

    with Store.open(db) as store:
        result = write_dvla(store, out_file, include_exported=include_exported)
    if as_json:
        print(json.dumps(result.as_dict()))
    else:
        out.print(f"{result.vehicles:,} vehicles ({result.referrals:,} referrals) -> {result.path}")


@app.command("visits")
def visits_cmd(
    db: DbOption,
    since: Annotated[str | None, typer.Option("--since", help="From this date.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this date.")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="visit or referral (default both).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
) -> None:
    """Officer visits and referrals for enforcement, with the keeper's address (audited)."""
    from ..workflows.speedwatch import VISIT_COLUMNS, visits

    if action not in (None, "visit", "referral"):
        raise InputError(f"--action must be visit or referral, not {action!r}")
    if fmt not in ("table", "csv", "json"):
        raise InputError(f"--format must be table, csv or json, not {fmt!r}")
    s, u = parse_date(since, "--since"), parse_date(until, "--until")
    with Store.open(db) as store:
        rows = visits(store, since=s, until=u, action=action)
    if fmt == "csv":
        w = csv.DictWriter(sys.stdout, VISIT_COLUMNS)
        w.writeheader()
        w.writerows(csv_row(r) for r in rows)
        return
    _print_rows(rows, VISIT_COLUMNS, "visits and referrals", fmt == "json")


def _print_rows(rows: list[dict], cols: tuple[str, ...], title: str, as_json: bool) -> None:
    if as_json:
        for r in rows:
            print(json.dumps(r, default=str))
        return
    t = Table(title=f"{title} ({len(rows):,})")
    for c in cols:
        t.add_column(c.replace("_", " "), overflow="fold")
    for r in rows:
        t.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in cols))
    out.print(t)


def register(root: typer.Typer) -> None:
    """Add ``forcestat speedwatch ...`` to ``root``."""
    root.add_typer(app, name="speedwatch")
