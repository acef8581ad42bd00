"""What-ifs: a 999 surge (with or without the message sending 101 callers to digital
channels) and live-chat operators by concurrency.

Both are answered by simulation, because neither has a closed form: in a surge 999 and 101
share one pool with 999 answered first, and the state of the queue carries from hour to hour;
a chat operator holding several chats at once slows each of them down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .estimate import DemandEstimate
from .params import check_fraction, check_non_negative, check_percent, check_positive
from .simulate import Dist, SimResult, simulate_chat, simulate_pool, simulate_shared_pool
from .staffing import DEFAULT_TARGETS, required_agents

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class SurgeSpec:
    """A 999 surge: arrivals times ``factor`` over intervals ``[first, last)``; during it a
    share ``divert`` of 101 callers goes to digital channels instead."""

    first: int
    last: int
    factor: float
    divert: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.first < self.last:
            raise ParameterError(
                f"the surge window must start before it ends (intervals {self.first}..{self.last})"
            )
        check_non_negative("factor", self.factor)
        check_fraction("divert", self.divert)


def _window_metrics(
    res: SimResult, digital: SimResult | None, t0: float, t1: float
) -> dict[str, float]:
    inside = (res.arrived >= t0) & (res.arrived < t1)
    out: dict[str, float] = {}
    for ch in ("999", "101"):
        sel = inside & (res.channel == ch)
        ans = ~np.isnan(res.answered[sel])
        wait = (res.answered[sel] - res.arrived[sel])[ans]
        n = int(sel.sum())
        out[f"calls_{ch}"] = n
        out[f"pct_{ch}_not_answered"] = 100.0 * (n - ans.sum()) / n if n else 0.0
        out[f"pct_{ch}_answered_within_10s"] = (
            100.0 * float((wait < 10).mean()) if ans.any() else 100.0
        )
        out[f"avg_{ch}_queue_s"] = float(wait.mean()) if ans.any() else 0.0
    if digital is None or len(digital) == 0:
        out.update(digital_contacts=0, digital_backlog_end=0, digital_backlog_max=0)
        out["digital_avg_wait_s"] = 0.0
        return out
    arr, start = digital.arrived, np.nan_to_num(digital.answered, nan=np.inf)
    times = np.concatenate([arr[(arr >= t0) & (arr < t1)], [t1]])
    received = np.searchsorted(np.sort(arr), times, side="right")
    started = np.searchsorted(np.sort(start), times, side="right")
    backlog = received - started
    out["digital_contacts"] = int(((arr >= t0) & (arr < t1)).sum())
    out["digital_backlog_end"] = int(backlog[-1])
    out["digital_backlog_max"] = int(backlog.max())
    out["digital_avg_wait_s"] = (
        float(np.mean(start - arr)) if np.isfinite(start).all() else math.inf
    )
    return out


def surge(
    calls_per_hour: dict[str, Any],
    agents: Any,
    service: dict[str, Dist],
    patience: dict[str, Dist],
    spec: SurgeSpec,
    *,
    digital_handling: Dist | None = None,
    digital_staff: Any = 1,
    interval_minutes: int = 60,
    replications: int = 10,
    seed: int = 0,
    redial: float = 0.0,
    redial_delay_s: float = 300.0,
    recovery_intervals: int = 0,
    hourly: list[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Normal day, surge, and surge with diversion side by side, over the surge window.

    Returns one row per scenario with the mean over ``replications`` runs and a 95%
    half-width (``<measure>_ci``) for each measure: 101 % not answered, 999 % answered
    within 10 s, 999 % not answered, average queues, and digital contacts and backlog
    (contacts received and not yet picked up, at the end of the window and at its worst).

    Parameters
    ----------
    calls_per_hour
        ``{"999": [...], "101": [...]}`` per interval, before the surge.
    agents
        The shared pool per interval (or one for all); 999 is always answered first.
    service, patience
        Per channel (:class:`~forcestat.demand.simulate.Dist`).
    spec
        The surge window, the 999 multiplier and the share of 101 sent to digital.
    digital_handling, digital_staff
        Handling time of one digital contact and the digital desk's staff.
    interval_minutes, replications, seed
        Interval length; simulated days per scenario; seed of the first day. Scenarios use
        common random numbers (the same seeds), so their differences are sharper than the
        half-widths suggest.
    redial, redial_delay_s
        A share of callers who abandon call back, after an exponential delay with this
        mean: their calls are added to the following intervals' arrivals (two rounds of a
        fixed point: the redials' own abandonments redial too).
    recovery_intervals
        Also report the intervals after the window (``after_`` columns): how long the
        queue the surge built takes to clear.
    hourly
        If a list is given, one frame per scenario is appended: per interval, the mean over
        replications of 999 % answered within 10 s and 101 % not answered (for charts).

    Returns
    -------
    pandas.DataFrame
        One row per scenario ("normal", "surge", and with diversion when ``spec.divert``).
    """
    if replications < 2:
        raise ParameterError(f"replications must be at least 2 (got {replications})")
    r999 = check_non_negative("calls_per_hour['999']", calls_per_hour["999"])
    r101 = check_non_negative("calls_per_hour['101']", calls_per_hour["101"])
    if spec.last > max(r999.size, r101.size):
        raise ParameterError(
            f"the surge window ends at interval {spec.last}, after the last interval"
        )
    handling = digital_handling or Dist.exponential(600.0)
    window = np.zeros(max(r999.size, r101.size), bool)
    window[spec.first : spec.last] = True
    scenarios = {"normal": (1.0, 0.0), "surge": (spec.factor, 0.0)}
    if spec.divert > 0:
        scenarios[f"surge, {100 * spec.divert:g}% of 101 to digital"] = (spec.factor, spec.divert)
    check_fraction("redial", redial)
    check_positive("redial_delay_s", redial_delay_s)
    t0, t1 = spec.first * interval_minutes * 60.0, spec.last * interval_minutes * 60.0
    t2 = t1 + recovery_intervals * interval_minutes * 60.0
    rows = []
    for name, (factor, divert) in scenarios.items():
        runs, series = [], []
        for rep in range(replications):
            s = seed + 1000 * rep
            base = {
                "999": np.where(window, r999 * factor, r999),
                "101": np.where(window, r101 * (1 - divert), r101),
            }
            rates = base
            for _ in range(3 if redial > 0 else 1):
                res = simulate_shared_pool(
                    rates, agents, service, patience, interval_minutes=interval_minutes, seed=s
                )
                if redial > 0:
                    rates = {
                        ch: base[ch]
                        + _redial_rates(res, ch, redial, redial_delay_s, base[ch].size,
                                        interval_minutes)
                        for ch in base
                    }  # fmt: skip
            digital = None
            if divert > 0:
                digital = simulate_pool(
                    np.where(window, r101 * divert, 0.0), digital_staff, handling, Dist.never(),
                    interval_minutes=interval_minutes, seed=s + 7, channel="digital",
                )  # fmt: skip
            m = _window_metrics(res, digital, t0, t1)
            if recovery_intervals > 0:
                after = _window_metrics(res, None, t1, t2)
                for k in ("pct_999_answered_within_10s", "pct_101_not_answered",
                          "avg_101_queue_s"):  # fmt: skip
                    m[f"after_{k}"] = after[k]
            runs.append(m)
            if hourly is not None:
                series.append(_per_interval(res, base["999"].size, interval_minutes))
        rows.append(_mean_ci(name, pd.DataFrame(runs)))
        if hourly is not None:
            h = pd.concat(series).groupby(level=0).mean()
            hourly.append(h.assign(scenario=name).reset_index(names="interval"))
    return pd.DataFrame(rows)


