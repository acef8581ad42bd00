"""Benchmark: the public edition's disclosure audit, on HiGHS through highspy against the same
audit solved by ``scipy.optimize.linprog`` (the same HiGHS solver, called the usual way: the
model rebuilt and validated for every solve), measured side by side in one run.

The figures are a board report's (every cell it prints over three months, with the months
before and the year to date) from the small report fixture store, whose thinned counts make
secondary suppression work: the case a public page meets.

    .venv/bin/python bench/disclosure.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from forcestat.measures import disclosure
from forcestat.periods import parse_period
from forcestat.report.figures import collect_figures
from forcestat.report.suppress import printed_cells
from forcestat.store import Store

PERIOD = "2022-08..2022-10"
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "report"


class LinprogLP(disclosure._LP):
    """The peer: the same rows and objective, each solve a fresh ``linprog`` call."""

    def __init__(self, cons, also=None):  # noqa: ANN001 - mirrors the parent
        atoms = sorted({a for c in cons for a in c.atoms} | (also or set()))
        self.col = {a: i for i, a in enumerate(atoms)}
        self.cons = list(cons)
        self.n = len(atoms)
        self.feasible = None

    def trial(self, drop, extra):  # noqa: ANN001
        from contextlib import contextmanager

        @contextmanager
        def swap():
            saved = self.cons
            kept = [c for c in saved if drop is None or c.source != drop]
            self.cons = kept + ([extra] if extra is not None else [])
            try:
                yield
            finally:
                self.cons = saved

        return swap()

    def bounds(self, form, sides=(1.0, -1.0)):  # noqa: ANN001
        ub, ub_b, eq, eq_b = [], [], [], []
        for c in self.cons:
            row = self._row(c)
            if c.low is not None and c.low == c.high:
                eq.append(row)
                eq_b.append(c.low)
                continue
            if c.high is not None:
                ub.append(row)
                ub_b.append(c.high)
            if c.low is not None:
                ub.append({k: -v for k, v in row.items()})
                ub_b.append(-c.low)
        cost = np.zeros(self.n)
        for a, coef in form.items():
            cost[self.col[a]] += coef
        out = [None, None]
        for sign in sides:
            res = linprog(
                sign * cost,
                A_ub=_matrix(ub, self.n) if ub else None,
                b_ub=np.array(ub_b) if ub else None,
                A_eq=_matrix(eq, self.n) if eq else None,
                b_eq=np.array(eq_b) if eq else None,
                bounds=(0, None),
                method="highs",
            )
            side = 0 if sign > 0 else 1
            if res.status == 3:
                out[side] = None
            elif res.status != 0:
                return (None, None)
            else:
                out[side] = sign * float(res.fun)
        return (out[0], out[1])


def _matrix(rows, n):  # noqa: ANN001, ANN202
    data, ri, ci = [], [], []
    for i, row in enumerate(rows):
        for j, v in row.items():
            data.append(v)
            ri.append(i)
            ci.append(j)
    return csr_matrix((data, (ri, ci)), shape=(len(rows), n))


def timed(cells, repeat: int) -> tuple[float, disclosure.Protection]:
    times, result = [], None
    for _ in range(repeat):
        disclosure._constraints_of.cache_clear()
        disclosure._structural_of.cache_clear()
        t = time.process_time()
        result = disclosure.protect(cells)
        times.append(time.process_time() - t)
    assert result is not None
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(FIXTURES))
    import report_small

    store = report_small.build(Store.open(":memory:"))
    figures = collect_figures(store, parse_period(PERIOD))
    cells = printed_cells(figures.frame)
    highs_s, ours = timed(cells, args.repeat)
    real = disclosure._LP
    disclosure._LP = LinprogLP  # type: ignore[misc]
    try:
        peer_s, theirs = timed(cells, args.repeat)
    finally:
        disclosure._LP = real  # type: ignore[misc]
    assert ours.marks == theirs.marks, "the two solvers withheld different figures"
    withheld = len(ours.marks)
    print(f"{len(cells):,} printed figures, {withheld} withheld; audit holds: {ours.audit.holds}")
    print(f"protect() on highspy, model reused : {highs_s:6.2f} s CPU (median of {args.repeat})")
    print(f"protect() on scipy linprog (peer)  : {peer_s:6.2f} s CPU")
    print(f"ratio peer / highspy               : {peer_s / highs_s:6.1f}x")


if __name__ == "__main__":
    main()
