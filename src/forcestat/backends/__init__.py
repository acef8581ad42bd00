"""Stores beyond the DuckDB file: PostgreSQL (a full store) and Spark (a Parquet lake).

A store is named by its ``--db`` value (see :func:`forcestat.store.open_store`):

- a path (``forcestat.duckdb``, the default) or ``duckdb:///path``: the embedded DuckDB file;
- ``postgresql://user@host:5432/db``: a PostgreSQL database, written by ``forcestat ingest``
  (COPY, one transaction per file) and read by the measures through Ibis;
- ``spark://local[2]`` (local mode), ``spark://host:7077`` (a standalone cluster) or
  ``sc://host:15002`` (Spark Connect): Spark over a lake of Parquet written by
  ``forcestat export-lake``, read-only.

Every backend's tables come from the same place, the record kinds' schemas: DuckDB's DDL and
derived-column SQL are written once and translated to each engine's dialect by sqlglot
(:func:`dialect_sql`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import sqlglot
import sqlglot.expressions as sx

from ..errors import StoreError

BACKENDS = ("duckdb", "postgres", "spark")


def backend_name(db: str) -> str:
    """Which engine a ``--db`` value names: 'duckdb', 'postgres' or 'spark'.

    >>> backend_name("forcestat.duckdb"), backend_name("postgresql://u@127.0.0.1/fs")
    ('duckdb', 'postgres')
    >>> backend_name("spark://local[2]"), backend_name("sc://127.0.0.1:15002")
    ('spark', 'spark')
    """
    if "://" not in db:
        return "duckdb"
    scheme = db.split("://", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return "postgres"
    if scheme in ("spark", "sc"):
        return "spark"
    if scheme == "duckdb":
        return "duckdb"
    raise StoreError(
        f"unknown store {redact(db)}: use a DuckDB file path, postgresql://..., "
        "spark://local[2] or sc://host:15002"
    )


def redact(url: str) -> str:
    """``url`` with any password, or a Spark Connect token, replaced by ``***`` (for messages
    and logs).

    >>> redact("postgresql://fs:secret@127.0.0.1:5432/fs")
    'postgresql://fs:***@127.0.0.1:5432/fs'
    >>> redact("sc://dbc-1.cloud.example:443/;use_ssl=true;token=dapi123")
    'sc://dbc-1.cloud.example:443/;use_ssl=true;token=***'
    >>> redact("spark://local[2]")
    'spark://local[2]'
    """
    if "://" not in url:
        return url
    url = re.sub(r"(;token=)[^;?]*", r"\1***", url, flags=re.IGNORECASE)
    try:
        parts = urlsplit(url)
    except ValueError:  # spark://local[2]: brackets that are no IPv6 address, no password
        return url
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def missing_extra(extra: str, module: str) -> StoreError:
    return StoreError(
        f'the {extra} backend needs the Python package {module}: pip install "forcestat[{extra}]"'
    )


def _is_timezone(node: sx.Expression, zone: str | None = None) -> bool:
    if not (isinstance(node, sx.Anonymous) and str(node.this).lower() == "timezone"):
        return False
    args = node.expressions
    return len(args) == 2 and (
        zone is None or (isinstance(args[0], sx.Literal) and args[0].this == zone)
    )


def _spark_fixups(node: sx.Expression) -> sx.Expression:
    """Spark has no ``timezone(zone, ts)``: DuckDB's ``timezone('Europe/London',
    timezone('UTC', ts))`` (naive UTC to London wall-clock) is ``from_utc_timestamp``."""
    if _is_timezone(node) and _is_timezone(node.expressions[1], "UTC"):
        zone, inner = node.expressions
        fixed: sx.Expression = sx.Anonymous(
            this="from_utc_timestamp", expressions=[inner.expressions[1], zone]
        )
        return fixed
    return node


def _ibis_dialects() -> None:
    """Let Ibis amend sqlglot's dialects before sqlglot writes any SQL in them.

    Ibis adds to sqlglot's PostgreSQL generator (``DATE_FROM_PARTS`` is PostgreSQL's
    ``make_date``) when its dialects module is imported, but sqlglot builds each generator's
    dispatch table once, the first time it writes that dialect: if we wrote PostgreSQL SQL
    first, every date literal Ibis compiled afterwards in this process would call a function
    PostgreSQL lacks."""
    import ibis.backends.sql.dialects  # noqa: F401


def dialect_sql(sql: str, dialect: str) -> str:
    """DuckDB SQL (a schema's DDL, a derived column's expression) in another engine's dialect.

    >>> dialect_sql("date_diff('microsecond', a, b)", "spark")
    'DATEDIFF(MICROSECOND, a, b)'
    """
    if dialect == "duckdb":
        return sql
    _ibis_dialects()
    tree = sqlglot.parse_one(sql, read="duckdb")
    if dialect == "spark":
        tree = tree.transform(_spark_fixups)
    return tree.sql(dialect=dialect)
