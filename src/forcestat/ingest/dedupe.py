"""Sorting valid records into new, exact duplicates and conflicts, by natural key.

:func:`classify` writes table ``_fs_fate`` with one row per valid record that is NOT simply
new (new records, the vast majority, are the ones absent from it, so a clean first load costs
one GROUP BY). Fates:

``file_duplicate``  same key and same content as an earlier record of the file: skipped.
``duplicate_key``   same key as another record of the file with different content: every
                    record of that key is quarantined (the file contradicts itself).
``stored``          key and content already in the store: skipped (so re-ingesting is a no-op).
``conflict``        key in the store with different content: quarantined, never overwritten.
``replace``         as ``conflict`` but with ``--replace``: the stored row is replaced and
                    both versions go to ``audit``.

Keys are compared as stored: text keys are trimmed of surrounding spaces at typing
(:func:`forcestat.ingest.validate.typed_expr`), so ``c03 `` and ``c03`` are one key everywhere.

Kinds whose key may be empty (police.uk anti-social behaviour rows have no Crime ID) are
identified by their full content instead, counting occurrences: identical ASB rows in one
file are separate incidents and all load; a file re-ingested skips as many identical rows as
the store already holds.

Kinds whose key repeats (``RecordKind.key_repeats``: police.uk gives a few distinct rows the
same Crime ID) identify every row by content in the same way, so a file loads as published;
the key then names a group of rows, and a later file whose group for a stored key differs is
a ``conflict``. With ``--replace``, rows of the group that the file repeats exactly stay as
they are; each changed row of the file replaces one stored row of the group that the file
does not repeat (paired in file order and stored order, written to ``_fs_pairs``); stored
rows left without a partner stay, and file rows left without one load as new rows. So a
correction never deletes a stored row it does not name.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ..schema import RecordKind
from .validate import ident

FATE = "_fs_fate"
DUPKEYS = "_fs_dupkeys"
PAIRS = "_fs_pairs"


@dataclass(frozen=True)
class Fates:
    total: int
    skipped: int
    replaced: int


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def classify(con: duckdb.DuckDBPyConnection, kind: RecordKind, rows: str, replace: bool) -> Fates:
    """Fill ``_fs_fate`` for the valid records of table ``rows``; see the module docstring."""
    con.execute(f"DROP TABLE IF EXISTS {FATE}")
    con.execute(f"CREATE TEMP TABLE {FATE} (_line BIGINT, fate VARCHAR, reason VARCHAR)")
    keys = [ident(k) for k in kind.key]
    keyed = "_err IS NULL AND " + " AND ".join(f"{k} IS NOT NULL" for k in keys)
    empty = " AND ".join(f"{k} IS NULL" for k in keys)
    target = ident(kind.name)
    stored = _count(con, f"SELECT count(*) FROM (SELECT 1 FROM {target} LIMIT 1)")
    if kind.key_repeats:  # every row is identified by its content; the key links versions
        if stored:
            _content_rows_against_store(con, kind, rows, "true")
            _repeated_keys_against_store(con, kind, rows, keys, keyed, replace)
    else:
        _within_file(con, kind, rows, keys, keyed)
        if stored:
            _against_store(con, kind, rows, keys, keyed, replace)
            if kind.key_may_be_empty:
                _content_rows_against_store(con, kind, rows, empty)
    counts = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE fate IN ('file_duplicate', 'stored')),
                   count(*) FILTER (WHERE fate = 'replace') FROM {FATE}"""
    ).fetchone()
    assert counts is not None
    return Fates(int(counts[0]), int(counts[1]), int(counts[2]))


def _key_text(alias: str, keys: list[str]) -> str:
    return " || '|' || ".join(f"CAST({alias}.{k} AS VARCHAR)" for k in keys)


def _within_file(
    con: duckdb.DuckDBPyConnection, kind: RecordKind, rows: str, keys: list[str], keyed: str
) -> None:
    con.execute(f"DROP TABLE IF EXISTS {DUPKEYS}")
    con.execute(
        f"CREATE TEMP TABLE {DUPKEYS} AS SELECT {', '.join(keys)}, count(*) AS n "
        f"FROM {rows} WHERE {keyed} GROUP BY ALL HAVING count(*) > 1"
    )
    if not _count(con, f"SELECT count(*) FROM {DUPKEYS}"):
        con.execute(f"DROP TABLE {DUPKEYS}")
        return
    content = "(" + ", ".join(f"r.{ident(c)}" for c in kind.column_names) + ")"
    on = " AND ".join(f"r.{k} = d.{k}" for k in keys)
    con.execute(
        f"""INSERT INTO {FATE}
        SELECT _line,
               CASE WHEN variants > 1 THEN 'duplicate_key' ELSE 'file_duplicate' END,
               CASE WHEN variants > 1 THEN 'key ' || key_text || ' appears ' || n
                    || ' times in this file with different values' END
        FROM (
            SELECT r._line, d.n, {_key_text("r", keys)} AS key_text,
                   row_number() OVER (PARTITION BY {", ".join("r." + k for k in keys)}
                                      ORDER BY r._line) AS occurrence,
                   count(DISTINCT {content}) OVER (PARTITION BY
                       {", ".join("r." + k for k in keys)}) AS variants
            FROM {rows} r JOIN {DUPKEYS} d ON {on}
            WHERE r._err IS NULL)
        WHERE variants > 1 OR occurrence > 1"""
    )
    con.execute(f"DROP TABLE {DUPKEYS}")


def _same_content(kind: RecordKind) -> str:
    return " AND ".join(
        f"r.{ident(c)} IS NOT DISTINCT FROM t.{ident(c)}" for c in kind.column_names
    )


