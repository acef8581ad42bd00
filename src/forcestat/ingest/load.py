"""Loading one file into the store: a single transaction, every record accounted for.

For each file: scan and validate it set-based into a temporary table, quarantine failing
records, sort the valid ones into new / exact duplicate / conflicting (within the file and
against the store), insert the new ones, and log the load. One BEGIN..COMMIT per file: an
exception (or a killed process: DuckDB's write-ahead log) leaves the store as it was.

Invariant, checked before COMMIT: ``read = loaded + quarantined + skipped_duplicates +
filtered`` (``filtered``: rows a mapping file's ``where`` leaves out; 0 without a mapping).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import duckdb

from ..errors import SchemaError, StoreError
from ..schema import KINDS, RecordKind, UnknownKindError, detect_kind, get_kind
from ..store import Store
from . import dedupe
from .archive import ARCHIVE_SUFFIXES, unpacked
from .mapping import Mapping, apply_mapping
from .readers import DATA_SUFFIXES, FileDigest, Source, open_source, sql_string
from .validate import Check, checked_select, ident, raw_text_sql, raw_value_sql

CHK = "_fs_chk"
ROWS = "_fs_rows"
LINES = "_fs_lines"
NEWLINES = "_fs_newlines"
TEMP_TABLES = (CHK, LINES, NEWLINES, dedupe.FATE, "_fs_rejects", "_fs_rejects_scan")

Progress = Callable[[int, int, str], None]


@dataclass
class LoadResult:
    """What happened to one file. ``replaced`` rows are counted in ``loaded`` too."""

    file: str
    kind: str
    read: int
    loaded: int
    quarantined: int
    skipped_duplicates: int
    replaced: int
    load_id: int
    sha256: str
    filtered: int = 0

    def as_dict(self) -> dict[str, object]:
        """The per-file summary the CLI prints with ``--json``."""
        return {
            "file": self.file,
            "kind": self.kind,
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "skipped_duplicates": self.skipped_duplicates,
            "filtered": self.filtered,
        }


# -- public API ------------------------------------------------------------------------------
def data_files(paths: Iterable[str | PathLike[str]]) -> list[Path]:
    """The files to ingest: each path itself, or every data file (or .zip archive) under a
    folder, sorted."""
    out: list[Path] = []
    wanted = (*DATA_SUFFIXES, *ARCHIVE_SUFFIXES)
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in wanted)
            if not found:
                raise SchemaError(f"{p}: folder holds no data files ({', '.join(wanted)})")
            out.extend(found)
        else:
            out.append(p)
    return out


@dataclass
class Refusal:
    """A file that was not loaded, why, and the record kind it came closest to."""

    file: str
    reason: str
    closest_kind: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The per-file line the CLI prints with ``--json`` for a refused file."""
        return {"file": self.file, "refused": self.reason, "closest_kind": self.closest_kind}


def ingest_each(
    store: Store,
    paths: Iterable[str | PathLike[str]],
    kind: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
    mapping: Mapping | None = None,
) -> tuple[list[LoadResult], list[Refusal]]:
    """Ingest every file in ``paths`` (folders and .zip archives expanded), each judged on its
    own: a file that loads commits on its own; one that cannot be read or matches no record
    kind is refused, with the reason, and the others still load."""
    results: list[LoadResult] = []
    refused: list[Refusal] = []
    with unpacked(data_files(paths)) as files:
        for i, (f, label) in enumerate(files, start=1):
            try:
                results.append(
                    ingest_file(store, f, kind=kind, replace=replace, mapping=mapping, label=label)
                )
            except UnknownKindError as e:
                refused.append(Refusal(label, _relabel(str(e), f), e.closest))
            except SchemaError as e:
                refused.append(Refusal(label, _relabel(str(e), f)))
            if progress is not None:
                progress(i, len(files), label)
    return results, refused


def _relabel(message: str, path: Path) -> str:
    """The message without its leading file name (the refusal names the file)."""
    return message.removeprefix(f"{path}: ")


