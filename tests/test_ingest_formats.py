"""Reading files: CSV dialects, Parquet, JSON Lines, malformed text, refused files."""

from __future__ import annotations

import json

import duckdb
import pytest

from fixtures.ingest.examples import VALID, calls, csv_text, write_csv, write_jsonl
from forcestat.errors import SchemaError
from forcestat.ingest import ingest_file, ingest_paths, list_quarantine


def stored_calls(store):
    return store.duck.execute(
        "SELECT call_id, channel, district, _line FROM calls ORDER BY _line"
    ).fetchall()


def assert_accounted(result):
    assert result.read == result.loaded + result.quarantined + result.skipped_duplicates


@pytest.mark.parametrize(
    ("delimiter", "suffix"), [(",", ".csv"), ("\t", ".tsv"), (";", ".csv"), ("|", ".txt")]
)
def test_delimiter_is_sniffed(store, tmp_path, delimiter, suffix):
    rows = calls(3)
    rows[1]["district"] = "Tunbridge Wells, Town"  # a comma inside a field
    path = write_csv(tmp_path / f"calls{suffix}", rows, delimiter=delimiter)
    result = ingest_file(store, path)
    assert (result.kind, result.read, result.loaded) == ("calls", 3, 3)
    assert [r[2] for r in stored_calls(store)] == ["Ashford", "Tunbridge Wells, Town", "Ashford"]


def test_bom_and_crlf(store, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(calls(2), newline="\r\n").encode())
    result = ingest_file(store, path)
    assert (result.read, result.loaded) == (2, 2)
    assert [r[2] for r in stored_calls(store)] == ["Ashford", "Ashford"]  # no stray \r


def test_quoted_field_with_embedded_newlines_is_kept_whole(store, tmp_path):
    rows = calls(3)
    rows[0]["district"] = "Line one\nLine two"
    rows[1]["district"] = 'He said "hello"'
    path = write_csv(tmp_path / "calls.csv", rows, newline="\r\n")
    result = ingest_file(store, path)
    assert (result.read, result.loaded) == (3, 3)
    stored = stored_calls(store)
    assert [r[2] for r in stored] == ["Line one\nLine two", 'He said "hello"', "Ashford"]
    # _line is the physical line each record starts on: the first record spans lines 2-3
    assert [r[3] for r in stored] == [2, 4, 5]


def test_multiline_records_beside_a_rejected_record_keep_their_physical_lines(store, tmp_path):
    rows = calls(4)
    rows[0]["district"] = "Line one\nLine two"
    text = csv_text(rows).split("\n")
    text[4] = text[4].replace(",Ashford,", ',"Ash"ford,')  # C2, on line 5 (C0 spans 2-3)
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(text))
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (4, 3, 1)
    assert [r[3] for r in stored_calls(store)] == [2, 4, 6]  # the line each record starts on
    assert [q["line"] for q in list_quarantine(store)] == [5]


def test_line_numbers_of_quarantined_rows(store, tmp_path):
    rows = calls(6)
    rows[2]["channel"] = "112"
    rows[4]["arrived_at"] = "yesterday"
    result = ingest_file(store, write_csv(tmp_path / "calls.csv", rows))
    q = list_quarantine(store)
    assert [(r["line"], r["rule"]) for r in q] == [(4, "not_allowed"), (6, "invalid_timestamp")]
    assert (
        q[0]["raw"] == "C2,112,2022-08-01T10:00:00+01:00,2022-08-01T10:00:05+01:00,"
        "2022-08-01T10:04:00+01:00,Ashford,A7"
    )
    assert [r[3] for r in stored_calls(store)] == [2, 3, 5, 7]
    assert_accounted(result)


def test_stray_quote_after_a_closed_field_quarantines_that_line(store, tmp_path):
    text = csv_text(calls(4)).splitlines()
    text[2] = text[2].replace(",Ashford,", ',"Ash"ford,')
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(text) + "\n")
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (4, 3, 1)
    q = list_quarantine(store)
    assert (q[0]["line"], q[0]["rule"]) == (3, "malformed_csv")
    assert '"Ash"ford' in q[0]["raw"]
    assert [r[3] for r in stored_calls(store)] == [2, 4, 5]


