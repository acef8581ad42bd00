"""Disclosure control by construction: which figures a public output withholds, with the proof.

Public figures suppress counts under 5, and nothing printed beside them may give one back. This
module decides what to withhold from the WHOLE set of figures an output prints (tables,
sentences, comparison periods, totals over ranges and years) and proves it with an interval
audit, the audit of τ-ARGUS and sdcTable.

Use
---
Give :func:`protect` every figure the output prints, as ``(measure, period label, value)``
(values exactly as evaluated; the audit rounds ratios and averages as they are printed)::

    >>> p = protect([("cpv_equine", "2022-10-31", 2), ("cpv_canine", "2022-10-31", 10),
    ...              ("community_policing_volunteers", "2022-10-31", 19),
    ...              *[(f"cpv_{r}", "2022-10-31", 0) for r in ("aviation", "pcso",
    ...                "joint_response_unit", "security", "coastal", "rural", "cyber")],
    ...              ("cpv_other", "2022-10-31", 7)])
    >>> sorted(p.marks.items())
    [(('cpv_equine', '2022-10-31'), '<5'), (('cpv_other', '2022-10-31'), '[c]')]
    >>> p.audit.holds, p.audit.interval(("cpv_equine", "2022-10-31"))
    (True, (1.0, 4.0))

``marks`` maps each withheld figure to how it is printed: :data:`UNDER_FIVE` (``<5``) for a
count from 1 to 4, :data:`WITHHELD` (``[c]``) for a figure withheld so that none can be worked
out. ``audit`` holds, for every withheld count, the smallest and largest value a reader can
work out from everything printed. A web page, a report or an export calls the same function
(``forcestat.report.suppress`` applies it to a report's figures).

How
---
1. **Primary**: a count (a measure whose unit is ``count``) from 1 to 4 is marked ``<5``.
   Zero is published: an absence, not a small group of people.
2. **Derived**: a ratio, mean or monthly average is withheld (``[c]``) when a count it reveals
   (:attr:`MeasureRelations.reveals <forcestat.measures.relations.MeasureRelations.reveals>`)
   is withheld or is 1 to 4 for the same period, and a mean over 1 to 4 records is withheld
   (it describes those few records).
3. **The audit**: every printed figure enters one set of linear relations over unknown
   counts, derived from the catalogue (:mod:`forcestat.measures.relations`): a count over
   several months is the sum of its months; ``whole = sum of parts`` for each identity; a part
   is at most its whole; a printed ratio ``r`` (printed to d places, so within ``h`` of the
   truth) gives ``(r - h) * D <= scale * N <= (r + h) * D``; a printed monthly mean gives its
   total within ``h`` times its months; a printed lowest month bounds every month from below.
   A ``<5`` cell is 1 to 4; a withheld count ``[c]`` is 5 or more (it is never given to a
   smaller one), every count is 0 or more. For each withheld count,
   the HiGHS solver (:mod:`highspy`) finds the smallest and largest value consistent with all
   of it. One model per independent group of figures is built once and re-solved for each
   cell with a new objective, and a trial withholding frees that figure's rows and adds its
   mark's row in place (``scipy.optimize.linprog`` calls the same solver but rebuilds the
   model per solve: 5 to 9x slower on a board report's 800 figures).
4. **Secondary suppression**: a withheld count is *protected* when a reader cannot pin it:
   its interval is at least :data:`MIN_WIDTH` wide (the documented protection interval; the
   audit ``holds`` when every withheld count is protected). A ``<5`` cell is further
   *complete* when a reader can still place it anywhere from 1 to 4 (the mark says all there
   is to know). While a cell is not complete, one more printed figure related to it is
   withheld: a ratio or average first, then a count sharing a relation with it (a partner at
   the same period, then the same measure at another period, smallest first), then a total
   containing it; the first that makes the cell complete, else the first that widens it.
   This repeats until every cell is complete or nothing related is left to withhold (three
   months of 1, 1 and 2 under a total of 4, all ``<5``, leave each month within 1 to 2:
   protected, not complete).

The LP is the standard relaxation (counts are not forced to be whole numbers), which can only
widen an interval; the property tests check small cases by enumeration.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from typing import Any

import highspy
import numpy as np

from ..errors import ForcestatError
from ..periods import parse_period
from .catalogue import CATALOGUE
from .relations import MeasureRelations, identities, relations_of, within

THRESHOLD = 5
UNDER_FIVE = "<5"
WITHHELD = "[c]"
#: the narrowest interval a withheld count ``[c]`` may be left in
MIN_WIDTH = 1.0
#: how many candidates secondary suppression tries (by LP) before taking the first that helps
TRIALS = 12
_TOL = 1e-6

Key = tuple[str, str]  # (measure, period label)
#: joins a whole and its part into the name of their difference, a count no measure names
VIRTUAL = " - "
Atom = tuple[str, str]  # (measure, month label or period label): one unknown of the audit
Form = dict[Atom, float]


@dataclass(frozen=True)
class Constraint:
    """``low <= sum(coef * atom) <= high`` (None: no bound on that side)."""

    form: tuple[tuple[Atom, float], ...]
    low: float | None
    high: float | None
    source: Key | None = None  # the printed figure this comes from, if any

    @cached_property
    def atoms(self) -> frozenset[Atom]:
        return frozenset(a for a, _ in self.form)


@dataclass(frozen=True)
class Finding:
    """One withheld figure's audit: the values a reader can work out for it."""

    key: Key
    mark: str
    low: float | None
    high: float | None
    protected: bool
    why: str
    #: for a ``<5``: a reader can still place it anywhere from 1 to 4
    complete: bool = True


