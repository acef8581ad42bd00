"""Targets files: the packaged seed figures load; bad files fail clearly and write nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from forcestat.errors import InputError, TargetsError
from forcestat.synth import generate, load_targets
from forcestat.synth.targets import default_targets_path, resolve_period

SYNTH = Path(__file__).parent / "fixtures" / "synth"


def test_packaged_seed_figures_load_with_every_period_form():
    targets = load_targets()
    assert targets.source == str(default_targets_path())
    by_text = {t.period_text: t.period for t in targets}
    assert by_text["national"] is None
    assert by_text["to 2022-10"].label == "FY2022/23 to 2022-10"
    assert by_text["2022 to date"].months()[0] == date(2022, 1, 1)
    assert by_text["2022 to date"].months()[-1] == date(2022, 10, 1)
    assert len(by_text["last 6 months to 2022-10"].months()) == 6
    assert by_text["2022-10-31"].grain == "date"


def test_packaged_copy_matches_the_shared_reference(seed_figures):
    assert default_targets_path().read_bytes() == seed_figures.read_bytes()


def test_printed_decimals_are_kept():
    targets = load_targets()
    pct = targets.get("cancelled_crime_pct", "2022-10")
    assert pct is not None and pct.value_text == "3.0" and pct.decimals == 1


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("unknown_measure.csv", "unknown measure 'calls_999_answrd'"),
        ("negative_count.csv", "negative"),
        ("percent_above_100.csv", "above 100%"),
        ("answered_above_received.csv", "is above calls_101_received"),
        ("bad_period.csv", "cannot read period"),
    ],
)
def test_bad_targets_fail_clearly_and_nothing_is_written(tmp_path, fixture, message):
    out = tmp_path / "out"
    with pytest.raises(TargetsError, match=message):
        generate(out, targets=SYNTH / fixture)
    assert not out.exists()


def test_targets_error_is_an_input_error_with_exit_code_2():
    with pytest.raises(InputError) as info:
        load_targets(SYNTH / "missing.csv")
    assert info.value.exit_code == 2


def test_answered_plus_not_answered_must_equal_received(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        "section,measure,period,value,unit,note\n"
        "contact,calls_999_received,2022-08,100,count,\n"
        "contact,calls_999_answered,2022-08,90,count,\n"
        "contact,calls_999_not_answered,2022-08,5,count,\n"
    )
    with pytest.raises(TargetsError, match="is not received 100"):
        load_targets(f)


def test_year_to_date_needs_a_month_of_that_year():
    with pytest.raises(TargetsError, match="needs a month of 2021"):
        resolve_period("2021 to date", date(2022, 10, 1))


def test_scaled_targets_scale_volumes_not_rates():
    targets = load_targets(SYNTH / "calls_999_only.csv").scaled(0.5)
    received = targets.get("calls_999_received", "2023-01")
    queue = targets.get("calls_999_avg_queue_seconds", "2023-01")
    pct = targets.get("calls_999_pct_not_answered", "2023-03")
    assert received is not None and received.value == round(received.published * 0.5)
    assert queue is not None and queue.value == queue.published
    assert pct is not None and pct.value == pct.published


def test_scaled_months_still_sum_to_their_scaled_year():
    published = load_targets()
    scaled = published.scaled(0.5)
    for year in scaled.of("s136_detentions"):
        if year.is_month or year.period is None:
            continue
        months = [
            t
            for t in scaled.of("s136_detentions")
            if t.is_month and year.period.contains(t.period.start)
        ]
        if sum(t.published for t in months) == year.published:  # FY2018/19 is not
            assert sum(t.value for t in months) == year.value, year.period_text


def test_scaled_calls_still_add_up_and_print_the_published_percentage():
    scaled = load_targets().scaled(0.5)
    for t in scaled.of("calls_101_received"):
        answered = scaled.get("calls_101_answered", t.period_text)
        not_answered = scaled.get("calls_101_not_answered", t.period_text)
        pct = scaled.get("calls_101_pct_not_answered", t.period_text)
        assert answered and not_answered and pct
        assert answered.value + not_answered.value == t.value
        assert f"{100 * not_answered.value / t.value:.2f}" == pct.value_text


def test_a_tiny_force_gets_a_history_that_follows_the_seed_words(tmp_path):
    # "an average increase of 235 per month" is a count at Kent's size: at a hundredth of it
    # the invented previous period once went negative and synth stopped with ValueError
    from forcestat.synth.context import SEED_DIRECTIONS, with_context
    from forcestat.synth.targets import load_targets

    tg = load_targets().scaled(0.01)
    invented = [t for t in with_context(tg).items if t.section == "invented"]
    crime = {t.period_text: t.value for t in invented if t.measure == "recorded_crime"}
    assert crime and min(crime.values()) > 0
    published = [t.value for t in tg.of("recorded_crime") if t.is_month]
    previous = [crime[k] for k in sorted(crime)[-len(published) :]]
    # the previous period averaged the seed's "235 a month" fewer, at a hundredth of the size
    [words] = [d for d in SEED_DIRECTIONS if d.measure == "recorded_crime" and d.per_month]
    assert words.per_month is not None
    per_month = words.per_month * 0.01
    assert abs((sum(published) - sum(previous)) / len(published) - per_month) < 0.5
