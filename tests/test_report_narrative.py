"""Narrative: sentences say only what the figures support (rises, falls, stable, records,
benchmarks, averages), and the seed's own figures give the seed's sentences."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from forcestat.periods import add_months
from forcestat.report import narrative as n
from forcestat.report.profile import load_profile

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "report"))
from report_seed_figures import seed_figures  # noqa: E402

AUG, SEP, OCT = date(2022, 8, 1), date(2022, 9, 1), date(2022, 10, 1)


def pct(v: float) -> str:
    return f"{v:.2f}%"


# -- rises, falls, stable -----------------------------------------------------------------------
def test_a_significant_rise_is_a_rise():
    s = n.describe_change("999 calls received", 101_230, 95_000, True)
    assert s == "999 calls received rose from 95,000 in the previous period to 101,230."


def test_a_significant_fall_is_never_called_an_increase():
    s = n.describe_change("Recorded crime", 40_000, 44_000, True)
    assert "fell from 44,000" in s
    assert "increase" not in s and "rose" not in s


def test_a_change_not_flagged_significant_is_stable():
    s = n.describe_change("101 call attrition", 42.6, 40.0, False, pct)
    assert s == (
        "101 call attrition held broadly stable, from 40.00% in the previous period to 42.60%."
    )
    for word in ("rose", "fell", "increase", "decrease"):
        assert word not in s


def test_untested_change_states_numbers_and_direction_without_judgement():
    s = n.describe_change("Special Constables", 255, 270, None, against="a month earlier")
    assert s == "Special Constables fell from 270 a month earlier to 255."


def test_judgement_follows_which_direction_is_good():
    worse = n.describe_change("Attrition", 53.27, 31.97, True, pct, good="down")
    better = n.describe_change("Attrition", 31.97, 53.27, True, pct, good="down")
    assert worse.endswith("a deterioration.") and "rose" in worse
    assert better.endswith("an improvement.") and "fell" in better


def test_no_value_no_sentence_and_no_previous_no_comparison():
    assert n.describe_change("Live chats", None, 10, True) is None
    assert n.describe_change("Live chats", 6513, None, True) == "Live chats stood at 6,513."


def test_series_sentences_follow_the_months():
    months = [AUG, SEP, OCT]
    assert n.series_sentence("Live chats", months, [6513, 5987, 7035]) == (
        "Live chats stood at 6,513 in August, 5,987 in September and 7,035 in October 2022."
    )
    assert n.series_sentence("Recorded crime", months, [15652, 14971, 14008]) == (
        "Recorded crime fell in each month, from 15,652 in August to 14,008 in October 2022."
    )
    assert n.series_sentence("x", months, [None, 3, None]) is None


# -- records --------------------------------------------------------------------------------------
def monthly(start: date, values: list[float]) -> dict[date, float]:
    return {add_months(start, i): v for i, v in enumerate(values)}


def test_record_low_names_the_last_lower_month():
    series = monthly(date(2020, 1, 1), [50, 30, *[60] * 30, 35, 34])
    last_two = list(series)[-2:]
    assert n.record_sentence(series, last_two) == (
        "September and October 2022 were the lowest months on record since February 2020."
    )


def test_a_recent_lower_month_is_no_record():
    series = monthly(date(2020, 1, 1), [*[60] * 30, 20, 35])
    assert n.record_sentence(series, [list(series)[-1]]) is None


def test_lowest_ever_says_when_records_begin():
    series = monthly(date(2019, 4, 1), [*[60] * 30, 19])
    assert n.record_sentence(series, [list(series)[-1]]) == (
        "October 2021 was the lowest month on record (records begin in April 2019)."
    )


def test_record_highs():
    series = monthly(date(2019, 4, 1), [70, *[60] * 30, 75])
    assert n.record_sentence(series, [list(series)[-1]], direction="high") == (
        "November 2021 was the highest month on record (records begin in April 2019)."
    )


# -- benchmarks and averages ----------------------------------------------------------------------
def test_benchmark_within_outside_and_remains():
    within = n.benchmark_sentence("Attrition", "1.37%", True, "benchmark", "2%", met_before=True)
    outside = n.benchmark_sentence("Attrition", "2.40%", False, "benchmark", "2%")
    assert within == "Attrition is 1.37%, which remains within the benchmark of 2%."
    assert outside == "Attrition is 2.40%, which is outside the benchmark of 2%."
    assert n.benchmark_text(2.0, "percent") == "2%"
    assert n.benchmark_text(90.5, "percent") == "90.5%"


def test_averages_are_rounded_one_way():
    # the seed printed "170, 145, 94.5": board rounding keeps 94.5 and gives 170.8, 145.4
    s = n.averages_sentence(
        "detentions", [("FY2019/20", 2050 / 12), ("FY2020/21", 1745 / 12), ("FY2021/22", 94.5)]
    )
    assert s == (
        "The average number of detentions a month in FY2019/20, FY2020/21 and FY2021/22 "
        "was 170.8, 145.4 and 94.5 respectively."
    )
    assert n.per_month_phrase(545 / 7, "detentions") == "an average of 78 detentions a month"


# -- the seed's own figures give the seed's sentences ---------------------------------------------
@pytest.fixture(scope="module")
def seed_report_text():
    from forcestat.report.build import build_report

    report = build_report(seed_figures(), load_profile())
    return "\n".join(p for s in report.sections for p in s.paragraphs)


def test_seed_attrition_benchmark_sentence(seed_report_text):
    # the seed file has no earlier year-to-date 999 figure, so "is" rather than "remains"
    assert (
        "The overall financial year calls attrition is 1.37%, which is within the "
        "aspirational national benchmark of 2%." in seed_report_text
    )


def test_seed_record_low_sentence(seed_report_text):
    assert (
        "September and October 2022 were the lowest months on record since February 2015"
        in seed_report_text
    )


def test_seed_average_detentions_sentence(seed_report_text):
    assert "an average of 78 detentions a month" in seed_report_text


def test_seed_101_year_to_date_position(seed_report_text):
    assert "rose from 33.49% at the end of July 2022 to 38.77%" in seed_report_text


def _with_period_row(figures, measure: str, **fields):
    """The seed's figures plus one 'period' comparison row, as evaluate would give it."""
    import dataclasses

    import pandas as pd

    row = dict.fromkeys(figures.frame.columns)
    row.update(measure=measure, period="2022-08..2022-10", unit="count", scope="period", **fields)
    frame = pd.concat([figures.frame, pd.DataFrame([row])], ignore_index=True)
    return dataclasses.replace(figures, frame=frame)


