"""The public page: the board report's figures as its public edition shows them.

The figures are the report's own (:func:`forcestat.report.collect_figures`), passed through
:func:`public_edition`, the one place that calls the report's public-edition suppression:
switching to another disclosure rule is a change of that one function. Only aggregates
leave this module; no record-level value is read.
"""

from __future__ import annotations

from typing import Any

from ..measures import CATALOGUE
from ..periods import Period
from ..report.figures import Figures, collect_figures, section_reads
from .figures import clean


def public_edition(figures: Figures) -> Figures:
    """The figures as the report's public edition publishes them (counts under 5 shown as
    ``<5``, figures that would give one back withheld as ``[c]``)."""
    from ..report import suppress_figures

    return suppress_figures(figures)


def board_period(p: Period) -> Period:
    """The three months to ``p``'s last month: the period a board report covers."""
    from ..periods import add_months, month_range

    last = p.months()[-1]
    return month_range(add_months(last, -2), last)


_BLANK: dict[str, Any] = {"value": None, "shown": "", "suppressed": None}


def _cell(figures: Figures, key: str, scope: str, label: str | None = None) -> dict[str, Any]:
    v = figures.value(key, scope, label)
    mark = getattr(v, "mark", None)
    return {
        "value": None if mark else clean(v),
        "shown": mark or figures.format(key, v),
        "suppressed": mark,
    }


def public_page(store: Any, period: Period) -> dict[str, Any]:
    """Headline figures for the period and by month, suppressed as the public edition."""
    from ..report.profile import load_profile

    extra = [b.measure for b in load_profile(None).benchmarks]
    figures = public_edition(collect_figures(store, period, extra_fytd=extra))
    months = [f"{m:%Y-%m}" for m in period.months()] if len(period.months()) > 1 else []
    rows = []
    reads = section_reads()
    monthly_keys = set(reads["month"])
    # the figures the report publishes for a period, in the report's order
    for key in reads["period"]:
        m = CATALOGUE.get(key)
        if m is None:
            continue
        monthly = key in monthly_keys
        rows.append(
            {
                "key": key,
                "label": m.label,
                "unit": m.unit,
                "family": m.family,
                "period": _cell(figures, key, "period", period.label),
                "months": [
                    _cell(figures, key, "month", mo) if monthly else _BLANK for mo in months
                ],
            }
        )
    return {
        "period": period.label,
        "months": months,
        "rows": rows,
        "notice": "Counts from 1 to 4 show as <5; [c] marks a figure withheld so that a "
        "suppressed count cannot be worked out from the others.",
    }
