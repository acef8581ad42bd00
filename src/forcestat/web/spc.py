"""XmR charts and NHS "Making Data Count" icons for a monthly series.

An XmR chart's centre line is the mean of the months, its process limits the mean plus or
minus 2.66 times the mean moving range. A month is a special cause when it lies beyond a
limit, or ends a run of 7 months on one side of the mean, or a run of 7 each higher (lower)
than the last: the rules :mod:`forcestat.measures.compare` applies to a single month.

The variation icon says what the latest month shows (common cause, or special cause
improving or concerning, given which way is good); the assurance icon says whether the
process, as its limits describe it, will consistently meet a benchmark, consistently fail it,
or hit and miss.

>>> x = xmr([10, 12, 11, 13, 12, 11, 30])
>>> x.special == [6]
True
>>> variation(x, good="down")
'special_cause_concerning'
>>> assurance(x, 100.0, "at_most")
'consistently_meeting'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..measures.compare import SHIFT_RUN, TREND_RUN

VARIATION_TEXT = {
    "common_cause": "Common cause variation: no significant change",
    "special_cause_improving": "Special cause variation: improving",
    "special_cause_concerning": "Special cause variation: concerning",
    "special_cause_neither": "Special cause variation: a significant change",
    "too_few_points": "Too few months for a process chart",
}
ASSURANCE_TEXT = {
    "consistently_meeting": "The process will consistently meet the benchmark",
    "consistently_failing": "The process will consistently fail the benchmark",
    "hit_and_miss": "The process will hit and miss the benchmark at random",
    "no_benchmark": "No benchmark for this measure",
}
MIN_POINTS = 6


@dataclass(frozen=True)
class XmR:
    """A process chart of ``values`` (oldest first)."""

    values: list[float]
    mean: float
    lower: float
    upper: float
    #: indices of special-cause months, and the rule each broke
    special: list[int] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)

    @property
    def enough(self) -> bool:
        return len(self.values) >= MIN_POINTS


def xmr(values: list[float]) -> XmR:
    """The chart of ``values``; limits from every month given."""
    vals = [float(v) for v in values]
    if not vals:
        return XmR([], 0.0, 0.0, 0.0)
    mean = sum(vals) / len(vals)
    ranges = [abs(b - a) for a, b in zip(vals, vals[1:], strict=False)]
    mr = sum(ranges) / len(ranges) if ranges else 0.0
    lower, upper = max(mean - 2.66 * mr, 0.0), mean + 2.66 * mr
    reasons: dict[int, str] = {}
    for i, v in enumerate(vals):
        if v > upper:
            reasons[i] = "above the upper process limit"
        elif v < lower:
            reasons[i] = "below the lower process limit"
    _runs(vals, mean, reasons)
    _trends(vals, reasons)
    if len(vals) < MIN_POINTS:
        reasons = {}
    return XmR(vals, mean, lower, upper, sorted(reasons), reasons)


def _runs(vals: list[float], mean: float, reasons: dict[int, str]) -> None:
    """Mark every month of a run of SHIFT_RUN or more on one side of the mean."""
    start = 0
    for i in range(1, len(vals) + 1):
        side = _side(vals[i], mean) if i < len(vals) else 0
        if i < len(vals) and side != 0 and side == _side(vals[start], mean):
            continue
        if i - start >= SHIFT_RUN and _side(vals[start], mean) != 0:
            where = "above" if vals[start] > mean else "below"
            for j in range(start, i):
                reasons.setdefault(j, f"in a run of {i - start} months {where} the mean")
        start = i


def _side(v: float, mean: float) -> int:
    return (v > mean) - (v < mean)


def _trends(vals: list[float], reasons: dict[int, str]) -> None:
    """Mark every month of a run of TREND_RUN or more each higher (lower) than the last."""
    for sign, word in ((1, "rising"), (-1, "falling")):
        start = 0
        for i in range(1, len(vals) + 1):
            if i < len(vals) and (vals[i] - vals[i - 1]) * sign > 0:
                continue
            if i - start >= TREND_RUN:
                for j in range(start, i):
                    reasons.setdefault(j, f"in a {word} run of {i - start} months")
            start = i


def variation(x: XmR, good: str | None) -> str:
    """The variation icon for the latest month: common or special cause, and which way."""
    if not x.enough:
        return "too_few_points"
    last = len(x.values) - 1
    if last not in x.reasons:
        return "common_cause"
    if good is None:
        return "special_cause_neither"
    high = x.values[last] > x.mean
    improving = high == (good == "up")
    return "special_cause_improving" if improving else "special_cause_concerning"


def assurance(x: XmR, target: float | None, comparison: str | None) -> str:
    """The assurance icon: where the benchmark lies against the process limits."""
    if target is None or comparison is None:
        return "no_benchmark"
    if not x.enough:
        return "hit_and_miss"
    if comparison == "at_most":
        if x.upper <= target:
            return "consistently_meeting"
        if x.lower > target:
            return "consistently_failing"
    else:
        if x.lower >= target:
            return "consistently_meeting"
        if x.upper < target:
            return "consistently_failing"
    return "hit_and_miss"
