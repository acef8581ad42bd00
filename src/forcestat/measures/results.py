"""``evaluate``: measures over periods as one tidy DataFrame, with comparisons and records."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from ..errors import PeriodError
from ..periods import Period, add_months, month, parse_period
from . import compare
from .base import (
    Distinct,
    GroupsWithAtLeast,
    Headcount,
    Mean,
    Measure,
    Median,
    OfMonths,
    Ratio,
    Sum,
)
from .benchmarks import load_benchmarks
from .catalogue import CATALOGUE, resolve
from .engine import Engine, Value
from .format import format_value
from .records import record

GRAINS = ("month", "quarter", "fy", "total")

COLUMNS = [
    "measure",
    "period",
    "value",
    "unit",
    "label",
    "previous_period",
    "previous_value",
    "change",
    "pct_change",
    "last_year_period",
    "last_year_value",
    "last_year_change",
    "last_year_pct_change",
    "significant",
    "significance_note",
    "record",
    "benchmark",
    "benchmark_status",
    "note",
]

#: how far back records look (periods of the same length), at most
MAX_HISTORY = 240


def as_period(period: str | Period) -> Period:
    """A Period from any :func:`~forcestat.periods.parse_period` form, or from the board's
    "to 2022-10" (financial year to date) and "last 6 months to 2022-10"."""
    if not isinstance(period, str):
        return period
    try:
        return parse_period(period)
    except PeriodError:
        from .published import place_period

        placed, _ = place_period(period, None)
        if placed is None:
            raise
        return placed


def evaluate(
    con: Any,
    keys: str | list[str] | tuple[str, ...] | None = None,
    period: str | Period = "2022-08..2022-10",
    grain: str = "total",
    comparisons: bool = True,
    records: bool | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Compute measures over a period, cut by a grain, with comparisons and records.

    Parameters
    ----------
    con : Store or Ibis backend
        Where the record tables are.
    keys : str, list of str or None
        Measure keys (or family names); None for the whole catalogue.
    period : str or Period
        Any form :func:`forcestat.periods.parse_period` reads ("2022-08..2022-10",
        "FY2022/23", "FY2022/23 to 2022-10", "2022-10-31", ...).
    grain : {"month", "quarter", "fy", "total"}
        One row per month, financial quarter, financial year (clipped to the period) or one
        row for the whole period.
    comparisons : bool
        Add the previous period, the same period last year, changes and significance.
    records : bool, optional
        Add "lowest since ..." records (defaults to ``comparisons``); this reads the whole
        stored history, still in one query per source table.
    engine : Engine, optional
        Reuse an engine (and its query counter).

    Returns
    -------
    pandas.DataFrame
        One row per (measure, period) with the columns in :data:`COLUMNS`. ``value`` is a plain
        number in the measure's unit (percent as 31.97, durations in seconds); missing values
        are None with the reason in ``note``.
    """
    measures = resolve(keys)
    p = as_period(period)
    if grain not in GRAINS:
        raise PeriodError(f"unknown grain {grain!r}; choose one of: {', '.join(GRAINS)}")
    outputs = p.split(grain)
    want_records = comparisons if records is None else records
    eng = engine or Engine(con, CATALOGUE)
    eng.plan(measures)
    eng.run_monthly()
    rows = []
    for m in measures:
        rows += _measure_rows(eng, m, outputs, comparisons, want_records)
    return pd.DataFrame(rows, columns=COLUMNS)


def _history(eng: Engine, m: Measure, p: Period) -> list[Period]:
    """Earlier periods of the same kind as p, most recent first, back to the stored history."""
    if not (m.additive or isinstance(m.aggregate, OfMonths)) or p.grain == "date":
        return []
    first = eng.first_month(m)
    if first is None:
        return []
    step = 12 if p.grain in ("fy", "fytd", "rolling12", "year") else max(p.n_months, 1)
    out = []
    for k in range(1, MAX_HISTORY + 1):
        try:
            q = p.shift_months(-k * step)
        except PeriodError:  # before the year 1: history ends there
            break
        if q.start < first:
            break
        out.append(q)
    return out


def _earlier(q: Period, how: str) -> Period | None:
    """q's previous period or the same period a year before; None before the year 1."""
    try:
        return q.previous() if how == "previous" else q.same_period_last_year()
    except PeriodError:
        return None


def _measure_rows(
    eng: Engine, m: Measure, outputs: list[Period], comparisons: bool, want_records: bool
) -> list[dict[str, Any]]:
    plan: list[Period] = list(outputs)
    if comparisons:
        plan += [e for q in outputs for how in ("previous", "last_year") if (e := _earlier(q, how))]
    history = {q: _history(eng, m, q) for q in outputs} if want_records else {}
    for h in history.values():
        plan += h
    unique = list(dict.fromkeys(plan))
    values: dict[Period, Value] = dict(zip(unique, eng.values(m, unique), strict=True))
    bench = load_benchmarks().get(m.benchmark) if m.benchmark else None
    rows = []
    for q in outputs:
        value, note = values[q]
        row: dict[str, Any] = {
            "measure": m.key,
            "period": q.label,
            "value": value,
            "unit": m.unit,
            "label": m.label,
            "note": note,
            "benchmark": bench.value if bench else None,
            "benchmark_status": bench.status(value) if bench else None,
        }
        if comparisons:
            row.update(_comparison_columns(eng, m, q, values))
        if want_records and _is_extreme(m):
            row["record"] = _monthly_record(eng, m, q, value)
        elif want_records:
            hist = [(h, v) for h in history[q] if (v := values[h][0]) is not None]
            row["record"] = record(value, q, hist, lambda v: format_value(v, m.unit, m.decimals))
            if comparisons and q.grain == "month" and value is not None:
                row.update(_with_spc(row, [v for _, v in reversed(hist)], value))
        rows.append(row)
    return rows


