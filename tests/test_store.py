"""The store: tables from the schemas, and the Ibis connection measures read through."""

from __future__ import annotations

import ibis
import pytest

from forcestat.schema import KINDS
from forcestat.store import Store, table_ddl


def test_every_kind_has_its_table_with_month_and_lineage(store):
    for kind in KINDS.values():
        columns = store.table(kind.name).columns
        assert set(kind.column_names) <= set(columns)
        assert {"_load_id", "_line"} <= set(columns)
        assert ("month" in columns) == (kind.month_sql is not None)


def test_ibis_create_and_drop_keep_the_table_name(store):
    # ibis-framework 12.0.0 with sqlglot >= 30.18 writes CREATE/DROP without the table name;
    # pyproject pins sqlglot<30.18 and this test fails if that regresses.
    con = store.ibis
    con.create_table("forcestat_probe", schema=ibis.schema({"n": "int64"}))
    assert "forcestat_probe" in con.list_tables()
    con.drop_table("forcestat_probe")
    assert "forcestat_probe" not in con.list_tables()


def test_reopening_a_store_keeps_its_rows(db_path):
    with Store.open(db_path) as s:
        s.duck.execute(
            "INSERT INTO s136_detentions (detention_id, detained_at, place_of_safety, month) "
            "VALUES ('d1', TIMESTAMP '2022-08-01 10:00:00', 'health', DATE '2022-08-01')"
        )
    with Store.open(db_path, read_only=True) as s:
        status = {r["table"]: r for r in s.status()}
    assert status["s136_detentions"]["rows"] == 1
    assert status["s136_detentions"]["first_month"] == "2022-08"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_table_ddl_is_idempotent(store, kind):
    store.duck.execute(table_ddl(KINDS[kind]))  # CREATE TABLE IF NOT EXISTS: no error twice
    assert store.has_table(kind)


def test_every_kind_has_its_derived_columns(store):
    for kind in KINDS.values():
        columns = store.table(kind.name).columns
        assert [d.name for d in kind.derived_columns] == [
            c for c in columns if c in {d.name for d in kind.derived_columns}
        ]
    assert {"queue_us", "talk_us"} <= set(store.table("calls").columns)
    assert "wait_us" in store.table("chats").columns


OLD_CALLS_DDL = """CREATE TABLE calls (call_id VARCHAR, channel VARCHAR, arrived_at TIMESTAMP,
    answered_at TIMESTAMP, ended_at TIMESTAMP, district VARCHAR, agent_id VARCHAR, month DATE,
    _load_id BIGINT, _line BIGINT)"""
OLD_CALLS = [
    # call, arrived, answered (None: not answered), ended
    ("c1", "2022-08-03 10:00:00", "2022-08-03 10:00:07.25", "2022-08-03 10:05:00"),
    ("c2", "2022-08-09 23:30:00", "2022-08-09 23:31:30", "2022-08-09 23:40:00"),
    ("c3", "2022-08-15 06:00:00", None, "2022-08-15 06:02:00"),
]


def _old_store(path):
    """A store file as forcestat wrote it before the calls' queue and talk times were stored."""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute(OLD_CALLS_DDL)
    for call_id, arrived, answered, ended in OLD_CALLS:
        con.execute(
            "INSERT INTO calls (call_id, channel, arrived_at, answered_at, ended_at, month)"
            " VALUES (?, '999', ?, ?, ?, DATE '2022-08-01')",
            [call_id, arrived, answered, ended],
        )
    con.close()


def test_opening_an_old_store_adds_and_fills_the_derived_columns(db_path):
    _old_store(db_path)
    with Store.open(db_path) as s:
        got = s.duck.execute("SELECT call_id, queue_us, talk_us FROM calls ORDER BY 1").fetchall()
    assert got == [
        ("c1", 7_250_000, (4 * 60 + 52.75) * 1e6),
        ("c2", 90_000_000, 510_000_000),
        ("c3", None, None),
    ]


def test_opening_an_old_store_adds_the_optional_columns_it_lacks_empty(db_path, tmp_path):
    from forcestat.ingest import ingest_file

    _old_store(db_path)  # made before calls had a priority column
    with Store.open(db_path) as s:
        assert s.duck.execute("SELECT count(*) FROM calls WHERE priority IS NULL").fetchone() == (
            3,
        )
        # and new records with a priority load into it
        f = tmp_path / "calls.csv"
        f.write_text(
            "call_id,channel,arrived_at,answered_at,ended_at,priority\n"
            "c4,101,2022-08-16T09:00:00+01:00,2022-08-16T09:01:00+01:00,"
            "2022-08-16T09:05:00+01:00,2\n"
        )
        r = ingest_file(s, f, kind="calls")
        assert r.loaded == 1
        got = s.duck.execute("SELECT priority, queue_us FROM calls WHERE call_id = 'c4'")
        assert got.fetchone() == (2, 60_000_000)


def test_measures_read_an_old_store_before_and_after_its_upgrade(db_path):
    from forcestat.measures import evaluate

    keys = ["calls_999_avg_queue_seconds", "calls_999_answered_under_10s"]
    _old_store(db_path)
    # read-only: the store cannot be upgraded, so the times come from the timestamps
    with Store.open(db_path, read_only=True) as s:
        assert "queue_us" not in s.table("calls").columns
        before = evaluate(s, keys, "2022-08", comparisons=False).set_index("measure").value
    with Store.open(db_path) as s:
        assert "queue_us" in s.table("calls").columns
        after = evaluate(s, keys, "2022-08", comparisons=False).set_index("measure").value
    expected_mean = (7.25 + 90) / 2
    assert before["calls_999_avg_queue_seconds"] == pytest.approx(expected_mean)
    assert after["calls_999_avg_queue_seconds"] == pytest.approx(expected_mean)
    assert before["calls_999_answered_under_10s"] == after["calls_999_answered_under_10s"] == 1


def test_ingest_fills_the_derived_columns(store, tmp_path):
    from forcestat.ingest import ingest_file

    path = tmp_path / "calls.csv"
    path.write_text(
        "call_id,channel,arrived_at,answered_at,ended_at\n"
        "a,999,2022-08-03T10:00:00+01:00,2022-08-03T10:00:04.5+01:00,2022-08-03T10:03:00+01:00\n"
        "b,101,2022-08-03T11:00:00+01:00,,2022-08-03T11:01:00+01:00\n"
    )
    assert ingest_file(store, path, kind="calls").loaded == 2
    got = store.duck.execute("SELECT call_id, queue_us, talk_us, month FROM calls ORDER BY 1")
    assert [r[:3] for r in got.fetchall()] == [("a", 4_500_000, 175_500_000), ("b", None, None)]


def test_fill_derived_recomputes_after_plain_sql_inserts(store):
    store.duck.execute(
        "INSERT INTO chats (chat_id, requested_at, accepted_at, ended_at) VALUES"
        " ('x', TIMESTAMP '2022-01-31 23:59:30', TIMESTAMP '2022-02-01 00:00:10',"
        " TIMESTAMP '2022-02-01 00:10:00')"
    )
    store.fill_derived("chats")
    row = store.duck.execute("SELECT wait_us, month FROM chats").fetchone()
    assert row is not None and row[0] == 40_000_000 and str(row[1]) == "2022-01-01"
