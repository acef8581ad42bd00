"""The report as a Word document (python-docx): headings, tables, narrative, charts as PNG."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .charts import render_png
from .spec import ChartSpec, Heading, Paragraph, Report, Section, TableSpec

NAVY = RGBColor(0x1D, 0x35, 0x57)
MUTED = RGBColor(0x52, 0x60, 0x6D)


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
    header.text = f"{report.force} · {report.subtitle}\tOFFICIAL"
    header.runs[0].font.size = Pt(8)
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


def _table(doc, spec: TableSpec) -> None:  # type: ignore[no-untyped-def]
    cap = doc.add_paragraph(spec.caption, style="Caption")
    cap.runs[0].font.color.rgb = NAVY
    t = doc.add_table(rows=1, cols=len(spec.columns) + 1)
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    size = Pt(7) if spec.compact else Pt(9)
    head = t.rows[0].cells
    for i, text in enumerate((spec.stub_header, *spec.columns)):
        head[i].text = text
        _shade(head[i], "E8EDF4")
        if i > 0 and spec.align == "right":
            head[i].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = head[i].paragraphs[0].runs
        if run:
            run[0].font.bold = True
            run[0].font.size = size
    _mark_header_row(t.rows[0])
    first_total = len(spec.rows) - spec.total_rows
    for n, (label, cells) in enumerate(spec.rows):
        row = t.add_row().cells
        for i, text in enumerate((label, *cells)):
            row[i].text = text
            p = row[i].paragraphs[0]
            if i > 0 and spec.align == "right":
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            for r in p.runs:
                r.font.size = size
                r.font.bold = n >= first_total
            if n >= first_total:
                _shade(row[i], "F3F5F8")
    if spec.note:
        note = doc.add_paragraph(spec.note)
        note.runs[0].font.size = Pt(7.5)
        note.runs[0].font.color.rgb = MUTED
    doc.add_paragraph()


def _chart(doc, spec: ChartSpec, number: int) -> None:  # type: ignore[no-untyped-def]
    doc.add_picture(io.BytesIO(render_png(spec)), width=Mm(170))
    pic = doc.inline_shapes[-1]
    # alt text, so a screen reader in Word reads the key figures
    pic._inline.docPr.set("descr", spec.alt)
    pic._inline.docPr.set("title", spec.title)
    cap = doc.add_paragraph(f"Figure {number}: {spec.title}", style="Caption")
    cap.runs[0].font.color.rgb = MUTED


def _section(doc, s: Section, title: str, counter: list[int]) -> None:  # type: ignore[no-untyped-def]
    doc.add_heading(title, level=1)
    for b in s.blocks:
        if isinstance(b, Paragraph):
            doc.add_paragraph(b.text)
        elif isinstance(b, Heading):
            doc.add_heading(b.text, level=2)
        elif isinstance(b, TableSpec):
            _table(doc, b)
        elif isinstance(b, ChartSpec):
            counter[0] += 1
            _chart(doc, b, counter[0])


def write_docx(report: Report, out: Path) -> Path:
    """Write ``report`` as a .docx at ``out``."""
    doc = Document()
    _setup(doc, report)
    doc.core_properties.title = f"{report.title}: {report.subtitle}"
    doc.core_properties.author = "forcestat"
    kicker = doc.add_paragraph(f"{report.board} · Board paper".upper())
    kicker.runs[0].font.size = Pt(8)
    kicker.runs[0].font.color.rgb = MUTED
    doc.add_paragraph(report.title, style="Title")
    sub = doc.add_paragraph(report.subtitle)
    sub.runs[0].font.size = Pt(14)
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