def _is_extreme(m: Measure) -> bool:
    return isinstance(m.aggregate, OfMonths) and m.aggregate.how in ("min", "max")


def _monthly_record(eng: Engine, m: Measure, q: Period, value: float | None) -> str | None:
    """A period's lowest (highest) month against the months before it: "lowest since
    February 2015 (58)", as the board says it of its s.136 table."""
    assert isinstance(m.aggregate, OfMonths)
    base = CATALOGUE[m.aggregate.of]
    first = eng.first_month(base)
    if value is None or first is None:
        return None
    months: list[Period] = []
    mo = q.start
    while len(months) < MAX_HISTORY:
        if mo <= first:
            break
        mo = add_months(mo, -1)
        months.append(month(mo))
    hist = [(h, v) for h, (v, _) in zip(months, eng.values(base, months), strict=True)]
    known = [(h, v) for h, v in hist if v is not None]
    return record(value, month(q.start), known, lambda v: format_value(v, m.unit, m.decimals))


def _comparison_columns(
    eng: Engine, m: Measure, q: Period, values: dict[Period, Value]
) -> dict[str, Any]:
    prev, ly = _earlier(q, "previous"), _earlier(q, "last_year")
    value = values[q][0]
    pv = values[prev][0] if prev else None
    lv = values[ly][0] if ly else None
    ch, pct = compare.change(value, pv)
    lch, lpct = compare.change(value, lv)
    tests = [
        (label, _test(eng, m, q, other, value, ov) if other else (None, ""))
        for label, other, ov in (("previous period", prev, pv), ("same period last year", ly, lv))
    ]
    notes = [
        f"change on {label} {'is' if p < compare.ALPHA else 'is not'} significant ({describe})"
        if p is not None
        else f"change on {label} not tested: {describe}"
        for label, (p, describe) in tests
        if p is not None or describe
    ]
    first = tests[0][1][0]
    return {
        "previous_period": prev.label if prev else None,
        "previous_value": pv,
        "change": ch,
        "pct_change": pct,
        "last_year_period": ly.label if ly else None,
        "last_year_value": lv,
        "last_year_change": lch,
        "last_year_pct_change": lpct,
        "significant": None if first is None else bool(first < compare.ALPHA),
        "significance_note": "; ".join(notes) or _untested_reason(m),
    }


def _test(
    eng: Engine, m: Measure, q: Period, other: Period, value: float | None, ov: float | None
) -> tuple[float | None, str]:
    if value is None or ov is None:
        return None, ""
    if q.start < other.end and other.start < q.end:
        # FYTD to October against FYTD to September: the months they share make the two
        # figures dependent, and a test for independent samples would overstate significance
        return None, f"{other.label} overlaps {q.label}, and a test needs periods apart"
    if m.is_count:
        days = (q.end - q.start).days, (other.end - other.start).days
        p = compare.poisson_test(value, ov, *days)
        return p, f"Poisson exact test, {compare.describe_p(p)}"
    if isinstance(m.aggregate, Ratio) and (m.key, q) in eng.ratio_parts:
        x1, n1 = eng.ratio_parts[(m.key, q)]
        x2, n2 = eng.ratio_parts.get((m.key, other), (None, None))
        if x2 is None or n2 is None:
            return None, ""
        p = compare.proportion_test(x1, n1, x2, n2)
        return p, f"two-proportion test, {compare.describe_p(p)}"
    return None, ""


def _untested_reason(m: Measure) -> str | None:
    """Why a figure carries no significance test (counts and shares of counts do)."""
    if m.is_count or isinstance(m.aggregate, Ratio):
        return None
    kind = {
        Mean: "an average",
        Sum: "a sum of hours",
        OfMonths: "a monthly average or extreme",
        Headcount: "a headcount",
        Distinct: "a count of distinct vehicles",
        GroupsWithAtLeast: "a count of repeat vehicles",
        Median: "a median",
    }.get(type(m.aggregate), "this kind of figure")
    return f"not tested: no significance test for {kind}"


def _with_spc(row: dict[str, Any], series: list[float], value: float) -> dict[str, Any]:
    result = compare.spc(series, value)
    if result is None:
        return {}
    text = (
        f"SPC: special cause, {result.signal}"
        if result.signal
        else f"SPC: common-cause variation (limits {result.lower:,.1f} to {result.upper:,.1f})"
    )
    note = row.get("significance_note")
    return {"significance_note": f"{note}; {text}" if note else text}


def series(
    con: Any, key: str, start: str | date, end: str | date, engine: Engine | None = None
) -> pd.DataFrame:
    """A measure's monthly values from ``start`` to ``end`` (months, inclusive).

    Returns a DataFrame with columns month (date), period (label), value, note.
    """
    first = start if isinstance(start, date) else parse_period(start).start
    last = end if isinstance(end, date) else parse_period(end).start
    span = Period(month(first).start, month(last).end, "range")
    df = evaluate(con, [key], span, grain="month", comparisons=False, records=False, engine=engine)
    df.insert(0, "month", span.months())
    return df[["month", "period", "value", "note"]]


def value_of(con: Any, key: str, period: str | Period) -> float | None:
    """One measure's value over one period (a convenience for scripts and tests)."""
    df = evaluate(con, [key], period, comparisons=False)
    v = df["value"].iloc[0]
    return None if pd.isna(v) else float(v)
