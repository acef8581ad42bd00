"""The store: a DuckDB file by default, handed to the rest of forcestat as an Ibis connection.

Tables: one per record kind (named as the kind, with the kind's derived columns -- ``month``
and e.g. the calls' queue and talk times -- and the lineage columns ``_load_id`` and
``_line``), plus ``load_log``, ``quarantine`` and ``audit``, the tables the workflows
write (:mod:`forcestat.schema.workflow`, ``audit_log`` among them: every record-level read),
and the access tables of :mod:`forcestat.access` (``roles``, ``users``, ``tokens``). While
``forcestat serve`` runs, a ``.server`` file beside the store names it, and any other process
opening the store is told to upload through it (:func:`held_by`). Timestamps are stored as
naive UTC; ``month`` is the Europe/London calendar month.

Every load is journalled (table ``load_journal``, status ``started`` -> ``committed``) in a
transaction of its own before its data, and a ``--replace`` first copies the rows it will
delete into ``undo_<kind>``. Opening a store undoes any load that never committed (see
:meth:`Store.recover`), whatever part of it DuckDB's write-ahead log replayed.

A store held by another process is waited for (``wait`` seconds, default
:data:`WAIT_SECONDS`) before :class:`StoreBusyError` is raised.


The same store can live on PostgreSQL, and its tables can be read by Spark from a Parquet
lake: :func:`open_store` opens any of them by its ``--db`` value (a path, ``postgresql://...``,
``spark://local[2]``, ``sc://host:15002``); see :mod:`forcestat.backends` and docs/deploy.md.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .access import ensure_access_schema
from .errors import (
    InputError,
    StoreBusyError,
    StoreError,
    StoreNotFoundError,
    StoreOpenError,
    StoreVersionError,
)
from .periods import month_label
from .schema import KINDS, RecordKind
from .schema.workflow import WORKFLOW_DDL

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
            skipped_duplicates BIGINT, replaced BIGINT)""",
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
    # facts about the store as a whole, e.g. that it holds synthetic records (provenance.py)
    "store_facts": """
        CREATE TABLE IF NOT EXISTS store_facts (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    "load_journal": """
        CREATE TABLE IF NOT EXISTS load_journal (
            load_id BIGINT PRIMARY KEY, file VARCHAR, kind VARCHAR, status VARCHAR,
            pid BIGINT, host VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP)""",
}
#: columns a store made by an older forcestat lacks, added on open
META_ADDED = {
    "quarantine": (("raw_bytes", "BLOB"), ("raw_length", "BIGINT"), ("raw_sha256", "VARCHAR")),
    "load_log": (("deleted", "BIGINT"), ("filtered", "BIGINT")),
}
#: seconds a command waits for a store another process holds (``--wait``)
WAIT_SECONDS = 60.0
WaitNotice = Callable[[str], None]
_wait_notice: WaitNotice | None = None
LOCK_PID = re.compile(r"\(PID (\d+)\)")


def set_wait(seconds: float | None = None, notice: WaitNotice | None = None) -> None:
    """Set how long :meth:`Store.open` waits for a busy store by default, and what it calls
    (once) with a message naming the process that holds it."""
    global WAIT_SECONDS, _wait_notice
    if seconds is not None:
        WAIT_SECONDS = float(seconds)
    if notice is not None:
        _wait_notice = notice


def undo_table(kind: RecordKind) -> str:
    """The table holding rows a ``--replace`` of ``kind`` will delete, until it commits."""
    return f"undo_{kind.name}"


def lock_holder(message: str) -> str:
    """'forcestat ingest big.csv (PID 123)' for the process named in DuckDB's lock error."""
    m = LOCK_PID.search(message)
    if not m:
        return "another process"
    pid = int(m.group(1))
    try:  # Linux names a process's command line in /proc
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"process {pid}"
    cmd = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    if not cmd:
        return f"process {pid}"
    shown = " ".join([Path(cmd[0]).name, *cmd[1:6]])
    if len(cmd) > 1 and Path(cmd[1]).name == "forcestat":
        shown = "forcestat " + " ".join(cmd[2:6])
    return f"{shown[:200]} (PID {pid})"


def is_lock_error(e: Exception) -> bool:
    return "Could not set lock on file" in str(e) or "Conflicting lock" in str(e)


def default_db_path() -> str:
    """``$FORCESTAT_DB`` if set, else ``./forcestat.duckdb``."""
    return os.environ.get("FORCESTAT_DB") or DEFAULT_DB


class StoreHeldError(InputError):
    """The store is held by a running ``forcestat serve``, its only writer."""


