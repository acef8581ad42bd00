"""Shift rosters by integer programming: every interval covered, few paid hours."""

from __future__ import annotations

import numpy as np
import pytest

from forcestat.demand.roster import ShiftRules, solve_roster
from forcestat.errors import ParameterError


def _week(interval_minutes: int = 30) -> np.ndarray:
    t = np.arange(7 * 1440 // interval_minutes)
    hour = (t * interval_minutes % 1440) / 60
    return np.ceil(2 + 10 * np.exp(-(((hour - 13) / 4) ** 2)))


def test_every_interval_is_covered_and_hours_are_near_the_bound():
    req = _week()
    r = solve_roster(req, 30, time_limit_s=3)
    assert (r.coverage["rostered"] >= r.coverage["required"]).all()
    assert r.summary()["intervals_short"] == 0
    # on-phone hours can never be below the requirement; paid hours include breaks
    assert r.on_phone_hours >= r.required_hours
    assert r.paid_hours >= r.on_phone_hours
    assert r.paid_hours < 1.35 * r.required_hours


def test_a_flat_requirement_is_met_by_whole_shifts_without_waste():
    # 3 agents round the clock with 12 h shifts and no breaks: exactly 6 handlers a day
    rules = ShiftRules(lengths_h=(12.0,), breaks_min={12.0: 0})
    r = solve_roster(np.full(168, 3), 60, rules=rules)
    assert r.paid_hours == pytest.approx(3 * 168)
    assert r.status == "optimal"
    assert set(r.shifts["hours"]) == {12.0}


def test_breaks_are_taken_and_shifts_use_allowed_starts_and_lengths():
    rules = ShiftRules(lengths_h=(8.0, 10.0), start_hours=(6, 7, 14, 22))
    r = solve_roster(_week(), 30, rules=rules, time_limit_s=3)
    assert set(r.shifts["hours"]) <= {8.0, 10.0}
    assert set(r.shifts["start"]) <= {"06:00", "07:00", "14:00", "22:00"}
    assert (r.shifts["break_minutes"] > 0).all()
    assert (r.coverage["short"] == 0).all()


def test_fte_adds_shrinkage():
    r = solve_roster(_week(60), 60, shrinkage=0.25, hours_per_fte=40, time_limit_s=3)
    assert r.fte == pytest.approx(r.paid_hours / 0.75 / 40)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"required": [1] * 10}, "one value per"),
        ({"required": [-1] * 336}, "zero or more"),
        ({"required": [1] * 336, "rules": ShiftRules(lengths_h=(8.25,))}, "whole number"),
        ({"required": [1] * 336, "rules": ShiftRules(start_every_min=45)}, "multiple"),
    ],
)
def test_bad_inputs_name_the_problem(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        solve_roster(kwargs.pop("required"), 30, **kwargs)
