"""The store: a DuckDB file by default, handed to the rest of forcestat as an Ibis connection.

Tables: one per record kind (named as the kind, with the kind's derived columns -- ``month``
and e.g. the calls' queue and talk times -- and the lineage columns ``_load_id`` and
``_line``), plus ``load_log``, ``quarantine`` and ``audit``. Timestamps are stored as naive
UTC; ``month`` is the Europe/London calendar month.

Any other Ibis backend (Postgres, Spark, ...) can be opened read-only for measures with
:func:`connect_backend`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import StoreNotFoundError, StoreOpenError, StoreVersionError
from .periods import month_label
from .schema import KINDS, RecordKind

if TYPE_CHECKING:  # imported when a store is opened: `forcestat --help` needs neither
    import duckdb

DEFAULT_DB = "forcestat.duckdb"
#: the store's format: raised when a change makes a store unreadable by an older forcestat,
#: which then refuses it with a clear message instead of misreading it
STORE_FORMAT = 1
LINEAGE_COLUMNS = (("_load_id", "BIGINT"), ("_line", "BIGINT"))

META_DDL = {
    "load_log": """
        CREATE TABLE IF NOT EXISTS load_log (
            load_id BIGINT PRIMARY KEY, file VARCHAR, file_sha256 VARCHAR, kind VARCHAR,
            loaded_at TIMESTAMP, read BIGINT, loaded BIGINT, quarantined BIGINT,
            skipped_duplicates BIGINT, replaced BIGINT, filtered BIGINT DEFAULT 0)""",
    "quarantine": """
        CREATE TABLE IF NOT EXISTS quarantine (
            load_id BIGINT, file VARCHAR, kind VARCHAR, line BIGINT, "column" VARCHAR,
            rule VARCHAR, reason VARCHAR, raw VARCHAR)""",
    "forcestat_meta": """
        CREATE TABLE IF NOT EXISTS forcestat_meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    "audit": """
        CREATE TABLE IF NOT EXISTS audit (
            load_id BIGINT, kind VARCHAR, natural_key VARCHAR, old_row VARCHAR,
            new_row VARCHAR, replaced_at TIMESTAMP)""",
}


def default_db_path() -> str:
    """``$FORCESTAT_DB`` if set, else ``./forcestat.duckdb``."""
    return os.environ.get("FORCESTAT_DB") or DEFAULT_DB


def check_store_path(p: str) -> None:
    """Raise StoreNotFoundError for a path no store can be at: empty, a folder, or in a
    folder that does not exist (``:memory:`` is an in-memory store, for tests)."""
    if not p.strip():
        raise StoreNotFoundError("--db is empty: name a store file, e.g. --db force.duckdb")
    if p == ":memory:" or "://" in p:
        return
    path = Path(p)
    if path.is_dir():
        raise StoreNotFoundError(f"cannot open store {p}: it is a folder, not a file")
    if not path.parent.is_dir():
        raise StoreNotFoundError(f"cannot open store {p}: folder {path.parent} does not exist")


def table_ddl(kind: RecordKind) -> str:
    cols = [f'"{c.name}" {c.sql_type}' for c in kind.columns]
    cols += [f'"{d.name}" {d.sql_type}' for d in kind.derived_columns]
    cols += [f'"{n}" {t}' for n, t in LINEAGE_COLUMNS]
    return f'CREATE TABLE IF NOT EXISTS "{kind.name}" ({", ".join(cols)})'


