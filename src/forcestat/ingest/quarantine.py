"""Reading back the quarantine: which records were rejected, where, and why (SQL written once:
it runs on a DuckDB or a PostgreSQL store)."""

from __future__ import annotations

from typing import Any

from ..store import Store


def list_quarantine(
    store: Store, limit: int | None = 100, kind: str | None = None, load_id: int | None = None
) -> list[dict[str, Any]]:
    """Quarantined records, most recent load first, in file order within a load."""
    where: list[str] = []
    params: list[object] = []
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if load_id is not None:
        where.append("load_id = ?")
        params.append(load_id)
    sql = (
        'SELECT load_id, file, kind, line, "column", rule, reason, raw, raw_length, raw_sha256 '
        "FROM quarantine"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY load_id DESC, file, line"
        + (f" LIMIT {int(limit)}" if limit is not None else "")
    )
    return store.records(sql, list(params))


def quarantine_summary(store: Store) -> list[dict[str, Any]]:
    """Quarantined records counted by kind and rule, most frequent first."""
    rows = store.rows(
        "SELECT kind, rule, count(*) AS n FROM quarantine GROUP BY kind, rule "
        "ORDER BY n DESC, kind, rule"
    )
    return [{"kind": k, "rule": r, "rows": int(n)} for k, r, n in rows]
