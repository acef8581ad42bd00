"""The demand model on real call-centre data (skipped where ../shared is absent).

* Anonymous Bank (Technion, Feb 1999; Brown et al. 2005): estimation, and Erlang A with the
  observed headcount predicting abandonment and waiting by hour better than Erlang C.
* DECC 911 phone statistics: the service-level measure against the published one, and
  Erlang staffing advice against the hours the standard slipped.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forcestat.demand.adapters import read_anonymous_bank, read_decc_phone
from forcestat.demand.estimate import estimate, interval_profile
from forcestat.demand.validate import compare_models, hourly_service_check

pytestmark = pytest.mark.shared


@cache
def _read_bank(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob("*.tsv"))
    if not files:
        pytest.skip(f"no Anonymous Bank file in {folder}")
    return pd.concat([read_anonymous_bank(f) for f in files], ignore_index=True)


@cache
def _read_decc(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob("phone_week*.csv"))
    if not files:
        pytest.skip(f"no DECC phone files in {folder}")
    return read_decc_phone(files)


@pytest.fixture
def bank_calls(shared):
    return _read_bank(shared / "data" / "anonymous-bank-callcenter")


@pytest.fixture
def decc_hourly(shared):
    return _read_decc(shared / "data" / "decc-911-cad-phone")


def test_bank_calls_keep_every_served_call_and_every_queue_abandonment(bank_calls):
    assert bank_calls["call_id"].is_unique
    assert bank_calls["answered_at"].notna().sum() > 0.8 * len(bank_calls)
    waits = (bank_calls["answered_at"] - bank_calls["arrived_at"]).dt.total_seconds()
    assert (waits.dropna() >= 0).all()
    assert (bank_calls["ended_at"] >= bank_calls["arrived_at"]).all()


def test_bank_estimates_are_plausible_and_censoring_matters(bank_calls):
    est = estimate(bank_calls, "101", 60, tz="Asia/Jerusalem")
    busiest = est.rates.sort_values("calls_per_hour").iloc[-1]
    assert 8 <= int(busiest["start"][:2]) <= 17  # a bank's daytime peak
    assert (est.rates.loc[est.rates["start"].isin(["02:00", "03:00", "04:00"]), "calls"] == 0).all()
    # Brown et al.: lognormal talk times; patience far longer than the abandoners' waits
    assert 0.9 < est.talk.log_sigma < 1.6
    abandoned = bank_calls[bank_calls["answered_at"].isna()]
    naive = (abandoned["ended_at"] - abandoned["arrived_at"]).dt.total_seconds().mean()
    assert est.patience.mean_s > 3 * naive


@pytest.mark.parametrize("method", ["distinct", "present"])
def test_erlang_a_with_observed_headcount_beats_erlang_c(bank_calls, method):
    cmp = compare_models(bank_calls, 60, tz="Asia/Jerusalem", headcount_method=method)
    e = cmp.errors["mae"]
    assert e[("erlang_a", "abandon_pct")] < e[("erlang_c", "abandon_pct")]
    assert e[("erlang_a", "wait_s")] < e[("erlang_c", "wait_s")]
    assert len(cmp.by_interval) >= 17  # 7:00 to midnight at least


def test_interval_profile_matches_the_raw_counts(bank_calls):
    p = interval_profile(bank_calls, 60, tz="Asia/Jerusalem")
    assert p["calls"].sum() == len(bank_calls)
    assert p["answered"].sum() == bank_calls["answered_at"].notna().sum()


def test_decc_within_10s_equals_the_published_share(decc_hourly):
    rows = decc_hourly.dropna(subset=["pct_answered_within_10s", "published_pct_within_10s"])
    rows = rows[rows["answered"] > 0]
    assert len(rows) > 900
    diff = (rows["pct_answered_within_10s"] - rows["published_pct_within_10s"]).abs()
    assert diff.max() < 0.01  # published to 4 decimals of a fraction
    assert (decc_hourly["answered"] + decc_hourly["abandoned"] == decc_hourly["offered"]).all()


def test_decc_staffing_advice_rises_where_the_standard_slipped(decc_hourly):
    t = hourly_service_check(decc_hourly, aht_s=180.0)
    adm = t[t["channel"] == "101"]
    # the non-emergency line slips below 90% in 10 s in its busiest hours
    assert np.corrcoef(adm["offered_per_hour"], adm["pct_answered_within_10s"])[0, 1] < -0.5
    assert np.corrcoef(adm["advised_agents"], adm["shortfall_pct"])[0, 1] > 0.3
    # the advice follows the load and never falls below what the load alone needs
    assert (t["advised_agents"] > t["offered_per_hour"] * 180 / 3600).all()


def test_bank_served_calls_without_a_service_clock_wait_seconds_not_hours(bank_calls):
    # about 50 served calls a month have ser_start 0:00:00; read as a clock they waited
    # until the next midnight (up to 53,055 s) and doubled the patience estimate
    waits = (bank_calls["answered_at"] - bank_calls["arrived_at"]).dt.total_seconds()
    assert waits.max() < 3600
    est = estimate(bank_calls, "101", 60, tz="Asia/Jerusalem")
    assert 250 < est.patience.mean_s < 450


def test_bank_backtest_out_of_sample_meets_the_accuracy_targets(bank_calls):
    """Fit 1-14 February, score 15-28 February per weekday-hour cell (>= 30 calls): the
    calibrated Erlang A model's abandonment MAE at most 0.05 and 0.8x the naive baseline."""
    from forcestat.demand.backtest import backtest_cells
    from forcestat.demand.estimate import infer_staffing

    staffing = infer_staffing(bank_calls, 15)
    r = backtest_cells(
        bank_calls, staffing, "1999-02-01..1999-02-14", "1999-02-15..1999-02-28",
        tz="Asia/Jerusalem", models=("erlang_a", "erlang_a_calibrated"),
    )  # fmt: skip
    s = r.scores.set_index("model")
    best = s.loc["erlang_a_calibrated"]
    assert best["cells"] >= 80
    assert best["abandonment_mae"] <= 0.05
    assert best["abandonment_mae"] <= 0.8 * r.baseline["abandonment_mae"]
    assert best["wait_mae_s"] < r.baseline["wait_mae_s"]
    assert r.noise_floor < best["abandonment_mae"]


