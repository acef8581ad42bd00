"""The public edition: no count from 1 to 4 in any format, what would give one back withheld,
prose that says "fewer than 5", and the board edition unchanged.

One thinned fixture store (tests/fixtures/report/report_small.py: 3 unanswered 999 calls in
September 2022, 2 cancelled crimes in August, 3 s.136 detentions in September) serves the
rendered tests; the suppression rules are tested on small frames, with no store.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from typer.testing import CliRunner

from forcestat.cli import app
from forcestat.errors import InputError
from forcestat.measures import CATALOGUE, evaluate
from forcestat.measures.disclosure import audit, protect
from forcestat.periods import parse_period
from forcestat.report import prepare_report, write_report
from forcestat.report.charts import category_bars, monthly_bars, monthly_lines
from forcestat.report.figures import EVALUATE_COLUMNS, Figures, collect_figures
from forcestat.report.narrative import describe_change, plain, record_since, series_sentence
from forcestat.report.suppress import (
    NOTICE,
    SYMBOLS_NOTE,
    UNDER_FIVE,
    WITHHELD,
    printed_cells,
    suppress_figures,
    suppression,
)
from forcestat.schema.volunteers import CPV_ROLES
from forcestat.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "report"
sys.path.insert(0, str(FIXTURES))
import report_small as small  # noqa: E402

PERIOD = "2022-08..2022-10"
# a count from 1 to 4 standing alone: not part of 2022, 1.16%, 3s, 4th or FY2019/20
SMALL_COUNT = re.compile(r"(?<![\w.,/£$-])[1-4](?![\w.,%/:-])")


@pytest.fixture(scope="module")
def small_store():
    store = small.build(Store.open(":memory:"))
    yield store
    store.close()


@pytest.fixture(scope="module")
def public(small_store, tmp_path_factory):
    return write_report(small_store, PERIOD, tmp_path_factory.mktemp("public"), public=True)


@pytest.fixture(scope="module")
def public_doc(public):
    return lxml_html.fromstring(public["html"].read_text("utf-8"))


@pytest.fixture(scope="module")
def board_doc(small_store, tmp_path_factory):
    out = write_report(small_store, PERIOD, tmp_path_factory.mktemp("board"), formats=["html"])
    return lxml_html.fromstring(out["html"].read_text("utf-8"))


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def table(doc, table_id: str) -> dict[str, list[str]]:
    (t,) = doc.xpath(f'//div[@id="{table_id}"]//table')
    return {
        norm(tr.xpath('./th[@scope="row"]')[0].text_content()): [
            norm(td.text_content()) for td in tr.xpath("./td")
        ]
        for tr in t.xpath("./tbody/tr")
    }


def month_value(store, key: str, month: str) -> float:
    df = evaluate(store, [key], month, comparisons=False)
    return float(df["value"].iloc[0])


# -- the rendered public edition -----------------------------------------------------------------
def test_no_html_table_cell_holds_a_count_from_1_to_4(public_doc):
    cells = [norm(c.text_content()) for c in public_doc.xpath("//main//table//td")]
    assert cells
    assert [c for c in cells if re.fullmatch(r"[1-4]", c)] == []
    assert "<5" in cells and "[c]" in cells


def test_board_edition_shows_the_exact_small_values_the_public_one_suppresses(
    small_store, board_doc, public_doc
):
    # (table, row, column, measure, month) where the fixture leaves a count from 1 to 4
    cases = [
        ("t-calls-999", "Calls Not Answered", 1, "calls_999_not_answered", "2022-09"),
        ("t-imu", "Cancelled Crime", 0, "cancelled_crime", "2022-08"),
        ("t-s136", "Sep", -1, "s136_detentions", "2022-09"),
    ]
    for table_id, row, col, key, month in cases:
        exact = month_value(small_store, key, month)
        assert 1 <= exact <= 4, key
        assert table(board_doc, table_id)[row][col] == f"{exact:,.0f}", key
        assert table(public_doc, table_id)[row][col] == "<5", key


def test_secondary_suppression_in_the_rendered_tables(public_doc, board_doc):
    calls = table(public_doc, "t-calls-999")
    # September: not answered < 5; answered withheld, or received - answered would give it
    assert calls["Calls Not Answered"][1] == "<5"
    assert calls["Calls Answered"][1] == "[c]"
    # the percentage times the published received would give the count back
    assert calls["% Not Answered"][1] == "[c]"
    grid = table(public_doc, "t-s136")
    fy_column = [
        cells[-1] for label, cells in grid.items() if label not in ("Total", "Average a month")
    ]
    hidden = [c for c in fy_column if c in ("<5", "[c]")]
    assert "<5" in hidden and "[c]" in hidden  # the FY total is published: two cells hidden
    assert grid["Total"][-1] == table(board_doc, "t-s136")["Total"][-1]
    imu = table(public_doc, "t-imu")
    assert imu["% of Total"][0] == "[c]"  # cancelled share of a suppressed count


def test_title_block_says_it_is_the_public_edition(public_doc, board_doc):
    (notice,) = public_doc.xpath("//header[@class='title-block']//p[@id='edition-notice']")
    assert norm(notice.text_content()) == NOTICE == "Public edition: counts under 5 suppressed"
    assert not board_doc.xpath("//p[@id='edition-notice']")


def test_narrative_says_fewer_than_5_and_never_a_suppressed_value(public_doc, board_doc):
    paragraphs = [norm(p.text_content()) for p in public_doc.xpath("//main//p")]
    assert any("fewer than 5" in p for p in paragraphs)
    assert not [p for p in paragraphs if "<5" in p or "[c]" in p]
    assert not [p for p in paragraphs if SMALL_COUNT.search(p)]
    board = [norm(p.text_content()) for p in board_doc.xpath("//main//p")]
    assert any(SMALL_COUNT.search(p) for p in board)  # the board paper states them
    accepted = next(p for p in paragraphs if "accepted into the regular force" in p)
    assert accepted.startswith("In the financial year to date, fewer than 5 Special Constables")


def test_chart_alt_text_states_no_suppressed_value(public_doc):
    alts = [svg.get("aria-label") for svg in public_doc.xpath("//*[local-name()='svg']")]
    assert alts and all(alts)
    assert not [a for a in alts if SMALL_COUNT.search(a) or "<5" in a]
    assert any("fewer than 5" in a for a in alts)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils' pdftotext")
def test_pdf_rows_hold_no_count_from_1_to_4(public, public_doc):
    text = subprocess.run(
        ["pdftotext", "-layout", str(public["pdf"]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert NOTICE in norm(text)
    assert text.count("· Public edition") >= 3  # the running header on every page
    labels = {
        norm(th.text_content())
        for th in public_doc.xpath('//main//table/tbody/tr/th[@scope="row"]')
    }
    rows = [line.strip() for line in text.splitlines() if line.strip()]
    table_rows = [r for r in rows if any(r.startswith(label + " ") for label in labels)]
    assert len(table_rows) > 40  # the tables came through as rows of text
    assert [r for r in table_rows if SMALL_COUNT.search(r)] == []
    assert any(r.endswith("<5") for r in table_rows)
    paragraphs = norm(text)
    assert "fewer than 5" in paragraphs


def test_word_file_holds_no_count_from_1_to_4(public):
    import docx

    d = docx.Document(str(public["docx"]))
    cells = [norm(c.text) for t in d.tables for row in t.rows for c in row.cells]
    assert "<5" in cells
    assert [c for c in cells if re.fullmatch(r"[1-4]", c)] == []
    text = [norm(p.text) for p in d.paragraphs]
    assert NOTICE in text
    assert "Public edition" in d.sections[0].header.paragraphs[0].text
    assert any("fewer than 5" in p for p in text)
    assert not [p for p in text if "<5" in p and SYMBOLS_NOTE not in p]  # notes explain it
    alts = [s._inline.docPr.get("descr") for s in d.inline_shapes]
    assert alts and not [a for a in alts if SMALL_COUNT.search(a)]


def test_force_profile_counts_follow_the_rule_too(small_store):
    other = prepare_report(
        small_store, PERIOD, profile=FIXTURES / "other_force.toml", public=True
    )  # 3 districts, 4 school officers covering 12 schools
    (section,) = [s for s in other.sections if s.id == "neighbourhood"]
    (spec,) = section.tables
    rows = dict(spec.rows)
    assert rows["School Officers"][1] == "<5" and rows["Schools Covered"][1] == "12"
    assert rows["Districts"][1] == "3"  # geography, not people: published as it is
    assert not [p for p in section.paragraphs if "School Officers Team" in p]
    assert section.charts == ()  # the bar would show the 4


def test_cli_writes_the_public_edition_and_refuses_a_published_check(tmp_path):
    db = tmp_path / "small.duckdb"
    with Store.open(db) as store:
        small.build(store)
    runner = CliRunner()
    args = ["report", "--period", "2022-10", "--db", str(db), "--format", "html"]
    ok = runner.invoke(app, [*args, "--out", str(tmp_path / "out"), "--public"])
    assert ok.exit_code == 0, ok.output
    assert NOTICE in (tmp_path / "out" / "report.html").read_text("utf-8")
    published = tmp_path / "published.csv"
    published.write_text("measure,period,value\n")
    refused = runner.invoke(
        app, [*args, "--out", str(tmp_path / "x"), "--public", "--published", str(published)]
    )
    # the core raises an input error (exit code 2 from the forcestat entry point)
    assert isinstance(refused.exception, InputError) and "board edition" in str(refused.exception)


# -- the rules, on small frames ------------------------------------------------------------------
def frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    df = pd.DataFrame([dict.fromkeys(EVALUATE_COLUMNS) for _ in rows])
    df["measure"] = [m for m, _, _ in rows]
    df["period"] = [p for _, p, _ in rows]
    df["value"] = [v for _, _, v in rows]
    return df


UNITS = {
    "calls_999_received": "count",
    "calls_999_answered": "count",
    "calls_999_not_answered": "count",
    "calls_999_pct_not_answered": "percent",
    "calls_999_avg_queue_seconds": "seconds",
    "community_policing_volunteers": "count",
    "s136_detentions": "count",
    "s136_detentions_monthly_average": "count/month",
}


def units(df: pd.DataFrame) -> dict[str, str]:
    return {m: UNITS.get(m, "count") for m in df["measure"]}


def test_a_small_part_takes_the_next_smallest_part_with_it():
    df = frame(
        [
            ("calls_999_received", "2022-09", 300),
            ("calls_999_answered", "2022-09", 297),
            ("calls_999_not_answered", "2022-09", 3),
            ("calls_999_pct_not_answered", "2022-09", 1.0),
            ("calls_999_avg_queue_seconds", "2022-09", 7),
        ]
    )
    got = suppression(df, units(df))
    assert got == {
        ("calls_999_not_answered", "2022-09"): UNDER_FIVE,
        ("calls_999_answered", "2022-09"): WITHHELD,
        ("calls_999_pct_not_answered", "2022-09"): WITHHELD,
    }  # received stays (the headline); the average over 297 calls is not disclosive


def test_volunteer_roles_keep_their_total_and_zero_is_published():
    at = "2022-10-31"
    df = frame(
        [
            ("community_policing_volunteers", at, 19),
            ("cpv_canine", at, 10),
            ("cpv_aviation", at, 7),
            ("cpv_equine", at, 2),
            ("cpv_coastal", at, 0),
        ]
    )
    got = suppression(df, units(df))
    assert got == {("cpv_equine", at): UNDER_FIVE, ("cpv_aviation", at): WITHHELD}


def test_two_small_parts_protect_each_other_under_a_published_total():
    at = "2022-10-31"
    rows = [
        ("community_policing_volunteers", at, 5),
        ("cpv_canine", at, 2),
        ("cpv_aviation", at, 3),
    ]
    rows += [(f"cpv_{r}", at, 0) for r in CPV_ROLES if r not in ("canine", "aviation")]
    df = frame(rows)
    got = suppression(df, units(df))
    # canine + aviation = 5 with each 1 to 4: either can still be any of 1 to 4
    assert got == {("cpv_canine", at): UNDER_FIVE, ("cpv_aviation", at): UNDER_FIVE}


def test_a_period_total_protects_its_months_and_its_average():
    months = {"2022-04": 20, "2022-05": 30, "2022-06": 25, "2022-07": 22}
    months |= {"2022-08": 3, "2022-09": 12, "2022-10": 10}
    rows = [("s136_detentions", m, v) for m, v in months.items()]
    rows += [
        ("s136_detentions", "2022-08..2022-10", 25),
        ("s136_detentions", "FY2022/23 to 2022-10", sum(months.values())),
        ("s136_detentions_monthly_average", "FY2022/23 to 2022-10", sum(months.values()) / 7),
        ("s136_detentions_monthly_average", "2022-08..2022-10", 25 / 3),
    ]
    df = frame(rows)
    got = suppression(df, units(df))
    assert got[("s136_detentions", "2022-08")] is UNDER_FIVE
    assert got[("s136_detentions", "2022-10")] is WITHHELD  # the next smallest month
    assert ("s136_detentions", "2022-08..2022-10") not in got
    assert ("s136_detentions_monthly_average", "2022-08..2022-10") not in got
    values = {(m, p): float(v) for m, p, v in rows}
    assert audit(values, {k: v.mark for k, v in got.items()}).holds


def test_a_small_difference_between_a_whole_and_its_part_withholds_the_part():
    at = "2022-10-31"
    df = frame([("special_constables", at, 37), ("special_constables_independent", at, 35)])
    assert suppression(df, units(df)) == {("special_constables_independent", at): WITHHELD}
    df = frame([("special_constables", at, 37), ("special_constables_independent", at, 12)])
    assert suppression(df, units(df)) == {}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.integers(min_value=0, max_value=30), min_size=len(CPV_ROLES), max_size=len(CPV_ROLES)
    )
)
def test_no_role_can_be_narrowed_from_the_published_total(counts):
    """Checked by counting, not by the LP: each role marked <5 can still be any of 1 to 4
    given the total, the roles shown and what the marks mean (<5: 1-4; [c]: 5 or more)."""
    at = "2022-10-31"
    roles = [f"cpv_{r}" for r in CPV_ROLES]
    df = frame(
        [("community_policing_volunteers", at, sum(counts))]
        + [(r, at, c) for r, c in zip(roles, counts, strict=True)]
    )
    got = suppression(df, units(df))
    shown = {r: c for r, c in zip(roles, counts, strict=True) if (r, at) not in got}
    assert all(not 1 <= c <= 4 for c in shown.values())  # primary: every 1 to 4 hidden
    if ("community_policing_volunteers", at) in got:
        return
    rest = sum(counts) - sum(shown.values())  # what the hidden roles add up to
    bounds = {
        r: (1, 4) if got[(r, at)] is UNDER_FIVE else (5, 10**6) for r in roles if (r, at) in got
    }
    for r in [r for r in bounds if got[(r, at)] is UNDER_FIVE]:
        others = [b for o, b in bounds.items() if o != r]
        for v in range(1, 5):  # v is possible when the other hidden roles can make up the rest
            low, high = sum(lo for lo, _ in others), sum(hi for _, hi in others)
            assert low <= rest - v <= high, (r, v, got)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=3, max_size=3
    )  # (answered, not answered) for August, September, October
)
def test_no_call_count_can_be_worked_out_from_months_and_totals(months):
    labels = ["2022-08", "2022-09", "2022-10"]
    period = "2022-08..2022-10"
    rows = []
    for label, (answered, missed) in zip(labels, months, strict=True):
        rows += [
            ("calls_999_answered", label, answered),
            ("calls_999_not_answered", label, missed),
            ("calls_999_received", label, answered + missed),
        ]
    for part in ("answered", "not_answered", "received"):
        total = sum(v for m, _, v in rows if m == f"calls_999_{part}")
        rows.append((f"calls_999_{part}", period, total))
    df = frame(rows)
    got = suppression(df, units(df))
    values = {(m, p): float(v) for m, p, v in rows}
    assert all(k in got for k, v in values.items() if 1 <= v <= 4)
    assert audit(values, {k: v.mark for k, v in got.items()}).holds


def test_suppress_figures_is_pure_and_hides_the_true_values():
    df = frame(
        [
            ("calls_999_received", "2022-09", 300),
            ("calls_999_answered", "2022-09", 297),
            ("calls_999_not_answered", "2022-09", 3),
        ]
    )
    df["unit"], df["scope"] = "count", "month"
    before = df.copy()
    figures = Figures(parse_period("2022-09"), df)
    public = suppress_figures(figures)
    pd.testing.assert_frame_equal(figures.frame, before)  # the input is left as it was
    assert figures.value("calls_999_not_answered", "month") == 3
    assert public.public and not figures.public
    assert public.value("calls_999_not_answered", "month") is UNDER_FIVE
    assert public.fmt("calls_999_not_answered", "month") == "<5"
    assert public.fmt("calls_999_answered", "month") == "[c]"
    assert public.fmt("calls_999_received", "month") == "300"
    assert 3 not in public.frame["value"].tolist() and 297 not in public.frame["value"].tolist()
    assert math.isnan(public.value("calls_999_answered", "month") or 0)  # no arithmetic recovers it


def test_charts_do_not_plot_a_suppressed_value():
    months = [date(2022, 8, 1), date(2022, 9, 1), date(2022, 10, 1)]
    bars = monthly_bars("t", months, [12, UNDER_FIVE, 9], y_title="n", alt_text="a", chart_id="c")
    data = next(iter(bars.vega_lite["datasets"].values()))
    assert [d["value"] for d in data] == [12, 9]
    cats = category_bars("t", ["a", "b"], [UNDER_FIVE, 7], x_title="n", alt_text="a", chart_id="c")
    datasets = list(cats.vega_lite["datasets"].values())
    bars = next(ds for ds in datasets if "value" in ds[0])
    assert [d["value"] for d in bars] == [None, 7]  # no bar for the suppressed count ...
    band = next(ds for ds in datasets if "hi" in ds[0])
    assert band == [{"category": "a", "lo": 0, "hi": 5, "mark": "<5"}]  # ... a band to 5 instead


def test_lines_break_at_a_month_they_do_not_plot():
    months = [date(2022, m, 1) for m in (7, 8, 9, 10)]
    chart = monthly_lines(
        "t", months, {"s": [2.1, WITHHELD, 1.9, 2.0]}, y_title="%", alt_text="a", chart_id="c"
    )
    data = next(ds for ds in chart.vega_lite["datasets"].values() if "segment" in ds[0])
    assert [(d["value"], d["segment"]) for d in data] == [(2.1, 0), (1.9, 1), (2.0, 1)]


# -- sentences about withheld figures ------------------------------------------------------------
def test_a_change_with_a_suppressed_side_states_no_direction():
    s = describe_change("Cancelled crime", UNDER_FIVE, 12, True, against="in May to July 2022")
    assert s == "Cancelled crime stood at fewer than 5 (12 in May to July 2022)."
    both = describe_change("Cancelled crime", UNDER_FIVE, UNDER_FIVE, False)
    assert both is not None and "unchanged" not in both and "stable" not in both


def test_a_series_with_a_withheld_month_is_stated_month_by_month():
    months = [date(2022, 8, 1), date(2022, 9, 1), date(2022, 10, 1)]
    s = series_sentence("Cancelled crime", months, [UNDER_FIVE, WITHHELD, 8])
    assert s == (
        "Cancelled crime stood at fewer than 5 in August, not published in September and 8 in "
        "October 2022."
    )
    assert plain(UNDER_FIVE) == "fewer than 5"


def test_no_record_is_claimed_for_or_over_a_withheld_month():
    history = {date(2015, 2, 1): 20.0, date(2021, 5, 1): UNDER_FIVE, date(2022, 9, 1): 18.0}
    history |= {date(2016 + i // 12, 1 + i % 12, 1): 40.0 for i in range(60)}
    history = dict(sorted(history.items()))
    # September 2022 is not the lowest since February 2015: May 2021 may have been lower
    assert record_since(history, date(2022, 9, 1)) == (date(2021, 5, 1), True)
    assert record_since(history, date(2021, 5, 1)) == (None, False)


# -- the attacks of issue 9, each of which recovered a withheld count before the audit -----------
def test_cpv_roles_beside_their_total_cannot_be_solved_from_the_marks():
    """Coastal <5, Joint Response Unit <5 and PCSO [c] beside a total of 67 once forced the
    three to exactly 1, 1 and 5: [c] is a count of 5 or more, and empty roles are shown as 0."""
    at = "2022-10-31"
    roles = {"canine": 30, "aviation": 10, "pcso": 5, "joint_response_unit": 1}
    roles |= {"security": 10, "equine": 0, "coastal": 1, "rural": 10, "cyber": 0, "other": 0}
    rows = [("community_policing_volunteers", at, sum(roles.values()))]
    rows += [(f"cpv_{r}", at, v) for r, v in roles.items()]
    values = {(m, p): float(v) for m, p, v in rows}
    before = {
        ("cpv_coastal", at): "<5",
        ("cpv_joint_response_unit", at): "<5",
        ("cpv_pcso", at): "[c]",
    }
    attack = audit(values, before)
    assert attack.interval(("cpv_coastal", at)) == (1.0, 1.0)  # what the old rules allowed
    got = suppression(frame(rows))
    check = audit(values, {k: v.mark for k, v in got.items()})
    assert check.holds
    assert check.interval(("cpv_coastal", at)) == (1.0, 4.0)


def test_a_comparison_period_in_a_sentence_does_not_give_a_month_back():
    """ "201 (190 in May to July 2022)" beside May 108 and July 80 gave June's 2 back."""
    f = frame(
        [
            ("s136_detentions", "2022-05", 108),
            ("s136_detentions", "2022-06", 2),
            ("s136_detentions", "2022-07", 80),
            ("s136_detentions", "2022-08..2022-10", 201),
        ]
    )
    # the previous period's value is printed in the narrative, beside the period's
    f["previous_period"] = [None, None, None, "2022-05..2022-07"]
    f["previous_value"] = [None, None, None, 190]
    got = suppression(f)
    assert got[("s136_detentions", "2022-06")] is UNDER_FIVE
    values = {(m, p): float(v) for m, p, v in printed_cells(f)}
    assert ("s136_detentions", "2022-05..2022-07") in values
    check = audit(values, {k: v.mark for k, v in got.items()})
    assert check.holds and check.interval(("s136_detentions", "2022-06")) == (1.0, 4.0)


