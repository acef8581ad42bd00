"""The catalogue on Spark: a session over the Parquet lake ``forcestat export-lake`` writes.

``--db`` names the Spark to use:

- ``spark://local[2]`` (or ``spark://local``, ``spark://local[*]``): local mode in this
  process's JVM, on Java 17 or 21;
- ``spark://host:7077``: a standalone cluster's master;
- ``sc://host:15002``: Spark Connect (Databricks, EMR, Dataproc and Spark's own
  ``start-connect-server.sh`` speak it).

Settings may follow as a query, ``spark://local[2]?spark.driver.memory=4g``; ``cache=true``
keeps the lake's tables in Spark's memory after the first query (worth it when many queries
read a lake that fits: a report, a test). Each kind's table
is registered as a temporary view over ``<lake>/<kind>/``, with the kind's schema (columns in
order, cast to its types) and any derived column the lake lacks computed from the schema's SQL
translated to Spark's dialect. A kind absent from the lake is an empty view, so a missing
table reads as "no records", as in an empty DuckDB store.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from ..errors import InputError, StoreError
from ..schema import KINDS, RecordKind
from ..store import LINEAGE_COLUMNS
from . import dialect_sql, missing_extra
from .lake import META_TABLES

#: local-mode settings: no web UI, loopback only, ports in forcestat's range, modest memory
LOCAL_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.port": "55450",
    "spark.blockManager.port": "55470",
    "spark.port.maxRetries": "20",
    "spark.driver.memory": "1g",
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.showConsoleProgress": "false",
}
#: settings for every session: timestamps are naive UTC, as in every forcestat store
SESSION_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}
SPARK_TYPES = {
    "VARCHAR": "STRING",
    "BIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ",
}


def parse_url(url: str) -> tuple[str, dict[str, str]]:
    """The master (or Spark Connect URL) and extra settings of a Spark ``--db`` value.

    >>> parse_url("spark://local[2]?spark.driver.memory=2g")
    ('local[2]', {'spark.driver.memory': '2g'})
    >>> parse_url("spark://10.0.0.5:7077")
    ('spark://10.0.0.5:7077', {})
    >>> parse_url("sc://127.0.0.1:15002")
    ('sc://127.0.0.1:15002', {})
    """
    scheme, rest = url.split("://", 1)
    where, _, query = rest.partition("?")
    conf = {k: v for k, v in parse_qsl(query) if k != "cache"}
    if scheme.lower() == "sc":
        return f"sc://{where}", conf
    if where.startswith("local"):
        return where, conf
    if not where:
        raise StoreError("spark:// needs a master: spark://local[2] or spark://host:7077")
    return f"spark://{where}", conf


def session(url: str) -> tuple[Any, bool]:
    """A SparkSession for ``url`` and whether this call started it (then ``stop()`` it)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise missing_extra("spark", "pyspark") from None
    master, conf = parse_url(url)
    if master.startswith("sc://"):
        builder = SparkSession.builder.remote(master)
        settings = {**SESSION_DEFAULTS, **conf}
    else:
        # the driver listens on loopback only (else Spark picks the first network interface)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        active = SparkSession.getActiveSession()
        builder = SparkSession.builder.master(master).appName("forcestat")
        settings = {**LOCAL_DEFAULTS, **SESSION_DEFAULTS, **conf}
        if active is not None:
            for k, v in {**SESSION_DEFAULTS, **conf}.items():
                active.conf.set(k, v)
            return active, False
    for k, v in settings.items():
        if not (master.startswith("sc://") and k.startswith("spark.driver")):
            builder = builder.config(k, v)
    try:
        spark = builder.getOrCreate()
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StoreError(f"cannot start Spark ({master}): {first}") from None
    if not master.startswith("sc://"):
        spark.sparkContext.setLogLevel("ERROR")
    return spark, True


def _has_parquet(folder: Path) -> bool:
    return folder.is_dir() and any(folder.rglob("*.parquet"))