def test_bank_priority_classes_are_scored_from_the_stored_priority(bank_calls):
    """The bank's service class reaches the back-test through ingest; the priority model
    is scored and, like the others, beats the naive baseline (docs/demand.md: it is not
    the one kept)."""
    from forcestat.demand.backtest import backtest_cells
    from forcestat.demand.estimate import infer_staffing

    assert set(bank_calls["priority"].dropna().unique()) == {0, 1}
    r = backtest_cells(
        bank_calls, infer_staffing(bank_calls, 15), "1999-02-01..1999-02-14",
        "1999-02-15..1999-02-28", tz="Asia/Jerusalem", models=("priority_classes",),
        replications=2,
    )  # fmt: skip
    s = r.scores.set_index("model").loc["priority_classes"]
    assert 0.2 < r.fitted["priority_share"] < 0.35
    assert s["abandonment_mae"] < 0.8 * r.baseline["abandonment_mae"]
    assert s["wait_mae_s"] < r.baseline["wait_mae_s"]


def test_decc_last_week_within_10s_against_the_week_before(decc_hourly):
    from forcestat.demand.validate import hourly_backtest

    r = {ch: hourly_backtest(decc_hourly, ch) for ch in ("999", "101")}
    for ch in ("999", "101"):
        for grain in ("hour_of_day", "hour_of_week"):
            g = r[ch][grain]
            # a model cannot beat the binomial noise of the hours' few calls
            assert g["model_mae_pts"] > g["noise_floor_pts"]
            assert g["naive_mae_pts"] > g["noise_floor_pts"]
    # the model beats the same hour last week on the non-emergency line, and on 999 hour by
    # hour of the week; on 999 per hour of the day it does not (docs/demand.md: the target
    # is missed, 5.6 points against the naive 4.2)
    for grain in ("hour_of_day", "hour_of_week"):
        assert r["101"][grain]["model_mae_pts"] < r["101"][grain]["naive_mae_pts"]
    assert r["999"]["hour_of_week"]["model_mae_pts"] < r["999"]["hour_of_week"]["naive_mae_pts"]
    assert r["999"]["hour_of_day"]["model_mae_pts"] < 6.5


def test_decc_handling_from_cad_records_and_one_pool_needs_fewer_hours(shared, decc_hourly):
    from forcestat.demand.adapters import read_cad_handling
    from forcestat.demand.validate import hourly_pooled_advice

    cads = sorted((shared / "data" / "decc-911-cad-phone").glob("cad_week*.csv"))
    if not cads:
        pytest.skip("no DECC CAD files")
    aht = read_cad_handling(cads)
    # the 267-303 s of handling, well above the 180 s default
    assert 250 < aht["101"] < aht["999"] < 330
    advice = hourly_pooled_advice(decc_hourly, aht)
    assert advice["agent_hours_a_day_pooled"] < 0.85 * advice["agent_hours_a_day_apart"]
    assert len(advice["pooled_by_hour"]) == 24
