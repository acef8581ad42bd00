"""The store on PostgreSQL: the same tables as the DuckDB file, written by several processes.

Tables are created from the record kinds' schemas (the DuckDB DDL of :mod:`forcestat.store`
translated by sqlglot), with an index on each kind's natural key for ingest's duplicate and
conflict checks, and a sequence numbering loads (several processes may ingest at once: each
load takes the next number, and loads of one kind take turns on a transaction-level advisory
lock while they compare with the stored rows; readers never wait, see docs/deploy.md).

Ingest into PostgreSQL is :func:`forcestat.ingest.postgres.ingest_paths`.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from ..access import ensure_access_schema
from ..errors import StoreOpenError, StoreVersionError
from ..schema import KINDS, RecordKind
from ..schema.workflow import WORKFLOW_DDL
from ..store import META_ADDED, META_DDL, STORE_FORMAT, table_ddl
from . import dialect_sql, missing_extra, redact

LOAD_ID_SEQUENCE = "forcestat_load_id"
#: advisory-lock key space: hashtext('forcestat:' || name)
LOCK_PREFIX = "forcestat:"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise missing_extra("postgres", "psycopg") from None
    return psycopg


def connect(url: str, *, autocommit: bool = True) -> Any:
    """A psycopg 3 connection in UTC; StoreError (one line, password hidden) if it fails."""
    psycopg = _psycopg()
    url = "postgresql://" + url.split("://", 1)[1]
    try:
        con = psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.Error as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StoreOpenError(f"cannot open store {redact(url)}: {first}") from None
    with con.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
    if not autocommit:
        con.commit()
    return con


def _pg_type(duckdb_type: str) -> str:
    """PostgreSQL's name for a DuckDB column type (DOUBLE -> DOUBLE PRECISION, BLOB -> BYTEA)."""
    cast = dialect_sql(f"CAST(NULL AS {duckdb_type})", "postgres")
    return cast.removeprefix("CAST(NULL AS ").removesuffix(")")


@lru_cache(maxsize=1024)
def pg_sql(sql: str, placeholders: bool = True) -> str:
    """SQL written for DuckDB (``?`` placeholders) as PostgreSQL runs it through psycopg
    (``%s`` placeholders; with placeholders, a literal ``%`` doubled).

    >>> pg_sql("SELECT name FROM users WHERE name LIKE 'a%' AND role = ?")
    "SELECT name FROM users WHERE name LIKE 'a%%' AND role = %s"
    """
    out = dialect_sql(sql, "postgres")
    return re.sub(r"%(?!s\b)", "%%", out) if placeholders else out


def lock_sql(name: str) -> str:
    """SQL taking the transaction-level advisory lock called ``name``."""
    return f"SELECT pg_advisory_xact_lock(hashtext('{LOCK_PREFIX}{name}'))"


