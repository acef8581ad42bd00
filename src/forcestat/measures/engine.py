"""The engine: computes any set of measures over any periods in as few queries as possible.

Additive measures (counts, sums, means, ratios) are grouped by source table and slice columns;
each group is ONE aggregate query, grouped by month (and the slice columns), that returns every
partial aggregate the group's measures need: ``count(*) FILTER (WHERE answered)``,
``sum(queue_seconds) FILTER (WHERE answered)`` and so on. Any period's value is then a sum of
monthly partials (a membership matrix times the partials matrix), so the periods asked for,
their comparison periods and the history behind records all come from that one query.

Distinct counts, "vehicles with 4 or more detections" and headcounts at a date do not add up
across months; they cost one query per source and period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import ibis
import ibis.expr.operations as ops
import numpy as np
import pandas as pd

from ..errors import ForcestatError
from ..periods import LONDON, Period, add_months, month_label
from ..periods import month as month_period
from ..schema import get_kind
from .base import (
    Count,
    Distinct,
    Expr,
    GroupsWithAtLeast,
    Headcount,
    Mean,
    Measure,
    Median,
    OfMonths,
    Ratio,
    Source,
    Sum,
    headcount_date,
)

Value = tuple[float | None, str | None]  # the value and, when it is missing, why


def backend_of(con: Any) -> Any:
    """The Ibis backend behind a Store (its ``.ibis``) or the backend itself."""
    return getattr(con, "ibis", con)


def _partials(agg: Any) -> list[tuple[str, Expr | None, Expr | None]]:
    """The (kind, value, where) partial aggregates an additive aggregate is made of."""
    if isinstance(agg, Count):
        return [("n", None, agg.where)]
    if isinstance(agg, Sum):
        return [("sum", agg.value, agg.where)]
    if isinstance(agg, Mean):
        return [("sum", agg.value, agg.where), ("n", None, agg.where)]
    if isinstance(agg, Ratio):
        return _partials(agg.numerator) + _partials(agg.denominator)
    raise TypeError(f"not additive: {agg!r}")


def partial_name(kind: str, value: Expr | None, where: Expr | None) -> str:
    parts = [kind, value.name if value else "", where.name if where else "all"]
    return "__".join(p for p in parts if p)


def _formula(agg: Any, col: Any) -> Any:
    """The measure's value from its summed partials; ``col(name)`` gives a numpy array."""
    if isinstance(agg, Count):
        return col(partial_name("n", None, agg.where))
    if isinstance(agg, Sum):
        return agg.value.scale * col(partial_name("sum", agg.value, agg.where))
    if isinstance(agg, Mean):
        total = agg.value.scale * col(partial_name("sum", agg.value, agg.where))
        return _divide(total, col(partial_name("n", None, agg.where)))
    if isinstance(agg, Ratio):
        return agg.scale * _divide(_formula(agg.numerator, col), _formula(agg.denominator, col))
    raise TypeError(f"not additive: {agg!r}")


def _count_where(table: Any, pred: Any) -> Any:
    """Rows of ``table`` where ``pred`` holds: ``count(x)`` for ``x IS NOT NULL`` and
    ``count(*) - count(x)`` for ``x IS NULL`` (DuckDB counts non-null values from the validity
    mask alone), else ``count(CASE WHEN pred THEN 1 END)``."""
    op = pred.op()
    if isinstance(op, ops.NotNull):
        return op.arg.to_expr().count()
    if isinstance(op, ops.IsNull):
        return table.count() - op.arg.to_expr().count()
    return _only_where(pred, 1).count()


def _only_where(pred: Any, value: Any) -> Any:
    """``value`` where ``pred`` holds, else null: aggregated as ``count(CASE WHEN ...)``.

    DuckDB runs a CASE inside the aggregate about 30% faster than the same condition as a
    ``FILTER (WHERE ...)`` clause when a query has several filtered aggregates (measured on
    100 million calls): each FILTER makes its own selection over every row.
    """
    return ibis.ifelse(pred, value, ibis.null())


