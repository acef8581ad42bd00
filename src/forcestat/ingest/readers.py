"""Reading record files into DuckDB: format by suffix, CSV dialect sniffing, headers.

Each reader describes a file as a :class:`Source`: the SQL relation that scans it (one row
per record, every column as it is in the file), the file's header names, and how to turn the
scan's row order into line numbers. Nothing here loops over rows in Python; CSV rows the
parser cannot read are collected by DuckDB's ``store_rejects`` so that none is lost silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import mmap
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from ..errors import SchemaError
from . import physical

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
DATA_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES + JSONL_SUFFIXES

#: Delimiters the sniffer chooses between, most common first (ties go to the earlier one).
DELIMITERS = (",", "\t", ";", "|")
BOM = "\ufeff"
#: DuckDB's default longest CSV record; a longer one makes ingest scan again with room for it
MAX_LINE_SIZE = 8 * 1024 * 1024


@dataclass
class Source:
    """A file ready to be scanned.

    ``relation`` is SQL usable after FROM; its columns are ``__r0, __r1, ...`` in header
    order. ``types`` are the DuckDB types of those columns (VARCHAR except for Parquet).
    ``first_line`` is the line number of the first record (2 below a header, 1 otherwise).
    """

    path: Path
    format: str
    header: list[str]
    types: list[str]
    relation: str
    first_line: int
    delimiter: str = ","
    #: names of the tables DuckDB writes rejected CSV rows to (CSV only)
    rejects: tuple[str, str] | None = None
    #: column of the relation holding each record's line number (else scan order gives it)
    line_sql: str | None = None
    #: boolean column: false when the record could not be parsed at all (JSON Lines)
    ok_sql: str | None = None
    #: column holding the record's original text (JSON Lines)
    text_sql: str | None = None
    #: the same scan without collecting rejects (CSV: to scan a second time)
    rescan: str | None = None
    #: the file the relation reads: ``path`` itself, or a UTF-8 copy of a UTF-16 file
    scan_path: Path | None = None
    #: the encoding the file was read in
    encoding: str = "utf-8"
    #: records in the file as counted without the parser (Parquet: from its metadata;
    #: JSON Lines: non-blank lines), or None when the digest thread counts them (CSV)
    physical_records: int | None = None
    #: objects to drop from the connection when the load ends (registered Arrow tables)
    registered: list[str] = field(default_factory=list)
    #: zone of wall-clock times without an offset (a mapping file's ``timezone``)
    timezone: str = "Europe/London"
    #: keys naming each column's raw value in a quarantined record (default: ``header``)
    raw_names: list[str] | None = None
    #: SQL counting the records a mapping's ``where`` leaves out (mapped files only)
    filtered_sql: str | None = None
    #: for a file read through a mapping: the file's own Source (what is closed, counted)
    original: Source | None = None

    @property
    def raw_columns(self) -> list[str]:
        return [f"__r{i}" for i in range(len(self.header))]


def file_format(path: Path) -> str:
    """'csv', 'parquet' or 'jsonl' from the file's suffix; SchemaError for anything else."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    raise SchemaError(
        f"{path}: unsupported file type {suffix or '(none)'}; use one of {', '.join(DATA_SUFFIXES)}"
    )


