"""The report as data: a frozen tree of sections and blocks, built up immutably.

Every ``add_*`` / ``with_*`` method returns a new object, so a section builder can be written as
one expression and a half-built report is never shared by accident (the great_tables style)::

    calls = TableSpec("999 call totals", ("August 2022",), (("Calls Received", ("35,634",)),))
    sec = Section("fcr", "Force Control Room").add_paragraph("Over the period ...").add_table(calls)

The renderers (HTML, PDF, Word) read this tree; none of them computes a figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

Level = Literal[2, 3]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of narrative generated from figures."""

    text: str


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section (level 3)."""

    text: str


@dataclass(frozen=True)
class TableSpec:
    """A table of already formatted cells: one header row, labelled body rows.

    ``rows`` holds ``(row label, cells)``; ``total_rows`` counts the trailing rows that are
    totals (styled apart). ``missing`` is what an absent figure shows as.
    """

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    stub_header: str = ""
    total_rows: int = 0
    note: str = ""
    id: str = ""
    compact: bool = False
    align: str = "right"  # how body cells align: "right" for figures, "left" for text

    def __post_init__(self) -> None:
        for label, cells in self.rows:
            if len(cells) != len(self.columns):
                raise ValueError(
                    f"table {self.caption!r}: row {label!r} has {len(cells)} cells "
                    f"for {len(self.columns)} columns"
                )

    def add_row(self, label: str, cells: tuple[str, ...] | list[str]) -> TableSpec:
        return replace(self, rows=(*self.rows, (label, tuple(cells))))

    @property
    def row_labels(self) -> tuple[str, ...]:
        return tuple(label for label, _ in self.rows)


@dataclass(frozen=True)
class ChartSpec:
    """A chart: a Vega-Lite spec (dict), its alt text stating the key figures, and a title."""

    title: str
    vega_lite: dict
    alt: str
    id: str = ""


@dataclass(frozen=True)
class SummaryRow:
    """One headline measure of the executive summary, already formatted.

    ``variation`` and ``assurance`` are the codes of the NHS "Making Data Count" icons (see
    :mod:`forcestat.report.icons`); ``exception`` says why the board should look at it ("" when
    nothing needs its attention).
    """

    measure: str
    label: str
    value: str
    previous: str
    last_year: str
    benchmark: str  # "met", "not met" or "no benchmark"
    benchmark_detail: str
    variation: str
    assurance: str
    exception: str = ""


@dataclass(frozen=True)
class SummarySpec:
    """The executive summary table: headline rows, exceptions first."""

    caption: str
    period_label: str
    previous_label: str
    last_year_label: str
    rows: tuple[SummaryRow, ...]
    id: str = "t-summary"

    COLUMNS = (
        "Measure",
        "Value",
        "Against previous period",
        "Against same period last year",
        "Benchmark",
        "Variation",
        "Assurance",
    )


@dataclass(frozen=True)
class Commentary:
    """The force's own words for a section, from the ``--commentary`` Markdown file.

    ``blocks`` holds ("p", text) paragraphs and ("ul", (item, ...)) lists, as plain text;
    ``attribution`` says whose words they are.
    """

    blocks: tuple[tuple[str, str | tuple[str, ...]], ...]
    attribution: str


Block = Paragraph | Heading | TableSpec | ChartSpec | SummarySpec | Commentary


@dataclass(frozen=True)
class Section:
    """A numbered section of the board paper."""

    id: str
    title: str
    blocks: tuple[Block, ...] = ()

    def _add(self, block: Block) -> Section:
        return replace(self, blocks=(*self.blocks, block))

    def add_paragraph(self, text: str | None) -> Section:
        """Append a paragraph; ``None`` or empty text (nothing the figures support) is skipped."""
        return self._add(Paragraph(text)) if text else self

    def add_paragraphs(self, texts: list[str | None]) -> Section:
        out = self
        for t in texts:
            out = out.add_paragraph(t)
        return out

    def add_heading(self, text: str) -> Section:
        return self._add(Heading(text))

    def add_table(self, table: TableSpec) -> Section:
        return self._add(table)

    def add_chart(self, chart: ChartSpec | None) -> Section:
        return self._add(chart) if chart is not None else self

    def add_summary(self, summary: SummarySpec) -> Section:
        return self._add(summary)

    def with_commentary(self, commentary: Commentary) -> Section:
        """The force's commentary goes after the section's opening paragraphs of narrative and
        before its first table, chart or sub-heading, so it is read beside the generated words
        (at the top of a section that opens with a sub-heading)."""
        at = next(
            (i for i, b in enumerate(self.blocks) if not isinstance(b, Paragraph)),
            len(self.blocks),
        )
        return replace(self, blocks=(*self.blocks[:at], commentary, *self.blocks[at:]))

    @property
    def tables(self) -> tuple[TableSpec, ...]:
        return tuple(b for b in self.blocks if isinstance(b, TableSpec))

    @property
    def charts(self) -> tuple[ChartSpec, ...]:
        return tuple(b for b in self.blocks if isinstance(b, ChartSpec))

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if isinstance(b, Paragraph))


@dataclass(frozen=True)
class Report:
    """The whole board paper: a title block, sections in order and an appendix."""

    title: str
    subtitle: str
    force: str
    period_label: str
    generated: str
    board: str = ""
    #: the edition's notice in the title block, e.g. "Public edition: counts under 5 suppressed"
    notice: str = ""
    #: the protective marking in each page's header ("" for none: synthetic data has none)
    marking: str = "OFFICIAL"
    #: a banner on every page and in the Word header: "Synthetic data — not official figures"
    banner: str = ""
    sections: tuple[Section, ...] = ()
    appendix: tuple[Section, ...] = ()
    meta: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def add_section(self, section: Section) -> Report:
        return replace(self, sections=(*self.sections, section))

    def add_appendix(self, section: Section) -> Report:
        return replace(self, appendix=(*self.appendix, section))

    def with_meta(self, key: str, value: str) -> Report:
        return replace(self, meta=(*self.meta, (key, value)))

    @property
    def all_sections(self) -> tuple[Section, ...]:
        return self.sections + self.appendix
