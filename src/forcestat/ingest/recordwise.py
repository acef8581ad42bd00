"""Reading a CSV file record by record, when DuckDB's fast reader cannot be trusted with it.

DuckDB's CSV reader is fast, but on a broken file it can lose track of where records begin:
a quote opened and never closed swallows the lines after it into one rejected record, a lone
carriage return in a field stops the scan, and then its row count (or its line numbers) no
longer match the records counted without a parser (:func:`physical.count_csv`). Ingest
never refuses a file for that, nor drops the lines: it reads the file again here, and every
physical line ends up in exactly one record that is either delivered or quarantined.

How records are found:

- Lines are split at the file's line-end byte (LF, or CR for classic Mac files).
- Python's ``csv`` reader (strict, no field-size limit) reads one record at a time, pulling
  as many lines as a quoted field needs.
- A record that fails to parse (a character after a closing quote, a carriage return in an
  unquoted field, a quote still open at the end of the file) or has the wrong number of
  fields is quarantined as ``malformed_csv`` -- if it spans several lines, only its *first*
  line is, and reading resumes on the next line: the broken quote is most likely on the
  line where it opens, and the lines after it are most likely records of their own.
- A record holding bytes that are not UTF-8 is quarantined as ``invalid_encoding``.
- A quarantined record keeps its line number and its raw bytes cut at ``RAW_LIMIT`` (64 KiB):
  text with any non-UTF-8 byte written ``\\xNN``, the original bytes when they were not UTF-8
  or were cut, and for a cut record its full length and SHA-256 (:func:`physical.cut`).

Python loops over the records here, so this path is several times slower than DuckDB's
reader (docs/ingest.md gives a figure); it runs only for a file the fast reader stumbled on.
"""

from __future__ import annotations

import csv
import mmap
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from . import physical

#: longest raw text quarantine keeps of one record; longer ones keep their length and SHA-256
RAW_LIMIT = 64 * 1024
#: records gathered in Python lists before they become an Arrow batch (bounds memory)
BATCH = 65_536
_seq = iter(range(1 << 62))


@dataclass
class Unparsed:
    """A record the reader could not deliver, as quarantine keeps it."""

    line: int
    rule: str
    reason: str
    raw: str
    raw_bytes: bytes | None
    raw_length: int
    raw_sha256: str | None


@dataclass
class Recordwise:
    """What :func:`read_records` found: the parsed records (registered with DuckDB as
    ``table``: ``__n`` the line each starts on, ``__r0 ...`` its fields) and the ones it
    could not deliver (registered as ``unparsed``)."""

    table: str
    unparsed: str
    parsed: int
    failed: list[Unparsed] = field(default_factory=list)
    #: physical lines the reader went through: every line of the file, counted as it read
    lines: int = 0
    blank: int = 0

    @property
    def records(self) -> int:
        return self.parsed + len(self.failed)


class _Lines:
    """The file's lines as text, from a cursor the reader can move back (``seek``).

    ``bad`` holds the numbers (0-based) of lines that are not valid UTF-8; they are read
    with ``surrogateescape`` so that the csv reader still sees their delimiters."""

    def __init__(self, buf: bytes | mmap.mmap, starts: list[int], end: int) -> None:
        self.buf = buf
        self.starts = starts
        self.end = end
        self.pos = 0
        self.bad: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        i = self.pos
        if i >= len(self.starts):
            raise StopIteration
        self.pos = i + 1
        raw = bytes(self.buf[self.starts[i] : self.span_end(i)])
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.bad.add(i)
            return raw.decode("utf-8", "surrogateescape")

    def span_end(self, i: int) -> int:
        return self.starts[i + 1] if i + 1 < len(self.starts) else self.end

    def raw(self, first: int, last: int) -> bytes:
        """Bytes of lines ``first`` to ``last`` (0-based, inclusive), last line end removed."""
        return bytes(self.buf[self.starts[first] : self.span_end(last)]).rstrip(b"\r\n")


