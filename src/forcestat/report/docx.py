"""The report as a Word document (python-docx): headings, tables, narrative, charts as PNG."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .charts import render_png
from .html import corner_mark, running_header
from .icons import (
    ASSURANCE_WORDS,
    VARIATION_WORDS,
    assurance_svg,
    svg_png,
    variation_svg,
)
from .spec import (
    ChartSpec,
    Commentary,
    Heading,
    Paragraph,
    Report,
    Section,
    SummarySpec,
    TableSpec,
)

NAVY = RGBColor(0x1D, 0x35, 0x57)
MUTED = RGBColor(0x52, 0x60, 0x6D)
RED = RGBColor(0xB3, 0x26, 0x1E)
GREEN = RGBColor(0x1F, 0x5E, 0x48)


def _field(run, instr: str) -> None:  # type: ignore[no-untyped-def]
    """Insert a Word field (PAGE, NUMPAGES) into a run."""
    begin, text, end = (
        OxmlElement("w:fldChar"),
        OxmlElement("w:instrText"),
        OxmlElement("w:fldChar"),
    )
    begin.set(qn("w:fldCharType"), "begin")
    text.set(qn("xml:space"), "preserve")
    text.text = instr
    end.set(qn("w:fldCharType"), "end")
    for el in (begin, text, end):
        run._r.append(el)


def _setup(doc, report: Report) -> None:  # type: ignore[no-untyped-def]
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(16)
    sec.top_margin, sec.bottom_margin = Mm(18), Mm(16)
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)
    for name, size in (("Title", 20), ("Heading 1", 14), ("Heading 2", 11)):
        st = doc.styles[name]
        st.font.color.rgb = NAVY
        st.font.size = Pt(size)
        st.font.name = "Arial"
    header = sec.header.paragraphs[0]
    header.style = doc.styles["Normal"]  # the Header style's centre tab stop is in the way
    header.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    header.text = f"{running_header(report)}\t"
    header.runs[0].font.size = Pt(8)
    header.runs[0].font.color.rgb = MUTED
    corner = header.add_run(corner_mark(report))
    corner.font.size = Pt(8)
    corner.font.bold = True
    corner.font.color.rgb = RED if report.banner else MUTED
    _table_styles(doc)
    footer = sec.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in ("Page ", ("PAGE",), " of ", ("NUMPAGES",)):
        run = footer.add_run()
        run.font.size = Pt(8)
        if isinstance(part, tuple):
            _field(run, part[0])
        else:
            run.text = part


def _shade(cell, fill: str) -> None:  # type: ignore[no-untyped-def]
    """Fill a table cell's background (hex colour without #)."""
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _mark_header_row(row) -> None:  # type: ignore[no-untyped-def]
    """Repeat the header row on each page and mark it as a header for screen readers."""
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


TEXT_WIDTH_MM = 178


def _table_styles(doc) -> None:  # type: ignore[no-untyped-def]
    """Paragraph styles for table cells: the cell's paragraph mark takes the style's size, so
    empty cells are no taller than full ones."""
    for name, size in (("Table Text", 9), ("Table Text Small", 7)):
        st = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        st.base_style = doc.styles["Normal"]
        st.font.size = Pt(size)
        st.paragraph_format.space_before = Pt(1)
        st.paragraph_format.space_after = Pt(1)
        st.paragraph_format.line_spacing = 1.0


def _column_widths(spec: TableSpec) -> list[Mm]:
    """Widths that fit the content: each column in proportion to its longest cell (a long
    definition gets the room, a key or a unit just enough), within the text width."""
    columns = [
        [spec.stub_header, *(label for label, _ in spec.rows)],
        *([head, *(cells[i] for _, cells in spec.rows)] for i, head in enumerate(spec.columns)),
    ]
    longest = [
        max((len(word) for c in col for word in str(c).split()), default=4) for col in columns
    ]
    need = [max((len(str(c)) for c in col), default=4) for col in columns]
    # a column is at least as wide as its longest word, at most 60 characters' worth wanted
    weights = [max(min(n, 60), w + 1, 5) for n, w in zip(need, longest, strict=True)]
    total = sum(weights)
    return [Mm(TEXT_WIDTH_MM * w / total) for w in weights]


def _fill_row(row, texts, spec: TableSpec, *, bold: bool, shade: str | None) -> None:  # type: ignore[no-untyped-def]
    style = "Table Text Small" if spec.compact else "Table Text"
    for i, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
        p = cell.paragraphs[0]
        p.style = style
        p.paragraph_format.keep_with_next = True  # a short table stays on one page
        run = p.add_run(text)
        run.font.bold = bold
        if i > 0 and spec.align == "right":
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if shade:
            _shade(cell, shade)
    tr_pr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    tr_pr.append(cant)


