"""The building blocks of a record kind: columns, cross-field rules and the kind itself.

A record kind is data, not code: ingest reads it to build set-based SQL validation, the store
reads it to create tables, synth reads it to write files that ingest accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: rule of a time outside the load's window (default 1990-01-01 to a day after the load)
IMPLAUSIBLE_TIME = "implausible_time"
#: rule of a UTC offset beyond -14:00 .. +14:00, the widest any time zone uses
IMPLAUSIBLE_OFFSET = "implausible_offset"

ColumnType = Literal["str", "int", "float", "bool", "date", "timestamp"]

#: DuckDB type each column type is stored as. Timestamps are stored as naive UTC.
SQL_TYPES: dict[str, str] = {
    "str": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


@dataclass(frozen=True)
class Column:
    """One column of a record kind.

    ``allowed`` lists the permitted values of a text column (compared exactly);
    ``minimum``/``maximum`` bound a numeric one.
    """

    name: str
    type: ColumnType = "str"
    required: bool = True
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    #: SQL template normalising a text value at ingest, ``{}`` standing for the value
    #: (registration marks: ``upper(replace({}, ' ', ''))``); checks see the normalised value
    normalise: str | None = None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Rule:
    """A cross-field rule, as an SQL boolean over the typed columns (NULL counts as passing).

    ``column`` names the column a violation is reported against.
    """

    name: str
    sql: str
    column: str
    description: str = ""


@dataclass(frozen=True)
class Derived:
    """A column the store computes from a row's typed columns when the row is loaded.

    Computed once at ingest rather than at every query: the measures that read it (queue and
    talk times, the month) then scan a stored integer instead of evaluating timestamp
    arithmetic over every row each time. ``sql`` is an SQL expression over the kind's columns.
    """

    name: str
    sql_type: str
    sql: str
    description: str = ""


@dataclass(frozen=True)
class RecordKind:
    """A kind of record: its table, columns, natural key and rules.

    ``time_column`` is the column that places a record in a month; the store keeps a derived
    ``month`` column (first day of the Europe/London calendar month) beside it. ``derived``
    lists further columns computed at ingest (``derived_columns`` gives all, month first).
    ``header_aliases`` maps published header names to column names (police.uk files).
    """

    name: str
    domain: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    time_column: str | None = None
    header_aliases: dict[str, str] = field(default_factory=dict)
    #: True when rows with an empty key are legitimate and told apart by their full content
    #: (police.uk anti-social behaviour rows have no Crime ID).
    key_may_be_empty: bool = False
    #: True when the publisher gives one key to several distinct rows (police.uk repeats a
    #: few Crime IDs within a month): rows are then told apart by their full content, and
    #: the key only links a later file's rows to the ones already stored.
    key_repeats: bool = False
    #: columns the store computes from each row at ingest, besides ``month``
    derived: tuple[Derived, ...] = ()
    #: plausibility rules beyond the time window every kind has (durations, counts): a row
    #: that breaks one is quarantined under the rule's name. SQL and description may use
    #: ``{earliest}`` and ``{latest}`` (the load's time window, as SQL TIMESTAMPs).
    plausible: tuple[Rule, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def month_sql(self) -> str | None:
        """SQL deriving the stored ``month`` (first day of the Europe/London month), or None."""
        if "month_text" in self.column_names:  # police.uk files: the published Month
            return "CAST(strptime(month_text, '%Y-%m') AS DATE)"
        if self.time_column is None:
            return None
        col = self.time_column
        if self.column(col).type == "date":
            return f"CAST(date_trunc('month', {col}) AS DATE)"
        # Stored timestamps are naive UTC. Since 1996 UK clocks follow the EU rule, under which
        # a UTC instant in March..September that is within an hour of a month's end is always
        # in BST, so "add an hour in those months" gives the London month exactly and avoids a
        # time-zone library call per row (ingest fills millions of rows); other years use ICU.
        return (
            f"CAST(date_trunc('month', CASE WHEN year({col}) BETWEEN 1996 AND 2099 THEN "
            f"(CASE WHEN month({col}) BETWEEN 3 AND 9 THEN {col} + INTERVAL 1 HOUR ELSE {col} END) "
            f"ELSE timezone('Europe/London', timezone('UTC', {col})) END) AS DATE)"
        )

    @property
    def derived_columns(self) -> tuple[Derived, ...]:
        """Every stored column computed from the others: ``month`` (if any), then ``derived``."""
        month = self.month_sql
        first = (Derived("month", "DATE", month, "Europe/London month"),) if month else ()
        return first + self.derived

    @property
    def plausibility(self) -> tuple[Rule, ...]:
        """Every plausibility rule, in the order checked: each timestamp or date column within
        the load's time window (rule ``implausible_time``), then :attr:`plausible`. (UTC
        offsets beyond +-14:00 are checked as text is read: rule ``implausible_offset``.)"""
        window = tuple(
            Rule(
                IMPLAUSIBLE_TIME,
                f"CAST({c.name} AS TIMESTAMP) >= {{earliest}} "
                f"AND CAST({c.name} AS TIMESTAMP) < {{latest}}",
                c.name,
                f"{c.name} must be from {{earliest_text}} up to {{latest_text}}",
            )
            for c in self.columns
            if c.type in ("timestamp", "date")
        )
        return window + self.plausible

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def canonical(self, header: str) -> str:
        """The column name a file header stands for (aliases resolved, BOM and blanks trimmed)."""
        h = header.strip().lstrip("\ufeff")
        return self.header_aliases.get(h, h)
