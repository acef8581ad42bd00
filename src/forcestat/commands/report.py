"""``forcestat report``: write the board report (HTML, PDF, Word) for a period."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import DbOption, WaitOption

out = Console(markup=False, highlight=False)


def report(
    period: Annotated[
        str, typer.Option("--period", help="Reporting period, e.g. 2022-08..2022-10.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")],
    db: DbOption,
    published: Annotated[
        Path | None,
        typer.Option("--published", help="Published figures CSV to check (appendix)."),
    ] = None,
    profile: Annotated[
        Path | None,
        typer.Option("--profile", help="Force profile TOML (default: the packaged Kent one)."),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, pdf, docx.")
    ] = "html,pdf,docx",
    public: Annotated[
        bool,
        typer.Option(
            "--public",
            help="Public edition: counts under 5 suppressed (<5), figures that would reveal "
            "them withheld.",
        ),
    ] = False,
    wait: WaitOption = None,
) -> None:
    """Write the board report from the records in the store and print the files' paths."""
    from ..errors import InputError
    from ..periods import parse_period
    from ..report import write_report
    from ..store import Store
    from .paths import check_output_dir

    p = parse_period(period)
    check_output_dir(out_dir)
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = sorted(set(wanted) - {"html", "pdf", "docx"})
    if unknown or not wanted:
        raise InputError(f"unknown --format {', '.join(unknown) or formats!r}; use html, pdf, docx")
    for f in (published, profile):
        if f is not None and not f.is_file():
            raise InputError(f"cannot read {f}: no such file")
    with Store.open(db, read_only=True) as store, out.status("Writing the board report"):
        paths = write_report(
            store,
            p,
            out_dir,
            published=published,
            profile=profile,
            formats=wanted,
            public=public,
        )
    for path in paths.values():
        print(path)


def register(app: typer.Typer) -> None:
    """Add ``report`` to ``app``."""
    app.command("report")(report)