def _partial_aggregates(
    s: Any, partials: dict[str, tuple[str, Expr | None, Expr | None]]
) -> dict[str, Any]:
    """The aggregate expressions for named partials over ``s`` (values already projected)."""
    aggs = {}
    for name, (kind, value, where) in partials.items():
        pred = where(s) if where is not None else None
        if kind == "n":
            aggs[name] = s.count() if pred is None else _count_where(s, pred)
        else:
            assert value is not None
            redundant = where is not None and value.null_unless == where
            v = s[value.column]
            aggs[name] = (v if pred is None or redundant else _only_where(pred, v)).sum()
    return aggs


def utc_bounds(p: Period) -> tuple[datetime, datetime]:
    """The UTC instants (naive, as stored) at which p's first and after-last local days begin."""
    start = datetime.combine(p.start, time(), LONDON).astimezone(UTC)
    end = datetime.combine(p.end, time(), LONDON).astimezone(UTC)
    return start.replace(tzinfo=None), end.replace(tzinfo=None)


def span_predicate(source: Source, t: Any, p: Period) -> Any | None:
    """Rows of ``source`` that fall in p, a span of days that is not whole months.

    Rows are placed by their kind's time column, in Europe/London days. None when the source
    has no such column (a measure placed in months by another rule cannot be cut into days).
    """
    if source.month is not None or len(source.tables) != 1:
        return None
    try:
        kind = get_kind(source.tables[0])
    except ForcestatError:
        return None
    col = kind.time_column
    if col is None or col not in t.columns:
        return None
    ctype = kind.column(col).type
    if ctype == "date":
        return (t[col] >= p.start) & (t[col] < p.end)
    if ctype != "timestamp":
        return None
    lo, hi = utc_bounds(p)
    return (t[col] >= lo) & (t[col] < hi)


NOT_IN_DAYS = "defined for whole months only: ask for a month or a range of months"


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b != 0, a / np.where(b != 0, b, 1), np.nan)
    return out


@dataclass
class MonthlyGroup:
    """One aggregate query's result: partial sums by month (and slice value)."""

    source: Source
    slice_cols: tuple[str, ...]
    partials: dict[str, tuple[str, Expr | None, Expr | None]] = field(default_factory=dict)
    slice_values: set[tuple[str, ...]] = field(default_factory=set)
    frame: pd.DataFrame | None = None  # rows: (month, *slice) ; columns: partials
    months_present: list[date] = field(default_factory=list)
    missing_table: str | None = None


