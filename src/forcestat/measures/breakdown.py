"""Breakdowns: a count or distinct-count measure split by one column (police.uk crimes by
crime type or LSOA, Speedwatch sightings by site, scheme, district or session)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import InputError
from ..periods import Period, add_months, month_label
from .base import Count, Distinct, Sum
from .catalogue import get_measure
from .engine import NOT_IN_DAYS, backend_of, span_predicate
from .results import as_period

#: the label of rows with no value in the column broken down by (an LSOA not given)
NONE_LABEL = "(none)"


def breakdown(con: Any, key: str, period: str | Period, by: str) -> pd.DataFrame:
    """A count (or distinct count) measure over a period, split by one of its ``breakdowns``.

    Returns a DataFrame with columns ``by``, value, share (percent of the total), sorted by
    value, largest first. Rows with no value in ``by`` are counted under :data:`NONE_LABEL`.
    ``df.attrs["note"]`` says which months had no data at all (for
    police.uk a missing month is not zero crime), ``df.attrs["months"]`` which were counted.

    >>> # breakdown(store, "policeuk_crimes", "2022-08..2022-10", "crime_type")
    """
    m = get_measure(key)
    if by not in m.breakdowns or not isinstance(m.aggregate, Count | Distinct | Sum):
        choices = ", ".join(m.breakdowns) or "none"
        raise InputError(f"{key} cannot be broken down by {by!r}; choose from: {choices}")
    p = as_period(period)
    backend = backend_of(con)
    t = m.source.build(backend)
    first, end = p.months()[0], add_months(p.months()[-1], 1)
    in_months = (t.month >= first) & (t.month < end)
    if not p.whole_months:
        span = span_predicate(m.source, t, p)
        if span is None:
            raise InputError(f"{key} is {NOT_IN_DAYS}")
        in_months = in_months & span
    in_period = t.filter(in_months)
    present = set(
        pd.to_datetime(backend.execute(in_period.select("month").distinct())["month"]).dt.date
    )
    rows = in_period.filter(m.aggregate.where(in_period)) if m.aggregate.where else in_period
    if isinstance(m.aggregate, Distinct):
        value = m.aggregate.value(rows).nunique()
    elif isinstance(m.aggregate, Sum):
        value = m.aggregate.value(rows).sum()
    else:
        value = rows.count()
    df = backend.execute(rows.group_by(rows[by]).aggregate(value=value))
    df[by] = df[by].astype(object).where(df[by].notna(), NONE_LABEL)
    df = df.sort_values(["value", by], ascending=[False, True]).reset_index(drop=True)
    total = df["value"].sum()
    df["share"] = 100 * df["value"] / total if total else 0.0
    missing = [mo for mo in p.months() if mo not in present]
    df.attrs["months"] = [month_label(mo) for mo in p.months() if mo in present]
    df.attrs["note"] = (
        f"no {m.source.tables[0]} data for {', '.join(month_label(mo) for mo in missing)}"
        if missing
        else None
    )
    return df
