"""Estimate the demand model's inputs from call records (Brown et al., 2005).

* arrival rates per interval of the week, with exact Poisson intervals and the between-week
  dispersion (Brown et al. found arrival counts more variable than Poisson across days);
* talk (handling) time: a lognormal fit and the empirical distribution;
* patience with censoring: an answered caller's wait is a *censored* patience (they would
  have waited at least that long), an abandoning caller's wait is an observed one. The
  exponential maximum-likelihood rate is abandonments / total waiting time; the
  Kaplan-Meier curve makes no distributional assumption.

The input is a ``calls`` table as a pandas DataFrame (from :func:`load_calls` on a store, from
an adapter, or from :meth:`SimResult.to_calls`). Times are naive UTC and are read in the
local time zone ``tz`` to place them in the week.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError
from ..periods import parse_period
from .params import check_interval_minutes

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def load_calls(store: Any, channel: str | None = None, period: str | None = None) -> pd.DataFrame:
    """Calls from a store's ``calls`` table, optionally one channel and one period (whole
    Europe/London days, e.g. ``"2022-10"``)."""
    where, args = ["TRUE"], []
    if channel is not None:
        where.append("channel = ?")
        args.append(channel)
    if period is not None:
        p = parse_period(period)
        local = "timezone('Europe/London', timezone('UTC', arrived_at))"
        where.append(f"{local} >= ? AND {local} < ?")
        args += [pd.Timestamp(p.start).to_pydatetime(), pd.Timestamp(p.end).to_pydatetime()]
    sql = (
        "SELECT call_id, channel, arrived_at, answered_at, ended_at, agent_id FROM calls "
        f"WHERE {' AND '.join(where)} ORDER BY arrived_at"
    )
    return store.frame(sql, args)  # DuckDB or PostgreSQL: the SQL is written once


def load_chats(store: Any, period: str | None = None) -> pd.DataFrame:
    """Live chats from a store's ``chats`` table, shaped like calls (requested -> arrived,
    accepted -> answered, operator -> agent) so the same estimators apply."""
    where, args = "TRUE", []
    if period is not None:
        p = parse_period(period)
        local = "timezone('Europe/London', timezone('UTC', requested_at))"
        where = f"{local} >= ? AND {local} < ?"
        args = [pd.Timestamp(p.start).to_pydatetime(), pd.Timestamp(p.end).to_pydatetime()]
    sql = (
        "SELECT chat_id AS call_id, 'chat' AS channel, requested_at AS arrived_at, "
        "accepted_at AS answered_at, ended_at, operator_id AS agent_id FROM chats "
        f"WHERE {where} ORDER BY requested_at"
    )
    chats = store.frame(sql, args)
    if chats.empty:
        raise ParameterError("the store has no chats for that period")
    return chats


def _local(ts: pd.Series, tz: str) -> pd.Series:
    t = pd.to_datetime(ts)
    return t.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)


def _require(calls: pd.DataFrame) -> None:
    if calls.empty:
        raise ParameterError("calls must hold at least one call to estimate from")


@dataclass(frozen=True)
class TalkTime:
    """Talk time of answered calls (seconds): lognormal fit and empirical summary."""

    n: int
    mean_s: float
    median_s: float
    p90_s: float
    log_mu: float
    log_sigma: float
    ks_distance: float
    sample: np.ndarray

    @property
    def lognormal_mean_s(self) -> float:
        return math.exp(self.log_mu + self.log_sigma**2 / 2)

    def as_dict(self) -> dict[str, float]:
        return {
            "n": self.n,
            "mean_s": self.mean_s,
            "median_s": self.median_s,
            "p90_s": self.p90_s,
            "lognormal_mu": self.log_mu,
            "lognormal_sigma": self.log_sigma,
            "lognormal_mean_s": self.lognormal_mean_s,
            "ks_distance": self.ks_distance,
        }


@dataclass(frozen=True)
class Patience:
    """Patience estimated with censoring.

    ``rate_per_s`` is the exponential MLE (abandonments / total waiting time) with an exact
    chi-square interval; ``km`` the Kaplan-Meier survival at each abandonment time."""

    abandoned: int
    waited_total_s: float
    callers: int
    rate_per_s: float
    rate_low: float
    rate_high: float
    km: pd.DataFrame

    @property
    def mean_s(self) -> float:
        return 1.0 / self.rate_per_s if self.rate_per_s > 0 else math.inf

    @property
    def km_median_s(self) -> float | None:
        below = self.km[self.km["survival"] <= 0.5]
        return float(below["time_s"].iloc[0]) if len(below) else None

    def survival_at(self, t: float) -> float:
        """Kaplan-Meier P(patience > t)."""
        before = self.km[self.km["time_s"] <= t]
        return float(before["survival"].iloc[-1]) if len(before) else 1.0

    def as_dict(self) -> dict[str, float | None]:
        return {
            "callers": self.callers,
            "abandoned": self.abandoned,
            "mean_patience_s": self.mean_s,
            "mean_patience_low_s": 1 / self.rate_high if self.rate_high > 0 else None,
            "mean_patience_high_s": 1 / self.rate_low if self.rate_low > 0 else None,
            "km_median_s": self.km_median_s,
        }


def talk_time(calls: pd.DataFrame) -> TalkTime:
    """Fit the talk time of answered calls (zero-length talks are dropped: no log)."""
    _require(calls)
    ans = calls.dropna(subset=["answered_at"])
    talk = (pd.to_datetime(ans["ended_at"]) - pd.to_datetime(ans["answered_at"])).dt.total_seconds()
    talk = talk[talk > 0].to_numpy(dtype=float)
    if talk.size < 2:
        raise ParameterError("calls must include at least two answered calls with talk time")
    logs = np.log(talk)
    mu, sigma = float(logs.mean()), float(logs.std(ddof=1))
    ks = float(stats.kstest(logs, "norm", args=(mu, sigma)).statistic)
    return TalkTime(
        n=int(talk.size),
        mean_s=float(talk.mean()),
        median_s=float(np.median(talk)),
        p90_s=float(np.quantile(talk, 0.9)),
        log_mu=mu,
        log_sigma=sigma,
        ks_distance=ks,
        sample=np.sort(talk),
    )


def waits(calls: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each caller's time in queue (s) and whether they abandoned (the patience event)."""
    arrived = pd.to_datetime(calls["arrived_at"])
    answered = calls["answered_at"].notna().to_numpy()
    left = pd.to_datetime(calls["answered_at"]).where(answered, pd.to_datetime(calls["ended_at"]))
    w = (left - arrived).dt.total_seconds().to_numpy(dtype=float)
    return np.maximum(w, 0.0), ~answered


