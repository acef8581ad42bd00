"""Forecasts of daily and interval call volumes: recover known effects, cover the truth."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from forcestat.demand.forecast import daily_counts, forecast_calls, quantile_rates
from forcestat.errors import ParameterError

DOW = np.array([1.0, 1.1, 1.05, 1.0, 1.2, 0.6, 0.4])  # Mon..Sun multipliers


def _calls(days: int, seed: int = 0, base: float = 400.0, start: str = "2022-01-03"):
    """Calls with day-of-week effects, English bank holidays at half volume, arrivals
    between 08:00 and 20:00 UTC (winter: the same as London time)."""
    import holidays

    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    hol = holidays.country_holidays("GB", subdiv="ENG", years=sorted(set(dates.year)))
    rows = []
    for d in dates:
        mean = base * DOW[d.day_of_week] * (0.5 if d.date() in hol else 1.0)
        n = rng.poisson(rng.gamma(200, mean / 200))
        secs = rng.uniform(8 * 3600, 20 * 3600, n)
        rows.append(d + pd.to_timedelta(np.sort(secs), unit="s"))
    t = pd.DatetimeIndex(np.concatenate(rows))
    return pd.DataFrame(
        {"call_id": [f"C{i}" for i in range(len(t))], "channel": "101", "arrived_at": t,
         "answered_at": t, "ended_at": t + pd.Timedelta(minutes=3), "agent_id": "A1"}
    )  # fmt: skip


@pytest.fixture(scope="module")
def history():
    return _calls(180)


def test_day_of_week_and_holiday_effects_are_recovered(history):
    fc = forecast_calls(history, 28, tz="Europe/London")
    c = fc.coefficients
    assert c["dow_Sat"] == pytest.approx(np.log(0.6), abs=0.05)
    assert c["dow_Sun"] == pytest.approx(np.log(0.4), abs=0.05)
    assert c["holiday"] == pytest.approx(np.log(0.5), abs=0.2)
    assert abs(c["trend_per_year"]) < 0.15  # no drift was simulated


def test_prediction_intervals_cover_the_following_weeks(history):
    fc = forecast_calls(history, 56, tz="Europe/London", level=0.9)
    future = _calls(180 + 56, seed=0)
    actual = daily_counts(future, "Europe/London").iloc[-56:].to_numpy()
    inside = (actual >= fc.daily["low"]) & (actual <= fc.daily["high"])
    assert inside.mean() >= 0.8
    # and the intervals are not uselessly wide
    assert (fc.daily["high"] / fc.daily["expected"]).median() < 1.3


def test_the_day_is_spread_by_its_profile(history):
    fc = forecast_calls(history, 7, tz="Europe/London", interval_minutes=60)
    i = fc.intervals
    assert len(i) == 7 * 24
    night = pd.to_datetime(i["interval_start"]).dt.hour < 8
    assert i.loc[night, "expected"].sum() == pytest.approx(0, abs=1e-6)
    per_day = i.groupby(pd.to_datetime(i["interval_start"]).dt.date)["expected"].sum()
    assert per_day.to_numpy() == pytest.approx(fc.daily["expected"].to_numpy(), rel=1e-6)
    # an upper quantile staffs above the mean
    q = quantile_rates(fc, 0.9)
    busy = i["expected"] > 5
    assert (q[busy] > i.loc[busy, "calls_per_hour"]).all()


def test_short_histories_fit_no_trend_and_too_short_ones_are_refused():
    fc = forecast_calls(_calls(28), 7, tz="Europe/London", country=None)
    assert "trend_per_year" not in fc.coefficients and "holiday" not in fc.coefficients
    with pytest.raises(ParameterError, match="14 days"):
        forecast_calls(_calls(10), 7)
    with pytest.raises(ParameterError, match="days must be"):
        forecast_calls(_calls(28), 0)


def test_cli_forecast(history, tmp_path, monkeypatch, capsys):
    from forcestat import cli
    from forcestat.demand.adapters import load_calls_into
    from forcestat.store import Store

    db = str(tmp_path / "f.duckdb")
    with Store.open(db) as store:
        load_calls_into(store, history, tmp_path)
    chart = tmp_path / "fc.svg"
    monkeypatch.setattr(
        sys, "argv",
        ["forcestat", "demand", "forecast", "--db", db, "--days", "14", "--json",
         "--staff-quantile", "90", "--chart", str(chart)],
    )  # fmt: skip
    cli.main()
    data = json.loads(capsys.readouterr().out)
    assert len(data["daily"]) == 14 and len(data["intervals"]) == 14 * 24
    assert data["staffing"]["peak_agents"] > 0
    assert chart.read_text().lstrip().startswith("<svg")


def test_backtest_scores_the_forecast_against_the_naive_last_week(history):
    from forcestat.demand.forecast import backtest_forecast

    # 16 weeks of history, the next 4 weeks scored (2022-01-03 is a Monday); read in UTC,
    # the zone the history's calls keep their hours in (London's clocks move in March)
    r = backtest_forecast(history, "2022-01-03..2022-04-24", "2022-04-25..2022-05-22", tz="UTC")
    sc = r.scores
    assert sc["test_days"] == 28 and len(r.days) == 28 and sc["history_days"] == 112
    # the naive forecast repeats one noisy week; the model averages sixteen
    assert sc["daily_mae"] < sc["naive_daily_mae"]
    assert sc["interval_mae"] < sc["naive_interval_mae"]
    assert sc["interval_coverage_pct"] >= 75
    # the naive forecast is the fit period's last week, weekday for weekday
    last_week = daily_counts(history, "UTC").loc["2022-04-18":"2022-04-24"]
    assert r.days["naive"].tolist() == last_week.tolist() * 4
    # the early May bank holiday (2 May) is forecast at its reduced volume
    may2 = r.days.set_index("date").loc[pd.Timestamp("2022-05-02").date()]
    assert may2["forecast"] < 0.7 * r.days.loc[r.days["day"] == "Mon", "forecast"].max()
    with pytest.raises(ParameterError, match="must start after"):
        backtest_forecast(history, "2022-01-03..2022-04-24", "2022-04-01..2022-04-30", tz="UTC")


def test_staffing_for_an_upper_quantile_needs_more_agents_than_for_the_mean(
    history, tmp_path, monkeypatch, capsys
):
    from forcestat import cli
    from forcestat.demand.adapters import load_calls_into
    from forcestat.store import Store

    db = str(tmp_path / "q.duckdb")
    with Store.open(db) as store:
        load_calls_into(store, history, tmp_path)
    args = ["forcestat", "demand", "forecast", "--db", db, "--days", "7", "--json"]
    monkeypatch.setattr(sys, "argv", [*args, "--staff-quantile", "95"])
    cli.main()
    st = json.loads(capsys.readouterr().out)["staffing"]
    assert st["agent_hours"] > st["agent_hours_at_mean"] > 0
    assert st["peak_agents"] >= st["peak_agents_at_mean"]
    # and the back-test command prints its scores
    monkeypatch.setattr(
        sys, "argv",
        ["forcestat", "demand", "forecast-backtest", "--db", db, "--fit", "2022-01-03..2022-04-24",
         "--test", "2022-04-25..2022-05-08", "--tz", "UTC", "--json"],
    )  # fmt: skip
    cli.main()
    bt = json.loads(capsys.readouterr().out)
    assert (
        bt["test_days"] == 14 and len(bt["days"]) == 14 and bt["daily_mae"] < bt["naive_daily_mae"]
    )
