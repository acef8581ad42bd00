"""The police.uk section: crime by month and type, the top LSOAs, outcomes, stop and search.

:func:`collect_policeuk` asks the measures catalogue for every figure (monthly values and
breakdowns of the police.uk measures) when the store holds police.uk records for the period;
:func:`policeuk_section` lays them out. As elsewhere, no figure is computed here. In the
public edition each count from 1 to 4 prints as ``<5``; in a table listing every category
(whose total the report gives), one more cell is withheld (``[c]``) so the small one cannot be
worked out by subtraction, and a share or rate that would give a small count back is withheld.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from ..periods import Period
from . import charts, narrative
from .figures import format_value, month_name
from .spec import Section, TableSpec
from .suppress import THRESHOLD, UNDER_FIVE, WITHHELD

TABLES = ("policeuk_street", "policeuk_outcomes", "policeuk_stop_search")
MONTHLY = ("policeuk_crimes", "policeuk_asb", "policeuk_searches", "policeuk_search_arrest_pct")
TOTALS = (
    "policeuk_crimes",
    "policeuk_asb",
    "policeuk_outcomes",
    "policeuk_charged_pct",
    "policeuk_searches",
    "policeuk_search_arrest_pct",
    "policeuk_search_linked_pct",
)
BREAKDOWNS = (
    ("policeuk_crimes", "crime_type"),
    ("policeuk_crimes", "lsoa_code"),
    ("policeuk_outcomes", "outcome_type"),
    ("policeuk_searches", "legislation"),
    ("policeuk_searches", "object_of_search"),
    ("policeuk_searches", "outcome"),
)
TOP_LSOAS = 10


@dataclass(frozen=True)
class PoliceUkFigures:
    """police.uk figures for one period: which tables hold records, monthly values, period
    totals, breakdowns (measure, column) -> frame, LSOA names and the force named in them."""

    period: Period
    held: tuple[str, ...]
    monthly: dict[str, list[float | None]] = field(default_factory=dict)
    totals: dict[str, float | None] = field(default_factory=dict)
    by: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    lsoa_names: dict[str, str] = field(default_factory=dict)
    force: str | None = None

    @property
    def months(self) -> list[date]:
        return self.period.months()


def policeuk_measures(pf: PoliceUkFigures) -> list[str]:
    """The catalogue keys the section shows (for the definitions appendix)."""
    keys = [*pf.monthly, *pf.totals, *(k for k, _ in pf.by)]
    return list(dict.fromkeys(keys))


def held_tables(store: Any, period: Period) -> tuple[str, ...]:
    """The police.uk tables holding records for a month of ``period``."""
    query = getattr(store, "rows", None)  # a DuckDB or PostgreSQL store's SQL
    if query is None:
        return ()
    first, last = period.months()[0], period.months()[-1]
    held = []
    for t in TABLES:
        if not store.has_table(t):  # an older store without the table
            continue
        rows = query(
            f'SELECT count(*) FROM (SELECT 1 FROM "{t}" WHERE month BETWEEN ? AND ? LIMIT 1) x',
            [first, last],
        )
        if rows and rows[0][0]:
            held.append(t)
    return tuple(held)


def force_named(store: Any, period: Period | None = None) -> str | None:
    """The force police.uk names in the records (the commonest ``Falls within``), or None."""
    query = getattr(store, "rows", None)  # a DuckDB or PostgreSQL store's SQL
    if query is None:
        return None
    where, params = "falls_within IS NOT NULL", []
    if period is not None:
        where += " AND month BETWEEN ? AND ?"
        params = [period.months()[0], period.months()[-1]]
    for table in ("policeuk_street", "policeuk_outcomes"):
        if not store.has_table(table):
            continue
        rows = query(
            f'SELECT falls_within FROM "{table}" WHERE {where} '
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
            params,
        )
        if rows:
            return str(rows[0][0])
    return None


def collect_policeuk(store: Any, period: Period) -> PoliceUkFigures | None:
    """Every police.uk figure the section shows, or None when the period holds none."""
    held = held_tables(store, period)
    if not held:
        return None
    from ..measures import breakdown, evaluate
    from ..measures.catalogue import CATALOGUE

    def needs(key: str) -> bool:
        return all(t in held for t in CATALOGUE[key].source.tables)

    monthly_keys = [k for k in MONTHLY if needs(k)]
    total_keys = [k for k in TOTALS if needs(k)]
    monthly: dict[str, list[float | None]] = {}
    if monthly_keys:
        df = evaluate(store, monthly_keys, period, grain="month", comparisons=False, records=False)
        for key in monthly_keys:
            values = df[df["measure"] == key]["value"].tolist()
            monthly[key] = [None if pd.isna(v) else float(v) for v in values]
    totals: dict[str, float | None] = {}
    if total_keys:
        df = evaluate(store, total_keys, period, grain="total", comparisons=False, records=False)
        for _, r in df.iterrows():
            totals[str(r["measure"])] = None if pd.isna(r["value"]) else float(r["value"])
    by = {(k, c): breakdown(store, k, period, c) for k, c in BREAKDOWNS if needs(k)}
    return PoliceUkFigures(
        period=period,
        held=held,
        monthly=monthly,
        totals=totals,
        by=by,
        lsoa_names=_lsoa_names(store, period) if "policeuk_street" in held else {},
        force=force_named(store, period),
    )


def _lsoa_names(store: Any, period: Period) -> dict[str, str]:
    # min(), not any_value(): PostgreSQL has it only from 16 (a code has one name anyway)
    rows = store.rows(
        "SELECT lsoa_code, min(lsoa_name) FROM policeuk_street "
        "WHERE lsoa_code IS NOT NULL AND month BETWEEN ? AND ? GROUP BY 1",
        [period.months()[0], period.months()[-1]],
    )
    return {str(c): str(n) for c, n in rows}


# -- public-edition cells ----------------------------------------------------------------------
def _count(v: float | None, public: bool) -> str:
    if v is None:
        return format_value(None, "count")
    if public and 0 < v < THRESHOLD:
        return UNDER_FIVE.mark
    return format_value(v, "count")


def _pct(v: float | None, decimals: int = 1) -> str:
    return format_value(v, "percent", decimals)


def _category_rows(
    df: pd.DataFrame, col: str, public: bool, names: dict[str, str] | None = None
) -> list[tuple[str, tuple[str, ...]]]:
    """(category, (count, share)) for every row; in the public edition small counts are
    ``<5`` and, when exactly one is, the next smallest count is withheld too."""
    values = [float(v) for v in df["value"]]
    small = [i for i, v in enumerate(values) if public and 0 < v < THRESHOLD]
    withheld: set[int] = set()
    if len(small) == 1 and len(values) > 1:
        others = [i for i in range(len(values)) if i not in small and values[i] > 0]
        if others:
            withheld.add(min(others, key=lambda i: values[i]))
    rows: list[tuple[str, tuple[str, ...]]] = []
    for i, (label, v, share) in enumerate(zip(df[col], values, df["share"], strict=True)):
        cells: tuple[str, ...]
        if i in small:
            cells = (UNDER_FIVE.mark, WITHHELD.mark)
        elif i in withheld:
            cells = (WITHHELD.mark, WITHHELD.mark)
        else:
            cells = (format_value(v, "count"), _pct(float(share)))
        name = f"{label} {names[label]}" if names and label in names else str(label)
        rows.append((name, cells))
    return rows


# -- the section -------------------------------------------------------------------------------
def policeuk_section(pf: PoliceUkFigures, *, public: bool = False) -> Section:
    """The police.uk section for the period's records."""
    months = pf.months
    span = narrative.span_phrase(months[0], months[-1])
    sec = Section("policeuk", "Crime, Outcomes and Stop and Search (police.uk)")
    sec = sec.add_paragraph(
        "Figures in this section come from the street-level crime, outcome and stop-and-search "
        "files the force publishes on data.police.uk, as loaded into the store. A month with "
        "no file is shown as missing, not as zero."
    )
    if "policeuk_street" in pf.held:
        sec = _street(sec, pf, span, public)
    if "policeuk_outcomes" in pf.held:
        sec = _outcomes(sec, pf, span, public)
    if "policeuk_stop_search" in pf.held:
        sec = _searches(sec, pf, span, public)
    return sec