class Engine:
    """Runs queries for measures and periods; counts the queries it issues.

    Parameters
    ----------
    con : Store or Ibis backend
    measures : dict of str to Measure
        The catalogue the keys are looked up in (``OfMonths`` measures refer to others).
    """

    def __init__(self, con: Any, measures: dict[str, Measure], rollups: Any | None = None) -> None:
        self.backend = backend_of(con)
        self.catalogue = measures
        #: ``rollups(group)`` -> the group's monthly frame from stored rollups, or None to
        #: query the records (see :mod:`forcestat.measures.rollup`)
        self.rollups = rollups
        self.queries = 0
        #: of those, the checks that a source holds any record at all (see ``_has_rows``)
        self.row_checks = 0
        self.groups: dict[tuple[str, tuple[str, ...]], MonthlyGroup] = {}
        self._period_cache: dict[tuple[str, Period], Value] = {}
        self._wanted: list[Measure] = []
        self._rows_cache: dict[str, bool] = {}
        #: measure key -> (the group frame it came from, its partials summed by month)
        self._monthly_cache: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
        #: (numerator, denominator) of ratio-of-counts measures, for proportion tests
        self.ratio_parts: dict[tuple[str, Period], tuple[float, float]] = {}
        try:
            self._tables = set(self.backend.list_tables())
        except Exception:  # a backend that cannot list: assume tables exist
            self._tables = set()

    # -- query plumbing -------------------------------------------------------------------
    def execute(self, expr: Any) -> pd.DataFrame:
        """Run one query. On DuckDB the compiled SQL goes straight to the connection: Ibis's
        own execute adds tens of milliseconds a query, which headcounts by month feel."""
        self.queries += 1
        con = getattr(self.backend, "con", None)
        if con is not None and getattr(self.backend, "name", None) == "duckdb":
            return con.execute(str(self.backend.compile(expr))).df()
        return self.backend.execute(expr)

    def _missing(self, source: Source) -> str | None:
        if not self._tables:
            return None
        gone = [t for t in source.tables if t not in self._tables]
        return f"no {', '.join(gone)} table in the store" if gone else None

    def _has_rows(self, source: Source) -> bool:
        """True when every table of ``source`` holds at least one row (one query, cached)."""
        if source.name not in self._rows_cache:
            self.row_checks += len(source.tables)
            counts = [self.execute(self.backend.table(t).count()) for t in source.tables]
            self._rows_cache[source.name] = all(_scalar(c) > 0 for c in counts)
        return self._rows_cache[source.name]

    def _month_expr(self, source: Source, t: Any) -> Any:
        return source.month(t) if source.month is not None else t.month

    # -- additive measures: one query per group ---------------------------------------------
    def plan(self, measures: Iterable[Measure]) -> None:
        """Register the partial aggregates these measures need, grouped into queries."""
        for m in measures:
            if isinstance(m.aggregate, OfMonths):
                self.plan([self.catalogue[m.aggregate.of]])
                continue
            if not m.additive:
                if m.per_period and m not in self._wanted:
                    self._wanted.append(m)
                continue
            cols = tuple(c for c, _ in m.slice)
            g = self.groups.setdefault((m.source.name, cols), MonthlyGroup(m.source, cols))
            values = tuple(v for _, v in m.slice)
            new = {partial_name(*p): p for p in _partials(m.aggregate)}
            if values not in g.slice_values or not new.keys() <= g.partials.keys():
                g.frame = None  # a shared engine asked for more after running: run again
            g.slice_values.add(values)
            g.partials.update(new)

    def run_monthly(self) -> None:
        """Run each planned group's query: partial aggregates for every stored month.

        The whole history is grouped (not just the months asked for) because the first and
        last stored months tell a month with no records apart from a month with no data, and
        records ("lowest since ...") need the history anyway; the scan costs the same.
        """
        for g in self.groups.values():
            if g.frame is not None:
                continue
            g.missing_table = self._missing(g.source)
            if g.missing_table:
                g.frame = pd.DataFrame()
                continue
            stored = self.rollups(g) if self.rollups is not None else None
            g.frame = stored if stored is not None else self.execute(self._monthly_query(g))
            g.frame["_m"] = pd.to_datetime(g.frame["_m"]).dt.date
            g.months_present = sorted(set(g.frame["_m"]))

    def _monthly_query(self, g: MonthlyGroup, extra_keys: tuple[str, ...] = ()) -> Any:
        """The group's partial aggregates by month and slice (and by ``extra_keys``, columns
        of the source kept whole, as rollups are stored)."""
        t = g.source.build(self.backend)
        # values first (a value is computed once), then predicates over them inside the
        # aggregates: DuckDB runs that faster than projecting each predicate as a column
        cols: dict[str, Any] = {"_m": self._month_expr(g.source, t)}
        for c in (*g.slice_cols, *extra_keys):
            cols[c] = t[c]
        values = {e.column: e for _k, e, _w in g.partials.values() if e is not None}
        has_where = any(w is not None for _k, _v, w in g.partials.values())
        for col, expr in values.items():
            cols[col] = expr(t)
        keep = t.columns if has_where else ()
        s = t.select(**cols, **{c: t[c] for c in keep if c not in cols})
        # rows with no month (a volunteer who has not left) belong to no month
        cond = [s._m.notnull()] if g.source.month is not None else []
        for i, c in enumerate(g.slice_cols):
            wanted = {v[i] for v in g.slice_values}
            if not _covers_every_allowed_value(g.source, c, wanted):
                cond.append(s[c].isin(sorted(wanted)))
        if cond:
            s = s.filter(*cond)
        aggs = _partial_aggregates(s, g.partials)
        return s.group_by(["_m", *g.slice_cols, *extra_keys]).aggregate(**aggs)

    def first_month(self, measure: Measure) -> date | None:
        """The earliest stored month of an additive measure's source (after run_monthly)."""
        g = self._group(measure)
        return g.months_present[0] if g and g.months_present else None

    def _group(self, m: Measure) -> MonthlyGroup | None:
        if isinstance(m.aggregate, OfMonths):
            return self._group(self.catalogue[m.aggregate.of])
        return self.groups.get((m.source.name, tuple(c for c, _ in m.slice)))

    def additive_values(self, m: Measure, periods: list[Period]) -> list[Value]:
        """Values of an additive measure for many periods from its group's monthly partials."""
        g = self._group(m)
        assert g is not None and g.frame is not None, "plan() and run_monthly() first"
        if g.missing_table:
            return [(None, g.missing_table)] * len(periods)
        if any(not p.whole_months for p in periods):
            return [
                self._span_value(m, g, p) if not p.whole_months else self.additive_values(m, [p])[0]
                for p in periods
            ]
        axis, member = _membership(periods)
        names = list(dict.fromkeys(partial_name(*p) for p in _partials(m.aggregate)))
        monthly = self._by_month(m, g, names).reindex(axis).fillna(0.0)
        sums = member @ monthly.to_numpy(dtype=float)

        def col(n: str) -> np.ndarray:
            column: np.ndarray = sums[:, names.index(n)]
            return column

        values = _formula(m.aggregate, col)
        if isinstance(m.aggregate, Ratio) and _is_count_ratio(m.aggregate):
            num = _formula(m.aggregate.numerator, col)
            den = _formula(m.aggregate.denominator, col)
            for i, p in enumerate(periods):
                self.ratio_parts[(m.key, p)] = (float(num[i]), float(den[i]))
        if m.coverage == "always" and not g.months_present and not self._has_rows(g.source):
            # no event in any month is zero only when there are records to have had one
            return [(None, f"no {g.source.tables[0]} records stored")] * len(periods)
        out: list[Value] = []
        for i, p in enumerate(periods):
            gap = _coverage_gap(p, g, m)
            x = float(values[i])
            if gap:
                out.append((None, gap))
            else:
                out.append((None if np.isnan(x) else x, None))
        return out

    def _by_month(self, m: Measure, g: MonthlyGroup, names: list[str]) -> pd.DataFrame:
        """The measure's partial aggregates summed by month (kept while the group's frame is:
        a dashboard asks one engine for the same measure over many periods)."""
        kept = self._monthly_cache.get(m.key)
        if kept is not None and kept[0] is g.frame:
            return kept[1]
        frame = g.frame
        assert frame is not None
        for c, v in m.slice:
            frame = frame[frame[c] == v]
        monthly = frame.groupby("_m")[names].sum()
        self._monthly_cache[m.key] = (g.frame, monthly)
        return monthly

    def _span_value(self, m: Measure, g: MonthlyGroup, p: Period) -> Value:
        """An additive measure over days that are not whole months: one query over the rows."""
        if (m.key, p) in self._period_cache:
            return self._period_cache[(m.key, p)]
        gap = _coverage_gap(p, g, m)
        t = m.source.build(self.backend)
        pred = span_predicate(m.source, t, p)
        if gap or pred is None:
            value: Value = (None, gap or NOT_IN_DAYS)
        else:
            partials = {partial_name(*x): x for x in _partials(m.aggregate)}
            cols = {e.column: e(t) for _k, e, _w in partials.values() if e is not None}
            s = t.filter(pred, *[t[c] == v for c, v in m.slice])
            s = s.select(**cols, **{c: s[c] for c in t.columns if c not in cols})
            row = self.execute(s.aggregate(**_partial_aggregates(s, partials))).iloc[0]

            def col(n: str) -> np.ndarray:
                x = row[n]
                return np.array([0.0 if pd.isna(x) else float(x)])

            x = float(_formula(m.aggregate, col)[0])
            if isinstance(m.aggregate, Ratio) and _is_count_ratio(m.aggregate):
                num = float(_formula(m.aggregate.numerator, col)[0])
                den = float(_formula(m.aggregate.denominator, col)[0])
                self.ratio_parts[(m.key, p)] = (num, den)
            value = (None if np.isnan(x) else x, None)
        self._period_cache[(m.key, p)] = value
        return value

    def of_months_values(self, m: Measure, periods: list[Period]) -> list[Value]:
        """Mean / min / max of another measure's monthly values over each period."""
        agg = m.aggregate
        assert isinstance(agg, OfMonths)
        base = self.catalogue[agg.of]
        months = sorted({mo for p in periods for mo in p.months()})
        monthly = dict(
            zip(months, self.values(base, [month_period(x) for x in months]), strict=True)
        )
        out: list[Value] = []
        for p in periods:
            if not p.whole_months:
                out.append((None, NOT_IN_DAYS))
                continue
            vals = [monthly[x] for x in p.months()]
            gaps = [note for v, note in vals if v is None]
            nums = [v for v, _ in vals if v is not None]
            if gaps or not nums:
                out.append((None, gaps[0] if gaps else None))
            elif agg.how == "mean":
                out.append((sum(nums) / len(nums), None))
            else:
                out.append((min(nums) if agg.how == "min" else max(nums), None))
        return out

    # -- per-period measures ----------------------------------------------------------------
    def per_period_values(self, m: Measure, periods: list[Period]) -> list[Value]:
        if m not in self._wanted:
            self._wanted.append(m)
        out = []
        for p in periods:
            if (m.key, p) not in self._period_cache:
                self._run_per_period(m, p)
            out.append(self._period_cache[(m.key, p)])
        return out

    def _run_per_period(self, m: Measure, p: Period) -> None:
        """One query for every per-period measure on m's source at p (batched)."""
        batch = [
            x
            for x in self._wanted
            if x.per_period
            and x.source.name == m.source.name
            and (x.key, p) not in self._period_cache
        ]
        missing = self._missing(m.source)
        if missing:
            for x in batch:
                self._period_cache[(x.key, p)] = (None, missing)
            return
        t = m.source.build(self.backend)
        mo = self._month_expr(m.source, t)
        in_period = (mo >= p.months()[0]) & (mo < add_months(p.months()[-1], 1))
        if not p.whole_months:
            span = span_predicate(m.source, t, p)
            days_only = [x for x in batch if not isinstance(x.aggregate, Headcount)]
            if span is None:
                for x in days_only:
                    self._period_cache[(x.key, p)] = (None, NOT_IN_DAYS)
                batch = [x for x in batch if x not in days_only]
                if not batch:
                    return
            else:
                in_period = span
        d = headcount_date(p.start, p.end, p.grain)
        aggs: dict[str, Any] = {"_first": mo.min(), "_last": mo.max(), "_rows": t.count()}
        for x in batch:
            a = x.aggregate
            if isinstance(a, Distinct):
                w = in_period & a.where(t) if a.where else in_period
                aggs[x.key] = a.value(t).nunique(where=w)
            elif isinstance(a, Headcount):
                on = _headcount_pred(a, t, d)
                aggs[x.key] = a.value(t).nunique(where=on) if a.value else t.count(where=on)
            elif isinstance(a, Median):
                w = in_period & a.where(t) if a.where else in_period
                # median of a CASE, not median(where=): Ibis compiles the latter for Spark with
                # a non-constant percentage, which Spark refuses
                aggs[x.key] = ibis.ifelse(w, a.value(t), ibis.null()).median()
        row = self.execute(t.aggregate(**aggs)).iloc[0]
        at_least = [x for x in batch if isinstance(x.aggregate, GroupsWithAtLeast)]
        counts = self._groups_at_least(t, in_period, at_least) if at_least else {}
        for x in batch:
            gap = _per_period_gap(x, p, row)
            if x.key in counts:
                value = counts[x.key]
            elif isinstance(x.aggregate, Median):
                value = row[x.key]
                if value is None or pd.isna(value):  # a median of no rows
                    self._period_cache[(x.key, p)] = (None, gap or "no rows in the period")
                    continue
            else:
                value = _as_count(row[x.key])
            self._period_cache[(x.key, p)] = (None, gap) if gap else (float(value), None)

    def _groups_at_least(self, t: Any, in_period: Any, ms: list[Measure]) -> dict[str, int]:
        """Counts of groups with >= n rows, one query per (by, where) pair."""
        out: dict[str, int] = {}
        pairs: dict[tuple[str, str], list[Measure]] = {}
        for x in ms:
            a = x.aggregate
            assert isinstance(a, GroupsWithAtLeast)
            pairs.setdefault((a.by.name, a.where.name if a.where else ""), []).append(x)
        for group in pairs.values():
            a0 = group[0].aggregate
            assert isinstance(a0, GroupsWithAtLeast)
            w = in_period & a0.where(t) if a0.where else in_period
            rows = t.filter(w)
            per = rows.group_by(_by=a0.by(rows)).aggregate(_n=rows.count())
            aggs = {}
            for x in group:
                assert isinstance(x.aggregate, GroupsWithAtLeast)
                aggs[x.key] = per.count(where=per._n >= x.aggregate.n)
            row = self.execute(per.aggregate(**aggs)).iloc[0]
            out.update({x.key: _as_count(row[x.key]) for x in group})
        return out

    # -- entry point --------------------------------------------------------------------------
    def values(self, m: Measure, periods: list[Period]) -> list[Value]:
        """Values (and missing-value notes) of one measure for many periods."""
        if isinstance(m.aggregate, OfMonths):
            return self.of_months_values(m, periods)
        if m.additive:
            return self.additive_values(m, periods)
        return self.per_period_values(m, periods)


