"""Monthly rollups: the engine's partial aggregates stored by month, slice and district.

Every additive measure is a sum of monthly partial aggregates (:mod:`.engine`), so a table of
those partials per month (and per district, the dimension the dashboard filters by) answers
any period's figures without reading the records again. One rollup table per engine group
(a store table and the columns its measures are sliced by), named ``rollup_<table>__<cols>``.

Ingest keeps the rollups of the tables it loads in step, inside the load's transaction, once a
store has them (:func:`refresh`); :func:`build` creates them (``forcestat serve`` does at
start). Distinct counts and headcounts do not add up across months and are not rolled up.

>>> from forcestat.store import Store
>>> s = Store.open(":memory:")
>>> sorted(build(s))[:2]
['rollup_calls__channel', 'rollup_chats']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..schema import KINDS
from .catalogue import CATALOGUE
from .engine import Engine, MonthlyGroup

PREFIX = "rollup_"
DISTRICT = "district"


def _groups(con: Any) -> list[MonthlyGroup]:
    """The engine groups of every additive measure whose source is one stored table."""
    eng = Engine(con, CATALOGUE)
    eng.plan([m for m in CATALOGUE.values() if m.additive])
    return [
        g
        for g in eng.groups.values()
        if len(g.source.tables) == 1 and g.source.month is None and g.source.tables[0] in KINDS
    ]


def table_name(g: MonthlyGroup) -> str:
    if len(g.source.tables) != 1 or g.source.month is not None:
        return ""  # not rolled up: a join, or months from another column
    suffix = "__" + "_".join(g.slice_cols) if g.slice_cols else ""
    return f"{PREFIX}{g.source.tables[0]}{suffix}"


def _has_district(table: str) -> bool:
    return DISTRICT in {c.name for c in KINDS[table].columns}


def _write(store: Any, g: MonthlyGroup) -> str:
    eng = Engine(store, CATALOGUE)
    extra = (DISTRICT,) if _has_district(g.source.tables[0]) else ()
    sql = str(eng.backend.compile(eng._monthly_query(g, extra)))
    name = table_name(g)
    store.duck.execute(f'CREATE OR REPLACE TABLE "{name}" AS {sql}')
    return name


def build(store: Any, tables: Iterable[str] | None = None) -> list[str]:
    """Create (or rebuild) the rollups of ``tables`` (default: every table); their names."""
    wanted = set(tables) if tables is not None else None
    return [
        _write(store, g)
        for g in _groups(store)
        if (wanted is None or g.source.tables[0] in wanted) and store.has_table(g.source.tables[0])
    ]


def exists(store: Any) -> bool:
    """True when the store keeps rollups. Only the DuckDB file does: a PostgreSQL store is
    written by several processes at once, and its measures read the records."""
    if getattr(store, "backend", "duckdb") != "duckdb":
        return False
    q = "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE ?"
    row = store.duck.execute(q, [PREFIX + "%"]).fetchone()
    return bool(row and row[0])


def refresh(store: Any, tables: Iterable[str]) -> list[str]:
    """Rebuild the rollups of ``tables`` if the store keeps rollups (ingest calls this inside
    its transaction, so rows and rollups change together)."""
    return build(store, tables) if exists(store) else []


class Rollups:
    """The engine's ``rollups`` hook: a group's monthly frame from its rollup table, for the
    whole force or one district; None when the rollup is missing or lacks a partial."""

    def __init__(self, store: Any, district: str | None = None) -> None:
        self.store = store
        self.district = district
        q = "SELECT table_name, column_name FROM information_schema.columns WHERE table_name LIKE ?"
        self.columns: dict[str, set[str]] = {}
        for t, c in store.duck.execute(q, [PREFIX + "%"]).fetchall():
            self.columns.setdefault(str(t), set()).add(str(c))

    def __call__(self, g: MonthlyGroup) -> pd.DataFrame | None:
        if len(g.source.tables) != 1 or g.source.month is not None:
            return None
        name = table_name(g)
        have = self.columns.get(name)
        if have is None or not set(g.partials) <= have:
            return None
        keys = ["_m", *g.slice_cols]
        where, args = "", []
        # records that hold no district stay whole, as a district-filtered backend leaves them
        if self.district is not None and DISTRICT in have:
            where, args = f' WHERE "{DISTRICT}" = ?', [self.district]
        cols = ", ".join(f'"{k}"' for k in keys)
        sums = ", ".join(f'sum("{p}") AS "{p}"' for p in g.partials)
        sql = f'SELECT {cols}, {sums} FROM "{name}"{where} GROUP BY ALL ORDER BY {cols}'
        return self.store.duck.execute(sql, args).df()