def read_records(
    con: duckdb.DuckDBPyConnection, path: Path, delimiter: str, columns: int
) -> Recordwise:
    """Read ``path`` (UTF-8 CSV with a header line) record by record; see the module doc.

    The parsed records are registered with ``con`` as an Arrow table of ``columns`` text
    fields; the caller unregisters ``Recordwise.table`` and ``Recordwise.unparsed``."""
    buf, starts_array = physical.line_starts(path)
    starts = starts_array.tolist()
    lines = _Lines(buf, starts, len(buf))
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # no size limit may lose a record
    try:
        result = _read(con, lines, delimiter, columns)
    finally:
        csv.field_size_limit(limit)
        if isinstance(buf, mmap.mmap):
            buf.close()  # every field was copied out of it
    result.lines = len(starts)
    return result


def _read(
    con: duckdb.DuckDBPyConnection, lines: _Lines, delimiter: str, columns: int
) -> Recordwise:
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    names = [f"__r{i}" for i in range(columns)]
    schema = pa.schema([("__n", pa.int64())] + [(n, pa.large_string()) for n in names])
    batches: list[pa.RecordBatch] = []
    numbers: list[int] = []
    fields: list[list[str]] = [[] for _ in range(columns)]
    failed: list[Unparsed] = []
    blank = 0
    header_done = False

    def flush() -> None:
        if numbers:
            arrays = [pa.array(numbers, pa.int64())]
            arrays += [pa.array(col, pa.large_string()) for col in fields]
            batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
            numbers.clear()
            for col in fields:
                col.clear()

    def quarantine(first: int, last: int, rule: str, reason: str) -> None:
        text, original, length, sha = physical.cut(lines.raw(first, last), RAW_LIMIT)
        failed.append(Unparsed(first + 1, rule, reason, text, original, length, sha))

    while lines.pos < len(lines.starts):
        first = lines.pos
        try:
            row = next(reader)
            error = None
        except StopIteration:
            break
        except csv.Error as e:
            row, error = None, _reason(str(e))
        last = lines.pos - 1
        if row is not None and not row:  # a blank line
            blank += last - first + 1
            continue
        if not header_done:  # the header, read by the caller already
            header_done = True
            continue
        if row is not None and len(row) != columns:
            error = f"expected {columns} fields, found {len(row)}"
        if error is not None:
            if last > first:  # resume on the line after the one the record began on
                error = f"a quote opened on this line does not close where it should ({error})"
                last = first
                lines.pos = first + 1
            reader = csv.reader(
                lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=True
            )
            quarantine(first, last, "malformed_csv", error)
            continue
        if lines.bad and any(i in lines.bad for i in range(first, last + 1)):
            quarantine(first, last, "invalid_encoding", "record holds bytes that are not UTF-8")
            continue
        assert row is not None
        numbers.append(first + 1)
        for col, value in zip(fields, row, strict=True):
            col.append(value)
        if len(numbers) >= BATCH:
            flush()
    flush()
    parsed = sum(b.num_rows for b in batches)
    seq = next(_seq)
    table = f"_fs_records_{seq}"
    con.register(table, pa.Table.from_batches(batches, schema=schema))
    unparsed = f"_fs_unparsed_{seq}"
    con.register(
        unparsed,
        pa.table(
            {
                "line": pa.array([u.line for u in failed], pa.int64()),
                "rule": pa.array([u.rule for u in failed], pa.string()),
                "reason": pa.array([u.reason for u in failed], pa.string()),
                "raw": pa.array([u.raw for u in failed], pa.large_string()),
                "raw_bytes": pa.array([u.raw_bytes for u in failed], pa.large_binary()),
                "raw_length": pa.array([u.raw_length for u in failed], pa.int64()),
                "raw_sha256": pa.array([u.raw_sha256 for u in failed], pa.string()),
            }
        ),
    )
    return Recordwise(table, unparsed, parsed, failed, blank=blank)


def _reason(message: str) -> str:
    """The csv module's complaint in the words of someone who opened the file."""
    if "new-line character" in message:
        return "a line break (carriage return) inside a field that is not quoted"
    if "unexpected end of data" in message:
        return "a quote is opened and never closed"
    if "expected after" in message:
        return "text follows a closing quote (a quote inside a quoted field must be doubled)"
    return message
