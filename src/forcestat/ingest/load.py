"""Loading one file into the store: every record accounted for, all or nothing.

For each file: scan and validate it set-based into TEMP tables, count its records without
the parser and check the two agree, sort the valid ones into new / exact duplicate /
conflicting (within the file and against the store) -- all before the store is touched.
Then two transactions:

1. the journal: ``load_journal`` gets the load as ``started`` and, for ``--replace``, the
   stored rows it will delete are copied to ``undo_<kind>``;
2. the data: quarantine, deletes and audit, the rows, ``load_log``, and last the journal's
   ``committed`` (DuckDB writes a transaction's log in that order).

If the process dies anywhere -- even while DuckDB writes the commit and replays only part of
it -- the next :meth:`Store.open` finds the load ``started`` and undoes it
(:meth:`Store.recover`). An exception rolls back and undoes it at once.

Invariant, checked before COMMIT: ``read = loaded + quarantined + skipped_duplicates +
filtered``, with ``read`` the count of records in the file made without the parser and
``filtered`` the rows a mapping file's ``where`` leaves out (0 without a mapping).
"""

from __future__ import annotations

import mmap
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import duckdb

from ..errors import InputError, SchemaError
from ..provenance import MARKER, find_marker, mark_synthetic, read_marker
from ..schema import KINDS, RecordKind, UnknownKindError, detect_kind, get_kind
from ..store import Store, undo_table
from . import dedupe, physical, recordwise
from .archive import ARCHIVE_SUFFIXES, unpacked
from .mapping import Mapping, apply_mapping
from .readers import (
    DATA_SUFFIXES,
    MAX_LINE_SIZE,
    FileDigest,
    Source,
    close_source,
    csv_scan,
    open_source,
    sql_string,
)
from .validate import Check, Window, checked_select, ident, raw_text_sql, raw_value_sql

CHK = "_fs_chk"
ROWS = "_fs_rows"
LINES = "_fs_lines"
NEWLINES = "_fs_newlines"
GONE = "_fs_gone"
TEMP_TABLES = (
    CHK,
    LINES,
    NEWLINES,
    GONE,
    dedupe.FATE,
    dedupe.PAIRS,
    "_fs_rejects",
    "_fs_rejects_scan",
)
#: the tables holding monthly rollups start with this (``forcestat.measures.rollup.PREFIX``)
ROLLUP_PREFIX = "rollup_"
#: longest raw text quarantine keeps of one record; longer ones keep their length and SHA-256
RAW_LIMIT = recordwise.RAW_LIMIT

Progress = Callable[[int, int, str], None]