def patience(calls: pd.DataFrame, confidence: float = 0.95) -> Patience:
    """Patience from waits: answered callers censored, abandoning callers observed."""
    _require(calls)
    w, event = waits(calls)
    d, total = int(event.sum()), float(w.sum())
    a = 1 - confidence
    rate = d / total if total > 0 else math.inf
    lo = stats.chi2.ppf(a / 2, 2 * d) / (2 * total) if d > 0 and total > 0 else 0.0
    hi = stats.chi2.ppf(1 - a / 2, 2 * d + 2) / (2 * total) if total > 0 else math.inf
    return Patience(d, total, int(w.size), rate, float(lo), float(hi), kaplan_meier(w, event))


def kaplan_meier(time_s: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier survival at each event time (ties: events before censorings)."""
    order = np.lexsort((~event, time_s))
    t, e = time_s[order], event[order]
    uniq, first = np.unique(t, return_index=True)
    events = np.add.reduceat(e.astype(np.int64), first) if t.size else np.zeros(0, np.int64)
    at_risk = t.size - first
    keep = events > 0
    s = np.cumprod(1.0 - events[keep] / at_risk[keep])
    return pd.DataFrame(
        {"time_s": uniq[keep], "at_risk": at_risk[keep], "events": events[keep], "survival": s}
    )


def _slot_frame(calls: pd.DataFrame, interval_minutes: int, tz: str, by: str) -> pd.DataFrame:
    check_interval_minutes(interval_minutes)
    if by not in ("week", "day"):
        raise ParameterError(f"by must be 'week' or 'day' (got {by!r})")
    local = _local(calls["arrived_at"], tz)
    per_day = 1440 // interval_minutes
    slot_in_day = (local.dt.hour * 60 + local.dt.minute) // interval_minutes
    slot = slot_in_day + (local.dt.day_of_week * per_day if by == "week" else 0)
    return pd.DataFrame({"slot": slot.to_numpy(), "date": local.dt.normalize().to_numpy()})


def _slot_labels(n_slots: int, interval_minutes: int, by: str) -> pd.DataFrame:
    per_day = 1440 // interval_minutes
    s = np.arange(n_slots)
    minutes = (s % per_day) * interval_minutes
    out = pd.DataFrame({"slot": s})
    if by == "week":
        out["day"] = [DAYS[i] for i in s // per_day]
    out["start"] = [f"{m // 60:02d}:{m % 60:02d}" for m in minutes]
    return out


def arrival_rates(
    calls: pd.DataFrame,
    interval_minutes: int = 60,
    *,
    tz: str = "Europe/London",
    by: str = "week",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Calls per hour for each interval of the week (``by="week"``) or of the day.

    Each slot's exposure is the number of calendar days of its kind in the observed span
    (first to last local day with a call), so a quiet slot with no calls counts as rate 0.
    Columns: slot, [day], start, calls, days, calls_per_hour, low, high (exact Poisson),
    dispersion (between-day variance / mean of the slot's counts; 1 for Poisson).
    """
    _require(calls)
    frame = _slot_frame(calls, interval_minutes, tz, by)
    per_day = 1440 // interval_minutes
    n_slots = per_day * (7 if by == "week" else 1)
    days = pd.date_range(frame["date"].min(), frame["date"].max(), freq="D")
    if by == "week":
        per_dow = np.bincount(days.day_of_week, minlength=7)
        exposure_days = np.repeat(per_dow, per_day)
    else:
        exposure_days = np.full(n_slots, len(days))
    counts = np.bincount(frame["slot"], minlength=n_slots)[:n_slots]
    hours = exposure_days * interval_minutes / 60.0
    a = 1 - confidence
    low = np.where(counts > 0, stats.chi2.ppf(a / 2, 2 * counts) / 2, 0.0)
    high = stats.chi2.ppf(1 - a / 2, 2 * counts + 2) / 2
    daily = frame.groupby(["slot", "date"]).size()
    disp = _dispersion(daily, exposure_days, n_slots)
    out = _slot_labels(n_slots, interval_minutes, by)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["calls"] = counts
        out["days"] = exposure_days
        out["calls_per_hour"] = np.where(hours > 0, counts / hours, 0.0)
        out["low"] = np.where(hours > 0, low / hours, 0.0)
        out["high"] = np.where(hours > 0, high / hours, np.inf)
    out["dispersion"] = disp
    return out


def _dispersion(daily: pd.Series, exposure_days: np.ndarray, n_slots: int) -> np.ndarray:
    """Variance-to-mean ratio of a slot's count over its days (days without calls count 0)."""
    out = np.full(n_slots, np.nan)
    sums = daily.groupby(level=0).sum()
    sq = (daily**2).groupby(level=0).sum()
    for slot, total in sums.items():
        k = int(exposure_days[int(slot)])
        if k < 2 or total == 0:
            continue
        mean = total / k
        var = (sq[slot] - k * mean**2) / (k - 1)
        out[int(slot)] = var / mean
    return out


def interval_profile(
    calls: pd.DataFrame,
    interval_minutes: int = 60,
    *,
    tz: str = "Europe/London",
    by: str = "day",
    within_s: float = 10.0,
) -> pd.DataFrame:
    """Observed service per slot: arrivals, answered, abandonment %, mean wait of answered,
    % answered within ``within_s``, mean talk, and patience (exponential MLE) per slot."""
    _require(calls)
    frame = _slot_frame(calls, interval_minutes, tz, by)
    w, event = waits(calls)
    talk = (
        pd.to_datetime(calls["ended_at"]) - pd.to_datetime(calls["answered_at"])
    ).dt.total_seconds()
    d = pd.DataFrame(
        {
            "slot": frame["slot"],
            "wait": w,
            "abandoned": event,
            "answered": ~event,
            "ans_wait": np.where(event, np.nan, w),
            "ans_within": np.where(event, np.nan, (w < within_s).astype(float)),
            "talk": talk.to_numpy(dtype=float),
        }
    )
    g = d.groupby("slot")
    out = pd.DataFrame(
        {
            "calls": g.size(),
            "answered": g["answered"].sum(),
            "pct_abandoned": 100 * g["abandoned"].mean(),
            "avg_wait_answered_s": g["ans_wait"].mean(),
            "pct_answered_within": 100 * g["ans_within"].mean(),
            "aht_s": g["talk"].mean(),
            "patience_s": g["wait"].sum() / g["abandoned"].sum().replace(0, np.nan),
        }
    ).reset_index()
    n_slots = (1440 // interval_minutes) * (7 if by == "week" else 1)
    return _slot_labels(n_slots, interval_minutes, by).merge(out, on="slot", how="inner")


def headcount(
    calls: pd.DataFrame,
    interval_minutes: int = 60,
    *,
    tz: str = "Europe/London",
    method: str = "distinct",
    break_minutes: float = 20.0,
) -> pd.Series:
    """Observed agents in each dated interval, from who answered calls.

    ``method="distinct"``: agents who answered at least one call in the interval.
    ``method="present"``: time-weighted agents; an agent counts as present from the start of
    one call to the end of their next unless the gap exceeds ``break_minutes`` (a break or
    the end of a shift), and each interval gets the share of it they were present. Distinct
    counts overstate capacity when agents log on and off within an hour.
    """
    if method not in ("distinct", "present"):
        raise ParameterError(f"method must be 'distinct' or 'present' (got {method!r})")
    ans = calls.dropna(subset=["answered_at", "agent_id"])
    local = _local(ans["answered_at"], tz)
    if method == "distinct":
        bucket = local.dt.floor(f"{interval_minutes}min")
        return (
            pd.DataFrame({"interval": bucket.to_numpy(), "agent": ans["agent_id"].to_numpy()})
            .groupby("interval")["agent"]
            .nunique()
            .rename("agents")
        )
    ends = _local(ans["ended_at"], tz)
    d = pd.DataFrame(
        {"agent": ans["agent_id"].to_numpy(), "s": local.to_numpy(), "e": ends.to_numpy()}
    )
    d = d.sort_values(["agent", "s"], kind="stable")
    # presence spans: merge an agent's calls separated by less than the break threshold
    gap = d["s"] - d.groupby("agent")["e"].shift()
    new_span = (gap.isna()) | (gap > pd.Timedelta(minutes=break_minutes))
    span_id = new_span.cumsum()
    spans = d.groupby(span_id).agg(s=("s", "min"), e=("e", "max"))
    step = pd.Timedelta(minutes=interval_minutes)
    acc: dict[pd.Timestamp, float] = {}
    for s0, e0 in zip(spans["s"], spans["e"], strict=True):
        b = s0.floor(step)
        while b < e0:
            nxt = b + step
            acc[b] = acc.get(b, 0.0) + (min(e0, nxt) - max(s0, b)) / step
            b = nxt
    out = pd.Series(acc, name="agents").sort_index()
    out.index.name = "interval"
    return out


@dataclass(frozen=True)
class DemandEstimate:
    """Everything the staffing formulas and the simulator need for one channel."""

    channel: str | None
    interval_minutes: int
    rates: pd.DataFrame
    talk: TalkTime
    patience: Patience
    calls: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "calls": self.calls,
            "interval_minutes": self.interval_minutes,
            "talk": self.talk.as_dict(),
            "patience": self.patience.as_dict(),
            "rates": self.rates.replace([np.inf], None).to_dict(orient="records"),
        }


def estimate(
    calls: pd.DataFrame,
    channel: str | None = None,
    interval_minutes: int = 60,
    *,
    tz: str = "Europe/London",
) -> DemandEstimate:
    """Arrival rates by interval of the week, talk time and patience for one channel.

    Parameters
    ----------
    calls
        A ``calls`` table (:func:`load_calls`, an adapter, or simulated records).
    channel
        Keep this channel only (None: all rows).
    interval_minutes
        15, 30 or 60.
    tz
        Time zone in which the week is read (the records are naive UTC).

    Returns
    -------
    DemandEstimate
        ``rates`` (:func:`arrival_rates`), ``talk`` (:func:`talk_time`), ``patience``
        (:func:`patience`) and the number of calls.
    """
    if channel is not None:
        calls = calls[calls["channel"] == channel]
    if calls.empty:
        raise ParameterError(f"channel {channel!r} has no calls in the data to estimate from")
    return DemandEstimate(
        channel,
        interval_minutes,
        arrival_rates(calls, interval_minutes, tz=tz),
        talk_time(calls),
        patience(calls),
        int(len(calls)),
    )


def infer_staffing(
    calls: pd.DataFrame,
    interval_minutes: int = 15,
    *,
    break_minutes: float = 20.0,
) -> pd.DataFrame:
    """Staffing records (the ``staffing`` schema) inferred from who answered calls.

    The headcount proxy is explicit: an agent is *present* from the answer of one call to
    the end of their next unless the gap between two calls is over ``break_minutes`` (a
    break or the end of their shift), and each interval gets the share of it each agent was
    present (time-weighted agents, :func:`headcount` with ``method="present"``). Intervals
    are in naive UTC, one set per channel, and every interval from the first call to the
    last is written (0 agents where nobody was present), so a roster read back from the
    table covers the whole span.

    Examples
    --------
    >>> calls = pd.DataFrame({
    ...     "call_id": ["a", "b"], "channel": ["101", "101"],
    ...     "arrived_at": pd.to_datetime(["2022-10-03 09:00", "2022-10-03 09:20"]),
    ...     "answered_at": pd.to_datetime(["2022-10-03 09:00", "2022-10-03 09:20"]),
    ...     "ended_at": pd.to_datetime(["2022-10-03 09:10", "2022-10-03 09:30"]),
    ...     "agent_id": ["A1", "A1"]})
    >>> infer_staffing(calls, 15)["agents"].tolist()
    [1.0, 1.0, 0.0]
    """
    check_interval_minutes(interval_minutes)
    _require(calls)
    step = pd.Timedelta(minutes=interval_minutes)
    frames = []
    for ch, part in calls.groupby("channel", sort=True):
        arrived = pd.to_datetime(part["arrived_at"])
        grid = pd.date_range(
            arrived.min().floor(step), pd.to_datetime(part["ended_at"]).max(), freq=step
        )
        present = headcount(
            part, interval_minutes, tz="UTC", method="present", break_minutes=break_minutes
        )
        agents = present.reindex(grid, fill_value=0.0).round(6)
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": grid,
                    "interval_minutes": interval_minutes,
                    "channel": str(ch),
                    "agents": agents.to_numpy(dtype=float),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class ChatSlowdown:
    """How handling stretches with an operator's concurrent chats, from the chats table.

    ``handling_alone_s``: mean handling of a chat held alone; ``slowdown``: extra handling
    per extra open chat as a share of it (handling = alone x (1 + slowdown x (m - 1)));
    ``mean_concurrency``: the operators' open chats when accepting one, on average."""

    chats: int
    handling_alone_s: float
    slowdown: float
    mean_concurrency: float
    observed_handling_s: float

    def as_dict(self) -> dict[str, float]:
        return {
            "chats": self.chats,
            "handling_alone_s": self.handling_alone_s,
            "slowdown": self.slowdown,
            "mean_concurrency": self.mean_concurrency,
            "observed_handling_s": self.observed_handling_s,
        }


def chat_slowdown(chats: pd.DataFrame) -> ChatSlowdown:
    """Estimate the chat slowdown from operators' overlapping chats.

    For each accepted chat, m is the number of its operator's chats open when it was
    accepted (itself included); the handling times are regressed on m - 1 by least
    squares, d = alone x (1 + slowdown x (m - 1)). The intercept is the handling of
    a chat held alone: a what-if that stretches handling by concurrency must start from
    it, not from the observed mean, which already includes the operators' usual
    concurrency (stretching that again would count the slowdown twice). ``chats`` is
    shaped like calls (:func:`load_chats`)."""
    done = chats.dropna(subset=["answered_at", "agent_id"])
    s = pd.to_datetime(done["answered_at"]).to_numpy().astype("datetime64[ns]").astype(float)
    e = pd.to_datetime(done["ended_at"]).to_numpy().astype("datetime64[ns]").astype(float)
    ok = e > s
    s, e, agent = s[ok] / 1e9, e[ok] / 1e9, done["agent_id"].to_numpy()[ok]
    if s.size < 10:
        raise ParameterError("chat slowdown needs at least 10 accepted chats with handling")
    m = np.ones(s.size)
    for a in np.unique(agent):
        idx = np.flatnonzero(agent == a)
        order = idx[np.argsort(s[idx], kind="stable")]
        ss, ee = s[order], e[order]
        longest = float((ee - ss).max())
        for k, i in enumerate(order):
            lo = np.searchsorted(ss, ss[k] - longest, side="left")
            before = np.arange(lo, k)
            # the operator's chats still open when this one was accepted
            m[i] += float((ee[before] > ss[k]).sum())
    d = e - s
    x = np.column_stack([np.ones(d.size), m - 1])
    (alone, per_extra), *_ = np.linalg.lstsq(x, d, rcond=None)
    alone = (
        float(alone) if alone > 0 else float(d[m < 1.05].mean() if (m < 1.05).any() else d.mean())
    )
    return ChatSlowdown(
        chats=int(d.size),
        handling_alone_s=alone,
        slowdown=max(float(per_extra) / alone, 0.0),
        mean_concurrency=float(m.mean()),
        observed_handling_s=float(d.mean()),
    )