def server_file(path: str | os.PathLike[str]) -> Path:
    """The file beside a store that says a server holds it: ``forcestat.duckdb.server``."""
    return Path(f"{path}.server")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def held_by(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """What ``forcestat serve`` wrote beside the store (url, pid) if that server still runs."""
    f = server_file(path)
    try:
        info = json.loads(f.read_text("utf-8"))
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if pid != os.getpid() and _alive(pid) else None


def hold(path: str | os.PathLike[str], url: str) -> Path:
    """Mark the store as held by this process, serving at ``url``; returns the marker file."""
    f = server_file(path)
    f.write_text(json.dumps({"url": url, "pid": os.getpid()}) + "\n", "utf-8")
    return f


def release(path: str | os.PathLike[str]) -> None:
    f = server_file(path)
    try:
        if int(json.loads(f.read_text("utf-8"))["pid"]) == os.getpid():
            f.unlink()
    except (OSError, ValueError, KeyError, TypeError):
        pass


def held_message(path: str | os.PathLike[str], info: dict[str, Any]) -> str:
    url = str(info.get("url", "")).rstrip("/")
    return (
        f"store {path} is held by `forcestat serve` at {url} (pid {info.get('pid')}), "
        f"its only writer while it runs: upload files to it with "
        f"`curl -H 'Authorization: Bearer TOKEN' -F file=@FILE {url}/api/v1/ingest` "
        f"(an analyst's token), or stop the server first"
    )


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

    backend = "duckdb"

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        wait: float | None = None,
    ) -> Store:
        """Open (creating if need be) the store at ``path``.

        A store another process holds is waited for up to ``wait`` seconds (default
        :data:`WAIT_SECONDS`), then :class:`StoreBusyError`. A load that a killed process left
        uncommitted is undone first (:meth:`recover`), so no reader sees half of one."""
        p = str(path) if path is not None else default_db_path()
        if not p.strip():
            raise StoreNotFoundError("--db is empty: name a store file, e.g. --db force.duckdb")
        if p.startswith("duckdb://"):
            p = p.removeprefix("duckdb://") or ":memory:"
        elif "://" in p:
            from .backends import backend_name, redact

            name = {"postgres": "PostgreSQL", "spark": "Spark"}.get(backend_name(p), p)
            raise StoreOpenError(
                f"{redact(p)} is a {name} store; this command works on a DuckDB store only "
                "(ingest, measures, status, quarantine and export-lake take any store; serve, "
                "users, tokens, audit and encompass take PostgreSQL too)"
            )
        check_store_path(p)  # a folder, or a file in a missing folder: one clear line
        if p != ":memory:" and (info := held_by(p)) is not None:
            raise StoreHeldError(held_message(p, info))
        if read_only and p != ":memory:" and not Path(p).exists():
            raise StoreNotFoundError(f"no store at {p}: load records first with `forcestat ingest`")
        ro = read_only and p != ":memory:" and Path(p).exists()
        con = _connect(p, ro, WAIT_SECONDS if wait is None else wait)
        store = cls(p, con)
        try:
            store.check_format()
            if not ro:
                store.ensure_schema()
                store.recover()
        except BaseException:
            con.close()
            raise
        if ro and store.pending_loads():
            # a killed writer left a load behind: undo it with a writable connection first
            con.close()
            with cls.open(p, wait=wait):
                pass
            store = cls(p, _connect(p, True, WAIT_SECONDS if wait is None else wait))
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
        derived columns a store made by an older forcestat lacks (filled from the stored rows)
        and optional columns it lacks (empty)."""
        self.duck.execute("BEGIN")
        try:
            stored = self._stored_columns()
            for kind in KINDS.values():
                self.duck.execute(table_ddl(kind))
                if kind.name in stored:
                    self._add_missing_derived(kind, stored[kind.name])
            for ddl in (*META_DDL.values(), *WORKFLOW_DDL.values()):
                self.duck.execute(ddl)
            for table, columns in META_ADDED.items():
                have = stored.get(table, set())
                for name, sql_type in columns:
                    if name not in have:
                        self.duck.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {sql_type}')
            for kind in KINDS.values():
                self._ensure_undo(kind, stored)
            ensure_access_schema(self)
            self.duck.execute(
                "INSERT INTO forcestat_meta VALUES ('store_format', ?) ON CONFLICT DO NOTHING",
                [str(STORE_FORMAT)],
            )
            self.duck.execute("COMMIT")
        except Exception:
            self.duck.execute("ROLLBACK")
            raise

    def _ensure_undo(self, kind: RecordKind, stored: dict[str, set[str]]) -> None:
        """``undo_<kind>``: the kind's columns and ``undo_load_id``; remade while empty if the
        kind's table has gained columns since."""
        name = undo_table(kind)
        if name in stored:
            want = {c.name for c in kind.columns} | {d.name for d in kind.derived_columns}
            if want | {n for n, _ in LINEAGE_COLUMNS} | {"undo_load_id"} == stored[name]:
                return
            row = self.duck.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            if row and row[0]:
                return  # rows of an unfinished load: recover() restores them by name
            self.duck.execute(f'DROP TABLE "{name}"')
        ddl = table_ddl(kind).replace(f'"{kind.name}" (', f'"{name}" (', 1)
        self.duck.execute(ddl.removesuffix(")") + ", undo_load_id BIGINT)")

    # -- the load journal --------------------------------------------------------------------
    def pending_loads(self) -> list[int]:
        """Loads journalled as started but never committed by another process (or committed
        in the journal with no ``load_log`` row: a torn commit), oldest first."""
        if not self.has_table("load_journal"):
            return []
        rows = self.duck.execute(
            """SELECT j.load_id FROM load_journal j
            WHERE (j.status = 'started' AND j.pid IS DISTINCT FROM ?)
               OR (j.status = 'committed'
                   AND NOT EXISTS (SELECT 1 FROM load_log l WHERE l.load_id = j.load_id))
            ORDER BY j.load_id""",
            [os.getpid()],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def next_load_id(self) -> int:
        """A load id never used before, by a committed load or one that was undone."""
        row = self.duck.execute(
            "SELECT greatest((SELECT coalesce(max(load_id), 0) FROM load_log), "
            "(SELECT coalesce(max(load_id), 0) FROM load_journal)) + 1"
        ).fetchone()
        assert row is not None
        return int(row[0])

    def recover(self, load_ids: list[int] | None = None) -> list[int]:
        """Undo loads that never committed (default: :meth:`pending_loads`).

        For each: delete the rows, quarantine, audit and load_log rows it wrote, put back the
        rows a ``--replace`` deleted (copied to ``undo_<kind>`` before its data transaction),
        and mark it ``rolled_back``. One transaction per load, with the journal update last,
        so a recovery that is itself killed is simply run again. Finally drop undo copies of
        loads that did commit. Returns the load ids undone."""
        ids = self.pending_loads() if load_ids is None else load_ids
        for load_id in ids:
            self.duck.execute("BEGIN")
            try:
                for kind in KINDS.values():
                    self._undo_kind(kind, load_id)
                for table in ("quarantine", "audit", "load_log"):
                    self.duck.execute(f"DELETE FROM {table} WHERE load_id = {load_id}")
                self.duck.execute(
                    "UPDATE load_journal SET status = 'rolled_back', "
                    f"finished_at = now()::TIMESTAMP WHERE load_id = {load_id}"
                )
                self.duck.execute("COMMIT")
            except BaseException:
                self.duck.execute("ROLLBACK")
                raise
        self.forget_undo()
        return ids

    def forget_load(self, load_id: int) -> None:
        """Remove the journal entry and undo copies of a load whose data transaction was
        rolled back (so no table shows it was tried)."""
        self.duck.execute("BEGIN")
        try:
            for kind in KINDS.values():
                self.duck.execute(
                    f'DELETE FROM "{undo_table(kind)}" WHERE undo_load_id = {load_id}'
                )
            self.duck.execute(f"DELETE FROM load_journal WHERE load_id = {load_id}")
            self.duck.execute("COMMIT")
        except BaseException:
            self.duck.execute("ROLLBACK")
            raise

    def _undo_kind(self, kind: RecordKind, load_id: int) -> None:
        table, undo = f'"{kind.name}"', f'"{undo_table(kind)}"'
        self.duck.execute(f"DELETE FROM {table} WHERE _load_id = {load_id}")
        has = self.duck.execute(
            f"SELECT count(*) FROM {undo} WHERE undo_load_id = {load_id}"
        ).fetchone()
        if not has or not has[0]:
            return
        cols = [c.name for c in kind.columns] + [d.name for d in kind.derived_columns]
        cols += [n for n, _ in LINEAGE_COLUMNS]
        same = " AND ".join(f't."{c}" IS NOT DISTINCT FROM u."{c}"' for c in cols)
        # whichever of the deleted rows survived the torn commit go, then all come back
        self.duck.execute(
            f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM {undo} u "
            f"WHERE u.undo_load_id = {load_id} AND {same})"
        )
        self.duck.execute(
            f"INSERT INTO {table} BY NAME SELECT * EXCLUDE (undo_load_id) FROM {undo} "
            f"WHERE undo_load_id = {load_id}"
        )
        self.duck.execute(f"DELETE FROM {undo} WHERE undo_load_id = {load_id}")

    def forget_undo(self) -> None:
        """Drop undo copies kept for loads that have committed or been undone."""
        for kind in KINDS.values():
            undo = undo_table(kind)
            if not self.has_table(undo):
                continue
            self.duck.execute(
                f'DELETE FROM "{undo}" WHERE undo_load_id IN (SELECT load_id FROM load_journal '
                "WHERE status <> 'started')"
            )

    def checksums(self) -> dict[str, tuple[int, int]]:
        """Row count and an order-independent checksum of every table in the store."""
        names = [
            r[0]
            for r in self.duck.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
        out = {}
        for n in names:
            row = self.duck.execute(
                f'SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM "{n}" t'
            ).fetchone()
            assert row is not None
            out[n] = (int(row[0]), int(row[1]))
        return out

    def _stored_columns(self) -> dict[str, set[str]]:
        q = "SELECT table_name, column_name FROM information_schema.columns"
        out: dict[str, set[str]] = {}
        for table_name, column_name in self.duck.execute(q).fetchall():
            out.setdefault(table_name, set()).add(column_name)
        return out

    def _add_missing_derived(self, kind: RecordKind, present: set[str]) -> None:
        # an optional column added to the kind since the store was made starts empty
        for c in kind.columns:
            if c.name not in present and not c.required:
                self.duck.execute(f'ALTER TABLE "{kind.name}" ADD COLUMN "{c.name}" {c.sql_type}')
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

    # -- SQL written once, for any store -------------------------------------------------------
    # DuckDB's dialect with ``?`` placeholders; :class:`forcestat.backends.postgres.PostgresStore`
    # has the same methods and translates the SQL (see :func:`forcestat.backends.dialect_sql`).
    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows of a query."""
        return self.duck.execute(sql, params or []).fetchall()

    def records(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """The rows of a query as dicts by column name."""
        cur = self.duck.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def run(self, sql: str, params: list[Any] | None = None) -> None:
        """Run a statement (in the current transaction, if one is open)."""
        self.duck.execute(sql, params or [])

    def frame(self, sql: str, params: list[Any] | None = None) -> Any:
        """The rows of a query as a pandas DataFrame."""
        return self.duck.execute(sql, params or []).df()

    def version(self) -> int:
        """What changes whenever a load commits: the last load's number (the web's caches
        key on it; on the DuckDB file the server is the only writer and counts its own)."""
        row = self.duck.execute("SELECT coalesce(max(load_id), 0) FROM load_log").fetchone()
        return int(row[0]) if row else 0

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

    @property
    def synthetic(self) -> bool:
        """Whether this store holds records ``forcestat synth`` generated."""
        from .provenance import is_synthetic

        return is_synthetic(self)

    def close(self) -> None:
        self.duck.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(path: str, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection, waiting up to ``wait`` seconds while another process holds the
    file; the wait is announced once, naming that process."""
    import duckdb

    deadline = time.monotonic() + max(wait, 0.0)
    announced = False
    while True:
        try:
            con = duckdb.connect(path, read_only=read_only)
            con.execute("SET TimeZone = 'UTC'")
            return con
        except duckdb.Error as e:
            if not is_lock_error(e):
                raise StoreOpenError(f"cannot open store {path}: {e}") from e
            holder = lock_holder(str(e))
            if time.monotonic() >= deadline:
                raise StoreBusyError(
                    f"store {path} is in use by {holder}; still busy after {wait:g}s "
                    "(try again later, or --wait SECONDS)"
                ) from None
            if not announced and _wait_notice is not None:
                left = deadline - time.monotonic()
                _wait_notice(
                    f"store {path} is in use by {holder}; waiting up to {left:.0f}s for it"
                )
            announced = True
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0.01)))