@dataclass
class LoadResult:
    """What happened to one file. ``replaced`` rows are counted in ``loaded`` too;
    ``deleted`` stored rows were removed by ``--replace``. A file refused as a whole has
    ``status`` 'refused' and the reason in ``error`` (and ``closest_kind`` when no record kind
    fits); nothing of it was loaded."""

    file: str
    kind: str
    read: int
    loaded: int
    quarantined: int
    skipped_duplicates: int
    replaced: int
    load_id: int
    sha256: str
    deleted: int = 0
    status: str = "loaded"
    error: str | None = None
    filtered: int = 0
    #: for a file refused because it matches no record kind: the kind it came closest to
    closest_kind: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The per-file summary the CLI prints with ``--json``."""
        d: dict[str, object] = {
            "file": self.file,
            "kind": self.kind,
            "status": self.status,
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "skipped_duplicates": self.skipped_duplicates,
            "replaced": self.replaced,
            "deleted": self.deleted,
            "filtered": self.filtered,
        }
        if self.error is not None:
            d["error"] = self.error
        if self.closest_kind is not None:
            d["closest_kind"] = self.closest_kind
        return d

    @classmethod
    def refused(
        cls, file: str, error: str, kind: str = "", closest_kind: str | None = None
    ) -> LoadResult:
        return cls(
            file, kind, 0, 0, 0, 0, 0, 0, "", status="refused", error=error,
            closest_kind=closest_kind,
        )  # fmt: skip


# -- public API ------------------------------------------------------------------------------
def data_files(paths: Iterable[str | PathLike[str]]) -> list[Path]:
    """The files to ingest: each path itself, or every data file (or .zip archive) under a
    folder, sorted.

    Folders are walked without following symbolic links to folders (no loops); FIFOs,
    sockets and devices are not data files and are left out."""
    out: list[Path] = []
    wanted = (*DATA_SUFFIXES, *ARCHIVE_SUFFIXES)
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                f
                for f in _walk(p)
                if f.suffix.lower() in wanted and (f.is_file() or f.is_symlink())
            )
            if not found:
                raise SchemaError(f"{p}: folder holds no data files ({', '.join(wanted)})")
            out.extend(found)
        else:
            out.append(p)
    return out


def _walk(folder: Path) -> Iterable[Path]:
    for root, _dirs, files in os.walk(folder, followlinks=False):
        for name in files:
            yield Path(root) / name


def ingest_paths(
    store: Store,
    paths: Iterable[str | PathLike[str]],
    kind: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
    window: Window | None = None,
    mapping: Mapping | None = None,
) -> list[LoadResult]:
    """Ingest every file in ``paths`` (folders expanded), one load per file.

    Every file's header is checked before anything is loaded, so a file that is empty,
    unreadable or missing a required column stops the run with the store unchanged.
    ``progress(done, total, file)`` is called after each file. A file refused later (its
    records could not be read) raises its error; files before it stay loaded: use
    :func:`ingest_each` to get every file's outcome instead.
    """
    files = data_files(paths)
    with unpacked(files) as members:
        for f, label in members:  # fail fast, before any file is loaded
            try:
                resolve(store.duck, f, kind, check_only=True, mapping=mapping)
            except SchemaError as e:
                if label == str(f):
                    raise
                raise SchemaError(str(e).replace(str(f), label)) from None
    results = ingest_each(store, paths, kind, replace, progress, window, mapping=mapping)
    for r in results:
        if r.status == "refused":
            raise SchemaError(r.error or f"{r.file}: refused")
    return results


def ingest_each(
    store: Store,
    paths: Iterable[str | PathLike[str]],
    kind: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
    window: Window | None = None,
    mapping: Mapping | None = None,
) -> list[LoadResult]:
    """Every file in ``paths`` (folders and .zip archives expanded) judged on its own: a file
    that loads commits on its own; one that cannot be read, matches no record kind or is
    refused while loading is reported (``status`` 'refused', its ``error`` and, when no kind
    fits, the ``closest_kind``) and the others still load. With ``mapping`` every file is
    read through that mapping file (:mod:`forcestat.ingest.mapping`)."""
    given = [Path(p) for p in paths]
    window = window or Window.default()
    results: list[LoadResult] = []
    markers = _synth_markers(given)
    with unpacked(data_files(given)) as files:
        for i, (f, label) in enumerate(files, start=1):
            try:
                results.append(
                    ingest_file(
                        store,
                        f,
                        kind=kind,
                        replace=replace,
                        window=window,
                        mapping=mapping,
                        label=label,
                    )  # fmt: skip
                )
            except UnknownKindError as e:
                results.append(LoadResult.refused(label, _relabel(e, f, label), "", e.closest))
            except InputError as e:
                results.append(LoadResult.refused(label, _relabel(e, f, label)))
            marker = next((m for root, m in markers if f.resolve().is_relative_to(root)), None)
            if marker is not None and results[-1].status != "refused":
                mark_synthetic(store, read_marker(marker))  # the store holds synthetic records
            if progress is not None:
                progress(i, len(files), label)
    return results


def _relabel(e: Exception, path: Path, label: str) -> str:
    """The error naming the file as the user knows it (an archive member by its name)."""
    return str(e).replace(str(path), label) if label != str(path) else str(e)


def _synth_markers(paths: list[Path]) -> list[tuple[Path, Path]]:
    """(folder, marker) for every given path that synth's ``synthetic.json`` marks."""
    out = []
    for p in paths:
        found = [find_marker(p)]
        if p.is_dir():
            found += sorted(p.rglob(MARKER))
        out += [(m.parent.resolve(), m) for m in found if m is not None]
    return out


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
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str | None,
    check_only: bool = False,
    mapping: Mapping | None = None,
) -> tuple[Source, RecordKind, dict[str, int]]:
    """Open ``path`` and decide its kind and which header column feeds each kind column.

    With ``mapping`` the file is read through it (the Source returned is the mapped one; its
    ``original`` is the file's own). With ``check_only`` the source is closed again."""
    source = open_source(con, path)
    try:
        if mapping is not None:
            if kind is not None and kind != mapping.kind.name:
                raise SchemaError(
                    f"{path}: --kind {kind} but the mapping {mapping.source} makes "
                    f"{mapping.kind.name}"
                )
            mapped = apply_mapping(con, source, mapping)
            rk, columns = _match(path, mapped, mapping.kind.name)
            source = mapped
        else:
            rk, columns = _match(path, source, kind)
    except BaseException:
        close_source(con, source.original or source)
        raise
    if check_only:
        close_source(con, source.original or source)
    return source, rk, columns