@pytest.mark.parametrize(
    ("significant", "expected", "absent"),
    [
        (
            True,
            "This is an average increase of 235 a month compared with the previous "
            "reporting period.",
            "stable",
        ),
        (
            False,
            "held broadly stable, from 43,926 in May to July 2022 to 44,631",
            "average increase",
        ),
    ],
)
def test_recorded_crime_change_per_month_only_when_significant(significant, expected, absent):
    from forcestat.report.sections_contact import investigation_management

    figures = _with_period_row(
        seed_figures(),
        "recorded_crime",
        value=44631.0,
        previous_value=43926.0,
        change=705.0,
        significant=significant,
    )
    text = " ".join(investigation_management(figures, load_profile()).paragraphs)
    assert expected in text
    assert absent not in text


def test_a_short_section_is_kept_on_one_page_and_the_summary_is_not():
    # a section of a few paragraphs and one table ended a page with its heading while its
    # table stood alone on the next (seen in the PDF's Operation Encompass section)
    import re

    from forcestat.report.build import build_report
    from forcestat.report.html import render_html

    html = render_html(build_report(seed_figures(), load_profile()))
    classes = dict(re.findall(r'<section id="([\w-]+)" class="([^"]+)"', html))
    assert "short" not in classes["summary"]  # its long table may run on to page 2
    short = [s for s, c in classes.items() if "short" in c.split()]
    assert short and all(
        len(re.findall(r"<table", html.split(f'<section id="{s}"')[1].split("</section>")[0])) <= 1
        for s in short
    )
