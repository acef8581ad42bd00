"""School officer assignments that give the published school officers and schools covered.

The seed publishes two snapshots: the figures now (29 officers covering 106 schools at the end
of October 2022) and, in a note, the figures the board saw before ("earlier: 28 officers
across 68 schools"). The earlier snapshot is placed at the end of the month three months
before (31 July 2022: the day before the reporting quarter, where the report's "previously
reported" column looks). Assignments both snapshots share run on; those only in the earlier
one end, and those only in the later one start, at the start of the next school year between
them (1 September), when schools take on officers.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np

from ..periods import add_months
from .calibrate import CalibrationLog
from .profiles import rng_for
from .targets import Target, Targets
from .writer import RecordWriter

MEASURES = {"school_officers", "schools_covered"}
EARLIER = re.compile(r"earlier:\s*(\d+)\s+officers\s+across\s+(\d+)\s+schools")


def school_id(i: int) -> str:
    """The id of school ``i``, as the Operation Encompass schools list names it."""
    return f"KS{i + 1:04d}"


def steps(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog):
    if not all(_latest(tg, k) for k in MEASURES):
        return []
    return [("school officer assignments", lambda: _write(writer, tg, seed, log))]


def _latest(tg: Targets, measure: str) -> Target | None:
    found = [t for t in tg.of(measure) if t.period is not None]
    return found[-1] if found else None


def snapshot(officers: int, schools: int) -> set[tuple[int, int]]:
    """(officer, school) pairs in which ``officers`` officers cover ``schools`` schools: each
    officer at least one school and each school at least one officer."""
    if officers <= 0 or schools <= 0:
        return set()
    return {(i % officers, i % schools) for i in range(max(officers, schools))}


def assignments(
    earlier: tuple[int, int],
    now: tuple[int, int],
    on: date,
    now_on: date,
    rng: np.random.Generator,
) -> list[dict]:
    """Assignments current at ``on`` as ``earlier`` (officers, schools) and at ``now_on`` as
    ``now``; the change falls on the first 1 September after ``on`` (or the day after)."""
    change = date(on.year, 9, 1) if on < date(on.year, 9, 1) else date(on.year + 1, 9, 1)
    if change > now_on:
        change = on + timedelta(days=1)
    before, after = snapshot(*earlier), snapshot(*now)
    rows = []
    for pair in sorted(before | after):
        if pair in before:
            start = on - timedelta(days=int(rng.integers(60, 1100)))
        else:
            start = change
        end = change - timedelta(days=1) if pair not in after else None
        rows.append({"officer": pair[0], "school": pair[1], "from": start, "to": end})
    return rows


def _write(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog) -> set[str]:
    rng = rng_for(seed, "school officers")
    t_off, t_sch = _latest(tg, "school_officers"), _latest(tg, "schools_covered")
    assert t_off and t_sch and t_off.period and t_sch.period
    now = (int(t_off.value), int(t_sch.value))
    now_on = t_off.period.end - timedelta(days=1)
    m = EARLIER.search(t_off.note) or EARLIER.search(t_sch.note)
    earlier_on = add_months(t_off.period.start, -2) - timedelta(days=1)
    if m:
        officers, schools = (max(1, round(int(x) * tg.scale)) for x in m.groups())
        earlier = (officers, schools)
        log.choose(
            "school_officers",
            f"{earlier[0]} officers across {earlier[1]} schools (the note's earlier figures) "
            f"at {earlier_on:%-d %B %Y}, {now[0]} across {now[1]} at {now_on:%-d %B %Y}",
        )
    else:
        earlier = now
    rows = assignments(earlier, now, earlier_on, now_on, rng)
    writer.write(
        "school_officer_assignments",
        {
            "officer_id": [f"SO{r['officer'] + 1:03d}" for r in rows],
            "school_id": [school_id(r["school"]) for r in rows],
            "from_date": [r["from"] for r in rows],
            "to_date": [r["to"] for r in rows],
        },
    )
    return set(MEASURES)


__all__ = ["assignments", "school_id", "snapshot", "steps"]