def test_unterminated_quote_quarantines_its_own_line_and_reads_on(store, tmp_path):
    text = csv_text(calls(6)).splitlines()
    text[3] = text[3].replace(",Ashford,", ',"Ashford,')  # never closed
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(text) + "\n")
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (6, 5, 1)
    q = list_quarantine(store)
    assert [(r["line"], r["rule"]) for r in q] == [(4, "malformed_csv")]
    assert q[0]["raw"] == text[3]
    assert [r[3] for r in stored_calls(store)] == [2, 3, 5, 6, 7]


def test_wrong_number_of_fields_quarantines(store, tmp_path):
    text = csv_text(calls(3)).splitlines()
    text[1] += ",extra"
    text[2] = text[2].rsplit(",", 2)[0]
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(text) + "\n")
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (3, 1, 2)
    assert {r["rule"] for r in list_quarantine(store)} == {"malformed_csv"}


def test_latin1_bytes_in_a_row_quarantine_that_row(store, tmp_path):
    rows = calls(3)
    rows[1]["district"] = "Faversham Caf\u00e9"
    path = tmp_path / "calls.csv"
    path.write_bytes(csv_text(rows).encode("latin-1"))
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (3, 2, 1)
    q = list_quarantine(store)
    assert (q[0]["line"], q[0]["rule"]) == (3, "invalid_encoding")


