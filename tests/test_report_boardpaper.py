"""The board paper a board can use: the executive summary (golden structure), the force's
commentary in all three formats, synthetic stores labelled as such (and real ones not), and a
layout check of the rendered PDF pages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import html as lxml_html

from forcestat.provenance import is_synthetic, mark_synthetic
from forcestat.report import prepare_report, write_report
from forcestat.report.icons import ASSURANCE_WORDS, VARIATION_WORDS
from forcestat.report.spec import Commentary, SummarySpec
from forcestat.report.summary import HEADLINES
from forcestat.report.synthetic import BANNER
from forcestat.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "report"
sys.path.insert(0, str(FIXTURES))
import report_records as records  # noqa: E402

PERIOD = "2022-08..2022-10"
COMMENTARY = """\
## Force Control Room

The percentage of unanswered 101 calls remains challenging. A plan is being devised to combat
the issue and resources will be allocated imminently.

- Extra call handlers from November.
- Refreshed messaging towards digital channels.

## Mental Health and Section 136 (s.136) Detentions

We are working on the new NHS 111 option 2 line for people in crisis.
"""


@pytest.fixture(scope="module")
def real_store():
    store = records.build(Store.open(":memory:"))
    yield store
    store.close()


@pytest.fixture(scope="module")
def synthetic_store():
    store = records.build(Store.open(":memory:"))
    mark_synthetic(
        store,
        {
            "generator": "forcestat synth test",
            "seed": 7,
            "targets_file": "seed_figures.csv",
            "fitted": {"recorded_crime": ["2022-08", "2022-09", "2022-10"]},
            "missed": [],
            "implausible": ["An implausible history was not invented."],
        },
    )
    yield store
    store.close()


@pytest.fixture(scope="module")
def commentary_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("words") / "commentary.md"
    p.write_text(COMMENTARY, "utf-8")
    return p


@pytest.fixture(scope="module")
def written(synthetic_store, commentary_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("paper")
    return write_report(synthetic_store, PERIOD, out, commentary=commentary_file)


@pytest.fixture(scope="module")
def doc(written):
    return lxml_html.fromstring(written["html"].read_text("utf-8"))


def norm(text: str) -> str:
    return " ".join(text.split())


# -- the executive summary ---------------------------------------------------------------------
def test_executive_summary_is_the_first_section_with_a_fixed_structure(real_store):
    report = prepare_report(real_store, PERIOD)
    first = report.sections[0]
    assert (first.id, first.title) == ("summary", "Executive Summary")
    (spec,) = [b for b in first.blocks if isinstance(b, SummarySpec)]
    assert spec.COLUMNS == (
        "Measure",
        "Value",
        "Against previous period",
        "Against same period last year",
        "Benchmark",
        "Variation",
        "Assurance",
    )
    assert (spec.period_label, spec.previous_label, spec.last_year_label) == (
        "August to October 2022",
        "May to July 2022",
        "August to October 2021",
    )
    labels = [r.label for r in spec.rows]
    assert set(labels) <= {h.label for h in HEADLINES} and len(labels) >= 8
    for r in spec.rows:
        assert r.benchmark in ("met", "not met", "no benchmark")
        assert r.variation in VARIATION_WORDS and r.assurance in ASSURANCE_WORDS
        assert r.value and r.value != "–"
    # exceptions first, each saying why; the rest keep the sections' order
    flags = [bool(r.exception) for r in spec.rows]
    assert flags == sorted(flags, reverse=True)
    for r in spec.rows:
        if r.benchmark == "not met":
            assert "benchmark not met" in r.exception
    order = [h.label for h in HEADLINES]
    calm = [r.label for r in spec.rows if not r.exception]
    assert calm == sorted(calm, key=order.index)


def test_summary_benchmarks_come_from_the_profile(real_store):
    spec = next(
        b for b in prepare_report(real_store, PERIOD).sections[0].blocks
        if isinstance(b, SummarySpec)
    )  # fmt: skip
    rows = {r.measure: r for r in spec.rows}
    assert rows["calls_999_pct_not_answered"].benchmark in ("met", "not met")
    assert "at most 2%" in rows["calls_999_pct_not_answered"].benchmark_detail
    assert rows["recorded_crime"].benchmark == "no benchmark"
    assert rows["recorded_crime"].assurance == "none"  # no benchmark, nothing to assure


def test_icons_are_drawn_the_same_way_in_html_and_word(written, doc):
    import docx

    from forcestat.report.docx import ICON_NAME

    rows = doc.xpath('//table[@id="t-summary"]/tbody/tr')
    assert rows and all(r.xpath('.//svg[contains(@class, "mdc-icon")]') for r in rows)
    d = docx.Document(str(written["docx"]))
    icons = [s for s in d.inline_shapes if s._inline.docPr.get("name") == ICON_NAME]
    # each row's variation icon (and assurance icon where there is a benchmark) plus the key
    html_icons = doc.xpath('//table[@id="t-summary"]//svg')
    assert len(icons) >= len(html_icons)
    assert all(s._inline.docPr.get("descr") for s in icons)


# -- commentary --------------------------------------------------------------------------------
def test_commentary_sits_in_its_sections_in_html(doc):
    (fcr,) = doc.xpath('//section[@id="fcr"]')
    aside = fcr.xpath('.//aside[@class="commentary"]')
    assert aside, "the Force Control Room commentary is missing"
    text = norm(aside[0].text_content())
    assert text.startswith("Force commentary")
    assert "A plan is being devised" in text and "Extra call handlers from November." in text
    assert "the force's own words" in text  # attributed
    (mh,) = doc.xpath('//section[@id="mental-health"]')
    assert "NHS 111 option 2" in norm(mh.xpath('.//aside[@class="commentary"]')[0].text_content())
    (imu,) = doc.xpath('//section[@id="imu"]')
    assert not imu.xpath(".//aside")  # no words given, no box


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils' pdftotext")
def test_commentary_in_pdf_and_word(written):
    import docx

    pdf = norm(subprocess.run(
        ["pdftotext", str(written["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout)  # fmt: skip
    word = norm(" ".join(p.text for p in docx.Document(str(written["docx"])).paragraphs))
    for text in (pdf, word):
        assert "Force commentary" in text
        assert "A plan is being devised to combat the issue" in text
        assert "Extra call handlers from November." in text
        assert "not generated from the figures" in text


def test_commentary_heading_matching_no_section_is_an_error_naming_it(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store.open(db) as s:
        records.build(s)
    bad = tmp_path / "words.md"
    bad.write_text("## Force Control Room\n\nFine.\n\n## Roads Policing\n\nNo such section.\n")
    result = subprocess.run(
        [sys.executable, "-c", "from forcestat.cli import main; main()",
         "report", "--db", str(db), "--period", PERIOD, "--out", str(tmp_path / "o"),
         "--format", "html", "--commentary", str(bad)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Roads Policing" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o" / "report.html").exists()


def test_commentary_parses_headings_by_title_id_or_number():
    from forcestat.report.commentary import parse_commentary

    c = parse_commentary("## 5. Force Control Room\n\nOne.\n\n## imu\n\n- a\n- b\n")
    assert [h for h, _ in c.sections] == ["5. Force Control Room", "imu"]
    assert c.sections[1][1] == (("ul", ("a", "b")),)


def test_text_before_any_heading_is_an_error():
    from forcestat.errors import InputError
    from forcestat.report.commentary import parse_commentary

    with pytest.raises(InputError, match="belongs to no section"):
        parse_commentary("Loose words.\n\n## Force Control Room\n\nFine.\n")


def test_commentary_block_is_attributed(real_store, commentary_file):
    report = prepare_report(real_store, PERIOD, commentary=commentary_file)
    boxes = [b for s in report.sections for b in s.blocks if isinstance(b, Commentary)]
    assert len(boxes) == 2 and all("force's own words" in b.attribution for b in boxes)


# -- synthetic data says so --------------------------------------------------------------------
def test_synthetic_store_gives_banner_calibration_note_and_no_marking(written, doc):
    html = written["html"].read_text("utf-8")
    assert doc.xpath('//*[@id="synthetic-banner"]')[0].text_content() == BANNER
    assert "OFFICIAL" not in html
    assert "Prepared for" not in html
    (note,) = doc.xpath('//section[@id="synthetic-data"]')
    text = norm(note.text_content())
    assert "Fitted" in text and "Invented" in text and "seed 7" in text
    assert "An implausible history was not invented." in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils' pdftotext")
def test_banner_on_every_pdf_page_and_in_the_word_header(written):
    import docx

    out = subprocess.run(
        ["pdftotext", str(written["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [p for p in out.split("\f") if p.strip()]
    assert len(pages) > 3
    assert all(BANNER in norm(p) for p in pages)
    header = docx.Document(str(written["docx"])).sections[0].header
    assert BANNER in " ".join(p.text for p in header.paragraphs)
    assert "OFFICIAL" not in " ".join(p.text for p in header.paragraphs)


def test_real_store_has_no_banner_and_keeps_its_marking(real_store, tmp_path):
    import docx

    assert not is_synthetic(real_store)
    paths = write_report(real_store, PERIOD, tmp_path, formats=("html", "docx"))
    html = paths["html"].read_text("utf-8")
    assert BANNER not in html and "synthetic-data" not in html
    assert "OFFICIAL" in html
    header = docx.Document(str(paths["docx"])).sections[0].header
    assert "OFFICIAL" in header.paragraphs[0].text and BANNER not in header.paragraphs[0].text


def test_ingest_records_the_synth_marker_in_the_store(tmp_path):
    """Files under a folder with synth's synthetic.json make a synthetic store; others don't."""
    import pandas as pd

    from forcestat.ingest import ingest_paths

    for name, marked in (("synth", True), ("real", False)):
        folder = tmp_path / name
        folder.mkdir()
        pd.DataFrame(
            {"crime_id": ["A1"], "recorded_at": ["2022-08-01T10:00:00+00:00"],
             "crime_type": ["Burglary"], "district": ["Dover"], "status": ["recorded"]}
        ).to_csv(folder / "crimes.csv", index=False)  # fmt: skip
        if marked:
            (folder / "synthetic.json").write_text(json.dumps({"seed": 3, "synthetic": True}))
        with Store.open(tmp_path / f"{name}.duckdb") as s:
            ingest_paths(s, [folder])
            assert is_synthetic(s) is marked
            assert s.synthetic is marked


# -- layout ------------------------------------------------------------------------------------
def _page_rows(png: Path) -> tuple[int, int, list[int], list[int]]:
    """Height, width, and for each pixel row / column whether it holds ink (not white)."""
    from PIL import Image

    im = Image.open(png).convert("L")
    w, h = im.size
    px = im.load()
    rows = [sum(1 for x in range(0, w, 2) if px[x, y] < 235) for y in range(h)]
    cols = [sum(1 for y in range(0, h, 2) if px[x, y] < 235) for x in range(w)]
    return h, w, rows, cols


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils' pdftoppm")
def test_pdf_pages_are_not_left_half_empty_and_no_table_runs_off(written, tmp_path):
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(written["pdf"]), str(tmp_path / "p")], check=True
    )
    text = subprocess.run(
        ["pdftotext", str(written["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    texts = text.split("\f")
    pages = sorted(tmp_path.glob("p-*.png"))
    mm = 40 / 25.4  # pixels per mm at 40 dpi
    for i, png in enumerate(pages):
        h, w, rows, cols = _page_rows(png)
        top, bottom = int(20 * mm), h - int(18 * mm)  # the body, inside header and footer
        # nothing right of the right margin (16 mm) in the body: no table wider than the page
        right = int(w - 14 * mm)
        body_cols = [
            x for x in range(right, w)
            if any(_ink(png, x, y) for y in range(top, bottom, 3))
        ]  # fmt: skip
        assert not body_cols, f"page {i + 1}: something runs into the right margin"
        ink = [y for y in range(top, bottom) if rows[y]]
        filled = (max(ink) - top) / (bottom - top) if ink else 0.0
        last = i == len(pages) - 1
        next_starts_section = not last and _starts_section(texts[i + 1])
        if filled < 0.5 and not last:
            assert next_starts_section, f"page {i + 1} is {1 - filled:.0%} empty mid-section"


_IMAGES: dict[Path, object] = {}


def _ink(png: Path, x: int, y: int) -> bool:
    from PIL import Image

    if png not in _IMAGES:
        _IMAGES[png] = Image.open(png).convert("L").load()
    return _IMAGES[png][x, y] < 200  # type: ignore[index]


def _starts_section(page_text: str) -> bool:
    """Whether a page's body opens with a section or appendix heading."""
    lines = [ln.strip() for ln in page_text.splitlines() if ln.strip()]
    body = [ln for ln in lines if BANNER not in ln and "·" not in ln]
    import re

    return bool(body) and bool(re.match(r"^(\d+\. |Appendix)", body[0]))


def test_coverage_of_a_long_period_fits_the_page():
    """Twelve month columns ran off the page: a long period shows months held and records."""
    from datetime import date

    import pandas as pd

    from forcestat.periods import parse_period
    from forcestat.report.appendix import coverage
    from forcestat.report.figures import Figures

    period = parse_period("2021-11..2022-10")
    held = {m: 100 for m in period.months() if m != date(2022, 2, 1)}
    f = Figures(period, pd.DataFrame(columns=["measure", "scope"]), {"calls": held})
    (table,) = coverage(f).tables
    assert table.columns == ("First month", "Last month", "Months held", "Records", "Gaps")
    assert dict(table.rows)["calls"] == ("2021-11", "2022-10", "11 of 12", "1,100", "2022-02")
    short = Figures(parse_period("2022-08..2022-10"), f.frame, {"calls": held})
    assert len(coverage(short).tables[0].columns) == 6  # first, last, a month each, gaps
