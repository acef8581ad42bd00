"""Write synthetic records as the files ``forcestat ingest`` reads: one file per record kind.

Parquet (the default) holds timestamps as ``timestamp[us, tz=UTC]`` and low-cardinality text as
dictionary columns; CSV writes timestamps as ISO 8601 with an explicit ``+00:00`` offset. Each
kind's file is appended to in batches (a row group per batch) so memory stays flat at any scale.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numba import njit

from ..schema import KINDS, get_kind

TS = pa.timestamp("us", tz="UTC")
FORMATS = ("parquet", "csv")
_ARROW = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": TS,
}


def ts(us: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A UTC timestamp column from int64 microseconds (null where ``valid`` is False)."""
    mask = None if valid is None else ~valid
    return pa.array(us, type=TS, mask=mask)


def dictionary(codes: np.ndarray, names: tuple[str, ...], valid: np.ndarray | None = None):
    """A dictionary-encoded text column: ``names[codes]``, null where ``valid`` is False."""
    mask = None if valid is None else ~valid
    idx = pa.array(codes.astype(np.int32, copy=False), type=pa.int32(), mask=mask)
    return pa.DictionaryArray.from_arrays(idx, pa.array(names, pa.string()))


def ids(prefix: str, start: int, n: int, width: int = 8) -> pa.Array:
    """Identifiers ``prefix`` + zero-padded number, built straight into an Arrow string buffer.

    Formatting tens of millions of ids through Python strings is the slowest part of writing;
    computing the digits as bytes is about fifty times faster.
    """
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    size = len(head) + width
    buf = _id_bytes(head, start, n, width)
    offsets = np.arange(0, (n + 1) * size, size, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))


@njit(cache=True, nogil=True)
def _id_bytes(head, start, n, width):  # pragma: no cover - compiled
    """Rows of ``head`` + zero-padded ``start + i``: an odometer, one carry step per row."""
    h = head.shape[0]
    size = h + width
    buf = np.empty((n, size), dtype=np.uint8)
    digits = np.empty(width, dtype=np.uint8)
    x = start
    for pos in range(width - 1, -1, -1):
        digits[pos] = 48 + x % 10
        x //= 10
    for i in range(n):
        for k in range(h):
            buf[i, k] = head[k]
        for k in range(width):
            buf[i, h + k] = digits[k]
        pos = width - 1
        while pos >= 0:
            if digits[pos] == 57:
                digits[pos] = 48
                pos -= 1
            else:
                digits[pos] += 1
                break
    return buf


def kind_schema(
    kind_name: str, dict_columns: tuple[str, ...] = (), given: Collection[str] | None = None
) -> pa.Schema:
    """The Arrow schema a kind's file is written with (column order as in the record kind);
    with ``given``, an optional column not in it is left out of the file."""
    kind = get_kind(kind_name)
    fields = []
    for c in kind.columns:
        if given is not None and not c.required and c.name not in given:
            continue
        t = pa.dictionary(pa.int32(), pa.string()) if c.name in dict_columns else _ARROW[c.type]
        fields.append(pa.field(c.name, t, nullable=not c.required))
    return pa.schema(fields)


class RecordWriter:
    """Appends batches of each record kind to ``records_dir/<kind>.<format>``."""

    def __init__(self, records_dir: Path, fmt: str = "parquet") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
        self.dir = records_dir
        self.fmt = fmt
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, int] = {}
        self.paths: dict[str, Path] = {}
        self._writers: dict[str, pq.ParquetWriter | pacsv.CSVWriter] = {}
        self._lock = threading.Lock()

    def write(self, kind: str, columns: dict[str, pa.Array | np.ndarray | list]) -> None:
        """Append one batch of ``kind`` records given as column arrays."""
        n = len(next(iter(columns.values())))
        if n == 0:
            return
        dict_cols = tuple(k for k, v in columns.items() if isinstance(v, pa.DictionaryArray))
        schema = kind_schema(kind, dict_cols, given=columns.keys())
        arrays = [_as_array(columns[f.name], f.type) for f in schema]
        table = pa.Table.from_arrays(arrays, schema=schema)
        if self.fmt == "csv":
            table = _csv_ready(table)
        with self._lock:  # kinds are written from two threads (never one kind from both)
            writer = self._writers.get(kind) or self._open(kind, table.schema, dict_cols)
        writer.write_table(table)
        with self._lock:
            self.rows[kind] = self.rows.get(kind, 0) + n

    def _open(self, kind: str, schema: pa.Schema, dict_cols: tuple[str, ...]):
        path = self.dir / f"{kind}.{self.fmt}"
        writer: pq.ParquetWriter | pacsv.CSVWriter
        if self.fmt == "parquet":
            stamps = [f.name for f in schema if pa.types.is_timestamp(f.type)]
            writer = pq.ParquetWriter(
                path,
                schema,
                # timestamps of neighbouring records are close: delta encoding makes them
                # smaller than general compression would, at a fraction of the CPU
                compression={f.name: "none" if f.name in stamps else "lz4" for f in schema},
                column_encoding={name: "DELTA_BINARY_PACKED" for name in stamps},
                use_dictionary=dict_cols,
                # statistics only where readers prune on them: the kind's time column
                write_statistics=[t] if (t := get_kind(kind).time_column) else False,
            )
        else:
            writer = pacsv.CSVWriter(path, schema)
        self._writers[kind] = writer
        self.paths[kind] = path
        return writer

    def close(self) -> dict[str, Path]:
        """Close every file; the paths (and ``rows``) in the schema's order of kinds."""
        for w in self._writers.values():
            w.close()
        self._writers.clear()
        order = {k: i for i, k in enumerate(KINDS)}
        self.paths = dict(sorted(self.paths.items(), key=lambda kv: order[kv[0]]))
        self.rows = dict(sorted(self.rows.items(), key=lambda kv: order[kv[0]]))
        return dict(self.paths)


def _as_array(values, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array):
        return values if values.type == typ else values.cast(typ)
    return pa.array(values, type=typ)


def _csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 text with an explicit UTC offset; dictionaries as plain text."""
    cols = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S+00:00")
        elif pa.types.is_dictionary(col.type):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)