def _monthly_table(pf: PoliceUkFigures, public: bool) -> TableSpec:
    rows = []
    labels = {
        "policeuk_crimes": "Crimes",
        "policeuk_asb": "Anti-social behaviour",
        "policeuk_searches": "Stop and searches",
    }
    for key, label in labels.items():
        if key in pf.monthly:
            rows.append((label, tuple(_count(v, public) for v in pf.monthly[key])))
    if "policeuk_search_arrest_pct" in pf.monthly:
        searches = pf.monthly.get("policeuk_searches", [])
        cells = []
        for v, n in zip(pf.monthly["policeuk_search_arrest_pct"], searches, strict=False):
            arrests = None if v is None or n is None else round(v * n / 100)
            hide = public and (n is not None and n < THRESHOLD or (arrests or 0) in range(1, 5))
            cells.append(WITHHELD.mark if hide and v is not None else _pct(v))
        rows.append(("Searches ending in arrest (%)", tuple(cells)))
    return TableSpec(
        caption="police.uk records by month",
        columns=tuple(month_name(m, short=True) for m in pf.months),
        rows=tuple(rows),
        id="t-policeuk-months",
        compact=len(pf.months) > 6,
    )


def _street(sec: Section, pf: PoliceUkFigures, span: str, public: bool) -> Section:
    t = pf.totals
    crimes, asb = t.get("policeuk_crimes"), t.get("policeuk_asb")
    who = f" for {pf.force}" if pf.force else ""
    if crimes is not None:
        asb_words = (
            f" and {_count(asb, public)} anti-social behaviour incidents" if asb is not None else ""
        )
        sec = sec.add_paragraph(
            f"Over {span}, police.uk lists {_count(crimes, public)} crimes{asb_words}{who}."
        )
    sec = sec.add_table(_monthly_table(pf, public))
    if len(pf.months) > 1:
        series = {
            "Crimes": pf.monthly.get("policeuk_crimes", []),
            "Anti-social behaviour": pf.monthly.get("policeuk_asb", []),
        }
        if not public:
            sec = sec.add_chart(
                charts.monthly_lines(
                    "Crimes and anti-social behaviour by month (police.uk)",
                    pf.months,
                    {k: v for k, v in series.items() if v},
                    y_title="Records",
                    alt_text=(
                        f"Monthly police.uk crimes and anti-social behaviour incidents over {span}."
                    ),
                    chart_id="c-policeuk-months",
                )
            )
    types = pf.by.get(("policeuk_crimes", "crime_type"))
    if types is not None and not types.empty:
        sec = sec.add_heading("Crime by type")
        top = types.iloc[0]
        sec = sec.add_paragraph(
            f"The commonest crime type over the period is {top['crime_type']}"
            + (
                f", {_pct(float(top['share']))} of crimes."
                if not public or top["value"] >= THRESHOLD
                else "."
            )
        )
        sec = sec.add_table(
            TableSpec(
                caption="Crimes by type (police.uk)",
                columns=("Crimes", "Share"),
                rows=tuple(_category_rows(types, "crime_type", public)),
                stub_header="Crime type",
                id="t-policeuk-types",
            )
        )
    lsoas = pf.by.get(("policeuk_crimes", "lsoa_code"))
    if lsoas is not None and not lsoas.empty:
        top = lsoas.dropna(subset=["lsoa_code"]).head(TOP_LSOAS)
        # a top-10 list leaves the rest out, so no cell can be worked out by subtraction
        rows = [
            (
                f"{code} {pf.lsoa_names.get(str(code), '')}".strip(),
                (
                    _count(float(v), public),
                    _pct(float(s)) if not public or v >= THRESHOLD else "[c]",
                ),
            )
            for code, v, s in zip(top["lsoa_code"], top["value"], top["share"], strict=True)
        ]
        sec = sec.add_heading("Areas with the most crime")
        sec = sec.add_table(
            TableSpec(
                caption=f"The {len(rows)} LSOAs with the most crimes (police.uk)",
                columns=("Crimes", "Share"),
                rows=tuple(rows),
                stub_header="LSOA",
                id="t-policeuk-lsoas",
                note="LSOA: Lower layer Super Output Area, a census area of about 1,500 "
                "residents. Crimes with no location have no LSOA.",
            )
        )
    return sec