def _match(path: Path, source: Source, kind: str | None) -> tuple[RecordKind, dict[str, int]]:
    names = [header_name(h) for h in source.header]
    if kind is not None:
        rk = get_kind(kind)
    else:
        try:
            rk = detect_kind(names, own=source.header)
        except UnknownKindError as e:
            raise UnknownKindError(f"{path}: {e}", e.closest, e.missing) from None
    mapping: dict[str, int] = {}
    for i, h in enumerate(names):
        name = rk.canonical(h)
        if name in rk.column_names:
            if name in mapping:
                first = source.header[mapping[name]]
                raise SchemaError(
                    f"{path}: columns {first!r} and {source.header[i]!r} both name {name} "
                    "(each column must have its own name)"
                )
            mapping[name] = i
    missing = [c for c in rk.required_columns if c not in mapping]
    if missing:
        raise SchemaError(f"{path}: missing required columns for {rk.name}: {', '.join(missing)}")
    return rk, mapping


def ingest_file(
    store: Store,
    path: str | PathLike[str],
    kind: str | None = None,
    replace: bool = False,
    window: Window | None = None,
    mapping: Mapping | None = None,
    label: str | None = None,
) -> LoadResult:
    """Validate and load one file, all or nothing; see the module docstring.

    ``mapping`` reads the file through a mapping file; ``label`` names the file in load_log,
    quarantine and the result (an archive member as ``archive.zip/folder/file.csv``)."""
    p = Path(path)
    con = store.duck
    source, rk, columns = resolve(con, p, kind, mapping=mapping)
    own = source.original or source
    try:
        digest = FileDigest(p, own)
        digest.start()
        job = _FileLoad(store, source, rk, columns, replace, digest, window or Window.default())
        job.file_mapping = mapping
        if label:
            job.file = label
        try:
            job.prepare()
            return job.commit()
        finally:
            digest.join()
            _drop_temp(con)
    finally:
        close_source(con, own)


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP VIEW IF EXISTS {ROWS}")
    for t in TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {t}")


