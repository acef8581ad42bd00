"""Narrative that cannot mislead, checked over generated cases (hypothesis): time order, the
wording of significance, no "rose" for a fall, rounding as printed, and grammar that does not
depend on the subject's number."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from forcestat.periods import add_months
from forcestat.report import narrative as n

values = st.floats(min_value=0.5, max_value=1e6, allow_nan=False).map(lambda v: round(v, 2))
subjects = st.sampled_from(
    ["Recorded crime", "The number of 999 calls received", "Live chats", "101 call attrition"]
)
against = "in May to July 2022"


def _grammar(s: str) -> None:
    assert (
        (s[0].isupper() or s[0].isdigit()) and s.endswith(".") and "  " not in s and ".." not in s
    )
    # verbs that agree with either number: a plural subject never meets "was"
    assert " was " not in s and " were " not in s


@settings(max_examples=200, deadline=None)
@given(subjects, values, values, st.sampled_from([True, False, None]))
def test_a_change_never_contradicts_its_sign_and_reads_in_time_order(subject, now, then, sig):
    s = n.describe_change(subject, now, then, sig, against=against)
    assert s is not None
    _grammar(s)
    shown_now, shown_then = n.plain(now), n.plain(then)
    if shown_now == shown_then:
        assert "unchanged" in s
        return
    if sig is False:
        assert "broadly stable" in s
        assert not re.search(r"\b(rose|fell|increase|decrease)\b", s)
    elif now > then:
        assert "rose" in s and "fell" not in s
    else:
        assert "fell" in s and "rose" not in s
    # the earlier figure comes first, with the period it is measured against
    assert s.index(shown_then) < s.rindex(shown_now)
    assert against in s


@settings(max_examples=150, deadline=None)
@given(
    subjects,
    st.lists(st.integers(min_value=0, max_value=90_000), min_size=2, max_size=12),
    st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 1, 1)),
)
def test_month_by_month_sentences_name_months_in_time_order(subject, counts, start):
    first = date(start.year, start.month, 1)
    months = [add_months(first, i) for i in range(len(counts))]
    s = n.series_sentence(subject, months, counts)
    assert s is not None
    _grammar(s)
    named = [m for m in months if f"{m:%B}" in s]
    positions = [s.index(f"{m:%B}") for m in named]
    if len(set(f"{m:%B}" for m in named)) == len(named):  # each month name appears once
        assert positions == sorted(positions)
    steps = [b - a for a, b in zip(counts, counts[1:], strict=False)]
    if all(d < 0 for d in steps):
        assert "fell in each month" in s
    if all(d > 0 for d in steps):
        assert "rose in each month" in s
    if "rose in each month" in s:
        assert all(d > 0 for d in steps)


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=9))
def test_averages_keep_the_board_s_decimal(whole, tenth):
    v = whole + tenth / 10
    text = n.board_number(v)
    assert float(text.replace(",", "")) == v
    assert text.endswith(".0") is False


def test_board_rounding_keeps_94_5():
    assert n.board_number(94.5) == "94.5"
    s = n.averages_sentence("detentions", [("FY2021/22", 94.5)])
    assert s == "The average number of detentions a month in FY2021/22 was 94.5."


@given(st.integers(min_value=100, max_value=100_000), st.floats(min_value=0.1, max_value=10))
def test_implausible_jumps_are_flagged_both_ways(before, ratio):
    after = before * ratio
    flagged = n.implausible_change(after, before)
    assert flagged == (after / before > 1.8 or after / before < 1 / 1.8)
    assert n.implausible_change(before, after) == flagged
