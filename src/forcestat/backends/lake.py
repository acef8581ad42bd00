"""The lake: a store's tables as Parquet, partitioned by month in Hive layout, for Spark.

``forcestat export-lake --out DIR`` writes, for each record kind, ``DIR/<kind>/month=
YYYY-MM-01/part-0.parquet`` (the ``month`` column lives in the folder name, as Hive and Spark
expect), and ``DIR/load_log/part-0.parquet`` for lineage. Rows without a month go to
``month=__HIVE_DEFAULT_PARTITION__``. The workflows' tables (Speedwatch outcomes, Encompass
notices, ...) are written whole, one file each. The quarantine, audit and audit_log tables
(rejected and replaced record-level rows, who read what) stay in the store.

Each partition is replaced atomically: its new file is written beside the lake, then renamed
over the old one (a rename within one file system), so a reader sees the old month or the
new month, never half of one; months no longer in the store are removed afterwards.
Exporting again rewrites every partition from the store, so the lake follows the store.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..errors import InputError
from ..schema import KINDS
from ..schema.workflow import WORKFLOW_DDL

PART = "part-0.parquet"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: tables exported whole (one file each): lineage, and the workflows' tables measures read
#: (not audit_log, the record of who read what, which stays with the store)
META_TABLES = ("load_log", *(t for t in WORKFLOW_DDL if t != "audit_log"))


@dataclass
class ExportedTable:
    table: str
    rows: int
    partitions: int

    def as_dict(self) -> dict[str, object]:
        return {"table": self.table, "rows": self.rows, "partitions": self.partitions}


def _source(store: Any) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """A DuckDB connection holding the store's tables (the store's own for a DuckDB file;
    for PostgreSQL, the tables copied in through Arrow), and whether to close it after."""
    if getattr(store, "backend", "duckdb") == "duckdb":
        return store.duck, False
    if store.backend == "spark":
        raise InputError("export-lake reads a DuckDB or PostgreSQL store, not a Spark one")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in [*KINDS, *META_TABLES]:
        if store.has_table(name):
            arrow = store.table(name).to_pyarrow()  # noqa: F841 - read by DuckDB below
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM arrow')
    return con, True


def export_lake(store: Any, out: str | os.PathLike[str]) -> list[ExportedTable]:
    """Write every kind's table (partitioned by month) and load_log to ``out``."""
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise InputError(f"{root} exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    con, close = _source(store)
    try:
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        done = []
        for name, kind in KINDS.items():
            if name in tables:
                done.append(_export_table(con, root, name, bool(kind.month_sql)))
        for name in META_TABLES:
            if name in tables:
                done.append(_export_table(con, root, name, False))
        return done
    finally:
        if close:
            con.close()


def _export_table(
    con: duckdb.DuckDBPyConnection, root: Path, name: str, by_month: bool
) -> ExportedTable:
    dest = root / name
    staging = root / f".staging-{name}-{uuid.uuid4().hex[:8]}"  # dot: readers skip it
    staging.mkdir()
    try:
        row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        rows = int(row[0]) if row else 0
        if not by_month:
            con.execute(f"""COPY "{name}" TO '{staging / PART}' (FORMAT parquet)""")
            dest.mkdir(exist_ok=True)
            os.replace(staging / PART, dest / PART)
            return ExportedTable(name, rows, 1)
        if rows:
            con.execute(
                f"""COPY (SELECT * REPLACE (coalesce(CAST(month AS VARCHAR), '{NULL_PARTITION}')
                          AS month) FROM "{name}")
                TO '{staging}' (FORMAT parquet, PARTITION_BY (month), FILENAME_PATTERN 'part')"""
            )
        written = sorted(p for p in staging.iterdir() if p.is_dir())
        dest.mkdir(exist_ok=True)
        for part in written:
            files = sorted(part.glob("*.parquet"))
            assert len(files) == 1, f"one file per partition expected in {part}"
            (dest / part.name).mkdir(exist_ok=True)
            os.replace(files[0], dest / part.name / PART)
        keep = {p.name for p in written}
        for old in dest.iterdir():
            if old.is_dir() and old.name.startswith("month=") and old.name not in keep:
                shutil.rmtree(old)
        return ExportedTable(name, rows, len(written))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
