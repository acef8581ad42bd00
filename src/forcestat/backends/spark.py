"""The catalogue on Spark: a session over the Parquet lake ``forcestat export-lake`` writes.

``--db`` names the Spark to use:

- ``spark://local[2]`` (or ``spark://local``, ``spark://local[*]``): local mode in this
  process's JVM, on Java 17 or 21;
- ``spark://host:7077``: a standalone cluster's master;
- ``sc://host:15002``: Spark Connect (Databricks, EMR, Dataproc and Spark's own
  ``start-connect-server.sh`` speak it); each store opens a session of its own on the server.

Settings may follow as a query, ``spark://local[2]?spark.driver.memory=4g``; ``cache=true``
keeps the lake's tables in Spark's memory after the first query (worth it when many queries
read a lake that fits: a report, a test). Each kind's table
is registered as a temporary view over ``<lake>/<kind>/``, with the kind's schema (columns in
order, cast to its types) and any derived column the lake lacks computed from the schema's SQL
translated to Spark's dialect. A kind absent from the lake is an empty view, so a missing
table reads as "no records", as in an empty DuckDB store.

The lake is a local folder (made absolute, since a Spark Connect server on this machine has a
working directory of its own) or a URL Spark's file systems read (``s3a://bucket/lake``,
``abfss://...``, ``gs://...``, ``hdfs://...``, ``file:///...``): a URL is passed to Spark
unchecked, and Spark, not this process, tells which kinds it holds.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import InputError, StoreError, StoreOpenError
from ..schema import KINDS, RecordKind
from ..store import LINEAGE_COLUMNS
from . import dialect_sql, missing_extra, redact
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


#: seconds to wait for a Spark Connect server's port to answer before giving up
CONNECT_TIMEOUT = 10.0


def _through_proxy(host: str) -> bool:
    """True when gRPC would reach ``host`` through a proxy (``grpc_proxy``, ``https_proxy``
    or ``http_proxy`` set, and ``host`` not in ``no_proxy``)."""
    from urllib.request import proxy_bypass

    names = ("grpc_proxy", "https_proxy", "http_proxy")
    if not any(os.environ.get(n) or os.environ.get(n.upper()) for n in names):
        return False
    return not proxy_bypass(host)


def _reachable(remote: str) -> None:
    """Raise a one-line StoreOpenError unless something listens at a Spark Connect URL's host and
    port (else the client retries quietly for ten minutes, built for clusters still starting)."""
    parts = urlsplit(remote)
    host, port = parts.hostname or "localhost", parts.port or 15002
    if _through_proxy(host):  # gRPC goes through the proxy: a direct probe proves nothing
        return
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as e:
        why = e.strerror or type(e).__name__
        raise StoreOpenError(
            f"cannot open store {redact(remote)}: nothing answers at {host}:{port} ({why}); "
            "is the Spark Connect server running?"
        ) from None


def _connect_session(remote: str, conf: dict[str, str]) -> Any:
    """A new session on a Spark Connect server. The Connect client's own builder, not
    ``pyspark.sql.SparkSession``'s: that one refuses while a local-mode Spark runs in this
    process and afterwards routes every local-mode session to Connect; and ``create()``, not
    ``getOrCreate()``, so a second store (another lake, another server) is not handed the
    first one's session and views."""
    try:
        from pyspark.sql.connect.session import SparkSession as ConnectSession
    except ImportError:
        raise missing_extra("spark", "pyspark[connect]") from None
    _reachable(remote)
    builder = ConnectSession.builder.remote(remote)
    for k, v in {**SESSION_DEFAULTS, **conf}.items():
        if not k.startswith("spark.driver"):  # the server's driver is already running
            builder = builder.config(k, v)
    try:
        return builder.create()
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StoreOpenError(f"cannot open store {redact(remote)}: {first}") from None


