"""The figures behind the pages: one function per page, each returning a plain dict that the
HTML template renders and the ``.json`` twin returns as it is.

Every figure comes from :func:`forcestat.measures.evaluate` over the catalogue; a district
filter narrows each source table to that district's rows (measures whose records carry no
district say so instead of showing the force's figure).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

from ..measures import CATALOGUE, FAMILIES, Engine, evaluate, format_value, load_benchmarks
from ..measures.base import Measure, OfMonths
from ..measures.format import format_duration
from ..periods import Period, add_months, month_range
from ..schema import KINDS
from . import charts, spc
from .filters import Filters

#: the overview's tiles, in order (the issue's headline measures)
HEADLINE = (
    "calls_999_pct_not_answered",
    "calls_999_avg_queue_seconds",
    "calls_999_pct_answered_within_10s",
    "calls_101_pct_not_answered",
    "calls_101_avg_queue_seconds",
    "recorded_crime",
    "cancelled_crime",
    "s136_detentions",
    "digital_contacts",
    "live_chats",
    "online_crime_reports",
    "special_constable_hours",
    "vehicles_detected_over_limit",
)
FAMILY_TITLES = {
    "contact": "Contact: 999, 101 and digital",
    "crime": "Crime",
    "mental_health": "Mental health (s.136)",
    "volunteers": "Volunteers: Special Constables and Community Policing Volunteers",
    "speedwatch": "Community Speedwatch",
}
#: months of history on sparklines and process charts
HISTORY_MONTHS = 24


class DistrictBackend:
    """An Ibis backend whose tables hold one district's rows (tables without a district
    column are left whole; :func:`by_district` tells which measures that affects)."""

    def __init__(self, backend: Any, district: str) -> None:
        self._backend = backend
        self._district = district

    def table(self, name: str, *args: Any, **kwargs: Any) -> Any:
        t = self._backend.table(name, *args, **kwargs)
        return t.filter(t.district == self._district) if "district" in t.columns else t

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def by_district(m: Measure) -> bool:
    """True when every table the measure reads records a district."""
    m = CATALOGUE[m.aggregate.of] if isinstance(m.aggregate, OfMonths) else m
    for t in m.source.tables:
        kind = KINDS.get(t)
        if kind is None or "district" not in {c.name for c in kind.columns}:
            return False
    return True


def source(store: Any, district: str | None) -> Any:
    return DistrictBackend(store.ibis, district) if district else store


def engine(store: Any, district: str | None = None) -> Engine:
    """An engine over the store (or one district of it) that answers additive measures from
    the monthly rollups when the store keeps them."""
    from ..measures import rollup

    hook = rollup.Rollups(store, district) if rollup.exists(store) else None
    return Engine(source(store, district), CATALOGUE, rollups=hook)


def clean(v: Any) -> Any:
    """A JSON-safe plain value: NaN and NA become None, numpy numbers plain numbers."""
    if v is None:
        return None
    if isinstance(v, float | int) and not isinstance(v, bool):
        return None if isinstance(v, float) and math.isnan(v) else v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item"):
        return v.item()
    return v


def rows_of(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): clean(v) for k, v in r.items()} for r in df.to_dict(orient="records")]


# -- store facts ---------------------------------------------------------------------------
def last_month(store: Any) -> date | None:
    """The latest month any contact or crime record falls in (the default period)."""
    best: date | None = None
    for row in store.status():
        if row["last_month"] and row["table"] in ("calls", "crimes", "chats", "digital_contacts"):
            m = date.fromisoformat(row["last_month"] + "-01")
            best = m if best is None or m > best else best
    if best is None:
        for row in store.status():
            if row["last_month"]:
                m = date.fromisoformat(row["last_month"] + "-01")
                best = m if best is None or m > best else best
    return best


def districts(store: Any) -> list[str]:
    """Every district named in the records, sorted."""
    found: set[str] = set()
    for kind in KINDS.values():
        if "district" in {c.name for c in kind.columns} and store.has_table(kind.name):
            q = f'SELECT DISTINCT district FROM "{kind.name}" WHERE district IS NOT NULL'
            found |= {str(r[0]) for r in store.rows(q)}
    return sorted(found)


# -- formatting ------------------------------------------------------------------------------
def shown(m: Measure, v: float | None) -> str:
    return format_value(v, m.unit, m.decimals or None)


def change_text(m: Measure, value: float | None, other: float | None) -> str | None:
    """A change as people read it: percentage points for percentages, a duration for times,
    a count with its percentage otherwise."""
    if value is None or other is None:
        return None
    d = value - other
    sign = "+" if d > 0 else "-" if d < 0 else "±"
    if m.unit == "percent":
        return f"{sign}{abs(d):.2f} pp"
    if m.unit == "seconds":
        if round(abs(d)) == 0:
            return "no change"
        return f"{sign}{format_duration(abs(d))}"
    pct = f" ({d / other * 100:+.1f}%)" if other else ""
    places = 1 if m.unit == "count/month" else 0
    return f"{sign}{abs(d):,.{places}f}{pct}"


def direction(m: Measure, value: float | None, other: float | None) -> str | None:
    """better, worse or same (None when the measure has no good direction or no values)."""
    if value is None or other is None or m.good is None:
        return None
    if value == other:
        return "same"
    return "better" if (value > other) == (m.good == "up") else "worse"


# -- series and process charts ----------------------------------------------------------------
def _charted(m: Measure) -> bool:
    """True when the measure has a monthly series to chart (sums and monthly figures)."""
    return m.additive or isinstance(m.aggregate, OfMonths)


def series(
    con: Any, m: Measure, end: date, months: int = HISTORY_MONTHS, engine: Engine | None = None
) -> list[dict[str, Any]]:
    """The measure's monthly values for ``months`` months to ``end`` (a month start)."""
    return many_series(con, [m], end, months, engine).get(m.key, [])