def ingest_paths(
    store: Store,
    paths: Iterable[str | PathLike[str]],
    kind: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
    mapping: Mapping | None = None,
) -> list[LoadResult]:
    """Ingest every file in ``paths`` (folders expanded), one transaction per file.

    Every file's header is checked before anything is loaded, so a file that is empty,
    unreadable or missing a required column stops the run with the store unchanged.
    ``progress(done, total, file)`` is called after each file. With ``mapping`` every file
    is read through that mapping file (see :mod:`forcestat.ingest.mapping`).
    """
    with unpacked(data_files(paths)) as files:
        for f, label in files:  # fail fast, before any file is loaded
            try:
                resolve(store.duck, f, kind, mapping)
            except SchemaError as e:
                if label == str(f):
                    raise
                raise SchemaError(str(e).replace(str(f), label)) from None
        results = []
        for i, (f, label) in enumerate(files, start=1):
            results.append(
                ingest_file(store, f, kind=kind, replace=replace, mapping=mapping, label=label)
            )
            if progress is not None:
                progress(i, len(files), label)
    return results


#: Published header names some kinds map exactly (police.uk's "Crime ID", "Month", ...).
PUBLISHED_HEADERS = {h for k in KINDS.values() for h in k.header_aliases}


def header_name(header: str) -> str:
    """The name a header is matched by: published names as they are, any other header
    trimmed, lower-cased, with spaces and hyphens as underscores ("Call ID" -> call_id)."""
    h = header.strip().lstrip("\ufeff")
    if h in PUBLISHED_HEADERS:
        return h
    return h.lower().replace(" ", "_").replace("-", "_")


def resolve(
    con: duckdb.DuckDBPyConnection, path: Path, kind: str | None, mapping: Mapping | None = None
) -> tuple[Source, RecordKind, dict[str, int]]:
    """Open ``path`` and decide its kind and which header column feeds each kind column."""
    source = open_source(con, path)
    if mapping is not None:
        if kind is not None and kind != mapping.kind.name:
            raise SchemaError(
                f"{path}: --kind {kind} but the mapping {mapping.source} makes {mapping.kind.name}"
            )
        source = apply_mapping(con, source, mapping)
        kind = mapping.kind.name
    names = [header_name(h) for h in source.header]
    if kind is not None:
        rk = get_kind(kind)
    else:
        try:
            rk = detect_kind(names, own=source.header)
        except UnknownKindError as e:
            raise UnknownKindError(f"{path}: {e}", e.closest, e.missing) from None
    columns: dict[str, int] = {}
    for i, h in enumerate(names):
        name = rk.canonical(h)
        if name in rk.column_names and name not in columns:
            columns[name] = i
    missing = [c for c in rk.required_columns if c not in columns]
    if missing:
        raise SchemaError(f"{path}: missing required columns for {rk.name}: {', '.join(missing)}")
    return source, rk, columns


def ingest_file(
    store: Store,
    path: str | PathLike[str],
    kind: str | None = None,
    replace: bool = False,
    mapping: Mapping | None = None,
    label: str | None = None,
) -> LoadResult:
    """Validate and load one file in one transaction; see the module docstring.

    ``label`` names the file in load_log, quarantine and the result (a member of an archive
    is named ``archive.zip/folder/file.csv``); by default its path."""
    p = Path(path)
    con = store.duck
    source, rk, columns = resolve(con, p, kind, mapping)
    digest = FileDigest(p)
    digest.start()
    job = _FileLoad(con, source, rk, columns, replace, digest)
    if label:
        job.file = label
    try:
        # Scanning writes only connection-local TEMP tables, so it runs before the transaction
        # (their row ids then number the records from 0); the store is written after BEGIN.
        job.prepare()
        con.execute("BEGIN TRANSACTION")
        try:
            result = job.run()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        digest.join()
        _drop_temp(con)
    return result


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP VIEW IF EXISTS {ROWS}")
    for t in TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {t}")


