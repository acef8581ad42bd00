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
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..errors import SchemaError

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
DATA_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES + JSONL_SUFFIXES

#: Delimiters the sniffer chooses between, most common first (ties go to the earlier one).
DELIMITERS = (",", "\t", ";", "|")
BOM = "\ufeff"
SNIFF_BYTES = 64 * 1024


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
    #: zone of wall-clock times without an offset (a mapping file's ``timezone``)
    timezone: str = "Europe/London"
    #: keys naming each column's raw value in a quarantined record (default: ``header``)
    raw_names: list[str] | None = None
    #: SQL counting the records a mapping's ``where`` leaves out (mapped files only)
    filtered_sql: str | None = None

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
    """Describe ``path`` for scanning; SchemaError if it is missing, unreadable or empty."""
    if not path.is_file():
        raise SchemaError(f"{path}: cannot read: no such file")
    fmt = file_format(path)
    if path.stat().st_size == 0:
        raise SchemaError(f"{path}: file is empty (no header, no rows)")
    if fmt == "csv":
        return _csv_source(path)
    if fmt == "parquet":
        return _parquet_source(con, path)
    return _jsonl_source(con, path)


# -- CSV -------------------------------------------------------------------------------------
def _read_header_line(path: Path) -> str:
    """The file's first line, BOM removed. Only the header must be UTF-8 here: a bad byte
    further down quarantines its own row (rule invalid_encoding), not the whole file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as e:
        raise SchemaError(f"{path}: cannot read: {e.strerror or e}") from e
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SchemaError(
            f"{path}: header is not UTF-8 text (bad byte at offset {e.start}); "
            "save the file as UTF-8 and ingest it again"
        ) from None
    return text.removeprefix(BOM)


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


def _csv_source(path: Path) -> Source:
    first_line = _read_header_line(path)
    if not first_line.strip():
        raise SchemaError(f"{path}: file is empty or its first line is blank (no header)")
    delimiter = sniff_delimiter(first_line)
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    header = [h.strip() for h in header]
    _check_header(path, header)
    columns = "{" + ", ".join(f"'__r{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    scan = (
        f"read_csv({sql_string(str(path))}, columns={columns}, header=true, "
        f"delim={sql_string(delimiter)}, quote='\"', escape='\"', auto_detect=false, "
        "strict_mode=true, encoding='utf-8', max_line_size=8388608{rejects})"
    )
    rejects = ", store_rejects=true, rejects_scan='_fs_rejects_scan', rejects_table='_fs_rejects'"
    return Source(
        path=path,
        format="csv",
        header=header,
        types=["VARCHAR"] * len(header),
        relation=scan.replace("{rejects}", rejects),
        first_line=2,
        delimiter=delimiter,
        rejects=("_fs_rejects_scan", "_fs_rejects"),
        rescan=scan.replace("{rejects}", ""),
    )


def _check_header(path: Path, header: list[str]) -> None:
    if not any(header):
        raise SchemaError(f"{path}: the first line holds no column names")
    seen: set[str] = set()
    dupes = [h for h in header if h and (h in seen or seen.add(h))]  # type: ignore[func-returns-value]
    if dupes:
        raise SchemaError(f"{path}: repeated column names in the header: {', '.join(dupes)}")


# -- Parquet ---------------------------------------------------------------------------------
def _parquet_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    scan = f"read_parquet({sql_string(str(path))})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as e:
        raise SchemaError(f"{path}: cannot read as Parquet: {_first_line(e)}") from e
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
    )


def _quoted_names(names: list[str]) -> list[str]:
    return [n.replace('"', '""') for n in names]


# -- JSON Lines ------------------------------------------------------------------------------
#: true for a line holding a JSON object (CASE, so json_type never sees malformed text)
IS_OBJECT = "(CASE WHEN json_valid(__json) THEN json_type(__json) = 'OBJECT' ELSE false END)"


def _jsonl_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    # Lines are split in SQL so that every line keeps its number and a malformed line is
    # quarantined (rule invalid_json) rather than dropped by a lenient JSON reader.
    lines = (
        "(SELECT l.line AS __json, l.n AS __n FROM (SELECT unnest(string_split("
        f"replace(content, chr(13), ''), chr(10))) AS line, generate_subscripts("
        f"string_split(replace(content, chr(13), ''), chr(10)), 1) AS n "
        f"FROM read_text({sql_string(str(path))})) l WHERE trim(l.line) <> '')"
    )
    try:
        keys = con.execute(
            f"SELECT DISTINCT unnest(json_keys(__json)) FROM (SELECT __json FROM {lines} "
            f"WHERE {IS_OBJECT} LIMIT 1000)"
        ).fetchall()
    except duckdb.Error as e:
        raise SchemaError(f"{path}: cannot read as JSON Lines: {_first_line(e)}") from e
    count_row = con.execute(f"SELECT count(*) FROM {lines}").fetchone()
    if not keys:
        if count_row and count_row[0]:
            raise SchemaError(f"{path}: no line is a JSON object, so no columns can be found")
        raise SchemaError(f"{path}: file is empty (no records)")
    header = sorted({str(k[0]) for k in keys})
    ordered = _first_object_order(con, lines, header)
    spec = json.dumps(dict.fromkeys(ordered, "VARCHAR"))
    fields = ", ".join(f'__obj."{k}" AS __r{i}' for i, k in enumerate(_quoted_names(ordered)))
    relation = (
        f"(SELECT __n, __ok, __json, {fields} FROM (SELECT __n, __ok, __json, "
        f"CASE WHEN __ok THEN json_transform(__json, {sql_string(spec)}) END AS __obj "
        f"FROM (SELECT __n, __json, {IS_OBJECT} AS __ok FROM {lines})))"
    )
    return Source(
        path=path,
        format="jsonl",
        header=ordered,
        types=["VARCHAR"] * len(ordered),
        relation=relation,
        first_line=1,
        line_sql="__n",
        ok_sql="__ok",
        text_sql="__json",
    )


def _first_object_order(con: duckdb.DuckDBPyConnection, lines: str, keys: list[str]) -> list[str]:
    """Keys in the order the first object writes them, then any others alphabetically."""
    row = con.execute(f"SELECT json_keys(__json) FROM {lines} WHERE {IS_OBJECT} LIMIT 1").fetchone()
    first = [str(k) for k in (row[0] if row else [])]
    return first + [k for k in keys if k not in first]


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


# -- whole-file digest -----------------------------------------------------------------------
class FileDigest(threading.Thread):
    """SHA-256 of a file, computed in a background thread while DuckDB loads it
    (hashlib releases the GIL on large buffers, so the two overlap)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self._hex: str | None = None
        self._error: BaseException | None = None
        self._lines = 0

    def run(self) -> None:
        try:
            h = hashlib.sha256()
            newlines, last = 0, b"\n"
            with self.path.open("rb") as fh:
                while chunk := fh.read(4 * 1024 * 1024):
                    h.update(chunk)
                    newlines += chunk.count(b"\n")
                    last = chunk[-1:]
            self._hex = h.hexdigest()
            self._lines = newlines + (last != b"\n")
        except BaseException as e:  # surfaced by .hexdigest() in the caller's thread
            self._error = e

    def hexdigest(self) -> str:
        self.join()
        if self._error is not None:
            raise SchemaError(f"{self.path}: cannot read: {self._error}") from self._error
        assert self._hex is not None
        return self._hex

    def physical_lines(self) -> int:
        """Lines in the file (a last line without a newline counts)."""
        self.hexdigest()
        return self._lines
