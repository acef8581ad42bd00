"""Mapping files: a force's own exports read into forcestat's columns without writing Python.

A mapping is a TOML file (format in docs/ingest.md; the keys below are a contract)::

    kind = "calls"                    # the record kind the rows become
    timezone = "America/Chicago"      # optional: zone of times without an offset
    where = "Call_Reception IN ('E-911', 'Phone')"   # optional: other rows count as filtered
    [columns]                         # forcestat column = the file's column
    call_id = "Master_Incident_Number"
    [expressions]                     # forcestat column = DuckDB scalar SQL over file columns
    arrived_at = "strptime(Response_Date, '%Y-%m-%d %H:%M:%S.%g')"
    [values.channel]                  # the file's value = forcestat's value
    "E-911" = "999"

:func:`load_mapping` reads and checks the file (one :class:`MappingError` naming the key at
fault); :func:`apply_mapping` turns an opened file (a :class:`~.readers.Source`) into a Source
whose columns are the kind's, so the loader validates, deduplicates and loads mapped rows
exactly as it does any other file. Expressions are parsed with sqlglot and refused unless
they are scalar expressions over the file's own columns: no subquery, no table function, no
aggregate or window, nothing that reads a file, the network, a setting or a clock.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from ..errors import SchemaError
from ..schema import RecordKind, get_kind
from .readers import Source, sql_string
from .validate import ident

DEFAULT_TIMEZONE = "Europe/London"
TOP_KEYS = ("kind", "timezone", "where", "columns", "expressions", "values", "description")

#: Scalar functions a mapping may not call: they read settings or the session, or give a
#: different answer on each run (a reload must give the same rows).
DENIED_FUNCTIONS = frozenset(
    """current_setting current_query current_query_id current_schema current_schemas
    current_database current_catalog current_user session_user user version in_search_path
    json_serialize_sql json_deserialize_sql json_execute_serialized_sql getenv
    random setseed gen_random_uuid uuid uuidv4 uuidv7 nextval currval
    now current_timestamp get_current_timestamp get_current_time current_date current_time
    today transaction_timestamp current_localtime current_localtimestamp""".split()
)
#: Words sqlglot writes before "(" that are syntax rather than function calls.
SYNTAX_CALLS = frozenset({"cast", "try_cast", "case", "coalesce", "if", "in", "not", "struct"})


class MappingError(SchemaError):
    """A mapping file that cannot be used; the message names the key at fault."""


@dataclass(frozen=True)
class Mapping:
    """A checked mapping file: which file column or expression feeds each kind column."""

    kind: RecordKind
    source: str = "mapping"
    timezone: str = DEFAULT_TIMEZONE
    where: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    description: str = ""

    @property
    def mapped(self) -> list[str]:
        """Kind columns the mapping fills, in the kind's column order."""
        return [c for c in self.kind.column_names if c in self.columns or c in self.expressions]


# -- reading a mapping file -------------------------------------------------------------------
def shipped_mappings() -> dict[str, Path]:
    """Mappings that ship with forcestat, by name (the file name without ``.toml``)."""
    folder = resources.files("forcestat") / "data" / "mappings"
    return {
        Path(str(f)).stem: Path(str(f))
        for f in folder.iterdir()
        if str(f).endswith(".toml")  # type: ignore[union-attr]
    }


def find_mapping(name: str | Path) -> Path:
    """A mapping's path: ``name`` itself when it is a file, else a shipped mapping's name."""
    p = Path(name)
    if p.is_file():
        return p
    shipped = shipped_mappings()
    if str(name) in shipped:
        return shipped[str(name)]
    raise MappingError(
        f"mapping {name}: no such file, and no shipped mapping of that name "
        f"(shipped: {', '.join(sorted(shipped))})"
    )


