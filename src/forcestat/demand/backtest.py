"""Out-of-sample back-tests: fit the models on one period, score them on another.

Scoring is per *weekday-hour cell* (Monday 09:00, ...) of the test period: for each cell
with at least ``min_calls`` calls, the absolute error of the predicted share of callers who
abandon and of the predicted mean wait of answered calls. Every model is set beside the
naive baseline (the fit period's observed value in the same cell) and the binomial noise
floor (the mean absolute error a *perfect* model would still show, since a cell's observed
share is a binomial draw around its true probability).

What the models are given about the test period is what a control room knows when it
plans a period: the roster (the ``staffing`` records: agents per interval, real or
inferred with :func:`~forcestat.demand.estimate.infer_staffing`) and the demand (the
period's arrivals per interval, ``arrivals="observed"``, or a forecast from the fit period's
weekday profile, ``arrivals="profile"``). Everything else (talk time, patience, the priority
mix, the headcount's efficiency) comes from the fit period alone.

The models:

* ``erlang_a``: M/M/n+M per dated hour, exponential patience (censored MLE), mean talk time
  by hour of the day, the headcount interpolated between its floor and ceiling;
* ``erlang_a_hazard``: the same with the patience rate set to the estimated hazard near
  zero (Zeltyn & Mandelbaum 2005: with general patience, what matters in a busy hour is the
  density of patience near zero, not its mean);
* ``erlang_a_calibrated``: Erlang A per half-hour with the headcount scaled by an
  efficiency factor fitted on the fit period (the share of "present" agent time that really
  is on calls: agents who are logged on but doing other work, or the proxy's own bias);
* ``simulation``: whole days simulated with rates and staffing varying by interval within
  the hour, lognormal talk time, the Kaplan-Meier patience (non-parametric, with an
  exponential tail), one class first come first served, its own fitted efficiency;
* ``priority_classes`` (only when the fit period's calls carry a ``priority``): the
  non-preemptive priority queue with abandonment, simulated the same way with two classes,
  the highest priority level answered before the rest (FCFS within a class), each with its
  own arrivals, lognormal talk time and Kaplan-Meier patience, its own fitted efficiency.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import ParameterError
from ..periods import parse_period
from . import erlang
from .estimate import kaplan_meier, waits

DEFAULT_MIN_CALLS = 30
MODELS = ("erlang_a", "erlang_a_hazard", "erlang_a_calibrated", "simulation", "priority_classes")
#: models scored only when the fit period's records carry what they need
NEEDS_PRIORITY = ("priority_classes",)
#: fewest calls of each class in the fit period for the priority model to be fitted
MIN_CLASS_CALLS = 50
_DAY_RANGE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*$")


# --------------------------------------------------------------------------- periods
@dataclass(frozen=True)
class Span:
    """A span of whole local days ``[start, end)`` as naive-UTC instants."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp


def parse_span(text: str, tz: str) -> Span:
    """A back-test period: days (``1999-02-01..1999-02-14``, both ends included) or any
    forcestat period (``1999-02``, ``2022-08..2022-10``), read as local days in ``tz``."""
    m = _DAY_RANGE.match(text)
    if m:
        try:
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError as e:
            raise ParameterError(f"period {text!r}: {e}") from None
        if last < first:
            raise ParameterError(f"period {text!r} ends before it starts")
        start, end = first, last + timedelta(days=1)
    else:
        p = parse_period(text)
        start, end = p.start, p.end

    def utc(d: date) -> pd.Timestamp:
        return pd.Timestamp(d).tz_localize(tz).tz_convert("UTC").tz_localize(None)

    return Span(text.strip(), utc(start), utc(end))


def _within(calls: pd.DataFrame, span: Span) -> pd.DataFrame:
    t = pd.to_datetime(calls["arrived_at"])
    return calls[(t >= span.start) & (t < span.end)]


