"""Set-based validation: SQL generated from a RecordKind, run by DuckDB over a whole file.

:func:`checked_select` builds one SELECT over a :class:`~forcestat.ingest.readers.Source`
that yields, per record, the typed columns of the kind, ``_err`` (the code of the first check
the record fails, NULL when it passes every one) and ``_raw`` (the record as it was in the
file, kept only for failing records). Checks run in this order and the first failure wins:

1. ``invalid_json``: a JSON Lines line that is not a JSON object;
2. per column, in schema order: ``missing_required``, then the type check
   (``invalid_timestamp``, ``invalid_date``, ``invalid_integer``, ``invalid_number``,
   ``invalid_boolean``);
3. per column: ``not_allowed`` (value outside ``Column.allowed``), ``below_minimum``,
   ``above_maximum``;
4. the kind's cross-field :class:`~forcestat.schema.Rule` s, by their own names;
5. plausibility: ``implausible_offset`` (a UTC offset beyond +-14:00), ``implausible_time``
   (outside the load's :class:`Window`), then the kind's ``plausible`` rules.

Text key columns are trimmed of surrounding spaces, so ``c03 `` and ``c03`` are one key.

Timestamps: text with an offset (``Z``, ``+01:00``, ``-0500``) is an instant and is converted
to UTC; text without one is Europe/London wall-clock time. In the hour the clocks change,
a wall-clock time is read as GMT: 01:30 on 30 October 2022 (which happened twice) is the
second 01:30, 01:30 UTC; 01:30 on 27 March 2022 (which never happened) is 01:30 UTC, shown
as 02:30 BST. Parquet TIMESTAMP WITH TIME ZONE columns are instants; plain TIMESTAMP columns
are London wall-clock time like offset-less text. Everything is stored as naive UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ..schema import Column, RecordKind
from ..schema.base import IMPLAUSIBLE_OFFSET
from .readers import Source, sql_string

#: default start of the plausible time window
EARLIEST = datetime(1990, 1, 1)
#: widest UTC offset any time zone uses, in minutes (+14:00, Kiribati)
MAX_OFFSET_MINUTES = 14 * 60


@dataclass(frozen=True)
class Window:
    """The times a load accepts as plausible: ``earliest <= t < latest`` (naive UTC)."""

    earliest: datetime
    latest: datetime

    @classmethod
    def default(cls, now: datetime | None = None) -> Window:
        """1990-01-01 up to one day after ``now`` (the load)."""
        now = now or datetime.now(UTC).replace(tzinfo=None)
        return cls(EARLIEST, now + timedelta(days=1))

    @classmethod
    def between(cls, earliest: date | datetime | None, latest: date | datetime | None) -> Window:
        d = cls.default()

        def ts(v: date | datetime | None, fallback: datetime) -> datetime:
            if v is None:
                return fallback
            return v if isinstance(v, datetime) else datetime(v.year, v.month, v.day)

        return cls(ts(earliest, d.earliest), ts(latest, d.latest))

    def format(self, text: str) -> str:
        """``text`` with ``{earliest}``/``{latest}`` as SQL timestamps and ``{earliest_text}``
        /``{latest_text}`` as readable dates (used in plausibility rules)."""
        return (
            text.replace("{earliest_text}", f"{self.earliest:%Y-%m-%d %H:%M}")
            .replace("{latest_text}", f"{self.latest:%Y-%m-%d %H:%M}")
            .replace("{earliest}", f"TIMESTAMP '{self.earliest:%Y-%m-%d %H:%M:%S}'")
            .replace("{latest}", f"TIMESTAMP '{self.latest:%Y-%m-%d %H:%M:%S}'")
        )


TEXT_TYPES = ("VARCHAR",)


@dataclass(frozen=True)
class Check:
    """One way a record can fail: its code in ``_err``, rule name, column and reason (SQL)."""

    code: int
    rule: str
    column: str
    reason_sql: str


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def is_text(src_type: str) -> bool:
    return src_type.upper() in TEXT_TYPES


# -- typed values ----------------------------------------------------------------------------
def london_to_utc(ts: str) -> str:
    """SQL: Europe/London wall-clock TIMESTAMP ``ts`` as naive UTC (changeover hour as GMT).

    From 1996 the UK follows the EU rule (BST from 01:00 UTC on the last Sunday of March to
    01:00 UTC on the last Sunday of October); plain date arithmetic applies it several times
    faster than a time-zone library call per row. Other years go through ICU, which agrees
    with the arithmetic wherever both apply (tests/test_ingest_time.py compares them every ten
    minutes of every changeover day from 1996 to 2099).
    """
    last_sunday = (
        "(make_date(year({ts}), {m}, 31) "
        "- CAST(dayofweek(make_date(year({ts}), {m}, 31)) AS INTEGER))"
    )
    march = last_sunday.format(ts=ts, m=3)
    october = last_sunday.format(ts=ts, m=10)
    in_bst = (
        f"month({ts}) BETWEEN 4 AND 9 OR (month({ts}) IN (3, 10) "
        f"AND {ts} >= {march} + INTERVAL 2 HOUR AND {ts} < {october} + INTERVAL 1 HOUR)"
    )
    return (
        f"(CASE WHEN year({ts}) BETWEEN 1996 AND 2099 THEN "
        f"(CASE WHEN {in_bst} THEN {ts} - INTERVAL 1 HOUR ELSE {ts} END) "
        f"ELSE timezone('UTC', timezone('Europe/London', {ts})) END)"
    )


def _instant_to_utc(tstz: str) -> str:
    # a TIMESTAMPTZ holds UTC microseconds: reading them back avoids a time-zone call
    return f"make_timestamp(epoch_us({tstz}))"


#: ISO 8601 text ending in a UTC offset after a time: ``Z``, ``+01:00``, ``-0500``, ``+01``
OFFSET_PATTERN = "[T ][0-9:.,]+ ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$"


def has_offset(src: str) -> str:
    """SQL true when ISO 8601 text carries a UTC offset (one RE2 match: the cheapest test)."""
    return f"regexp_matches({src}, {sql_string(OFFSET_PATTERN)})"


Parsed = tuple[dict[str, str], str]
"""Columns to compute first (name -> SQL over the raw column) and the typed value over them.

