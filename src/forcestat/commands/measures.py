"""CLI commands for measures: ``measures`` (compute figures) and ``check-published``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..periods import Period, parse_period
from ..safe import to_csv, visible
from ..store import open_store
from . import DbOption, WaitOption
from .paths import check_output_file

out = Console(markup=False, highlight=False)
err = Console(stderr=True, markup=False, highlight=False)
FORMATS = ("table", "csv", "json", "parquet")


def measures(
    db: DbOption,
    period: Annotated[
        str | None, typer.Option(help="e.g. 2022-08..2022-10, FY2022/23, 2022-10-31")
    ] = None,
    grain: Annotated[str, typer.Option(help="month, quarter, fy or total")] = "total",
    measure: Annotated[
        list[str] | None,
        typer.Option("--measure", "-m", help="Measure key or family (repeatable); default all"),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or parquet")] = "table",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file")] = None,
    no_comparisons: Annotated[
        bool, typer.Option("--no-comparisons", help="Skip previous / last-year columns")
    ] = False,
    list_measures: Annotated[
        bool, typer.Option("--list", help="List the catalogue's measures and exit")
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(help="Break a count down by a column, e.g. crime_type or lsoa_code"),
    ] = None,
    lake: Annotated[
        str | None,
        typer.Option(
            help="Parquet lake Spark reads (--db spark://... or sc://...), from export-lake: "
            "a folder, or a URL the cluster reads (s3a://, abfss://, gs://, hdfs://)"
        ),
    ] = None,
    show_all: Annotated[
        bool,
        typer.Option("--all", help="Every measure asked for, including those with no data"),
    ] = False,
    wait: WaitOption = None,
) -> None:
    """Compute measures for a period, with comparisons, records and benchmarks.

    By default the table lists only measures with a value in the period, and sums up in one line
    why the others have none; --all lists every measure with its note. CSV, JSON and Parquet
    always carry every measure asked for.
    """
    from ..measures import CATALOGUE, GRAINS, evaluate
    from ..measures.catalogue import resolve
    from ..measures.format import display_rows, export_frame

    if list_measures:
        for m in CATALOGUE.values():
            typer.echo(f"{m.key}\t{m.unit}\t{m.family}\t{m.label}")
        return
    if period is None:
        raise InputError("--period is required, e.g. --period 2022-08..2022-10")
    p = parse_period(period)  # parsed once, here at the edge; the core takes the Period
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if grain not in GRAINS:
        raise InputError(f"unknown grain {grain!r}; choose one of: {', '.join(GRAINS)}")
    if fmt == "parquet" and out_file is None:
        raise InputError("--format parquet needs --out FILE")
    if out_file is not None:
        check_output_file(out_file)
    if measure:
        resolve(measure)  # an unknown key fails here, before a store or a Spark session opens
    with open_store(db, read_only=True, lake=lake) as store:
        if by is not None:
            _breakdowns(store, measure or [], p, grain, by, fmt, out_file)
            return
        df = evaluate(store, measure or None, p, grain, comparisons=not no_comparisons)
    hidden = None
    if not show_all and fmt == "table":  # CSV, JSON and Parquet keep every row for scripts
        df, hidden = _with_data(df)
    if fmt == "table":
        _print_table(display_rows(df), p.label, out_file)
        notes = sorted({n for n in df["note"].dropna()})
        for n in notes:
            out.print(f"* {visible(n)}")
        if hidden:
            out.print(hidden)
        return
    _write(export_frame(df), fmt, out_file)


def _with_data(df: Any) -> tuple[Any, str | None]:
    """Rows of measures with a value in some output period, and a line on the rest."""
    has = df.groupby("measure", sort=False)["value"].transform(lambda v: v.notna().any())
    kept, dropped = df[has], df[~has]
    if dropped.empty:
        return kept, None
    keys = list(dict.fromkeys(dropped["measure"]))
    reasons = sorted({str(n) for n in dropped["note"].dropna()})
    why = f" ({'; '.join(reasons[:3])}{'; ...' if len(reasons) > 3 else ''})" if reasons else ""
    line = f"{len(keys)} measure(s) with no data in the period not shown{why}; --all shows them"
    return kept, visible(line)


def _write(data: Any, fmt: str, out_file: Path | None) -> None:
    """A frame of plain values as CSV, JSON or Parquet, to a file or standard output."""
    if fmt == "parquet":
        assert out_file is not None
        data.to_parquet(out_file, index=False)
        out.print(f"wrote {len(data)} rows to {out_file}")
        return
    text = (
        to_csv(data)
        if fmt == "csv"
        else json.dumps(data.to_dict("records"), indent=1, default=str) + "\n"
    )
    if out_file:
        out_file.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


def _breakdowns(
    store: Any,
    keys: list[str],
    period: Period,
    grain: str,
    by: str,
    fmt: str,
    out_file: Path | None,
) -> None:
    """Each measure split by one column (police.uk crimes by crime type, ...), for each period
    of the grain (one block per month with --grain month)."""
    import pandas as pd

    from ..measures import breakdown

    if not keys:
        raise InputError("--by needs --measure, e.g. --measure policeuk_crimes --by crime_type")
    frames = []
    for key in keys:
        for part in period.split(grain):
            df = breakdown(store, key, part, by)
            if df.attrs.get("note"):  # on stderr, so that CSV and JSON stay clean
                err.print(f"* {key}, {part.label}: {visible(df.attrs['note'])}")
            frames.append(
                df.assign(measure=key, period=part.label)[
                    ["measure", "period", by, "value", "share"]
                ]
            )
    data = pd.concat(frames, ignore_index=True)
    if fmt != "table":
        _write(data.round({"share": 2}), fmt, out_file)
        return
    rows = [
        {
            "measure": r["measure"],
            "period": r["period"],
            by: visible(r[by]),
            "value": f"{r['value']:,}",
            "share": f"{r['share']:.1f}%",
        }
        for r in data.to_dict("records")
    ]
    _print_table(rows, f"{period.label}, by {by}", out_file)


def _print_table(rows: list[dict[str, str]], period: str, out_file: Path | None) -> None:
    t = Table(title=f"Measures, {visible(period)}")
    for col in rows[0] if rows else ["measure"]:
        right = col in ("value", "previous", "last year", "share")
        t.add_column(col, justify="right" if right else "left")
    for r in rows:
        t.add_row(*r.values())
    if out_file:
        with out_file.open("w", encoding="utf-8") as f:
            Console(file=f, width=200).print(t)
    elif out.is_terminal:
        out.print(t)
    else:  # piped: do not wrap values at an assumed 80 columns
        Console(width=200).print(t)


def check_published(
    file: Annotated[Path, typer.Argument(help="Published figures (seed_figures.csv format)")],
    as_json: Annotated[bool, typer.Option("--json", help="Findings as JSON")] = False,
) -> None:
    """List every internal inconsistency in a file of published figures (exit 1 if any)."""
    from ..measures.published import check_report

    report = check_report(file)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=1))
    else:
        out.print(report.as_text(), highlight=False, soft_wrap=True, markup=False)
    if report.findings:
        # exit status 1: figures are inconsistent (typer.Exit codes do not reach the shell
        # through cli.main, which runs Typer with standalone_mode=False)
        sys.exit(1)


def register(app: typer.Typer) -> None:
    """Add ``measures`` and ``check-published`` to ``app``."""
    app.command("measures")(measures)
    app.command("check-published")(check_published)
