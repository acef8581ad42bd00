"""Check the queueing formulas against what a call centre actually delivered.

:func:`compare_models` takes call records with agent ids, and for every dated interval
feeds its arrivals, the hour-of-day talk time and patience, and the *observed* headcount
(distinct agents answering in it) to Erlang A and Erlang C; the predictions are then
averaged by interval of the day (weighted by calls) and set beside the observed abandonment
and waiting. Erlang C, which assumes nobody hangs up, predicts no abandonment and, whenever
the load reaches the headcount, unbounded waits (capped at the interval length here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from . import erlang
from .estimate import _local, headcount, interval_profile


@dataclass(frozen=True)
class ModelComparison:
    """Observed vs predicted by interval of the day, and each model's errors."""

    by_interval: pd.DataFrame
    errors: pd.DataFrame
    unstable_share_erlang_c: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "errors": self.errors.reset_index().to_dict(orient="records"),
            "unstable_share_erlang_c": self.unstable_share_erlang_c,
            "by_interval": self.by_interval.to_dict(orient="records"),
        }


def compare_models(
    calls: pd.DataFrame,
    interval_minutes: int = 60,
    *,
    tz: str = "Europe/London",
    within_s: float = 10.0,
    headcount_method: str = "distinct",
) -> ModelComparison:
    """Erlang A and Erlang C, given observed headcount, against observed service.

    Parameters
    ----------
    calls
        Call records with ``agent_id`` (e.g. from
        :func:`~forcestat.demand.adapters.read_anonymous_bank`).
    interval_minutes, tz
        The intervals compared and the zone their clock hours are read in.
    within_s
        Service-level threshold.
    headcount_method
        ``"distinct"`` agents answering in the interval, or time-weighted ``"present"``
        (see :func:`~forcestat.demand.estimate.headcount`).

    Returns
    -------
    ModelComparison
        ``by_interval`` (observed and both models by interval of the day), ``errors`` (MAE,
        RMSE and calls-weighted MAE per model and measure), and the share of dated
        intervals in which Erlang C was unstable.
    """
    profile = interval_profile(calls, interval_minutes, tz=tz, by="day", within_s=within_s)
    overall_patience = _overall_patience(profile)
    local = _local(calls["arrived_at"], tz)
    bucket = local.dt.floor(f"{interval_minutes}min")
    per = pd.DataFrame({"interval": bucket.to_numpy()}).groupby("interval").size().rename("calls")
    per = per.to_frame().join(
        headcount(calls, interval_minutes, tz=tz, method=headcount_method), how="inner"
    )
    per = per[per["agents"] >= 0.5]
    slot = ((per.index.hour * 60 + per.index.minute) // interval_minutes).to_numpy()
    p = profile.set_index("slot")
    aht = p["aht_s"].reindex(slot).to_numpy()
    pat = p["patience_s"].reindex(slot).fillna(overall_patience).to_numpy()
    rate = per["calls"].to_numpy() * 60.0 / interval_minutes
    n = per["agents"].to_numpy(dtype=float)
    a = erlang.erlang_a(rate, aht, pat, n, within_s)
    c = erlang.erlang_c(rate, aht, n, within_s)
    cap = interval_minutes * 60.0
    unstable = ~np.isfinite(c.asa_s)
    pred = pd.DataFrame(
        {
            "slot": slot,
            "w": per["calls"].to_numpy(dtype=float),
            "a_abandon": 100 * a.p_abandon,
            "a_wait": a.asa_s,
            "a_within": 100 * a.service_level,
            "c_abandon": 0.0,
            "c_wait": np.minimum(c.asa_s, cap),
            "c_within": 100 * c.service_level,
        }
    )
    cols = [c for c in pred.columns if c not in ("slot", "w")]
    weighted = pred[cols].mul(pred["w"], axis=0).assign(slot=pred["slot"], w=pred["w"])
    g = weighted.groupby("slot")
    mean = g[cols].sum().div(g["w"].sum(), axis=0)
    obs = p[["start", "calls", "pct_abandoned", "avg_wait_answered_s", "pct_answered_within"]]
    table = obs.join(mean, how="inner").reset_index()
    table = table.rename(
        columns={
            "pct_abandoned": "obs_abandon",
            "avg_wait_answered_s": "obs_wait",
            "pct_answered_within": "obs_within",
        }
    )
    return ModelComparison(table, _errors(table), float(unstable.mean()))


def _overall_patience(profile: pd.DataFrame) -> float:
    p = profile["patience_s"].dropna()
    return float(np.median(p)) if len(p) else 600.0


def _errors(t: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute and root-mean-square error over intervals of the day, per model."""
    rows = {}
    w = t["calls"] / t["calls"].sum()
    for model in ("a", "c"):
        for what, unit in (("abandon", "pct"), ("wait", "s"), ("within", "pct")):
            err = t[f"{model}_{what}"] - t[f"obs_{what}"]
            rows[(f"erlang_{model}", f"{what}_{unit}")] = {
                "mae": float(err.abs().mean()),
                "rmse": float(np.sqrt((err**2).mean())),
                "weighted_mae": float((w * err.abs()).sum()),
            }
    out = pd.DataFrame(rows).T
    out.index.names = ["model", "measure"]
    return out


def hourly_service_check(
    hourly: pd.DataFrame,
    aht_s: float | dict[str, float],
    *,
    target_pct: float = 90.0,
    within_s: float = 10.0,
) -> pd.DataFrame:
    """Hour-of-day service from hourly line statistics (:func:`read_decc_phone`) beside the
    Erlang C staffing advice for the standard at each hour's average offered load.

    Columns: channel, hour, offered_per_hour, pct_answered_within_10s (Home Office
    definition: of answered calls), pct_abandoned, advised_agents, shortfall_pct (how far
    the observed service fell below the target)."""
    h = hourly.assign(hour=pd.to_datetime(hourly["hour_start"]).dt.hour)
    days = h.groupby("channel")["hour_start"].apply(lambda s: s.dt.normalize().nunique())
    g = h.groupby(["channel", "hour"])[["offered", "answered", "answered_within_10s", "abandoned"]]
    t = g.sum().reset_index()
    t["offered_per_hour"] = t["offered"] / t["channel"].map(days)
    t["pct_answered_within_10s"] = (
        100 * t["answered_within_10s"] / t["answered"].where(t["answered"] > 0)
    )
    t["pct_abandoned"] = 100 * t["abandoned"] / t["offered"].where(t["offered"] > 0)
    aht = t["channel"].map(aht_s) if isinstance(aht_s, dict) else float(aht_s)
    t["advised_agents"] = erlang.agents_needed(
        t["offered_per_hour"].to_numpy(), np.asarray(aht, dtype=float), target_pct / 100,
        within_s,
    )  # fmt: skip
    t["shortfall_pct"] = (target_pct - t["pct_answered_within_10s"]).clip(lower=0)
    return t[
        ["channel", "hour", "offered_per_hour", "pct_answered_within_10s", "pct_abandoned",
         "advised_agents", "shortfall_pct"]
    ]  # fmt: skip


def backtest(
    store: Any,
    channel: str,
    fit_period: str,
    test_period: str,
    *,
    tz: str = "Europe/London",
    seed: int = 0,
    replications: int = 5,
) -> pd.DataFrame:
    """Estimate a channel from one period, simulate the next with its roster (the store's
    ``staffing`` table, known in advance), and compare the board's call measures.

    Arrivals come from the fitted period's interval-of-week rates, so a change of volume
    between the periods shows up as error, as it would in real use."""
    from ..periods import parse_period
    from .estimate import estimate, load_calls
    from .simulate import Dist, simulate_pool
    from .staffing import load_roster

    fit = estimate(load_calls(store, channel, fit_period), channel, 60, tz=tz)
    roster = load_roster(store, channel)
    p = parse_period(test_period)
    start = pd.Timestamp(p.start).tz_localize(tz).tz_convert("UTC").tz_localize(None)
    end = pd.Timestamp(p.end).tz_localize(tz).tz_convert("UTC").tz_localize(None)
    step = int(roster["interval_minutes"].mode().iloc[0]) if len(roster) else 60
    grid = pd.date_range(start, end, freq=f"{step}min", inclusive="left")
    agents = (
        roster.assign(interval_start=pd.to_datetime(roster["interval_start"]))
        .groupby("interval_start")["agents"]
        .sum()
        .reindex(grid)
    )
    if agents.isna().all():
        raise ParameterError(f"the staffing table has no {channel} rows for {test_period}")
    local = grid.tz_localize("UTC").tz_convert(tz)
    slot = (local.day_of_week * 24 + local.hour).to_numpy()
    rates = fit.rates.set_index("slot")["calls_per_hour"].reindex(slot).fillna(0).to_numpy()
    pat = fit.patience.mean_s
    runs = []
    for r in range(replications):
        res = simulate_pool(
            rates, agents.fillna(0).to_numpy(), Dist.lognormal(fit.talk.mean_s, fit.talk.log_sigma),
            Dist.exponential(pat) if np.isfinite(pat) else Dist.never(),
            interval_minutes=step, seed=seed + r, channel=channel, start=start.to_pydatetime(),
        )  # fmt: skip
        runs.append(res.summary(channel, within_s=10.0))
    sim = pd.DataFrame(runs).mean()
    actual = load_calls(store, channel, test_period)
    observed = _observed_summary(actual)
    rows = []
    for k in ("received", "pct_not_answered", "avg_queue_seconds", "pct_answered_within",
              "avg_talk_seconds"):  # fmt: skip
        rows.append({"measure": k, "observed": observed[k], "simulated": float(sim[k])})
    out = pd.DataFrame(rows)
    out["error"] = out["simulated"] - out["observed"]
    return out


def _observed_summary(calls: pd.DataFrame) -> dict[str, float]:
    arrived = pd.to_datetime(calls["arrived_at"])
    answered = pd.to_datetime(calls["answered_at"])
    ok = answered.notna()
    wait = (answered - arrived).dt.total_seconds()[ok]
    talk = (pd.to_datetime(calls["ended_at"]) - answered).dt.total_seconds()[ok]
    n = len(calls)
    return {
        "received": float(n),
        "pct_not_answered": 100.0 * (n - ok.sum()) / n if n else 0.0,
        "avg_queue_seconds": float(wait.mean()) if ok.any() else 0.0,
        "pct_answered_within": 100.0 * float((wait < 10).mean()) if ok.any() else 100.0,
        "avg_talk_seconds": float(talk.mean()) if ok.any() else 0.0,
    }


def hourly_backtest(
    hourly: pd.DataFrame, channel: str = "999", *, test_days: int = 7
) -> dict[str, Any]:
    """Predict the last ``test_days`` days' share answered within 10 s, hour by hour, from
    the earlier weeks of hourly line statistics (:func:`read_decc_phone`).

    The model is a binomial regression (statsmodels) of each hour's share answered within
    10 s on its offered calls (linear and squared: service slips as the load rises) and
    the hour of the day (eight three-hour blocks: the shifts), weighted by answered calls
    and fitted on the earlier weeks; it is given the test hours' offered calls. The naive
    baseline is the same hour of the week before. Scored as the mean absolute error in
    percentage points per hour of the day (the test week's hours pooled) and per hour of
    the week, each beside the binomial noise floor (what a perfect model would score).
    """
    import statsmodels.api as sm

    from .backtest import binomial_noise_floor

    h = hourly[hourly["channel"] == channel].copy()
    if h.empty:
        raise ParameterError(f"no hourly statistics for channel {channel!r}")
    h["hour_start"] = pd.to_datetime(h["hour_start"])
    cut = h["hour_start"].max().normalize() - pd.Timedelta(days=test_days - 1)
    fit, test = h[h["hour_start"] < cut], h[h["hour_start"] >= cut]
    if fit["hour_start"].min() > cut - pd.Timedelta(days=7):
        raise ParameterError("hourly backtest needs at least a week before the test days")

    def design(d: pd.DataFrame) -> np.ndarray:
        x = d["offered"].to_numpy(dtype=float)
        block = (d["hour_start"].dt.hour // 3).to_numpy()
        cols = [np.ones(len(d)), x / 10, (x / 10) ** 2]
        cols += [(block == b).astype(float) for b in range(1, 8)]
        return np.column_stack(cols)

    f = fit[fit["answered"] > 0]
    y = np.column_stack([f["answered_within_10s"], f["answered"] - f["answered_within_10s"]])
    model = sm.GLM(y, design(f), family=sm.families.Binomial()).fit()
    test = test.assign(pred=model.predict(design(test)) * test["answered"])
    test = test.assign(naive=_same_hour_last_week(h, fit, test) * test["answered"].to_numpy())
    out: dict[str, Any] = {"channel": channel, "fit_hours": int(len(fit))}
    for grain, keys in (("hour_of_day", [test["hour_start"].dt.hour]),
                        ("hour_of_week", [test["hour_start"].dt.day_of_week,
                                          test["hour_start"].dt.hour])):  # fmt: skip
        g = test.groupby(keys)[["answered", "answered_within_10s", "pred", "naive"]].sum(
            min_count=1
        )
        g = g[g["answered"] > 0]
        obs = 100 * g["answered_within_10s"] / g["answered"]
        out[grain] = {
            "model_mae_pts": float((100 * g["pred"] / g["answered"] - obs).abs().mean()),
            "naive_mae_pts": float((100 * g["naive"] / g["answered"] - obs).abs().mean()),
            "noise_floor_pts": 100
            * binomial_noise_floor((obs / 100).to_numpy(), g["answered"].to_numpy()),
            "cells": int(len(g)),
        }
    return out


def _same_hour_last_week(h: pd.DataFrame, fit: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The naive forecast of each test hour's share answered within 10 s: the same hour a
    week before; where nobody was answered then, the fit weeks' share at that hour of the
    day (or overall). Without the fallback such an hour would count as 0% answered in time,
    a handicap that made the naive baseline look worse than it is on a line of few calls."""
    by_time = h.set_index("hour_start")
    share = by_time["answered_within_10s"] / by_time["answered"].where(lambda v: v > 0)
    last = share.reindex(test["hour_start"] - pd.Timedelta(days=7)).to_numpy(dtype=float)
    g = fit.groupby(fit["hour_start"].dt.hour)[["answered_within_10s", "answered"]].sum()
    overall = float(fit["answered_within_10s"].sum() / max(fit["answered"].sum(), 1))
    by_hour = (g["answered_within_10s"] / g["answered"].where(g["answered"] > 0)).fillna(overall)
    fallback = by_hour.reindex(test["hour_start"].dt.hour).fillna(overall).to_numpy(dtype=float)
    return np.where(np.isnan(last), fallback, last)


def hourly_pooled_advice(
    hourly: pd.DataFrame, aht_s: dict[str, float], *, target_pct: float = 90.0,
    within_s: float = 10.0,
) -> dict[str, Any]:  # fmt: skip
    """Agent-hours a day the hourly statistics' average load needs: each line staffed
    apart (Erlang C, the standard on both), against one pool taking both lines with 999
    answered first (:func:`~forcestat.demand.staffing.pooled_agents`, the same standard
    for both). ``aht_s`` per channel, e.g. from the CAD records
    (:func:`~forcestat.demand.adapters.read_cad_handling`)."""
    from .params import ServiceTarget
    from .staffing import pooled_agents

    t = hourly_service_check(hourly, aht_s, target_pct=target_pct, within_s=within_s)
    apart = float(t["advised_agents"].sum())
    wide = t.pivot(index="hour", columns="channel", values="offered_per_hour").fillna(0.0)
    tg = {ch: ServiceTarget(ch, target_pct, within_s) for ch in ("999", "101")}
    n, _, _ = pooled_agents(wide["999"].to_numpy(), wide["101"].to_numpy(), aht_s, tg)
    return {
        "aht_s": aht_s,
        "agent_hours_a_day_apart": apart,
        "agent_hours_a_day_pooled": float(n.sum()),
        "pooled_by_hour": [int(x) for x in n],
    }