Splitting parsing from the rest keeps each cast to one evaluation per value: DuckDB does not
share a repeated sub-expression such as ``TRY_CAST(x AS TIMESTAMP)`` inside a CASE."""

INT_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT")
NUMERIC_TYPES = (*INT_TYPES, "UTINYINT", "HUGEINT", "DOUBLE", "FLOAT", "REAL")


def zone_to_utc(ts: str, tz: str) -> str:
    """SQL: wall-clock TIMESTAMP ``ts`` in zone ``tz`` as naive UTC."""
    if tz == "Europe/London":
        return london_to_utc(ts)
    return f"timezone('UTC', timezone({sql_string(tz)}, {ts}))"


def typed_expr(
    col: Column,
    src: str,
    src_type: str,
    tag: str,
    key: bool = False,
    tz: str = "Europe/London",
) -> Parsed:
    """``col``'s typed value (NULL when empty or unreadable) from raw column ``src``.

    ``tag`` makes the names of the first-step columns unique; a ``key`` text column is
    trimmed of surrounding spaces; ``tz`` is the zone of wall-clock times (text without an
    offset, plain TIMESTAMP columns).
    """
    t = src_type.upper()
    text = src if is_text(t) else f"CAST({src} AS VARCHAR)"
    number = src if t in NUMERIC_TYPES else text  # no round trip through text for numbers
    a, b = f"__a{tag}", f"__b{tag}"
    if col.type == "str":
        # DuckDB's trim costs several times a prefix test: only padded values go through it
        padded = f"(starts_with({text}, ' ') OR ends_with({text}, ' '))"
        norm = col.normalise.format if col.normalise else (lambda v: v)
        if key:
            return {a: f"CASE WHEN {padded} THEN trim({text}) ELSE {text} END"}, (
                f"CASE WHEN {a} <> '' THEN {norm(a)} END"
            )
        return {}, (
            f"CASE WHEN {text} = '' THEN NULL WHEN {padded} THEN "
            f"(CASE WHEN trim({text}) <> '' THEN {norm(text)} END) ELSE {norm(text)} END"
        )
    if col.type == "timestamp":
        if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
            return {}, _instant_to_utc(src)
        if t.startswith("TIMESTAMP") or t == "DATE":
            return {a: f"CAST({src} AS TIMESTAMP)"}, zone_to_utc(a, tz)
        first = {a: has_offset(text), b: f"TRY_CAST({text} AS TIMESTAMP)"}
        instant = _instant_to_utc(f"TRY_CAST({text} AS TIMESTAMPTZ)")
        return first, f"(CASE WHEN {a} THEN {instant} ELSE {zone_to_utc(b, tz)} END)"
    if col.type == "date":
        if t == "DATE" or t.startswith("TIMESTAMP"):
            return {}, f"CAST({src} AS DATE)"
        return {}, f"TRY_CAST({text} AS DATE)"
    if col.type == "float":
        return {a: f"TRY_CAST({number} AS DOUBLE)"}, f"(CASE WHEN isfinite({a}) THEN {a} END)"
    if col.type == "int":
        if t in INT_TYPES:
            return {}, f"CAST({src} AS BIGINT)"
        # '30.0' is 30, but '1.5' is not an integer (a plain cast would round it to 2)
        return {a: f"TRY_CAST({number} AS DOUBLE)"}, (
            f"(CASE WHEN {a} = trunc({a}) AND abs({a}) < 9.0e15 THEN CAST({a} AS BIGINT) END)"
        )
    if col.type == "bool":
        if t == "BOOLEAN":
            return {}, src
        return {}, (
            f"(CASE lower(trim({text})) WHEN 'true' THEN true WHEN 't' THEN true "
            "WHEN 'yes' THEN true WHEN 'y' THEN true WHEN '1' THEN true "
            "WHEN 'false' THEN false WHEN 'f' THEN false WHEN 'no' THEN false "
            "WHEN 'n' THEN false WHEN '0' THEN false END)"
        )
    raise ValueError(f"unknown column type {col.type!r}")


def raw_empty(src: str, src_type: str) -> str:
    """SQL true when the file gave no value."""
    if is_text(src_type):
        return (
            f"({src} IS NULL OR {src} = '' OR ((starts_with({src}, ' ') OR ends_with({src}, ' '))"
            f" AND trim({src}) = ''))"
        )
    return f"({src} IS NULL)"


TYPE_RULES = {
    "timestamp": ("invalid_timestamp", "is not an ISO 8601 date-time"),
    "date": ("invalid_date", "is not a date (YYYY-MM-DD)"),
    "int": ("invalid_integer", "is not a whole number"),
    "float": ("invalid_number", "is not a number"),
    "bool": ("invalid_boolean", "is not true/false"),
}


# -- the checked select ----------------------------------------------------------------------
class _Builder:
    """Collects checks and the CASE branches that detect them."""

    def __init__(self, raw_value: dict[str, str]) -> None:
        self.checks: list[Check] = []
        self.branches: list[str] = []
        self.raw_value = raw_value  # column -> SQL for its raw text inside the quarantine insert

    def add(self, rule: str, column: str, reason_sql: str) -> int:
        code = len(self.checks) + 1
        self.checks.append(Check(code, rule, column, reason_sql))
        return code

    def value(self, column: str) -> str:
        return f"coalesce({self.raw_value.get(column, 'NULL')}, '')"

    def shown(self, column: str) -> str:
        """SQL for 'column "value"', how a reason names the offending value."""
        quote = sql_string('"')
        return f"{sql_string(column + ' ')} || {quote} || {self.value(column)} || {quote}"


def checked_select(
    source: Source,
    kind: RecordKind,
    mapping: dict[str, int],
    raw_value: dict[str, str],
    window: Window | None = None,
) -> tuple[str, list[Check]]:
    """The SELECT yielding typed columns, ``_err`` and ``_raw`` for every record of ``source``.

    ``mapping`` gives, for each kind column present in the file, its index in the header.
    ``raw_value`` gives SQL (over ``_raw``) for a column's raw text, used in reasons.
    """
    b = _Builder(raw_value)
    if source.ok_sql:
        code = b.add("invalid_json", "", "'line is not a JSON object'")
        b.branches.append(f"WHEN NOT {source.ok_sql} THEN {code}")

    window = window or Window.default()
    typed, first, kept = [], [], []
    offsets: list[tuple[Column, str, str]] = []
    for col in kind.columns:
        if col.name not in mapping:
            typed.append(f"CAST(NULL AS {col.sql_type}) AS {ident(col.name)}")
            continue
        i = mapping[col.name]
        src, src_type = f"__r{i}", source.types[i]
        parsed, value = typed_expr(
            col, src, src_type, str(i), key=col.name in kind.key, tz=source.timezone
        )
        first += [f"{sql} AS {name}" for name, sql in parsed.items()]
        typed.append(f"{value} AS {ident(col.name)}")
        _type_branches(b, col, src, src_type)
        if col.type == "timestamp" and f"__b{i}" in parsed:  # text: may carry an offset
            offsets.append((col, f"__a{i}", f"__b{i}"))
            kept += [f"__a{i}", f"__b{i}"]
    for col in kind.columns:
        if col.name in mapping:
            _value_branches(b, col)
    for rule in kind.rules:
        reason = sql_string(rule.description or f"breaks rule {rule.name}")
        code = b.add(rule.name, rule.column, reason)
        b.branches.append(f"WHEN NOT coalesce(({rule.sql}), true) THEN {code}")
    for col, has_offset_col, wall in offsets:
        code = b.add(
            IMPLAUSIBLE_OFFSET,
            col.name,
            f"{b.shown(col.name)} || {sql_string(' has a UTC offset beyond +-14:00')}",
        )
        b.branches.append(
            f"WHEN {has_offset_col} AND abs(date_diff('minute', {ident(col.name)}, {wall})) "
            f"> {MAX_OFFSET_MINUTES} THEN {code}"
        )
    for rule in kind.plausibility:
        columns_known = rule.column in mapping or rule.column not in kind.column_names
        if not columns_known:
            continue
        desc = window.format(rule.description or f"breaks rule {rule.name}")
        reason = (
            f"{b.shown(rule.column)} || {sql_string(': ' + desc)}"
            if rule.column in mapping
            else sql_string(desc)
        )
        code = b.add(rule.name, rule.column, reason)
        b.branches.append(f"WHEN NOT coalesce(({window.format(rule.sql)}), true) THEN {code}")

    err = f"CASE {' '.join(b.branches)} END" if b.branches else "CAST(NULL AS INTEGER)"
    raw = _raw_record(source)
    keep = [ident(c.name) for c in kind.columns]
    extra = [source.line_sql] if source.line_sql else []
    carried = [*source.raw_columns, *extra, *_passthrough(source)]
    parse = ", ".join(carried + first)
    sql = (
        f"SELECT {', '.join(keep + extra)}, _err, "
        f"CASE WHEN _err IS NOT NULL THEN {raw} END AS _raw FROM ("
        f"SELECT *, {err} AS _err FROM (SELECT {', '.join(carried + kept + typed)} FROM ("
        f"SELECT {parse} FROM {source.relation})))"
    )
    return sql, b.checks


def _passthrough(source: Source) -> list[str]:
    return [c for c in (source.ok_sql, source.text_sql) if c]


def _type_branches(b: _Builder, col: Column, src: str, src_type: str) -> None:
    name = ident(col.name)
    empty = raw_empty(src, src_type)
    bad_code = None
    if col.type in TYPE_RULES:
        rule, text = TYPE_RULES[col.type]
        bad_code = b.add(rule, col.name, f"{b.shown(col.name)} || {sql_string(' ' + text)}")
    if col.required:
        miss = b.add("missing_required", col.name, sql_string(f"{col.name} is required but empty"))
        if bad_code is None:
            b.branches.append(f"WHEN {name} IS NULL THEN {miss}")
        else:
            b.branches.append(
                f"WHEN {name} IS NULL THEN (CASE WHEN {empty} THEN {miss} ELSE {bad_code} END)"
            )
    elif bad_code is not None:
        b.branches.append(f"WHEN {name} IS NULL AND NOT {empty} THEN {bad_code}")


def _value_branches(b: _Builder, col: Column) -> None:
    name = ident(col.name)
    shown = b.shown(col.name)
    if col.allowed is not None:
        listed = ", ".join(sql_string(a) for a in col.allowed)
        code = b.add(
            "not_allowed",
            col.name,
            f"{shown} || {sql_string(' is not one of ' + ', '.join(col.allowed))}",
        )
        b.branches.append(f"WHEN {name} NOT IN ({listed}) THEN {code}")
    if col.minimum is not None:
        code = b.add(
            "below_minimum", col.name, f"{shown} || {sql_string(f' is below {col.minimum:g}')}"
        )
        b.branches.append(f"WHEN {name} < {col.minimum!r} THEN {code}")
    if col.maximum is not None:
        code = b.add(
            "above_maximum", col.name, f"{shown} || {sql_string(f' is above {col.maximum:g}')}"
        )
        b.branches.append(f"WHEN {name} > {col.maximum!r} THEN {code}")


def raw_keys(source: Source) -> list[str]:
    """The header names keying a quarantined record's JSON; an unnamed column (a trailing
    delimiter on the header line) is called by its position, e.g. ``column_5``."""
    names = source.raw_names if source.raw_names is not None else source.header
    return [h or f"column_{i + 1}" for i, h in enumerate(names)]


def _raw_record(source: Source) -> str:
    """SQL keeping a failing record as it was: the original line (JSON Lines) or its fields
    as a JSON object keyed by the file's header (CSV, Parquet)."""
    if source.text_sql:  # the line as the file has it, without its line end
        return f"rtrim({source.text_sql}, chr(10) || chr(13))"
    pairs = ", ".join(f"{ident(h)} := __r{i}" for i, h in enumerate(raw_keys(source)))
    return f"CAST(to_json(struct_pack({pairs})) AS VARCHAR)"


