"""Records: "lowest since February 2015 (58)", "highest since ...", "lowest on record".

A value is a record when no earlier comparable period (the months before a month, the
financial years before a year, ...) was lower (or higher) for at least :data:`MIN_RUN` of them;
the record names the last period that was lower (higher) and its value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..periods import Period

#: A month must beat at least 12 months before it to be called a record; a longer period
#: at least 2 earlier ones (minimum over (12 // months, 2)).
MIN_MONTHS = 12


def min_run(period: Period) -> int:
    return max(MIN_MONTHS // max(period.n_months, 1), 2)


def period_name(p: Period) -> str:
    """'February 2015' for a month, else the period's label."""
    return f"{p.start:%B %Y}" if p.grain == "month" else p.label


def record(
    value: float | None,
    period: Period,
    history: Sequence[tuple[Period, float]],
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
) -> str | None:
    """The record ``value`` sets against ``history`` (earlier periods, most recent FIRST).

    >>> from forcestat.periods import month
    >>> from datetime import date
    >>> hist = [(month(date(2022, m, 1)), 70.0 + m) for m in range(8, 0, -1)]
    >>> hist += [(month(date(2021, m, 1)), 80.0) for m in range(12, 0, -1)]
    >>> record(64.0, month(date(2022, 9, 1)), hist)
    'lowest on record'
    """
    if value is None or not history:
        return None
    need = min_run(period)
    lower: Callable[[float], bool] = lambda h: h < value  # noqa: E731
    higher: Callable[[float], bool] = lambda h: h > value  # noqa: E731
    for word, beats in (("lowest", lower), ("highest", higher)):
        run = 0
        for p, h in history:
            if beats(h):
                if run >= need and _strictly_beyond(value, history[:run], word):
                    return f"{word} since {period_name(p)} ({fmt(h)})"
                break
            run += 1
        else:
            if run >= need and _strictly_beyond(value, history, word):
                joint = any(h == value for _, h in history)
                return f"{'joint ' if joint else ''}{word} on record"
    return None


def _strictly_beyond(value: float, run: Sequence[tuple[Period, float]], word: str) -> bool:
    """A flat series sets no record: the value must beat at least one period in the run."""
    return any((h > value) if word == "lowest" else (h < value) for _, h in run)
