"""The disclosure audit's LP solver: silent, and a trial withholding leaves the model as it was."""

from __future__ import annotations

import subprocess
import sys

from forcestat.measures.disclosure import UNDER_FIVE, WITHHELD, _form, _mark_constraint, _System

CPV = "2022-10-31"
ROLES = {"cpv_equine": 2, "cpv_canine": 10, "cpv_other": 7}
EMPTY = ("aviation", "pcso", "joint_response_unit", "security", "coastal", "rural", "cyber")


def test_the_solver_prints_nothing_so_json_output_stays_clean():
    code = (
        "from forcestat.measures.disclosure import protect\n"
        f"p = protect([('cpv_equine', '{CPV}', 2), ('cpv_canine', '{CPV}', 7),\n"
        f"             ('community_policing_volunteers', '{CPV}', 9)])\n"
        "print(len(p.marks))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "2\n"  # HiGHS's banner would come first


def test_a_trial_withholding_is_undone_after_it():
    values = {(k, CPV): float(v) for k, v in ROLES.items()}
    values |= {(f"cpv_{role}", CPV): 0.0 for role in EMPTY}
    values[("community_policing_volunteers", CPV)] = 19.0
    marks = {("cpv_equine", CPV): UNDER_FIVE}
    system = _System(values, marks)
    equine = _form("cpv_equine", CPV)
    before = system.bounds(equine)
    # the total and the other roles printed: equine is pinned at 19 - 10 - 7 = 2
    assert before == (2.0, 2.0)
    widened = system.bounds(
        equine, drop=("cpv_other", CPV), extra=_mark_constraint(("cpv_other", CPV), WITHHELD)
    )
    assert widened == (1.0, 4.0)  # other is 5 or more, so equine is at most 4
    assert system.bounds(equine) == before
