"""A fast call-centre simulator whose output is call records.

Arrivals are a non-homogeneous Poisson process (rates piecewise constant per interval),
handling and patience times are exponential, lognormal or empirical, and staffing changes by
interval. Three set-ups:

* :func:`simulate_pool`: one channel on its own pool of agents (FCFS with abandonment);
* :func:`simulate_shared_pool`: 999 and 101 on one pool, 999 always answered first;
* :func:`simulate_chat`: live chat, each operator holding up to ``k`` chats at once.

Results come back as :class:`SimResult`, whose :meth:`SimResult.to_calls` gives a table in
the ``calls`` schema (naive-UTC timestamps), so simulated demand can be ingested and measured
exactly like real demand. A run is deterministic for its seed. The loops are compiled with
numba (see ``_kernels.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from . import _kernels as K
from .params import FloatArray, check_non_negative, check_positive

DEFAULT_START = datetime(2022, 10, 3)  # a Monday; naive UTC


@dataclass(frozen=True)
class Dist:
    """A duration distribution in seconds: ``exponential(mean)``, ``lognormal(mean, sigma)``
    (sigma: standard deviation of the log), ``empirical(values)`` or ``never()``."""

    kind: str
    mean: float = math.inf
    sigma: float = 0.0
    values: FloatArray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def exponential(cls, mean: float) -> Dist:
        (m,) = check_positive("mean", mean)
        return cls("exponential", float(m))

    @classmethod
    def lognormal(cls, mean: float, sigma: float) -> Dist:
        (m,) = check_positive("mean", mean)
        (s,) = check_non_negative("sigma", sigma)
        return cls("lognormal", float(m), float(s))

    @classmethod
    def empirical(cls, values: Any) -> Dist:
        v = check_non_negative("values", values)
        if v.size == 0:
            raise ParameterError("values must hold at least one duration")
        return cls("empirical", float(v.mean()), 0.0, np.sort(v))

    @classmethod
    def never(cls) -> Dist:
        """Infinite patience: the caller waits however long it takes."""
        return cls("never")

    def code(self, offset: int) -> list[float]:
        """(kind, p1, p2, offset, count) for the compiled kernels."""
        if self.kind == "exponential":
            return [K.EXPONENTIAL, self.mean, 0.0, 0, 0]
        if self.kind == "lognormal":
            mu = math.log(self.mean) - self.sigma**2 / 2
            return [K.LOGNORMAL, mu, self.sigma, 0, 0]
        if self.kind == "empirical":
            return [K.EMPIRICAL, 0.0, 0.0, offset, self.values.size]
        return [K.NEVER, 0.0, 0.0, 0, 0]


def _encode(dists: list[Dist]) -> tuple[np.ndarray, np.ndarray]:
    codes, chunks, offset = [], [np.zeros(1)], 1
    for d in dists:
        codes.append(d.code(offset))
        if d.kind == "empirical":
            chunks.append(d.values)
            offset += d.values.size
    return np.array(codes, dtype=np.float64), np.concatenate(chunks)


@dataclass
class SimResult:
    """Simulated calls: seconds from ``start`` (answered is NaN for unanswered calls)."""

    arrived: FloatArray
    answered: FloatArray
    ended: FloatArray
    agent: np.ndarray
    channel: np.ndarray
    start: datetime = DEFAULT_START
    id_prefix: str = "SIM"

    def __len__(self) -> int:
        return int(self.arrived.size)

    def to_calls(self) -> pd.DataFrame:
        """The calls as a table in the ``calls`` schema (timestamps naive UTC)."""
        base = np.datetime64(self.start, "ns")

        def stamp(sec: FloatArray) -> np.ndarray:
            ns = np.round(sec * 1e9)
            out = base + np.where(np.isnan(ns), 0, ns).astype("timedelta64[ns]")
            return np.where(np.isnan(ns), np.datetime64("NaT"), out)

        agent = pd.Series(self.agent).map(
            lambda a: f"{self.id_prefix}-A{a:04d}" if a >= 0 else None
        )
        return pd.DataFrame(
            {
                "call_id": [f"{self.id_prefix}-{i:08d}" for i in range(len(self))],
                "channel": self.channel,
                "arrived_at": stamp(self.arrived),
                "answered_at": stamp(self.answered),
                "ended_at": stamp(self.ended),
                "district": None,
                "agent_id": agent,
                # the simulated classes are channels (999 first), not priorities within one
                "priority": None,
            }
        )

    def summary(self, channel: str | None = None, within_s: float = 10.0) -> dict[str, float]:
        """The board's call measures over the simulated calls (one channel or all)."""
        sel = np.ones(len(self), bool) if channel is None else self.channel == channel
        arr, ans = self.arrived[sel], self.answered[sel]
        answered = ~np.isnan(ans)
        wait = ans[answered] - arr[answered]
        n, a = int(sel.sum()), int(answered.sum())
        return {
            "received": n,
            "answered": a,
            "pct_not_answered": 100.0 * (n - a) / n if n else 0.0,
            "avg_queue_seconds": float(wait.mean()) if a else 0.0,
            "pct_answered_within": 100.0 * float((wait < within_s).mean()) if a else 100.0,
            "avg_talk_seconds": float((self.ended[sel][answered] - ans[answered]).mean())
            if a
            else 0.0,
        }


