"""A record the parser cannot deliver is quarantined with its line number and raw text; the
file is never refused for it, and no line of the file goes uncounted.

DuckDB's fast CSV reader loses track of record boundaries on some broken files (a quote
opened in one row and closed rows later, a carriage return inside a field). Ingest then
reads the file record by record (forcestat.ingest.recordwise)."""

from __future__ import annotations

import hashlib
import json

from fixtures.ingest.examples import calls, csv_text, write_latin1_calls
from forcestat.ingest import ingest_file, ingest_paths, list_quarantine
from forcestat.ingest.mapping import load_mapping
from forcestat.ingest.recordwise import RAW_LIMIT


def write_lines(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n")
    return path


def stored_lines(store) -> list[tuple[str, int]]:
    return store.duck.execute("SELECT call_id, _line FROM calls ORDER BY _line").fetchall()


def accounted(result) -> bool:
    return result.read == result.loaded + result.quarantined + result.skipped_duplicates


def test_quote_opened_in_one_row_and_closed_rows_later(store, tmp_path):
    lines = csv_text(calls(6)).splitlines()
    lines[1] = lines[1].replace(",Ashford,", ',"Ashford,')  # opens a quote on line 2 ...
    lines[3] = lines[3].replace(",Ashford,", ',Ash"ford,')  # ... that "closes" on line 4
    result = ingest_file(store, write_lines(tmp_path / "calls.csv", lines))
    assert (result.read, result.loaded, result.quarantined) == (6, 5, 1)
    [q] = list_quarantine(store)
    assert (q["line"], q["rule"]) == (2, "malformed_csv")
    assert q["raw"] == lines[1]  # the broken line alone, as the file has it
    # the lines after it are records of their own, numbered where they stand in the file
    assert stored_lines(store) == [("C1", 3), ("C2", 4), ("C3", 5), ("C4", 6), ("C5", 7)]


def test_carriage_return_inside_an_unquoted_field(store, tmp_path):
    lines = csv_text(calls(6)).splitlines()
    lines[2] = lines[2].replace("Ashford", "Ash\rford")
    result = ingest_file(store, write_lines(tmp_path / "calls.csv", lines))
    assert (result.read, result.loaded, result.quarantined) == (6, 5, 1)
    [q] = list_quarantine(store)
    assert (q["line"], q["rule"]) == (3, "malformed_csv")
    assert "carriage return" in q["reason"]
    assert q["raw"] == lines[2]
    assert [line for _, line in stored_lines(store)] == [2, 4, 5, 6, 7]


def test_stray_quotes_inside_unquoted_fields_are_text_not_a_refusal(store, tmp_path):
    lines = csv_text(calls(12)).splitlines()
    lines[3] = lines[3].replace("2022-08-01T10:00:00", '2022-08-01"T10:00:00', 1)
    lines[11] = lines[11].replace("10:00:05+01", '10:00:05+"01', 1)
    result = ingest_file(store, write_lines(tmp_path / "calls.csv", lines))
    assert (result.read, result.loaded, result.quarantined) == (12, 10, 2)
    assert [(q["line"], q["rule"]) for q in list_quarantine(store)] == [
        (4, "invalid_timestamp"),
        (12, "invalid_timestamp"),
    ]
    assert len(stored_lines(store)) == 10


def test_overlong_broken_record_keeps_64_kib_its_length_and_sha256(store, tmp_path):
    lines = csv_text(calls(4)).splitlines()
    lines[2] = lines[2].replace("Ashford", "x" * 100_000 + "\r" + "y" * 100_000)
    result = ingest_file(store, write_lines(tmp_path / "calls.csv", lines))
    assert (result.read, result.loaded, result.quarantined) == (4, 3, 1)
    [q] = list_quarantine(store)
    original = lines[2].encode()
    assert (q["line"], q["rule"]) == (3, "malformed_csv")
    assert q["raw"] == lines[2][:RAW_LIMIT]
    assert q["raw_length"] == len(original)
    assert q["raw_sha256"] == hashlib.sha256(original).hexdigest()


def test_bytes_that_are_not_utf8_keep_their_original_bytes(store, tmp_path):
    path = tmp_path / "calls.csv"
    latin_line = write_latin1_calls(path)
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (4, 2, 2)
    bad = store.duck.execute(
        "SELECT line, rule, raw, raw_bytes FROM quarantine WHERE rule = 'invalid_encoding'"
    ).fetchone()
    assert bad is not None
    line, rule, raw, raw_bytes = bad
    assert line == 3
    assert "Caf\\xe9" in raw  # escaped reversibly in the text ...
    assert bytes(raw_bytes) == latin_line  # ... exact in bytes


def test_every_line_is_counted_when_many_rows_are_broken(store, tmp_path):
    lines = csv_text(calls(40)).splitlines()
    for i in range(1, 41, 3):
        lines[i] = lines[i].replace(",Ashford,", ',"Ashford,')
    lines[20] = lines[20].replace("Ashford", "Ash\rford")
    result = ingest_file(store, write_lines(tmp_path / "calls.csv", lines))
    assert result.read == 40 and accounted(result)
    quarantined = {q["line"] for q in list_quarantine(store, limit=None)}
    loaded = {line for _, line in stored_lines(store)}
    assert quarantined.isdisjoint(loaded)
    assert quarantined | loaded == set(range(2, 42))  # every line of the file, exactly once


def test_reload_of_a_broken_file_adds_nothing(store, tmp_path):
    lines = csv_text(calls(6)).splitlines()
    lines[2] = lines[2].replace("Ashford", "Ash\rford")
    path = write_lines(tmp_path / "calls.csv", lines)
    ingest_file(store, path)
    again = ingest_file(store, path)
    assert (again.read, again.loaded, again.quarantined, again.skipped_duplicates) == (6, 0, 0, 6)
    assert len(list_quarantine(store)) == 1


def test_json_lines_line_that_is_not_json_is_quarantined_by_line(store, tmp_path):
    lines = [json.dumps(r) for r in calls(4)]
    lines.insert(2, '{"call_id": "C9", "channel": ')  # cut short
    lines.insert(4, "x" * (RAW_LIMIT + 10))  # long, and not JSON
    path = write_lines(tmp_path / "calls.jsonl", lines)
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (6, 4, 2)
    q = list_quarantine(store)
    assert [(r["line"], r["rule"]) for r in q] == [(3, "invalid_json"), (5, "invalid_json")]
    assert q[0]["raw"] == lines[2]
    assert len(q[1]["raw"]) == RAW_LIMIT
    assert q[1]["raw_length"] == RAW_LIMIT + 10
    assert q[1]["raw_sha256"] == hashlib.sha256(lines[4].encode()).hexdigest()


#: a telephony export with its own column names, and the mapping that reads it
EXPORT = """\
Ref,Line,Start,Pickup,Hangup
A1,E-911,2025-03-01 09:00:00,2025-03-01 09:00:08,2025-03-01 09:03:00
A2,Phone,2025-03-01 09:05:00,,2025-03-01 09:06:00
A3,Radio,2025-03-01 09:07:00,2025-03-01 09:07:01,2025-03-01 09:08:00
A4,Phone,2025-03-01 09:10:00,2025-03-01 09:10:30,2025-03-01 09:09:00
"""
MAP = """\
kind = "calls"
where = "Line IN ('E-911', 'Phone')"
[columns]
call_id = "Ref"
channel = "Line"
arrived_at = "Start"
answered_at = "Pickup"
ended_at = "Hangup"
[values.channel]
"E-911" = "999"
"Phone" = "101"
"""


def test_a_mapped_export_is_read_record_by_record_too(store, tmp_path):
    lines = EXPORT.splitlines()
    lines.insert(2, 'A9,Phone,"2025-03-01 09:04:00,,2025-03-01 09:04:30')  # quote never closed
    lines[3] = lines[3].replace("09:06:00", "09:06\r:00")  # A2: a carriage return in a field
    export = write_lines(tmp_path / "export.csv", lines)
    mapping = tmp_path / "map.toml"
    mapping.write_text(MAP)
    [r] = ingest_paths(store, [export], mapping=load_mapping(mapping))
    # A1 loads, A9 and A2 cannot be parsed, A3 is filtered out, A4 breaks a rule
    assert (r.read, r.loaded, r.quarantined, r.filtered) == (5, 1, 3, 1)
    assert r.read == r.loaded + r.quarantined + r.skipped_duplicates + r.filtered
    assert [(q["line"], q["rule"]) for q in list_quarantine(store)] == [
        (3, "malformed_csv"),
        (4, "malformed_csv"),
        (6, "ended_after_answer"),
    ]
    assert stored_lines(store) == [("A1", 2)]


def test_overlong_row_with_a_field_too_many_keeps_its_length_and_sha256(store, tmp_path):
    lines = csv_text(calls(4)).splitlines()
    lines[3] = lines[3].replace("Ashford", "z" * 100_000) + ",extra"
    result = ingest_file(store, write_lines(tmp_path / "calls.csv", lines))
    assert (result.read, result.loaded, result.quarantined) == (4, 3, 1)
    [q] = list_quarantine(store)
    assert (q["line"], q["rule"]) == (4, "malformed_csv")
    assert q["raw"] == lines[3][:RAW_LIMIT]
    assert q["raw_length"] == len(lines[3])
    assert q["raw_sha256"] == hashlib.sha256(lines[3].encode()).hexdigest()


def test_a_rejected_latin1_row_keeps_its_whole_line_from_its_first_byte(store, tmp_path):
    rows = calls(3)
    rows[1]["district"] = "Faversham Caf\u00e9"
    path = tmp_path / "calls.csv"
    text = csv_text(rows, newline="\r\n")
    path.write_bytes(text.encode("latin-1"))
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (3, 2, 1)
    [(line, raw, raw_bytes)] = store.duck.execute(
        "SELECT line, raw, raw_bytes FROM quarantine"
    ).fetchall()
    assert line == 3
    assert bytes(raw_bytes) == text.splitlines()[2].encode("latin-1")  # CR of CRLF left off
    assert raw.startswith("C1,") and raw.endswith("Caf\\xe9,A7")
