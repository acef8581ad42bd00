"""CLI commands for loading records and inspecting the store: ingest, quarantine, status."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..safe import visible
from ..store import open_store
from . import DbOption, JsonOption, WaitOption

if TYPE_CHECKING:  # ingest loads DuckDB: imported when a command runs, not for --help
    from ..ingest import LoadResult

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
    wait: WaitOption = None,
    earliest: Annotated[
        datetime | None,
        typer.Option(
            "--earliest",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
            help="Quarantine times before this as implausible (default 1990-01-01).",
        ),
    ] = None,
    latest: Annotated[
        datetime | None,
        typer.Option(
            "--latest",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
            help="Quarantine times from this on as implausible (default a day after the load).",
        ),
    ] = None,
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

    from ..ingest import data_files
    from ..ingest.anystore import ingest_each
    from ..ingest.mapping import load_mapping
    from ..ingest.validate import Window

    mapping = load_mapping(map_file) if map_file else None
    total = len(data_files(paths))
    window = Window.between(earliest, latest)
    with open_store(db) as store:
        if as_json:
            results = ingest_each(
                store, paths, kind=kind, replace=replace, window=window, mapping=mapping
            )
            for r in results:
                print(json.dumps(r.as_dict()))
            _exit_if_refused(results)
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

            results = ingest_each(
                store,
                paths,
                kind=kind,
                replace=replace,
                progress=advance,
                window=window,
                mapping=mapping,
            )
    out.print(_results_table(results, getattr(store, "path", db), filtered=mapping is not None))
    quarantined = sum(r.quarantined for r in results)
    if quarantined:
        where = visible(getattr(store, "path", db))
        out.print(f"{quarantined:,} rows quarantined: see forcestat quarantine --db {where}")
    _exit_if_refused(results)


def _exit_if_refused(results: list[LoadResult]) -> None:
    """After every file's outcome is shown: exit 2 with one line if any file was refused."""
    refused = [r for r in results if r.status == "refused"]
    if refused:
        loaded = sum(r.status == "loaded" for r in results)
        first = refused[0].error or refused[0].file
        raise InputError(
            f"{len(refused)} of {len(results)} files refused ({loaded} loaded and committed); "
            f"first: {first}"
        )


def _results_table(results: list[LoadResult], db: str, filtered: bool = False) -> Table:
    counts = list(COUNT_COLUMNS) + (["filtered"] if filtered else [])
    if any(r.replaced or r.deleted for r in results):
        counts += ["replaced", "deleted"]
    t = Table(title=f"ingested into {visible(db)}")
    t.add_column("file", overflow="fold")
    t.add_column("kind")
    t.add_column("outcome", overflow="fold")
    for c in counts:
        t.add_column(c.replace("_", " "), justify="right")
    for r in results:
        d = r.as_dict()
        if r.status == "loaded":
            outcome, cells = "loaded", [f"{d[c]:,}" for c in counts]
        elif r.status == "refused":
            reason = (r.error or "").removeprefix(f"{r.file}: ")
            outcome, cells = f"refused: {reason}", ["-"] * len(counts)
            if r.closest_kind:
                d["kind"] = f"(closest: {r.closest_kind})"
        else:
            outcome, cells = "not loaded (another file was refused)", ["-"] * len(counts)
        t.add_row(visible(d["file"]), visible(d["kind"]), visible(outcome), *cells)
    return t


def quarantine(
    db: DbOption,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", help="Most rows to list.")] = 50,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this record kind.")] = None,
    load: Annotated[int | None, typer.Option("--load", help="Only this load_id.")] = None,
    wait: WaitOption = None,
) -> None:
    """List quarantined rows with the rule each broke and why."""
    from ..ingest.anystore import quarantine_counts, quarantined_rows

    with open_store(db, read_only=True) as store:
        rows = quarantined_rows(store, limit=limit, kind=kind, load_id=load)
        summary = quarantine_counts(store)
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


def status(
    db: DbOption,
    as_json: JsonOption = False,
    lake: Annotated[
        str | None,
        typer.Option(help="Parquet lake Spark reads (--db spark://... or sc://...): folder or URL"),
    ] = None,
    wait: WaitOption = None,
) -> None:
    """Each table's rows, month range and quarantined rows."""
    from ..backends import redact

    with open_store(db, read_only=True, lake=lake) as store:
        rows = store.status()
    if as_json:
        for r in rows:
            print(json.dumps(r))
        return
    t = Table(title=f"forcestat store {visible(redact(db))}")
    for col in ("table", "rows", "first_month", "last_month", "quarantined"):
        t.add_column(col, justify="right" if col in ("rows", "quarantined") else "left")
    for r in rows:
        t.add_row(
            r["table"],
            f"{r['rows']:,}",
            r["first_month"] or "-",
            r["last_month"] or "-",
            "-" if r["quarantined"] is None else f"{r['quarantined']:,}",
        )
    out.print(t)


def register(app: typer.Typer) -> None:
    """Add ingest, quarantine and status to ``app``."""
    app.command("ingest")(ingest)
    app.command("quarantine")(quarantine)
    app.command("status")(status)
