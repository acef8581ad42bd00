"""What ingest does against the store: duplicates, conflicts, --replace, lineage, idempotence."""

from __future__ import annotations

import hashlib
import json

from fixtures.ingest.examples import VALID, calls, write_csv
from forcestat.ingest import ingest_file, list_quarantine


def count(store, table):
    return store.duck.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_same_file_twice_loads_nothing_the_second_time(store, tmp_path):
    rows = calls(5)
    rows[3]["channel"] = "0"
    path = write_csv(tmp_path / "calls.csv", rows)
    first = ingest_file(store, path)
    second = ingest_file(store, path)
    assert (first.loaded, first.quarantined, first.skipped_duplicates) == (4, 1, 0)
    assert (second.loaded, second.quarantined, second.skipped_duplicates) == (0, 0, 5)
    assert count(store, "calls") == 4
    assert count(store, "quarantine") == 1  # the bad row is not quarantined a second time


def test_a_reload_changes_no_table_but_the_load_log(store, tmp_path):
    rows = calls(6)
    rows[1]["channel"] = "112"
    rows[2]["answered_at"] = "2022-08-01T09:00:00+01:00"  # before arrival
    path = write_csv(tmp_path / "calls.csv", rows)
    ingest_file(store, path)
    tables = ("calls", "quarantine", "audit")
    before = {t: count(store, t) for t in tables}
    again = ingest_file(store, path)
    assert {t: count(store, t) for t in tables} == before
    assert (again.read, again.skipped_duplicates) == (6, 6)
    assert count(store, "load_log") == 2  # the attempt itself is recorded


def test_a_corrected_file_still_quarantines_what_is_still_wrong(store, tmp_path):
    rows = calls(3)
    rows[0]["channel"] = "112"
    ingest_file(store, write_csv(tmp_path / "v1.csv", rows))
    rows[1]["channel"] = "0"  # a new mistake in an edited copy: a different file
    second = ingest_file(store, write_csv(tmp_path / "v2.csv", rows))
    assert second.quarantined == 2
    assert second.read == second.loaded + second.quarantined + second.skipped_duplicates


def test_clean_file_twice_skips_every_row(store, tmp_path):
    path = write_csv(tmp_path / "calls.csv", calls(50))
    ingest_file(store, path)
    again = ingest_file(store, path)
    assert (again.loaded, again.skipped_duplicates) == (0, again.read)


def test_exact_duplicate_rows_in_a_file_load_once(store, tmp_path):
    rows = calls(3)
    result = ingest_file(store, write_csv(tmp_path / "calls.csv", [*rows, rows[1], rows[1]]))
    assert (result.read, result.loaded, result.skipped_duplicates) == (5, 3, 2)
    lines = store.duck.execute("SELECT _line FROM calls WHERE call_id = 'C1'").fetchall()
    assert lines == [(3,)]  # the first occurrence is the one kept


def test_same_key_different_content_in_a_file_quarantines_all(store, tmp_path):
    rows = calls(3)
    changed = {**rows[1], "district": "Dover"}
    result = ingest_file(store, write_csv(tmp_path / "calls.csv", [*rows, changed]))
    assert (result.read, result.loaded, result.quarantined) == (4, 2, 2)
    q = list_quarantine(store)
    assert [(r["line"], r["rule"]) for r in q] == [(3, "duplicate_key"), (5, "duplicate_key")]
    assert "C1 appears 2 times" in q[0]["reason"]


def test_stored_key_with_new_content_is_a_conflict(store, tmp_path):
    ingest_file(store, write_csv(tmp_path / "a.csv", calls(3)))
    rows = calls(4)
    rows[0]["district"] = "Dover"
    result = ingest_file(store, write_csv(tmp_path / "b.csv", rows))
    assert (result.loaded, result.quarantined, result.skipped_duplicates) == (1, 1, 2)
    q = list_quarantine(store)[0]
    assert (q["rule"], q["column"], q["line"]) == ("conflict", "call_id", 2)
    assert "--replace" in q["reason"]
    kept = store.duck.execute("SELECT district FROM calls WHERE call_id = 'C0'").fetchone()
    assert kept == ("Ashford",)  # never silently overwritten


