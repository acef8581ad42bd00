"""Erlang B, Erlang C and Erlang A (M/M/n+M), vectorised over intervals.

All three are computed in log space (Erlang B by its stable recurrence on ``log B``, the
Erlang A terms through the log of the lower incomplete gamma function), so they stay finite
and accurate beyond 2,000 agents and 1,500 Erlangs. Inputs are per interval: calls per hour,
mean handling time (AHT) in seconds, agents, and for Erlang A the mean patience in seconds.

Erlang A follows Mandelbaum & Zeltyn ("Service engineering in action: the Palm/Erlang-A
queue", 2007). With ``x = n mu / theta`` and ``y = lambda / theta``, the sum over the queue
states is ``A(x, y) = x e^y y^-x gamma(x, y)`` and the virtual wait of a caller who finds all
agents busy has density proportional to ``n mu exp(-n mu t + y (1 - e^-theta t))``, whose
integrals give the service level in closed form.

Service level here is the Home Office definition used by the measures: the share of
*answered* calls answered within ``t`` seconds. ``answered_within_share`` is the same count
over all offered calls, the criterion staffing uses under Erlang A (it cannot be met by
letting callers give up).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from numba import njit

from ..errors import ParameterError
from .params import (
    FloatArray,
    check_agents_cover_arrivals,
    check_fraction,
    check_non_negative,
    check_positive,
)

_TINY = 1e-300


# --------------------------------------------------------------------------- numba kernels
@njit(cache=True)
def _log_lower_gamma(a: float, z: float) -> float:
    """log of the (unregularised) lower incomplete gamma function gamma(a, z), a > 0."""
    if z <= 0.0:
        return -np.inf
    if z < a + 1.0:
        # series: gamma(a, z) = z^a e^-z sum_j z^j / (a (a+1) ... (a+j))
        term = 1.0 / a
        total = term
        ap = a
        for _ in range(1_000_000):
            ap += 1.0
            term *= z / ap
            total += term
            if term < total * 1e-17:
                break
        return a * math.log(z) - z + math.log(total)
    # continued fraction for the upper function (modified Lentz), then gamma = Gamma - upper
    fpmin = 1e-300
    b = z + 1.0 - a
    c = 1.0 / fpmin
    d = 1.0 / b
    h = d
    for i in range(1, 1_000_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < fpmin:
            d = fpmin
        c = b + an / c
        if abs(c) < fpmin:
            c = fpmin
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    log_upper = a * math.log(z) - z + math.log(h)
    lg = math.lgamma(a)
    return lg + math.log1p(-math.exp(min(log_upper - lg, 0.0)))


@njit(cache=True)
def _log_erlang_b(load: float, n: int) -> float:
    """log of Erlang B by the recurrence B(k) = A B(k-1) / (k + A B(k-1))."""
    if load <= 0.0:
        return 0.0 if n == 0 else -np.inf
    log_a = math.log(load)
    lb = 0.0
    for k in range(1, n + 1):
        lb = log_a + lb - math.log(k + load * math.exp(lb))
    return lb


@njit(cache=True)
def _erlang_c_one(lam: float, mu: float, n: int, t: float) -> tuple[float, float, float, float]:
    """P(wait), service level at t, ASA (s), occupancy for one interval of M/M/n."""
    if lam <= 0.0:
        return 0.0, 1.0, 0.0, 0.0
    load = lam / mu
    if n <= load:
        return 1.0, 0.0, np.inf, 1.0
    b = math.exp(_log_erlang_b(load, n))
    pw = n * b / (n - load * (1.0 - b))
    sl = 1.0 - pw * math.exp(-(n - load) * mu * t)
    asa = pw / (n * mu - lam)
    return pw, max(sl, 0.0), asa, load / n


@njit(cache=True)
def _mean_hidden_wait(x: float, y: float, theta: float, a: float) -> float:
    """Mean wait of callers who waited and were served: the mean of the density proportional
    to exp(g(t)), g(t) = -(a + theta) t + y (1 - e^(-theta t)), found by Simpson's rule on a
    range where g is within 40 of its maximum (g is concave, so the range is easy to bound)."""
    tm = 0.0
    if y > x + 1.0:
        tm = math.log(y / (x + 1.0)) / theta
    gm = -(a + theta) * tm + y * (1.0 - math.exp(-theta * tm))
    slope = abs(-(a + theta) + y * theta * math.exp(-theta * tm))
    curv = math.sqrt(y * theta * theta * math.exp(-theta * tm))
    s = 1.0 / max(slope, curv)
    lo = tm
    step = s
    while lo > 0.0:
        lo = max(0.0, tm - step)
        if -(a + theta) * lo + y * (1.0 - math.exp(-theta * lo)) < gm - 40.0:
            break
        step *= 2.0
    hi = tm + s
    while -(a + theta) * hi + y * (1.0 - math.exp(-theta * hi)) > gm - 40.0:
        hi = tm + 2.0 * (hi - tm)
    m = 4000
    h = (hi - lo) / m
    num = 0.0
    den = 0.0
    for i in range(m + 1):
        t = lo + i * h
        w = 1.0 if (i == 0 or i == m) else (4.0 if i % 2 == 1 else 2.0)
        f = w * math.exp(-(a + theta) * t + y * (1.0 - math.exp(-theta * t)) - gm)
        num += t * f
        den += f
    return num / den


@njit(cache=True)
def _abandon_given_wait(x: float, y: float, direct: float) -> float:
    """P(abandon | wait) = 1 - gamma(x+1, y) / (y gamma(x, y)).

    With patient callers (x = n mu / theta large) and spare capacity (y < x + 1) the ratio
    is within a hair of 1 and the subtraction would lose most digits (2e-3 relative at a
    patience of 1e6 s). There the difference is summed directly: with the series
    gamma(a, y) = y^a e^-y S(a), S(a) = sum_k y^k / (a (a+1) ... (a+k)), the ratio is
    S(x+1) / S(x) and S(x) - S(x+1) = sum_k (k+1) y^k / (x (x+1) ... (x+k+1)), a sum of
    positive terms. Elsewhere ``direct`` (the plain subtraction) is already accurate."""
    if y >= x + 1.0:
        return max(direct, 0.0)
    term = 1.0 / x  # y^k / (x ... (x+k))
    s = 0.0
    d = 0.0
    k = 0
    while k < 10_000_000:
        s += term
        dk = (k + 1.0) * term / (x + k + 1.0)
        d += dk
        if term < s * 1e-18 and dk < d * 1e-18:
            break
        term *= y / (x + k + 1.0)
        k += 1
    return d / s


@njit(cache=True)
def _erlang_a_one(
    lam: float, mu: float, theta: float, n: int, t: float, want_served_wait: bool
) -> tuple[float, float, float, float, float, float, float]:
    """Erlang A for one interval: P(wait), P(abandon), answered within t (share of offered),
    mean wait of all callers, mean wait of served callers, occupancy, P(wait > t)."""
    if lam <= 0.0:
        return 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0
    if n == 0:
        return 1.0, 1.0, 0.0, 1.0 / theta, np.nan, 0.0, 1.0
    load = lam / mu
    x = n * mu / theta
    y = lam / theta
    lg_xy = _log_lower_gamma(x, y)
    log_a = math.log(x) + y - x * math.log(y) + lg_xy
    lb = _log_erlang_b(load, n)
    # P(wait) = A E / (1 + (A - 1) E) = 1 / (1 + (1/E - 1) / A), in logs
    b = math.exp(lb)
    if b >= 1.0:
        pw = 1.0
    else:
        r = math.exp(min(math.log1p(-b) - lb - log_a, 700.0))
        pw = 1.0 / (1.0 + r)
    p_served_given_wait = math.exp(_log_lower_gamma(x + 1.0, y) - math.log(y) - lg_xy)
    p_ab_given_wait = _abandon_given_wait(x, y, 1.0 - p_served_given_wait)
    p_served_given_wait = 1.0 - p_ab_given_wait
    p_ab = pw * p_ab_given_wait
    z = y * math.exp(-theta * t)
    served_late = math.exp(_log_lower_gamma(x + 1.0, z) - math.log(y) - lg_xy)
    within = (1.0 - pw) + pw * (p_served_given_wait - served_late)
    p_wait_over_t = pw * math.exp(_log_lower_gamma(x, z) - lg_xy)
    mean_wait = p_ab / theta
    served_wait = np.nan
    if want_served_wait:
        served = 1.0 - p_ab
        if pw <= 0.0 or served <= 0.0:
            served_wait = 0.0
        else:
            hidden = _mean_hidden_wait(x, y, theta, n * mu)
            served_wait = pw * p_served_given_wait * hidden / served
    occupancy = min(load * (1.0 - p_ab) / n, 1.0)
    return pw, p_ab, max(min(within, 1.0), 0.0), mean_wait, served_wait, occupancy, p_wait_over_t


@njit(cache=True)
def _erlang_c_many(lam, mu, n, t):  # type: ignore[no-untyped-def]
    k = lam.shape[0]
    out = np.empty((k, 4))
    for i in range(k):
        r = _erlang_c_one(lam[i], mu[i], int(n[i]), t)
        for j in range(4):
            out[i, j] = r[j]
    return out


@njit(cache=True)
def _erlang_a_many(lam, mu, theta, n, t, want):  # type: ignore[no-untyped-def]
    k = lam.shape[0]
    out = np.empty((k, 7))
    for i in range(k):
        r = _erlang_a_one(lam[i], mu[i], theta[i], int(n[i]), t, want)
        for j in range(7):
            out[i, j] = r[j]
    return out


@njit(cache=True)
def _staff_c_many(lam, mu, t, target, max_asa, max_occ):  # type: ignore[no-untyped-def]
    """Exact minimum agents for Erlang C: search upward from floor(A) + 1 with Erlang B
    carried along its recurrence, so each interval costs O(agents)."""
    k = lam.shape[0]
    out = np.zeros(k, dtype=np.int64)
    for i in range(k):
        if lam[i] <= 0.0:
            continue
        load = lam[i] / mu[i]
        n0 = int(math.floor(load)) + 1
        lb = _log_erlang_b(load, n0 - 1)
        log_a = math.log(load)
        n = n0 - 1
        while True:
            n += 1
            lb = log_a + lb - math.log(n + load * math.exp(lb))
            b = math.exp(lb)
            pw = n * b / (n - load * (1.0 - b))
            sl = 1.0 - pw * math.exp(-(n - load) * mu[i] * t)
            asa = pw / (n * mu[i] - lam[i])
            if sl >= target and asa <= max_asa and load / n <= max_occ:
                out[i] = n
                break
    return out


@njit(cache=True)
def _a_meets(lam, mu, theta, n, t, target, max_ab, max_occ):  # type: ignore[no-untyped-def]
    r = _erlang_a_one(lam, mu, theta, n, t, False)
    return r[2] >= target and r[1] <= max_ab and r[5] <= max_occ


@njit(cache=True)
def _staff_a_many(lam, mu, theta, t, target, max_ab, max_occ):  # type: ignore[no-untyped-def]
    """Minimum agents for Erlang A by bisection (the criteria are monotone in agents)."""
    k = lam.shape[0]
    out = np.zeros(k, dtype=np.int64)
    for i in range(k):
        if lam[i] <= 0.0:
            continue
        hi = max(1, int(math.ceil(lam[i] / mu[i])))
        while not _a_meets(lam[i], mu[i], theta[i], hi, t, target, max_ab, max_occ):
            hi *= 2
            if hi > 10_000_000:
                break
        lo = 0
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _a_meets(lam[i], mu[i], theta[i], mid, t, target, max_ab, max_occ):
                hi = mid
            else:
                lo = mid
        out[i] = hi
    return out


# --------------------------------------------------------------------------- public API
@dataclass(frozen=True)
class QueueMetrics:
    """Per-interval results of a queueing formula (arrays of equal length).

    ``service_level``: share of answered calls answered within the threshold;
    ``answered_within_share``: the same count over all offered calls;
    ``asa_s``: mean wait of answered calls; ``mean_wait_s``: mean wait of all callers
    (abandoners up to when they gave up); ``p_abandon`` is 0 under Erlang C.
    """

    model: str
    agents: FloatArray
    load_erlangs: FloatArray
    p_wait: FloatArray
    p_abandon: FloatArray
    service_level: FloatArray
    answered_within_share: FloatArray
    asa_s: FloatArray
    mean_wait_s: FloatArray
    occupancy: FloatArray

    def as_frame(self):  # type: ignore[no-untyped-def]
        import pandas as pd

        d = asdict(self)
        d.pop("model")
        return pd.DataFrame(d)


def _broadcast(*arrays: FloatArray) -> list[FloatArray]:
    size = max(a.size for a in arrays)
    out = []
    for a in arrays:
        if a.size not in (1, size):
            raise ValueError("per-interval inputs must have the same length (or length 1)")
        out.append(np.broadcast_to(a, (size,)).astype(np.float64))
    return out


def erlang_b(load_erlangs: object, agents: object) -> FloatArray:
    """Blocking probability of M/M/n/n (Erlang B), per interval."""
    load, n = _broadcast(
        check_non_negative("load_erlangs", load_erlangs), check_non_negative("agents", agents)
    )
    return np.array([math.exp(_log_erlang_b(a, int(k))) for a, k in zip(load, n, strict=True)])


def erlang_c(
    calls_per_hour: object, aht_s: object, agents: object, answer_within_s: float = 10.0
) -> QueueMetrics:
    """Erlang C (M/M/n, callers never give up) for each interval.

    Parameters
    ----------
    calls_per_hour, aht_s, agents
        Arrival rate, mean handling time (seconds) and agents on the phones: a number or one
        value per interval (lengths 1 or n, broadcast). Fractional agents are floored.
    answer_within_s
        The service-level threshold *t* in seconds.

    Returns
    -------
    QueueMetrics
        P(wait), service level, ASA and occupancy per interval; intervals whose load reaches
        the agents are unstable (P(wait) 1, service level 0, ASA infinite).

    Raises
    ------
    ParameterError
        A negative rate, a non-positive handling time, or no agents where calls arrive.

    Examples
    --------
    >>> m = erlang_c(200, 180, 14, answer_within_s=20)
    >>> round(float(m.service_level[0]), 3)
    0.888
    """
    lam_h, aht, n = _broadcast(
        check_non_negative("calls_per_hour", calls_per_hour),
        check_positive("aht_s", aht_s),
        check_non_negative("agents", agents),
    )
    check_agents_cover_arrivals(lam_h, n, "agents")
    check_non_negative("answer_within_s", answer_within_s)
    n = np.floor(n)
    lam = lam_h / 3600.0
    r = _erlang_c_many(lam, 1.0 / aht, n, float(answer_within_s))
    return QueueMetrics(
        "erlang_c", n, lam * aht, r[:, 0], np.zeros(len(n)), r[:, 1], r[:, 1],
        r[:, 2], r[:, 2], r[:, 3],
    )  # fmt: skip


def erlang_a(
    calls_per_hour: object,
    aht_s: object,
    patience_s: object,
    agents: object,
    answer_within_s: float = 10.0,
    *,
    served_wait: bool = True,
) -> QueueMetrics:
    """Erlang A (M/M/n+M: exponential patience with mean ``patience_s``) for each interval.

    Parameters
    ----------
    calls_per_hour, aht_s, patience_s, agents
        Per interval or one for all, as in :func:`erlang_c`; ``patience_s`` is the mean time
        a caller waits before hanging up (see :func:`forcestat.demand.estimate.patience`).
    answer_within_s
        The service-level threshold *t* in seconds.
    served_wait
        False skips the one quantity that needs numerical integration (the mean wait of
        answered callers, ``asa_s``, then NaN), for speed inside searches.

    Returns
    -------
    QueueMetrics
        P(wait), P(abandon), service level (of answered calls), answered in time as a share
        of offered calls, ASA, mean wait of all callers, occupancy.

    Examples
    --------
    >>> m = erlang_a(200, 180, 300, 14, answer_within_s=20)
    >>> round(float(m.p_abandon[0]), 4)
    0.014
    """
    lam_h, aht, pat, n = _broadcast(
        check_non_negative("calls_per_hour", calls_per_hour),
        check_positive("aht_s", aht_s),
        check_positive("patience_s", patience_s),
        check_non_negative("agents", agents),
    )
    check_agents_cover_arrivals(lam_h, n, "agents")
    check_non_negative("answer_within_s", answer_within_s)
    n = np.floor(n)
    lam = lam_h / 3600.0
    r = _erlang_a_many(lam, 1.0 / aht, 1.0 / pat, n, float(answer_within_s), served_wait)
    answered = np.maximum(1.0 - r[:, 1], _TINY)
    sl = np.where(lam > 0, np.minimum(r[:, 2] / answered, 1.0), 1.0)
    return QueueMetrics(
        "erlang_a", n, lam * aht, r[:, 0], r[:, 1], sl, r[:, 2], r[:, 4], r[:, 3], r[:, 5]
    )


def agents_needed(
    calls_per_hour: object,
    aht_s: object,
    target: float,
    answer_within_s: float,
    *,
    patience_s: object | None = None,
    max_abandon: float = 1.0,
    max_asa_s: float = math.inf,
    max_occupancy: float = 1.0,
) -> np.ndarray:
    """Minimum agents per interval for a service-level target (a share, e.g. 0.9).

    Without ``patience_s`` this is Erlang C: the fewest agents, searched upward from
    ``floor(A) + 1``, whose share answered within ``answer_within_s`` reaches ``target``
    (and whose ASA and occupancy meet the optional caps). With ``patience_s`` it is Erlang A
    and the target applies to the share of *offered* calls answered in time, optionally with
    an abandonment cap ``max_abandon`` (a share).

    Parameters
    ----------
    calls_per_hour, aht_s
        Per interval or one for all.
    target
        Share answered within ``answer_within_s`` seconds, in (0, 1].
    answer_within_s
        The threshold in seconds.
    patience_s
        Mean patience in seconds (Erlang A); None for Erlang C.
    max_abandon, max_asa_s, max_occupancy
        Optional further caps (abandonment share, Erlang C ASA in seconds, occupancy share).

    Returns
    -------
    numpy.ndarray
        Agents (int) per interval; 0 where no calls arrive.

    Examples
    --------
    >>> agents_needed([200, 400], 180, 0.8, 20).tolist()
    [14, 24]
    """
    lam_h, aht = _broadcast(
        check_non_negative("calls_per_hour", calls_per_hour), check_positive("aht_s", aht_s)
    )
    check_fraction("target", target)
    check_fraction("max_abandon", max_abandon)
    if not 0 < max_occupancy <= 1:
        raise ParameterError(
            f"max_occupancy must be a share above 0 and at most 1 (got {max_occupancy:g})"
        )
    check_non_negative("answer_within_s", answer_within_s)
    lam = lam_h / 3600.0
    mu = 1.0 / aht
    t = float(answer_within_s)
    if patience_s is None:
        if target >= 1.0 and t == 0:
            raise ParameterError("target must be below 1 when answer_within_s is 0")
        return _staff_c_many(lam, mu, t, float(target), float(max_asa_s), float(max_occupancy))
    (pat,) = _broadcast(check_positive("patience_s", patience_s))
    if pat.size == 1:
        pat = np.full(lam.size, pat[0])
    if target >= 1.0:
        raise ParameterError("target must be below 1 when callers can give up (patience_s)")
    return _staff_a_many(lam, mu, 1.0 / pat, t, float(target), float(max_abandon), max_occupancy)
