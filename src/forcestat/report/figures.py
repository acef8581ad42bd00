"""Every figure the report shows, fetched from the measures engine in one place.

The report never computes a figure: :func:`collect_figures` calls
``forcestat.measures.evaluate`` for each scope a board paper reads (the months of the period,
the period as a whole, the financial year to date, the s.136 history, headcounts at the period's
last day, Speedwatch's calendar year to date) and keeps the rows in one long frame with a
``scope`` column. Section builders read it through :class:`Figures`.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import pandas as pd

from ..measures.results import COLUMNS
from ..periods import Period, add_months, fy_start_year, fytd, month_range, parse_period
from .suppress import Suppressed

Evaluate = Callable[..., pd.DataFrame]

#: the columns of measures.evaluate()'s frame (the contract the report reads)
EVALUATE_COLUMNS = tuple(c for c in COLUMNS if c != "note")

SPEEDWATCH_KIND = "speedwatch_detections"
TREND_MONTHS = 12
#: months of history the executive summary's XmR charts read (12 baseline months and more)
SERIES_MONTHS = 24
S136_DEFAULT_START = date(2011, 4, 1)


def kind_of(measure: str, catalogue: dict[str, Any] | None = None) -> str | None:
    """The record kind behind ``measure``: the first table of its source in the catalogue."""
    m = (catalogue if catalogue is not None else _catalogue()).get(measure)
    tables = getattr(getattr(m, "source", None), "tables", None)
    if tables and isinstance(tables[0], str):
        return str(tables[0])
    return None


#: The scopes a board paper reads, each a period derived from the reporting period.
SCOPES = (
    "month",
    "period",
    "fytd",
    "fytd_before",
    "history",
    "fy",
    "at_date",
    "ytd",
    "last6",
    "enc_month",
)

Reads = dict[str, tuple[str, ...]]


def section_reads() -> Reads:
    """The measures every section of the report reads, by scope: the union of the ``READS``
    each section module declares, with the counts each figure reveals (a percentage's
    numerator and denominator) added, so that disclosure control sees them."""
    from . import sections, sections_community, sections_contact, sections_encompass

    out: dict[str, list[str]] = {scope: [] for scope in SCOPES}
    for module in (sections, sections_community, sections_contact, sections_encompass):
        for scope, keys in module.READS.items():
            out[scope] += keys
    return {scope: with_revealed(keys) for scope, keys in out.items()}


def with_revealed(keys: Iterable[str]) -> tuple[str, ...]:
    """``keys`` and, transitively, every catalogue count they reveal."""
    from ..measures.relations import relations_of

    catalogue = _catalogue()
    out: dict[str, None] = {}
    todo = list(keys)
    while todo:
        k = todo.pop(0)
        if k in out:
            continue
        out[k] = None
        if k in catalogue:
            todo += relations_of(k).reveals
    return tuple(out)


def _measures_module() -> Any:
    return importlib.import_module("forcestat.measures")


MISSING = "–"


def format_value(value: float | None, unit: str, decimals: int | None = None) -> str:
    """A figure as the board prints it, by ``forcestat.measures.format_value``.

    ``None`` and NaN (a figure with no records behind it) print as an en dash, never as 0; a
    figure withheld from the public edition prints as its marker (``<5`` or ``[c]``).
    """
    if isinstance(value, Suppressed):
        return value.mark
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return str(_measures_module().format_value(value, unit, decimals))


def month_name(d: date, short: bool = False) -> str:
    """'August 2022', or the seed's column style 'Aug 2022' / 'Sept 2022'."""
    if not short:
        return f"{d:%B %Y}"
    abbr = "Sept" if d.month == 9 else f"{d:%b}"
    return f"{abbr} {d.year}"


