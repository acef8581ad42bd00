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
from ..report.figures import Figures, collect_figures
from .figures import HEADLINE, clean


def public_edition(figures: Figures) -> Figures:
    """The figures as the report's public edition publishes them (counts under 5 shown as
    ``<5``, figures that would give one back withheld as ``[c]``)."""
    from ..report import suppress_figures

    return suppress_figures(figures)


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
    months = [f"{m:%Y-%m}" for m in period.months()]
    rows = []
    for key in HEADLINE:
        m = CATALOGUE.get(key)
        if m is None:
            continue
        rows.append(
            {
                "key": key,
                "label": m.label,
                "unit": m.unit,
                "period": _cell(figures, key, "period", period.label),
                "months": [_cell(figures, key, "month", mo) for mo in months],
            }
        )
    return {
        "period": period.label,
        "months": months,
        "rows": rows,
        "notice": "Counts from 1 to 4 show as <5; [c] marks a figure withheld so that a "
        "suppressed count cannot be worked out from the others.",
    }
