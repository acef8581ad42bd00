"""Out-of-sample back-tests per weekday-hour cell (`forcestat demand backtest`), on calls
simulated from a known queue whose roster is cut in the test weeks: the models, which are
given the roster, see the cut; the naive baseline (the fit weeks' observed values) cannot."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from forcestat.demand.backtest import backtest_cells, binomial_noise_floor, parse_span
from forcestat.demand.estimate import infer_staffing
from forcestat.demand.simulate import Dist, simulate_pool, simulate_shared_pool
from forcestat.errors import ParameterError

START = pd.Timestamp("2022-10-03")  # a Monday, naive UTC (= Europe/London + 1 h in October)
FIT, TEST = "2022-10-03..2022-10-16", "2022-10-17..2022-10-30"


def _day_rates() -> np.ndarray:
    hours = np.arange(24)
    return 20 + 100 * np.exp(-(((hours - 13) / 4.0) ** 2))  # calls an hour, peak at 13:00


@pytest.fixture(scope="module")
def roster_cut_calls():
    """Four weeks of one channel; the afternoons of the last two weeks lose two agents."""
    days = 28
    rates = np.tile(_day_rates(), days)
    agents = np.tile(np.ceil(_day_rates() * 240 / 3600) + 1, days)
    cut = (np.arange(days * 24) >= 14 * 24) & (np.arange(days * 24) % 24 >= 12)
    agents = np.where(cut, np.maximum(agents - 2, 1), agents)
    res = simulate_pool(
        rates, agents, Dist.lognormal(240, 0.8), Dist.exponential(300),
        seed=5, channel="101", start=START.to_pydatetime(),
    )  # fmt: skip
    return res.to_calls()


def test_a_roster_cut_is_predicted_where_the_naive_baseline_misses_it(roster_cut_calls):
    staffing = infer_staffing(roster_cut_calls, 15)
    r = backtest_cells(
        roster_cut_calls, staffing, FIT, TEST, models=("erlang_a", "erlang_a_calibrated")
    )
    scores = r.scores.set_index("model")
    base = r.baseline["abandonment_mae"]
    for m in ("erlang_a", "erlang_a_calibrated"):
        assert scores.loc[m, "abandonment_mae"] < 0.6 * base
        assert scores.loc[m, "wait_mae_s"] < r.baseline["wait_mae_s"]
        assert scores.loc[m, "cells"] == r.baseline["cells"] > 100
    # a correct model is within a small multiple of the binomial noise floor
    assert scores.loc["erlang_a", "abandonment_mae"] < 2.5 * r.noise_floor
    # the headcount proxy of a simulated centre is nearly the true headcount
    assert 0.85 < r.fitted["efficiency_erlang_a"] < 1.15


def test_the_json_contract_keys(roster_cut_calls):
    staffing = infer_staffing(roster_cut_calls, 60)
    r = backtest_cells(roster_cut_calls, staffing, FIT, TEST, models=("erlang_a",))
    d = r.as_dict()
    assert list(d) == ["models", "baseline", "noise_floor"]
    assert list(d["models"][0]) == ["model", "abandonment_mae", "wait_mae_s", "cells"]
    assert list(d["baseline"]) == ["abandonment_mae", "wait_mae_s", "cells"]


def test_simulated_days_score_like_the_formulas(roster_cut_calls):
    staffing = infer_staffing(roster_cut_calls, 15)
    r = backtest_cells(
        roster_cut_calls, staffing, FIT, TEST, models=("simulation",), replications=2
    )
    assert r.scores.loc[0, "abandonment_mae"] < 0.7 * r.baseline["abandonment_mae"]


@pytest.fixture(scope="module")
def priority_mix_calls():
    """Four weeks of one channel with two priority classes on one pool, the high class
    (impatient, short calls) answered first; its share rises from 15% to 50% in the test
    weeks."""
    days = 28
    rates = np.tile(_day_rates(), days)
    share = np.where(np.arange(days * 24) < 14 * 24, 0.15, 0.5)
    agents = np.tile(np.ceil(_day_rates() * 200 / 3600), days)
    res = simulate_shared_pool(
        {"999": rates * share, "101": rates * (1 - share)}, agents,
        {"999": Dist.lognormal(150, 0.8), "101": Dist.lognormal(240, 0.8)},
        {"999": Dist.exponential(60), "101": Dist.exponential(900)},
        seed=3, start=START.to_pydatetime(),
    )  # fmt: skip
    calls = res.to_calls()
    calls["priority"] = np.where(calls["channel"] == "999", 1, 0)  # the first-served class
    calls["channel"] = "101"
    return calls


def test_priority_classes_carry_a_change_in_the_priority_mix(priority_mix_calls):
    calls = priority_mix_calls
    staffing = infer_staffing(calls, 15)
    r = backtest_cells(
        calls, staffing, FIT, TEST, models=("simulation", "priority_classes"), replications=2
    )
    c = r.cells

    def overall(col: str) -> float:
        return float((c[col] * c["calls"]).sum() / c["calls"].sum())

    observed = overall("obs_abandonment")
    # one class with the fit weeks' pooled patience misses the impatient callers' rise in
    # share; the priority model, each class with its own patience, follows it
    assert abs(overall("priority_classes_abandonment") - observed) < 0.01
    assert overall("simulation_abandonment") < observed - 0.025
    mae = r.scores.set_index("model")
    assert mae.loc["priority_classes", "wait_mae_s"] < 0.6 * mae.loc["simulation", "wait_mae_s"]
    assert mae.loc["priority_classes", "abandonment_mae"] < r.baseline["abandonment_mae"]
    assert r.fitted["priority_share"] == pytest.approx(0.15, abs=0.01)


def test_priority_classes_run_only_where_the_records_carry_priorities(roster_cut_calls):
    staffing = infer_staffing(roster_cut_calls, 60)
    r = backtest_cells(roster_cut_calls, staffing, FIT, TEST, replications=1)
    assert "priority_classes" not in set(r.scores["model"])
    assert "simulation" in set(r.scores["model"])
    with pytest.raises(ParameterError, match="priority_classes needs calls with a priority"):
        backtest_cells(roster_cut_calls, staffing, FIT, TEST, models=("priority_classes",))


def test_profile_demand_scores_forecast_error_too(roster_cut_calls):
    staffing = infer_staffing(roster_cut_calls, 60)
    obs = backtest_cells(roster_cut_calls, staffing, FIT, TEST, models=("erlang_a",))
    prof = backtest_cells(
        roster_cut_calls, staffing, FIT, TEST, models=("erlang_a",), demand="profile"
    )
    # the same stationary demand in both halves: the profile forecast costs little
    a, b = obs.scores.loc[0, "abandonment_mae"], prof.scores.loc[0, "abandonment_mae"]
    assert b < a + 0.02


def test_noise_floor_is_the_binomial_mean_absolute_deviation():
    # n = 1: |X - p| is 1 - p with probability p and p otherwise
    assert binomial_noise_floor(np.array([0.2]), np.array([1])) == pytest.approx(0.32)
    # falls as 1 / sqrt(n)
    a = binomial_noise_floor(np.array([0.1]), np.array([100]))
    b = binomial_noise_floor(np.array([0.1]), np.array([400]))
    assert a / b == pytest.approx(2.0, rel=0.05)


def test_periods_are_days_or_months_in_the_zone():
    d = parse_span("1999-02-01..1999-02-14", "Asia/Jerusalem")
    assert d.start == pd.Timestamp("1999-01-31 22:00") and d.end == pd.Timestamp("1999-02-14 22:00")
    m = parse_span("2022-10", "Europe/London")
    assert m.start == pd.Timestamp("2022-09-30 23:00") and m.end == pd.Timestamp("2022-11-01")
    with pytest.raises(ParameterError, match="ends before"):
        parse_span("1999-02-14..1999-02-01", "UTC")


def test_without_staffing_in_the_test_period_it_says_so(roster_cut_calls):
    staffing = infer_staffing(roster_cut_calls, 60)
    early = staffing[staffing["interval_start"] < parse_span(TEST, "Europe/London").start]
    with pytest.raises(ParameterError, match="no agents in the test period"):
        backtest_cells(roster_cut_calls, early, FIT, TEST, models=("erlang_a",))


def _cli(monkeypatch, capsys, *args):
    from forcestat import cli

    monkeypatch.setattr(sys, "argv", ["forcestat", "demand", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as e:
        code = int(e.code or 0)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_cli_on_record_only_data(roster_cut_calls, tmp_path, monkeypatch, capsys):
    from forcestat.demand.adapters import load_calls_into
    from forcestat.store import Store

    db = str(tmp_path / "rec.duckdb")
    with Store.open(db) as store:
        load_calls_into(store, roster_cut_calls, tmp_path)
    bt = ["backtest", "--db", db, "--fit", FIT, "--test", TEST, "--model", "erlang_a"]
    # no staffing records: the headcount is inferred from the calls, and it says so
    code, out, err = _cli(monkeypatch, capsys, *bt, "--json")
    assert code == 0 and "inferred from the calls" in err
    inferred = json.loads(out)
    code, out, _ = _cli(monkeypatch, capsys, "infer-staffing", "--db", db, "--json")
    assert code == 0 and json.loads(out)["ingest"][0]["loaded"] > 600
    code, out, _ = _cli(monkeypatch, capsys, *bt, "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"models", "baseline", "noise_floor"}
    # the written records give the same scores as the inferred ones
    assert data["models"][0]["abandonment_mae"] == pytest.approx(
        inferred["models"][0]["abandonment_mae"], rel=1e-6
    )
    assert data["models"][0]["model"] == "erlang_a"
    assert data["models"][0]["abandonment_mae"] < data["baseline"]["abandonment_mae"]
    # loading the same inferred staffing twice changes nothing
    code, out, _ = _cli(monkeypatch, capsys, "infer-staffing", "--db", db, "--json")
    assert json.loads(out)["ingest"][0]["loaded"] == 0