def _as_count(value: Any) -> int:
    """A count from a query result. A filtered count over no rows is 0 on DuckDB but NULL on
    Spark (Ibis compiles it to a SUM there), which pandas returns as NaN."""
    return 0 if value is None or pd.isna(value) else int(value)


def _scalar(result: Any) -> int:
    """An integer from a scalar query's result (a number, or a one-cell frame on DuckDB)."""
    if isinstance(result, pd.DataFrame):
        return int(result.iloc[0, 0])
    return int(result)


def _covers_every_allowed_value(source: Source, column: str, wanted: set[str]) -> bool:
    """True when the schema allows only values in ``wanted`` (then filtering is a no-op that
    costs a pass over every row: 999 and 101 together are every call)."""
    try:
        allowed = get_kind(source.tables[0]).column(column).allowed
    except (ForcestatError, KeyError):
        return False
    return allowed is not None and set(allowed) <= wanted


def _is_count_ratio(agg: Any) -> bool:
    return (
        isinstance(agg, Ratio)
        and isinstance(agg.numerator, Count)
        and isinstance(agg.denominator, Count)
        and agg.scale == 100.0
    )


def _headcount_pred(a: Headcount, t: Any, d: date) -> Any:
    first, *rest = a.since
    pred = t[first] <= d
    for c in rest:
        pred = pred & (t[c].isnull() | (t[c] <= d))
    if a.until:
        pred = pred & (t[a.until].isnull() | (t[a.until] > d))
    return pred & a.where(t) if a.where is not None else pred