def session(url: str) -> tuple[Any, bool]:
    """A SparkSession for ``url`` and whether this call started it (then ``stop()`` it)."""
    master, conf = parse_url(url)
    if master.startswith("sc://"):
        return _connect_session(master, conf), True
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise missing_extra("spark", "pyspark") from None
    # the driver listens on loopback only (else Spark picks the first network interface)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    active = SparkSession.getActiveSession()
    if active is not None:
        for k, v in {**SESSION_DEFAULTS, **conf}.items():
            active.conf.set(k, v)
        return active, False
    builder = SparkSession.builder.master(master).appName("forcestat")
    settings = {**LOCAL_DEFAULTS, **SESSION_DEFAULTS, **conf}
    for k, v in settings.items():
        builder = builder.config(k, v)
    try:
        spark = builder.getOrCreate()
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StoreError(f"cannot start Spark ({master}): {first}") from None
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


def lake_location(lake: str | os.PathLike[str]) -> str:
    """Where Spark reads the lake: a URL as given, else an existing local folder, absolute.

    >>> lake_location("s3a://forces/lake/")
    's3a://forces/lake'
    """
    text = os.fspath(lake)
    if "://" in text:
        return text.rstrip("/")
    root = Path(text).resolve()  # a Connect server on this machine has its own working folder
    if not root.is_dir():
        raise InputError(f"no lake at {text}: write one with `forcestat export-lake --out`")
    return str(root)


#: what Spark answers for a lake URL without a kind's folder, or with no Parquet in it
ABSENT = ("PATH_NOT_FOUND", "UNABLE_TO_INFER_SCHEMA")


def _read_parquet(spark: Any, folder: str) -> Any | None:
    """The Parquet under ``folder`` (partition columns included), or None where it has none."""
    if "://" not in folder:
        if not _has_parquet(Path(folder)):
            return None
        return spark.read.option("basePath", folder).parquet(folder)
    from pyspark.errors import AnalysisException

    try:
        df = spark.read.option("basePath", folder).parquet(folder)
        df.columns  # noqa: B018 - Spark Connect reads lazily: look at the folder now
    except AnalysisException as e:
        if (e.getCondition() or "") in ABSENT:
            return None
        raise
    return df


def register_lake(spark: Any, lake: str, cache: bool = False) -> list[str]:
    """Register every kind (and load_log) as a temporary view over the lake (a local folder
    or a URL, see :func:`lake_location`); their names."""
    names = []
    for name, kind in KINDS.items():
        df = _read_parquet(spark, f"{lake}/{name}")
        if df is not None:
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
        df = _read_parquet(spark, f"{lake}/{name}")
        if df is not None:
            df.createOrReplaceTempView(name)
            names.append(name)
    return names


class SparkStore:
    """The lake read through Spark: read-only, for the measures (``ibis``) and ``status``."""

    backend = "spark"

    def __init__(self, url: str, spark: Any, started: bool, lake: str) -> None:
        self.url = url
        self.path = redact(url)  # how messages name the store
        self.spark = spark
        self.started = started
        self.lake = lake
        self._ibis: Any = None
        self.cached: list[str] = []

    @classmethod
    def open(cls, url: str, *, lake: str | os.PathLike[str] | None) -> SparkStore:
        if lake is None:
            raise InputError(
                "a Spark store reads a lake: add --lake DIR (written by `forcestat export-lake`)"
            )
        where = lake_location(lake)
        spark, started = session(url)
        store = cls(url, spark, started, where)
        try:
            names = register_lake(spark, where, cache=wants_cache(url))
            store.cached = [n for n in names if n in KINDS] if wants_cache(url) else []
        except Exception as e:  # an unreadable URL, a file system the cluster lacks
            store.close()
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise InputError(f"cannot read the lake at {where}: {first}") from None
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
        # a Connect server outlives this session, and its cache is shared by every session
        for name in self.cached:
            try:
                self.spark.catalog.uncacheTable(name)
            except Exception:  # noqa: BLE001 - a server already gone has nothing to free
                break
        self.cached = []
        if self.started:
            self.spark.stop()

    def __enter__(self) -> SparkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