# --------------------------------------------------------------------------- cells
def _cells(calls: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Per call: weekday-hour cell, whether it abandoned and its wait if answered."""
    local = (
        pd.to_datetime(calls["arrived_at"]).dt.tz_localize("UTC").dt.tz_convert(tz)
    ).dt.tz_localize(None)
    w, abandoned = waits(calls)
    return pd.DataFrame(
        {
            "weekday": local.dt.day_of_week.to_numpy(),
            "hour": local.dt.hour.to_numpy(),
            "abandoned": abandoned.astype(float),
            "wait": np.where(abandoned, np.nan, w),
        }
    )


def observed_cells(calls: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Calls, abandonment share and mean wait of answered calls per weekday-hour cell."""
    c = _cells(calls, tz)
    g = c.groupby(["weekday", "hour"])
    return pd.DataFrame(
        {"calls": g.size(), "abandonment": g["abandoned"].mean(), "wait_s": g["wait"].mean()}
    )


def binomial_noise_floor(p: np.ndarray, n: np.ndarray) -> float:
    """Mean over cells of E|X/n - p|, X ~ Binomial(n, p): the abandonment MAE a model that
    knew every cell's true probability would still score."""
    out = []
    for pi, ni in zip(p, n, strict=True):
        k = np.arange(int(ni) + 1)
        out.append(float((stats.binom.pmf(k, int(ni), pi) * np.abs(k / ni - pi)).sum()))
    return float(np.mean(out)) if out else math.nan


# --------------------------------------------------------------------------- fit
@dataclass
class Fitted:
    """What the models take from the fit period."""

    talk_by_hour: pd.Series
    talk_mean_s: float
    talk_log_sigma: float
    patience_mean_s: float
    hazard_near_zero: float
    patience_sample: np.ndarray
    priority_share: float | None
    efficiency: float = 1.0
    #: (high, rest): each class's own fit, where the records carry two priority classes
    classes: tuple[Fitted, Fitted] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _talk(calls: pd.DataFrame) -> pd.Series:
    ans = calls["answered_at"].notna()
    return (
        (pd.to_datetime(calls["ended_at"]) - pd.to_datetime(calls["answered_at"]))
        .dt.total_seconds()
        .where(ans)
    )


def fit_period(calls: pd.DataFrame, tz: str, *, by_class: bool = True) -> Fitted:
    """Talk time (overall lognormal and mean by hour of day), patience (exponential MLE,
    hazard near zero, Kaplan-Meier sample) and the high-priority share, from the fit
    period; with ``by_class`` the same for each priority class apart, where the calls carry
    two classes with enough calls each (:func:`priority_classes`)."""
    if calls["answered_at"].notna().sum() < 2:
        raise ParameterError("the fit period needs at least two answered calls")
    talk = _talk(calls)
    pos = talk[talk > 0]
    logs = np.log(pos.to_numpy(dtype=float))
    hour = pd.to_datetime(calls["arrived_at"]).dt.tz_localize("UTC").dt.tz_convert(tz).dt.hour
    by_hour = pos.groupby(hour[talk > 0]).agg(["mean", "size"])
    talk_mean = float(pos.mean())
    # an hour with few answered calls borrows strength from the overall mean
    k = 30.0
    shrunk = (by_hour["mean"] * by_hour["size"] + talk_mean * k) / (by_hour["size"] + k)
    w, ab = waits(calls)
    total = float(w.sum())
    mean_pat = total / ab.sum() if ab.sum() > 0 else math.inf
    classes = None
    high = priority_classes(calls) if by_class else None
    if high is not None:
        classes = (
            fit_period(calls[high], tz, by_class=False),
            fit_period(calls[~high], tz, by_class=False),
        )
    return Fitted(
        talk_by_hour=shrunk,
        talk_mean_s=talk_mean,
        talk_log_sigma=float(logs.std(ddof=1)) if logs.size > 1 else 0.0,
        patience_mean_s=mean_pat,
        hazard_near_zero=_hazard_near_zero(w, ab),
        patience_sample=_km_sample(w, ab, mean_pat),
        priority_share=_priority_share(calls),
        classes=classes,
    )


def priority_classes(calls: pd.DataFrame) -> pd.Series | None:
    """Which calls are of the highest priority level (answered first), or None where the
    calls carry no priority, one level only, or fewer than :data:`MIN_CLASS_CALLS` answered
    calls in either class. Calls without a priority count with the lower class."""
    if "priority" not in calls:
        return None
    p = pd.to_numeric(calls["priority"], errors="coerce")
    if p.notna().sum() == 0 or p.nunique() < 2:
        return None
    high = (p == p.max()).fillna(False).astype(bool)
    answered = calls["answered_at"].notna()
    if min((high & answered).sum(), (~high & answered).sum()) < MIN_CLASS_CALLS:
        return None
    return high


def _hazard_near_zero(w: np.ndarray, ab: np.ndarray) -> float:
    """Abandonment hazard over the first waits: abandonments before tau over the time at
    risk before tau, tau the median wait of those who waited (at least 10 s)."""
    waited = w[w > 0]
    if waited.size == 0 or ab.sum() == 0:
        return 0.0
    tau = max(10.0, float(np.median(waited)))
    events = float((ab & (w <= tau)).sum())
    exposure = float(np.minimum(w, tau).sum())
    return events / exposure if exposure > 0 else 0.0


def _km_sample(w: np.ndarray, ab: np.ndarray, mean_pat: float, size: int = 4000) -> np.ndarray:
    """Patience quantiles from the Kaplan-Meier curve, beyond its last step an exponential
    tail with the censored-MLE rate, as an empirical distribution for the simulator."""
    if ab.sum() == 0 or not math.isfinite(mean_pat):
        return np.full(size, 1e9)
    km = kaplan_meier(w, ab)
    u = (np.arange(size) + 0.5) / size  # P(patience <= q)
    surv = km["survival"].to_numpy()
    times = km["time_s"].to_numpy()
    idx = np.searchsorted(-surv, -(1 - u), side="left")  # first time survival <= 1 - u
    q = np.empty(size)
    inside = idx < surv.size
    q[inside] = times[idx[inside]]
    last_t, last_s = times[-1], surv[-1]
    tail = ~inside
    q[tail] = last_t + mean_pat * np.log(last_s / np.maximum(1 - u[tail], 1e-12))
    return np.maximum(q, 0.0)


def _priority_share(calls: pd.DataFrame) -> float | None:
    """Share of calls at the highest priority level (None without two levels)."""
    if "priority" not in calls:
        return None
    p = pd.to_numeric(calls["priority"], errors="coerce")
    if p.nunique() < 2:
        return None
    return float((p == p.max()).mean())


# --------------------------------------------------------------------------- test inputs
def _grid(span: Span, minutes: int) -> pd.DatetimeIndex:
    return pd.date_range(span.start, span.end, freq=f"{minutes}min", inclusive="left")


def staffing_on_grid(staffing: pd.DataFrame, grid: pd.DatetimeIndex, minutes: int) -> np.ndarray:
    """Agents per grid interval: the staffing records' agents, time-weighted where record
    intervals and grid intervals differ in length (0 where no record covers the time)."""
    if staffing.empty:
        return np.zeros(len(grid))
    s = staffing.assign(interval_start=pd.to_datetime(staffing["interval_start"]))
    s = s.groupby(["interval_start", "interval_minutes"], as_index=False)["agents"].sum()
    # spread every record over 1-minute steps, then average per grid interval
    lo, hi = grid[0], grid[-1] + pd.Timedelta(minutes=minutes)
    minute = np.zeros(int((hi - lo) / pd.Timedelta(minutes=1)))
    for start, length, agents in s.itertuples(index=False):
        a = int((start - lo) / pd.Timedelta(minutes=1))
        b = a + int(length)
        a, b = max(a, 0), min(b, minute.size)
        if a < b:
            minute[a:b] += agents
    return minute.reshape(len(grid), minutes).mean(axis=1)


def arrivals_on_grid(calls: pd.DataFrame, grid: pd.DatetimeIndex, minutes: int) -> np.ndarray:
    t = pd.to_datetime(calls["arrived_at"])
    idx = ((t - grid[0]) / pd.Timedelta(minutes=minutes)).astype(int).to_numpy()
    idx = idx[(idx >= 0) & (idx < len(grid))]
    return np.bincount(idx, minlength=len(grid)).astype(float)


def profile_arrivals(
    fit_calls: pd.DataFrame, fit: Span, grid: pd.DatetimeIndex, minutes: int, tz: str
) -> np.ndarray:
    """Expected arrivals per grid interval from the fit period's weekday-interval means."""
    fgrid = _grid(fit, minutes)
    counts = arrivals_on_grid(fit_calls, fgrid, minutes)
    key = _week_key(fgrid, minutes, tz)
    means = pd.Series(counts).groupby(key).mean()
    return means.reindex(_week_key(grid, minutes, tz)).fillna(0.0).to_numpy()


def _week_key(grid: pd.DatetimeIndex, minutes: int, tz: str) -> np.ndarray:
    local = grid.tz_localize("UTC").tz_convert(tz)
    return ((local.day_of_week * 1440 + local.hour * 60 + local.minute) // minutes).to_numpy()


# --------------------------------------------------------------------------- models
def _erlang_hourly(
    rate_h: np.ndarray, aht: np.ndarray, patience_s: float, agents: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Erlang A abandonment and answered wait with fractional agents interpolated between
    the floor and the ceiling; hours with calls and under one agent count as one."""
    a = np.maximum(agents, np.where(rate_h > 0, 1.0, 0.0))
    lo = np.floor(a)
    frac = a - lo
    pat = patience_s if math.isfinite(patience_s) and patience_s > 0 else 1e9
    m_lo = erlang.erlang_a(rate_h, aht, pat, np.maximum(lo, (rate_h > 0) * 1.0), 10)
    m_hi = erlang.erlang_a(rate_h, aht, pat, lo + 1, 10)
    ab = (1 - frac) * m_lo.p_abandon + frac * m_hi.p_abandon
    wait = (1 - frac) * np.nan_to_num(m_lo.asa_s) + frac * np.nan_to_num(m_hi.asa_s)
    return ab, wait


def _cell_of(grid: pd.DatetimeIndex, tz: str) -> tuple[np.ndarray, np.ndarray]:
    local = grid.tz_localize("UTC").tz_convert(tz)
    return local.day_of_week.to_numpy(), local.hour.to_numpy()


def _erlang_model(
    f: Fitted,
    span: Span,
    arrivals: np.ndarray,
    agents: np.ndarray,
    tz: str,
    theta: float,
    minutes: int = 60,
) -> pd.DataFrame:
    """Erlang A in every interval of the span (stationary within it), summed into cells."""
    grid = _grid(span, minutes)
    wd, hr = _cell_of(grid, tz)
    aht = f.talk_by_hour.reindex(hr).fillna(f.talk_mean_s).to_numpy()
    pat = 1 / theta if theta > 0 else math.inf
    ab, wait = _erlang_hourly(arrivals * 60.0 / minutes, aht, pat, agents * f.efficiency)
    d = pd.DataFrame(
        {
            "weekday": wd,
            "hour": hr,
            "calls": arrivals,
            "ab": ab * arrivals,
            "ans": (1 - ab) * arrivals,
        }
    )
    d["wsum"] = wait * d["ans"]
    g = d.groupby(["weekday", "hour"])[["calls", "ab", "ans", "wsum"]].sum()
    return pd.DataFrame(
        {"abandonment": g["ab"] / g["calls"], "wait_s": g["wsum"] / g["ans"]}
    ).replace([np.inf], np.nan)


def _simulate_cells(
    f: Fitted,
    span: Span,
    arrivals: np.ndarray,
    agents: np.ndarray,
    minutes: int,
    tz: str,
    *,
    efficiency: float,
    replications: int,
    seed: int,
    by_class: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Simulated days per weekday-hour cell: one class FCFS, or with ``by_class`` (the high
    and the other class's arrivals per interval, with ``f.classes``) two classes on one pool,
    the high class answered first."""
    from .simulate import Dist, simulate_pool, simulate_shared_pool

    staff = np.maximum(np.round(agents * efficiency), 0)
    if staff.max(initial=0) < 1:
        staff = np.ones_like(staff)
    start = span.start.to_pydatetime()
    per_hour = 60.0 / minutes

    def dists(ff: Fitted) -> tuple[Any, Any]:
        return Dist.lognormal(ff.talk_mean_s, ff.talk_log_sigma), Dist.empirical(ff.patience_sample)

    frames = []
    for r in range(replications):
        if by_class is not None and f.classes is not None:
            (sh, ph), (sr, pr) = dists(f.classes[0]), dists(f.classes[1])
            # class "999" is the one answered first in the shared-pool simulator
            res = simulate_shared_pool(
                {"999": by_class[0] * per_hour, "101": by_class[1] * per_hour},
                staff, {"999": sh, "101": sr}, {"999": ph, "101": pr},
                interval_minutes=minutes, seed=seed + r, start=start,
            )  # fmt: skip
        else:
            service, patience = dists(f)
            res = simulate_pool(
                arrivals * per_hour, staff, service, patience,
                interval_minutes=minutes, seed=seed + r, start=start,
            )  # fmt: skip
        frames.append(res.to_calls())
    sim = pd.concat(frames, ignore_index=True)
    sim = sim[pd.to_datetime(sim["arrived_at"]) < span.end]
    return observed_cells(sim, tz)[["abandonment", "wait_s"]]


def _cells_overall(pred: pd.DataFrame, obs: pd.DataFrame) -> float:
    j = obs[["calls"]].join(pred[["abandonment"]].add_suffix("_pred"), how="inner")
    return float((j["abandonment_pred"] * j["calls"]).sum() / j["calls"].sum())


# --------------------------------------------------------------------------- back-test
@dataclass(frozen=True)
class BacktestResult:
    """Per-cell predictions and the scores (the ``--json`` contract via :meth:`as_dict`)."""

    fit: str
    test: str
    cells: pd.DataFrame
    scores: pd.DataFrame
    baseline: dict[str, Any]
    noise_floor: float
    fitted: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "models": self.scores.to_dict(orient="records"),
            "baseline": self.baseline,
            "noise_floor": self.noise_floor,
        }


def _with_workload(f: Fitted, w: Fitted) -> Fitted:
    """The fit period's patience and efficiency with another period's workload (talk time
    and priority mix; each class's talk time where both periods have the classes)."""
    classes = f.classes
    if f.classes is not None and w.classes is not None:
        classes = (
            _with_workload(f.classes[0], w.classes[0]),
            _with_workload(f.classes[1], w.classes[1]),
        )
    return replace(
        f, talk_by_hour=w.talk_by_hour, talk_mean_s=w.talk_mean_s,
        talk_log_sigma=w.talk_log_sigma, priority_share=w.priority_share, classes=classes,
    )  # fmt: skip


def fit_efficiency(
    f: Fitted,
    calls: pd.DataFrame,
    span: Span,
    staffing: pd.DataFrame,
    tz: str,
    predict: Any,
) -> float:
    """The headcount efficiency: the factor on the recorded agents with which ``predict``
    (a model of the span) reproduces the span's overall abandonment.

    The headcount proxy counts an agent as present between calls less than a break apart;
    some of that time is not on the phones (wrap-up, other work), and the bank serves its
    priority customers first. One number for all of that, estimated on the fit period
    alone and carried to the test period unchanged, is the calibration; a factor near 1
    means the proxy is the real headcount. Searched in [0.3, 1.5]; abandonment falls as the
    factor grows."""
    _, ab = waits(calls)
    target = float(ab.mean())
    obs = observed_cells(calls, tz)

    def gap(k: float) -> float:
        return _cells_overall(predict(replace(f, efficiency=k)), obs) - target

    lo, hi = 0.3, 1.5
    if gap(lo) <= 0:
        return lo
    if gap(hi) >= 0:
        return hi
    return float(optimize.brentq(gap, lo, hi, xtol=0.005))


def backtest_cells(
    calls: pd.DataFrame,
    staffing: pd.DataFrame,
    fit: str,
    test: str,
    *,
    tz: str = "Europe/London",
    models: tuple[str, ...] | None = None,
    demand: str = "observed",
    min_calls: int = DEFAULT_MIN_CALLS,
    replications: int = 4,
    seed: int = 0,
) -> BacktestResult:
    """Fit on ``fit``, predict ``test`` per weekday-hour cell, score against what happened.

    Parameters
    ----------
    calls
        One channel's calls (``calls`` schema; an optional ``priority`` column, higher
        served first).
    staffing
        The channel's ``staffing`` records (the roster of both periods).
    fit, test
        Periods (:func:`parse_span`): days ``1999-02-01..1999-02-14`` or months.
    tz
        The zone the periods' days and the weekday-hour cells are read in.
    models
        Which of :data:`MODELS` to score; by default all that the records allow
        (``priority_classes`` only where the fit period's calls carry two priority
        classes). A model named here that the records do not allow is an error.
    demand
        ``"observed"``: the test period's workload as it came (arrivals per interval, talk
        time by hour, priority mix), so the score is the queue model's alone: the service
        the roster gives the demand that came. ``"profile"``: the fit period's weekday
        profile and talk time, so forecast error is scored too.
    min_calls
        Cells with fewer test calls are not scored.
    replications, seed
        The simulation's replications and random seed.

    Returns
    -------
    BacktestResult
    """
    chosen = models is not None
    models = tuple(models) if models is not None else MODELS
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ParameterError(f"unknown model {unknown[0]!r} (choose from {', '.join(MODELS)})")
    if demand not in ("observed", "profile"):
        raise ParameterError(f"demand must be 'observed' or 'profile' (got {demand!r})")
    fs, ts = parse_span(fit, tz), parse_span(test, tz)
    fit_calls, test_calls = _within(calls, fs), _within(calls, ts)
    if fit_calls.empty:
        raise ParameterError(f"no calls in the fit period {fit}")
    if test_calls.empty:
        raise ParameterError(f"no calls in the test period {test}")
    f = fit_period(fit_calls, tz)
    if f.classes is None and any(m in NEEDS_PRIORITY for m in models):
        if chosen:
            raise ParameterError(
                f"priority_classes needs calls with a priority of two levels in the fit period "
                f"{fit}, each with {MIN_CLASS_CALLS} or more answered calls"
            )
        models = tuple(m for m in models if m not in NEEDS_PRIORITY)
    obs = observed_cells(test_calls, tz)
    base = observed_cells(fit_calls, tz)
    scored = obs[obs["calls"] >= min_calls]
    if scored.empty:
        raise ParameterError(f"no weekday-hour cell of {test} has {min_calls} or more calls")
    if staffing_on_grid(staffing, _grid(ts, 60), 60).max(initial=0) <= 0:
        raise ParameterError(f"the staffing records have no agents in the test period {test}")
    workload = fit_period(test_calls, tz) if demand == "observed" else f

    def arrivals(minutes: int, part: pd.Series | None = None) -> np.ndarray:
        """The test period's arrivals per interval (of the calls ``part`` of the test or fit
        calls selects, by the ``part`` of the calls it indexes)."""
        grid = _grid(ts, minutes)
        if demand == "observed":
            cl = test_calls if part is None else test_calls[part.reindex(test_calls.index)]
            return arrivals_on_grid(cl, grid, minutes)
        cl = fit_calls if part is None else fit_calls[part.reindex(fit_calls.index)]
        return profile_arrivals(cl, fs, grid, minutes, tz)

    # the high class: the fit period's highest priority level, in either period
    high = pd.Series(False, index=calls.index)
    if f.classes is not None:
        level = pd.to_numeric(fit_calls["priority"], errors="coerce").max()
        high = (pd.to_numeric(calls["priority"], errors="coerce") == level).fillna(False)

    def erlang_on(span: Span, cl: pd.DataFrame | None, minutes: int, theta: float) -> Any:
        grid = _grid(span, minutes)
        a = arrivals(minutes) if cl is None else arrivals_on_grid(cl, grid, minutes)
        s = staffing_on_grid(staffing, grid, minutes)
        return lambda ff: _erlang_model(ff, span, a, s, tz, theta, minutes)

    def sim_on(span: Span, cl: pd.DataFrame | None, reps: int, classes: bool = False) -> Any:
        m = 15
        grid = _grid(span, m)
        a = arrivals(m) if cl is None else arrivals_on_grid(cl, grid, m)
        s = staffing_on_grid(staffing, grid, m)
        split = None
        if classes:
            h = high.astype(bool)
            if cl is None:
                split = (arrivals(m, h), arrivals(m, ~h))
            else:
                hc = h.reindex(cl.index).astype(bool)
                split = (arrivals_on_grid(cl[hc], grid, m), arrivals_on_grid(cl[~hc], grid, m))
        return lambda ff: _simulate_cells(
            ff, span, a, s, m, tz, efficiency=ff.efficiency, replications=reps, seed=seed,
            by_class=split,
        )  # fmt: skip

    theta_exp = 1 / f.patience_mean_s if math.isfinite(f.patience_mean_s) else 0.0
    preds: dict[str, pd.DataFrame] = {}
    fitted: dict[str, Any] = {
        "patience_mean_s": f.patience_mean_s,
        "hazard_near_zero_per_s": f.hazard_near_zero,
        "talk_mean_s": f.talk_mean_s,
        "priority_share": f.priority_share,
    }
    for name in models:
        if name == "erlang_a":
            preds[name] = erlang_on(ts, None, 60, theta_exp)(_with_workload(f, workload))
        elif name == "erlang_a_hazard":
            preds[name] = erlang_on(ts, None, 60, f.hazard_near_zero)(_with_workload(f, workload))
        elif name == "erlang_a_calibrated":
            k = fit_efficiency(
                f, fit_calls, fs, staffing, tz, erlang_on(fs, fit_calls, 30, theta_exp)
            )
            fitted["efficiency_erlang_a"] = k
            ff = replace(_with_workload(f, workload), efficiency=k)
            preds[name] = erlang_on(ts, None, 30, theta_exp)(ff)
        else:
            pc = name == "priority_classes"
            k = fit_efficiency(f, fit_calls, fs, staffing, tz, sim_on(fs, fit_calls, 1, pc))
            fitted[f"efficiency_{name}"] = k
            ff = replace(_with_workload(f, workload), efficiency=k)
            preds[name] = sim_on(ts, None, replications, pc)(ff)
    cells = scored.rename(columns={"abandonment": "obs_abandonment", "wait_s": "obs_wait_s"})
    cells = cells.join(base[["abandonment", "wait_s"]].add_prefix("baseline_"), how="left")
    overall_ab = float(waits(fit_calls)[1].mean())
    cells["baseline_abandonment"] = cells["baseline_abandonment"].fillna(overall_ab)
    for name, p in preds.items():
        cells = cells.join(p.add_prefix(f"{name}_"), how="left")
    scores = pd.DataFrame([_score(cells, name, name) for name in preds])
    baseline = _score(cells, "baseline", None)
    baseline.pop("model")
    floor = binomial_noise_floor(cells["obs_abandonment"].to_numpy(), cells["calls"].to_numpy())
    return BacktestResult(fit, test, cells.reset_index(), scores, baseline, floor, fitted)


def _score(cells: pd.DataFrame, prefix: str, model: str | None) -> dict[str, Any]:
    ab = (cells[f"{prefix}_abandonment"] - cells["obs_abandonment"]).abs()
    wait = (cells[f"{prefix}_wait_s"] - cells["obs_wait_s"]).abs()
    # a cell the model or baseline has no value for scores as the worst case it could be
    out: dict[str, Any] = {"model": model}
    out["abandonment_mae"] = float(ab.mean())
    out["wait_mae_s"] = float(wait.mean()) if wait.notna().any() else None
    out["cells"] = int(len(cells))
    return out


# --------------------------------------------------------------------------- store
def load_backtest_inputs(
    store: Any, channel: str | None, fit: str, test: str, tz: str
) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """One channel's calls over the two periods and its staffing records from a store.

    With ``channel`` None the store's calls in the periods must be of one channel. Where
    the store has no staffing records for the periods, they are inferred from the calls
    (:func:`~forcestat.demand.estimate.infer_staffing`, 15 minutes; the frame's
    ``attrs["inferred"]`` is then True), so the back-test runs on record-only data."""
    spans = [parse_span(fit, tz), parse_span(test, tz)]
    lo, hi = min(s.start for s in spans), max(s.end for s in spans)
    if channel is None:
        found = [
            r[0]
            for r in store.duck.execute(
                "SELECT DISTINCT channel FROM calls WHERE arrived_at >= ? AND arrived_at < ? "
                "ORDER BY 1",
                [lo.to_pydatetime(), hi.to_pydatetime()],
            ).fetchall()
        ]
        if not found:
            raise ParameterError(f"the store has no calls in {fit} or {test}")
        if len(found) > 1:
            raise ParameterError(
                f"the store has calls on {' and '.join(found)} in these periods: "
                "choose one with --channel"
            )
        channel = found[0]
    cols = {r[0] for r in store.duck.execute("DESCRIBE calls").fetchall()}
    extra = ", priority" if "priority" in cols else ""
    calls = store.duck.execute(
        "SELECT call_id, channel, arrived_at, answered_at, ended_at, agent_id"
        f"{extra} FROM calls WHERE channel = ? AND arrived_at >= ? AND arrived_at < ? "
        "ORDER BY arrived_at",
        [channel, lo.to_pydatetime(), hi.to_pydatetime()],
    ).df()
    staffing = store.duck.execute(
        "SELECT interval_start, interval_minutes, channel, agents FROM staffing "
        "WHERE channel = ? AND interval_start >= ? AND interval_start < ? "
        "ORDER BY interval_start",
        [channel, (lo - pd.Timedelta(days=1)).to_pydatetime(), hi.to_pydatetime()],
    ).df()
    if staffing.empty:
        # record-only data: the headcount proxy stands in for the roster (and says so)
        from .estimate import infer_staffing

        if calls["agent_id"].notna().sum() == 0:
            raise ParameterError(
                f"the staffing table has no {channel} rows for these periods and no call "
                "names its agent to infer them from"
            )
        staffing = infer_staffing(calls, 15)
        staffing.attrs["inferred"] = True
    return channel, calls, staffing
