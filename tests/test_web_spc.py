"""Process charts and the Making Data Count icons, on series small enough to check by hand."""

from __future__ import annotations

import pytest

from forcestat.web import spc


def test_limits_are_the_mean_plus_or_minus_2_66_moving_ranges():
    x = spc.xmr([10, 12, 10, 12, 10, 12])
    assert x.mean == 11
    assert x.upper == pytest.approx(11 + 2.66 * 2)
    assert x.lower == pytest.approx(11 - 2.66 * 2)
    assert x.special == []


def test_a_point_beyond_a_limit_is_a_special_cause():
    x = spc.xmr([10, 11, 10, 11, 10, 11, 10, 40])
    assert x.reasons[7] == "above the upper process limit"
    # the outlier lifts the mean above every other month: a run of 7 below it
    assert x.reasons[0] == "in a run of 7 months below the mean"


def test_a_run_of_seven_on_one_side_of_the_mean_is_marked_whole():
    values = [13, 15, 13, 15, 13, 15, 13, 9, 11, 9, 11, 9, 11, 9]
    x = spc.xmr(values)
    assert x.lower < min(values) and max(values) < x.upper  # no point beyond a limit
    assert x.special == list(range(14))
    assert x.reasons[0] == "in a run of 7 months above the mean"
    assert x.reasons[13] == "in a run of 7 months below the mean"


def test_a_rising_run_of_seven_is_a_special_cause():
    x = spc.xmr([5, 6, 5, 6, 1, 2, 3, 4, 5, 6, 7])
    assert {4, 5, 6, 7, 8, 9, 10} <= set(x.special)


@pytest.mark.parametrize(
    ("good", "last", "icon"),
    [
        ("down", 40, "special_cause_concerning"),
        ("up", 40, "special_cause_improving"),
        (None, 40, "special_cause_neither"),
        ("down", 11, "common_cause"),
    ],
)
def test_variation_icon_follows_the_good_direction(good, last, icon):
    assert spc.variation(spc.xmr([10, 11, 10, 11, 10, 11, 10, last]), good) == icon


def test_too_few_months_get_no_verdict():
    x = spc.xmr([1, 50, 2])
    assert x.special == [] and spc.variation(x, "up") == "too_few_points"


@pytest.mark.parametrize(
    ("target", "comparison", "icon"),
    [
        (100, "at_most", "consistently_meeting"),
        (1, "at_most", "consistently_failing"),
        (11, "at_most", "hit_and_miss"),
        (1, "at_least", "consistently_meeting"),
        (100, "at_least", "consistently_failing"),
        (None, None, "no_benchmark"),
    ],
)
def test_assurance_compares_the_benchmark_with_the_limits(target, comparison, icon):
    x = spc.xmr([10, 12, 10, 12, 10, 12])  # limits 5.68 to 16.32
    assert spc.assurance(x, target, comparison) == icon