def _table(doc, spec: TableSpec) -> None:  # type: ignore[no-untyped-def]
    cap = doc.add_paragraph(spec.caption, style="Caption")
    cap.runs[0].font.color.rgb = NAVY
    cap.paragraph_format.keep_with_next = True
    t = doc.add_table(rows=1 + len(spec.rows), cols=len(spec.columns) + 1)
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    t.autofit = False
    widths = _column_widths(spec)
    for column, width in zip(t.columns, widths, strict=True):
        for cell in column.cells:
            cell.width = width
    # Word reads the cells' widths, LibreOffice the table grid's: set both
    for grid_col, width in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        grid_col.set(qn("w:w"), str(int(width.twips)))
    _fill_row(t.rows[0], (spec.stub_header, *spec.columns), spec, bold=True, shade="E8EDF4")
    _mark_header_row(t.rows[0])
    first_total = len(spec.rows) - spec.total_rows
    for n, (label, cells) in enumerate(spec.rows):
        total = n >= first_total
        _fill_row(
            t.rows[n + 1], (label, *cells), spec, bold=total, shade="F3F5F8" if total else None
        )
    if len(spec.rows) > 18 or not spec.rows:
        for row in t.rows:  # long tables may break across pages
            for cell in row.cells:
                cell.paragraphs[0].paragraph_format.keep_with_next = False
    else:
        for cell in t.rows[-1].cells:
            cell.paragraphs[0].paragraph_format.keep_with_next = False
    if spec.note:
        note = doc.add_paragraph(spec.note)
        note.runs[0].font.size = Pt(7.5)
        note.runs[0].font.color.rgb = MUTED
    doc.add_paragraph()


def _chart(doc, spec: ChartSpec, number: int) -> None:  # type: ignore[no-untyped-def]
    doc.add_picture(io.BytesIO(render_png(spec)), width=Mm(170))
    doc.paragraphs[-1].paragraph_format.keep_with_next = True  # the picture keeps its caption
    pic = doc.inline_shapes[-1]
    # alt text, so a screen reader in Word reads the key figures
    pic._inline.docPr.set("descr", spec.alt)
    pic._inline.docPr.set("title", spec.title)
    cap = doc.add_paragraph(f"Figure {number}: {spec.title}", style="Caption")
    cap.runs[0].font.color.rgb = MUTED


def _widths(t, widths_mm: list[float]) -> None:  # type: ignore[no-untyped-def]
    """Fix a table's column widths in both the cells (Word) and the grid (LibreOffice)."""
    t.autofit = False
    widths = [Mm(w) for w in widths_mm]
    for column, width in zip(t.columns, widths, strict=True):
        for cell in column.cells:
            cell.width = width
    for grid_col, width in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        grid_col.set(qn("w:w"), str(int(width.twips)))


SUMMARY_WIDTHS = (38.0, 18.0, 30.0, 30.0, 22.0, 20.0, 20.0)
#: the name Word gives each summary icon picture (charts keep python-docx's own)
ICON_NAME = "Making Data Count icon"
_ICONS: dict[str, bytes] = {}


def _icon_png(svg: str) -> bytes:
    if svg not in _ICONS:
        _ICONS[svg] = svg_png(svg)
    return _ICONS[svg]


def _cell_text(cell, text: str, *, bold: bool = False, small: str = "", colour=None) -> None:  # type: ignore[no-untyped-def]
    p = cell.paragraphs[0]
    p.style = "Table Text Small"
    run = p.add_run(text)
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    if small:
        extra = p.add_run("\n" + small)
        extra.font.size = Pt(6.5)
        extra.font.color.rgb = MUTED


def _cell_icon(cell, svg: str, alt: str) -> None:  # type: ignore[no-untyped-def]
    p = cell.paragraphs[0]
    p.style = "Table Text Small"
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    pic = run.add_picture(io.BytesIO(_icon_png(svg)), width=Mm(5.5))
    pic._inline.docPr.set("descr", alt)
    pic._inline.docPr.set("name", ICON_NAME)


