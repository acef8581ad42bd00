"""Comparisons: change, % change, and whether a change is more than noise.

Two tools, as the NHS "Making Data Count" programme recommends over bare % changes:

* A test of two counts. Counts of independent events (calls, detentions) are modelled as
  Poisson; given the total ``a + b``, the current count is binomial with ``p = t_a / (t_a +
  t_b)`` under "no change in the daily rate" (the exact conditional test), where ``t`` is the
  number of days in each period. For percentages of counts (not answered / received) a
  two-proportion test is used instead.
* Statistical process control (XmR chart) for monthly series: the centre line is the mean of
  the earlier months (up to 24), the process limits are the mean +/- 2.66 x the mean moving
  range, and a month is a special cause when it is outside the limits, or ends a run of
  :data:`SHIFT_RUN` months on one side of the mean, or a run of :data:`TREND_RUN` months each
  higher (or lower) than the last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

ALPHA = 0.05
SHIFT_RUN = 7
TREND_RUN = 7
SPC_BASELINE = 24
SPC_MIN_POINTS = 12


def change(current: float | None, other: float | None) -> tuple[float | None, float | None]:
    """(change, % change) from ``other`` to ``current``; % change is None when other is 0."""
    if current is None or other is None:
        return None, None
    diff = current - other
    return diff, (100.0 * diff / other if other else None)


def poisson_test(a: float, b: float, days_a: float = 1.0, days_b: float = 1.0) -> float:
    """Two-sided p-value that counts ``a`` and ``b`` come from the same daily Poisson rate.

    The exact conditional test: given ``a + b``, ``a`` is Binomial(a + b, days_a / (days_a +
    days_b)) when the rates are equal.

    >>> round(poisson_test(73, 64), 2)  # August vs September s.136: not significant
    0.49
    """
    n = int(round(a + b))
    if n == 0:
        return 1.0
    k, p0 = int(round(a)), days_a / (days_a + days_b)
    # two-sided by doubling the smaller tail: as exact as binomtest's, and one cdf call each
    tail = min(stats.binom.cdf(k, n, p0), stats.binom.sf(k - 1, n, p0))
    return float(min(1.0, 2.0 * tail))


def proportion_test(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-sided p-value that x1/n1 and x2/n2 are the same proportion.

    Fisher's exact test when any expected cell is under 5, else the pooled z-test.
    """
    if min(n1, n2) <= 0:
        return 1.0
    pooled = (x1 + x2) / (n1 + n2)
    expected = [n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)]
    if min(expected) < 5:
        table = [[int(x1), int(n1 - x1)], [int(x2), int(n2 - x2)]]
        return float(stats.fisher_exact(table).pvalue)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / se
    return float(2 * stats.norm.sf(abs(z)))


def describe_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@dataclass(frozen=True)
class SpcResult:
    """Where a month sits on an XmR chart of the months before it."""

    mean: float
    lower: float
    upper: float
    signal: str | None  # None: common-cause variation

    @property
    def special_cause(self) -> bool:
        return self.signal is not None


def spc(history: Sequence[float], value: float) -> SpcResult | None:
    """XmR chart test of ``value`` against the months before it (oldest first).

    Returns None when fewer than :data:`SPC_MIN_POINTS` earlier months are available.
    """
    base = [float(x) for x in history[-SPC_BASELINE:]]
    if len(base) < SPC_MIN_POINTS:
        return None
    mean = sum(base) / len(base)
    ranges = [abs(b - a) for a, b in zip(base, base[1:], strict=False)]
    mr = sum(ranges) / len(ranges)
    # every forcestat measure is zero or more: a negative lower limit is no limit
    lower, upper = max(mean - 2.66 * mr, 0.0), mean + 2.66 * mr
    signal = None
    if value > upper:
        signal = f"above the upper process limit ({upper:,.1f})"
    elif value < lower:
        signal = f"below the lower process limit ({lower:,.1f})"
    else:
        run = [*base[-(SHIFT_RUN - 1) :], value]
        trend = [*base[-(TREND_RUN - 1) :], value]
        if len(run) == SHIFT_RUN and all(x > mean for x in run):
            signal = f"{SHIFT_RUN} months in a row above the mean ({mean:,.1f})"
        elif len(run) == SHIFT_RUN and all(x < mean for x in run):
            signal = f"{SHIFT_RUN} months in a row below the mean ({mean:,.1f})"
        elif all(b > a for a, b in zip(trend, trend[1:], strict=False)):
            signal = f"{TREND_RUN} months each higher than the last"
        elif all(b < a for a, b in zip(trend, trend[1:], strict=False)):
            signal = f"{TREND_RUN} months each lower than the last"
    return SpcResult(mean, lower, upper, signal)
