"""How measures relate: what each figure is, which counts it gives away, which identities hold.

Nothing here is a table kept by hand. Each answer is derived from the catalogue: from a
measure's aggregate (a :class:`~forcestat.measures.base.Ratio` names its numerator and
denominator counts, a :class:`~forcestat.measures.base.Mean` the rows it averages, an
:class:`~forcestat.measures.base.OfMonths` the measure it summarises) and from the splits the
families state (:class:`~forcestat.measures.base.Split`: answered and not answered calls
together are every call). A measure is found by what it computes, not by its key, so a new
measure joins every relation it is part of without anyone listing it.

Suppression (``forcestat.report.suppress`` and :mod:`forcestat.measures.disclosure`),
check-published (:mod:`forcestat.measures.published_checks`), the report's figure collection
and synth's targets all ask this module.

>>> r = relations_of("calls_999_pct_not_answered")
>>> r.kind, r.numerator, r.denominator
('ratio', (('calls_999_not_answered', 1),), (('calls_999_received', 1),))
>>> r.reveals
('calls_999_not_answered', 'calls_999_received')
>>> relations_of("cancelled_crime_pct").denominator  # recorded + cancelled
(('cancelled_crime', 1), ('recorded_crime', 1))
>>> relations_of("live_chats_avg_wait_seconds").mean_count
'live_chats_answered'
>>> relations_of("s136_detentions_monthly_average").of_months
's136_detentions'
>>> identity_of("calls_101_received")
Identity(whole='calls_101_received', parts=('calls_101_answered', 'calls_101_not_answered'))
>>> ("speedwatch_distinct_vehicles", "vehicles_detected_over_limit") in within()
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from .base import (
    Count,
    Distinct,
    Expr,
    GroupsWithAtLeast,
    Headcount,
    Mean,
    Measure,
    Median,
    OfMonths,
    Ratio,
    Sum,
    Unit,
    terms,
)
from .catalogue import CATALOGUE, SPLITS

Kind = Literal[
    "count",
    "sum",
    "mean",
    "median",
    "ratio",
    "monthly_mean",
    "monthly_min",
    "monthly_max",
    "distinct",
    "groups_at_least",
    "headcount",
]

#: A linear combination of measures: ((key, coefficient), ...), sorted by key.
Combination = tuple[tuple[str, int], ...]

#: What an aggregate computes, apart from its predicate: rows, a sum of a value, a headcount ...
_Shape = tuple[str, ...]


@dataclass(frozen=True)
class Identity:
    """``whole`` is the sum of ``parts`` over any period (and at any date, for headcounts)."""

    whole: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class MeasureRelations:
    """Everything the catalogue says about one measure's value and the counts behind it."""

    key: str
    unit: Unit
    kind: Kind
    decimals: int
    #: a value over several months is the sum of the monthly values (counts and sums)
    adds_over_months: bool
    #: a ratio's numerator and denominator, as combinations of catalogue measures
    numerator: Combination = ()
    denominator: Combination = ()
    #: a ratio is ``scale * numerator / denominator`` (100 for a percentage)
    scale: float = 1.0
    #: the count of records a mean is taken over
    mean_count: str | None = None
    #: the measure whose monthly values a monthly mean, minimum or maximum summarises
    of_months: str | None = None

    @property
    def reveals(self) -> tuple[str, ...]:
        """The counts this figure gives back, with the other figures printed beside it: a
        ratio's numerator and denominator, a mean's count, the total behind a monthly mean."""
        keys = [k for k, _ in (*self.numerator, *self.denominator)]
        if self.mean_count:
            keys.append(self.mean_count)
        if self.of_months:
            keys.append(self.of_months)
        return tuple(dict.fromkeys(keys))

    @property
    def is_count(self) -> bool:
        """A number of records or people (what primary suppression hides when 1 to 4)."""
        return self.unit == "count"

    @property
    def half_unit(self) -> float:
        """Half the last printed place: a printed value is the true one within this."""
        return 0.5 * 10.0 ** (-self.decimals)


