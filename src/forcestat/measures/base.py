"""The vocabulary measures are written in: named expressions, aggregates and the Measure itself.

A measure is data. It names a source table, an aggregate over it (a count, a sum, a mean, a
ratio of two of those, a monthly mean or minimum of another measure, a distinct count, a
headcount at a date) and the predicates and values the aggregate uses, each an Ibis expression
builder with a name. Names matter: two measures that count the same predicate over the same
table share one column of one query, so the 999 and 101 families together cost one scan of
``calls``.

Additive aggregates (:class:`Count`, :class:`Sum`, :class:`Mean`, :class:`Ratio`) are computed
once per month and combined into any period; the others (:class:`Distinct`,
:class:`GroupsWithAtLeast`, :class:`Headcount`) need one query per period, because a distinct
count over a quarter is not the sum of three monthly distinct counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Unit = Literal["count", "percent", "seconds", "hours", "count/month"]
Direction = Literal["up", "down"]
Coverage = Literal["span", "every_month", "always"]

UNITS: dict[str, str] = {
    "count": "a number of records",
    "percent": "a percentage, 0 to 100 (31.97 means 31.97%)",
    "seconds": "a duration in seconds",
    "hours": "a number of hours",
    "count/month": "a number of records per month",
}


@dataclass(frozen=True)
class Expr:
    """A named Ibis expression over a source table: a predicate or a value.

    ``build(table)`` returns the expression; ``name`` identifies it, so that measures sharing
    an expression share its column in the engine's query. ``text`` says what it means in words;
    ``scale`` converts the value's sums to the measure's unit (a value kept in integer
    microseconds, which databases add up faster, has ``scale=1e-6`` for seconds).
    """

    name: str
    build: Callable[[Any], Any] = field(compare=False, repr=False)
    text: str = field(default="", compare=False)
    #: multiply sums of this value by ``scale`` for the measure's unit (microseconds -> s)
    scale: float = 1.0
    #: the predicate this value is null without (a queue time exists only for answered
    #: calls), so a sum over rows matching it needs no FILTER: a cheaper aggregate
    null_unless: Expr | None = field(default=None, compare=False, repr=False)
    #: the expressions a conjunction (``a & b``) was made of; empty for a simple one
    conjuncts: tuple[Expr, ...] = field(default=(), compare=False, repr=False)

    @property
    def terms(self) -> frozenset[str]:
        """The names of the simple predicates this one is the conjunction of (``{name}``
        for a simple one): a predicate whose terms include another's selects a subset of it."""
        if not self.conjuncts:
            return frozenset({self.name})
        return frozenset().union(*(c.terms for c in self.conjuncts))

    @property
    def column(self) -> str:
        """The column the engine materialises this expression as."""
        return f"v_{self.name}"

    def __call__(self, table: Any) -> Any:
        # Reuse the engine's materialised column when there is one, so that a predicate built
        # from a value (queue < 10 s) does not compute the value again.
        if self.column in table.columns:
            return table[self.column]
        return self.build(table)

    def __and__(self, other: Expr) -> Expr:
        return Expr(
            f"{self.name}__and__{other.name}",
            lambda t: self.build(t) & other.build(t),
            f"{self.text} and {other.text}",
            conjuncts=(self, other),
        )


def terms(where: Expr | None) -> frozenset[str]:
    """The terms of an optional predicate (no predicate: every row, no terms)."""
    return frozenset() if where is None else where.terms


@dataclass(frozen=True)
class Split:
    """A predicate (``whole``; None for every row) divided into ``parts`` that never overlap
    and together cover it: answered and not answered calls, the CPV roles.

    A family states its splits once; :mod:`forcestat.measures.relations` turns them into the
    identities between measures (``received = answered + not_answered``) that suppression,
    check-published and synth rely on.
    """

    whole: Expr | None
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Source:
    """Where a measure's rows come from: a store table, or an expression built on tables.

    ``month`` is the expression that places a row in a month; None means the stored ``month``
    column (the Europe/London month of the kind's time column).
    """

    name: str
    tables: tuple[str, ...]
    build: Callable[[Any], Any] = field(compare=False, repr=False)
    month: Expr | None = None
    text: str = field(default="", compare=False)


def table(name: str, month: Expr | None = None, text: str = "") -> Source:
    """A source that is one store table as it stands."""
    suffix = f"@{month.name}" if month else ""
    return Source(f"{name}{suffix}", (name,), lambda con: con.table(name), month, text or name)


# -- aggregates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """Rows (matching ``where``, if given)."""

    where: Expr | None = None


