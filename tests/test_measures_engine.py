"""The engine: bounded queries, properties that hold for any records, and the catalogue walk."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.measures.loader import load_records
from forcestat.measures import CATALOGUE, evaluate
from forcestat.measures.base import UNITS
from forcestat.measures.docs import render
from forcestat.store import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fx():
    s = Store.open(":memory:")
    load_records(s)
    yield s
    s.close()


class CountingBackend:
    """An Ibis backend that counts the queries run through it."""

    def __init__(self, backend):
        self.backend = backend
        self.queries = 0

    def table(self, name):
        return self.backend.table(name)

    def list_tables(self):
        return self.backend.list_tables()

    def execute(self, expr, **kwargs):
        self.queries += 1
        return self.backend.execute(expr, **kwargs)


def test_one_query_per_source_table_for_many_measures_and_periods(fx):
    keys = [k for k, m in CATALOGUE.items() if m.family in ("contact", "mental_health")]
    counting = CountingBackend(fx.ibis)
    df = evaluate(counting, keys, "2021-04..2022-05", "month")
    assert len(df) == len(keys) * 14
    # calls, digital_contacts, online_crime_reports, chats, s136_detentions: one query each,
    # covering 14 months, their previous and last-year periods and the record history
    assert counting.queries == 5


def test_per_period_measures_share_one_query_per_source_and_period(fx):
    keys = [k for k, m in CATALOGUE.items() if m.family == "volunteers" and m.per_period]
    counting = CountingBackend(fx.ibis)
    evaluate(counting, keys, "2022-10-31", comparisons=False)
    # every headcount at one date on one source (volunteers, applications to the regular
    # force, CPV duties): one aggregate per source
    sources = {CATALOGUE[k].source.name for k in keys}
    assert len(sources) == 3
    assert counting.queries == len(sources)


def test_catalogue_walk_every_measure_is_documented_and_runs(fx):
    docs = (ROOT / "docs" / "measures.md").read_text()
    df = evaluate(fx, None, "2022-08..2022-10", comparisons=False)
    ran = set(df.measure)
    for key, m in CATALOGUE.items():
        assert m.unit in UNITS, key
        assert len(m.definition) > 20, key
        assert m.label, key
        assert f"### `{key}`" in docs, f"{key} missing from docs/measures.md"
        assert key in ran


def test_docs_measures_md_is_up_to_date():
    current = (ROOT / "docs" / "measures.md").read_text()
    assert current == render(), "run: python -m forcestat.measures.docs docs/measures.md"


# -- properties, on random calls in FY2022/23 -------------------------------------------------
FY_START = datetime(2022, 3, 31, 23, 0)  # 00:00 BST on 1 April 2022, in UTC

call = st.tuples(
    st.sampled_from(["999", "101"]),
    st.integers(0, 364 * 24 * 60 - 1),  # minute of the financial year it arrives
    st.one_of(st.none(), st.floats(0, 900, allow_nan=False)),  # queue seconds, None: no answer
    st.floats(1, 600, allow_nan=False),  # talk (or abandon) seconds
)


@pytest.fixture(scope="module")
def scratch():
    s = Store.open(":memory:")
    yield s
    s.close()


def _load(store, calls):
    """Random calls, plus one in the year's first and last minute so every month is covered
    (a month outside the stored span would be missing, not zero)."""
    store.duck.execute("DELETE FROM calls")
    calls = [("999", 0, 5.0, 60.0), *calls, ("101", 364 * 24 * 60 - 1, None, 30.0)]
    rows = []
    for i, (ch, minute, queue, talk) in enumerate(calls):
        arrived = FY_START + timedelta(minutes=minute)
        answered = arrived + timedelta(seconds=queue) if queue is not None else None
        ended = (answered or arrived) + timedelta(seconds=talk)
        rows.append((f"c{i}", ch, arrived, answered, ended))
    if rows:
        store.duck.executemany(
            "INSERT INTO calls (call_id, channel, arrived_at, answered_at, ended_at)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    store.fill_derived("calls")


def _values(store, keys, period, grain="total"):
    df = evaluate(store, keys, period, grain, comparisons=False)
    return df


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(call, min_size=1, max_size=40))
def test_properties_hold_for_any_calls(scratch, calls):
    _load(scratch, calls)
    counts = [f"calls_{c}_{x}" for c in ("999", "101") for x in ("received", "answered")]
    bands = [f"calls_999_{b}" for b in ("answered_under_10s", "answered_10_to_60s")]
    bands.append("calls_999_answered_60s_plus")
    rates = [f"calls_{c}_{x}" for c in ("999", "101") for x in ("pct_not_answered",)]
    rates.append("calls_999_pct_answered_within_10s")
    keys = counts + bands + rates
    fy = _values(scratch, keys, "FY2022/23").set_index("measure").value
    months = _values(scratch, keys, "FY2022/23", "month")
    # a financial year equals the sum of its months (for counts); months fill the year
    for k in counts:
        assert months[months.measure == k].value.sum() == fy[k]
    # year to date never exceeds the year
    ytd = _values(scratch, counts, "FY2022/23 to 2022-09").set_index("measure").value
    for k in counts:
        assert ytd[k] <= fy[k]
    # bands sum to answered
    assert sum(fy[b] for b in bands) == fy["calls_999_answered"]
    # rates are percentages
    for k in rates:
        v = fy[k]
        assert v != v or 0 <= v <= 100


@pytest.mark.parametrize(
    "module",
    ["compare", "records", "format", "catalogue"],
)
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"forcestat.measures.{module}")
    assert doctest.testmod(mod).failed == 0


def test_a_shared_engine_runs_again_when_asked_for_more(fx):
    from forcestat.measures import Engine

    engine = Engine(fx, CATALOGUE)
    first = evaluate(fx, ["calls_999_received"], "2022-04", engine=engine)
    more = evaluate(fx, ["calls_101_avg_queue_seconds"], "2022-04", engine=engine)
    again = evaluate(fx, ["calls_999_received"], "2022-05", engine=engine)
    assert (first.value.iloc[0], more.value.iloc[0], again.value.iloc[0]) == (4, 600, 1)
    assert engine.queries == 2  # the second measure needed new partials; the third did not


@pytest.mark.parametrize("dialect", ["postgres", "snowflake", "bigquery", "trino"])
def test_the_catalogue_compiles_for_other_sql_backends(dialect):
    """Measures are Ibis expressions: every monthly query translates to other engines' SQL."""
    import ibis

    from forcestat.measures import Engine

    with Store.open(":memory:") as s:
        engine = Engine(s, CATALOGUE)
        engine.plan(CATALOGUE.values())
        for group in engine.groups.values():
            sql = ibis.to_sql(engine._monthly_query(group), dialect=dialect)
            assert "GROUP BY" in sql.upper()


def test_any_ibis_duckdb_backend_not_only_a_store(fx):
    """evaluate() takes a plain Ibis connection holding the tables (here a second database)."""
    import ibis

    other = ibis.duckdb.connect()
    for name in ("calls", "crimes"):
        other.create_table(name, fx.duck.execute(f"SELECT * FROM {name}").to_arrow_table())
    keys = ["calls_999_received", "calls_999_avg_queue_seconds", "cancelled_crime_pct"]
    mine = evaluate(fx, keys, "2022-04..2022-08", comparisons=False)
    theirs = evaluate(other, keys, "2022-04..2022-08", comparisons=False)
    assert list(theirs.value) == list(mine.value)


def test_every_seed_figure_from_records_has_a_catalogue_key(seed_figures):
    import csv

    with open(seed_figures, newline="") as f:
        keys = {row["measure"] for row in csv.DictReader(f)}
    # the number of districts comes from the force profile, the benchmark from the registry;
    # school officers and schools covered are counted from school_officer_assignments
    not_from_records = {"districts"}
    assert keys - set(CATALOGUE) - not_from_records == {"benchmark_999_pct_not_answered"}