@dataclass
class Store:
    """An open forcestat store. ``duck`` is the raw DuckDB connection (ingest writes through
    it, in transactions); ``ibis`` is the same database as an Ibis backend (measures read it)."""

    path: str
    duck: duckdb.DuckDBPyConnection
    _ibis: Any = None

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> Store:
        p = str(path) if path is not None else default_db_path()
        if not p.strip():
            raise StoreNotFoundError("--db is empty: name a store file, e.g. --db force.duckdb")
        if read_only and p != ":memory:" and not Path(p).exists():
            raise StoreNotFoundError(f"no store at {p}: load records first with `forcestat ingest`")
        if p != ":memory:":
            parent = Path(p).parent
            if not parent.exists():
                raise StoreNotFoundError(f"cannot open store {p}: folder {parent} does not exist")
            if Path(p).is_dir():
                raise StoreNotFoundError(f"cannot open store {p}: it is a folder, not a file")
        import duckdb

        try:
            con = duckdb.connect(p, read_only=read_only and Path(p).exists())
        except duckdb.Error as e:
            raise StoreOpenError(f"cannot open store {p}: {e}") from e
        con.execute("SET TimeZone = 'UTC'")
        store = cls(p, con)
        try:
            store.check_format()
            if not (read_only and p != ":memory:" and Path(p).exists()):
                store.ensure_schema()
        except BaseException:
            con.close()
            raise
        return store

    def check_format(self) -> None:
        """Refuse a store written by a newer forcestat (its format number is above ours)."""
        if not self.has_table("forcestat_meta"):
            return
        row = self.duck.execute(
            "SELECT value FROM forcestat_meta WHERE key = 'store_format'"
        ).fetchone()
        found = int(row[0]) if row and str(row[0]).isdigit() else 0
        if found > STORE_FORMAT:
            raise StoreVersionError(
                f"store {self.path} was written by a newer forcestat (store format {found};"
                f" this forcestat reads up to {STORE_FORMAT}): upgrade forcestat to use it"
            )

    def ensure_schema(self) -> None:
        """Create every kind's table and the bookkeeping tables if they are missing, and add
        derived columns a store made by an older forcestat lacks (filled from the stored rows)."""
        self.duck.execute("BEGIN")
        try:
            stored = self._stored_columns()
            for kind in KINDS.values():
                self.duck.execute(table_ddl(kind))
                if kind.name in stored:
                    self._add_missing_derived(kind, stored[kind.name])
            for ddl in META_DDL.values():
                self.duck.execute(ddl)
            # stores made before mapping files: rows a mapping's `where` left out
            self.duck.execute(
                "ALTER TABLE load_log ADD COLUMN IF NOT EXISTS filtered BIGINT DEFAULT 0"
            )
            self.duck.execute(
                "INSERT INTO forcestat_meta VALUES ('store_format', ?) ON CONFLICT DO NOTHING",
                [str(STORE_FORMAT)],
            )
            self.duck.execute("COMMIT")
        except Exception:
            self.duck.execute("ROLLBACK")
            raise

    def _stored_columns(self) -> dict[str, set[str]]:
        q = "SELECT table_name, column_name FROM information_schema.columns"
        out: dict[str, set[str]] = {}
        for table_name, column_name in self.duck.execute(q).fetchall():
            out.setdefault(table_name, set()).add(column_name)
        return out

    def _add_missing_derived(self, kind: RecordKind, present: set[str]) -> None:
        missing = [d for d in kind.derived_columns if d.name not in present]
        if not missing:
            return
        # Every ALTER before the one UPDATE: DuckDB refuses to commit a transaction that alters
        # a table it has already updated.
        for d in missing:
            self.duck.execute(f'ALTER TABLE "{kind.name}" ADD COLUMN "{d.name}" {d.sql_type}')
        sets = ", ".join(f'"{d.name}" = {d.sql}' for d in missing)
        self.duck.execute(f'UPDATE "{kind.name}" SET {sets}')

    def fill_derived(self, kind: str | RecordKind, names: list[str] | None = None) -> None:
        """Recompute a kind's derived columns (all, or those in ``names``) for every stored row.

        Ingest fills them as it loads; call this after inserting rows with plain SQL.
        """
        k = kind if isinstance(kind, RecordKind) else KINDS[kind]
        cols = [d for d in k.derived_columns if names is None or d.name in names]
        if cols:
            sets = ", ".join(f'"{d.name}" = {d.sql}' for d in cols)
            self.duck.execute(f'UPDATE "{k.name}" SET {sets}')

    @property
    def ibis(self) -> Any:
        """This store as an Ibis DuckDB backend (shares the connection)."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.duck)
        return self._ibis

    def table(self, name: str) -> Any:
        return self.ibis.table(name)

    def has_table(self, name: str) -> bool:
        q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
        row = self.duck.execute(q, [name]).fetchone()
        return bool(row and row[0])

    def status(self) -> list[dict[str, Any]]:
        """Rows, first and last month, and quarantined rows for every kind's table."""
        out = []
        for kind in KINDS.values():
            if not self.has_table(kind.name):
                continue
            span = "min(month), max(month)" if kind.month_sql else "NULL, NULL"
            row = self.duck.execute(f'SELECT count(*), {span} FROM "{kind.name}"').fetchone()
            q = self.duck.execute(
                "SELECT count(*) FROM quarantine WHERE kind = ?", [kind.name]
            ).fetchone()
            assert row is not None and q is not None
            out.append(
                {
                    "table": kind.name,
                    "rows": int(row[0]),
                    "first_month": month_label(row[1]) if row[1] else None,
                    "last_month": month_label(row[2]) if row[2] else None,
                    "quarantined": int(q[0]),
                }
            )
        return out

    def close(self) -> None:
        self.duck.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect_backend(url: str) -> Any:
    """An Ibis connection to another backend, e.g. ``postgres://user@127.0.0.1/db``;
    a path ending .duckdb opens that DuckDB file."""
    if url.endswith(".duckdb") or url == ":memory:":
        return Store.open(url).ibis
    import ibis

    return ibis.connect(url)