def raw_value_sql(source: Source, mapping: dict[str, int]) -> dict[str, str]:
    """For each mapped column, SQL extracting its raw text from ``_raw``."""
    keys = raw_keys(source)
    return {name: _json_field(keys[i]) for name, i in mapping.items()}


def _json_field(key: str) -> str:
    path = '$."' + key.replace('"', '\\"') + '"'
    return f"json_extract_string(_raw, {sql_string(path)})"


def raw_text_sql(source: Source) -> str:
    """SQL for the ``raw`` column of quarantine: a CSV line rebuilt in the file's dialect,
    the original JSON line, or the Parquet record as JSON."""
    if source.format != "csv":
        return "_raw"
    d = source.delimiter
    fields = []
    for h in raw_keys(source):
        v = _json_field(h)
        needs_quotes = (
            f"(contains({v}, {sql_string(d)}) OR contains({v}, '\"') "
            "OR contains({v}, chr(10)) OR contains({v}, chr(13)))"
        ).replace("{v}", v)
        fields.append(
            f"CASE WHEN {v} IS NULL THEN '' WHEN {needs_quotes} "
            f"THEN '\"' || replace({v}, '\"', '\"\"') || '\"' ELSE {v} END"
        )
    return f"concat_ws({sql_string(d)}, {', '.join(fields)})"