def sql_string(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def open_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Describe ``path`` for scanning; SchemaError if it is missing, unreadable or empty.

    A UTF-16 or UTF-32 file (with or without a byte-order mark) is read through a UTF-8
    copy; ``Source.scan_path`` names it and the caller removes it when done
    (:func:`close_source`)."""
    if path.is_symlink() and not path.exists():
        raise SchemaError(f"{path}: cannot read: a broken or looping symbolic link")
    if path.exists() and not path.is_file():
        raise SchemaError(f"{path}: cannot read: not a regular file")
    if not path.is_file():
        raise SchemaError(f"{path}: cannot read: no such file")
    fmt = file_format(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as e:
        raise SchemaError(f"{path}: cannot read: {e.strerror or e}") from e
    if size == 0:
        raise SchemaError(f"{path}: file is empty (no header, no rows)")
    if fmt == "parquet":
        return _parquet_source(con, path)
    scan_path, encoding = _utf8_path(path, head)
    try:
        if fmt == "csv":
            source = _csv_source(path, scan_path)
        else:
            source = _jsonl_source(con, path, scan_path)
    except BaseException:
        if scan_path != path:
            scan_path.unlink(missing_ok=True)
        raise
    source.encoding = encoding
    return source


def close_source(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Remove what :func:`open_source` made: a UTF-8 copy, registered Arrow tables."""
    for name in source.registered:
        try:
            con.unregister(name)
        except duckdb.Error:
            pass
    if source.scan_path is not None and source.scan_path != source.path:
        source.scan_path.unlink(missing_ok=True)


def _utf8_path(path: Path, head: bytes) -> tuple[Path, str]:
    encoding, bom = physical.detect_encoding(head)
    if encoding == "utf-8":
        return path, encoding
    try:
        return physical.transcode_to_utf8(path, encoding, bom), encoding
    except UnicodeDecodeError as e:
        raise SchemaError(
            f"{path}: looks like {encoding.upper()} text but byte {e.start} is not valid "
            f"{encoding.upper()}; save the file as UTF-8 and ingest it again"
        ) from None


# -- CSV -------------------------------------------------------------------------------------
def read_header_line(path: Path) -> str:
    """The file's first line (outside quotes, however long), BOM removed. Only the header
    must be UTF-8 here: a bad byte further down quarantines its own row (rule
    invalid_encoding), not the whole file."""
    try:
        with path.open("rb") as fh:
            first = b""
            nl: int | None = None
            quotes = 0
            while chunk := fh.read(1 << 20):
                if nl is None:
                    nl = physical.newline_byte(chunk)
                end = _line_end(chunk, nl, quotes)
                if end >= 0:
                    first += chunk[:end]
                    break
                quotes += chunk.count(b'"')
                first += chunk
    except OSError as e:
        raise SchemaError(f"{path}: cannot read: {e.strerror or e}") from e
    first = first.rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SchemaError(
            f"{path}: header is not UTF-8 text (byte 0x{first[e.start]:02x} at offset "
            f"{e.start}); save the file as UTF-8 and ingest it again"
        ) from None
    text = text.removeprefix(BOM)
    if "\x00" in text:
        col = text[: text.index("\x00")].count(",") + 1
        raise SchemaError(
            f"{path}: the header holds a NUL byte (in column {col}): the file is binary or "
            "not text; save it as UTF-8 CSV"
        )
    return text


def _line_end(chunk: bytes, nl: int, quotes_before: int) -> int:
    """Offset of the first line end outside quotes in ``chunk``, or -1."""
    a = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(a == nl)
    if not len(ends):
        return -1
    q = np.flatnonzero(a == ord('"'))
    outside = ends[(np.searchsorted(q, ends) + quotes_before) % 2 == 0]
    return int(outside[0]) if len(outside) else -1


def sniff_delimiter(header_line: str) -> str:
    """The delimiter a header line uses: the candidate found most often outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equal counts
    return best if counts[best] else ","


def csv_scan(source: Source, max_line_size: int, rejects: bool) -> str:
    """The read_csv call for ``source`` (collecting rejected records when ``rejects``)."""
    columns = "{" + ", ".join(f"'__r{i}': 'VARCHAR'" for i in range(len(source.header))) + "}"
    scan_path = source.scan_path or source.path
    collect = (
        ", store_rejects=true, rejects_scan='_fs_rejects_scan', rejects_table='_fs_rejects'"
        if rejects
        else ""
    )
    return (
        f"read_csv({sql_string(str(scan_path))}, columns={columns}, header=true, "
        f"delim={sql_string(source.delimiter)}, quote='\"', escape='\"', auto_detect=false, "
        f"strict_mode=true, encoding='utf-8', max_line_size={max_line_size}{collect})"
    )


def _csv_source(path: Path, scan_path: Path) -> Source:
    first_line = read_header_line(scan_path)
    if not first_line.strip():
        raise SchemaError(f"{path}: file is empty or its first line is blank (no header)")
    delimiter = sniff_delimiter(first_line)
    try:
        header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter, strict=True))
    except csv.Error as e:
        raise SchemaError(f"{path}: cannot read the header line: {e}") from None
    header = [h.strip() for h in header]
    _check_header(path, header)
    source = Source(
        path=path,
        format="csv",
        header=header,
        types=["VARCHAR"] * len(header),
        relation="",
        first_line=2,
        delimiter=delimiter,
        rejects=("_fs_rejects_scan", "_fs_rejects"),
        scan_path=scan_path,
    )
    size = max(MAX_LINE_SIZE, 2 * len(first_line.encode()) + 1024)
    source.relation = csv_scan(source, size, rejects=True)
    source.rescan = csv_scan(source, size, rejects=False)
    return source


def _check_header(path: Path, header: list[str]) -> None:
    if not any(header):
        raise SchemaError(f"{path}: the first line holds no column names")
    seen: set[str] = set()
    dupes = [h for h in header if h and (h in seen or seen.add(h))]  # type: ignore[func-returns-value]
    if dupes:
        raise SchemaError(
            f"{path}: repeated column names: {', '.join(dict.fromkeys(dupes))} "
            "(each column must have its own name)"
        )


# -- Parquet ---------------------------------------------------------------------------------
def _parquet_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    scan = f"read_parquet({sql_string(str(path))})"
    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path)
        names = list(meta.schema_arrow.names)
        rows = int(meta.metadata.num_rows)
        described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except Exception as e:  # pyarrow and DuckDB raise their own kinds for a damaged file
        raise SchemaError(f"{path}: cannot read as Parquet: {_first_line(e)}") from e
    _check_header(path, names)  # DuckDB would rename a repeated name, pyarrow keeps it
    header = [str(r[0]) for r in described]
    _check_header(path, header)
    cols = ", ".join(f'"{h}" AS __r{i}' for i, h in enumerate(_quoted_names(header)))
    return Source(
        path=path,
        format="parquet",
        header=header,
        types=[str(r[1]) for r in described],
        relation=f"(SELECT {cols} FROM {scan})",
        first_line=1,
        scan_path=path,
        physical_records=rows,
    )


def _quoted_names(names: list[str]) -> list[str]:
    return [n.replace('"', '""') for n in names]


# -- JSON Lines ------------------------------------------------------------------------------
#: true for a line holding a JSON object (CASE, so json_type never sees malformed text)
IS_OBJECT = "(CASE WHEN json_valid(__json) THEN json_type(__json) = 'OBJECT' ELSE false END)"
_jsonl_seq = iter(range(1 << 62))


def _jsonl_source(con: duckdb.DuckDBPyConnection, path: Path, scan_path: Path) -> Source:
    # Lines are split by NumPy into an Arrow column over the file's own bytes (linear time,
    # any line length), so that every line keeps its number and a malformed line is
    # quarantined (rule invalid_json) rather than dropped by a lenient JSON reader.
    import pyarrow as pa

    try:
        buf, starts = physical.line_starts(scan_path)
    except (OSError, ValueError) as e:
        raise SchemaError(f"{path}: cannot read: {e}") from e
    # line i is bytes [starts[i], starts[i+1]), line end included: zero-copy offsets
    base = int(starts[0]) if len(starts) else 0
    offsets = np.append(starts, len(buf)).astype(np.int64) - base
    utf8 = physical.is_utf8(buf)
    lines = pa.Array.from_buffers(
        pa.large_string() if utf8 else pa.large_binary(),
        len(starts),
        [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(buf)[base:]],
    )
    blank = _blank_lines(buf, starts) if utf8 else None
    columns = {"__line": lines, "__n": pa.array(np.arange(1, len(starts) + 1))}
    if blank is not None:
        columns["__blank"] = pa.array(blank)
    name = f"_fs_jsonl_{next(_jsonl_seq)}"
    con.register(name, pa.table(columns))
    registered = [name]
    if blank is not None and (fast := _jsonl_fast(con, path, name, int(blank.sum()))) is not None:
        header, relation, records = fast
        return _jsonl_lines(path, header, relation, records, scan_path, registered)
    # a file that is not all UTF-8 decodes line by line (slower): a bad line is quarantined
    text = "__line" if utf8 else "TRY(decode(__line))"
    # JSON allows the line end as trailing white space, so lines keep it (DuckDB's trim is
    # slow); a regular expression finds the blank ones
    lines_sql = (
        f"(SELECT * FROM (SELECT __n, {text} AS __json, "
        f"{'NULL' if utf8 else 'CAST(__line AS VARCHAR)'} AS __shown FROM {name}) "
        "WHERE __json IS NULL OR regexp_matches(__json, '[^ \t\r\n]'))"
    )
    try:
        # the union of every line's keys, in the order they first appear
        objects = (
            f"(SELECT __n, CASE WHEN {IS_OBJECT} THEN __json END AS __obj FROM {lines_sql}) "
            "WHERE __obj IS NOT NULL"
        )
        first = con.execute(f"SELECT json_keys(__obj) FROM {objects} ORDER BY __n LIMIT 1")
        first_keys = [str(k) for k in (first.fetchone() or [[]])[0]]
        later = con.execute(
            f"SELECT k FROM (SELECT unnest(json_keys(__obj)) AS k, __n FROM {objects}) "
            "GROUP BY k ORDER BY min(__n), k"
        ).fetchall()
        keys = [(k,) for k in first_keys] + [r for r in later if r[0] not in first_keys]
        count_row = con.execute(f"SELECT count(*) FROM {lines_sql}").fetchone()
    except duckdb.Error as e:
        con.unregister(name)
        raise SchemaError(f"{path}: cannot read as JSON Lines: {_first_line(e)}") from e
    records = int(count_row[0]) if count_row else 0
    if not keys:
        con.unregister(name)
        if records:
            raise SchemaError(f"{path}: no line is a JSON object, so no columns can be found")
        raise SchemaError(f"{path}: file is empty (no records)")
    ordered = [str(k[0]) for k in keys]
    _check_header(path, ordered)
    spec = json.dumps(dict.fromkeys(ordered, "VARCHAR"))
    fields = ", ".join(f'__obj."{k}" AS __r{i}' for i, k in enumerate(_quoted_names(ordered)))
    # a line whose object names one key twice is not one record: quarantined, never guessed
    ok = (
        f"(CASE WHEN __json IS NOT NULL AND {IS_OBJECT} THEN "
        "len(json_keys(__json)) = len(list_distinct(json_keys(__json))) ELSE false END)"
    )
    relation = (
        f"(SELECT __n, __ok, __json, {fields} FROM (SELECT __n, __ok, __json, "
        f"CASE WHEN __ok THEN json_transform(__json, {sql_string(spec)}) END AS __obj "
        f"FROM (SELECT __n, coalesce(__json, __shown) AS __json, "
        f"{ok} AS __ok FROM {lines_sql})))"
    )
    return _jsonl_lines(path, ordered, relation, records, scan_path, registered)


def _jsonl_lines(
    path: Path,
    header: list[str],
    relation: str,
    records: int,
    scan_path: Path,
    registered: list[str],
) -> Source:
    """A JSON Lines file as a Source: every field text, one numbered line per record."""
    return Source(
        path=path,
        format="jsonl",
        header=header,
        types=["VARCHAR"] * len(header),
        relation=relation,
        first_line=1,
        line_sql="__n",
        ok_sql="__ok",
        text_sql="__json",
        scan_path=scan_path,
        physical_records=records,
        registered=registered,
    )


#: a file with more lines than this that do not start with "{" is read the careful way
FAST_MISFITS = 10_000


def _blank_lines(buf: bytes | mmap.mmap, starts: np.ndarray) -> np.ndarray | None:
    """Which lines are blank (white space only), when every other line starts with ``{``;
    None when some line that is not blank starts with anything else (or too many lines do
    not start with ``{`` to look at one by one)."""
    a = np.frombuffer(buf, dtype=np.uint8)
    blank = np.zeros(len(starts), dtype=bool)
    if not len(starts):
        return blank
    misfits = np.flatnonzero(a[starts] != ord("{"))
    if len(misfits) > FAST_MISFITS:
        return None
    ends = np.append(starts[1:], len(a))
    for i in misfits.tolist():
        if bytes(a[starts[i] : ends[i]]).strip(b" \t\r\n"):
            return None
        blank[i] = True
    return blank


def _jsonl_fast(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, blank: int
) -> tuple[list[str], str, int] | None:
    """(header, relation, records) for a JSON Lines file whose every line that is not blank
    is a well-formed JSON object, from one pass of DuckDB's JSON functions: the distinct key
    lists of the lines (a file has few), whence the union of the keys in the order they
    first appear and the lines that name a key twice (those are quarantined). None when
    some line is not well-formed JSON: the careful reader then quarantines that line."""
    objects = f"(SELECT __n, __line FROM {name} WHERE NOT __blank)"
    try:
        shapes = con.execute(
            f"SELECT k, min(__n) AS first FROM (SELECT __n, json_keys(__line) AS k "
            f"FROM {objects}) GROUP BY k ORDER BY first LIMIT {FAST_MISFITS + 1}"
        ).fetchall()
        rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()
    except duckdb.Error:
        return None
    if not shapes or len(shapes) > FAST_MISFITS or rows is None:
        return None
    # the first line's keys in its order, then each later key by the line it first appears on
    first_seen: dict[str, tuple[int, str]] = {}
    for keys, first in shapes:
        for k in keys:
            first_seen.setdefault(str(k), (int(first), str(k)))
    first_keys = [str(k) for k in dict.fromkeys(shapes[0][0])]
    ordered = first_keys + sorted(
        (k for k in first_seen if k not in set(first_keys)), key=lambda k: first_seen[k]
    )
    _check_header(path, ordered)
    twice = [keys for keys, _ in shapes if len(keys) != len(set(keys))]
    spec = json.dumps(dict.fromkeys(ordered, "VARCHAR"))
    fields = ", ".join(f'__obj."{k}" AS __r{i}' for i, k in enumerate(_quoted_names(ordered)))
    # a line whose object names one key twice is not one record: quarantined, never guessed
    ok = "len(json_keys(__line)) = list_unique(json_keys(__line))" if twice else "true"
    relation = (
        f"(SELECT __n, __ok, __json, {fields} FROM (SELECT __n, __ok, __json, "
        f"CASE WHEN __ok THEN json_transform(__json, {sql_string(spec)}) END AS __obj "
        f"FROM (SELECT __n, {ok} AS __ok, __line AS __json FROM {objects})))"
    )
    return ordered, relation, int(rows[0]) - blank


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


# -- whole-file digest -----------------------------------------------------------------------
class FileDigest(threading.Thread):
    """SHA-256 of a file and, for CSV, its records counted without the parser
    (:func:`physical.count_csv`), computed in a background thread while DuckDB loads it
    (hashlib and NumPy release the GIL on large buffers, so the two overlap)."""

    def __init__(self, path: Path, source: Source | None = None) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.source = source
        self._hex: str | None = None
        self._error: BaseException | None = None
        self.counted: physical.Counted | None = None

    def run(self) -> None:
        try:
            s = self.source
            scan = s.scan_path if s is not None and s.scan_path is not None else self.path
            if s is not None and s.format == "csv":
                self.counted = physical.count_csv(scan, ord(s.delimiter))
                self._hex = self.counted.sha256 if scan == self.path else _sha256(self.path)
            else:
                self._hex = _sha256(self.path)
        except BaseException as e:  # surfaced by .hexdigest() in the caller's thread
            self._error = e

    def hexdigest(self) -> str:
        self.join()
        if self._error is not None:
            raise SchemaError(f"{self.path}: cannot read: {self._error}") from self._error
        assert self._hex is not None
        return self._hex

    def physical_lines(self) -> int:
        """Lines in the file read (a last line without a newline counts)."""
        self.hexdigest()
        if self.counted is None:
            raise RuntimeError("only CSV files are counted line by line")
        return self.counted.lines


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            h.update(chunk)
    return h.hexdigest()
