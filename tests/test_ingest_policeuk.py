"""police.uk street-level files: published headers, blank Crime IDs (anti-social behaviour)."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import FIXTURES
from fixtures.ingest.examples import write_csv
from forcestat.ingest import ingest_file, ingest_paths, list_quarantine

SAMPLE = FIXTURES / "ingest" / "2022-08-kent-street-sample.csv"


def test_sample_file_keeps_every_row_including_identical_asb_rows(store):
    result = ingest_file(store, SAMPLE)
    assert (result.kind, result.read, result.loaded, result.quarantined) == (
        "policeuk_street",
        6,
        6,
        0,
    )
    asb, located = store.duck.execute(
        "SELECT count(*) FILTER (WHERE crime_id IS NULL), count(longitude) FROM policeuk_street"
    ).fetchone()
    assert (asb, located) == (3, 5)
    assert ingest_file(store, SAMPLE).loaded == 0


def data_rows(path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


@pytest.mark.shared
def test_city_of_london_street_files_every_row_accounted_for(store, shared):
    files = sorted((shared / "data" / "police-uk-city-of-london").glob("*-street.csv"))
    if not files:
        pytest.skip("no police.uk street files in ../shared/data")
    results = ingest_paths(store, files)
    asb_in_files = 0
    for path, r in zip(files, results, strict=True):
        assert r.read == data_rows(path), path.name
        assert r.read == r.loaded + r.quarantined + r.skipped_duplicates, path.name
        with path.open(newline="", encoding="utf-8-sig") as fh:
            asb_in_files += sum(1 for row in csv.DictReader(fh) if not row["Crime ID"])
    stored_asb = store.duck.execute(
        "SELECT count(*) FROM policeuk_street WHERE crime_id IS NULL"
    ).fetchone()[0]
    assert stored_asb == asb_in_files  # every ASB row kept
    # police.uk repeats a few Crime IDs within a month with different details, and repeats a
    # few rows outright: the files load as published
    assert list_quarantine(store, limit=None) == []
    assert sum(r.loaded for r in results) == sum(r.read for r in results)
    repeated = store.duck.execute(
        "SELECT count(*) FROM (SELECT crime_id FROM policeuk_street WHERE crime_id IS NOT NULL"
        " GROUP BY crime_id, month_text HAVING count(*) > 1)"
    ).fetchone()[0]
    assert repeated > 0
    again = ingest_paths(store, files)
    assert sum(r.loaded for r in again) == 0
    assert sum(r.skipped_duplicates for r in again) == sum(r.read for r in results)


def street_row(crime_id: str, location: str, outcome: str) -> dict[str, str]:
    return {
        "Crime ID": crime_id,
        "Month": "2022-08",
        "Reported by": "Kent Police",
        "Falls within": "Kent Police",
        "Longitude": "0.87",
        "Latitude": "51.14",
        "Location": location,
        "LSOA code": "E01023989",
        "LSOA name": "Ashford 001A",
        "Crime type": "Vehicle crime",
        "Last outcome category": outcome,
        "Context": "",
    }


def test_repeated_crime_id_rows_load_as_published(store, tmp_path):
    rows = [
        street_row("abc", "On or near A", "Under investigation"),
        street_row("abc", "On or near B", "Under investigation"),
    ]
    result = ingest_file(store, write_csv(tmp_path / "street.csv", rows))
    assert (result.loaded, result.quarantined) == (2, 0)
    assert ingest_file(store, tmp_path / "street.csv").skipped_duplicates == 2


def test_republished_month_with_a_new_outcome_is_a_conflict_until_replaced(store, tmp_path):
    first = [
        street_row("abc", "On or near A", "Under investigation"),
        street_row("abc", "On or near B", "Under investigation"),
        street_row("xyz", "On or near C", "Under investigation"),
    ]
    ingest_file(store, write_csv(tmp_path / "v1.csv", first))
    second = [first[0], street_row("abc", "On or near B", "Offender given a caution"), first[2]]
    v2 = write_csv(tmp_path / "v2.csv", second)
    result = ingest_file(store, v2)
    assert (result.loaded, result.quarantined, result.skipped_duplicates) == (0, 1, 2)
    assert list_quarantine(store)[0]["rule"] == "conflict"
    replaced = ingest_file(store, v2, replace=True)
    # the changed row of Crime ID abc replaces the stored row the file does not repeat;
    # the row it repeats (A) and xyz are untouched
    assert (replaced.loaded, replaced.replaced, replaced.skipped_duplicates) == (1, 1, 2)
    assert replaced.deleted == 1
    outcomes = store.duck.execute(
        "SELECT location, last_outcome_category FROM policeuk_street ORDER BY location"
    ).fetchall()
    assert outcomes == [
        ("On or near A", "Under investigation"),
        ("On or near B", "Offender given a caution"),
        ("On or near C", "Under investigation"),
    ]
    key, old, new = store.duck.execute("SELECT natural_key, old_row, new_row FROM audit").fetchone()
    assert key == "abc"
    assert [r["last_outcome_category"] for r in json.loads(old)] == ["Under investigation"]
    assert [r["location"] for r in json.loads(new)] == ["On or near B"]


def test_replace_never_deletes_a_stored_row_the_correction_does_not_name(store, tmp_path):
    stored = [
        street_row("abc", "On or near A", "Under investigation"),
        street_row("abc", "On or near B", "Under investigation"),
        street_row("abc", "On or near C", "Under investigation"),
    ]
    ingest_file(store, write_csv(tmp_path / "v1.csv", stored))
    correction = [street_row("abc", "On or near A", "Offender given a caution")]
    result = ingest_file(store, write_csv(tmp_path / "fix.csv", correction), replace=True)
    assert (result.read, result.loaded, result.replaced, result.deleted) == (1, 1, 1, 1)
    rows = store.duck.execute(
        "SELECT location, last_outcome_category FROM policeuk_street ORDER BY ALL"
    ).fetchall()
    assert rows == [
        ("On or near A", "Offender given a caution"),
        ("On or near B", "Under investigation"),
        ("On or near C", "Under investigation"),
    ]