@dataclass
class Audit:
    """The interval audit of a set of printed figures and marks."""

    findings: dict[Key, Finding] = field(default_factory=dict)
    #: the constraints it solved (protect() reuses them while the marks stay the same)
    system: _System | None = field(default=None, repr=False, compare=False)

    @property
    def holds(self) -> bool:
        """True when no withheld count can be narrowed beyond what its mark says."""
        return all(f.protected for f in self.findings.values())

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings.values() if not f.protected]

    @property
    def incomplete(self) -> list[Finding]:
        """Protected cells a reader can narrow below what their mark says (``<5`` to less
        than 1 to 4), or not protected at all."""
        return [f for f in self.findings.values() if not (f.protected and f.complete)]

    def interval(self, key: Key) -> tuple[float, float] | None:
        f = self.findings.get(key)
        if f is None or f.low is None or f.high is None:
            return None
        return (round(f.low, 6), round(f.high, 6))


@dataclass
class Protection:
    """What :func:`protect` decided: the marks to print and the audit that proves them."""

    marks: dict[Key, str]
    audit: Audit


# -- periods as months ----------------------------------------------------------------------------
@cache
def months_of(label: str) -> tuple[str, ...]:
    """The months ('2022-08', ...) a period label spans; () for a date or an unread label."""
    try:
        p = parse_period(label)
    except (ForcestatError, ValueError):
        return ()
    return () if p.grain == "date" else tuple(f"{m:%Y-%m}" for m in p.months())


def _form(measure: str, label: str) -> Form:
    """The printed figure ``(measure, label)`` as a sum of unknowns: its months, for a count
    that adds over months; else the figure itself. A difference ``"whole - part"`` (the
    specials who are not independent) is the whole's unknowns less the part's."""
    if VIRTUAL in measure:
        whole, part = measure.split(VIRTUAL)
        out = dict(_form(whole, label))
        for a, c in _form(part, label).items():
            out[a] = out.get(a, 0.0) - c
        return out
    r = relations_of(measure)
    months = months_of(label) if r.adds_over_months else ()
    if months:
        return {(measure, m): 1.0 for m in months}
    return {(measure, label): 1.0}


def _combine(combination: Iterable[tuple[str, int]], label: str) -> Form:
    out: Form = {}
    for key, coef in combination:
        for atom, c in _form(key, label).items():
            out[atom] = out.get(atom, 0.0) + coef * c
    return out


def _printed(value: float, decimals: int) -> float:
    """The value as a reader sees it (half rounds up, as the report prints)."""
    q = 10.0**decimals
    return math.floor(value * q + 0.5) / q


