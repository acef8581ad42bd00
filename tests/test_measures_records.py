"""s.136 detentions over two years: monthly averages, record lows, SPC and significance."""

from __future__ import annotations

import pytest

from fixtures.measures.loader import load_monthly_s136
from forcestat.measures import evaluate, series, value_of
from forcestat.measures.compare import poisson_test, proportion_test, spc
from forcestat.store import Store

# Detentions a month: February 2021 is the low (1) until September 2022 (0 would be lower).
COUNTS = {
    "2021-01": 6, "2021-02": 1, "2021-03": 5, "2021-04": 6, "2021-05": 7, "2021-06": 5,
    "2021-07": 6, "2021-08": 5, "2021-09": 4, "2021-10": 6, "2021-11": 5, "2021-12": 6,
    "2022-01": 5, "2022-02": 4, "2022-03": 6, "2022-04": 5, "2022-05": 6, "2022-06": 4,
    "2022-07": 5, "2022-08": 6, "2022-09": 2, "2022-10": 0,
}  # fmt: skip


@pytest.fixture(scope="module")
def s136(tmp_path_factory):
    s = Store.open(":memory:")
    load_monthly_s136(s, {k: v for k, v in COUNTS.items() if v}, tmp_path_factory.mktemp("s"))
    # October 2022 had none: one detention in November marks October as covered (zero)
    load_monthly_s136(s, {"2022-11": 1}, tmp_path_factory.mktemp("t"))
    yield s
    s.close()


def test_financial_year_total_and_monthly_average(s136):
    fy = sum(v for k, v in COUNTS.items() if "2021-04" <= k <= "2022-03")  # 64
    assert value_of(s136, "s136_detentions", "FY2021/22") == fy
    assert value_of(s136, "s136_detentions_monthly_average", "FY2021/22") == pytest.approx(fy / 12)


def test_year_to_date_average_counts_the_months_of_the_period(s136):
    # April to October 2022: 5 + 6 + 4 + 5 + 6 + 2 + 0 = 28 over 7 months
    assert value_of(s136, "s136_detentions_monthly_average", "FY2022/23 to 2022-10") == 4.0


def test_record_low_is_the_periods_lowest_month(s136):
    assert value_of(s136, "s136_record_low", "2022-08..2022-10") == 0
    assert value_of(s136, "s136_record_low", "2022-03..2022-08") == 4


def test_records_name_the_last_lower_month(s136):
    df = evaluate(s136, ["s136_detentions"], "2022-08..2022-10", grain="month")
    records = dict(zip(df.period, df.record, strict=True))
    assert records["2022-09"] == "lowest since February 2021 (1)"
    assert records["2022-10"] == "lowest on record"
    assert records["2022-08"] == "highest since May 2021 (7)"  # nothing above 6 since


def test_significance_on_counts_uses_a_poisson_test(s136):
    df = evaluate(s136, ["s136_detentions"], "2022-09")
    row = df.iloc[0]
    assert row.previous_value == 6
    assert "Poisson" in row.significance_note
    assert row.significant == (poisson_test(2, 6, 30, 31) < 0.05)


def test_spc_signal_for_a_month_outside_the_process_limits(s136):
    df = evaluate(s136, ["s136_detentions"], "2022-10")
    # mean of the 21 months before is about 5; 0 is below the lower process limit
    assert "SPC" in df.significance_note.iloc[0]


def test_series_gives_monthly_values_in_order(s136):
    s = series(s136, "s136_detentions", "2022-07", "2022-10")
    assert list(s.period) == ["2022-07", "2022-08", "2022-09", "2022-10"]
    assert list(s.value) == [5, 6, 2, 0]


def test_poisson_test_separates_noise_from_change():
    assert poisson_test(100, 50) < 0.001  # doubling on 150 events
    assert poisson_test(10, 9) > 0.5  # 10 against 9 is noise
    assert poisson_test(0, 0) == 1.0


def test_proportion_test():
    assert proportion_test(413, 35634, 676, 34280) < 0.001  # 1.16% vs 1.97% of ~35k calls
    assert proportion_test(1, 4, 0, 2) > 0.5  # tiny counts: Fisher's exact test


def test_spc_rules():
    flat = [10.0, 11, 9, 10, 12, 10, 9, 11, 10, 10, 11, 9]
    assert spc(flat, 10.5).signal is None
    assert "upper process limit" in spc(flat, 30).signal
    assert spc(flat[:5], 30) is None  # too short to set limits
    rising = [float(x) for x in range(1, 19)]
    assert "higher than the last" in spc(rising, 19).signal or "above" in spc(rising, 19).signal


def test_record_low_of_a_period_names_the_last_lower_month(s136):
    df = evaluate(s136, ["s136_record_low"], "2022-08..2022-09")
    # the period's lowest month is September (2); the last month lower was February 2021 (1)
    assert df.value.iloc[0] == 2
    assert df.record.iloc[0] == "lowest since February 2021 (1)"


def test_a_tie_with_the_record_is_a_joint_record():
    from datetime import date

    from forcestat.measures.records import record
    from forcestat.periods import month

    history = [(month(date(2021, m, 1)), 5.0) for m in range(12, 0, -1)]
    history[3] = (history[3][0], 2.0)  # September 2021 was 2 as well
    assert record(2.0, month(date(2022, 1, 1)), history) == "joint lowest on record"
