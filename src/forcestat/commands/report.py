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
        str | None,
        typer.Option(
            "--profile",
            help="Force profile TOML (`forcestat profile init` writes one), or 'kent' for the "
            "packaged Kent profile. Without one the report names the force as its records do "
            "and shows no district, school or benchmark figure.",
        ),
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
    commentary: Annotated[
        Path | None,
        typer.Option(
            "--commentary",
            help="The force's own words: Markdown, one '## Section title' per section.",
        ),
    ] = None,
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
    from ..report.profile import SHIPPED_PROFILES

    if published is not None and not published.is_file():
        raise InputError(f"cannot read {published}: no such file")
    if profile is not None and profile.lower() not in SHIPPED_PROFILES:
        if not Path(profile).is_file():
            raise InputError(f"cannot read {profile}: no such file (or 'kent' for Kent's)")
    with Store.open(db, read_only=True) as store, out.status("Writing the board report"):
        paths = write_report(
            store,
            p,
            out_dir,
            published=published,
            profile=profile,
            formats=wanted,
            public=public,
            commentary=commentary,
        )
    for path in paths.values():
        print(path)


profile_app = typer.Typer(
    help="Force profiles: the figures a report needs that no record holds.",
    no_args_is_help=True,
)


@profile_app.command("init")
def profile_init(
    force: Annotated[str, typer.Option("--force", help="The force's name, e.g. 'Wessex Police'.")],
    out_file: Annotated[
        Path, typer.Option("--out", help="File to write (default: profile.toml).")
    ] = Path("profile.toml"),
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file.")
    ] = False,
) -> None:
    """Write a commented force profile to fill in, for `forcestat report --profile`."""
    from ..errors import InputError
    from ..report.profile import load_profile, profile_template

    text = profile_template(force)
    if out_file.exists() and not overwrite:
        raise InputError(f"{out_file} exists; choose another --out or pass --overwrite")
    if not out_file.parent.exists():
        raise InputError(f"cannot write {out_file}: folder {out_file.parent} does not exist")
    out_file.write_text(text, "utf-8")
    load_profile(out_file)  # what was written must read back
    print(out_file)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``profile`` to ``app``."""
    app.command("report")(report)
    app.add_typer(profile_app, name="profile")