def _shape(m: Measure) -> _Shape | None:
    """What ``m`` computes, apart from its predicate (None: not a count of rows or people)."""
    a = m.aggregate
    if isinstance(a, Count):
        return ("count",)
    if isinstance(a, Sum):
        return ("sum", a.value.name)
    if isinstance(a, Headcount):
        return ("headcount", *a.since, "|", a.until or "", a.value.name if a.value else "")
    if isinstance(a, Distinct):
        return ("distinct", a.value.name)
    if isinstance(a, GroupsWithAtLeast):
        return ("groups", a.by.name, str(a.n))
    return None


def _where(m: Measure) -> Expr | None:
    a = m.aggregate
    if isinstance(a, Count | Sum | Headcount | Distinct | GroupsWithAtLeast):
        return a.where
    return None


_Signature = tuple[str, tuple[tuple[str, str], ...], _Shape, frozenset[str]]


def _signature(m: Measure) -> _Signature | None:
    shape = _shape(m)
    if shape is None:
        return None
    return (m.source.name, m.slice, shape, terms(_where(m)))


@cache
def _index() -> dict[_Signature, str]:
    out: dict[_Signature, str] = {}
    for key, m in CATALOGUE.items():
        sig = _signature(m)
        if sig is not None:
            out.setdefault(sig, key)
    return out


def _combination(sig: _Signature, depth: int = 0) -> Combination | None:
    """The catalogue measures that add up to what ``sig`` computes, or None.

    A measure that computes it exactly is the answer; otherwise a split whose whole the
    predicate includes gives it as the sum of the parts (recorded + cancelled crimes).
    """
    found = _index().get(sig)
    if found is not None:
        return ((found, 1),)
    if depth > 3:
        return None
    source, slice_, shape, have = sig
    for split in SPLITS:
        whole = terms(split.whole)
        if not whole <= have or any(p.terms <= have for p in split.parts):
            continue
        context = have - whole
        total: dict[str, int] = {}
        for part in split.parts:
            c = _combination((source, slice_, shape, have | part.terms), depth + 1)
            if c is None:
                c = _combination((source, slice_, shape, context | part.terms), depth + 1)
            if c is None:
                break
            for k, n in c:
                total[k] = total.get(k, 0) + n
        else:
            return tuple(sorted(total.items()))
    return None


def _of(m: Measure, agg: Count | Sum) -> Combination:
    shape: _Shape = ("count",) if isinstance(agg, Count) else ("sum", agg.value.name)
    return _combination((m.source.name, m.slice, shape, terms(agg.where))) or ()


@cache
def relations_of(key: str) -> MeasureRelations:
    """The relations of the catalogue measure ``key`` (UnknownMeasureError if there is none)."""
    from .catalogue import get_measure

    m = get_measure(key)
    a = m.aggregate
    base = {"key": key, "unit": m.unit, "decimals": m.decimals}
    if isinstance(a, Ratio):
        return MeasureRelations(
            kind="ratio",
            adds_over_months=False,
            numerator=_of(m, a.numerator),
            denominator=_of(m, a.denominator),
            scale=a.scale,
            **base,  # type: ignore[arg-type]
        )
    if isinstance(a, Mean | Median):
        count = _of(m, Count(a.where))
        return MeasureRelations(
            kind="mean" if isinstance(a, Mean) else "median",
            adds_over_months=False,
            mean_count=count[0][0] if len(count) == 1 else None,
            **base,  # type: ignore[arg-type]
        )
    if isinstance(a, OfMonths):
        kind: Kind = {"mean": "monthly_mean", "min": "monthly_min", "max": "monthly_max"}[a.how]  # type: ignore[assignment]
        return MeasureRelations(kind=kind, adds_over_months=False, of_months=a.of, **base)  # type: ignore[arg-type]
    kinds: dict[type, Kind] = {
        Count: "count",
        Sum: "sum",
        Headcount: "headcount",
        Distinct: "distinct",
        GroupsWithAtLeast: "groups_at_least",
    }
    return MeasureRelations(
        kind=kinds[type(a)],
        adds_over_months=isinstance(a, Count | Sum),
        **base,  # type: ignore[arg-type]
    )