def _clean(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


@dataclass(frozen=True)
class Figures:
    """The evaluated figures for one report, by scope, with data coverage.

    ``frame`` has evaluate's columns plus ``scope``; ``coverage`` maps a record kind to its
    record count by month, listing only months that hold records (kinds absent from the map
    are unknown and treated as covered). ``suppressed`` (public edition, see
    :func:`~forcestat.report.suppress.suppress_figures`) maps (measure, period label) to the
    marker a withheld figure reads as.
    """

    period: Period
    frame: pd.DataFrame
    coverage: dict[str, dict[date, int]] = field(default_factory=dict)
    catalogue: dict[str, Any] = field(default_factory=dict)
    suppressed: dict[tuple[str, str], Suppressed] = field(default_factory=dict)
    #: True for the public edition's figures (small counts withheld)
    public: bool = False
    #: the manifest of the synthetic records the figures come from (None: real records)
    synthetic: dict[str, Any] | None = None
    #: the public edition's disclosure audit (:class:`forcestat.measures.disclosure.Audit`)
    audit: Any = None

    # -- lookups -------------------------------------------------------------------------------
    @cached_property
    def _index(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """Rows by (measure, scope), built once: sections look figures up hundreds of times."""
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for rec in self.frame.to_dict(orient="records"):
            clean = {str(k): (None if _is_missing(v) else v) for k, v in rec.items()}
            out.setdefault((str(rec["measure"]), str(rec["scope"])), []).append(clean)
        return out

    def rows(self, measure: str, scope: str) -> pd.DataFrame:
        f = self.frame
        return f[(f["measure"] == measure) & (f["scope"] == scope)]

    def row(self, measure: str, scope: str, label: str | None = None) -> dict[str, Any] | None:
        """One evaluated row as a dict (``None`` when the engine gave none)."""
        found = self._index.get((measure, scope), [])
        if label is not None:
            found = [r for r in found if r["period"] == label]
        return found[-1] if found else None

    def value(self, measure: str, scope: str, label: str | None = None) -> float | None:
        """A figure, or None when the engine has none or no record of its kind is held at all
        (an empty table gives a missing figure, not a zero)."""
        if not self.has_records(measure):
            return None
        r = self.row(measure, scope, label)
        return None if r is None else self._shown(measure, r)

    def _shown(self, measure: str, r: dict[str, Any]) -> float | None:
        """A row's value as this edition shows it: the marker of a withheld figure, else the
        value (None when missing)."""
        hidden = self.suppressed.get((measure, str(r["period"])))
        return hidden if hidden is not None else _clean(r.get("value"))

    def has_records(self, measure: str) -> bool:
        """False only when the coverage is known and the measure's kind holds no record."""
        kind = kind_of(measure, self.catalogue)
        return kind is None or kind not in self.coverage or bool(self.coverage[kind])

    def unit(self, measure: str) -> str:
        u = getattr(self.catalogue.get(measure), "unit", None)
        if isinstance(u, str):
            return u
        r = self.frame[self.frame["measure"] == measure]
        return str(r["unit"].iloc[0]) if not r.empty else "count"

    def covered(self, measure: str, m: date) -> bool:
        kind = kind_of(measure, self.catalogue)
        if kind is None or kind not in self.coverage:
            return True
        return m in self.coverage[kind]

    def first_covered(self, measure: str) -> date | None:
        """The first month holding records of ``measure``'s kind (None: unknown or none)."""
        kind = kind_of(measure, self.catalogue)
        months = self.coverage.get(kind, {}) if kind else {}
        return min(months) if months else None

    def monthly(self, measure: str, months: Iterable[date]) -> list[float | None]:
        """Values for ``months`` (a month without records for the measure's kind is None)."""
        out = []
        for m in months:
            v = self.value(measure, "month", f"{m:%Y-%m}") if self.covered(measure, m) else None
            out.append(v)
        return out

    def history(self, measure: str) -> dict[date, float]:
        """Every evaluated month of the long history, oldest first, covered months only."""
        out: dict[date, float] = {}
        for r in self._index.get((measure, "history"), []):
            m = parse_period(str(r["period"])).start
            v = self._shown(measure, r)
            if v is not None and self.covered(measure, m):
                out[m] = v
        return dict(sorted(out.items()))

    def series(self, measure: str) -> dict[date, float]:
        """The monthly figures of the summary's long window (covered months, oldest first)."""
        out: dict[date, float] = {}
        for r in self._index.get((measure, "series"), []):
            m = parse_period(str(r["period"])).start
            v = self._shown(measure, r)
            if v is not None and self.covered(measure, m):
                out[m] = v
        return dict(sorted(out.items()))

    def decimals(self, measure: str) -> int | None:
        """The places the catalogue publishes ``measure`` to (cancelled % 1, others default)."""
        d = getattr(self.catalogue.get(measure), "decimals", None)
        return d if isinstance(d, int) and d > 0 else None

    def format(self, measure: str, value: float | None) -> str:
        """``value`` formatted as ``measure`` is published."""
        return format_value(value, self.unit(measure), self.decimals(measure))

    def fmt(self, measure: str, scope: str, label: str | None = None) -> str:
        return self.format(measure, self.value(measure, scope, label))

    @property
    def months(self) -> list[date]:
        return self.period.months()

    @property
    def trend_months(self) -> list[date]:
        return trend_window(self.period).months()

    def trend_for(self, *measures: str) -> list[date]:
        """The trend window's months, starting at the first month any of ``measures`` has data
        (a chart of Speedwatch starts in January, not with a run of empty months)."""
        months = self.trend_months
        for i, m in enumerate(months):
            if any(self.monthly(k, [m])[0] is not None for k in measures):
                return months[i:]
        return months

    @property
    def at_date(self) -> date:
        return self.period.end - timedelta(days=1)


def _is_missing(v: Any) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# -- the scopes a board paper reads --------------------------------------------------------------
def last_month(period: Period) -> date:
    return period.months()[-1]


def trend_window(period: Period) -> Period:
    """The months a trend chart shows: the 12 months to the period's end (or the period)."""
    end = last_month(period)
    start = min(period.months()[0], add_months(end, -(TREND_MONTHS - 1)))
    return month_range(start, end)


def fytd_before(period: Period) -> Period | None:
    """The financial year to date as the board last saw it (to the month before the period)."""
    first = period.months()[0]
    before = add_months(first, -1)
    if fy_start_year(before) != fy_start_year(last_month(period)):
        return None
    return fytd(before)


def last_months(period: Period, n: int) -> Period:
    """The ``n`` months to the period's end ("over the last 6 months")."""
    end = last_month(period)
    return month_range(add_months(end, -(n - 1)), end)


def calendar_ytd(period: Period) -> Period:
    """Speedwatch reports 'so far this year': January to the period's last month."""
    end = last_month(period)
    return month_range(date(end.year, 1, 1), end)


def coverage_months(con: Any, kinds: Iterable[str]) -> dict[str, dict[date, int]]:
    """Records per month for each kind, months with none left out (needs a forcestat Store).

    This is bookkeeping about the data, not a published figure: it tells the report which
    months are missing so they print as missing rather than as zero.
    """
    query = getattr(con, "rows", None)  # a DuckDB or PostgreSQL store's SQL
    if query is None:
        return {}
    out: dict[str, dict[date, int]] = {}
    for kind in kinds:
        if not con.has_table(kind):
            continue
        try:
            rows = query(
                f'SELECT month, count(*) FROM "{kind}" WHERE month IS NOT NULL GROUP BY month'
            )
        except Exception:  # a kind without a month column: coverage unknown
            continue
        out[kind] = {r[0]: int(r[1]) for r in rows}
    return out


def _catalogue() -> dict[str, Any]:
    return dict(getattr(_measures_module(), "CATALOGUE", {}))


def _shared_engine(
    con: Any, evaluate: Evaluate, catalogue: dict[str, Any], extra: Iterable[str]
) -> Any:
    """One measures Engine for every evaluate call, planned up front with every measure the
    report asks for, so each source table is scanned once rather than once per scope."""
    mod = _measures_module()
    engine_cls = getattr(mod, "Engine", None)
    if engine_cls is None or "engine" not in inspect.signature(evaluate).parameters:
        return None
    from .summary import SERIES_KEYS

    keys = {k for ks in section_reads().values() for k in ks} | set(with_revealed(extra))
    keys |= set(SERIES_KEYS)
    engine = engine_cls(con, mod.CATALOGUE)
    engine.plan([mod.CATALOGUE[k] for k in sorted(keys) if k in mod.CATALOGUE])
    return engine


def collect_figures(
    con: Any,
    period: Period,
    *,
    extra_fytd: Iterable[str] = (),
    evaluate: Evaluate | None = None,
    catalogue: dict[str, Any] | None = None,
    coverage: dict[str, dict[date, int]] | None = None,
) -> Figures:
    """Evaluate every figure the report needs for ``period``.

    Parameters
    ----------
    con
        A forcestat Store (or any Ibis backend ``evaluate`` accepts).
    period
        The reporting period, e.g. ``parse_period("2022-08..2022-10")``.
    extra_fytd
        More measures to evaluate for the financial year to date (the profile's benchmarks).
    evaluate, catalogue, coverage
        Injected for tests; default to ``forcestat.measures`` and the store's own coverage.
    """
    catalogue = _catalogue() if catalogue is None else catalogue
    engine = None
    if evaluate is None:
        evaluate = _measures_module().evaluate
        engine = _shared_engine(con, evaluate, catalogue, extra_fytd)
    kinds = {k for k in (kind_of(m, catalogue) for m in catalogue) if k} | {SPEEDWATCH_KIND}
    if coverage is None:
        coverage = coverage_months(con, sorted(kinds))

    def run(keys: Iterable[str], p: Period | None, grain: str, scope: str, cmp: bool = True):
        wanted = [k for k in dict.fromkeys(keys) if k in catalogue]
        if not wanted or p is None:
            return None
        extra = {"engine": engine} if engine is not None else {}
        df = evaluate(con, keys=wanted, period=p.label, grain=grain, comparisons=cmp, **extra)
        return df.assign(scope=scope)

    end = last_month(period)
    s136_months = coverage.get("s136_detentions")
    s136_start = min(s136_months) if s136_months else S136_DEFAULT_START
    history = month_range(min(s136_start, period.months()[0]), end)
    at_date = Period(period.end - timedelta(days=1), period.end, "date")
    from .summary import SERIES_KEYS

    def day_before(d: date) -> Period:
        return Period(d - timedelta(days=1), d, "date")

    year_ago = period.same_period_last_year()
    reads = section_reads()
    extra = with_revealed(extra_fytd)
    parts = [
        run(reads["month"], trend_window(period), "month", "month"),
        run(reads["period"], period, "total", "period"),
        run((*reads["fytd"], *extra), fytd(end), "total", "fytd"),
        run((*reads["fytd_before"], *extra), fytd_before(period), "total", "fytd_before", False),
        run(reads["history"], history, "month", "history", cmp=False),
        run(reads["fy"], history, "fy", "fy", False),
        run(reads["at_date"], at_date, "total", "at_date"),
        run(reads["ytd"], calendar_ytd(period), "total", "ytd"),
        run(reads["last6"], last_months(period, 6), "total", "last6", False),
        run(reads["enc_month"], period, "month", "enc_month", False),
        run(SERIES_KEYS, last_months(period, SERIES_MONTHS), "month", "series", cmp=False),
        run(reads["at_date"], day_before(period.start), "total", "at_previous", cmp=False),
        run(reads["at_date"], day_before(year_ago.end), "total", "at_last_year", cmp=False),
    ]
    frames = [p for p in parts if p is not None and not p.empty]
    frame = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=[*EVALUATE_COLUMNS, "scope"])
    )
    from ..provenance import synthetic_manifest

    return Figures(
        period, frame, dict(coverage), dict(catalogue), synthetic=synthetic_manifest(con)
    )
