"""CLI commands for loading records and inspecting the store: ingest, quarantine, status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..safe import visible
from ..store import Store
from . import DbOption, JsonOption

if TYPE_CHECKING:  # ingest loads DuckDB: imported when a command runs, not for --help
    from ..ingest import LoadResult, Refusal

out = Console(markup=False, highlight=False)
err = Console(stderr=True, markup=False, highlight=False)

COUNT_COLUMNS = ("read", "loaded", "quarantined", "skipped_duplicates")


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders (every .csv/.tsv/.txt/.parquet/.jsonl).")
    ],
    db: DbOption,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Record kind (default: detected from header).")
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace stored rows whose key matches (audited)."),
    ] = False,
    map_file: Annotated[
        str | None,
        typer.Option(
            "--map",
            metavar="MAP.toml",
            help="Mapping file (or a shipped mapping's name) for a file whose columns are "
            "not forcestat's; see docs/ingest.md.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Validate and load record files; every row is loaded, quarantined, skipped or filtered.

    Each file (in a folder or a .zip archive too) is judged on its own: the files that load
    commit; a file that matches no record kind is listed with the closest kind and why, and
    the command then exits with code 2."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from ..ingest import data_files, ingest_each
    from ..ingest.mapping import load_mapping

    mapping = load_mapping(map_file) if map_file else None
    total = len(data_files(paths))
    with Store.open(db) as store:
        if as_json:
            results, refused = ingest_each(
                store, paths, kind=kind, replace=replace, mapping=mapping
            )
            for r in results:
                print(json.dumps(r.as_dict()))
            for x in refused:
                print(json.dumps(x.as_dict()))
            _exit_if_refused(refused, len(results))
            return
        with Progress(
            TextColumn("ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=total)

            def advance(done: int, _total: int, file: str) -> None:
                bar.update(task, completed=done, description=Path(file).name)

            results, refused = ingest_each(
                store, paths, kind=kind, replace=replace, progress=advance, mapping=mapping
            )
    if results:
        out.print(_results_table(results, db, filtered=mapping is not None))
    quarantined = sum(r.quarantined for r in results)
    if quarantined:
        out.print(f"{quarantined:,} rows quarantined: see forcestat quarantine --db {visible(db)}")
    if refused:
        out.print(_refused_table(refused))
    _exit_if_refused(refused, len(results))


def _exit_if_refused(refused: list[Refusal], loaded_files: int) -> None:
    """One line on stderr and exit code 2 when any file was refused (the others loaded)."""
    if not refused:
        return
    first = refused[0]
    more = f" and {len(refused) - 1} more" if len(refused) > 1 else ""
    err.print(
        f"error: {len(refused)} file(s) refused, {loaded_files} loaded: "
        f"{visible(first.file)}: {visible(first.reason)}{more}",
        soft_wrap=True,
    )
    raise typer.Exit(2)


def _refused_table(refused: list[Refusal]) -> Table:
    t = Table(title="files not loaded")
    t.add_column("file", overflow="fold")
    t.add_column("closest kind")
    t.add_column("why", overflow="fold")
    for x in refused:
        t.add_row(visible(x.file), x.closest_kind or "-", visible(x.reason))
    return t


def _results_table(results: list[LoadResult], db: str, filtered: bool = False) -> Table:
    t = Table(title=f"ingested into {visible(db)}")
    t.add_column("file", overflow="fold")
    t.add_column("kind")
    counts = COUNT_COLUMNS + (("filtered",) if filtered else ())
    for c in counts:
        t.add_column(c.replace("_", " "), justify="right")
    for r in results:
        d = r.as_dict()
        t.add_row(visible(d["file"]), visible(d["kind"]), *(f"{d[c]:,}" for c in counts))
    return t


def quarantine(
    db: DbOption,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", help="Most rows to list.")] = 50,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this record kind.")] = None,
    load: Annotated[int | None, typer.Option("--load", help="Only this load_id.")] = None,
) -> None:
    """List quarantined rows with the rule each broke and why."""
    from ..ingest import list_quarantine
    from ..ingest.quarantine import quarantine_summary

    with Store.open(db, read_only=True) as store:
        rows = list_quarantine(store, limit=limit, kind=kind, load_id=load)
        summary = quarantine_summary(store)
    if as_json:
        for r in rows:
            print(json.dumps(r, default=str))
        return
    s = Table(title="quarantined rows by rule")
    for c in ("kind", "rule", "rows"):
        s.add_column(c, justify="right" if c == "rows" else "left")
    for r in summary:
        s.add_row(visible(r["kind"]), visible(r["rule"]), f"{r['rows']:,}")
    out.print(s)
    t = Table(title=f"quarantined rows (latest {limit})")
    for c in ("load_id", "file", "line", "column", "rule", "reason"):
        t.add_column(c, justify="right" if c in ("load_id", "line") else "left")
    for r in rows:
        t.add_row(
            str(r["load_id"]),
            *(visible(r[c]) for c in ("file", "line", "column", "rule", "reason")),
        )
    out.print(t)


def status(db: DbOption, as_json: JsonOption = False) -> None:
    """Each table's rows, month range and quarantined rows."""
    with Store.open(db, read_only=True) as store:
        rows = store.status()
    if as_json:
        for r in rows:
            print(json.dumps(r))
        return
    t = Table(title=f"forcestat store {visible(db)}")
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
    app.command("ingest")(ingest)
    app.command("quarantine")(quarantine)
    app.command("status")(status)
