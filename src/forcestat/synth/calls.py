"""999 and 101 calls, and the staffing that answered them, one channel-month at a time.

For each month: arrivals are a non-homogeneous Poisson process (hour-of-day and day-of-week
profile, day-to-day variation); talk times are lognormal; a roster following the forecast load
staffs an Erlang-A queue (FCFS, impatient callers) whose staffing level and caller patience are
calibrated so that its abandonment and mean answered wait land on the month's figures. The
simulated outcome is then made exact: the callers furthest past their patience are the ones
not answered (so abandonment stays where the queues were long), and the month's answered waits
and talk times are scaled to the target means without changing their shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from . import queue
from .plan import MonthPlan
from .profiles import (
    DISTRICT_WEIGHTS,
    DISTRICTS,
    INTERVAL_US,
    US,
    interval_grid,
    interval_weights,
    month_bounds_us,
    pick,
    rng_for,
)
from .writer import dictionary, ids, ts

TALK_SIGMA = {"999": 0.55, "101": 0.65}
MIN_AGENTS = {"999": 1, "101": 1}


@dataclass
class MonthCalls:
    """One channel-month of generated calls and its staffing, as Arrow-ready columns."""

    calls: dict[str, pa.Array | np.ndarray]
    staffing: dict[str, pa.Array | np.ndarray]
    n: int


def generate_month(seed: int, ch: str, plan: MonthPlan, scale: float) -> MonthCalls:
    """Calls of channel ``ch`` for one planned month."""
    rng = rng_for(seed, "calls", ch, plan.month)
    n = int(plan.received or 0)
    na = int(plan.not_answered or 0)
    assert plan.queue is not None and plan.talk is not None
    setup, agents_names = _setup(rng, ch, plan.month, n, plan.talk, scale)
    factor, patience_mean = queue.calibrate(setup, na / max(n, 1), plan.queue)
    (wait, handler), patience = queue.run(setup, factor, patience_mean)
    agents = queue.staffing(setup, factor)

    abandoned = _abandoners(patience, wait, na)
    answered = ~abandoned
    # a caller the simulation lost but the figures need answered takes any handler on duty
    orphan = answered & (handler < 0)
    if orphan.any():
        on_duty = agents[setup.interval[orphan]]
        handler[orphan] = (rng.random(int(orphan.sum())) * on_duty).astype(np.int32)

    q = _scaled_to_mean(rng, wait[answered], plan.queue)
    talk = _scaled_to_mean(rng, setup.service[answered], plan.talk)
    arrived = setup.arrivals
    answered_at = np.zeros(n, dtype=np.int64)
    answered_at[answered] = arrived[answered] + q
    ended = np.empty(n, dtype=np.int64)
    ended[answered] = answered_at[answered] + talk
    gave_up = np.minimum(patience[abandoned], wait[abandoned])
    gave_up = np.maximum(gave_up, (rng.random(int(abandoned.sum())) * 5 * US).astype(np.int64) + US)
    ended[abandoned] = arrived[abandoned] + gave_up

    n_handlers = len(agents_names)
    cmax = n_handlers // setup.n_pods
    agent_code = setup.pod.astype(np.int64) * cmax + np.clip(handler, 0, cmax - 1)
    calls = {
        "call_id": ids(f"{ch}-{plan.month:%Y%m}-", 1, n),
        "channel": dictionary(np.zeros(n, np.int32), (ch,)),
        "arrived_at": ts(arrived),
        "answered_at": ts(answered_at, answered),
        "ended_at": ts(ended),
        "district": dictionary(pick(rng, n, DISTRICT_WEIGHTS), DISTRICTS),
        "agent_id": dictionary(agent_code, agents_names, answered),
    }
    starts = month_bounds_us(plan.month)[0] + INTERVAL_US * np.arange(len(agents), dtype=np.int64)
    staffing = {
        "interval_start": ts(starts),
        "interval_minutes": np.full(len(agents), 15, dtype=np.int64),
        "channel": dictionary(np.zeros(len(agents), np.int32), (ch,)),
        "agents": (agents * setup.n_pods).astype(np.float64),
    }
    return MonthCalls(calls, staffing, n)


def _setup(
    rng: np.random.Generator, ch: str, m: date, n: int, mean_talk: float, scale: float
) -> tuple[queue.QueueSetup, tuple[str, ...]]:
    starts, hours, dows = interval_grid(m)
    p = interval_weights(rng, hours, dows, ch, noise=0.08)
    counts = rng.multinomial(n, p)
    arrivals = np.repeat(starts, counts) + rng.integers(0, INTERVAL_US, n, dtype=np.int64)
    arrivals.sort()
    interval = (arrivals - starts[0]) // INTERVAL_US
    service = _lognormal_us(rng, n, mean_talk, TALK_SIGMA[ch])
    n_pods = max(1, round(scale))
    pod = rng.integers(0, n_pods, n).astype(np.int32)
    # the roster is planned on the forecast (profile without the day's own variation)
    forecast = interval_weights(rng, hours, dows, ch, noise=0.0) * n / n_pods
    load = queue.hour_smoothed_load(forecast, mean_talk)
    hour_noise = np.repeat(rng.lognormal(0.0, 0.12, len(starts) // 4 + 1), 4)[: len(starts)]
    setup = queue.QueueSetup(
        arrivals=arrivals,
        service=service,
        unit_patience=rng.exponential(1.0, n),
        pod=pod,
        interval=interval,
        hourly_load=load,
        roster_noise=hour_noise,
        rounding=np.repeat(rng.random(len(starts) // 4 + 1), 4)[: len(starts)],
        n_pods=n_pods,
        min_agents=MIN_AGENTS[ch],
    )
    cmax = int(queue.staffing(setup, 6.0).max()) + 1
    names = tuple(f"H{ch}-{p:03d}-{j:03d}" for p in range(n_pods) for j in range(cmax))
    return setup, names


def _lognormal_us(rng: np.random.Generator, n: int, mean_s: float, sigma: float) -> np.ndarray:
    mu = np.log(mean_s) - sigma**2 / 2
    return (rng.lognormal(mu, sigma, n) * US).astype(np.int64)


def _abandoners(patience: np.ndarray, wait: np.ndarray, count: int) -> np.ndarray:
    """Exactly ``count`` callers who hang up: those whose wait most exceeds their patience."""
    out = np.zeros(len(wait), dtype=bool)
    if count <= 0:
        return out
    margin = patience - wait
    out[np.argsort(margin, kind="stable")[:count]] = True
    return out


def _scaled_to_mean(rng: np.random.Generator, values_us: np.ndarray, mean_s: float) -> np.ndarray:
    """``values_us`` scaled so their mean is ``mean_s`` seconds to the microsecond."""
    n = len(values_us)
    if n == 0:
        return values_us
    v = values_us.astype(np.float64)
    if v.sum() <= 0:
        v = rng.exponential(1.0, n)
    v *= mean_s * US / v.mean()
    out = np.floor(v).astype(np.int64)
    # hand out the rounding remainder one microsecond at a time
    short = int(round(mean_s * US * n)) - int(out.sum())
    if short > 0:
        out[np.argsort(out - v, kind="stable")[:short]] += 1
    return out


#: The call measures a generated channel-month answers for.
MEASURE_PARTS = (
    "received",
    "answered",
    "not_answered",
    "pct_not_answered",
    "avg_queue_seconds",
    "avg_talk_seconds",
)
