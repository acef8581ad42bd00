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


def test_hours_by_district_count_a_duty_without_one_as_none(vols):
    log_duty(vols, "s1", date(2022, 8, 5), 8, "patrol", district="Maidstone")
    log_duty(vols, "p1", date(2022, 8, 6), 3.5, "front counter", district="Maidstone")
    log_duty(vols, "v1", date(2022, 8, 7), 2, "canine search")
    by = breakdown(vols, "volunteer_hours", "2022-08", "district")
    assert dict(zip(by["district"], by["value"], strict=True)) == {"Maidstone": 11.5, "(none)": 2}


def test_bad_duties_are_refused_with_a_reason_and_nothing_stored(vols):
    with pytest.raises(InputError, match="no volunteer"):
        log_duty(vols, "nobody", date(2022, 8, 5), 8)
    with pytest.raises(InputError, match="above 24"):
        log_duty(vols, "s1", date(2022, 8, 5), 25)
    log_duty(vols, "s1", date(2022, 8, 5), 8, duty_id="D1")
    with pytest.raises(InputError, match="already logged"):
        log_duty(vols, "s1", date(2022, 8, 5), 8, duty_id="D1")
    assert vols.duck.execute("SELECT count(*) FROM volunteer_duties").fetchone()[0] == 1


# -- specials moving to the regular force: in process, then accepted --------------------------
APPLICATIONS = """volunteer_id,applied_on,status,decided_on
s1,2022-05-03,in_process,
s2,2022-04-01,accepted,2022-09-20
s3,2022-02-01,withdrawn,2022-03-01
"""


def test_an_application_is_in_process_until_decided_then_counts_as_accepted(vols, tmp_path):
    path = tmp_path / "applications.csv"
    path.write_text(APPLICATIONS)
    load_csv(vols, "regular_force_applications", path)
    # at the end of August s1 and s2 are both in process; s2 is accepted in September
    assert value_of(vols, "specials_in_process_to_regular_force", "2022-08-31") == 2
    assert value_of(vols, "specials_in_process_to_regular_force", "2022-10-31") == 1
    assert value_of(vols, "specials_accepted_into_regular_force", "2022-09") == 1
    assert value_of(vols, "specials_accepted_into_regular_force", "FY2022/23 to 2022-10") == 1


def test_a_status_that_contradicts_its_decision_date_is_quarantined(vols, tmp_path):
    from forcestat.ingest import ingest_paths

    path = tmp_path / "bad.csv"
    path.write_text(
        "volunteer_id,applied_on,status,decided_on\n"
        "s1,2022-05-03,in_process,2022-06-01\n"  # in process, yet decided
        "s2,2022-05-03,accepted,\n"  # accepted, but when?
        "s3,2022-05-03,transferred,2022-06-01\n"  # not a status
        "s4,2022-05-03,accepted,2022-06-01\n"
    )
    (result,) = ingest_paths(vols, [path], kind="regular_force_applications")
    assert (result.loaded, result.quarantined) == (1, 3)


# -- community policing volunteers: roles and deployment, from records ------------------------
def test_a_cpv_is_deployed_with_a_duty_in_the_90_days_to_the_date(vols):
    log_duty(vols, "v1", date(2022, 8, 3), 2, "canine search")  # day 90 to 31 October
    log_duty(vols, "v3", date(2022, 8, 2), 3, "equine patrol")  # day 91: not deployed
    assert value_of(vols, "cpv_deployed", "2022-10-31") == 1
    assert value_of(vols, "cpv_deployed", "2022-09-30") == 2
    assert value_of(vols, "cpv_deployed", "2022-07-31") == 0  # before either duty


def test_cpv_roles_are_the_distinct_roles_of_those_serving(vols):
    assert value_of(vols, "cpv_roles", "2022-10-31") == 2  # canine (v1, v2), equine (v3)
    assert value_of(vols, "cpv_roles", "2022-05-31") == 3  # and aviation, before v4 left