class PostgresStore:
    """An open forcestat store on PostgreSQL.

    ``pg`` is a psycopg 3 connection in autocommit mode (bookkeeping, status); ingest opens
    its own transactions on it. ``ibis`` is a second connection as an Ibis backend, which
    the measures read.
    """

    backend = "postgres"

    def __init__(self, url: str, pg: Any) -> None:
        self.url = url
        self.path = redact(url)  # how messages name the store
        self.pg = pg
        self._ibis: Any = None
        self._watch: Any = None  # a connection of its own for version(): never waits
        self._watch_lock = threading.Lock()

    @classmethod
    def open(cls, url: str, *, read_only: bool = False) -> PostgresStore:
        store = cls(url, connect(url))
        try:
            store.check_format()
            if not read_only:
                store.ensure_schema()
        except BaseException:
            store.close()
            raise
        return store

    def check_format(self) -> None:
        """Refuse a store written by a newer forcestat (as the DuckDB store does)."""
        if not self.has_table("forcestat_meta"):
            return
        rows = self.fetch("SELECT value FROM forcestat_meta WHERE key = 'store_format'")
        found = int(rows[0][0]) if rows and str(rows[0][0]).isdigit() else 0
        if found > STORE_FORMAT:
            raise StoreVersionError(
                f"store {self.path} was written by a newer forcestat (store format {found};"
                f" this forcestat reads up to {STORE_FORMAT}): upgrade forcestat to use it"
            )

    # -- schema ----------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create every table, index and the load sequence if missing, and add (and fill)
        derived columns that a store made by an older forcestat lacks. One transaction,
        serialised with other processes doing the same."""
        with self.pg.transaction(), self.pg.cursor() as cur:
            cur.execute(lock_sql("schema"))
            stored = self._stored_columns(cur)
            for kind in KINDS.values():
                cur.execute(dialect_sql(table_ddl(kind), "postgres"))
                if kind.name in stored:
                    self._add_missing_derived(cur, kind, stored[kind.name])
                keys = ", ".join(f'"{k}"' for k in kind.key)
                cur.execute(
                    f'CREATE INDEX IF NOT EXISTS "{kind.name}_key" ON "{kind.name}" ({keys})'
                )
            for ddl in (*META_DDL.values(), *WORKFLOW_DDL.values()):
                cur.execute(dialect_sql(ddl, "postgres"))
            for table, columns in META_ADDED.items():
                have = stored.get(table, set())
                for name, sql_type in columns:
                    if name not in have:
                        cur.execute(
                            f'ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "{name}" '
                            f"{_pg_type(sql_type)}"
                        )
            ensure_access_schema(self)  # on the same connection: in this transaction
            cur.execute("CREATE INDEX IF NOT EXISTS quarantine_load ON quarantine (load_id, line)")
            cur.execute(
                "INSERT INTO forcestat_meta VALUES ('store_format', %s) ON CONFLICT DO NOTHING",
                [str(STORE_FORMAT)],
            )
            cur.execute(f"CREATE SEQUENCE IF NOT EXISTS {LOAD_ID_SEQUENCE}")
            # a store whose load_log was filled before the sequence existed
            cur.execute(
                f"SELECT setval('{LOAD_ID_SEQUENCE}', m) FROM (SELECT max(load_id) AS m "
                f"FROM load_log) l WHERE m >= (SELECT last_value FROM {LOAD_ID_SEQUENCE})"
            )

    @staticmethod
    def _stored_columns(cur: Any) -> dict[str, set[str]]:
        cur.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
        out: dict[str, set[str]] = {}
        for table_name, column_name in cur.fetchall():
            out.setdefault(table_name, set()).add(column_name)
        return out

    @staticmethod
    def _add_missing_derived(cur: Any, kind: RecordKind, present: set[str]) -> None:
        for c in kind.columns:  # an optional column added since the store was made
            if c.name not in present and not c.required:
                cur.execute(
                    f'ALTER TABLE "{kind.name}" ADD COLUMN "{c.name}" {_pg_type(c.sql_type)}'
                )
        missing = [d for d in kind.derived_columns if d.name not in present]
        if not missing:
            return
        for d in missing:
            cur.execute(f'ALTER TABLE "{kind.name}" ADD COLUMN "{d.name}" {_pg_type(d.sql_type)}')
        sets = ", ".join(f'"{d.name}" = {dialect_sql(d.sql, "postgres")}' for d in missing)
        cur.execute(f'UPDATE "{kind.name}" SET {sets}')

    def fill_derived(self, kind: str | RecordKind, names: list[str] | None = None) -> None:
        """Recompute a kind's derived columns for every stored row (in PostgreSQL's SQL)."""
        k = kind if isinstance(kind, RecordKind) else KINDS[kind]
        cols = [d for d in k.derived_columns if names is None or d.name in names]
        if cols:
            sets = ", ".join(f'"{d.name}" = {dialect_sql(d.sql, "postgres")}' for d in cols)
            with self.pg.cursor() as cur:
                cur.execute(f'UPDATE "{k.name}" SET {sets}')

    # -- reading ---------------------------------------------------------------------------
    @property
    def ibis(self) -> Any:
        """This store as an Ibis PostgreSQL backend (its own connection)."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.postgres.from_connection(connect(self.url))
        return self._ibis

    def table(self, name: str) -> Any:
        return self.ibis.table(name)

    def fetch(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a query (``%s`` placeholders)."""
        with self.pg.cursor() as cur:
            cur.execute(sql, params or [])
            return list(cur.fetchall())

    # -- SQL written once, for any store (see forcestat.store.Store.rows) -------------------
    def _execute(self, cur: Any, sql: str, params: list[Any] | None) -> None:
        if params:
            cur.execute(pg_sql(sql), params)
        else:
            cur.execute(pg_sql(sql, placeholders=False))

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows of a query written in DuckDB's SQL (``?`` placeholders)."""
        with self.pg.cursor() as cur:
            self._execute(cur, sql, params)
            return list(cur.fetchall())

    def records(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """The rows of a query written in DuckDB's SQL, as dicts by column name."""
        with self.pg.cursor() as cur:
            self._execute(cur, sql, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def run(self, sql: str, params: list[Any] | None = None) -> None:
        """Run a statement written in DuckDB's SQL (autocommit, or the open transaction)."""
        with self.pg.cursor() as cur:
            self._execute(cur, sql, params)

    def frame(self, sql: str, params: list[Any] | None = None) -> Any:
        """The rows of a query written in DuckDB's SQL as a pandas DataFrame."""
        import pandas as pd

        with self.pg.cursor() as cur:
            self._execute(cur, sql, params)
            names = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=names)

    def version(self) -> tuple[Any, ...]:
        """What changes whenever any process commits a load or changes users and tokens:
        load_log's row count and last load number (loads take their numbers from a sequence
        and may commit out of order, so the count is needed too) and the access stamp
        :mod:`forcestat.access` writes. Read on a connection of its own, so a web server can
        ask between requests without waiting for a long query."""
        with self._watch_lock:
            if self._watch is None or self._watch.closed:
                self._watch = connect(self.url)
            with self._watch.cursor() as cur:
                cur.execute(
                    "SELECT (SELECT count(*) FROM load_log), "
                    "(SELECT coalesce(max(load_id), 0) FROM load_log), "
                    "(SELECT value FROM forcestat_meta WHERE key = 'access_version')"
                )
                row = cur.fetchone()
        return tuple(row) if row else ()

    def has_table(self, name: str) -> bool:
        rows = self.fetch(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = %s",
            [name],
        )
        return bool(rows[0][0])

    def status(self) -> list[dict[str, Any]]:
        """Rows, first and last month, and quarantined rows for every kind's table."""
        out = []
        for kind in KINDS.values():
            if not self.has_table(kind.name):
                continue
            span = "min(month), max(month)" if kind.month_sql else "NULL, NULL"
            row = self.fetch(f'SELECT count(*), {span} FROM "{kind.name}"')[0]
            q = self.fetch("SELECT count(*) FROM quarantine WHERE kind = %s", [kind.name])[0]
            out.append(
                {
                    "table": kind.name,
                    "rows": int(row[0]),
                    "first_month": row[1].strftime("%Y-%m") if row[1] else None,
                    "last_month": row[2].strftime("%Y-%m") if row[2] else None,
                    "quarantined": int(q[0]),
                }
            )
        return out

    def close(self) -> None:
        if self._ibis is not None:
            try:
                self._ibis.disconnect()
            except Exception:  # closing is best effort
                pass
        if self._watch is not None:
            self._watch.close()
        self.pg.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
