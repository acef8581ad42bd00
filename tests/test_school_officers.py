"""School officers and the schools they cover come from assignment records, not the profile.

An assignment file names its dates ``from`` and ``to`` (the last day covered; empty while it
lasts). At any date the figures are the distinct officers and schools of the assignments
current on that day; the board report's neighbourhood section reads them, now and at the end of
the previous period, and falls back to the force profile only when the store holds none.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from forcestat.ingest import ingest_paths
from forcestat.measures import value_of
from forcestat.report import prepare_report
from forcestat.synth.neighbourhood import assignments, snapshot

HEADER = "officer_id,school_id,from,to\n"
ROWS = (
    "o1,S1,2021-09-01,\n"  # still covers S1
    "o1,S2,2021-09-01,2022-07-31\n"  # hands S2 over at the end of July ...
    "o2,S2,2022-08-01,\n"  # ... to o2, who also takes S3
    "o2,S3,2022-08-01,\n"
)


@pytest.fixture
def schools(store, tmp_path):
    path = tmp_path / "assignments.csv"
    path.write_text(HEADER + ROWS)
    (result,) = ingest_paths(store, [path])  # the header alone says what kind it is
    assert (result.kind, result.loaded, result.quarantined) == ("school_officer_assignments", 4, 0)
    return store


def test_officers_and_schools_at_a_date_count_each_once(schools):
    assert value_of(schools, "school_officers", "2022-07-31") == 1  # o1 on its last S2 day
    assert value_of(schools, "schools_covered", "2022-07-31") == 2
    assert value_of(schools, "school_officers", "2022-08-01") == 2
    assert value_of(schools, "schools_covered", "2022-08-01") == 3
    assert value_of(schools, "school_officers", "2021-08-31") == 0  # before any assignment


def test_an_assignment_ending_before_it_starts_is_quarantined(store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "o9,S9,2022-05-01,2022-04-30\no8,S8,2022-05-01,\n")
    (result,) = ingest_paths(store, [path], kind="school_officer_assignments")
    assert (result.loaded, result.quarantined) == (1, 1)


def test_the_report_reads_the_records_now_and_as_previously_reported(schools):
    report = prepare_report(schools, "2022-08..2022-10", profile="kent")
    [sec] = [s for s in report.sections if s.id == "neighbourhood"]
    [table] = sec.tables
    rows = dict(table.rows)
    assert table.columns == ("At 31 July 2022", "At 31 October 2022")
    assert rows["School Officers"] == ("1", "2")  # not the profile's 28 and 29
    assert rows["Schools Covered"] == ("2", "3")
    assert "records" in table.note
    assert "2 officers covering 3 schools, compared with 1 officers across 2 schools" in " ".join(
        sec.paragraphs
    )


def test_without_records_the_profile_still_gives_the_figures(store):
    report = prepare_report(store, "2022-08..2022-10", profile="kent")
    [sec] = [s for s in report.sections if s.id == "neighbourhood"]
    rows = dict(sec.tables[0].rows)
    assert rows["School Officers"] == ("28", "29")
    assert "force profile" in sec.tables[0].note


@pytest.mark.parametrize(("officers", "schools"), [(28, 68), (29, 106), (5, 3), (1, 1)])
def test_a_synthetic_snapshot_has_exactly_the_officers_and_schools(officers, schools):
    pairs = snapshot(officers, schools)
    assert len({o for o, _ in pairs}) == officers
    assert len({s for _, s in pairs}) == schools


def test_synthetic_assignments_move_from_the_earlier_snapshot_to_the_later_one():
    rows = assignments((28, 68), (29, 106), date(2022, 7, 31), date(2022, 10, 31), rng())

    def at(d: date) -> tuple[int, int]:
        current = [r for r in rows if r["from"] <= d and (r["to"] is None or r["to"] >= d)]
        return len({r["officer"] for r in current}), len({r["school"] for r in current})

    assert at(date(2022, 7, 31)) == (28, 68)
    assert at(date(2022, 10, 31)) == (29, 106)
    assert min(r["from"] for r in rows if r["from"] > date(2022, 7, 31)) == date(2022, 9, 1)


def rng() -> np.random.Generator:
    return np.random.default_rng(1)
