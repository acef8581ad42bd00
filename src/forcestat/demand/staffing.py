"""Staffing: agents needed per interval for a channel's target, and the service a roster gives.

``agents`` in the tables are call handlers on the phones; ``rostered`` adds shrinkage (leave,
training, breaks: the share of paid time not available for calls), ``ceil(agents / (1 -
shrinkage))``, the way pyworkforce and most workforce tools apply it. FTE is rostered hours
over a week divided by contracted hours per FTE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from . import erlang
from .estimate import DemandEstimate
from .params import (
    DEFAULT_TARGETS,
    ServiceTarget,
    check_fraction,
    check_non_negative,
    check_positive,
)

MODELS = ("erlang_a", "erlang_c")


@dataclass(frozen=True)
class StaffingPlan:
    """Agents needed by interval of the week for one channel, with what they deliver."""

    channel: str | None
    target: ServiceTarget
    model: str
    shrinkage: float
    interval_minutes: int
    table: pd.DataFrame
    hours_per_fte: float

    @property
    def agent_hours(self) -> float:
        return float(self.table["agents"].sum() * self.interval_minutes / 60)

    @property
    def fte(self) -> float:
        """Rostered FTE for the week: on-phone hours grossed up for shrinkage."""
        return self.agent_hours / (1 - self.shrinkage) / self.hours_per_fte

    def summary(self) -> dict[str, Any]:
        t = self.table
        calls = (t["calls_per_hour"] * self.interval_minutes / 60).to_numpy()
        w = calls / calls.sum() if calls.sum() > 0 else np.full(len(t), 1 / max(len(t), 1))
        return {
            "channel": self.channel,
            "target": self.target.label,
            "model": self.model,
            "shrinkage_pct": 100 * self.shrinkage,
            "interval_minutes": self.interval_minutes,
            "peak_agents": int(t["agents"].max()) if len(t) else 0,
            "agent_hours_per_week": self.agent_hours,
            "fte": self.fte,
            "expected_service_level_pct": float((w * t["service_level_pct"]).sum()),
            "expected_pct_abandoned": float((w * t["pct_abandoned"]).sum()),
        }


def _metrics(
    model: str, rate: np.ndarray, aht: float, patience: float | None, n: np.ndarray, t: float
) -> erlang.QueueMetrics:
    if model == "erlang_a":
        if patience is None:
            raise ParameterError("patience_s is needed for model erlang_a")
        return erlang.erlang_a(rate, aht, patience, np.maximum(n, 0), t)
    # Erlang C has no answer for intervals with no agents; they are all reported as unstable
    return erlang.erlang_c(rate, aht, np.where((n <= 0) & (rate > 0), 0.5, n), t)


def _service_columns(m: erlang.QueueMetrics) -> dict[str, np.ndarray]:
    return {
        "load_erlangs": m.load_erlangs,
        "service_level_pct": 100 * m.service_level,
        "pct_answered_in_time_of_offered": 100 * m.answered_within_share,
        "asa_s": m.asa_s,
        "pct_abandoned": 100 * m.p_abandon,
        "occupancy_pct": 100 * m.occupancy,
    }


def required_agents(
    calls_per_hour: Any,
    aht_s: float,
    target: ServiceTarget,
    *,
    patience_s: float | None = None,
    model: str = "erlang_c",
    max_occupancy: float = 1.0,
) -> np.ndarray:
    """Agents on the phones needed in each interval to meet ``target``."""
    if model not in MODELS:
        raise ParameterError(f"model must be one of {', '.join(MODELS)} (got {model!r})")
    ab = 1.0 if target.max_abandon_pct is None else target.max_abandon_pct / 100
    return erlang.agents_needed(
        calls_per_hour,
        aht_s,
        target.target_pct / 100,
        target.within_s,
        patience_s=patience_s if model == "erlang_a" else None,
        max_abandon=ab,
        max_occupancy=max_occupancy,
    )


def staff_week(
    est: DemandEstimate,
    target: ServiceTarget | None = None,
    *,
    model: str = "erlang_a",
    shrinkage: float = 0.3,
    hours_per_fte: float = 37.0,
    aht_s: float | None = None,
    patience_s: float | None = None,
    max_occupancy: float = 1.0,
) -> StaffingPlan:
    """The week's staffing for one channel from its estimated demand.

    ``aht_s`` defaults to the estimated mean talk time, ``patience_s`` to the censored
    exponential estimate (Erlang A). The target defaults to the channel's standard (999:
    90% in 10 s; 101: 80% in 60 s).

    Parameters
    ----------
    est
        The channel's estimate (:func:`forcestat.demand.estimate.estimate`).
    target
        The service standard; None for the channel's default.
    model
        ``"erlang_a"`` (callers hang up; default) or ``"erlang_c"``.
    shrinkage
        Share of paid time not available for calls, in [0, 1).
    hours_per_fte
        Contracted weekly hours of one full-time post.
    aht_s, patience_s, max_occupancy
        Overrides of the estimated handling time and patience; an occupancy cap.

    Returns
    -------
    StaffingPlan
        ``table`` (one row per interval of the week: calls per hour, agents, rostered,
        service level, ASA, abandonment, occupancy), ``fte`` and ``summary()``.
    """
    target = target or DEFAULT_TARGETS.get(est.channel or "101", DEFAULT_TARGETS["101"])
    check_fraction("shrinkage", shrinkage, upper_open=True)
    check_positive("hours_per_fte", hours_per_fte)
    aht = float(aht_s if aht_s is not None else est.talk.mean_s)
    raw_pat = patience_s if patience_s is not None else est.patience.mean_s
    pat = float(raw_pat) if math.isfinite(raw_pat) else None
    if model == "erlang_a" and pat is None:
        model = "erlang_c"  # nobody ever gave up: patience is unbounded
    rates = est.rates["calls_per_hour"].to_numpy(dtype=float)
    n = required_agents(
        rates, aht, target, patience_s=pat, model=model, max_occupancy=max_occupancy
    )
    m = _metrics(model, rates, aht, pat, n.astype(float), target.within_s)
    table = est.rates[[c for c in ("slot", "day", "start") if c in est.rates]].copy()
    table["calls_per_hour"] = rates
    table["agents"] = n
    table["rostered"] = np.ceil(n / (1 - shrinkage) - 1e-9).astype(int)
    for k, v in _service_columns(m).items():
        table[k] = v
    return StaffingPlan(
        est.channel, target, model, shrinkage, est.interval_minutes, table, hours_per_fte
    )


def roster_service(
    roster: pd.DataFrame,
    est: DemandEstimate,
    *,
    model: str = "erlang_a",
    within_s: float | None = None,
    tz: str = "Europe/London",
) -> pd.DataFrame:
    """The service a roster would deliver against the estimated demand.

    ``roster`` has rows of the ``staffing`` table (interval_start naive UTC, agents, and
    optionally channel, which is filtered to ``est.channel``). Each row is matched to the
    interval of the week it starts in. An interval with fewer than one agent while calls
    arrive answers none (service level 0, every caller lost).
    """
    r = roster
    if "channel" in r and est.channel is not None:
        r = r[r["channel"] == est.channel]
    if r.empty:
        raise ParameterError(f"the roster has no rows for channel {est.channel!r}")
    agents = check_non_negative("agents", r["agents"].to_numpy(dtype=float))
    start = pd.to_datetime(r["interval_start"]).dt.tz_localize("UTC").dt.tz_convert(tz)
    minute_of_week = start.dt.day_of_week * 1440 + start.dt.hour * 60 + start.dt.minute
    slot = (minute_of_week // est.interval_minutes).to_numpy()
    rates = est.rates.set_index("slot")["calls_per_hour"].reindex(slot).fillna(0).to_numpy()
    target = DEFAULT_TARGETS.get(est.channel or "101", DEFAULT_TARGETS["101"])
    t = target.within_s if within_s is None else within_s
    pat = est.patience.mean_s if math.isfinite(est.patience.mean_s) else None
    if pat is None:
        model = "erlang_c"
    n = np.floor(agents)
    # an interval rostered with nobody on the phones while calls come answers none of them
    empty = (n < 1) & (rates > 0)
    m = _metrics(model, rates, est.talk.mean_s, pat, np.where(empty, 1.0, n), t)
    out = pd.DataFrame(
        {
            "interval_start": pd.to_datetime(r["interval_start"]).to_numpy(),
            "agents": agents,
            "calls_per_hour": rates,
        }
    )
    for k, v in _service_columns(m).items():
        out[k] = v
    nobody: dict[str, float] = {
        "service_level_pct": 0.0,
        "pct_answered_in_time_of_offered": 0.0,
        "asa_s": np.inf,
        "pct_abandoned": 100.0,
        "occupancy_pct": np.nan,
    }
    for k, fill in nobody.items():
        out.loc[empty, k] = fill
    out["meets_target"] = out["service_level_pct"] >= target.target_pct
    return out


def load_roster(store: Any, channel: str | None = None, period: str | None = None) -> pd.DataFrame:
    """The store's ``staffing`` table (one channel or all; one period of whole
    Europe/London days or all)."""
    from ..periods import parse_period

    sql = "SELECT interval_start, interval_minutes, channel, agents FROM staffing WHERE TRUE"
    args: list[Any] = []
    if channel is not None:
        sql += " AND channel = ?"
        args.append(channel)
    if period is not None:
        p = parse_period(period)
        local = "timezone('Europe/London', timezone('UTC', interval_start))"
        sql += f" AND {local} >= ? AND {local} < ?"
        args += [pd.Timestamp(p.start).to_pydatetime(), pd.Timestamp(p.end).to_pydatetime()]
    return store.frame(sql + " ORDER BY interval_start", args)


def pooled_week(
    est: dict[str, DemandEstimate],
    targets: dict[str, ServiceTarget] | None = None,
    *,
    shrinkage: float = 0.3,
    hours_per_fte: float = 37.0,
    aht_s: dict[str, float] | None = None,
) -> StaffingPlan:
    """999 and 101 answered by one pool of handlers, 999 always first (non-preemptive).

    For each interval the fewest agents n meeting both targets, with the M/M/n priority
    queue's waits (Kella & Yechiali 1985; equal handling times, taken as the calls-weighted
    mean of the channels'): a caller finds every agent busy with the Erlang C probability
    C of the *combined* load; a waiting 999 caller is answered at rate n mu - lambda_999,
    so P(W_999 > t) = C exp(-(n mu - lambda_999) t); a waiting 101 caller waits on average
    1 / (n mu (1 - s_999)(1 - s)) (s = load shares of the pool), taken as exponential.
    Handling times default to the records' mean talk times. Callers are assumed patient
    (Erlang C), so the plan errs on the safe side; compare it with the two channels
    staffed apart (:func:`staff_week` each) to see what pooling saves.
    """
    if set(est) != {"999", "101"}:
        raise ParameterError("pooled staffing needs estimates for both 999 and 101")
    targets = targets or {ch: DEFAULT_TARGETS[ch] for ch in ("999", "101")}
    check_fraction("shrinkage", shrinkage, upper_open=True)
    aht = {ch: float((aht_s or {}).get(ch, est[ch].talk.mean_s)) for ch in ("999", "101")}
    check_positive("aht_s", list(aht.values()))
    r = est["999"].rates.merge(
        est["101"].rates[["slot", "calls_per_hour"]], on="slot", suffixes=("_999", "_101")
    )
    r999 = r["calls_per_hour_999"].to_numpy(dtype=float)
    r101 = r["calls_per_hour_101"].to_numpy(dtype=float)
    n_out, sl1, sl2 = pooled_agents(r999, r101, aht, targets)
    l1, l2, lam = r999 / 3600, r101 / 3600, (r999 + r101) / 3600
    table = r[[c for c in ("slot", "day", "start") if c in r]].copy()
    table["calls_per_hour_999"] = l1 * 3600
    table["calls_per_hour_101"] = l2 * 3600
    table["calls_per_hour"] = lam * 3600
    table["agents"] = n_out
    table["rostered"] = np.ceil(n_out / (1 - shrinkage) - 1e-9).astype(int)
    table["service_level_pct"] = 100 * sl1
    table["service_level_101_pct"] = 100 * sl2
    table["pct_abandoned"] = 0.0
    t1 = targets["999"]
    label = ServiceTarget("pooled", t1.target_pct, t1.within_s)
    return StaffingPlan(
        "pooled", label, "priority_erlang_c", shrinkage, est["999"].interval_minutes, table,
        hours_per_fte,
    )  # fmt: skip


def pooled_agents(
    calls_per_hour_999: np.ndarray,
    calls_per_hour_101: np.ndarray,
    aht_s: dict[str, float],
    targets: dict[str, ServiceTarget] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fewest agents per interval for one pool taking both channels, 999 first, and the
    share of each channel's calls then answered in time (see :func:`pooled_week`).

    Examples
    --------
    >>> n, sl999, sl101 = pooled_agents(np.array([60.0]), np.array([40.0]), {"999": 240,
    ...                                 "101": 240})
    >>> int(n[0]), bool(sl999[0] >= 0.9), bool(sl101[0] >= 0.8)
    (11, True, True)
    """
    targets = targets or {ch: DEFAULT_TARGETS[ch] for ch in ("999", "101")}
    l1 = check_non_negative("calls_per_hour_999", calls_per_hour_999) / 3600
    l2 = check_non_negative("calls_per_hour_101", calls_per_hour_101) / 3600
    if l1.size != l2.size:
        raise ParameterError("the two channels need one rate per interval each")
    lam = l1 + l2
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_aht = np.where(lam > 0, (l1 * aht_s["999"] + l2 * aht_s["101"]) / lam, 1.0)
    mu = 1 / mean_aht
    n_out = np.zeros(lam.size, dtype=int)
    sl1, sl2 = np.ones(lam.size), np.ones(lam.size)
    t1, t2 = targets["999"], targets["101"]
    for i in range(lam.size):
        if lam[i] <= 0:
            continue
        n = int(math.floor(lam[i] / mu[i])) + 1
        while True:
            c = float(erlang.erlang_c(lam[i] * 3600, mean_aht[i], n, 0).p_wait[0])
            a1 = 1 - c * math.exp(-(n * mu[i] - l1[i]) * t1.within_s)
            s1, s = l1[i] / (n * mu[i]), lam[i] / (n * mu[i])
            w2 = 1 / (n * mu[i] * (1 - s1) * (1 - s))
            a2 = 1 - c * math.exp(-t2.within_s / w2)
            if a1 >= t1.target_pct / 100 and a2 >= t2.target_pct / 100:
                break
            n += 1
        n_out[i], sl1[i], sl2[i] = n, a1, a2
    return n_out, sl1, sl2