def many_series(
    con: Any,
    ms: list[Measure],
    end: date,
    months: int = HISTORY_MONTHS,
    engine: Engine | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Each measure's monthly values for ``months`` months to ``end`` (one evaluation)."""
    if not ms:
        return {}
    span = month_range(add_months(end, -(months - 1)), end)
    keys = [m.key for m in ms]
    df = evaluate(con, keys, span, "month", comparisons=False, records=False, engine=engine)
    labels = [(mo.isoformat(), f"{mo:%b %Y}") for mo in span.months()]
    out: dict[str, list[dict[str, Any]]] = {}
    for key in keys:
        values = df.loc[df["measure"] == key, "value"]
        points = [
            {"month": iso, "label": label, "value": clean(v)}
            for (iso, label), v in zip(labels, values, strict=True)
        ]
        # months before the records begin are not part of the process
        while points and points[0]["value"] is None:
            points.pop(0)
        out[key] = points
    return out


def process(m: Measure, points: list[dict[str, Any]]) -> dict[str, Any]:
    """XmR chart data and the Making Data Count icons for a monthly series."""
    known = [p for p in points if p["value"] is not None]
    x = spc.xmr([p["value"] for p in known])
    bench = load_benchmarks().get(m.benchmark) if m.benchmark else None
    marked = []
    for i, p in enumerate(known):
        why = x.reasons.get(i)
        marked.append(
            {
                **p,
                "special": why is not None,
                "cause": "special cause" if why else "common cause",
                "why": why or "",
                "shown": shown(m, p["value"]),
            }
        )
    variation = spc.variation(x, m.good)
    assurance = spc.assurance(
        x, bench.value if bench else None, bench.comparison if bench else None
    )
    return {
        "points": marked,
        "mean": x.mean,
        "lower": x.lower,
        "upper": x.upper,
        "special_months": [p["label"] for p in marked if p["special"]],
        "variation": variation,
        "variation_text": spc.VARIATION_TEXT[variation],
        "assurance": assurance,
        "assurance_text": spc.ASSURANCE_TEXT[assurance],
        "benchmark": bench.value if bench else None,
    }


# -- pages -----------------------------------------------------------------------------------
def _measures_for(keys: list[str], f: Filters) -> list[Measure]:
    ms = [CATALOGUE[k] for k in keys if k in CATALOGUE]
    if f.channel:
        ms = [m for m in ms if dict(m.slice).get("channel", f.channel) == f.channel]
    return ms


def tiles(
    store: Any, keys: list[str], f: Filters, eng: Engine | None = None
) -> list[dict[str, Any]]:
    """One tile per measure: value, changes, benchmark, sparkline and icons."""
    ms = _measures_for(keys, f)
    con = source(store, f.district)
    eng = eng or engine(store, f.district)
    usable = [m for m in ms if not f.district or by_district(m)]
    df = (
        evaluate(con, [m.key for m in usable], f.period, "total", engine=eng)
        if usable
        else pd.DataFrame()
    )
    by_key = {r["measure"]: r for r in rows_of(df)} if not df.empty else {}
    end = f.period.months()[-1]
    charted = [m for m in usable if m.key in by_key and _charted(m)]
    lines = many_series(con, charted, end, engine=eng)
    out = []
    for m in ms:
        r = by_key.get(m.key)
        if r is None:
            out.append(_tile_without(m, f))
            continue
        points = lines.get(m.key, [])
        proc = process(m, points)
        v, pv, lv = r["value"], r["previous_value"], r["last_year_value"]
        out.append(
            {
                "key": m.key,
                "label": m.label,
                "unit": m.unit,
                "family": m.family,
                "value": v,
                "shown": shown(m, v),
                "note": r["note"],
                "previous_period": r["previous_period"],
                "previous_value": pv,
                "previous_shown": shown(m, pv),
                "change": r["change"],
                "change_text": change_text(m, v, pv),
                "change_direction": direction(m, v, pv),
                "last_year_period": r["last_year_period"],
                "last_year_value": lv,
                "last_year_shown": shown(m, lv),
                "last_year_change": r["last_year_change"],
                "last_year_change_text": change_text(m, v, lv),
                "last_year_direction": direction(m, v, lv),
                "significance_note": r["significance_note"],
                "record": r["record"],
                "benchmark": r["benchmark"],
                "benchmark_shown": shown(m, r["benchmark"]) if r["benchmark"] is not None else None,
                "benchmark_status": r["benchmark_status"],
                "variation": proc["variation"],
                "variation_text": proc["variation_text"],
                "assurance": proc["assurance"],
                "assurance_text": proc["assurance_text"],
                "sparkline": charts.sparkline(points, f"{m.label}, last {len(points)} months"),
                "series": points,
            }
        )
    return out


def _tile_without(m: Measure, f: Filters) -> dict[str, Any]:
    note = "not recorded by district" if f.district and not by_district(m) else "no figure"
    return {
        "key": m.key,
        "label": m.label,
        "unit": m.unit,
        "family": m.family,
        "value": None,
        "shown": "n/a",
        "note": note,
        "series": [],
        "sparkline": None,
    }


def overview(store: Any, f: Filters, eng: Engine | None = None) -> dict[str, Any]:
    return {"tiles": tiles(store, list(HEADLINE), f, eng)}


def relations_of(m: Measure) -> list[dict[str, str]]:
    """What the catalogue says this measure is made of or shares with others."""
    out: list[dict[str, str]] = []
    declared = getattr(m, "relations", None)
    for rel in declared or ():
        text = getattr(rel, "text", None) or str(rel)
        out.append({"relation": text, "measure": getattr(rel, "measure", "")})
    if isinstance(m.aggregate, OfMonths):
        out.append(
            {"relation": f"{m.aggregate.how} of the monthly values of", "measure": m.aggregate.of}
        )
    for other in CATALOGUE.values():
        if isinstance(other.aggregate, OfMonths) and other.aggregate.of == m.key:
            out.append({"relation": f"its monthly {other.aggregate.how} is", "measure": other.key})
        elif other.key != m.key and other.source.name == m.source.name and other.slice == m.slice:
            out.append({"relation": "counted from the same records as", "measure": other.key})
    return out


def measure_page(store: Any, key: str, f: Filters, eng: Engine | None = None) -> dict[str, Any]:
    m = CATALOGUE[key]
    con = source(store, f.district)
    eng = eng or engine(store, f.district)
    bench = load_benchmarks().get(m.benchmark) if m.benchmark else None
    info = {
        "key": m.key,
        "label": m.label,
        "unit": m.unit,
        "family": m.family,
        "definition": m.definition,
        "decimals": m.decimals,
        "good": m.good,
        "benchmark": None
        if bench is None
        else {
            "value": bench.value,
            "comparison": bench.comparison,
            "label": bench.label,
            "source": bench.source,
        },
        "breakdowns": list(m.breakdowns),
        "relations": relations_of(m),
    }
    if f.district and not by_district(m):
        return {"measure": info, "note": "not recorded by district", "rows": [], "total": None}
    total = rows_of(evaluate(con, [key], f.period, "total", engine=eng))[0]
    table = (
        rows_of(evaluate(con, [key], f.period, f.grain, engine=eng))
        if f.grain != "total"
        else [total]
    )
    for r in table + [total]:
        r["shown"] = shown(m, r["value"])
        r["previous_shown"] = shown(m, r.get("previous_value"))
        r["last_year_shown"] = shown(m, r.get("last_year_value"))
        r["change_text"] = change_text(m, r["value"], r.get("previous_value"))
        r["last_year_change_text"] = change_text(m, r["value"], r.get("last_year_value"))
    end = f.period.months()[-1]
    points = (
        series(con, m, end, months=max(HISTORY_MONTHS, len(f.period.months())), engine=eng)
        if _charted(m)
        else []
    )
    proc = process(m, points)
    chart = (
        charts.xmr_chart(
            proc["points"], proc["mean"], proc["lower"], proc["upper"], m.label, proc["benchmark"]
        )
        if points
        else None
    )
    return {"measure": info, "total": total, "rows": table, "process": proc, "chart": chart}


def family_page(store: Any, family: str, f: Filters, eng: Engine | None = None) -> dict[str, Any]:
    keys = [m.key for m in CATALOGUE.values() if m.family == family]
    out: dict[str, Any] = {"family": family, "title": FAMILY_TITLES.get(family, family)}
    out["tiles"] = tiles(store, keys, f, eng)
    if family == "mental_health":
        out["s136_grid"] = s136_grid(store, f, eng)
    if family == "crime":
        out["breakdowns"] = crime_breakdowns(store, f)
    return out


def s136_grid(store: Any, f: Filters, eng: Engine | None = None) -> dict[str, Any]:
    """s.136 detentions by financial year (rows) and month (columns), as the board shows."""
    end = f.period.months()[-1]
    start = date(end.year - 5 if end.month >= 4 else end.year - 6, 4, 1)
    span = month_range(start, end)
    df = evaluate(
        source(store, f.district),
        ["s136_detentions"],
        span,
        "month",
        comparisons=False,
        records=False,
        engine=eng or engine(store, f.district),
    )
    months = ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
    grid: dict[str, dict[str, Any]] = {}
    for mo, v in zip(span.months(), df["value"], strict=True):
        fy = mo.year if mo.month >= 4 else mo.year - 1
        grid.setdefault(f"FY{fy}/{(fy + 1) % 100:02d}", {})[f"{mo:%b}"] = clean(v)
    rows = [
        {
            "year": y,
            "months": [vals.get(mn) for mn in months],
            "total": sum(v for v in vals.values() if v is not None),
        }
        for y, vals in grid.items()
        if any(v is not None for v in vals.values())
    ]
    return {"months": months, "rows": rows}


def crime_breakdowns(store: Any, f: Filters) -> list[dict[str, Any]]:
    """police.uk crimes by type (and the top LSOAs) when police.uk records are held."""
    from ..measures import breakdown

    out = []
    m = CATALOGUE.get("policeuk_crimes")
    if m is None or not store.has_table("policeuk_crimes"):
        return out
    for by in m.breakdowns:
        try:
            df = breakdown(store, m.key, f.period, by)
        except Exception:  # a breakdown the held records cannot answer: leave it out
            continue
        if df.empty:
            continue
        rows = rows_of(df.head(15))
        out.append(
            {
                "by": by,
                "rows": rows,
                "chart": charts.bars(
                    [{by: str(r[by]), "value": r["value"]} for r in rows],
                    by,
                    "value",
                    f"police.uk crimes by {by.replace('_', ' ')}",
                ),
            }
        )
    return out


def data_page(store: Any) -> dict[str, Any]:
    """Loads with their counts, quarantined rows by rule, coverage by month."""
    from ..ingest.quarantine import quarantine_summary

    loads = store.frame(
        "SELECT load_id, file, kind, loaded_at, read, loaded, quarantined, skipped_duplicates "
        "FROM load_log ORDER BY load_id DESC LIMIT 200"
    )
    coverage = []
    for kind in KINDS.values():
        if kind.month_sql and store.has_table(kind.name):
            q = f'SELECT month, count(*) FROM "{kind.name}" GROUP BY month ORDER BY month'
            counts = [(m, int(n)) for m, n in store.rows(q) if m is not None]
            if counts:
                coverage.append(
                    {
                        "table": kind.name,
                        "first": f"{counts[0][0]:%Y-%m}",
                        "last": f"{counts[-1][0]:%Y-%m}",
                        "months": len(counts),
                        "gaps": _gaps([m for m, _ in counts]),
                        "by_month": [{"month": f"{m:%Y-%m}", "rows": n} for m, n in counts],
                    }
                )
    return {
        "status": store.status(),
        "loads": rows_of(loads),
        "quarantine_summary": quarantine_summary(store),
        "coverage": coverage,
    }


def _gaps(months: list[date]) -> list[str]:
    have = set(months)
    out = []
    m = months[0]
    while m < months[-1]:
        if m not in have:
            out.append(f"{m:%Y-%m}")
        m = add_months(m, 1)
    return out


def catalogue() -> list[dict[str, Any]]:
    return [
        {
            "key": m.key,
            "label": m.label,
            "unit": m.unit,
            "family": m.family,
            "definition": m.definition,
            "good": m.good,
            "benchmark": m.benchmark,
            "decimals": m.decimals,
            "breakdowns": list(m.breakdowns),
            "by_district": by_district(m),
        }
        for m in CATALOGUE.values()
    ]


def period_info(p: Period) -> dict[str, Any]:
    return {
        "label": p.label,
        "grain": p.grain,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "months": [f"{m:%Y-%m}" for m in p.months()],
        "previous": p.previous().label,
        "same_period_last_year": p.same_period_last_year().label,
    }


__all__ = ["FAMILIES", "HEADLINE", "catalogue", "overview", "measure_page", "family_page"]