def test_a_new_ratio_is_withheld_with_its_count_without_naming_it_anywhere():
    """live_chats_pct_abandoned (25% for 2 of 8) was added as one catalogue entry: its
    relations come from its aggregate, so suppression withholds it with no edit."""
    rows = [
        ("live_chats", "2022-09", 8),
        ("live_chats_abandoned", "2022-09", 2),
        ("live_chats_pct_abandoned", "2022-09", 25.0),
    ]
    got = suppression(frame(rows))
    assert got[("live_chats_pct_abandoned", "2022-09")] is WITHHELD
    assert got[("live_chats_abandoned", "2022-09")] is UNDER_FIVE
    # printed with a total and no count, the percentage alone would give the 2 back
    alone = [("live_chats", "2022-09", 8), ("live_chats_pct_abandoned", "2022-09", 25.0)]
    assert suppression(frame(alone)) == {("live_chats_pct_abandoned", "2022-09"): WITHHELD}


# -- the whole catalogue, with small counts planted in every table ------------------------------
SOURCE_TABLES = sorted({t for m in CATALOGUE.values() for t in m.source.tables})


@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(keep=st.dictionaries(st.sampled_from(SOURCE_TABLES), st.integers(1, 6), min_size=1))
def test_every_measure_of_the_catalogue_is_protected_when_its_counts_are_small(small_store, keep):
    """Every catalogue measure (a new one too: the test names none) over months and the
    period, with tables thinned to a few rows a month: every count from 1 to 4 is marked,
    and the interval audit, rerun on the result, holds."""
    duck = small_store.duck
    duck.execute("BEGIN TRANSACTION")
    try:
        for table, k in keep.items():
            cols = {r[0] for r in duck.execute(f'DESCRIBE "{table}"').fetchall()}
            by = "month" if "month" in cols else "1"
            duck.execute(
                f'DELETE FROM "{table}" WHERE rowid NOT IN (SELECT rowid FROM (SELECT rowid,'
                f' row_number() OVER (PARTITION BY {by} ORDER BY rowid) AS n FROM "{table}")'
                f" WHERE n <= {k})"
            )
        frames = [
            evaluate(small_store, list(CATALOGUE), PERIOD, grain=grain, comparisons=False)
            for grain in ("month", "total")
        ]
        cells = printed_cells(pd.concat(frames, ignore_index=True))
        decided = protect(cells)
        values = {(m, p): v for m, p, v in cells}
        small = [k for k, v in values.items() if CATALOGUE[k[0]].unit == "count" and 0 < v < 5]
        assert all(decided.marks.get(k) == "<5" for k in small)
        assert decided.audit.holds
        assert audit(values, decided.marks).holds
    finally:
        duck.execute("ROLLBACK")