@lru_cache(maxsize=1 << 16)  # pure; bounded for a long-running server
def _constraints_of(key: Key, value: float) -> tuple[Constraint, ...]:
    """What a printed figure tells a reader, as linear constraints over the unknowns."""
    return tuple(_constraints(key, value))


def _constraints(key: Key, value: float) -> list[Constraint]:
    measure, label = key
    r = relations_of(measure)
    if r.kind in ("count", "sum", "distinct", "groups_at_least", "headcount"):
        terms = tuple(_form(measure, label).items())
        if r.kind == "sum":
            shown = _printed(value, r.decimals)
            return [Constraint(terms, shown - r.half_unit, shown + r.half_unit, key)]
        return [Constraint(terms, value, value, key)]
    if r.kind == "ratio" and r.numerator and r.denominator:
        shown, h = _printed(value, r.decimals), r.half_unit
        num, den = _combine(r.numerator, label), _combine(r.denominator, label)
        out = []
        for bound, sign in ((shown + h, 1.0), (shown - h, -1.0)):
            # sign * (scale * N - bound * D) <= 0
            form: Form = {}
            for a, c in num.items():
                form[a] = form.get(a, 0.0) + sign * r.scale * c
            for a, c in den.items():
                form[a] = form.get(a, 0.0) - sign * bound * c
            out.append(Constraint(tuple(form.items()), None, 0.0, key))
        return out
    if r.kind == "monthly_mean" and r.of_months and relations_of(r.of_months).adds_over_months:
        n = max(len(months_of(label)), 1)
        shown, h = _printed(value, r.decimals), r.half_unit
        total = tuple(_form(r.of_months, label).items())
        return [Constraint(total, max(shown - h, 0.0) * n, (shown + h) * n, key)]
    if r.kind in ("monthly_min", "monthly_max") and r.of_months:
        if not relations_of(r.of_months).adds_over_months:
            return []
        low, high = (value, None) if r.kind == "monthly_min" else (None, value)
        return [Constraint(((a, 1.0),), low, high, key) for a in _form(r.of_months, label)]
    return []  # a mean of times, a monthly mean of a ratio: nothing linear about counts


def _structural(atoms: set[Atom]) -> tuple[Constraint, ...]:
    return _structural_of(frozenset(atoms))


@lru_cache(maxsize=8)  # the unknowns change little while protect() withholds more
def _structural_of(atoms: frozenset[Atom]) -> tuple[Constraint, ...]:
    """Identities and subsets among the unknowns that exist (at the same month or date)."""
    out: list[Constraint] = []
    by_label: dict[str, set[str]] = {}
    for m, label in atoms:
        by_label.setdefault(label, set()).add(m)
    for label, present in by_label.items():
        for ident in identities():
            if ident.whole in present or any(p in present for p in ident.parts):
                form = ((ident.whole, label), 1.0), *(((p, label), -1.0) for p in ident.parts)
                out.append(Constraint(tuple(form), 0.0, 0.0))
        for part, whole in within():
            if part in present and whole in present:
                form = (((part, label), 1.0), ((whole, label), -1.0))
                out.append(Constraint(form, None, 0.0))
    return tuple(out)


def _mark_constraint(key: Key, mark: str) -> Constraint | None:
    """What a mark tells a reader about a withheld count (nothing, for a difference that is
    not printed)."""
    if VIRTUAL in key[0]:
        return None
    r = relations_of(key[0])
    if not r.is_count or r.kind not in ("count", "distinct", "groups_at_least", "headcount"):
        return None
    form = tuple(_form(*key).items())
    if mark == UNDER_FIVE:
        return Constraint(form, 1.0, THRESHOLD - 1.0, key)
    return Constraint(form, float(THRESHOLD), None, key)