@dataclass(frozen=True)
class Sum:
    """The sum of ``value`` over rows matching ``where``."""

    value: Expr
    where: Expr | None = None


@dataclass(frozen=True)
class Mean:
    """The mean of ``value`` over rows matching ``where``: a sum divided by a count."""

    value: Expr
    where: Expr | None = None


@dataclass(frozen=True)
class Ratio:
    """``scale * numerator / denominator``: a percentage when ``scale`` is 100."""

    numerator: Count | Sum
    denominator: Count | Sum
    scale: float = 100.0


@dataclass(frozen=True)
class OfMonths:
    """The mean, minimum or maximum of another measure's monthly values over the period."""

    of: str
    how: Literal["mean", "min", "max"] = "mean"


@dataclass(frozen=True)
class Distinct:
    """The number of distinct values of ``value`` over rows matching ``where``."""

    value: Expr
    where: Expr | None = None


@dataclass(frozen=True)
class GroupsWithAtLeast:
    """The number of distinct ``by`` values with at least ``n`` rows matching ``where``."""

    by: Expr
    n: int
    where: Expr | None = None


@dataclass(frozen=True)
class Median:
    """The median of ``value`` over rows matching ``where`` (a median of a quarter is not a
    combination of monthly medians, so one query per period)."""

    value: Expr
    where: Expr | None = None


@dataclass(frozen=True)
class Headcount:
    """People on strength at a date D (the period's last day).

    A row counts when it matches ``where``, every ``since`` column is empty or on or before D
    (the first must be set: the joining date) and ``until`` is empty or after D. With
    ``value`` the figure is the number of distinct values among those rows: the officers (or
    the schools) of the school-officer assignments current at D.
    """

    where: Expr | None = None
    since: tuple[str, ...] = ("joined_on",)
    until: str | None = "left_on"
    value: Expr | None = None


Additive = Count | Sum | Mean | Ratio
PerPeriod = Distinct | GroupsWithAtLeast | Headcount | Median
Aggregate = Additive | OfMonths | PerPeriod


@dataclass(frozen=True)
class Measure:
    """One published figure, defined once.

    Parameters
    ----------
    key : str
        Stable identifier, as in the seed's reference figures (``calls_999_pct_not_answered``).
    label : str
        What a board paper calls it.
    unit : str
        One of :data:`UNITS`; values are plain numbers in this unit (percent as 31.97).
    family : str
        contact, crime, mental_health, volunteers or speedwatch.
    source : Source
        The table (or joined tables) the rows come from.
    aggregate : Aggregate
        How rows become the figure.
    definition : str
        The definition in words, as docs/measures.md prints it.
    slice : tuple of (column, value)
        Equality filters the engine turns into a GROUP BY, so that measures differing only in
        them (999 and 101) share one query.
    good : "up", "down" or None
        Which direction of change is an improvement.
    benchmark : str or None
        Key of a benchmark in ``data/benchmarks.toml``.
    decimals : int
        Decimal places the figure is published to (percentages 2, cancelled % 1).
    coverage : "span", "every_month" or "always"
        "span": months between the source's first and last stored month count as zero when
        empty, months outside that span are missing; "every_month": a month with no rows at all
        is missing (police.uk has gaps); "always": an empty month is zero (events such as
        leaving dates, which most months have none of).
    breakdowns : tuple of str
        Columns the figure can be broken down by (:func:`forcestat.measures.breakdown`).
    """

    key: str
    label: str
    unit: Unit
    family: str
    source: Source
    aggregate: Aggregate
    definition: str
    slice: tuple[tuple[str, str], ...] = ()
    good: Direction | None = None
    benchmark: str | None = None
    decimals: int = 0
    coverage: Coverage = "span"
    breakdowns: tuple[str, ...] = ()

    @property
    def additive(self) -> bool:
        """True when monthly partial aggregates combine into any period's value."""
        return isinstance(self.aggregate, Count | Sum | Mean | Ratio)

    @property
    def per_period(self) -> bool:
        return isinstance(self.aggregate, Distinct | GroupsWithAtLeast | Headcount | Median)

    @property
    def is_count(self) -> bool:
        """True for plain counts of events, the figures a Poisson test applies to."""
        return isinstance(self.aggregate, Count) and self.unit == "count"


def headcount_date(start: date, end: date, grain: str) -> date:
    """The date a headcount is taken for a period: the date itself, or the period's last day."""
    from datetime import timedelta

    return start if grain == "date" else end - timedelta(days=1)