def _against_store(
    con: duckdb.DuckDBPyConnection,
    kind: RecordKind,
    rows: str,
    keys: list[str],
    keyed: str,
    replace: bool,
) -> None:
    on = " AND ".join(f"r.{k} = t.{k}" for k in keys)
    different = "'replace'" if replace else "'conflict'"
    con.execute(
        f"""INSERT INTO {FATE}
        SELECT _line, CASE WHEN same THEN 'stored' ELSE {different} END,
               CASE WHEN NOT same THEN 'key ' || key_text || ' is already stored with '
                    || 'different values (ingest with --replace to correct it)' END
        FROM (
            SELECT r._line, any_value({_key_text("r", keys)}) AS key_text,
                   bool_or({_same_content(kind)}) AS same
            FROM (SELECT * FROM {rows} WHERE {keyed}
                  AND _line NOT IN (SELECT _line FROM {FATE})) r
            JOIN {ident(kind.name)} t ON {on}
            GROUP BY r._line)"""
    )


def _content_rows_against_store(
    con: duckdb.DuckDBPyConnection, kind: RecordKind, rows: str, which: str
) -> None:
    """Rows told apart by content (``which`` selects them: empty-key rows, or all rows of a
    kind whose key repeats): skip the n-th copy of a row when the store holds n copies."""
    cols = [ident(c) for c in kind.column_names]
    on = " AND ".join(f"r.{c} IS NOT DISTINCT FROM s.{c}" for c in cols)
    con.execute(
        f"""INSERT INTO {FATE}
        SELECT _line, 'stored', NULL FROM (
            SELECT r._line, row_number() OVER (PARTITION BY {", ".join("r." + c for c in cols)}
                                                ORDER BY r._line) AS occurrence, s.n
            FROM (SELECT * FROM {rows} WHERE _err IS NULL AND {which}) r
            JOIN (SELECT {", ".join(cols)}, count(*) AS n FROM {ident(kind.name)}
                  WHERE {which} GROUP BY ALL) s ON {on})
        WHERE occurrence <= n"""
    )


def _repeated_keys_against_store(
    con: duckdb.DuckDBPyConnection,
    kind: RecordKind,
    rows: str,
    keys: list[str],
    keyed: str,
    replace: bool,
) -> None:
    """A key that repeats names a group of rows. A file row that is not already stored but
    whose key is: a conflict; with ``--replace`` see :func:`_pair_changed_rows`."""
    on = " AND ".join(f"r.{k} = t.{k}" for k in keys)
    changed = f"""(SELECT DISTINCT {", ".join("r." + k for k in keys)}
        FROM (SELECT * FROM {rows} WHERE {keyed}
              AND _line NOT IN (SELECT _line FROM {FATE})) r
        WHERE EXISTS (SELECT 1 FROM {ident(kind.name)} t WHERE {on}))"""
    group = f"""SELECT r._line, {_key_text("r", keys)} AS key_text FROM {rows} r
        JOIN {changed} t ON {on} WHERE r._err IS NULL"""
    if replace:
        _pair_changed_rows(con, kind, rows, keys, changed)
        return
    con.execute(
        f"""INSERT INTO {FATE}
        SELECT _line, 'conflict', 'key ' || key_text || ' is already stored with different '
               || 'rows (ingest with --replace to correct it)'
        FROM ({group}) WHERE _line NOT IN (SELECT _line FROM {FATE})"""
    )


def _pair_changed_rows(
    con: duckdb.DuckDBPyConnection, kind: RecordKind, rows: str, keys: list[str], changed: str
) -> None:
    """For ``--replace`` of a kind whose key repeats: pair the file's new rows of each changed
    key with the stored rows of that key the file does not repeat, by order; paired file rows
    are ``replace`` and their partners go to ``_fs_pairs``."""
    cols = [ident(c) for c in kind.column_names]
    on = " AND ".join(f"x.{k} = c.{k}" for k in keys)
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM f.{c}" for c in cols)
    con.execute(f"DROP TABLE IF EXISTS {PAIRS}")
    con.execute(
        f"""CREATE TEMP TABLE {PAIRS} AS
        WITH fresh AS (
            SELECT x._line, {", ".join("x." + k for k in keys)},
                   row_number() OVER (PARTITION BY {", ".join("x." + k for k in keys)}
                                      ORDER BY x._line) AS rn
            FROM {rows} x JOIN {changed} c ON {on}
            WHERE x._err IS NULL AND x._line NOT IN (SELECT _line FROM {FATE})),
        copies AS (
            SELECT {", ".join(cols)}, count(*) AS m FROM {rows} x
            WHERE x._err IS NULL AND EXISTS (SELECT 1 FROM {changed} c WHERE {on})
            GROUP BY ALL),
        old AS (
            SELECT s._load_id, s._line, {", ".join("s." + k for k in keys)},
                   row_number() OVER (PARTITION BY {", ".join("s." + k for k in keys)}
                                      ORDER BY s._load_id, s._line) AS rn
            FROM (SELECT x.*, row_number() OVER (PARTITION BY {", ".join("x." + c for c in cols)}
                                                  ORDER BY x._load_id, x._line) AS occ
                  FROM {ident(kind.name)} x JOIN {changed} c ON {on}) s
            LEFT JOIN copies f ON {same}
            WHERE s.occ > coalesce(f.m, 0))
        SELECT fresh._line, old._load_id AS old_load_id, old._line AS old_line
        FROM fresh JOIN old ON {" AND ".join(f"fresh.{k} = old.{k}" for k in keys)}
                          AND fresh.rn = old.rn"""
    )
    con.execute(f"INSERT INTO {FATE} SELECT _line, 'replace', NULL FROM {PAIRS}")
