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
