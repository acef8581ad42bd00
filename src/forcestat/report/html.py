"""The report as one self-contained HTML file: CSS inline, charts as inline SVG, no network."""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2

from .charts import render_svg
from .icons import ASSURANCE_WORDS, SHORT_WORDS, VARIATION_WORDS, assurance_svg, variation_svg
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
from .tables import table_html


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("forcestat.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )


def stylesheet() -> str:
    """The report's CSS (shipped in ``forcestat/report/static``)."""
    return resources.files("forcestat.report").joinpath("static/report.css").read_text("utf-8")


def _blocks(section: Section, counter: list[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for b in section.blocks:
        if isinstance(b, Paragraph):
            out.append({"kind": "p", "text": b.text})
        elif isinstance(b, Heading):
            out.append({"kind": "h3", "text": b.text})
        elif isinstance(b, TableSpec):
            out.append({"kind": "table", "id": b.id, "html": table_html(b)})
        elif isinstance(b, SummarySpec):
            out.append({"kind": "summary", "spec": b, "rows": [_summary_row(r) for r in b.rows]})
        elif isinstance(b, Commentary):
            out.append({"kind": "commentary", "blocks": b.blocks, "attribution": b.attribution})
        elif isinstance(b, ChartSpec):
            counter[0] += 1
            out.append(
                {
                    "kind": "chart",
                    "id": b.id,
                    "title": b.title,
                    "number": counter[0],
                    "html": render_svg(b),
                }
            )
    return out


def _summary_row(r) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "row": r,
        "variation_svg": variation_svg(r.variation, 20),
        "assurance_svg": assurance_svg(r.assurance, 20),
        "variation_words": SHORT_WORDS.get(r.variation, ""),
        "assurance_words": SHORT_WORDS.get(r.assurance, "") if r.assurance != "none" else "",
    }


def icon_key() -> list[dict[str, str]]:
    """The key under the summary table: every icon with its meaning."""
    out = [{"svg": variation_svg(c, 18), "words": w} for c, w in VARIATION_WORDS.items()]
    out += [
        {"svg": assurance_svg(c, 18), "words": w} for c, w in ASSURANCE_WORDS.items() if c != "none"
    ]
    return [k for k in out if "Too few" not in k["words"]]


def _view(section: Section, counter: list[int]) -> dict[str, Any]:
    return {"id": section.id, "title": section.title, "blocks": _blocks(section, counter)}


def css_string(text: str) -> str:
    """``text`` as a CSS string literal, safe inside a ``<style>`` element."""
    escaped = "".join(c if c.isalnum() or c in " .,:-()/&'" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def running_header(report: Report) -> str:
    """The line at the top of each page: force and period, and the edition if not the board's."""
    edition = " · Public edition" if report.notice else ""
    return f"{report.force} · {report.subtitle}{edition}"


def corner_mark(report: Report) -> str:
    """What the top right of each page says: the synthetic-data banner, else the marking."""
    return report.banner or report.marking


def render_html(report: Report) -> str:
    """The whole report as an HTML document string."""
    counter = [0]
    sections = [_view(s, counter) for s in report.sections]
    appendix = [_view(s, counter) for s in report.appendix]
    template = _env().get_template("report.html.j2")
    return template.render(
        report=report,
        sections=sections,
        appendix=appendix,
        css=stylesheet(),
        running_header=css_string(running_header(report)),
        corner=css_string(corner_mark(report)) if corner_mark(report) else "none",
        icon_key=icon_key(),
    )
