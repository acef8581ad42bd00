"""Duty logging goes through ingest: validated, idempotent by duty id, counted in the hours."""

from __future__ import annotations

from datetime import date

import pytest

from fixtures.measures.loader import HERE, load_csv
from forcestat.errors import InputError
from forcestat.measures import breakdown, value_of
from forcestat.workflows.volunteers import log_duty


@pytest.fixture
def vols(store):
    load_csv(store, "volunteers", HERE / "volunteers.csv")
    return store


def test_logged_duties_count_in_the_hours_by_activity_and_kind(vols):
    log_duty(vols, "s1", date(2022, 8, 5), 8, "patrol")
    log_duty(vols, "p1", date(2022, 8, 6), 3.5, "front counter")
    log_duty(vols, "v1", date(2022, 8, 7), 2, "canine search")
    assert value_of(vols, "volunteer_hours", "2022-08") == 13.5
    assert value_of(vols, "special_constable_hours", "2022-08") == 8
    by_kind = breakdown(vols, "volunteer_hours", "2022-08", "kind")
    assert dict(zip(by_kind["kind"], by_kind["value"], strict=True)) == {
        "special": 8,
        "psv": 3.5,
        "cpv": 2,
    }
    by_role = breakdown(vols, "volunteer_hours", "2022-08", "role")
    assert dict(zip(by_role["role"], by_role["value"], strict=True))["canine"] == 2


def test_bad_duties_are_refused_with_a_reason_and_nothing_stored(vols):
    with pytest.raises(InputError, match="no volunteer"):
        log_duty(vols, "nobody", date(2022, 8, 5), 8)
    with pytest.raises(InputError, match="above 24"):
        log_duty(vols, "s1", date(2022, 8, 5), 25)
    log_duty(vols, "s1", date(2022, 8, 5), 8, duty_id="D1")
    with pytest.raises(InputError, match="already logged"):
        log_duty(vols, "s1", date(2022, 8, 5), 8, duty_id="D1")
    assert vols.duck.execute("SELECT count(*) FROM volunteer_duties").fetchone()[0] == 1
