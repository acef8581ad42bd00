"""Monthly counts of a measure from its targets: months as tabled, longer periods spread.

A month with a monthly target gets exactly that count. A longer period (a financial year, a
range) whose months are not all tabled has its remainder spread over the missing months in
seasonal proportion. Where a longer period's total disagrees with its tabled months (FY2018/19's
s.136 total of 1775 against months summing to 1774) the months win and the log says so.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from .calibrate import CalibrationLog
from .profiles import SEASON
from .targets import Targets


def monthly_counts(targets: Targets, measure: str, log: CalibrationLog) -> dict[date, int]:
    """Count per month for ``measure``: every month any of its targets covers."""
    counts = {m: int(t.value) for m, t in targets.monthly(measure).items()}
    longer = [t for t in targets.of(measure) if not t.is_month and t.period is not None]
    for t in sorted(longer, key=lambda t: t.period.n_months if t.period else 0):
        assert t.period is not None
        months = t.period.months()
        free = [m for m in months if m not in counts]
        known = sum(counts[m] for m in months if m in counts)
        remainder = int(t.value) - known
        if free:
            if remainder < 0:
                log.explain(t, f"its tabled months already sum to {known}; the rest are zero")
                remainder = 0
            for m, v in zip(free, _spread(remainder, free), strict=True):
                counts[m] = v
            log.choose(
                f"{measure} {t.period_text}",
                f"{remainder} spread over {len(free)} untabled month(s) in seasonal proportion",
            )
        elif (
            remainder != 0
            and targets.scale != 1.0
            and _published_sum(targets, measure, months) == t.published
        ):
            log.explain(
                t,
                f"at scale {targets.scale:g} each month is scaled and rounded; they sum to "
                f"{known}, and the months win",
            )
        elif remainder != 0:
            log.explain(
                t,
                f"the published total is {int(t.value)} but its tabled months sum to {known}: "
                "the months are reproduced exactly (months win), so the total is {known}"
                " (an inconsistency in the published table)".replace("{known}", str(known)),
            )
    return dict(sorted(counts.items()))


def _published_sum(targets: Targets, measure: str, months: list[date]) -> float:
    tabled = targets.monthly(measure)
    return sum(tabled[m].published for m in months if m in tabled)


def _spread(total: int, months: list[date]) -> list[int]:
    w = np.array([SEASON[m.month - 1] for m in months], dtype=float)
    raw = w / w.sum() * total
    base = np.floor(raw).astype(np.int64)
    base[np.argsort(-(raw - base), kind="stable")[: total - int(base.sum())]] += 1
    return [int(v) for v in base]