# -- the audit ------------------------------------------------------------------------------------
class _System:
    """All constraints of one set of printed figures and marks, split into independent parts."""

    def __init__(self, values: Mapping[Key, float], marks: Mapping[Key, str]) -> None:
        cons: list[Constraint] = []
        for key, v in values.items():
            if key in marks:
                c = _mark_constraint(key, marks[key])
                if c is not None:
                    cons.append(c)
            else:
                cons += _constraints_of(key, v)
        atoms = {a for c in cons for a in c.atoms}
        for key in marks:
            atoms |= set(_form(*key))
        cons += _structural(atoms)
        atoms |= {a for c in cons for a in c.atoms}
        self.constraints = cons
        self.atoms = sorted(atoms)
        self.index = {a: i for i, a in enumerate(self.atoms)}
        parent = list(range(len(self.atoms)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for c in cons:
            ids = [self.index[a] for a in c.atoms]
            for j in ids[1:]:
                parent[find(j)] = find(ids[0])
        self.component = [find(i) for i in range(len(self.atoms))]
        self.by_component: dict[int, list[Constraint]] = {}
        self._lps: dict[frozenset[int], _LP] = {}
        for c in cons:
            comp = self.component[self.index[c.form[0][0]]]
            self.by_component.setdefault(comp, []).append(c)

    def _component_cons(self, comps: set[int]) -> list[Constraint]:
        return [c for comp in sorted(comps) for c in self.by_component.get(comp, ())]

    def _lp(self, comps: set[int]) -> _LP:
        """The LP of the components ``comps``, built once per system and reused for every
        cell in them (only the objective changes between solves)."""
        key = frozenset(comps)
        lp = self._lps.get(key)
        if lp is None:
            lp = self._lps[key] = _LP(self._component_cons(comps))
        return lp

    def bounds(
        self,
        form: Form,
        drop: Key | None = None,
        extra: Constraint | None = None,
        sides: tuple[float, ...] = (1.0, -1.0),
    ) -> tuple[float | None, float | None]:
        """The smallest and largest value of ``form`` under every constraint (None: no
        bound that side; both None when the system has no solution). ``drop`` and ``extra``
        try withholding one more printed figure: its constraints go, its mark's comes."""
        comps = {self.component[self.index[a]] for a in form if a in self.index}
        lp = self._lp(comps)
        known = lp.col.keys()
        if not set(form) <= known or (extra is not None and not extra.atoms <= known):
            # an unknown no constraint of these components names: a model built for it
            cons = [c for c in self._component_cons(comps) if drop is None or c.source != drop]
            one_off = _LP(cons + ([extra] if extra is not None else []), set(form))
            return one_off.bounds(form, sides)
        if drop is None and extra is None:
            return lp.bounds(form, sides)
        with lp.trial(drop, extra):
            return lp.bounds(form, sides)


class _LP:
    """One linear programme of the audit, solved by HiGHS (:mod:`highspy`) for as many
    objectives as asked: a row per constraint (``low <= form <= high``), a column per
    unknown count (0 or more)."""

    def __init__(self, cons: list[Constraint], also: set[Atom] | None = None) -> None:
        atoms = sorted({a for c in cons for a in c.atoms} | (also or set()))
        self.col = {a: i for i, a in enumerate(atoms)}
        self.cons = cons
        self.n = len(atoms)
        self.all_cols = np.arange(self.n, dtype=np.int32)
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_ = self.n
        lp.num_row_ = len(cons)
        lp.col_cost_ = np.zeros(self.n)
        lp.col_lower_ = np.zeros(self.n)
        lp.col_upper_ = np.full(self.n, inf)
        lp.row_lower_ = np.array([_low(c) for c in cons], dtype=float)
        lp.row_upper_ = np.array([_high(c) for c in cons], dtype=float)
        starts, index, value = [0], [], []
        for c in cons:
            row = self._row(c)
            index += list(row)
            value += list(row.values())
            starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value, dtype=float)
        lp.a_matrix_.num_col_ = self.n
        lp.a_matrix_.num_row_ = len(cons)
        self.highs: Any = _highs()
        self.highs.passModel(lp)
        self.feasible: bool | None = None

    def _row(self, c: Constraint) -> dict[int, float]:
        row: dict[int, float] = {}
        for a, coef in c.form:
            row[self.col[a]] = row.get(self.col[a], 0.0) + coef
        return row

    @contextmanager
    def trial(self, drop: Key | None, extra: Constraint | None) -> Iterator[None]:
        """The model with ``drop``'s rows freed and ``extra`` added, restored afterwards."""
        h, inf = self.highs, highspy.kHighsInf
        freed = np.array(
            [i for i, c in enumerate(self.cons) if drop is not None and c.source == drop],
            dtype=np.int32,
        )
        if len(freed):
            h.changeRowsBounds(
                len(freed), freed, np.full(len(freed), -inf), np.full(len(freed), inf)
            )
        if extra is not None:
            row = self._row(extra)
            h.addRow(
                _low(extra),
                _high(extra),
                len(row),
                np.array(list(row), dtype=np.int32),
                np.array(list(row.values()), dtype=float),
            )
        saved, self.feasible = self.feasible, None
        try:
            yield
        finally:
            if extra is not None:
                h.deleteRows(1, np.array([h.getNumRow() - 1], dtype=np.int32))
            if len(freed):
                lows = np.array([_low(self.cons[i]) for i in freed], dtype=float)
                highs = np.array([_high(self.cons[i]) for i in freed], dtype=float)
                h.changeRowsBounds(len(freed), freed, lows, highs)
            self.feasible = saved

    def bounds(
        self, form: Form, sides: tuple[float, ...] = (1.0, -1.0)
    ) -> tuple[float | None, float | None]:
        h = self.highs
        cost = np.zeros(self.n)
        for a, coef in form.items():
            cost[self.col[a]] += coef
        h.changeColsCost(self.n, self.all_cols, cost)
        out: list[float | None] = [None, None]
        for sign in sides:
            side = 0 if sign > 0 else 1
            h.changeObjectiveSense(
                highspy.ObjSense.kMinimize if sign > 0 else highspy.ObjSense.kMaximize
            )
            h.run()
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                out[side] = float(h.getInfo().objective_function_value)
            elif status == highspy.HighsModelStatus.kUnbounded or (
                status == highspy.HighsModelStatus.kUnboundedOrInfeasible and self._feasible()
            ):
                out[side] = None
            else:  # infeasible: the printed figures contradict each other
                return (None, None)
        return (out[0], out[1])

    def _feasible(self) -> bool:
        """Whether any counts meet the constraints (presolve may say only "unbounded or
        infeasible")."""
        if self.feasible is None:
            h = self.highs
            h.changeColsCost(self.n, self.all_cols, np.zeros(self.n))
            h.run()
            self.feasible = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return self.feasible


def _low(c: Constraint) -> float:
    return -highspy.kHighsInf if c.low is None else c.low


def _high(c: Constraint) -> float:
    return highspy.kHighsInf if c.high is None else c.high


_first = threading.Lock()
_announced = False


def _highs() -> Any:  # highspy's stubs lack some of the methods used here
    """A silent HiGHS instance. The first one a process makes prints HiGHS's banner on the
    C-level stdout before any option can stop it, so that one is made with stdout sent to
    /dev/null: a command's ``--json`` output stays clean."""
    global _announced
    with _first:
        if _announced:
            h = highspy.Highs()  # type: ignore[no-untyped-call]
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()  # type: ignore[no-untyped-call]
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _announced = True
    h.setOptionValue("output_flag", False)
    return h


def _failing_sides(f: Finding) -> tuple[float, ...]:
    """Which bounds of a failing <5 cell to recompute: its low if too high, its high if too
    low (minimise is 1.0, maximise -1.0); both for anything else."""
    if f.mark != UNDER_FIVE or f.low is None or f.high is None:
        return (1.0, -1.0)
    sides = []
    if f.low > 1 + _TOL:
        sides.append(1.0)
    if f.high < 4 - _TOL:
        sides.append(-1.0)
    return tuple(sides) or (1.0, -1.0)


def _width(low: float | None, high: float | None) -> float:
    return math.inf if low is None or high is None else high - low


def _judge(key: Key, mark: str, low: float | None, high: float | None) -> Finding:
    ok = low is not None and (high is None or high - low >= MIN_WIDTH - _TOL)
    complete = True
    if mark == UNDER_FIVE:
        complete = low is not None and high is not None and low <= 1 + _TOL and high >= 4 - _TOL
    got = f"[{_num(low)}, {_num(high)}]"
    if not ok:
        why = f"{got}: NOT protected (a reader can narrow it below {MIN_WIDTH:g} wide)"
    elif complete:
        why = f"{got}: protected"
    else:
        why = f"{got}: protected (not pinned), though narrower than 1 to 4"
    return Finding(key, mark, low, high, ok, why, complete)


def _num(x: float | None) -> str:
    return "?" if x is None else ("inf" if math.isinf(x) else f"{x:g}")


def audit(
    values: Mapping[Key, float],
    marks: Mapping[Key, str],
    only: str | None = None,
    previous: Audit | None = None,
    changed: Key | None = None,
) -> Audit:
    """The interval audit: for each withheld count in ``marks``, the values a reader can work
    out from every figure of ``values`` not withheld and from the marks (``only``: audit the
    cells of that mark alone). With ``previous`` and ``changed`` (the one figure withheld
    since), cells unrelated to ``changed`` keep their earlier findings."""
    system = _System(values, marks)
    touched: set[int] | None = None
    if previous is not None and changed is not None:
        touched = {system.component[system.index[a]] for a in _form(*changed) if a in system.index}
    out = Audit(system=system)
    for key, mark in sorted(marks.items()):
        if only is not None and mark != only:
            continue
        if touched is not None and previous is not None and key in previous.findings:
            comps = {system.component[system.index[a]] for a in _form(*key) if a in system.index}
            if not comps & touched:
                out.findings[key] = previous.findings[key]
                continue
        if VIRTUAL in key[0]:
            low, high = system.bounds(_form(*key))
            out.findings[key] = _judge(key, mark, low, high)
            continue
        if _mark_constraint(key, mark) is None:
            out.findings[key] = Finding(
                key, mark, None, None, True, "a ratio, mean or average: withheld with its counts"
            )
            continue
        low, high = system.bounds(_form(*key))
        out.findings[key] = _judge(key, mark, low, high)
    return out


# -- deciding what to withhold --------------------------------------------------------------------
def _is_small(measure: str, v: float) -> bool:
    return relations_of(measure).is_count and 0 < v < THRESHOLD


def _derived(values: Mapping[Key, float], marks: dict[Key, str]) -> None:
    """Withhold ratios and averages that give back a withheld or small count."""
    changed = True
    while changed:
        changed = False
        for key in values:
            if key in marks:
                continue
            measure, label = key
            r = relations_of(measure)
            revealed = [(k, label) for k in r.reveals]
            if r.kind == "monthly_mean" and r.of_months:
                if not relations_of(r.of_months).adds_over_months:
                    revealed += [(r.of_months, m) for m in months_of(label)]
            if r.kind in ("mean", "median"):  # no count back, but it describes 1 to 4 records
                n = values.get((r.mean_count, label)) if r.mean_count else None
                hit = n is not None and 0 < n < THRESHOLD
            else:
                hit = any(
                    k in marks or (k in values and _is_small(k[0], values[k])) for k in revealed
                ) or _implies_small(r, label, values[key], values)
            if hit and r.reveals:
                marks[key] = WITHHELD
                changed = True


def _implies_small(
    r: MeasureRelations, label: str, value: float, values: Mapping[Key, float]
) -> bool:
    """A ratio whose numerator is not printed but whose denominator is: the ratio times the
    denominator gives the numerator back (25% of 8 chats is 2 abandoned)."""
    if r.kind != "ratio" or not r.numerator or not r.denominator:
        return False
    if not all((k, label) in values for k, _ in r.denominator):
        return False
    den = sum(c * values[(k, label)] for k, c in r.denominator)
    implied = value * den / r.scale
    return 0 < round(implied) < THRESHOLD


def _candidates(
    system: _System, values: Mapping[Key, float], marks: Mapping[Key, str], target: Key
) -> list[Key]:
    """Printed figures whose withholding may protect ``target``, in order of preference."""
    own = set(_form(*target))
    near = [c for c in system.constraints if c.atoms & own]
    reach = set().union(*(c.atoms for c in near)) if near else set()
    derived: list[Key] = []
    parts: list[Key] = []
    totals: list[Key] = []
    for key, v in values.items():
        if key in marks:
            continue
        r = relations_of(key[0])
        cons = _constraints_of(key, v)
        atoms = set().union(*(c.atoms for c in cons)) if cons else set()
        if not atoms & (reach | own):
            continue
        if r.kind not in ("count", "sum", "distinct", "groups_at_least", "headcount"):
            derived.append(key)
        elif v >= THRESHOLD:
            (totals if own <= atoms else parts).append(key)

    # a partner in an identity at the same period first, then the same measure at another
    # period (the two sides of a rectangle), then by size
    def order(k: Key) -> tuple[int, float, Key]:
        return (0 if k[1] == target[1] else 1 if k[0] == target[0] else 2, values[k], k)

    parts.sort(key=order)
    totals.sort(key=order)
    return sorted(derived) + parts + totals


def protect(cells: Iterable[tuple[str, str, float]]) -> Protection:
    """Which of the printed figures ``cells`` to withhold, and the audit that proves it.

    ``cells`` are ``(measure, period label, value)`` for every figure an output prints; figures
    of measures outside the catalogue and missing values (None, NaN) are left alone.
    """
    values: dict[Key, float] = {}
    for measure, label, v in cells:
        if measure in CATALOGUE and v is not None and not math.isnan(float(v)):
            values[(str(measure), str(label))] = float(v)
    marks: dict[Key, str] = {k: UNDER_FIVE for k, v in values.items() if _is_small(k[0], v)}
    # a printed whole less a printed part is a count too: 37 specials, 35 of them independent
    # tells a reader that 2 are not
    for part, whole in within():
        for m, label in list(values):
            if m != whole or (part, label) not in values:
                continue
            rest = values[(whole, label)] - values[(part, label)]
            if 0 < rest < THRESHOLD and (part, label) not in marks and (whole, label) not in marks:
                marks[(f"{whole}{VIRTUAL}{part}", label)] = UNDER_FIVE
    _derived(values, marks)
    # small counts first (a [c] is seldom pinned, and auditing it costs as much)
    result = audit(values, marks, only=UNDER_FIVE)
    exhausted: set[Key] = set()  # cells nothing more can widen
    for _ in range(len(values)):
        failing = [f for f in result.incomplete if f.key not in exhausted]
        if not failing:
            result = audit(values, marks)
            failing = [f for f in result.incomplete if f.key not in exhausted]
        if not failing:
            break
        target = failing[0].key
        system = result.system or _System(values, marks)  # the marks are result's
        now = failing[0]
        width_now = _width(now.low, now.high)
        chosen: Key | None = None
        first_wider: Key | None = None
        candidates = _candidates(system, values, marks, target)
        for cand in candidates[:TRIALS]:
            low, high = system.bounds(
                _form(*target),
                drop=cand,
                extra=_mark_constraint(cand, WITHHELD),
                sides=_failing_sides(now),
            )
            low = now.low if low is None and _failing_sides(now) == (-1.0,) else low
            high = now.high if high is None and _failing_sides(now) == (1.0,) else high
            trial = _judge(target, marks[target], low, high)
            if trial.protected and trial.complete:
                chosen = cand
                break
            if first_wider is None and _width(low, high) > width_now + _TOL:
                first_wider = cand
        chosen = chosen or first_wider or (candidates[0] if candidates else None)
        if chosen is None:
            exhausted.add(target)  # nothing printed is left to withhold for it
            continue
        marks[chosen] = WITHHELD
        before = set(marks)
        _derived(values, marks)
        if set(marks) - before - {chosen}:  # a derived figure went too: audit everything
            result = audit(values, marks, only=UNDER_FIVE)
        else:
            result = audit(values, marks, UNDER_FIVE, previous=result, changed=chosen)
    shown = {k: v for k, v in marks.items() if VIRTUAL not in k[0]}
    return Protection(shown, result)


__all__ = [
    "MIN_WIDTH",
    "THRESHOLD",
    "UNDER_FIVE",
    "VIRTUAL",
    "WITHHELD",
    "Audit",
    "Finding",
    "Protection",
    "audit",
    "months_of",
    "protect",
]