# -- one file --------------------------------------------------------------------------------
class _FileLoad:
    """The steps of loading one file: :meth:`prepare` (TEMP tables only), then :meth:`commit`."""

    def __init__(
        self,
        store: Store,
        source: Source,
        kind: RecordKind,
        mapping: dict[str, int],
        replace: bool,
        digest: FileDigest,
        window: Window,
    ) -> None:
        self.store = store
        self.con = store.duck
        self.source = source
        self.kind = kind
        self.mapping = mapping
        self.replace = replace
        self.digest = digest
        self.window = window
        self.file = str(source.path)
        self.load_id = 0
        self.rejected = 0
        self.checks: list[Check] = []
        self.fates = dedupe.Fates(0, 0, 0)
        self.deleting = 0
        #: the mapping file the source is read through (re-applied if the file is re-read)
        self.file_mapping: Mapping | None = None
        #: set when the file was read record by record (:mod:`recordwise`)
        self.records: recordwise.Recordwise | None = None

    @property
    def own(self) -> Source:
        """The file's own Source (under a mapping, the one the mapping reads)."""
        return self.source.original or self.source

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
        """Scan, validate and classify the file into TEMP tables (no store table is touched;
        one process writes a store at a time, so what is read here holds until commit)."""
        _drop_temp(self.con)
        self.con.execute("SET enable_progress_bar = false")  # the CLI draws its own
        self.checks = self.scan()
        if self.records is None and self.parser_lost_track():
            self.read_record_by_record()
            self.checks = self.scan()
        self.number_lines()
        self.fates = dedupe.classify(self.con, self.kind, ROWS, self.replace)
        self.deleting = self.plan_deletes() if self.fates.replaced else 0

    def commit(self) -> LoadResult:
        """Journal the load, then write it; undo it if anything fails on the way."""
        self.load_id = self.store.next_load_id()
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT INTO load_journal VALUES (?, ?, ?, 'started', ?, ?, now()::TIMESTAMP, "
                "NULL)",
                [self.load_id, self.file, self.kind.name, os.getpid(), socket.gethostname()],
            )
            if self.deleting:
                self.copy_to_undo()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("BEGIN TRANSACTION")
        try:
            result = self.run()
            # the store's monthly rollups, if it keeps them, change with the rows they sum
            # (importing forcestat.measures costs seconds, SciPy: only when there are any)
            if self.q(
                "SELECT count(*) FROM information_schema.tables "
                f"WHERE starts_with(table_name, {sql_string(ROLLUP_PREFIX)})"
            ):
                from ..measures import rollup

                rollup.refresh(self.store, [self.kind.name])
            # last: a commit DuckDB replays only in part never reaches this row
            con.execute(
                "UPDATE load_journal SET status = 'committed', "
                f"finished_at = now()::TIMESTAMP WHERE load_id = {self.load_id}"
            )
            con.execute("COMMIT")
        except BaseException:
            try:
                con.execute("ROLLBACK")
                # nothing of the load reached the store: forget it was journalled at all
                self.store.forget_load(self.load_id)
            except BaseException:
                self.store.recover([self.load_id])
            raise
        if self.deleting:
            self.store.forget_undo()
        return result

    def run(self) -> LoadResult:
        """Write quarantine, rows, audit and load_log: call inside a transaction."""
        self.rejected = self.quarantine_rejects() if self.source.rejects else 0
        if self.records is not None:
            self.rejected += self.quarantine_unparsed()
        quarantined = self.rejected + self.quarantine_invalid(self.checks)
        filtered = self.q(self.source.filtered_sql) if self.source.filtered_sql else 0
        parsed = self.q(f"SELECT count(*) FROM {CHK}")
        read = self.physical_records(parsed + filtered)
        fates = self.fates
        quarantined += self.quarantine_conflicts() if fates.total else 0
        replaced = self.write_audit() if fates.replaced else 0
        loaded = self.insert(bool(fates.total))
        skipped = fates.skipped
        if quarantined:
            seen = self.forget_requarantined()
            quarantined, skipped = quarantined - seen, skipped + seen
        if read != loaded + quarantined + skipped + filtered:  # never lose a row
            total = loaded + quarantined + skipped + filtered
            raise SchemaError(
                f"{self.file}: the file holds {read:,} records but {total:,} were read "
                f"(loaded {loaded:,} + quarantined {quarantined:,} + skipped "
                f"{skipped:,} + filtered {filtered:,}); refused, nothing was loaded"
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
            deleted=self.deleting,
            filtered=filtered,
        )
        counts = ", ".join(str(n) for n in (read, loaded, quarantined, skipped, replaced))
        self.con.execute(
            f"INSERT INTO load_log BY NAME SELECT {self.load_id} AS load_id, "
            f"{sql_string(self.file)} AS file, {sql_string(result.sha256)} AS file_sha256, "
            f"{sql_string(self.kind.name)} AS kind, now()::TIMESTAMP AS loaded_at, "
            + ", ".join(
                f"{n} AS {c}"
                for n, c in zip(
                    counts.split(", "),
                    ("read", "loaded", "quarantined", "skipped_duplicates", "replaced"),
                    strict=True,
                )
            )
            + f", {self.deleting} AS deleted, {filtered} AS filtered"
        )
        return result

    def physical_records(self, parsed: int) -> int:
        """Records in the file counted without the parser; SchemaError when the parser
        delivered a different number (``parsed`` rows + rejected records)."""
        s = self.source
        if self.records is not None:
            # every line of the file went through the record-by-record reader exactly once
            lines = self.digest.physical_lines()
            if self.records.lines != lines:
                raise SchemaError(
                    f"{self.file}: the file has {lines:,} lines but {self.records.lines:,} "
                    "were read; refused, nothing was loaded"
                )
            counted = self.records.records
            delivered = parsed + len(self.records.failed)
        elif s.physical_records is not None:
            counted = s.physical_records
            delivered = parsed
        else:
            self.digest.hexdigest()
            c = self.digest.counted
            assert c is not None
            counted = c.records
            delivered = parsed + self.q("SELECT count(DISTINCT line) FROM _fs_rejects")
        if counted != delivered:
            raise SchemaError(
                f"{self.file}: the file holds {counted:,} records but the "
                f"{s.format.upper()} reader delivered {delivered:,}; refused, nothing was loaded"
            )
        return parsed + self.rejected if s.rejects else counted

    # -- scanning ----------------------------------------------------------------------------
    def scan(self) -> list[Check]:
        raw_value = raw_value_sql(self.source, self.mapping)
        normalised = False
        for _ in range(3):
            select, checks = checked_select(
                self.source, self.kind, self.mapping, raw_value, self.window
            )
            try:
                self.con.execute(f"CREATE TEMP TABLE {CHK} AS {select}")
            except duckdb.Error as e:
                msg = str(e).strip().splitlines()[0]
                if self.source.format == "csv" and "invalid state" in msg and not normalised:
                    self.scan_line_ends_normalised()  # CRLF and LF mixed in one file
                    normalised = True
                    continue
                if self.own.format == "csv" and self.records is None:
                    self.read_record_by_record()  # e.g. a carriage return inside a field
                    continue
                raise SchemaError(f"{self.file}: cannot read: {msg}") from e
            if not self.too_long_for_scan():
                break
        return checks

    def parser_lost_track(self) -> bool:
        """True when DuckDB's CSV reader and the records counted without it
        (:func:`physical.count_csv`) disagree, or its line numbers cannot be trusted: a
        quote left open, a different record count, or rejected records in a file whose
        records span several lines."""
        own = self.own
        if own.format != "csv" or own.rejects is None:
            return False
        self.digest.hexdigest()
        c = self.digest.counted
        assert c is not None
        if c.open_quote:
            return True
        filtered = self.q(self.source.filtered_sql) if self.source.filtered_sql else 0
        rejected = self.q("SELECT count(DISTINCT line) FROM _fs_rejects")
        if c.records != self.q(f"SELECT count(*) FROM {CHK}") + filtered + rejected:
            return True
        return bool(rejected) and c.records != c.lines - c.blank - 1

    def read_record_by_record(self) -> None:
        """Read the CSV file again with :mod:`recordwise`: every record it cannot parse is
        quarantined with its line number and raw text, the others are loaded."""
        own = self.own
        _drop_temp(self.con)
        self.records = recordwise.read_records(
            self.con, own.scan_path or own.path, own.delimiter, len(own.header)
        )
        own.registered += [self.records.table, self.records.unparsed]
        cols = ", ".join(own.raw_columns)
        own.relation = f"(SELECT __n, {cols} FROM {self.records.table})"
        own.line_sql = "__n"
        own.rejects = own.rescan = None
        own.physical_records = self.records.records
        if self.file_mapping is not None:
            self.source = apply_mapping(self.con, own, self.file_mapping)
        else:
            self.source = own

    def quarantine_unparsed(self) -> int:
        """Quarantine the records the record-by-record reader could not deliver."""
        assert self.records is not None
        if not self.records.failed:
            return 0
        return self.q(
            f"""INSERT INTO quarantine (load_id, file, kind, line, "column", rule, reason, raw,
                                    raw_bytes, raw_length, raw_sha256)
            SELECT {self.origin}, line, '', rule, reason, raw, raw_bytes, raw_length, raw_sha256
            FROM {self.records.unparsed}"""
        )

    def scan_line_ends_normalised(self) -> None:
        s = self.source
        old = s.scan_path or s.path
        s.scan_path = physical.normalise_line_ends(old)
        if old != s.path:
            old.unlink(missing_ok=True)
        size = MAX_LINE_SIZE
        if self.digest.counted is not None:
            size = max(size, self.digest.counted.longest + 1024)
        s.relation = csv_scan(s, size, rejects=True)
        s.rescan = csv_scan(s, size, rejects=False)
        _drop_temp(self.con)

    def too_long_for_scan(self) -> bool:
        """True (and the scan widened) when a CSV record was longer than the scan allowed:
        the file is scanned again with room for its longest record, counted independently."""
        if not self.source.rejects or not self.q(
            "SELECT count(*) FROM _fs_rejects WHERE error_type = 'LINE SIZE OVER MAXIMUM'"
        ):
            return False
        self.digest.hexdigest()
        assert self.digest.counted is not None
        size = self.digest.counted.longest + 1024
        self.source.relation = csv_scan(self.source, size, rejects=True)
        self.source.rescan = csv_scan(self.source, size, rejects=False)
        _drop_temp(self.con)
        return True

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
        """Quarantine the records the CSV parser rejected, one row each, named by the file's
        own column names. (A quote left open to the end of the file never gets here: such a
        file is read record by record.) Records holding bytes that are not UTF-8 keep their
        original bytes (``raw_bytes``)."""
        if not self.q("SELECT count(*) FROM _fs_rejects"):
            return 0
        names = " ".join(
            f"WHEN {sql_string(f'__r{i}')} THEN {sql_string(h or f'column_{i + 1}')}"
            for i, h in enumerate(self.source.header)
        )
        n = self.q(
            f"""INSERT INTO quarantine BY NAME
            SELECT {self.load_id} AS load_id, {sql_string(self.file)} AS file,
                   {sql_string(self.kind.name)} AS kind, line,
                   coalesce(CASE column_name {names} ELSE column_name END, '') AS "column",
                   rule, reason, left(csv_line, {RAW_LIMIT}) AS raw
            FROM (
                SELECT r.line, r.column_name, r.csv_line,
                       CASE WHEN r.error_type = 'INVALID ENCODING' THEN 'invalid_encoding'
                            WHEN r.error_type = 'LINE SIZE OVER MAXIMUM' THEN 'record_too_long'
                            ELSE 'malformed_csv' END AS rule,
                       r.error_message AS reason
                FROM (SELECT line, arg_min(column_name, column_idx) AS column_name,
                             arg_min(error_type, column_idx) AS error_type,
                             arg_min(error_message, column_idx) AS error_message,
                             arg_min(coalesce(csv_line, ''), column_idx) AS csv_line
                      FROM _fs_rejects GROUP BY line) r)"""
        )
        self.keep_original_bytes()
        return n

    def keep_original_bytes(self) -> None:
        """Replace the parser's text of rejected records (it cuts a long one, and shows U+FFFD
        for each byte that is not UTF-8) with the bytes the file holds, read from the start
        of the record's line: cut at RAW_LIMIT, with the full length and SHA-256 of a longer
        one. (The first 10,000 rejected lines; any after those keep the parser's text.)"""
        rows = self.con.execute(
            "SELECT DISTINCT line FROM _fs_rejects ORDER BY line LIMIT 10000"
        ).fetchall()
        if not rows:
            return
        path = self.source.scan_path or self.source.path
        # where each line starts, found by NumPy (records here are one line each: a file
        # whose records span lines beside rejected ones is read record by record instead)
        buf, starts = physical.line_starts(path)
        if isinstance(buf, mmap.mmap):
            buf.close()
        fixes = []
        with path.open("rb") as fh:
            for (line,) in rows:
                if not 0 < int(line) <= len(starts):
                    continue
                pos = int(starts[int(line) - 1])
                text, original, length, sha = physical.line_at(fh, pos, RAW_LIMIT)
                fixes.append((text, original, length, sha, int(line)))
        self.con.executemany(
            f"UPDATE quarantine SET raw = ?, raw_bytes = ?, raw_length = ?, raw_sha256 = ? "
            f"WHERE load_id = {self.load_id} AND line = ? "
            "AND rule IN ('invalid_encoding', 'malformed_csv', 'record_too_long')",
            fixes,
        )

    # -- quarantine ------------------------------------------------------------------------
    def quarantine_invalid(self, checks: list[Check]) -> int:
        """Quarantine records failing a check, the column named as the file names it, the raw
        text cut at RAW_LIMIT (a longer record keeps its length and SHA-256)."""
        if not checks or not self.q(f"SELECT count(*) FROM {ROWS} WHERE _err IS NOT NULL"):
            return 0
        header = self.source.header
        named = {c: header[i] or c for c, i in self.mapping.items()}
        rule = " ".join(f"WHEN {c.code} THEN {sql_string(c.rule)}" for c in checks)
        column = " ".join(
            f"WHEN {c.code} THEN {sql_string(named.get(c.column, c.column))}" for c in checks
        )
        reason = " ".join(f"WHEN {c.code} THEN {c.reason_sql}" for c in checks)
        cut = f"strlen(_text) > {RAW_LIMIT}"
        return self.q(
            f"""INSERT INTO quarantine (load_id, file, kind, line, "column", rule, reason, raw,
                                    raw_length, raw_sha256)
            SELECT {self.origin}, _line, _column, _rule, _reason, left(_text, {RAW_LIMIT}),
                   CASE WHEN {cut} THEN strlen(_text) END, CASE WHEN {cut} THEN sha256(_text) END
            FROM (SELECT _line, CASE _err {column} END AS _column, CASE _err {rule} END AS _rule,
                         CASE _err {reason} END AS _reason, {raw_text_sql(self.source)} AS _text
                  FROM {ROWS} WHERE _err IS NOT NULL)""",
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
            f"""INSERT INTO quarantine (load_id, file, kind, line, "column", rule, reason, raw)
            SELECT {self.origin}, r._line, {sql_string(", ".join(self.kind.key))}, f.fate, f.reason,
                   CAST(to_json(struct_pack({self._struct("r")})) AS VARCHAR)
            FROM {ROWS} r JOIN {dedupe.FATE} f USING (_line)
            WHERE f.fate IN ('duplicate_key', 'conflict')""",
        )

    def _struct(self, alias: str) -> str:
        return ", ".join(f"{ident(c)} := {alias}.{ident(c)}" for c in self.kind.column_names)

    # -- writing -----------------------------------------------------------------------------
    def plan_deletes(self) -> int:
        """Table ``_fs_gone``: the stored rows ``--replace`` deletes (key and lineage) and the
        file line replacing each. Returns their number."""
        keys = [ident(k) for k in self.kind.key]
        target = ident(self.kind.name)
        if self.kind.key_repeats:
            pairs = dedupe.PAIRS
            self.con.execute(
                f"""CREATE TEMP TABLE {GONE} AS
                SELECT {", ".join("t." + k for k in keys)}, t._load_id, t._line, p._line AS new_line
                FROM {pairs} p JOIN {target} t
                  ON t._load_id IS NOT DISTINCT FROM p.old_load_id AND t._line = p.old_line"""
            )
        else:
            key_on = " AND ".join(f"t.{k} = r.{k}" for k in keys)
            self.con.execute(
                f"""CREATE TEMP TABLE {GONE} AS
                SELECT {", ".join("t." + k for k in keys)}, t._load_id, t._line, r._line AS new_line
                FROM (SELECT r.* FROM {ROWS} r JOIN {dedupe.FATE} f USING (_line)
                      WHERE f.fate = 'replace') r JOIN {target} t ON {key_on}"""
            )
        return self.q(f"SELECT count(*) FROM {GONE}")

    def _gone_on(self, alias: str) -> str:
        keys = [ident(k) for k in self.kind.key]
        return " AND ".join(
            [f"{alias}.{k} = g.{k}" for k in keys]
            + [f"{alias}._load_id IS NOT DISTINCT FROM g._load_id", f"{alias}._line = g._line"]
        )

    def copy_to_undo(self) -> None:
        """Keep the rows ``--replace`` will delete, committed before the data transaction, so
        that recovery can put them back whatever part of that transaction survives."""
        self.con.execute(
            f"""INSERT INTO {ident(undo_table(self.kind))} BY NAME
            SELECT t.*, {self.load_id} AS undo_load_id FROM {ident(self.kind.name)} t
            WHERE EXISTS (SELECT 1 FROM {GONE} g WHERE {self._gone_on("t")})"""
        )

    def write_audit(self) -> int:
        """Record old and new rows of every replaced key, then delete the old rows.

        One audit row per key: the old and new row as JSON objects, or, for a kind whose key
        repeats, the old and new rows of the group that changed as JSON arrays."""
        keys = [ident(k) for k in self.kind.key]
        key_text = " || '|' || ".join(f"CAST(r.{k} AS VARCHAR)" for k in keys)
        target = ident(self.kind.name)
        replaced = f"""(SELECT r.* FROM {ROWS} r JOIN {dedupe.FATE} f USING (_line)
            WHERE f.fate = 'replace')"""
        old = f"(SELECT t.*, g.new_line FROM {target} t JOIN {GONE} g ON {self._gone_on('t')})"
        head = f"{self.load_id}, {sql_string(self.kind.name)}"
        if self.kind.key_repeats:
            on = " AND ".join(f"o.{k} = n.{k}" for k in keys)
            self.con.execute(
                f"""INSERT INTO audit
                SELECT {head}, n.key_text, o.old_rows, n.new_rows, now()::TIMESTAMP FROM (
                    SELECT {", ".join("r." + k for k in keys)}, any_value({key_text}) AS key_text,
                           CAST(to_json(list(struct_pack({self._struct("r")}) ORDER BY r._line))
                                AS VARCHAR) AS new_rows
                    FROM {replaced} r GROUP BY ALL) n
                JOIN (
                    SELECT {", ".join("t." + k for k in keys)},
                           CAST(to_json(list(struct_pack({self._struct("t")})
                                ORDER BY t._load_id, t._line)) AS VARCHAR) AS old_rows
                    FROM {old} t GROUP BY ALL) o ON {on}"""
            )
        else:
            self.con.execute(
                f"""INSERT INTO audit
                SELECT {head}, {key_text},
                       CAST(to_json(struct_pack({self._struct("t")})) AS VARCHAR),
                       CAST(to_json(struct_pack({self._struct("r")})) AS VARCHAR),
                       now()::TIMESTAMP
                FROM {replaced} r JOIN {old} t ON t.new_line = r._line"""
            )
        self.con.execute(
            f"DELETE FROM {target} t WHERE EXISTS (SELECT 1 FROM {GONE} g "
            f"WHERE {self._gone_on('t')})"
        )
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