def _membership(periods: list[Period]) -> tuple[list[date], np.ndarray]:
    """The month axis the periods span and a (period x month) 0/1 matrix."""
    months = sorted({mo for p in periods for mo in p.months()})
    index = {mo: i for i, mo in enumerate(months)}
    member = np.zeros((len(periods), len(months)))
    for i, p in enumerate(periods):
        for mo in p.months():
            member[i, index[mo]] = 1.0
    return months, member


def _coverage_gap(p: Period, g: MonthlyGroup, m: Measure) -> str | None:
    """Why p's value is missing, or None when every month of p is covered by stored data."""
    present = g.months_present
    name = g.source.tables[0]
    if m.coverage == "always":
        return None
    if not present:
        return f"no {name} records for {p.label}"
    months = p.months()
    if m.coverage == "every_month":
        have = set(present)
        gaps = [mo for mo in months if mo not in have]
        if gaps:
            return f"no {name} data for {', '.join(month_label(x) for x in gaps)}"
        return None
    if months[0] < present[0] or months[-1] > present[-1]:
        return f"{name} records cover {month_label(present[0])} to {month_label(present[-1])} only"
    return None


def _per_period_gap(m: Measure, p: Period, row: Any) -> str | None:
    name = m.source.tables[0]
    if int(row["_rows"]) == 0 or pd.isna(row["_first"]):
        return f"no {name} records stored"
    if isinstance(m.aggregate, Headcount):
        return None
    first = pd.Timestamp(row["_first"]).date()
    last = pd.Timestamp(row["_last"]).date()
    months = p.months()
    if months[0] < first or months[-1] > last:
        return f"{name} records cover {month_label(first)} to {month_label(last)} only"
    return None