def _redial_rates(
    res: SimResult, channel: str, share: float, delay_s: float, n: int, interval_minutes: int
) -> np.ndarray:
    """Expected redials per interval (calls per hour): each abandonment at time a comes
    back with probability ``share`` at a + Exp(delay_s), spread over the intervals."""
    lost = (res.channel == channel) & np.isnan(res.answered)
    gave_up = res.ended[lost]
    width = interval_minutes * 60.0
    edges = np.arange(n + 1) * width
    # P(a redial falls in [edge_k, edge_k+1)) for an exponential delay after each a
    cdf = 1 - np.exp(-np.clip(edges[None, :] - gave_up[:, None], 0, None) / delay_s)
    out = share * np.diff(cdf, axis=1).sum(axis=0)
    return out * 3600.0 / width


def _per_interval(res: SimResult, n: int, interval_minutes: int) -> pd.DataFrame:
    width = interval_minutes * 60.0
    idx = np.minimum((res.arrived // width).astype(int), n - 1)
    d = pd.DataFrame(
        {
            "i": idx,
            "ch": res.channel,
            "lost": np.isnan(res.answered),
            "fast": (res.answered - res.arrived) < 10,
        }
    )
    d999 = d[(d["ch"] == "999") & ~d["lost"]]
    fast = d999.groupby("i")["fast"].mean()
    g101 = d[d["ch"] == "101"].groupby("i")
    return pd.DataFrame(
        {
            "pct_999_answered_within_10s": 100 * fast.reindex(range(n)),
            "pct_101_not_answered": 100 * g101["lost"].mean().reindex(range(n)),
        }
    )


def _mean_ci(name: str, runs: pd.DataFrame) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": name}
    for c in runs.columns:
        m = float(runs[c].mean())
        row[c] = m
        row[f"{c}_ci"] = float(1.96 * runs[c].std(ddof=1) / math.sqrt(len(runs)))
    return row


def surge_day(
    est: dict[str, DemandEstimate],
    day: str,
    start_hour: int,
    hours: int,
    factor: float,
    divert: float = 0.0,
    *,
    agents: Any | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """A surge starting on one day of the estimated week (``day`` "Mon".."Sun", hourly
    estimates). The simulated span is that day and the next, so a window may cross
    midnight (a Friday 22:00 surge of 4 hours runs into Saturday) and the recovery after
    it is seen.

    ``agents`` is the pool per hour of the two days (48 values; e.g. the ``staffing``
    records of a real date, :func:`roster_agents`) or one number. By default it is what
    meets both channels' targets on a normal day (the sum of each channel's Erlang A
    requirement), an ideal plan: real rosters are usually thinner."""
    if day not in DAYS:
        raise ParameterError(f"day must be one of Mon..Sun (got {day!r})")
    nxt = DAYS[(DAYS.index(day) + 1) % 7]
    rates = {}
    for ch in ("999", "101"):
        r = est[ch].rates
        if est[ch].interval_minutes != 60:
            raise ParameterError("surge_day needs hourly estimates (interval_minutes=60)")
        rates[ch] = np.concatenate(
            [r.loc[r["day"] == d, "calls_per_hour"].to_numpy(dtype=float) for d in (day, nxt)]
        )
    if not (0 <= start_hour < 24 and 1 <= hours <= 24):
        raise ParameterError(
            f"the surge must start within the day and last 1 to 24 hours "
            f"(start_hour {start_hour}, hours {hours})"
        )
    service = {ch: Dist.lognormal(est[ch].talk.mean_s, est[ch].talk.log_sigma) for ch in rates}
    patience = {ch: _patience_dist(est[ch]) for ch in rates}
    if agents is None:
        agents = sum(
            required_agents(
                rates[ch], est[ch].talk.mean_s, DEFAULT_TARGETS[ch],
                patience_s=_finite(est[ch].patience.mean_s), model="erlang_a",
            )
            for ch in rates
        )  # fmt: skip
    spec = SurgeSpec(start_hour, start_hour + hours, factor, divert)
    return surge(rates, agents, service, patience, spec, **kwargs)


def roster_agents(roster: pd.DataFrame, first_day: str, tz: str = "Europe/London") -> np.ndarray:
    """The pool per hour of a local date and the next (48 values) from ``staffing`` records
    (999 and 101 summed: one pool takes both), time-weighted within the hour."""
    from .backtest import staffing_on_grid

    start = pd.Timestamp(first_day).tz_localize(tz).tz_convert("UTC").tz_localize(None)
    grid = pd.date_range(start, periods=48, freq="60min")
    r = roster[roster["channel"].isin(["999", "101"])] if "channel" in roster else roster
    agents = staffing_on_grid(r, grid, 60)
    if agents.max(initial=0) <= 0:
        raise ParameterError(f"the staffing records have no 999 or 101 agents on {first_day}")
    return agents


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _patience_dist(est: DemandEstimate) -> Dist:
    m = est.patience.mean_s
    return Dist.exponential(m) if math.isfinite(m) else Dist.never()


def chat_operators(
    chats_per_hour: float,
    handling: Dist,
    patience: Dist,
    *,
    target_pct: float = 80.0,
    within_s: float = 60.0,
    concurrency: range | list[int] = range(1, 7),
    slowdown: float | list[float] = 0.25,
    chats_per_run: int = 20_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Operators needed for each concurrency k so that ``target_pct`` of chat requests are
    accepted within ``within_s`` seconds (counted over all requests, so giving up does not
    help), found by bisection on simulated runs with common random numbers.

    Each chat's handling stretches by ``1 + slowdown * (m - 1)`` with m chats open (or by
    ``slowdown[m - 1]`` for a list of factors), so more
    concurrency saves operators with diminishing returns."""
    (rate,) = check_positive("chats_per_hour", chats_per_hour)
    check_percent("target_pct", target_pct)
    if target_pct >= 100:
        raise ParameterError("target_pct must be below 100 for chat (someone always waits)")
    check_non_negative("within_s", within_s)
    hours = max(1, math.ceil(chats_per_run / rate))
    rows = []
    for k in concurrency:

        def run(ops: int, k: int = k) -> SimResult:
            return simulate_chat(
                [rate] * hours, ops, handling, patience,
                concurrency=k, slowdown=slowdown, seed=seed,
            )  # fmt: skip

        def meets(res: SimResult) -> bool:
            wait = res.answered - res.arrived
            return 100.0 * float(np.mean(wait < within_s)) >= target_pct  # NaN counts as late

        hi = max(1, math.ceil(rate * handling.mean / 3600 / k))
        while not meets(run(hi)):
            hi *= 2
        lo = 0
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if meets(run(mid)):
                hi = mid
            else:
                lo = mid
        res = run(hi)
        s = res.summary(within_s=within_s)
        rows.append(
            {
                "concurrency": int(k),
                "operators": hi,
                "pct_accepted_within": s["pct_answered_within"],
                "pct_abandoned": s["pct_not_answered"],
                "avg_wait_s": s["avg_queue_seconds"],
                "avg_handling_s": s["avg_talk_seconds"],
            }
        )
    return pd.DataFrame(rows)
