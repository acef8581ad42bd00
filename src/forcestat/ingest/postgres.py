"""Ingest into a PostgreSQL store: the same guarantees as the DuckDB file, loaded with COPY.

Each file goes through two databases, set-based in both, no row looping in Python:

1. **Validation in DuckDB**, by the very code that loads a DuckDB store
   (:func:`forcestat.ingest.load.ingest_file` into an empty scratch store in a temporary
   folder): the file is read, typed and checked against its kind's rules, records that fail
   are quarantined with their rule and reason, records repeated within the file are sorted
   into exact duplicates (skipped) and contradictory keys (quarantined), and the derived
   columns are computed. No rule is written twice.
2. **One PostgreSQL transaction**: the scratch store's valid rows and quarantined rows are
   streamed in with ``COPY ... FROM STDIN`` into temporary tables; the rows are compared
   with the stored ones by natural key in SQL (already stored: skipped; stored with other
   values: quarantined as ``conflict``, or replaced and audited with ``--replace``); the new
   rows are inserted with their lineage (``_load_id``, ``_line``), and ``load_log`` records
   the load. A failure anywhere rolls the whole file back.

``read = loaded + quarantined + skipped_duplicates`` is checked before COMMIT, as for DuckDB.
Loads of the same kind take turns on an advisory lock from the comparison to COMMIT, so two
processes loading overlapping files never both insert a row; loads of different kinds, and
every reader, run alongside.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable
from os import PathLike
from pathlib import Path
from typing import Any

from ..backends.postgres import LOAD_ID_SEQUENCE, PostgresStore, lock_sql
from ..errors import StoreError
from ..schema import KINDS, RecordKind
from ..store import Store
from .load import LoadResult, Progress, data_files, resolve
from .load import ingest_file as validate_into
from .validate import ident

ROWS = "_fs_rows"
QUARANTINE = "_fs_quarantine"
FATE = "_fs_fate"
QUARANTINE_COLUMNS = (
    "file",
    "kind",
    "line",
    "column",
    "rule",
    "reason",
    "raw",
    # a record the parser could not deliver keeps its original bytes, length and SHA-256
    "raw_bytes",
    "raw_length",
    "raw_sha256",
)
COPY_CHUNK = 1 << 20


def ingest_paths(
    store: PostgresStore,
    paths: Iterable[str | PathLike[str]],
    kind: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> list[LoadResult]:
    """Ingest every file in ``paths`` into PostgreSQL, one transaction per file.

    As :func:`forcestat.ingest.ingest_paths`: every header is checked first, so a file that
    cannot be read stops the run before anything is loaded.
    """
    files = data_files(paths)
    with Store.open(":memory:") as probe:
        for f in files:
            resolve(probe.duck, f, kind, check_only=True)
    results = []
    for i, f in enumerate(files, start=1):
        results.append(ingest_file(store, f, kind=kind, replace=replace))
        if progress is not None:
            progress(i, len(files), str(f))
    return results


def ingest_file(
    store: PostgresStore, path: str | PathLike[str], kind: str | None = None, replace: bool = False
) -> LoadResult:
    """Validate one file in DuckDB, then load it into PostgreSQL in one transaction."""
    with tempfile.TemporaryDirectory(prefix="forcestat-ingest-") as tmp:
        work = Path(tmp)
        with Store.open(work / "scratch.duckdb") as scratch:
            checked = validate_into(scratch, path, kind=kind)
            rk = KINDS[checked.kind]

            def export(load_id: int) -> tuple[Path, Path]:
                rows_csv, quarantine_csv = work / "rows.csv", work / "quarantine.csv"
                _export(scratch, rk, load_id, rows_csv, quarantine_csv)
                return rows_csv, quarantine_csv

            return _PostgresLoad(store, rk, checked, replace, export).run()


def _no_nul(expr: str) -> str:
    # PostgreSQL text cannot hold NUL: it is replaced by U+FFFD, the replacement character
    return f"replace({expr}, chr(0), chr(65533))"


def stored_columns(kind: RecordKind) -> list[str]:
    """The columns a staged row carries: the kind's own, its derived ones and ``_line``."""
    return [*kind.column_names, *(d.name for d in kind.derived_columns), "_line"]