def _interval_inputs(
    calls_per_hour: Any, agents: Any, interval_minutes: int
) -> tuple[FloatArray, np.ndarray, float]:
    check_positive("interval_minutes", interval_minutes)
    rates = check_non_negative("calls_per_hour", calls_per_hour) / 3600.0
    staff = check_non_negative("agents", agents)
    if staff.size == 1 and rates.size > 1:
        staff = np.full(rates.size, staff[0])
    if rates.size == 1 and staff.size > 1:
        rates = np.full(staff.size, rates[0])
    if staff.size != rates.size:
        raise ParameterError(
            f"agents must give one value per interval ({rates.size}), got {staff.size}"
        )
    if staff.max(initial=0) < 1 and rates.sum() > 0:
        # some intervals without staff is a closed desk; none at all is a mistake
        raise ParameterError("agents must be at least 1 in some interval when calls arrive")
    return rates, np.floor(staff).astype(np.int64), interval_minutes * 60.0


def _capacity(rates: FloatArray, interval_s: float) -> int:
    mean = float(rates.sum() * interval_s)
    return int(mean + 12 * math.sqrt(mean) + 1000)


def simulate_pool(
    calls_per_hour: Any,
    agents: Any,
    service: Dist,
    patience: Dist,
    *,
    interval_minutes: int = 60,
    seed: int = 0,
    channel: str = "101",
    start: datetime = DEFAULT_START,
) -> SimResult:
    """One channel answered by its own agents, first come first served.

    Parameters
    ----------
    calls_per_hour, agents
        One value per interval (or one for all). Agents numbered below an interval's
        staffing are on duty; an agent going off duty finishes their call. Callers still
        queued when the last interval ends are served by its staffing.
    service, patience
        Handling and patience distributions (:class:`Dist`); ``Dist.never()`` for callers
        who never hang up.
    interval_minutes, seed, channel, start
        Interval length; the random seed (same seed, same calls); the channel written on
        the records; the naive-UTC time the run starts at.

    Returns
    -------
    SimResult
        Arrival, answer and end times (seconds from ``start``) and agents, in arrival order;
        :meth:`SimResult.to_calls` gives the ``calls`` table.

    Examples
    --------
    >>> r = simulate_pool([120] * 24, 5, Dist.exponential(150), Dist.exponential(300))
    >>> r.summary()["received"] > 2500
    True
    """
    rates, staff, interval_s = _interval_inputs(calls_per_hour, agents, interval_minutes)
    codes, samples = _encode([service, patience])
    cap = _capacity(rates, interval_s)
    while True:
        arr, ans, end, agent = K.fcfs_kernel(
            int(seed), rates, staff, interval_s, codes[0], codes[1], samples, cap
        )
        if arr.size < cap:
            break
        cap *= 2  # a run this far above its expected volume: rerun (same seed) with room
    return SimResult(arr, ans, end, agent, np.full(arr.size, channel), start)