def test_replace_overwrites_and_audits(store, tmp_path):
    first = ingest_file(store, write_csv(tmp_path / "a.csv", calls(3)))
    rows = calls(3)
    rows[2]["district"] = "Dover"
    result = ingest_file(store, write_csv(tmp_path / "b.csv", rows), replace=True)
    assert (result.loaded, result.replaced, result.skipped_duplicates) == (1, 1, 2)
    assert count(store, "calls") == 3
    row = store.duck.execute("SELECT district, _load_id FROM calls WHERE call_id = 'C2'")
    assert row.fetchone() == ("Dover", result.load_id)
    audit = store.duck.execute("SELECT load_id, kind, natural_key, old_row, new_row FROM audit")
    load_id, kind, key, old, new = audit.fetchone()
    assert (load_id, kind, key) == (result.load_id, "calls", "C2")
    assert json.loads(old)["district"] == "Ashford"
    assert json.loads(new)["district"] == "Dover"
    assert first.load_id < result.load_id


def test_load_log_records_lineage(store, tmp_path):
    rows = calls(4)
    rows[0]["ended_at"] = "soon"
    path = write_csv(tmp_path / "calls.csv", [*rows, rows[1]])
    result = ingest_file(store, path)
    log = store.duck.execute(
        "SELECT load_id, file, file_sha256, kind, read, loaded, quarantined, skipped_duplicates,"
        " replaced, loaded_at IS NOT NULL FROM load_log"
    ).fetchall()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert log == [(result.load_id, str(path), sha, "calls", 5, 3, 1, 1, 0, True)]
    assert result.sha256 == sha
    lineage = store.duck.execute(
        "SELECT DISTINCT l.file_sha256 FROM calls c JOIN load_log l ON c._load_id = l.load_id"
    ).fetchall()
    assert lineage == [(sha,)]
    q = store.duck.execute("SELECT load_id, file, kind FROM quarantine").fetchall()
    assert q == [(result.load_id, str(path), "calls")]


def test_as_dict_has_exactly_the_published_keys(store, tmp_path):
    result = ingest_file(store, write_csv(tmp_path / "calls.csv", calls(1)))
    assert list(result.as_dict()) == [
        "file",
        "kind",
        "status",
        "read",
        "loaded",
        "quarantined",
        "skipped_duplicates",
        "replaced",
        "deleted",
        "filtered",
    ]


def test_multi_column_key(store, tmp_path):
    base = VALID["staffing"]
    rows = [base, {**base, "channel": "101"}, {**base, "agents": "3"}]
    result = ingest_file(store, write_csv(tmp_path / "staffing.csv", rows))
    # rows 1 and 3 share (interval_start, channel) with different agents
    assert (result.loaded, result.quarantined) == (1, 2)


def asb_row(location: str, outcome: str = "") -> dict[str, str]:
    row = dict(VALID["policeuk_street"])
    row.update(
        {
            "Crime ID": "",
            "Crime type": "Anti-social behaviour",
            "Location": location,
            "Last outcome category": outcome,
        }
    )
    return row


def test_policeuk_asb_rows_without_crime_id_are_all_kept(store, tmp_path):
    crime = VALID["policeuk_street"]
    rows = [crime, asb_row("On or near A"), asb_row("On or near A"), asb_row("On or near B")]
    path = write_csv(tmp_path / "2022-08-kent-street.csv", rows)
    result = ingest_file(store, path)
    # identical ASB rows are separate incidents: police.uk publishes one row per incident
    assert (result.kind, result.read, result.loaded) == ("policeuk_street", 4, 4)
    again = ingest_file(store, path)
    assert (again.loaded, again.skipped_duplicates) == (0, 4)
    months = store.duck.execute("SELECT DISTINCT CAST(month AS VARCHAR) FROM policeuk_street")
    assert months.fetchall() == [("2022-08-01",)]


def test_policeuk_later_file_with_one_more_identical_asb_row_adds_it(store, tmp_path):
    one = write_csv(tmp_path / "one.csv", [asb_row("On or near A")])
    two = write_csv(tmp_path / "two.csv", [asb_row("On or near A"), asb_row("On or near A")])
    ingest_file(store, one)
    result = ingest_file(store, two)
    assert (result.loaded, result.skipped_duplicates) == (1, 1)
    assert count(store, "policeuk_street") == 2
