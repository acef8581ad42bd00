"""A first-come-first-served multi-server queue with abandonment (Erlang-A), simulated per call.

Calls arrive at given instants with a talk (service) time and a patience. Each is offered to the
call handler who frees up first among those on duty when it arrives; if its wait would exceed
its patience it abandons and occupies nobody. Handlers on duty vary by 15-minute interval.

Large forces are simulated as ``pods``: independent teams each taking a random share of the
calls with the staffing of a force of scale 1. That keeps the per-call work constant (a few
handlers to scan) whatever the scale, and a pod behaves like the calibrated force.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numba import njit

from .profiles import INTERVAL_US, US


@njit(cache=True, nogil=True)
def simulate(arrivals, service, patience, pod, interval, agents, n_pods):  # pragma: no cover
    """Per-call virtual wait (us) and handler index (-1 when the caller abandons).

    ``arrivals`` must be sorted; ``interval[i]`` indexes ``agents`` (handlers on duty per pod).
    """
    n = arrivals.shape[0]
    cmax = max(1, agents.max())
    free = np.zeros((n_pods, cmax), dtype=np.int64)
    wait = np.zeros(n, dtype=np.int64)
    handler = np.full(n, -1, dtype=np.int32)
    for i in range(n):
        t = arrivals[i]
        p = pod[i]
        c = max(1, agents[interval[i]])
        best = 0
        soonest = free[p, 0]
        for j in range(1, c):
            if free[p, j] < soonest:
                soonest = free[p, j]
                best = j
        start = soonest if soonest > t else t
        w = start - t
        wait[i] = w
        if patience[i] >= w:
            free[p, best] = start + service[i]
            handler[i] = best
    return wait, handler


@dataclass
class QueueSetup:
    """Everything the simulation needs for one channel and month, at pod level."""

    arrivals: np.ndarray  # sorted int64 us
    service: np.ndarray  # int64 us
    unit_patience: np.ndarray  # Exp(1) draws, scaled by the patience mean
    pod: np.ndarray  # int32 pod of each call
    interval: np.ndarray  # int64 interval index of each call
    hourly_load: np.ndarray  # offered load (Erlangs) per pod per interval, hour-smoothed
    roster_noise: np.ndarray  # per-interval multiplicative staffing variation
    rounding: np.ndarray  # uniform draws for stochastic rounding of handlers
    n_pods: int
    min_agents: int


def staffing(setup: QueueSetup, factor: float) -> np.ndarray:
    """Handlers on duty per pod in each interval for a staffing ``factor`` times the load.

    Rounded stochastically (with fixed draws) so that the factor tunes staffing smoothly.
    """
    x = factor * setup.hourly_load * setup.roster_noise
    agents = np.floor(x + setup.rounding).astype(np.int64)
    return np.maximum(agents, setup.min_agents)


def run(setup: QueueSetup, factor: float, patience_mean: float):
    """Simulate every call: (virtual wait, handler or -1), and the patience used (us)."""
    patience = (setup.unit_patience * patience_mean * US).astype(np.int64)
    result = simulate(
        setup.arrivals,
        setup.service,
        patience,
        setup.pod,
        setup.interval,
        staffing(setup, factor),
        setup.n_pods,
    )
    return result, patience


def first_pod(setup: QueueSetup) -> QueueSetup:
    """The calls of pod 0 alone: a force of scale 1 to calibrate on."""
    if setup.n_pods == 1:
        return setup
    sel = setup.pod == 0
    return replace(
        setup,
        arrivals=setup.arrivals[sel],
        service=setup.service[sel],
        unit_patience=setup.unit_patience[sel],
        pod=setup.pod[sel],
        interval=setup.interval[sel],
        n_pods=1,
    )


def calibrate(setup: QueueSetup, abandon_rate: float, mean_wait_s: float) -> tuple[float, float]:
    """Staffing factor and mean patience whose simulation gives the target abandonment rate and
    mean wait of answered calls (nested bisection on pod 0, common random numbers throughout).
    """

    pod0 = first_pod(setup)

    def outcome(factor: float, patience_mean: float) -> tuple[float, float]:
        (wait, handler), _ = run(pod0, factor, patience_mean)
        served = handler >= 0
        rate = 1.0 - served.mean() if len(served) else 0.0
        mw = wait[served].mean() / US if served.any() else 0.0
        return rate, mw

    def factor_for(patience_mean: float) -> float:
        lo, hi = 0.02, 6.0
        for _ in range(10):
            mid = (lo * hi) ** 0.5
            rate, _ = outcome(mid, patience_mean)
            if rate > abandon_rate:
                lo = mid
            else:
                hi = mid
        return (lo * hi) ** 0.5

    p_lo, p_hi = 3.0, 20_000.0
    best = (1.0, 60.0)
    for _ in range(9):
        p_mid = (p_lo * p_hi) ** 0.5
        f = factor_for(p_mid)
        best = (f, p_mid)
        _, mw = outcome(f, p_mid)
        if mw < mean_wait_s:
            p_lo = p_mid
        else:
            p_hi = p_mid
    return best


def hour_smoothed_load(expected: np.ndarray, mean_service_s: float) -> np.ndarray:
    """Offered load per interval, averaged over each hour as a roster is planned by the hour."""
    load = expected * mean_service_s / (INTERVAL_US / US)
    n = len(load)
    pad = (-n) % 4
    hourly = np.concatenate([load, np.repeat(load[-1:], pad)]).reshape(-1, 4).mean(axis=1)
    return np.repeat(hourly, 4)[:n]