def simulate_shared_pool(
    calls_per_hour: dict[str, Any],
    agents: Any,
    service: dict[str, Dist],
    patience: dict[str, Dist],
    *,
    interval_minutes: int = 60,
    seed: int = 0,
    start: datetime = DEFAULT_START,
) -> SimResult:
    """999 and 101 answered by one pool; a free agent always takes the longest-waiting 999
    caller before any 101 caller. Dicts are keyed by channel ("999", "101")."""
    r999, staff, interval_s = _interval_inputs(calls_per_hour["999"], agents, interval_minutes)
    r101, _, _ = _interval_inputs(calls_per_hour["101"], agents, interval_minutes)
    rates = np.vstack([r999, r101])
    codes, samples = _encode([service["999"], service["101"], patience["999"], patience["101"]])
    cap = _capacity(rates, interval_s)
    while True:
        arr, ans, end, agent, cls = K.priority_kernel(
            int(seed), rates, staff, interval_s, codes[:2], codes[2:], samples, cap
        )
        if arr.size < cap:
            break
        cap *= 2
    channel = np.where(cls == 0, "999", "101")
    return SimResult(arr, ans, end, agent, channel, start)


def simulate_separate_pools(
    calls_per_hour: dict[str, Any],
    agents: dict[str, Any],
    service: dict[str, Dist],
    patience: dict[str, Dist],
    *,
    interval_minutes: int = 60,
    seed: int = 0,
    start: datetime = DEFAULT_START,
) -> SimResult:
    """Each channel on its own pool of agents; the runs are merged in arrival order."""
    parts = [
        simulate_pool(
            calls_per_hour[ch], agents[ch], service[ch], patience[ch],
            interval_minutes=interval_minutes, seed=seed + i, channel=ch, start=start,
        )
        for i, ch in enumerate(sorted(calls_per_hour))
    ]  # fmt: skip
    order = np.argsort(np.concatenate([p.arrived for p in parts]), kind="stable")
    offset = 0
    agents_all = []
    for p in parts:
        # keep agent ids distinct between pools
        agents_all.append(np.where(p.agent >= 0, p.agent + offset, -1))
        offset += int(p.agent.max(initial=-1)) + 1

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])[order]

    return SimResult(
        cat("arrived"), cat("answered"), cat("ended"),
        np.concatenate(agents_all)[order], cat("channel"), start,
    )  # fmt: skip


def simulate_chat(
    chats_per_hour: Any,
    operators: Any,
    handling: Dist,
    patience: Dist,
    *,
    concurrency: int = 1,
    slowdown: float | Sequence[float] = 0.25,
    interval_minutes: int = 60,
    seed: int = 0,
    start: datetime = DEFAULT_START,
) -> SimResult:
    """Live chat with ``concurrency`` chats per operator.

    A chat's handling time is stretched when its operator holds m chats: by
    ``1 + slowdown * (m - 1)`` for a number, or by ``slowdown[m - 1]`` for a list of
    factors, one per concurrency level (e.g. ``[1, 1.2, 1.5, 1.9]`` from a time study)."""
    if not 1 <= int(concurrency) <= 50:
        raise ParameterError(f"concurrency must be between 1 and 50 (got {concurrency})")
    stretch = _stretch(slowdown, int(concurrency))
    rates, staff, interval_s = _interval_inputs(chats_per_hour, operators, interval_minutes)
    codes, samples = _encode([handling, patience])
    cap = _capacity(rates, interval_s)
    arr, ans, end, oper = K.chat_kernel(
        int(seed), rates, staff, interval_s, codes[0], codes[1], samples, cap,
        int(concurrency), stretch,
    )  # fmt: skip
    return SimResult(arr, ans, end, oper, np.full(arr.size, "chat"), start, "CHAT")


def _stretch(slowdown: float | Sequence[float], k: int) -> FloatArray:
    """Handling-time factor for each number of open chats 1..k."""
    if isinstance(slowdown, (int, float)):
        (s,) = check_non_negative("slowdown", slowdown)
        return 1.0 + s * np.arange(k, dtype=np.float64)
    factors = check_positive("slowdown", list(slowdown))
    if factors.size < k:
        raise ParameterError(
            f"slowdown must give a factor for each concurrency up to {k} (got {factors.size})"
        )
    return factors[:k].astype(np.float64)


def chats_table(result: SimResult) -> pd.DataFrame:
    """Simulated chats in the ``chats`` schema."""
    calls = result.to_calls()
    return pd.DataFrame(
        {
            "chat_id": calls["call_id"],
            "requested_at": calls["arrived_at"],
            "accepted_at": calls["answered_at"],
            "ended_at": calls["ended_at"],
            "operator_id": calls["agent_id"],
        }
    )
