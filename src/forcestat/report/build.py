"""Assemble the board paper: figures -> sections in the seed's order -> a :class:`Report`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .. import __version__ as _version
from . import appendix, sections, sections_community, sections_contact, sections_encompass
from .figures import Figures
from .narrative import span_phrase
from .profile import ForceProfile
from .spec import Report, Section

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


def build_report(
    figures: Figures,
    profile: ForceProfile,
    *,
    findings: Any = None,
    published_source: str | None = None,
    generated: datetime | None = None,
) -> Report:
    """The report spec for ``figures``: every section, then the appendix."""
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
    for build in SECTION_BUILDERS:
        report = report.add_section(build(figures, profile))
    report = report.add_appendix(appendix.definitions(figures))
    report = report.add_appendix(appendix.benchmarks(figures, profile))
    report = report.add_appendix(appendix.coverage(figures))
    if published_source is not None:
        report = report.add_appendix(appendix.published(findings, published_source))
    return report