@cache
def identities() -> tuple[Identity, ...]:
    """Every ``whole = sum of parts`` the catalogue's splits give between its measures."""
    out: list[Identity] = []
    index = _index()
    for key, m in CATALOGUE.items():
        sig = _signature(m)
        if sig is None or sig[2][0] not in ("count", "sum", "headcount"):
            continue
        source, slice_, shape, have = sig
        for split in SPLITS:
            whole = terms(split.whole)
            if not whole <= have or any(p.terms <= have for p in split.parts):
                continue
            context = have - whole
            # a part states the whole again (CPV and canine) or leaves it implied (a queue
            # time band of answered calls)
            parts = [
                index.get((source, slice_, shape, have | p.terms))
                or index.get((source, slice_, shape, context | p.terms))
                for p in split.parts
            ]
            if all(parts):
                out.append(Identity(key, tuple(p for p in parts if p)))
    return tuple(out)


def identity_of(whole: str) -> Identity | None:
    """The identity whose whole is ``whole``, if any (the first, when a total splits twice)."""
    return next((i for i in identities() if i.whole == whole), None)


def _subset(part: Measure, whole: Measure) -> bool:
    """True when ``part`` counts a subset of what ``whole`` counts, at any period."""
    p, w = _signature(part), _signature(whole)
    if p is None or w is None or p[:2] != w[:2] or part.key == whole.key:
        return False
    (ps, pt), (ws, wt) = p[2:], w[2:]
    if not wt <= pt:
        return False
    strict = wt < pt
    if ps[0] == "headcount" and ws[0] == "headcount":
        pa, wa = part.aggregate, whole.aggregate
        assert isinstance(pa, Headcount) and isinstance(wa, Headcount)
        more_dates = set(wa.since) < set(pa.since)
        same = pa.until == wa.until and ps[-1] == ws[-1]  # the same end and what is counted
        return set(wa.since) <= set(pa.since) and same and (strict or more_dates)
    if ps == ws:
        return strict and ps[0] in ("count", "distinct", "groups")
    if ws[0] == "count":  # distinct values or groups of rows are no more than the rows
        return ps[0] in ("distinct", "groups")
    if ws[0] == "distinct" and ps[0] == "groups":
        return ps[1] == ws[1]
    if ws[0] == "groups" and ps[0] == "groups":
        return ps[1] == ws[1] and int(ps[2]) >= int(ws[2])
    return False


@cache
def within() -> tuple[tuple[str, str], ...]:
    """Every (part, whole) pair where ``part`` counts a subset of ``whole`` (so part <= whole
    for the same period): letters sent of over-limit detections, independent specials of
    specials, a CPV role of the CPVs."""
    ms = list(CATALOGUE.values())
    pairs = [(p.key, w.key) for p in ms for w in ms if _subset(p, w)]
    pairs += [(p, i.whole) for i in identities() for p in i.parts]
    return tuple(dict.fromkeys(pairs))


def monthly_mean_of(key: str) -> str | None:
    """The total whose monthly mean ``key`` is (``s136_detentions`` for its monthly average)."""
    r = relations_of(key)
    return r.of_months if r.kind == "monthly_mean" else None


def units(keys: Iterable[str] | None = None) -> dict[str, Unit]:
    """The unit of each measure (every catalogue measure when ``keys`` is None)."""
    return {k: CATALOGUE[k].unit for k in (CATALOGUE if keys is None else keys) if k in CATALOGUE}


__all__ = [
    "Combination",
    "Identity",
    "Kind",
    "MeasureRelations",
    "identities",
    "identity_of",
    "monthly_mean_of",
    "relations_of",
    "units",
    "within",
]