def _select_list(kind: RecordKind, present: set[str]) -> list[str]:
    cols = []
    for c in kind.columns:
        t = SPARK_TYPES[c.sql_type]
        cols.append(
            f"CAST(`{c.name}` AS {t}) AS `{c.name}`"
            if c.name in present
            else f"CAST(NULL AS {t}) AS `{c.name}`"
        )
    for d in kind.derived_columns:
        t = SPARK_TYPES[d.sql_type]
        if d.name in present:
            cols.append(f"CAST(`{d.name}` AS {t}) AS `{d.name}`")
        else:  # a lake written before this column existed: compute it here
            cols.append(f"CAST({dialect_sql(d.sql, 'spark')} AS {t}) AS `{d.name}`")
    for name, sql_type in LINEAGE_COLUMNS:
        t = SPARK_TYPES[sql_type]
        cols.append(
            f"CAST(`{name}` AS {t}) AS `{name}`"
            if name in present
            else f"CAST(NULL AS {t}) AS `{name}`"
        )
    return cols


def wants_cache(url: str) -> bool:
    """True when a Spark URL asks for the lake to be cached (``?cache=true``)."""
    query = url.partition("?")[2]
    return dict(parse_qsl(query)).get("cache", "").lower() in ("1", "true", "yes")


def register_lake(spark: Any, lake: Path, cache: bool = False) -> list[str]:
    """Register every kind (and load_log) as a temporary view over the lake; their names."""
    names = []
    for name, kind in KINDS.items():
        folder = lake / name
        if _has_parquet(folder):
            df = spark.read.option("basePath", str(folder)).parquet(str(folder))
            present = set(df.columns)
        else:  # no rows of this kind: an empty table of the kind's schema
            df = spark.sql("SELECT 1 AS _none WHERE false")
            present = set()
        view = f"_lake_{name}"
        df.createOrReplaceTempView(view)
        spark.sql(
            f"CREATE OR REPLACE TEMP VIEW `{name}` AS SELECT "
            f"{', '.join(_select_list(kind, present))} FROM `{view}`"
        )
        if cache:
            spark.catalog.cacheTable(name)
        names.append(name)
    for name in META_TABLES:
        folder = lake / name
        if _has_parquet(folder):
            spark.read.parquet(str(folder)).createOrReplaceTempView(name)
            names.append(name)
    return names


class SparkStore:
    """The lake read through Spark: read-only, for the measures (``ibis``) and ``status``."""

    backend = "spark"

    def __init__(self, url: str, spark: Any, started: bool, lake: Path) -> None:
        self.url = self.path = url
        self.spark = spark
        self.started = started
        self.lake = lake
        self._ibis: Any = None

    @classmethod
    def open(cls, url: str, *, lake: str | os.PathLike[str] | None) -> SparkStore:
        if lake is None:
            raise InputError(
                "a Spark store reads a lake: add --lake DIR (written by `forcestat export-lake`)"
            )
        root = Path(lake)
        if not root.is_dir():
            raise InputError(f"no lake at {root}: write one with `forcestat export-lake --out`")
        spark, started = session(url)
        store = cls(url, spark, started, root)
        register_lake(spark, root, cache=wants_cache(url))
        return store

    @property
    def ibis(self) -> Any:
        if self._ibis is None:
            try:
                import ibis
            except ImportError:  # pragma: no cover - ibis is a core dependency
                raise missing_extra("spark", "ibis-framework[pyspark]") from None
            self._ibis = ibis.pyspark.connect(self.spark)
        return self._ibis

    def table(self, name: str) -> Any:
        return self.ibis.table(name)

    def has_table(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def status(self) -> list[dict[str, Any]]:
        out = []
        for kind in KINDS.values():
            span = "min(month), max(month)" if kind.month_sql else "NULL, NULL"
            row = self.spark.sql(f"SELECT count(*), {span} FROM `{kind.name}`").collect()[0]
            out.append(
                {
                    "table": kind.name,
                    "rows": int(row[0]),
                    "first_month": row[1].strftime("%Y-%m") if row[1] else None,
                    "last_month": row[2].strftime("%Y-%m") if row[2] else None,
                    "quarantined": None,
                }
            )
        return out

    def close(self) -> None:
        if self.started:
            self.spark.stop()

    def __enter__(self) -> SparkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
