"""Assemble the board paper: figures -> sections in the seed's order -> a :class:`Report`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .. import __version__ as _version
from . import (
    appendix,
    sections,
    sections_community,
    sections_contact,
    sections_encompass,
    summary,
    synthetic,
)
from .figures import Figures
from .narrative import join_words, span_phrase
from .policeuk import PoliceUkFigures, policeuk_measures, policeuk_section
from .profile import ForceProfile
from .spec import Report, Section, SummarySpec

SectionBuilder = Callable[[Figures, ForceProfile], Section]

#: The sections of the board paper, in the seed report's order, then those the seed lacks.
SECTION_BUILDERS: tuple[SectionBuilder, ...] = (
    sections.neighbourhood,
    sections.mental_health,
    sections_community.volunteers,
    sections_community.speedwatch,
    sections_contact.force_control_room,
    sections_contact.investigation_management,
    sections_encompass.encompass,
)


#: The record kinds behind each section (by the catalogue family or tables its figures come
#: from). A section whose kinds hold no record for the period is left out of the report and
#: named once in the coverage appendix; the neighbourhood section comes from the profile.
SECTION_SOURCES: dict[str, tuple[str, ...]] = {
    "mental_health": ("family", "mental_health"),
    "volunteers": ("family", "volunteers"),
    "speedwatch": ("family", "speedwatch"),
    "force_control_room": ("family", "contact"),
    "investigation_management": ("tables", "crimes"),
    "encompass": ("family", "encompass"),
}
#: kinds that are registers (people on strength) rather than events: held if any row is
REGISTERS = frozenset({"volunteers"})


def section_kinds(name: str) -> tuple[str, ...]:
    """The record kinds the section called ``name`` reports on (empty: not record-based)."""
    how, *what = SECTION_SOURCES.get(name, ("none",))
    if how == "tables":
        return tuple(what)
    if how != "family":
        return ()
    from ..measures.catalogue import CATALOGUE

    kinds = {t for m in CATALOGUE.values() if m.family == what[0] for t in m.source.tables}
    return tuple(sorted(kinds))


def _held(figures: Figures, kind: str) -> bool:
    """True when the store holds ``kind`` records for the period (unknown coverage: True)."""
    if kind not in figures.coverage:
        return True
    months = figures.coverage[kind]
    if kind in REGISTERS:
        return bool(months)
    return any(m in months for m in figures.months)


def _section_held(figures: Figures, kinds: tuple[str, ...]) -> bool:
    """True when any of ``kinds`` holds records for the period. Kinds whose coverage is
    unknown (a table without months, such as Speedwatch's sites) decide only when no kind
    of the section has a known coverage."""
    known = [k for k in kinds if k in figures.coverage]
    return any(_held(figures, k) for k in known) if known else True


def _profile_has_neighbourhood(profile: ForceProfile) -> bool:
    return bool(profile.districts) or any(
        v is not None for v in (profile.school_officers, profile.schools_covered)
    )


def build_report(
    figures: Figures,
    profile: ForceProfile,
    *,
    findings: Any = None,
    published_source: str | None = None,
    generated: datetime | None = None,
    policeuk: PoliceUkFigures | None = None,
    only_held: bool = False,
) -> Report:
    """The report spec for ``figures``: the sections, then the appendix.

    With ``only_held`` a section appears only when the store holds records of its kinds for
    the period (the neighbourhood section only when the profile describes districts or school
    officers); the others are named once in the coverage appendix. ``policeuk`` adds the
    police.uk section.
    """
    months = figures.months
    span = span_phrase(months[0], months[-1])
    when = generated or datetime.now(UTC)
    report = Report(
        title=f"{profile.name} performance report",
        subtitle=span,
        force=profile.name,
        period_label=figures.period.label,
        generated=f"{when:%-d %B %Y}",
        board=profile.board,
    )
    report = (
        report.with_meta("Prepared for", profile.commissioner)
        .with_meta("Reporting period", f"{span} ({figures.period.label})")
        .with_meta("Figures as at", f"{figures.at_date:%-d %B %Y}")
        .with_meta("Produced", f"{when:%-d %B %Y} by forcestat {_version} from record-level data")
    )
    left_out: list[str] = []
    for build in SECTION_BUILDERS:
        name = build.__name__
        if only_held:
            kinds = section_kinds(name)
            if name == "neighbourhood" and not _profile_has_neighbourhood(profile):
                continue  # about the force, not its records: nothing to say without a profile
            if kinds and not _section_held(figures, kinds):
                left_out.append(f"{_title(build, figures, profile)} ({', '.join(kinds)})")
                continue
        report = report.add_section(build(figures, profile))
    if policeuk is not None:
        report = report.add_section(policeuk_section(policeuk, public=figures.public))
    if not report.sections:
        report = report.add_section(
            Section("no-records", "No Records for the Period").add_paragraph(
                f"The store holds no records for {span}, so this report has no figures. "
                "Load records with `forcestat ingest`; the coverage appendix lists what is held."
            )
        )
    else:
        # the executive summary opens the paper, before the sections it summarises
        head = summary.executive_summary(figures, profile)
        if any(isinstance(b, SummarySpec) and b.rows for b in head.blocks):
            report = replace(report, sections=(head, *report.sections))
    shown_puk = policeuk_measures(policeuk) if policeuk is not None else []
    report = report.add_appendix(
        appendix.definitions(figures, extra=shown_puk, only_held=only_held)
    )
    if profile.benchmarks or not only_held:
        report = report.add_appendix(appendix.benchmarks(figures, profile))
    cover = appendix.coverage(figures, only_held=only_held)
    if left_out:
        cover = cover.add_paragraph(
            "Not reported, because the store holds no records of their kinds for "
            f"{span}: {join_words(left_out)}."
        )
    report = report.add_appendix(cover)
    if published_source is not None:
        report = report.add_appendix(appendix.published(findings, published_source))
    return synthetic.mark_synthetic(_lettered(report), figures)


def _lettered(report: Report) -> Report:
    """Appendices lettered A, B, C ... in the order they appear (some may be left out)."""
    out = []
    for i, sec in enumerate(report.appendix):
        title = re.sub(r"^Appendix [A-Z]:", f"Appendix {chr(ord('A') + i)}:", sec.title)
        out.append(replace(sec, title=title))
    return replace(report, appendix=tuple(out))


def _title(build: SectionBuilder, figures: Figures, profile: ForceProfile) -> str:
    """A left-out section's title as the report would print it."""
    return SECTION_TITLES.get(build.__name__, build.__name__.replace("_", " ").capitalize())


SECTION_TITLES = {
    "mental_health": "Mental Health and s.136 Detentions",
    "volunteers": "Special Constabulary and Volunteers",
    "speedwatch": "Community Speedwatch",
    "force_control_room": "Force Control Room",
    "investigation_management": "Investigation Management Unit",
}
