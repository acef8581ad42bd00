"""The board report: figures from the measures engine, written as HTML, PDF and Word.

>>> from forcestat.report import write_report                      # doctest: +SKIP
>>> write_report(store, "2022-08..2022-10", "out/report")           # doctest: +SKIP
{'html': PosixPath('out/report/report.html'), 'pdf': ..., 'docx': ...}

The pipeline is one-way: :func:`~forcestat.report.figures.collect_figures` (the only place that
asks for figures) -> :func:`~forcestat.report.build.build_report` (a frozen
:class:`~forcestat.report.spec.Report`) -> the renderers (:mod:`.html`, :mod:`.pdf`,
:mod:`.docx`), which compute nothing. The public edition (``public=True``) passes the
figures through :func:`~forcestat.report.suppress.suppress_figures` first, so every format
shows the same suppressed figures.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..periods import Period, parse_period
from .build import SECTION_BUILDERS, build_report
from .figures import Figures, collect_figures
from .policeuk import collect_policeuk, force_named
from .profile import ForceProfile, load_profile, neutral_profile
from .spec import Report
from .suppress import public_report, suppress_figures

FORMATS = ("html", "pdf", "docx")
Progress = Callable[[str], None]


def _formats(formats: Iterable[str]) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise InputError(
            f"unknown report format {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}"
        )
    return out


def check_findings(published: str | os.PathLike[str] | None) -> Any:
    """``forcestat.measures.check_published(path)``'s findings, or None without a file."""
    if published is None:
        return None
    p = Path(published)
    if not p.is_file():
        raise InputError(f"published figures file not found: {p}")
    from .. import measures

    check = getattr(measures, "check_published", None)
    if check is None:
        raise InputError("this forcestat has no check_published; cannot check --published")
    return check(p)


def prepare_report(
    store: Any,
    period: str | Period,
    published: str | os.PathLike[str] | None = None,
    profile: ForceProfile | str | os.PathLike[str] | None = None,
    *,
    public: bool = False,
    commentary: str | os.PathLike[str] | None = None,
) -> Report:
    """Collect the figures and build the report spec (no files written).

    With ``public`` the figures pass through
    :func:`~forcestat.report.suppress.suppress_figures` before any section is built, and the
    check of published figures (an internal quality check quoting figures as they stand) is
    left out.
    """
    if public and published is not None:
        raise InputError(
            "the check of published figures is for the board edition, not the public one: "
            "drop --published or --public"
        )
    from .commentary import apply_commentary, load_commentary

    words = load_commentary(commentary) if commentary is not None else None
    p = parse_period(period) if isinstance(period, str) else period
    if profile is None:  # no profile: nothing about any force but its name in the records
        prof = neutral_profile(force_named(store, p) or force_named(store))
    elif isinstance(profile, ForceProfile):
        prof = profile
    else:
        prof = load_profile(profile)
    extra = [b.measure for b in prof.benchmarks]
    figures = collect_figures(store, p, extra_fytd=extra)
    puk = collect_policeuk(store, p)
    if public:
        report = public_report(
            build_report(suppress_figures(figures), prof, policeuk=puk, only_held=True)
        )
    else:
        report = build_report(
            figures,
            prof,
            findings=check_findings(published),
            published_source=Path(published).name if published is not None else None,
            policeuk=puk,
            only_held=True,
        )
    return apply_commentary(report, words) if words is not None else report


def write_report(
    store: Any,
    period: str | Period,
    out_dir: str | os.PathLike[str],
    published: str | os.PathLike[str] | None = None,
    profile: ForceProfile | str | os.PathLike[str] | None = None,
    formats: Iterable[str] = ("html", "pdf", "docx"),
    public: bool = False,
    commentary: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """Write the board report for ``period`` from the records in ``store``.

    Parameters
    ----------
    store
        A forcestat Store (or an Ibis backend the measures engine reads).
    period
        The reporting period, e.g. ``"2022-08..2022-10"`` or a Period.
    out_dir
        Folder for ``report.html``, ``report.pdf`` and ``report.docx`` (created if needed).
    published
        A published-figures CSV (like the seed's); its check-published findings go in the
        appendix.
    profile
        A force profile TOML path, ``"kent"`` (the packaged Kent profile) or a loaded
        profile; None means none: the report names the force as its records do (police.uk's
        ``Falls within``) and shows no district, school or benchmark figure.
    formats
        Any of "html", "pdf", "docx".
    public
        Write the public edition: every count from 1 to 4 shows as ``<5`` (said "fewer than 5"),
        figures that would give one back are withheld as ``[c]``, and the title block says
        "Public edition: counts under 5 suppressed" (see :mod:`forcestat.report.suppress`).
    commentary
        The force's own words: a Markdown file with one ``## Section title`` per section (see
        :mod:`forcestat.report.commentary`); each section shows them beside its narrative.

    Returns
    -------
    dict
        Format name -> path written.
    """
    from .docx import write_docx
    from .html import render_html
    from .pdf import write_pdf

    wanted = _formats(formats)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = prepare_report(store, period, published, profile, public=public, commentary=commentary)
    paths: dict[str, Path] = {}
    html = render_html(report) if ("html" in wanted or "pdf" in wanted) else ""
    if "html" in wanted:
        paths["html"] = out / "report.html"
        paths["html"].write_text(html, "utf-8")
    if "pdf" in wanted:
        paths["pdf"] = write_pdf(html, out / "report.pdf")
    if "docx" in wanted:
        paths["docx"] = write_docx(report, out / "report.docx")
    return paths


__all__ = [
    "FORMATS",
    "SECTION_BUILDERS",
    "Figures",
    "ForceProfile",
    "Report",
    "build_report",
    "collect_figures",
    "load_profile",
    "prepare_report",
    "public_report",
    "suppress_figures",
    "write_report",
]
