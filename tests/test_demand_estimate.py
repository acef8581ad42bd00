"""Estimation recovers known parameters from simulated records; adapters read by name."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forcestat.demand.adapters import read_anonymous_bank, read_decc_phone
from forcestat.demand.estimate import (
    arrival_rates,
    estimate,
    headcount,
    kaplan_meier,
    load_calls,
    patience,
    talk_time,
)
from forcestat.demand.simulate import Dist, simulate_pool
from forcestat.errors import ParameterError, SchemaError

FIX = Path(__file__).parent / "fixtures" / "demand"
WEEK = np.tile(np.r_[np.full(7, 10.0), np.full(10, 120.0), np.full(7, 60.0)], 7)


@pytest.fixture(scope="module")
def four_weeks():
    """Four simulated weeks: known daily pattern, lognormal talk, exponential patience."""
    res = simulate_pool(
        np.tile(WEEK, 4), np.tile(np.r_[np.full(7, 2), np.full(10, 9), np.full(7, 5)], 28),
        Dist.lognormal(240, 0.9), Dist.exponential(200), seed=21,
    )  # fmt: skip
    return res.to_calls()


def test_arrival_rates_recover_the_weekly_pattern_inside_their_intervals(four_weeks):
    rates = arrival_rates(four_weeks, 60, tz="UTC")
    assert len(rates) == 168
    assert rates["days"].eq(4).all()
    inside = (rates["low"] <= WEEK) & (WEEK <= rates["high"])
    # 95% intervals: nearly all 168 should cover the truth
    assert inside.mean() > 0.88
    assert rates.loc[rates["start"] == "12:00", "calls_per_hour"].mean() == pytest.approx(
        120, rel=0.05
    )
    # a Poisson process has between-day dispersion near 1
    assert rates["dispersion"].median() == pytest.approx(1.0, abs=0.5)


def test_arrival_rates_by_quarter_hour_add_up_to_the_hourly_ones(four_weeks):
    q = arrival_rates(four_weeks, 15, tz="UTC")
    h = arrival_rates(four_weeks, 60, tz="UTC")
    assert len(q) == 672
    assert q["calls"].sum() == h["calls"].sum() == len(four_weeks)
    assert q["calls"].to_numpy().reshape(-1, 4).sum(axis=1).tolist() == h["calls"].tolist()


def test_talk_time_fit_recovers_the_lognormal(four_weeks):
    t = talk_time(four_weeks)
    assert t.log_sigma == pytest.approx(0.9, abs=0.03)
    assert t.lognormal_mean_s == pytest.approx(240, rel=0.05)
    assert t.mean_s == pytest.approx(240, rel=0.05)
    assert t.ks_distance < 0.02


def test_patience_mle_with_censoring_recovers_the_mean_and_naive_estimates_do_not(four_weeks):
    p = patience(four_weeks)
    assert p.rate_low <= 1 / 200 <= p.rate_high
    assert p.mean_s == pytest.approx(200, rel=0.08)
    # ignoring censoring (averaging the abandoners' waits only) is badly biased low
    abandoned = four_weeks[four_weeks["answered_at"].isna()]
    naive = (abandoned["ended_at"] - abandoned["arrived_at"]).dt.total_seconds().mean()
    assert naive < 0.8 * 200
    # Kaplan-Meier agrees with the exponential survival where it is estimable
    for t in (30, 60, 120):
        assert p.survival_at(t) == pytest.approx(math.exp(-t / 200), abs=0.04)


def test_kaplan_meier_by_hand():
    # times 1, 2+, 3, 4+, 5: S(1) = 4/5, S(3) = 4/5 * 2/3, S(5) = 0
    km = kaplan_meier(np.array([1.0, 2, 3, 4, 5]), np.array([True, False, True, False, True]))
    assert km["time_s"].tolist() == [1, 3, 5]
    assert km["survival"].tolist() == pytest.approx([0.8, 0.8 * 2 / 3, 0.0])


def test_estimate_from_a_store_matches_the_records(store, tmp_path, four_weeks):
    from forcestat.demand.adapters import load_calls_into

    load_calls_into(store, four_weeks, tmp_path)
    calls = load_calls(store, "101", "2022-10")
    assert len(calls) == len(four_weeks)
    est = estimate(calls, "101", tz="UTC")
    assert est.calls == len(four_weeks)
    assert est.as_dict()["patience"]["abandoned"] == int(four_weeks["answered_at"].isna().sum())
    with pytest.raises(ParameterError, match="999"):
        estimate(calls, "999")


def test_headcount_distinct_and_present():
    t0 = pd.Timestamp("2022-10-03 09:00")
    calls = pd.DataFrame(
        {
            "arrived_at": [t0, t0 + pd.Timedelta(minutes=10), t0 + pd.Timedelta(minutes=70)],
            "answered_at": [t0, t0 + pd.Timedelta(minutes=10), t0 + pd.Timedelta(minutes=70)],
            "ended_at": [
                t0 + pd.Timedelta(minutes=5),
                t0 + pd.Timedelta(minutes=40),
                t0 + pd.Timedelta(minutes=75),
            ],
            "agent_id": ["A", "A", "B"],
        }
    )
    distinct = headcount(calls, 60, tz="UTC")
    assert distinct.tolist() == [1, 1]
    present = headcount(calls, 60, tz="UTC", method="present")
    # A present 09:00-09:40 (the 5-minute gap is not a break); B 10:10-10:15
    assert present.tolist() == pytest.approx([40 / 60, 5 / 60])


def test_bank_adapter_reads_its_format():
    calls = read_anonymous_bank(FIX / "bank_sample.tsv", source_tz="UTC")
    # VRU hang-up and PHANTOM left out; ids unique across days
    assert len(calls) == 7
    assert calls["call_id"].is_unique
    served = calls.dropna(subset=["answered_at"])
    assert len(served) == 5
    assert (calls["answered_at"].dropna() >= calls.loc[served.index, "arrived_at"]).all()
    # a call answered just before midnight ends the next day
    late = calls[calls["arrived_at"] == pd.Timestamp("1999-03-01 23:58:30")].iloc[0]
    assert late["ended_at"] == pd.Timestamp("1999-03-02 00:02:50")
    # NO_SERVER is not an agent
    assert set(calls["agent_id"].dropna()) == {"RINA", "DANA"}
    abandoned = calls[calls["answered_at"].isna()]
    waits = (abandoned["ended_at"] - abandoned["arrived_at"]).dt.total_seconds()
    assert sorted(waits) == [90, 120]


def test_bank_adapter_converts_local_time_to_utc():
    utc = read_anonymous_bank(FIX / "bank_sample.tsv", source_tz="UTC")
    il = read_anonymous_bank(FIX / "bank_sample.tsv")
    assert (utc["arrived_at"] - il["arrived_at"]).dt.total_seconds().eq(2 * 3600).all()


def test_decc_adapter_reads_buckets_by_name():
    d = read_decc_phone(FIX / "decc_phone_sample.csv")
    assert set(d["channel"]) == {"999", "101"}
    adm = d[d["channel"] == "101"].reset_index(drop=True)
    assert adm["offered"].tolist() == [45, 40, 12]
    assert (adm["answered"] + adm["abandoned"] == adm["offered"]).all()
    assert adm["pct_answered_within_10s"].tolist() == pytest.approx([75.0, 100.0, 60.0])
    assert np.allclose(adm["pct_answered_within_10s"], adm["published_pct_within_10s"], atol=0.01)
    assert "answered_gt_120s" in d.columns
    with pytest.raises(SchemaError):
        read_decc_phone(FIX / "bank_sample.tsv")


def test_decc_adapter_accepts_another_export_date_format(tmp_path):
    text = (FIX / "decc_phone_sample.csv").read_text()
    f = tmp_path / "iso.csv"
    f.write_text(text.replace("3/2/2026 09:00", "2026-03-02 09:00:00"))
    d = read_decc_phone(f)
    assert d["hour_start"].min() == pd.Timestamp("2026-03-02 09:00")
    assert d["hour_start"].notna().all()


def test_bank_adapter_survives_the_clock_change(tmp_path):
    # Israel's 1999 summer time ended on 3 September: 01:00-02:00 local happened twice
    header, first = (FIX / "bank_sample.tsv").read_text().splitlines()[:2]
    row = first.replace("990301", "990903").replace("\t9:0", "\t1:0")
    f = tmp_path / "dst.tsv"
    f.write_text(header + "\n" + row + "\n")
    calls = read_anonymous_bank(f)
    assert calls[["arrived_at", "answered_at", "ended_at"]].notna().all().all()
    # read as standard time (UTC+2): 01:00:10 local is 23:00:10 UTC the day before
    assert calls["arrived_at"].iloc[0] == pd.Timestamp("1999-09-02 23:00:10")


def test_hourly_naive_baseline_falls_back_where_last_week_answered_nobody():
    from forcestat.demand.validate import hourly_backtest

    # three weeks of one line answering 80% within 10 s every hour, except that nobody
    # was answered at 03:00 on the last Monday before the test week
    hours = pd.date_range("2025-10-27", periods=21 * 24, freq="h")
    answered = np.full(len(hours), 10)
    answered[(hours == pd.Timestamp("2025-11-03 03:00"))] = 0
    hourly = pd.DataFrame(
        {"hour_start": hours, "channel": "999", "offered": answered, "answered": answered,
         "answered_within_10s": (answered * 0.8).astype(int)}
    )  # fmt: skip
    r = hourly_backtest(hourly, "999")
    # the naive forecast of the test Monday 03:00 is the fit weeks' share at 03:00 (80%),
    # not 0%: every hour is forecast exactly
    assert r["hour_of_week"]["naive_mae_pts"] == pytest.approx(0.0, abs=1e-9)
    assert r["hour_of_day"]["naive_mae_pts"] == pytest.approx(0.0, abs=1e-9)