def open_store(
    db: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    lake: str | os.PathLike[str] | None = None,
) -> Any:
    """Open the store a ``--db`` value names (default ``$FORCESTAT_DB`` or ./forcestat.duckdb).

    A path opens the DuckDB file (:class:`Store`); ``postgresql://...`` a PostgreSQL store
    (:class:`forcestat.backends.postgres.PostgresStore`, tables created if missing unless
    ``read_only``); ``spark://local[2]``, ``spark://host:7077`` or ``sc://host:15002`` a Spark
    session reading the Parquet lake at ``lake`` (read-only,
    :class:`forcestat.backends.spark.SparkStore`). Each has ``.backend``, ``.ibis`` (what the
    measures read), ``.table(name)``, ``.has_table(name)``, ``.status()`` and ``.close()``.
    """
    from .backends import backend_name

    url = str(db) if db is not None else default_db_path()
    which = backend_name(url)
    if which == "postgres":
        from .backends.postgres import PostgresStore

        return PostgresStore.open(url, read_only=read_only)
    if which == "spark":
        from .backends.spark import SparkStore

        return SparkStore.open(url, lake=lake)
    if lake is not None:
        raise InputError("--lake is for Spark stores (--db spark://local[2] or sc://host:15002)")
    return Store.open(url, read_only=read_only)


def connect_backend(url: str) -> Any:
    """An Ibis connection to any store :func:`open_store` opens, or to another Ibis backend
    by its URL (``trino://...``)."""
    from .backends import backend_name

    try:
        backend_name(url)
    except StoreError:
        import ibis

        return ibis.connect(url)
    return open_store(url).ibis