def rendered_small_counts(out: dict[str, Path], labels: set[str]) -> dict[str, list[str]]:
    """Table cells, rows and sentences of a written public edition that state a count from
    1 to 4, by format."""
    import docx

    doc = lxml_html.fromstring(out["html"].read_text("utf-8"))
    html = [norm(c.text_content()) for c in doc.xpath("//main//table//td")]
    html += [norm(p.text_content()) for p in doc.xpath("//main//p")]
    word = docx.Document(str(out["docx"]))
    cells = [norm(c.text) for t in word.tables for row in t.rows for c in row.cells]
    cells += [norm(p.text) for p in word.paragraphs]

    def states_one(text: str) -> bool:
        # the symbols' note ("<5: a count from 1 to 4") and "to 1 decimal place" state none
        text = re.sub(r"to [0-9] decimal places?", "", text.replace(SYMBOLS_NOTE, ""))
        return bool(re.fullmatch(r"[1-4]", text) or SMALL_COUNT.search(text))

    found = {
        "html": [c for c in html if states_one(c)],
        "docx": [c for c in cells if states_one(c)],
    }
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(out["pdf"]), "-"], capture_output=True, text=True
        ).stdout
        rows = [line.strip() for line in text.splitlines() if line.strip()]
        table_rows = [r for r in rows if any(r.startswith(label + " ") for label in labels)]
        found["pdf"] = [r for r in table_rows if SMALL_COUNT.search(r)]
    return found


