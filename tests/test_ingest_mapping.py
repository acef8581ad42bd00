"""Mapping files: a system export with its own column names loads through a TOML mapping."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from forcestat.cli import app
from forcestat.errors import SchemaError
from forcestat.ingest import ingest_paths
from forcestat.ingest.mapping import MappingError, load_mapping, parse_mapping, shipped_mappings

runner = CliRunner()

#: a telephony export as some other system writes it
EXPORT = """\
Ref,Line,Start,Pickup,Hangup,Handler
A1,E-911,2025-03-01 09:00:00,2025-03-01 09:00:08,2025-03-01 09:03:00,ann
A2,Phone,2025-03-01 09:05:00,,2025-03-01 09:06:00,
A3,Radio,2025-03-01 09:07:00,2025-03-01 09:07:01,2025-03-01 09:08:00,bob
A4,Phone,2025-03-01 09:10:00,2025-03-01 09:10:30,2025-03-01 09:09:00,cat
"""

MAP = """\
kind = "calls"
timezone = "America/Chicago"
where = "Line IN ('E-911', 'Phone')"
[columns]
call_id = "Ref"
channel = "Line"
arrived_at = "Start"
answered_at = "Pickup"
ended_at = "Hangup"
[expressions]
agent_id = "upper(nullif(Handler, ''))"
[values.channel]
"E-911" = "999"
"Phone" = "101"
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.fixture
def export(tmp_path):
    return write(tmp_path, "export.csv", EXPORT)


@pytest.fixture
def mapping(tmp_path):
    return write(tmp_path, "map.toml", MAP)


def rows(store, sql):
    return store.duck.execute(sql).fetchall()


def test_columns_expressions_values_and_where(store, export, mapping):
    [r] = ingest_paths(store, [export], mapping=load_mapping(mapping))
    # A3 (Radio) is filtered out; A4 ends before it is answered, so it is quarantined
    assert (r.read, r.loaded, r.quarantined, r.skipped_duplicates, r.filtered) == (4, 2, 1, 0, 1)
    assert r.read == r.loaded + r.quarantined + r.skipped_duplicates + r.filtered
    got = rows(store, "SELECT call_id, channel, agent_id, _line FROM calls ORDER BY call_id")
    assert got == [("A1", "999", "ANN", 2), ("A2", "101", None, 3)]
    [(line, rule, raw)] = rows(store, "SELECT line, rule, raw FROM quarantine")
    assert (line, rule) == (5, "ended_after_answer")
    # the quarantined record keeps the file's own fields
    assert json.loads(raw)["Ref"] == "A4"


def test_timezone_reads_wall_clock_times_in_that_zone(store, export, mapping):
    ingest_paths(store, [export], mapping=load_mapping(mapping))
    # 09:00 in Chicago on 1 March 2025 (CST, UTC-6) is 15:00 UTC
    [(arrived,)] = rows(store, "SELECT arrived_at FROM calls WHERE call_id = 'A1'")
    assert arrived == datetime(2025, 3, 1, 15, 0)


def test_default_timezone_is_london(store, export, tmp_path):
    m = write(tmp_path, "m.toml", MAP.replace('timezone = "America/Chicago"\n', ""))
    ingest_paths(store, [export], mapping=load_mapping(m))
    [(arrived,)] = rows(store, "SELECT arrived_at FROM calls WHERE call_id = 'A1'")
    assert arrived == datetime(2025, 3, 1, 9, 0)  # GMT in March before the change


def test_times_with_an_offset_keep_their_instant(store, tmp_path, mapping):
    # 15:00 UTC is 09:00 in Chicago; read as Chicago wall-clock time it would be 21:00 UTC
    f = write(tmp_path, "o.csv", EXPORT.replace("2025-03-01 09:00:00,", "2025-03-01T15:00:00Z,"))
    ingest_paths(store, [f], mapping=load_mapping(mapping))
    [(arrived,)] = rows(store, "SELECT arrived_at FROM calls WHERE call_id = 'A1'")
    assert arrived == datetime(2025, 3, 1, 15, 0)


def test_reloading_a_mapped_file_changes_nothing(store, export, mapping):
    m = load_mapping(mapping)
    ingest_paths(store, [export], mapping=m)
    [again] = ingest_paths(store, [export], mapping=m)
    assert (again.loaded, again.quarantined, again.filtered) == (0, 0, 1)
    assert again.skipped_duplicates == 3
    assert rows(store, "SELECT count(*) FROM calls") == [(2,)]
    assert rows(store, "SELECT count(*) FROM quarantine") == [(1,)]


def test_load_log_records_filtered(store, export, mapping):
    ingest_paths(store, [export], mapping=load_mapping(mapping))
    got = rows(
        store, "SELECT read, loaded, quarantined, skipped_duplicates, filtered FROM load_log"
    )
    assert got == [(4, 2, 1, 0, 1)]