def test_latin1_header_is_a_clear_error(store, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(csv_text(calls(1)).replace("district", "distr\u00efct").encode("latin-1"))
    with pytest.raises(SchemaError, match="calls.csv: header is not UTF-8"):
        ingest_file(store, path)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_empty_file_is_an_error_and_changes_nothing(store, tmp_path, content):
    path = tmp_path / "calls.csv"
    path.write_bytes(content)
    with pytest.raises(SchemaError, match=r"calls\.csv: file is empty"):
        ingest_file(store, path)
    assert store.duck.execute("SELECT count(*) FROM load_log").fetchone() == (0,)


def test_header_only_file_is_a_load_of_nothing(store, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(",".join(VALID["calls"]) + "\n")
    result = ingest_file(store, path)
    assert (result.kind, result.read, result.loaded, result.quarantined) == ("calls", 0, 0, 0)
    assert store.duck.execute("SELECT read, loaded FROM load_log").fetchall() == [(0, 0)]


def test_missing_required_column_names_file_and_columns(store, tmp_path):
    rows = [{k: v for k, v in r.items() if k not in ("ended_at", "channel")} for r in calls(2)]
    path = write_csv(tmp_path / "calls.csv", rows)
    with pytest.raises(SchemaError) as e:
        ingest_file(store, path, kind="calls")
    assert str(e.value) == f"{path}: missing required columns for calls: channel, ended_at"


def test_one_bad_file_among_many_loads_none(store, tmp_path):
    good = write_csv(tmp_path / "a.csv", calls(2))
    bad = write_csv(tmp_path / "b.csv", [{"call_id": "X", "channel": "999"}])
    with pytest.raises(SchemaError, match="b.csv"):
        ingest_paths(store, [good, bad])
    assert store.duck.execute("SELECT count(*) FROM calls").fetchone() == (0,)


def test_unreadable_files(store, tmp_path):
    with pytest.raises(SchemaError, match="no such file"):
        ingest_file(store, tmp_path / "absent.csv")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(SchemaError, match="broken.parquet: cannot read as Parquet"):
        ingest_file(store, broken)
    other = tmp_path / "notes.xlsx"
    other.write_bytes(b"x")
    with pytest.raises(SchemaError, match="unsupported file type .xlsx"):
        ingest_file(store, other)


def test_unknown_header_and_unknown_kind(store, tmp_path):
    path = write_csv(tmp_path / "x.csv", [{"a": "1", "b": "2"}])
    with pytest.raises(SchemaError, match="x.csv: header does not match any record kind"):
        ingest_file(store, path)
    with pytest.raises(SchemaError, match="unknown kind 'phone_calls'"):
        ingest_file(store, write_csv(tmp_path / "c.csv", calls(1)), kind="phone_calls")


@pytest.mark.parametrize("kind", sorted(VALID))
def test_kind_is_detected_from_the_header(store, tmp_path, kind):
    result = ingest_file(store, write_csv(tmp_path / "f.csv", [VALID[kind]]))
    assert (result.kind, result.loaded) == (kind, 1)


def test_folder_ingests_every_data_file_sorted(store, tmp_path):
    (tmp_path / "sub").mkdir()
    write_csv(tmp_path / "b.csv", calls(2, start=10))
    write_csv(tmp_path / "sub" / "a.csv", calls(2))
    write_jsonl(tmp_path / "c.jsonl", calls(1, start=20))
    (tmp_path / "README.md").write_text("not data")
    results = ingest_paths(store, [tmp_path])
    assert [r.file.removeprefix(str(tmp_path)) for r in results] == [
        "/b.csv",
        "/c.jsonl",
        "/sub/a.csv",
    ]
    assert sum(r.loaded for r in results) == 5


def test_jsonl_lines_keep_their_numbers(store, tmp_path):
    rows = calls(3)
    path = tmp_path / "calls.jsonl"
    lines = [
        json.dumps(rows[0]),
        "",
        "{not json",
        json.dumps(rows[1]),
        "[1, 2]",
        json.dumps({**rows[2], "channel": 999}),
    ]
    path.write_text("\n".join(lines) + "\n")
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (5, 3, 2)
    assert [r[3] for r in stored_calls(store)] == [1, 4, 6]
    assert [r[1] for r in stored_calls(store)] == ["101", "999", "999"]
    q = list_quarantine(store)
    assert [(r["line"], r["rule"], r["raw"]) for r in q] == [
        (3, "invalid_json", "{not json"),
        (5, "invalid_json", "[1, 2]"),
    ]


def test_parquet_with_typed_columns(store, tmp_path):
    path = tmp_path / "calls.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""COPY (SELECT * FROM (VALUES
            ('P1', '999', TIMESTAMPTZ '2022-08-01 09:00:00+00', NULL::TIMESTAMPTZ,
             TIMESTAMPTZ '2022-08-01 09:05:00+00', 'Dover'),
            ('P2', '123', TIMESTAMPTZ '2022-08-01 09:00:00+00', NULL,
             TIMESTAMPTZ '2022-08-01 09:05:00+00', 'Dover'))
            t(call_id, channel, arrived_at, answered_at, ended_at, district)) TO '{path}'"""
    )
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (2, 1, 1)
    row = store.duck.execute("SELECT CAST(arrived_at AS VARCHAR), _line FROM calls").fetchone()
    assert row == ("2022-08-01 09:00:00", 1)
    q = list_quarantine(store)
    assert (q[0]["line"], q[0]["rule"]) == (2, "not_allowed")
    assert json.loads(q[0]["raw"])["channel"] == "123"


def test_parquet_naive_timestamps_are_london_time(store, tmp_path):
    path = tmp_path / "calls.parquet"
    duckdb.connect().execute(
        f"""COPY (SELECT 'P1' AS call_id, '101' AS channel,
            TIMESTAMP '2022-08-01 10:00:00' AS arrived_at,
            TIMESTAMP '2022-08-01 10:05:00' AS ended_at) TO '{path}'"""
    )
    ingest_file(store, path)
    row = store.duck.execute("SELECT CAST(arrived_at AS VARCHAR) FROM calls").fetchone()
    assert row == ("2022-08-01 09:00:00",)


def test_extra_columns_are_ignored_but_kept_in_raw(store, tmp_path):
    rows = [{**r, "notes": "x"} for r in calls(2)]
    rows[1]["channel"] = "1"
    result = ingest_file(store, write_csv(tmp_path / "calls.csv", rows))
    assert (result.loaded, result.quarantined) == (1, 1)
    assert list_quarantine(store)[0]["raw"].endswith(",x")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_line_numbers_follow_file_order_across_parallel_row_groups(store, tmp_path, fmt):
    # 300,000 rows span several DuckDB row groups, scanned in parallel
    path = tmp_path / f"calls.{fmt}"
    options = "(HEADER)" if fmt == "csv" else "(FORMAT parquet, ROW_GROUP_SIZE 50000)"
    duckdb.connect().execute(
        f"""COPY (SELECT 'C' || i AS call_id, CASE WHEN i % 1000 = 7 THEN '1' ELSE '999' END
                  AS channel, '2022-08-01T10:00:00Z' AS arrived_at,
                  '2022-08-01T10:05:00Z' AS ended_at FROM range(300000) t(i)) TO '{path}'
            {options}"""
    )
    first = 2 if fmt == "csv" else 1
    result = ingest_file(store, path)
    assert (result.loaded, result.quarantined) == (299_700, 300)
    misplaced = store.duck.execute(
        f"SELECT count(*) FROM calls WHERE _line <> CAST(substr(call_id, 2) AS BIGINT) + {first}"
    ).fetchone()
    assert misplaced == (0,)
    lines = store.duck.execute("SELECT min(line), max(line) FROM quarantine").fetchone()
    assert lines == (7 + first, 299_007 + first)


def test_headers_match_whatever_their_case_and_spacing(store, tmp_path):
    spelled = {
        "call_id": "Call ID",
        "channel": "CHANNEL",
        "arrived_at": " Arrived-At ",
        "answered_at": "answered at",
        "ended_at": "Ended_At",
        "district": "District",
    }
    rows = [{spelled[k]: v for k, v in r.items() if k in spelled} for r in calls(2)]
    result = ingest_file(store, write_csv(tmp_path / "calls.csv", rows))
    assert (result.kind, result.loaded) == ("calls", 2)
    assert [r[2] for r in stored_calls(store)] == ["Ashford", "Ashford"]


def test_trailing_delimiters_make_unnamed_columns_that_are_ignored(store, tmp_path):
    text = csv_text(calls(2)).replace("\n", ",\n")  # "a,b,c," on every line
    text = text.replace("C1,999", "C1,9")
    path = tmp_path / "calls.csv"
    path.write_text(text)
    result = ingest_file(store, path)
    assert (result.loaded, result.quarantined) == (1, 1)
    assert list_quarantine(store)[0]["raw"].startswith("C1,9,")


def test_jsonl_header_is_every_key_in_the_order_first_seen(tmp_path):
    from forcestat.ingest.readers import close_source, open_source

    path = tmp_path / "calls.jsonl"
    lines = ['{"b": 1, "a": 2}', "", "  \t", '{"a": 3, "d": 4}', '{"c": 5, "b": 6, "e": 7}']
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    con = duckdb.connect()
    source = open_source(con, path)
    try:
        assert source.header == ["b", "a", "d", "c", "e"]
        assert source.physical_records == 3  # blank and white-space lines are not records
        rows = con.execute(
            f"SELECT __n, __ok, __r0, __r4 FROM {source.relation} ORDER BY __n"
        ).fetchall()
        assert rows == [(1, True, "1", None), (4, True, None, None), (5, True, "6", "7")]
    finally:
        close_source(con, source)


def test_jsonl_line_indented_or_broken_is_read_the_careful_way(store, tmp_path):
    rows = calls(3)
    path = tmp_path / "calls.jsonl"
    lines = ["  " + json.dumps(rows[0]), json.dumps(rows[1]), json.dumps(rows[2])[:-1]]
    path.write_text("\n".join(lines) + "\n")
    result = ingest_file(store, path)
    assert (result.read, result.loaded, result.quarantined) == (3, 2, 1)
    assert [(q["line"], q["rule"]) for q in list_quarantine(store)] == [(3, "invalid_json")]
