"""police.uk street-level files: published headers, blank Crime IDs (anti-social behaviour)."""

from __future__ import annotations

import csv

import pytest

from conftest import FIXTURES
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
    # police.uk repeats a few Crime IDs within a month with different details: those rows are
    # quarantined as duplicate_key (the file contradicts itself), never silently dropped
    rules = {q["rule"] for q in list_quarantine(store, limit=None)}
    assert rules <= {"duplicate_key"}
    again = ingest_paths(store, files)
    assert sum(r.loaded for r in again) == 0
