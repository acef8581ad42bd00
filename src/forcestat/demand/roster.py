"""Shift rosters: interval requirements turned into shifts by an integer program.

Every candidate shift is a start time (one of the allowed starts in the week), a length
(8, 10 or 12 hours by default) and a break placed near its middle; it covers the intervals
it spans less its break. The integer program (HiGHS through :func:`scipy.optimize.milp`)
chooses how many handlers work each candidate so that every interval has at least the
required agents on the phones, minimising paid handler-hours. The week wraps around: a
Sunday night shift covers Monday morning.

FTE adds shrinkage (leave, training, sickness: paid time not on the rota) to the rostered
hours: ``FTE = rostered hours / (1 - shrinkage) / hours per FTE``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from ..errors import ParameterError
from .params import check_fraction, check_non_negative

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Unpaid-in-place break (minutes) for each shift length in hours, taken near the middle.
DEFAULT_BREAKS = {8.0: 30, 10.0: 45, 12.0: 60}


@dataclass(frozen=True)
class ShiftRules:
    """The shifts a roster may use.

    ``lengths_h``: shift lengths in hours; ``start_every_min``: starts allowed every so many
    minutes (a multiple of the interval); ``start_hours``: if given, only these hours of the
    day; ``breaks_min``: break minutes per length (rounded up to whole intervals);
    ``break_spread``: the break may start this many intervals either side of the middle.
    """

    lengths_h: tuple[float, ...] = (8.0, 10.0, 12.0)
    start_every_min: int = 60
    start_hours: tuple[int, ...] | None = None
    breaks_min: dict[float, int] = field(default_factory=lambda: dict(DEFAULT_BREAKS))
    break_spread: int = 1

    def check(self, interval_minutes: int) -> None:
        if not self.lengths_h or any(h <= 0 or h > 24 for h in self.lengths_h):
            raise ParameterError("shift lengths must be between 0 and 24 hours")
        for h in self.lengths_h:
            if (h * 60) % interval_minutes:
                raise ParameterError(
                    f"a {h:g} h shift is not a whole number of {interval_minutes}-minute intervals"
                )
        if self.start_every_min < interval_minutes or self.start_every_min % interval_minutes:
            raise ParameterError(
                f"start_every_min must be a multiple of the {interval_minutes}-minute interval "
                f"(got {self.start_every_min})"
            )
        if self.start_hours is not None and not all(0 <= h < 24 for h in self.start_hours):
            raise ParameterError("start hours must be 0-23")


@dataclass(frozen=True)
class Roster:
    """The solved roster: shifts, coverage by interval and totals."""

    interval_minutes: int
    shifts: pd.DataFrame
    coverage: pd.DataFrame
    paid_hours: float
    on_phone_hours: float
    required_hours: float
    shrinkage: float
    hours_per_fte: float
    status: str
    solve_seconds: float

    @property
    def fte(self) -> float:
        return self.paid_hours / (1 - self.shrinkage) / self.hours_per_fte

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "handlers": int(self.shifts["handlers"].sum()) if len(self.shifts) else 0,
            "paid_hours": self.paid_hours,
            "on_phone_hours": self.on_phone_hours,
            "required_hours": self.required_hours,
            "efficiency_pct": 100 * self.required_hours / self.paid_hours
            if self.paid_hours
            else math.nan,
            "shrinkage_pct": 100 * self.shrinkage,
            "fte": self.fte,
            "intervals_short": int((self.coverage["short"] > 0).sum()),
            "solve_seconds": self.solve_seconds,
        }


def _candidates(
    n: int, interval_minutes: int, rules: ShiftRules
) -> tuple[sparse.csc_matrix, list[tuple[int, float, int, int]]]:
    """Coverage matrix (intervals x candidate shifts) and each candidate's (start, hours,
    break start, break length) in intervals."""
    per_day = 1440 // interval_minutes
    step = rules.start_every_min // interval_minutes
    starts = [
        s
        for s in range(0, n, step)
        if rules.start_hours is None
        or (s % per_day) * interval_minutes // 60 in rules.start_hours
        and (s % per_day) * interval_minutes % 60 == 0
    ]
    rows: list[int] = []
    cols: list[int] = []
    meta: list[tuple[int, float, int, int]] = []
    for h in rules.lengths_h:
        length = int(h * 60 // interval_minutes)
        brk = math.ceil(rules.breaks_min.get(h, 0) / interval_minutes)
        offsets = [0] if brk == 0 else range(-rules.break_spread, rules.break_spread + 1)
        for s in starts:
            for off in offsets:
                b0 = (length - brk) // 2 + off
                if brk and (b0 < 1 or b0 + brk > length - 1):
                    continue
                covered = [i for i in range(length) if not (brk and b0 <= i < b0 + brk)]
                j = len(meta)
                rows += [(s + i) % n for i in covered]
                cols += [j] * len(covered)
                meta.append((s, h, b0 if brk else -1, brk))
    a = sparse.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(meta)))
    return a, meta


def solve_roster(
    required: Any,
    interval_minutes: int = 30,
    *,
    rules: ShiftRules | None = None,
    shrinkage: float = 0.3,
    hours_per_fte: float = 37.0,
    time_limit_s: float = 10.0,
    mip_gap: float = 0.01,
) -> Roster:
    """Shifts that put at least ``required[t]`` agents on the phones in every interval of a
    week (Monday 00:00 first), with the fewest paid handler-hours.

    Parameters
    ----------
    required
        Agents needed per interval, a week of them (``7 * 1440 / interval_minutes``).
    interval_minutes
        15, 30 or 60.
    rules
        The allowed shifts (:class:`ShiftRules`).
    shrinkage, hours_per_fte
        For the FTE: share of paid time off the rota, and contracted hours a week.
    time_limit_s
        The branch-and-bound stops here; the roster is then the better of its best and a
        rounded linear relaxation (every interval covered either way), and ``status`` says
        how far it can be from the fewest possible hours (the relaxation's bound).
    mip_gap
        Stop when the roster is proven within this share of the fewest possible hours
        (1%: a handler-hour or two a day; proving the last one costs minutes).

    Examples
    --------
    >>> r = solve_roster([2] * 336, 30)
    >>> r.summary()["intervals_short"], r.paid_hours >= 2 * 168
    (0, True)
    """
    import time

    rules = rules or ShiftRules()
    rules.check(interval_minutes)
    check_fraction("shrinkage", shrinkage, upper_open=True)
    req = np.ceil(check_non_negative("required", required) - 1e-9)
    n = 7 * 1440 // interval_minutes
    if req.size != n:
        raise ParameterError(
            f"required must give one value per {interval_minutes}-minute interval of a week "
            f"({n}), got {req.size}"
        )
    a, meta = _candidates(n, interval_minutes, rules)
    if not meta:
        raise ParameterError("no shift fits the rules: check lengths, starts and breaks")
    cost = np.array([m[1] for m in meta])
    t0 = time.perf_counter()
    lp = optimize.linprog(cost, A_ub=-a, b_ub=-req, bounds=(0, None), method="highs")
    if lp.x is None:
        raise ParameterError(f"the roster could not be solved: {lp.message}")
    x = _round_and_repair(a, cost, req, lp.x)
    bound = float(lp.fun)
    res = optimize.milp(
        cost,
        constraints=optimize.LinearConstraint(a, lb=req, ub=np.inf),
        integrality=np.ones(len(meta)),
        bounds=optimize.Bounds(0, np.inf),
        options={"time_limit": time_limit_s, "mip_rel_gap": mip_gap},
    )
    if res.x is not None:
        xm = np.round(res.x).astype(int)
        if ((a @ xm) >= req).all() and (xm * cost).sum() < (x * cost).sum():
            x = xm
        bound = max(bound, float(getattr(res, "mip_dual_bound", bound) or bound))
    took = time.perf_counter() - t0
    cover = a @ x
    paid = float((x * cost).sum())
    gap = (paid - math.ceil(bound - 1e-6)) / paid if paid else 0.0
    status = "optimal" if gap <= 1e-9 else f"within {100 * gap:.1f}% of the fewest possible hours"
    shifts = _shift_table(x, meta, interval_minutes)
    coverage = pd.DataFrame(
        {
            "slot": np.arange(n),
            "day": [DAYS[(i * interval_minutes) // 1440] for i in range(n)],
            "start": [_clock(i, interval_minutes) for i in range(n)],
            "required": req.astype(int),
            "rostered": cover.astype(int),
        }
    )
    coverage["short"] = (coverage["required"] - coverage["rostered"]).clip(lower=0)
    hours = interval_minutes / 60
    return Roster(
        interval_minutes, shifts, coverage,
        paid_hours=paid,
        on_phone_hours=float(cover.sum() * hours),
        required_hours=float(req.sum() * hours),
        shrinkage=shrinkage, hours_per_fte=hours_per_fte, status=status, solve_seconds=took,
    )  # fmt: skip


def _round_and_repair(
    a: sparse.csc_matrix, cost: np.ndarray, req: np.ndarray, x_lp: np.ndarray
) -> np.ndarray:
    """An integer roster from the linear relaxation: round down, add the shift that covers
    the most short intervals per hour until none is short, then drop shifts not needed."""
    x = np.floor(x_lp + 1e-9).astype(int)
    at = a.T.tocsr()
    cover = a @ x
    while True:
        short = (cover < req).astype(float)
        if not short.any():
            break
        j = int(np.argmax((at @ short) / cost))
        x[j] += 1
        cover = cover + a[:, j].toarray().ravel()
    for j in np.argsort(-cost * (x > 0)):
        col = a[:, j].toarray().ravel()
        while x[j] > 0 and ((cover - col) >= req).all():
            x[j] -= 1
            cover = cover - col
    return x


def _clock(slot: int, interval_minutes: int) -> str:
    m = (slot * interval_minutes) % 1440
    return f"{m // 60:02d}:{m % 60:02d}"


def _shift_table(
    x: np.ndarray, meta: list[tuple[int, float, int, int]], interval_minutes: int
) -> pd.DataFrame:
    rows = []
    for count, (s, h, b0, brk) in zip(x, meta, strict=True):
        if count <= 0:
            continue
        rows.append(
            {
                "day": DAYS[(s * interval_minutes) // 1440],
                "start": _clock(s, interval_minutes),
                "hours": h,
                "end": _clock(s + int(h * 60 // interval_minutes), interval_minutes),
                "break_start": _clock(s + b0, interval_minutes) if brk else "",
                "break_minutes": brk * interval_minutes,
                "handlers": int(count),
                "slot": s,
            }
        )
    cols = ["day", "start", "hours", "end", "break_start", "break_minutes", "handlers", "slot"]
    t = pd.DataFrame(rows, columns=cols)
    return t.sort_values(["slot", "hours"]).drop(columns="slot").reset_index(drop=True)


def roster_chart(roster: Roster, title: str) -> Any:
    """Required and rostered agents through the week (a step chart)."""
    import altair as alt

    from .charts import _axis, _x

    t = _axis(roster.coverage)
    long = t.melt(
        id_vars=["hour", "day", "start"], value_vars=["required", "rostered"],
        var_name="series", value_name="agents",
    )  # fmt: skip
    return (
        alt.Chart(long)
        .mark_line(interpolate="step-after")
        .encode(x=_x(t), y=alt.Y("agents:Q", title="agents on the phones"), color="series:N")
        .properties(title=title, width=900, height=260)
    )