def _export(
    scratch: Store, kind: RecordKind, load_id: int, rows_csv: Path, quarantine_csv: Path
) -> None:
    """The scratch store's validated rows (with their ``_load_id``) and quarantine as CSV."""
    text = {c.name for c in kind.columns if c.type == "str"}
    cols = [_no_nul(ident(c)) if c in text else ident(c) for c in stored_columns(kind)]
    cols.append(f"{int(load_id)} AS _load_id")
    scratch.duck.execute(
        f"COPY (SELECT {', '.join(cols)} FROM {ident(kind.name)} ORDER BY _line) "
        f"TO '{rows_csv}' (FORMAT csv, HEADER false)"
    )
    qcols = [_quarantine_export(c) for c in QUARANTINE_COLUMNS]
    scratch.duck.execute(
        f"COPY (SELECT {', '.join(qcols)} FROM quarantine ORDER BY line) "
        f"TO '{quarantine_csv}' (FORMAT csv, HEADER false)"
    )


def _quarantine_export(column: str) -> str:
    """How ``column`` of the scratch store's quarantine is written for PostgreSQL's COPY."""
    if column in ("line", "raw_length"):
        return column
    if column == "raw_bytes":
        # PostgreSQL reads bytea as hex text: \x followed by two digits a byte
        return "CASE WHEN raw_bytes IS NOT NULL THEN '\\x' || hex(raw_bytes) END"
    return _no_nul(ident(column))


def _key_text(alias: str, keys: list[str]) -> str:
    return " || '|' || ".join(f"CAST({alias}.{k} AS text)" for k in keys)