def load_mapping(name: str | Path) -> Mapping:
    """Read and check a mapping file (a path, or the name of a shipped mapping)."""
    path = find_mapping(name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise MappingError(f"mapping {path}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise MappingError(f"mapping {path}: not valid TOML: {e}") from None
    return parse_mapping(data, str(path))


def parse_mapping(data: dict[str, Any], source: str = "mapping") -> Mapping:
    """Check the keys of a parsed mapping; expressions are checked against a file later."""

    def fail(key: str, problem: str) -> MappingError:
        return MappingError(f"mapping {source}: {key}: {problem}")

    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        raise fail(unknown[0], f"unknown key (use {', '.join(TOP_KEYS[:-1])})")
    if "kind" not in data:
        raise fail("kind", 'missing: name the record kind the rows become, e.g. kind = "calls"')
    if not isinstance(data["kind"], str):
        raise fail("kind", "must be text")
    try:
        kind = get_kind(data["kind"])
    except SchemaError as e:
        raise fail("kind", str(e)) from None
    tz = data.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(tz, str) or not _known_timezone(tz):
        raise fail("timezone", f"{tz!r} is not a time zone name such as 'Europe/London'")
    where = data.get("where")
    if where is not None and (not isinstance(where, str) or not where.strip()):
        raise fail("where", "must be an SQL condition as text")
    columns = _text_table(data, "columns", fail)
    expressions = _text_table(data, "expressions", fail)
    for section, table in (("columns", columns), ("expressions", expressions)):
        for col in table:
            if col not in kind.column_names:
                raise fail(
                    f"{section}.{col}",
                    f"{kind.name} has no column {col!r} (its columns: "
                    f"{', '.join(kind.column_names)})",
                )
    both = sorted(set(columns) & set(expressions))
    if both:
        raise fail(f"expressions.{both[0]}", "given under [columns] too; keep one")
    values_raw = data.get("values", {})
    if not isinstance(values_raw, dict):
        raise fail("values", "must be tables such as [values.channel]")
    values: dict[str, dict[str, str]] = {}
    for col, table in values_raw.items():
        if col not in columns and col not in expressions:
            raise fail(f"values.{col}", "maps the values of a column not given under [columns] "
                       "or [expressions]")  # fmt: skip
        if not isinstance(table, dict):
            raise fail(f"values.{col}", 'must be a table of "file value" = "forcestat value"')
        values[col] = {}
        for k, v in table.items():
            if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                raise fail(f"values.{col}.{k}", "must be text or a number")
            values[col][str(k)] = str(v)
    missing = [c for c in kind.required_columns if c not in columns and c not in expressions]
    if missing:
        raise fail(
            "columns",
            f"{kind.name} needs {', '.join(missing)}: give each under [columns] or [expressions]",
        )
    description = data.get("description", "")
    return Mapping(
        kind=kind,
        source=source,
        timezone=tz,
        where=where,
        columns=columns,
        expressions=expressions,
        values=values,
        description=str(description),
    )


def _text_table(data: dict[str, Any], key: str, fail: Any) -> dict[str, str]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise fail(key, f"must be a table: [{key}]")
    for k, v in table.items():
        if not isinstance(v, str) or not v.strip():
            raise fail(f"{key}.{k}", "must be non-empty text")
    return dict(table)


@cache
def _timezones() -> frozenset[str]:
    con = duckdb.connect()
    try:
        return frozenset(
            str(r[0]) for r in con.execute("SELECT name FROM pg_timezone_names()").fetchall()
        )
    finally:
        con.close()


def _known_timezone(name: str) -> bool:
    return name in _timezones()


# -- checking expressions ---------------------------------------------------------------------
@cache
def _scalar_functions() -> frozenset[str]:
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
            "WHERE function_type IN ('scalar', 'macro')"
        ).fetchall()
    finally:
        con.close()
    return frozenset(str(r[0]) for r in rows) - DENIED_FUNCTIONS


_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def check_expression(sql: str, key: str, file_columns: list[str], source: str = "mapping") -> None:
    """Refuse ``sql`` unless it is one scalar expression over ``file_columns``.

    MappingError names ``key`` (e.g. ``expressions.arrived_at``) and what is not allowed.
    """
    import sqlglot
    from sqlglot import expressions as exp

    def fail(problem: str) -> MappingError:
        return MappingError(f"mapping {source}: {key}: {problem}")

    try:
        parsed = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "syntax error"
        raise fail(f"cannot parse {sql!r}: {first}") from None
    if len(parsed) != 1 or parsed[0] is None:
        raise fail("must be one expression (no ';')")
    tree = parsed[0]
    known = {c.lower(): c for c in file_columns}
    refused: tuple[tuple[Any, str], ...] = (
        (exp.Query, "a subquery"),
        (exp.Subquery, "a subquery"),
        (exp.Table, "a table reference"),
        (exp.Block, "more than one statement"),
        (exp.Command, "a command"),
        (exp.DDL, "a statement"),
        (exp.DML, "a statement"),
        (exp.Window, "a window function"),
        (exp.AggFunc, "an aggregate"),
        (exp.UDTF, "a table function"),
        (exp.ReadCSV, "a table function that reads files"),
        (exp.Star, "*"),
        (exp.Placeholder, "a parameter"),
        (exp.Parameter, "a parameter"),
    )
    functions = _scalar_functions()
    for node in tree.walk():
        for cls, what in refused:
            if isinstance(node, cls):
                raise fail(
                    f"{what} is not allowed: only a scalar expression over the file's columns"
                )
        if isinstance(node, exp.Column):
            if node.table:
                raise fail(f"{node.sql(dialect='duckdb')}: name the file's columns without a table")
            if node.name.lower() not in known:
                raise fail(
                    f"the file has no column {node.name!r} (its columns: {', '.join(file_columns)})"
                )
        elif isinstance(node, exp.Func):
            name = node.name if isinstance(node, exp.Anonymous) else _sql_name(node)
            if name and name.lower() not in SYNTAX_CALLS and name.lower() not in functions:
                raise fail(
                    f"function {name.lower()}() is not allowed (only scalar functions that "
                    "read nothing but their arguments)"
                )


def _sql_name(node: Any) -> str:
    m = _CALL.match(node.sql(dialect="duckdb"))
    return m.group(1) if m else ""


# -- applying a mapping to a file -------------------------------------------------------------
MAPPED_REL = "__fs_file"


def apply_mapping(con: duckdb.DuckDBPyConnection, source: Source, mapping: Mapping) -> Source:
    """A Source over ``source`` whose columns are the mapping's kind columns.

    The file's columns keep their names (expressions read them); each record keeps its number
    in the file as its line; rows the ``where`` condition leaves out are counted by
    ``Source.filtered_sql``. A quarantined record keeps the file's fields and, for each column
    computed by an expression, the computed value.
    """
    where_label = "mapping " + mapping.source
    header = list(source.header)
    lower = {h.lower(): h for h in header}
    for col, file_col in mapping.columns.items():
        if file_col.lower() not in lower:
            raise SchemaError(
                f"{source.path}: {where_label}: columns.{col}: the file has no column "
                f"{file_col!r} (its columns: {', '.join(header)})"
            )
    for col, sql in mapping.expressions.items():
        check_expression(sql, f"expressions.{col}", header, mapping.source)
    if mapping.where:
        check_expression(mapping.where, "where", header, mapping.source)

    def named(relation: str) -> str:
        """The file relation with its own column names (and a record number)."""
        cols = [f"{c} AS {ident(h)}" for c, h in zip(source.raw_columns, header, strict=True)]
        extra = [c for c in (source.ok_sql, source.text_sql) if c]
        number = source.line_sql or f"row_number() OVER () + {source.first_line - 1}"
        return f"(SELECT {', '.join(cols + extra)}, {number} AS __fs_n FROM {relation})"

    value_sql: dict[str, str] = {}
    for col in mapping.mapped:
        sql = (
            ident(lower[mapping.columns[col].lower()])
            if col in mapping.columns
            else f"({mapping.expressions[col]})"
        )
        if col in mapping.values:
            whens = " ".join(
                f"WHEN {sql_string(k)} THEN {sql_string(v)}" for k, v in mapping.values[col].items()
            )
            sql = f"(CASE CAST({sql} AS VARCHAR) {whens} ELSE CAST({sql} AS VARCHAR) END)"
        value_sql[col] = sql

    keep = f"coalesce(({mapping.where}), false)" if mapping.where else "true"
    if source.ok_sql:  # a line that is not a JSON object is quarantined, never filtered
        keep = f"(NOT {source.ok_sql} OR {keep})"
    computed = {c for c in mapping.mapped if c not in mapping.columns or c in mapping.values}
    raw_names = [
        (lower[mapping.columns[c].lower()] if c in mapping.columns and c not in computed
         else (c if c.lower() not in lower else f"{c} (mapped)"))
        for c in mapping.mapped
    ]  # fmt: skip
    if source.text_sql and source.format == "jsonl":
        text = source.text_sql  # the line as it was
    else:
        pairs = [f"{ident(h)} := {ident(h)}" for h in header]
        pairs += [
            f"{ident(n)} := {value_sql[c]}"
            for c, n in zip(mapping.mapped, raw_names, strict=True)
            if c in computed
        ]
        text = f"CAST(to_json(struct_pack({', '.join(pairs)})) AS VARCHAR)"

    def mapped(relation: str) -> str:
        out = [f"{value_sql[c]} AS __r{i}" for i, c in enumerate(mapping.mapped)]
        ok = [f"{source.ok_sql} AS __fs_ok"] if source.ok_sql else []
        return (
            f"(SELECT {', '.join(out + ok)}, {text} AS __fs_text, __fs_n "
            f"FROM {named(relation)} WHERE {keep})"
        )

    lenient = _lenient(source)
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {mapped(lenient)}").fetchall()
    except duckdb.Error as e:
        raise SchemaError(
            f"{source.path}: {where_label}: {_which_key(con, mapping, named(lenient), value_sql)}"
            f"{str(e).strip().splitlines()[0]}"
        ) from None
    types = [str(r[1]) for r in described[: len(mapping.mapped)]]
    filtered = f"SELECT count(*) FROM {named(lenient)} WHERE NOT {keep}" if mapping.where else None
    return Source(
        path=source.path,
        format="mapped",
        header=mapping.mapped,
        types=types,
        relation=mapped(source.relation),
        first_line=source.first_line,
        delimiter=source.delimiter,
        rejects=source.rejects,
        line_sql="__fs_n",
        ok_sql="__fs_ok" if source.ok_sql else None,
        text_sql="__fs_text",
        rescan=None,
        timezone=mapping.timezone,
        raw_names=raw_names,
        filtered_sql=filtered,
        scan_path=source.scan_path,
        encoding=source.encoding,
        physical_records=source.physical_records,
        original=source,
    )


def _lenient(source: Source) -> str:
    """The file's scan without collecting rejects, skipping rows the parser cannot read
    (counting filtered rows must not disturb the rejects of the loading scan)."""
    if source.rescan and source.rescan.endswith(")"):
        return source.rescan[:-1] + ", ignore_errors=true)"
    return source.relation


def _which_key(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, named: str, value_sql: dict[str, str]
) -> str:
    """'expressions.X: ' for the first expression DuckDB cannot plan, else ''."""
    checks = [(f"expressions.{c}", value_sql[c]) for c in mapping.expressions]
    if mapping.where:
        checks.append(("where", mapping.where))
    for key, sql in checks:
        try:
            con.execute(f"DESCRIBE SELECT {sql} FROM {named}")
        except duckdb.Error:
            return f"{key}: "
    return ""