@pytest.mark.parametrize(
    ("expression", "complaint"),
    [
        ("(SELECT max(Ref) FROM calls)", "subquery"),
        ("Ref IN (SELECT call_id FROM calls)", "subquery"),
        ("(SELECT content FROM read_text('/etc/passwd'))", "subquery"),
        ("read_csv('/etc/passwd')", "table function"),
        ("read_text('/etc/hostname')", "read_text"),
        ("current_setting('home_directory')", "current_setting"),
        ("count(*)", "aggregate"),
        ("max(Ref) OVER ()", "window"),
        ("unnest([Ref])", "table function"),
        ("Ref; DROP TABLE calls", "one expression"),
        ("NoSuchColumn || 'x'", "no column 'NoSuchColumn'"),
        ("random()", "random"),
        ("Ref ||", "cannot parse"),
    ],
)
def test_refused_expressions_name_their_key(store, export, tmp_path, expression, complaint):
    text = MAP.replace("agent_id = \"upper(nullif(Handler, ''))\"", f"agent_id = {expression!r}")
    m = write(tmp_path, "bad.toml", text)
    with pytest.raises(MappingError) as e:
        ingest_paths(store, [export], mapping=load_mapping(m))
    assert "expressions.agent_id" in str(e.value)
    assert complaint in str(e.value)
    assert rows(store, "SELECT count(*) FROM load_log") == [(0,)]


def test_where_is_checked_like_an_expression(store, export, tmp_path):
    m = write(tmp_path, "w.toml", MAP.replace("Line IN ('E-911', 'Phone')", "Ref IN (SELECT 1)"))
    with pytest.raises(MappingError, match="where: a subquery"):
        ingest_paths(store, [export], mapping=load_mapping(m))


def test_a_missing_source_column_names_the_key_and_the_files_columns(store, export, tmp_path):
    m = write(tmp_path, "m.toml", MAP.replace('ended_at = "Hangup"', 'ended_at = "HangupTime"'))
    with pytest.raises(SchemaError) as e:
        ingest_paths(store, [export], mapping=load_mapping(m))
    msg = str(e.value)
    assert "columns.ended_at" in msg and "'HangupTime'" in msg
    assert "Ref, Line, Start, Pickup, Hangup, Handler" in msg
    assert "__r" not in msg


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (('kind = "calls"', 'kind = "phonecalls"'), "kind"),
        (('timezone = "America/Chicago"', 'timezone = "Mars/Olympus"'), "timezone"),
        (('call_id = "Ref"', 'callid = "Ref"'), "columns.callid"),
        (('ended_at = "Hangup"', ""), "columns"),  # a required column left unmapped
        (("[values.channel]", "[values.district]"), "values.district"),
        (('kind = "calls"', 'kind = "calls"\ncolour = "blue"'), "colour"),
    ],
)
def test_a_bad_mapping_is_one_error_naming_its_key(tmp_path, change, key):
    m = write(tmp_path, "m.toml", MAP.replace(*change))
    with pytest.raises(MappingError) as e:
        load_mapping(m)
    assert f": {key}:" in str(e.value)
    assert "\n" not in str(e.value)


def test_mapping_toml_errors_are_one_line(tmp_path):
    m = write(tmp_path, "m.toml", "kind = \n")
    with pytest.raises(MappingError, match="not valid TOML"):
        load_mapping(m)


def test_parse_mapping_accepts_a_dict():
    m = parse_mapping({"kind": "crimes", "columns": {"crime_id": "id", "recorded_at": "t",
                       "crime_type": "c", "status": "s"}})  # fmt: skip
    assert m.kind.name == "crimes" and m.timezone == "Europe/London" and m.where is None


def test_jsonl_and_parquet_files_map_too(store, tmp_path, mapping):
    import duckdb

    csv = write(tmp_path, "e.csv", EXPORT)
    pq = tmp_path / "e.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{csv}', all_varchar=true)) TO '{pq}'")
    js = tmp_path / "e.jsonl"
    con.execute(f"COPY (SELECT * FROM read_csv('{csv}', all_varchar=true)) TO '{js}'")
    m = load_mapping(mapping)
    for f in (pq, js):
        with pytest.MonkeyPatch.context():
            [r] = ingest_paths(store, [f], mapping=m)
            assert r.read == r.loaded + r.quarantined + r.skipped_duplicates + r.filtered
            assert r.filtered == 1
    assert rows(store, "SELECT count(*) FROM calls") == [(2,)]


def test_cli_map_and_json_filtered(tmp_path, db_path, export, mapping):
    res = runner.invoke(
        app, ["ingest", str(export), "--map", str(mapping), "--db", str(db_path), "--json"]
    )
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got["filtered"] == 1 and got["loaded"] == 2


def test_cli_json_filtered_is_zero_without_a_map(tmp_path, db_path):
    f = write(tmp_path, "calls.csv", "call_id,channel,arrived_at,ended_at\nc1,999,"
              "2025-03-01 09:00:00,2025-03-01 09:01:00\n")  # fmt: skip
    res = runner.invoke(app, ["ingest", str(f), "--db", str(db_path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["filtered"] == 0


def test_shipped_mappings_all_load():
    names = shipped_mappings()
    assert {"anonymous-bank", "decc-cad-calls", "decc-911-phone", "decc-adm-phone"} <= set(names)
    for name in names:
        assert load_mapping(name).kind.name in ("calls", "call_intervals")
