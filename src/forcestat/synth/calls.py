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
from numba import njit

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
#: typical seconds from a free handler's phone ringing to the call being answered
RING_S = 3.0


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
    # the simulation supplies the wait for a handler; the ring on top brings it to the target
    factor, patience_mean = queue.calibrate(setup, na / max(n, 1), max(plan.queue - RING_S, 0.5))
    (wait, handler), patience = queue.run(setup, factor, patience_mean)
    agents = queue.staffing(setup, factor)

    abandoned = _abandoners(patience, wait, na)
    answered = ~abandoned
    n_ans = n - na
    # even a call a handler is free for rings a few seconds before it is picked up
    wait[answered] += (rng.lognormal(np.log(RING_S), 0.45, n_ans) * US).astype(np.int64)
    # scale answered waits and talk so their means are the targets to the microsecond
    q_sum = float(wait[answered].sum()) if n_ans else 0.0
    if n_ans and q_sum <= 0:  # nobody waited: draw short waits to scale
        wait[answered] = (rng.exponential(1.0, n_ans) * US).astype(np.int64)
        q_sum = float(wait[answered].sum())
    t_sum = float(setup.service[answered].sum()) if n_ans else 0.0
    answered_at, ended, handler = _finish(
        setup.arrivals,
        wait,
        patience,
        setup.service,
        abandoned,
        plan.queue * US * n_ans / q_sum if q_sum else 0.0,
        plan.talk * US * n_ans / t_sum if t_sum else 0.0,
        round(plan.queue * US * n_ans),
        round(plan.talk * US * n_ans),
        rng.integers(US, 6 * US, n, dtype=np.int64),
        handler,
        agents[setup.interval],
        rng.random(n),
    )
    arrived = setup.arrivals

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
    if count >= len(wait):
        out[:] = True
        return out
    # only callers who had to wait can run out of patience: select among them when enough did
    pool = np.flatnonzero(wait > 0)
    if len(pool) < count:
        pool = np.arange(len(wait))
    margin = patience[pool] - wait[pool]
    out[pool[np.argpartition(margin, count - 1)[:count]]] = True
    return out


@njit(cache=True, nogil=True)
def _finish(
    arrived,
    wait,
    patience,
    service,
    abandoned,
    q_factor,
    t_factor,
    q_total,
    t_total,
    jitter,
    handler,
    on_duty,
    u,
):  # pragma: no cover - compiled
    """Answer and end times of every call, with answered waits and talk summing to totals.

    Answered waits and talk times are scaled by a common factor (the shape is kept) and the
    microseconds lost to flooring are handed back one each, so the sums are exact. A caller
    who gives up hangs up at their patience (at least a second or so after arriving). A caller
    the simulation lost but the figures need answered takes any handler on duty.
    """
    n = arrived.shape[0]
    q_floor = np.int64(0)
    t_floor = np.int64(0)
    for i in range(n):
        if not abandoned[i]:
            q_floor += np.int64(np.floor(wait[i] * q_factor))
            t_floor += np.int64(np.floor(service[i] * t_factor))
    q_short = q_total - q_floor
    t_short = t_total - t_floor
    answered_at = np.zeros(n, dtype=np.int64)
    ended = np.empty(n, dtype=np.int64)
    for i in range(n):
        if abandoned[i]:
            gave_up = min(patience[i], wait[i])
            ended[i] = arrived[i] + max(gave_up, jitter[i])
            continue
        q = np.int64(np.floor(wait[i] * q_factor))
        if q_short > 0:
            q += 1
            q_short -= 1
        t = np.int64(np.floor(service[i] * t_factor))
        if t_short > 0:
            t += 1
            t_short -= 1
        answered_at[i] = arrived[i] + q
        ended[i] = answered_at[i] + t
        if handler[i] < 0:
            handler[i] = np.int32(u[i] * max(on_duty[i], 1))
    return answered_at, ended, handler