class _PostgresLoad:
    """The PostgreSQL half of one file's load, inside one transaction."""

    def __init__(
        self,
        store: PostgresStore,
        kind: RecordKind,
        checked: LoadResult,
        replace: bool,
        export: Callable[[int], tuple[Path, Path]],
    ) -> None:
        self.store = store
        self.kind = kind
        self.checked = checked
        self.replace = replace
        #: writes the validated rows and quarantine as CSV for a load id: (rows, quarantine)
        self.export = export
        self.rows_csv = self.quarantine_csv = Path()
        self.target = ident(kind.name)
        self.keys = [ident(k) for k in kind.key]
        self.cur: Any = None
        self.load_id = 0
        #: the kind's table held no rows: the file's rows were COPYed straight into it
        self.direct = False
        self.copied = 0

    def q(self, sql: str, params: list[Any] | None = None) -> int:
        """Run ``sql``: the count it returns, else the rows it changed."""
        self.cur.execute(sql, params or [])
        if self.cur.description is not None:
            row = self.cur.fetchone()
            return int(row[0]) if row and row[0] is not None else 0
        return max(self.cur.rowcount, 0)

    def copy_in(self, table: str, columns: list[str], path: Path) -> int:
        """COPY the CSV file at ``path`` into ``table``: the number of rows copied."""
        cols = ", ".join(ident(c) for c in columns)
        with self.cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            with path.open("rb") as fh:
                while chunk := fh.read(COPY_CHUNK):
                    copy.write(chunk)
        if self.cur.rowcount >= 0:  # from the server's "COPY n"
            return int(self.cur.rowcount)
        return self.q(f"SELECT count(*) FROM {table} WHERE _load_id = {self.load_id}")

    def run(self) -> LoadResult:
        pg = self.store.pg
        try:
            with pg.transaction(), pg.cursor() as cur:
                self.cur = cur
                return self._load()
        except StoreError:
            raise
        except Exception as e:
            psycopg = __import__("psycopg")
            if isinstance(e, psycopg.Error):
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise StoreError(
                    f"{self.checked.file}: PostgreSQL refused the load, nothing was loaded: {first}"
                ) from e
            raise

    def _load(self) -> LoadResult:
        k = self.kind
        self.cur.execute(lock_sql(f"kind:{k.name}"))
        self.load_id = self.q(f"SELECT nextval('{LOAD_ID_SEQUENCE}')")
        self.rows_csv, self.quarantine_csv = self.export(self.load_id)
        self.stage()
        quarantined = self.checked.quarantined
        if quarantined:
            quarantined = self.q(
                f"INSERT INTO quarantine (load_id, {', '.join(map(ident, QUARANTINE_COLUMNS))}) "
                f"SELECT {self.load_id}, {', '.join(map(ident, QUARANTINE_COLUMNS))} "
                f"FROM {QUARANTINE}"
            )
        stored, conflicts, replaced = self.classify()
        if conflicts:
            quarantined += self.quarantine_conflicts()
        if replaced:
            self.write_audit()
        loaded = self.insert()
        skipped = self.checked.skipped_duplicates + stored
        if quarantined:
            seen = self.forget_requarantined()
            quarantined, skipped = quarantined - seen, skipped + seen
        c = self.checked
        other = c.read - c.loaded - c.quarantined - c.skipped_duplicates  # e.g. filtered rows
        if c.read != loaded + quarantined + skipped + other:
            raise StoreError(
                f"{c.file}: internal error: read {c.read} != loaded {loaded} + quarantined "
                f"{quarantined} + skipped {skipped}; nothing was loaded"
            )
        result = dataclasses.replace(
            c,
            loaded=loaded,
            quarantined=quarantined,
            skipped_duplicates=skipped,
            replaced=replaced,
            load_id=self.load_id,
        )
        self.cur.execute(
            "INSERT INTO load_log (load_id, file, file_sha256, kind, loaded_at, read, loaded, "
            "quarantined, skipped_duplicates, replaced) "
            "VALUES (%s, %s, %s, %s, (now() AT TIME ZONE 'UTC'), %s, %s, %s, %s, %s)",
            [
                self.load_id,
                c.file,
                c.sha256,
                k.name,
                c.read,
                loaded,
                quarantined,
                skipped,
                replaced,
            ],
        )
        return result

    # -- staging -----------------------------------------------------------------------------
    def stage(self) -> None:
        """COPY the file's rows into a temporary table to compare with the store; or, when
        the kind's table is empty (checked under the kind's lock, so no other load of it is
        running), straight into the table: nothing to compare, and no second copy of a
        large first load (time and disk)."""
        cols = [*stored_columns(self.kind), "_load_id"]
        self.direct = not self.q(f"SELECT count(*) FROM (SELECT 1 FROM {self.target} LIMIT 1) s")
        if self.direct:
            self.copied = self.copy_in(self.target, cols, self.rows_csv)
        else:
            self.cur.execute(
                f"CREATE TEMP TABLE {ROWS} ON COMMIT DROP AS SELECT "
                f"{', '.join(map(ident, cols))} FROM {self.target} WITH NO DATA"
            )
            self.copy_in(ROWS, cols, self.rows_csv)
            self.cur.execute(f"ANALYZE {ROWS}")
        self.cur.execute(
            f"CREATE TEMP TABLE {QUARANTINE} ON COMMIT DROP AS SELECT "
            f"{', '.join(map(ident, QUARANTINE_COLUMNS))} FROM quarantine WITH NO DATA"
        )
        if self.checked.quarantined:
            self.copy_in(QUARANTINE, list(QUARANTINE_COLUMNS), self.quarantine_csv)
        self.cur.execute(
            f"CREATE TEMP TABLE {FATE} (_line bigint PRIMARY KEY, fate text, reason text) "
            "ON COMMIT DROP"
        )

    # -- comparing with the store (as forcestat.ingest.dedupe does within DuckDB) ------------
    def classify(self) -> tuple[int, int, int]:
        """Fill ``_fs_fate`` for staged rows that are not simply new; (stored, conflicts,
        replaced) counts."""
        k = self.kind
        if not self.direct:
            keyed = " AND ".join(f"{c} IS NOT NULL" for c in self.keys)
            if k.key_repeats:
                self.content_rows_against_store("true")
                self.repeated_keys_against_store(keyed)
            else:
                self.against_store(keyed)
                if k.key_may_be_empty:
                    empty = " AND ".join(f"{c} IS NULL" for c in self.keys)
                    self.content_rows_against_store(empty)
        self.cur.execute(
            f"""SELECT count(*) FILTER (WHERE fate = 'stored'),
                       count(*) FILTER (WHERE fate = 'conflict'),
                       count(*) FILTER (WHERE fate = 'replace') FROM {FATE}"""
        )
        stored, conflicts, replaced = self.cur.fetchone()
        return int(stored), int(conflicts), int(replaced)

    def _same_content(self) -> str:
        return " AND ".join(
            f"r.{ident(c)} IS NOT DISTINCT FROM t.{ident(c)}" for c in self.kind.column_names
        )

    def against_store(self, keyed: str) -> None:
        on = " AND ".join(f"r.{c} = t.{c}" for c in self.keys)
        different = "'replace'" if self.replace else "'conflict'"
        self.cur.execute(
            f"""INSERT INTO {FATE}
            SELECT _line, CASE WHEN same THEN 'stored' ELSE {different} END,
                   CASE WHEN NOT same THEN 'key ' || key_text || ' is already stored with '
                        || 'different values (ingest with --replace to correct it)' END
            FROM (
                SELECT r._line, min({_key_text("r", self.keys)}) AS key_text,
                       bool_or({self._same_content()}) AS same
                FROM (SELECT * FROM {ROWS} WHERE {keyed}) r
                JOIN {self.target} t ON {on}
                GROUP BY r._line) x"""
        )

    def content_rows_against_store(self, which: str) -> None:
        """Rows told apart by content: skip the n-th copy of a row when the store holds n."""
        cols = [ident(c) for c in self.kind.column_names]
        on = " AND ".join(f"r.{c} IS NOT DISTINCT FROM s.{c}" for c in cols)
        self.cur.execute(
            f"""INSERT INTO {FATE}
            SELECT _line, 'stored', NULL FROM (
                SELECT r._line, row_number() OVER (
                    PARTITION BY {", ".join("r." + c for c in cols)} ORDER BY r._line
                ) AS occurrence, s.n
                FROM (SELECT * FROM {ROWS} WHERE {which}) r
                JOIN (SELECT {", ".join(cols)}, count(*) AS n FROM {self.target}
                      WHERE {which} GROUP BY {", ".join(cols)}) s ON {on}) x
            WHERE occurrence <= n"""
        )

    def repeated_keys_against_store(self, keyed: str) -> None:
        """A key naming a group of rows: a new row whose key is stored is a conflict; with
        --replace the file's whole group for that key replaces the stored group."""
        on = " AND ".join(f"r.{c} = t.{c}" for c in self.keys)
        changed = f"""(SELECT DISTINCT {", ".join("r." + c for c in self.keys)}
            FROM (SELECT * FROM {ROWS} WHERE {keyed}
                  AND _line NOT IN (SELECT _line FROM {FATE})) r
            WHERE EXISTS (SELECT 1 FROM {self.target} t WHERE {on}))"""
        group = f"""SELECT r._line, {_key_text("r", self.keys)} AS key_text FROM {ROWS} r
            JOIN {changed} t ON {on}"""
        if self.replace:
            self.cur.execute(f"DELETE FROM {FATE} WHERE _line IN (SELECT _line FROM ({group}) g)")
            self.cur.execute(f"INSERT INTO {FATE} SELECT _line, 'replace', NULL FROM ({group}) g")
            return
        self.cur.execute(
            f"""INSERT INTO {FATE}
            SELECT _line, 'conflict', 'key ' || key_text || ' is already stored with different '
                   || 'rows (ingest with --replace to correct it)'
            FROM ({group}) g WHERE _line NOT IN (SELECT _line FROM {FATE})"""
        )

    # -- writing -----------------------------------------------------------------------------
    def _json(self, alias: str) -> str:
        pairs = ", ".join(f"'{c}', {alias}.{ident(c)}" for c in self.kind.column_names)
        return f"json_build_object({pairs})"

    def quarantine_conflicts(self) -> int:
        return self.q(
            f"""INSERT INTO quarantine (load_id, file, kind, line, "column", rule, reason, raw)
            SELECT %s, %s, %s, r._line, %s, f.fate, f.reason, CAST({self._json("r")} AS text)
            FROM {ROWS} r JOIN {FATE} f USING (_line) WHERE f.fate = 'conflict'""",
            [self.load_id, self.checked.file, self.kind.name, ", ".join(self.kind.key)],
        )

    def write_audit(self) -> None:
        """Old and new rows of every replaced key go to ``audit``; the old rows are deleted."""
        key_on = " AND ".join(f"t.{c} = r.{c}" for c in self.keys)
        replaced = f"""(SELECT r.* FROM {ROWS} r JOIN {FATE} f USING (_line)
            WHERE f.fate = 'replace')"""
        head = "%s, %s"
        params = [self.load_id, self.kind.name]
        if self.kind.key_repeats:
            keys = ", ".join("r." + c for c in self.keys)
            old_group = f"""(SELECT CAST(json_agg({self._json("t")}) AS text)
                FROM {self.target} t WHERE {key_on})"""
            self.cur.execute(
                f"""INSERT INTO audit
                SELECT {head}, key_text, {old_group}, new_rows, now() AT TIME ZONE 'UTC' FROM (
                    SELECT {keys}, min({_key_text("r", self.keys)}) AS key_text,
                           CAST(json_agg({self._json("r")} ORDER BY r._line) AS text) AS new_rows
                    FROM {replaced} r GROUP BY {keys}) r""",
                params,
            )
        else:
            self.cur.execute(
                f"""INSERT INTO audit
                SELECT {head}, {_key_text("r", self.keys)}, CAST({self._json("t")} AS text),
                       CAST({self._json("r")} AS text), now() AT TIME ZONE 'UTC'
                FROM {replaced} r JOIN {self.target} t ON {key_on}""",
                params,
            )
        self.cur.execute(f"DELETE FROM {self.target} t USING {replaced} r WHERE {key_on}")

    def insert(self) -> int:
        if self.direct:
            return self.copied
        cols = [*stored_columns(self.kind), "_load_id"]
        names = ", ".join(map(ident, cols))
        return self.q(
            f"""INSERT INTO {self.target} ({names})
            SELECT {names} FROM {ROWS} r
            WHERE NOT EXISTS (SELECT 1 FROM {FATE} f
                              WHERE f._line = r._line AND f.fate <> 'replace')"""
        )

    def forget_requarantined(self) -> int:
        """Rows quarantined exactly as an earlier load of the same file (same SHA-256 and
        kind) did count as skipped, so reloading a file does not grow the quarantine."""
        return self.q(
            """DELETE FROM quarantine q WHERE q.load_id = %s AND EXISTS (
                SELECT 1 FROM quarantine p JOIN load_log l ON p.load_id = l.load_id
                WHERE l.file_sha256 = %s AND l.kind = %s
                  AND p.line = q.line AND p.rule = q.rule
                  AND p."column" IS NOT DISTINCT FROM q."column"
                  AND p.raw IS NOT DISTINCT FROM q.raw)""",
            [self.load_id, self.checked.sha256, self.kind.name],
        )
