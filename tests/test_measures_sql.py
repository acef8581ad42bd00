"""The SQL each measure compiles to on DuckDB, kept as a snapshot.

A change to a measure, the engine or Ibis that changes a query shows up here as a diff to
read before accepting it. After an intended change, update every snapshot with one command::

    make snapshots        # = pytest tests/test_measures_sql.py --snapshot-update
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from forcestat.measures import CATALOGUE
from forcestat.measures.engine import Engine
from forcestat.periods import Period
from forcestat.store import Store

#: the period per-period measures (distinct counts, headcounts) are compiled for
PERIOD = Period(date(2022, 8, 1), date(2022, 11, 1), "range")


@pytest.fixture(scope="module")
def store() -> Any:
    s = Store.open(":memory:")
    yield s
    s.close()


def compiled_sql(store: Any, key: str) -> str:
    """The query the engine runs for one measure alone (its own group, or one period)."""
    m = CATALOGUE[key]
    eng = Engine(store, {key: m, **CATALOGUE})
    eng.plan([m])
    base = CATALOGUE[m.aggregate.of] if hasattr(m.aggregate, "of") else m
    group = eng._group(base)
    if group is not None:
        return str(eng.backend.compile(eng._monthly_query(group)))
    queries: list[str] = []

    def record_sql(expr: Any) -> Any:
        """Keep the SQL; answer as an empty table would, so the engine goes on."""
        import pandas as pd

        queries.append(str(eng.backend.compile(expr)))
        return pd.DataFrame([{"_first": None, "_last": None, "_rows": 0, m.key: 0}])

    eng.execute = record_sql  # type: ignore[method-assign]
    eng.per_period_values(m, [PERIOD])
    return "\n;\n".join(queries)


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_measure_sql(store: Any, key: str, snapshot: Any) -> None:
    assert compiled_sql(store, key) == snapshot