# one report a run (each writes a PDF); hypothesis draws a new planting every run
@settings(max_examples=1, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(keep=st.dictionaries(st.sampled_from(SOURCE_TABLES), st.integers(1, 4), min_size=1))
def test_the_rendered_public_editions_hold_when_every_table_is_thinned(
    small_store, tmp_path_factory, keep
):
    """The same planting, through the whole report: the written HTML, PDF and Word public
    editions (every table, sentence and chart label the sections print) pass the interval
    audit, which write_report runs before it writes anything, and none of them states a
    count from 1 to 4."""
    duck = small_store.duck
    duck.execute("BEGIN TRANSACTION")
    try:
        for table, k in keep.items():
            duck.execute(
                f'DELETE FROM "{table}" WHERE rowid NOT IN (SELECT rowid FROM "{table}"'
                f" ORDER BY rowid LIMIT {k})"
            )
        figures = suppress_figures(collect_figures(small_store, parse_period(PERIOD)))
        assert figures.audit is not None and figures.audit.holds
        out = write_report(small_store, PERIOD, tmp_path_factory.mktemp("thin"), public=True)
        doc = lxml_html.fromstring(out["html"].read_text("utf-8"))
        labels = {
            norm(th.text_content()) for th in doc.xpath('//main//table/tbody/tr/th[@scope="row"]')
        }
        assert rendered_small_counts(out, labels) == {
            fmt: [] for fmt in ("html", "docx", "pdf") if fmt != "pdf" or shutil.which("pdftotext")
        }
    finally:
        duck.execute("ROLLBACK")