def _outcomes(sec: Section, pf: PoliceUkFigures, span: str, public: bool) -> Section:
    sec = sec.add_heading("Outcomes")
    charged = pf.totals.get("policeuk_charged_pct")
    if charged is not None:
        sec = sec.add_paragraph(
            f"Of the crimes recorded over {span}, {_pct(charged)} have an outcome of a charge "
            "or summons in the outcome files held (outcomes follow crimes by months, so "
            "this share rises as later files are loaded)."
        )
    df = pf.by.get(("policeuk_outcomes", "outcome_type"))
    if df is not None and not df.empty:
        sec = sec.add_table(
            TableSpec(
                caption="Outcomes recorded in the period, by category (police.uk)",
                columns=("Outcomes", "Share"),
                rows=tuple(_category_rows(df, "outcome_type", public)),
                stub_header="Outcome",
                id="t-policeuk-outcomes",
                align="right",
            )
        )
    return sec


def _searches(sec: Section, pf: PoliceUkFigures, span: str, public: bool) -> Section:
    t = pf.totals
    sec = sec.add_heading("Stop and search")
    n = t.get("policeuk_searches")
    arrest, linked = t.get("policeuk_search_arrest_pct"), t.get("policeuk_search_linked_pct")
    if n is not None:
        parts = [f"Over {span}, {_count(n, public)} stop and searches are recorded"]
        big = not public or n >= THRESHOLD
        if arrest is not None and big:
            parts.append(f"{_pct(arrest)} ended in arrest")
        if linked is not None and big:
            parts.append(f"in {_pct(linked)} the outcome was linked to the object of the search")
        sec = sec.add_paragraph("; ".join(parts) + ".")
    titles = {
        "legislation": ("Searches by legislation (police.uk)", "Legislation"),
        "object_of_search": ("Searches by object of search (police.uk)", "Object of search"),
        "outcome": ("Searches by outcome (police.uk)", "Outcome"),
    }
    for col, (caption, stub) in titles.items():
        df = pf.by.get(("policeuk_searches", col))
        if df is None or df.empty:
            continue
        df = df.assign(**{col: df[col].fillna("Not recorded")})
        sec = sec.add_table(
            TableSpec(
                caption=caption,
                columns=("Searches", "Share"),
                rows=tuple(_category_rows(df, col, public)),
                stub_header=stub,
                id=f"t-policeuk-search-{col.replace('_', '-')}",
            )
        )
    return sec