# -- one file --------------------------------------------------------------------------------
class _FileLoad:
    """The steps of loading one file, all inside the caller's transaction."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        source: Source,
        kind: RecordKind,
        mapping: dict[str, int],
        replace: bool,
        digest: FileDigest,
    ) -> None:
        self.con = con
        self.source = source
        self.kind = kind
        self.mapping = mapping
        self.replace = replace
        self.digest = digest
        self.file = str(source.path)
        self.load_id = 0
        self.rejected = 0
        self.checks: list[Check] = []

    @property
    def origin(self) -> str:
        """load_id, file and kind as SQL literals (a prepared statement's parameters can make
        DuckDB plan these inserts far slower, so they are written into the SQL)."""
        return f"{self.load_id}, {sql_string(self.file)}, {sql_string(self.kind.name)}"

    def q(self, sql: str, params: list[object] | None = None) -> int:
        """Run ``sql``; the number it returns (row count of an INSERT/DELETE, or a count)."""
        row = self.con.execute(sql, params or []).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def prepare(self) -> None:
        """Scan and validate the file into TEMP tables (no store table is touched)."""
        _drop_temp(self.con)
        self.con.execute("SET enable_progress_bar = false")  # the CLI draws its own
        self.checks = self.scan()
        self.number_lines()

    def run(self) -> LoadResult:
        """Write quarantine, rows, audit and load_log: call inside a transaction."""
        self.load_id = self.q("SELECT coalesce(max(load_id), 0) + 1 FROM load_log")
        self.rejected = self.quarantine_rejects() if self.source.rejects else 0
        quarantined = self.rejected + self.quarantine_invalid(self.checks)
        filtered = self.q(self.source.filtered_sql) if self.source.filtered_sql else 0
        read = self.q(f"SELECT count(*) FROM {ROWS}") + self.rejected + filtered
        fates = dedupe.classify(self.con, self.kind, ROWS, self.replace)
        quarantined += self.quarantine_conflicts() if fates.total else 0
        replaced = self.write_audit() if fates.replaced else 0
        loaded = self.insert(bool(fates.total))
        skipped = fates.skipped
        if quarantined:
            seen = self.forget_requarantined()
            quarantined, skipped = quarantined - seen, skipped + seen
        if read != loaded + quarantined + skipped + filtered:  # never lose a row
            raise StoreError(
                f"{self.file}: internal error: read {read} != loaded {loaded} + quarantined "
                f"{quarantined} + skipped {skipped} + filtered {filtered}; nothing was loaded"
            )
        result = LoadResult(
            self.file,
            self.kind.name,
            read,
            loaded,
            quarantined,
            skipped,
            replaced,
            self.load_id,
            self.digest.hexdigest(),
            filtered,
        )
        counts = ", ".join(str(n) for n in (read, loaded, quarantined, skipped, replaced, filtered))
        self.con.execute(
            f"INSERT INTO load_log VALUES ({self.load_id}, "
            f"{sql_string(self.file)}, {sql_string(result.sha256)}, "
            f"{sql_string(self.kind.name)}, now()::TIMESTAMP, {counts})"
        )
        return result

    # -- scanning ----------------------------------------------------------------------------
    def scan(self) -> list[Check]:
        raw_value = raw_value_sql(self.source, self.mapping)
        select, checks = checked_select(self.source, self.kind, self.mapping, raw_value)
        try:
            self.con.execute(f"CREATE TEMP TABLE {CHK} AS {select}")
        except duckdb.Error as e:
            msg = str(e).strip().splitlines()[0]
            raise SchemaError(f"{self.file}: cannot read: {msg}") from e
        return checks

    def number_lines(self) -> None:
        """Give every record its ``_line`` (see docs/ingest.md) in relation ``_fs_rows``."""
        s = self.source
        if s.line_sql:
            self.con.execute(
                f"CREATE TEMP VIEW {ROWS} AS SELECT *, {s.line_sql} AS _line FROM {CHK}"
            )
            return
        if not s.rejects or not self.q("SELECT count(*) FROM _fs_rejects"):
            if s.rescan and self.records_span_lines():
                self.number_multiline_records()
                return
            # CHK was filled in file order outside any transaction, so rowid counts from 0
            self.con.execute(
                f"CREATE TEMP VIEW {ROWS} AS SELECT *, rowid + {s.first_line} AS _line FROM {CHK}"
            )
            return
        # each rejected record shifts the line numbers of the parsed records after it
        self.con.execute(
            f"""CREATE TEMP VIEW {ROWS} AS
            SELECT c.* EXCLUDE (_rid), c._rid + {s.first_line} + coalesce(r.n, 0) AS _line
            FROM (SELECT rowid AS _rid, * FROM {CHK}) c
            ASOF LEFT JOIN (
                SELECT p, max(n) AS n FROM (
                    SELECT line - {s.first_line} - (row_number() OVER (ORDER BY line) - 1) AS p,
                           row_number() OVER (ORDER BY line) AS n
                    FROM (SELECT DISTINCT line FROM _fs_rejects)) GROUP BY p
            ) r ON c._rid >= r.p"""
        )

    def records_span_lines(self) -> bool:
        """True when the file has more lines than header + records: some quoted field holds
        a newline (or there are blank lines)."""
        records = self.q(f"SELECT count(*) FROM {CHK}")
        return self.digest.physical_lines() > records + self.source.first_line - 1

    def number_multiline_records(self) -> None:
        """Number records by the physical line they start on: a second scan counts the
        newlines inside each record's fields; a running sum shifts the records after it."""
        assert self.source.rescan is not None
        nl = " + ".join(
            f"(length(coalesce({c}, '')) - length(replace(coalesce({c}, ''), chr(10), '')))"
            for c in self.source.raw_columns
        )
        self.con.execute(
            f"CREATE TEMP TABLE {NEWLINES} AS SELECT {nl} AS nl FROM {self.source.rescan}"
        )
        self.con.execute(
            f"""CREATE TEMP TABLE {LINES} AS
            SELECT _rid + {self.source.first_line}
                   + coalesce(sum(nl) OVER (ORDER BY _rid ROWS BETWEEN UNBOUNDED PRECEDING
                                            AND 1 PRECEDING), 0) AS _line, _rid
            FROM (SELECT rowid AS _rid, nl FROM {NEWLINES})"""
        )
        self.con.execute(
            f"""CREATE TEMP VIEW {ROWS} AS SELECT c.* EXCLUDE (_rid), l._line
            FROM (SELECT rowid AS _rid, * FROM {CHK}) c JOIN {LINES} l USING (_rid)"""
        )

    def quarantine_rejects(self) -> int:
        """Quarantine the records the CSV parser rejected, one row per physical line so that
        an unterminated quote swallowing later lines still counts every line it swallowed."""
        if not self.q("SELECT count(*) FROM _fs_rejects"):
            return 0
        return self.q(
            f"""INSERT INTO quarantine
            SELECT {self.origin}, line + row_number() OVER (PARTITION BY line ORDER BY k) - 1,
                   coalesce(column_name, ''), rule, reason, piece
            FROM (
                SELECT r.line, r.column_name, k, piece,
                       CASE WHEN r.error_type = 'INVALID ENCODING' THEN 'invalid_encoding'
                            ELSE 'malformed_csv' END AS rule,
                       r.error_message AS reason
                FROM (SELECT line, arg_min(column_name, column_idx) AS column_name,
                             arg_min(error_type, column_idx) AS error_type,
                             arg_min(error_message, column_idx) AS error_message,
                             arg_min(csv_line, column_idx) AS csv_line
                      FROM _fs_rejects GROUP BY line) r,
                     LATERAL (SELECT unnest(string_split(r.csv_line, chr(10))) AS piece,
                                     generate_subscripts(string_split(r.csv_line, chr(10)), 1)
                                       AS k)
                WHERE trim(piece, chr(13) || ' ') <> '')""",
        )

    # -- quarantine ------------------------------------------------------------------------
    def quarantine_invalid(self, checks: list[Check]) -> int:
        if not checks or not self.q(f"SELECT count(*) FROM {ROWS} WHERE _err IS NOT NULL"):
            return 0
        rule = " ".join(f"WHEN {c.code} THEN {sql_string(c.rule)}" for c in checks)
        column = " ".join(f"WHEN {c.code} THEN {sql_string(c.column)}" for c in checks)
        reason = " ".join(f"WHEN {c.code} THEN {c.reason_sql}" for c in checks)
        return self.q(
            f"""INSERT INTO quarantine
            SELECT {self.origin}, _line, CASE _err {column} END, CASE _err {rule} END,
                   CASE _err {reason} END, {raw_text_sql(self.source)}
            FROM {ROWS} WHERE _err IS NOT NULL""",
        )

    def forget_requarantined(self) -> int:
        """Rows this load quarantined exactly as an earlier load of the same file (same
        SHA-256 and kind) already did: they are duplicates of rows the store has accounted
        for, so they count as skipped and the quarantine table does not grow on a reload."""
        sha = sql_string(self.digest.hexdigest())
        return self.q(
            f"""DELETE FROM quarantine q WHERE q.load_id = {self.load_id} AND EXISTS (
                SELECT 1 FROM quarantine p JOIN load_log l ON p.load_id = l.load_id
                WHERE l.file_sha256 = {sha} AND l.kind = {sql_string(self.kind.name)}
                  AND p.line = q.line AND p.rule = q.rule
                  AND p."column" IS NOT DISTINCT FROM q."column"
                  AND p.raw IS NOT DISTINCT FROM q.raw)"""
        )

    def quarantine_conflicts(self) -> int:
        return self.q(
            f"""INSERT INTO quarantine
            SELECT {self.origin}, r._line, {sql_string(", ".join(self.kind.key))}, f.fate, f.reason,
                   CAST(to_json(struct_pack({self._struct("r")})) AS VARCHAR)
            FROM {ROWS} r JOIN {dedupe.FATE} f USING (_line)
            WHERE f.fate IN ('duplicate_key', 'conflict')""",
        )

    def _struct(self, alias: str) -> str:
        return ", ".join(f"{ident(c)} := {alias}.{ident(c)}" for c in self.kind.column_names)

    # -- writing -----------------------------------------------------------------------------
    def write_audit(self) -> int:
        """Record old and new rows of every replaced key, then delete the old rows.

        One audit row per key: the old and new row as JSON objects, or, for a kind whose key
        repeats, the old and new groups of rows as JSON arrays."""
        keys = [ident(k) for k in self.kind.key]
        key_on = " AND ".join(f"t.{k} = r.{k}" for k in keys)
        key_text = " || '|' || ".join(f"CAST(r.{k} AS VARCHAR)" for k in keys)
        target = ident(self.kind.name)
        replaced = f"""(SELECT r.* FROM {ROWS} r JOIN {dedupe.FATE} f USING (_line)
            WHERE f.fate = 'replace')"""
        head = f"{self.load_id}, {sql_string(self.kind.name)}"
        if self.kind.key_repeats:
            old_group = f"""(SELECT CAST(to_json(list(struct_pack({self._struct("t")}))) AS VARCHAR)
                FROM {target} t WHERE {key_on})"""
            self.con.execute(
                f"""INSERT INTO audit
                SELECT {head}, key_text, {old_group}, new_rows, now()::TIMESTAMP FROM (
                    SELECT {", ".join("r." + k for k in keys)}, any_value({key_text}) AS key_text,
                           CAST(to_json(list(struct_pack({self._struct("r")}) ORDER BY r._line))
                                AS VARCHAR) AS new_rows
                    FROM {replaced} r GROUP BY ALL) r"""
            )
        else:
            self.con.execute(
                f"""INSERT INTO audit
                SELECT {head}, {key_text},
                       CAST(to_json(struct_pack({self._struct("t")})) AS VARCHAR),
                       CAST(to_json(struct_pack({self._struct("r")})) AS VARCHAR),
                       now()::TIMESTAMP
                FROM {replaced} r JOIN {target} t ON {key_on}"""
            )
        self.con.execute(f"DELETE FROM {target} t USING {replaced} r WHERE {key_on}")
        return self.q(f"SELECT count(*) FROM {dedupe.FATE} WHERE fate = 'replace'")

    def insert(self, any_fates: bool) -> int:
        cols = [ident(c) for c in self.kind.column_names]
        select = list(cols)
        for d in self.kind.derived_columns:
            cols.append(ident(d.name))
            select.append(d.sql)
        cols += ["_load_id", "_line"]
        select += [str(self.load_id), "_line"]
        where = "_err IS NULL"
        if any_fates:
            where += f" AND _line NOT IN (SELECT _line FROM {dedupe.FATE} WHERE fate <> 'replace')"
        return self.q(
            f"INSERT INTO {ident(self.kind.name)} ({', '.join(cols)}) "
            f"SELECT {', '.join(select)} FROM {ROWS} WHERE {where}"
        )