def _summary(doc, spec: SummarySpec) -> None:  # type: ignore[no-untyped-def]
    """The executive summary table with the same icons as the HTML (SVG rasterised)."""
    cap = doc.add_paragraph(spec.caption, style="Caption")
    cap.runs[0].font.color.rgb = NAVY
    cap.paragraph_format.keep_with_next = True
    t = doc.add_table(rows=1 + len(spec.rows), cols=7)
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    _widths(t, list(SUMMARY_WIDTHS))
    heads = (
        "Measure",
        spec.period_label,
        f"Against {spec.previous_label}",
        f"Against {spec.last_year_label}",
        "Benchmark",
        "Variation",
        "Assurance",
    )
    for cell, text in zip(t.rows[0].cells, heads, strict=True):
        _cell_text(cell, text, bold=True)
        _shade(cell, "E8EDF4")
    _mark_header_row(t.rows[0])
    for row, r in zip(t.rows[1:], spec.rows, strict=True):
        c = row.cells
        _cell_text(c[0], r.label, bold=True, small=r.exception)
        if r.exception:
            _shade(c[0], "FDF0E0")
        _cell_text(c[1], r.value, bold=True)
        c[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _cell_text(c[2], r.previous)
        _cell_text(c[3], r.last_year)
        colour = RED if r.benchmark == "not met" else (NAVY if r.benchmark == "met" else None)
        _cell_text(c[4], r.benchmark.capitalize(), bold=r.benchmark != "no benchmark",
                   small=r.benchmark_detail, colour=colour)  # fmt: skip
        _cell_icon(c[5], variation_svg(r.variation), VARIATION_WORDS.get(r.variation, ""))
        if r.assurance == "none":
            _cell_text(c[6], "–")
            c[6].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            _cell_icon(c[6], assurance_svg(r.assurance), ASSURANCE_WORDS.get(r.assurance, ""))
        tr_pr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        cant.set(qn("w:val"), "true")
        tr_pr.append(cant)
    key = doc.add_paragraph()
    for code, words in [*VARIATION_WORDS.items(), *ASSURANCE_WORDS.items()]:
        if code == "none":
            continue
        svg = variation_svg(code, 18) if code in VARIATION_WORDS else assurance_svg(code, 18)
        icon = key.add_run().add_picture(io.BytesIO(_icon_png(svg)), width=Mm(3.5))
        icon._inline.docPr.set("descr", words)
        icon._inline.docPr.set("name", ICON_NAME)
        run = key.add_run(f" {words}   ")
        run.font.size = Pt(7)
        run.font.color.rgb = MUTED


def _boxed(p) -> None:  # type: ignore[no-untyped-def]
    """Shade a paragraph and rule its left edge: the commentary box, paragraph by paragraph."""
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    left = OxmlElement("w:left")
    for k, v in (("w:val", "single"), ("w:sz", "24"), ("w:space", "8"), ("w:color", "2A7F62")):
        left.set(qn(k), v)
    border.append(left)
    ppr.append(border)
    shd = OxmlElement("w:shd")
    for k, v in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", "EEF6F2")):
        shd.set(qn(k), v)
    ppr.append(shd)
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.left_indent = Mm(3)


def _commentary(doc, c: Commentary) -> None:  # type: ignore[no-untyped-def]
    """The force's words in a shaded box headed "Force commentary", with the attribution."""
    head = doc.add_paragraph()
    run = head.add_run("Force commentary")
    run.font.bold = True
    run.font.color.rgb = GREEN
    _boxed(head)
    for kind, content in c.blocks:
        if kind == "ul":
            for item in content:
                _boxed(doc.add_paragraph(f"• {item}"))
        else:
            _boxed(doc.add_paragraph(str(content)))
    attr = doc.add_paragraph()
    run = attr.add_run(c.attribution)
    run.font.italic = True
    run.font.size = Pt(7.5)
    run.font.color.rgb = MUTED
    _boxed(attr)
    doc.add_paragraph()


def _section(doc, s: Section, title: str, counter: list[int]) -> None:  # type: ignore[no-untyped-def]
    doc.add_heading(title, level=1)
    for b in s.blocks:
        if isinstance(b, Paragraph):
            doc.add_paragraph(b.text)
        elif isinstance(b, Heading):
            doc.add_heading(b.text, level=2)
        elif isinstance(b, TableSpec):
            _table(doc, b)
        elif isinstance(b, SummarySpec):
            _summary(doc, b)
        elif isinstance(b, Commentary):
            _commentary(doc, b)
        elif isinstance(b, ChartSpec):
            counter[0] += 1
            _chart(doc, b, counter[0])


def write_docx(report: Report, out: Path) -> Path:
    """Write ``report`` as a .docx at ``out``."""
    doc = Document()
    _setup(doc, report)
    doc.core_properties.title = f"{report.title}: {report.subtitle}"
    doc.core_properties.author = "forcestat"
    if report.banner:
        banner = doc.add_paragraph()
        run = banner.add_run(report.banner)
        run.font.bold = True
        run.font.color.rgb = RED
        run.font.size = Pt(12)
    kicker = doc.add_paragraph(f"{report.board} · Board paper".upper())
    kicker.runs[0].font.size = Pt(8)
    kicker.runs[0].font.color.rgb = MUTED
    doc.add_paragraph(report.title, style="Title")
    sub = doc.add_paragraph(report.subtitle)
    sub.runs[0].font.size = Pt(14)
    if report.notice:
        notice = doc.add_paragraph(report.notice)
        notice.runs[0].font.bold = True
        notice.runs[0].font.color.rgb = NAVY
    for key, value in report.meta:
        p = doc.add_paragraph()
        k = p.add_run(f"{key}: ")
        k.bold = True
        p.add_run(value)
        for r in p.runs:
            r.font.size = Pt(9)
    counter = [0]
    for i, s in enumerate(report.sections, 1):
        _section(doc, s, f"{i}. {s.title}", counter)
    for j, s in enumerate(report.appendix):
        if j == 0:
            doc.add_page_break()
        _section(doc, s, s.title, counter)
    doc.save(str(out))
    return out
