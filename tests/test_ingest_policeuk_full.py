"""police.uk in full: outcomes, stop and search, the zip archive as downloaded, and folders
of mixed files where each file is judged on its own."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forcestat.cli import app
from forcestat.errors import InputError, SchemaError
from forcestat.ingest import ingest_each, ingest_paths
from forcestat.store import Store

runner = CliRunner()
#: a made-up force's police.uk files for one month (see tests/fixtures/policeuk/)
FIX = Path(__file__).parent / "fixtures" / "policeuk"

STREET = (FIX / "2023-02-borsetshire-street.csv").read_text()

OUTCOMES = (FIX / "2023-02-borsetshire-outcomes.csv").read_text()

SEARCHES = (FIX / "2023-02-borsetshire-stop-and-search.csv").read_text()


def write(folder, name, text):
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_outcomes_load_and_join_to_crimes_on_crime_id(store, tmp_path):
    ingest_paths(store, [write(tmp_path, "s.csv", STREET), write(tmp_path, "o.csv", OUTCOMES)])
    joined = store.duck.execute(
        "SELECT s.crime_id, o.outcome_type FROM policeuk_street s "
        "JOIN policeuk_outcomes o USING (crime_id) ORDER BY 1"
    ).fetchall()
    assert [c for c, _ in joined] == ["c1", "c2", "c3"]
    [(month,)] = store.duck.execute("SELECT DISTINCT month FROM policeuk_outcomes").fetchall()
    assert month.isoformat() == "2023-02-01"


def test_outcomes_reload_changes_nothing(store, tmp_path):
    f = write(tmp_path, "o.csv", OUTCOMES)
    ingest_paths(store, [f])
    [again] = ingest_paths(store, [f])
    assert (again.loaded, again.skipped_duplicates) == (0, 3)


def test_stop_and_search_loads_with_its_published_columns(store, tmp_path):
    [r] = ingest_paths(store, [write(tmp_path, "ss.csv", SEARCHES)])
    assert (r.kind, r.read, r.loaded, r.quarantined) == ("policeuk_stop_search", 3, 3, 0)
    rows = store.duck.execute(
        "SELECT searched_at, month, outcome_linked_to_object, part_of_policing_operation "
        "FROM policeuk_stop_search ORDER BY searched_at"
    ).fetchall()
    assert rows[0][0] == datetime(2023, 2, 1, 10, 0)
    assert rows[0][2] is True and rows[0][3] is False
    assert rows[1][3] is None  # blank is unknown, not False
    assert {r[1].isoformat() for r in rows} == {"2023-02-01"}


def test_identical_searches_in_one_file_all_load(store, tmp_path):
    line = SEARCHES.splitlines()[1]
    f = write(tmp_path, "ss.csv", SEARCHES + line + "\n")
    [r] = ingest_paths(store, [f])
    assert r.loaded == 4  # two people searched together are two searches
    [again] = ingest_paths(store, [f])
    assert (again.loaded, again.skipped_duplicates) == (0, 4)


def test_a_police_uk_zip_of_month_folders_loads_without_unpacking(store, tmp_path):
    z = tmp_path / "download.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("2023-02/2023-02-borsetshire-street.csv", STREET)
        zf.writestr("2023-02/2023-02-borsetshire-outcomes.csv", OUTCOMES)
        zf.writestr("2023-02/2023-02-borsetshire-stop-and-search.csv", SEARCHES)
        zf.writestr("README.txt.md", "not data")
    results = ingest_paths(store, [z])
    assert [(r.file, r.kind) for r in results] == [
        (f"{z}/2023-02/2023-02-borsetshire-outcomes.csv", "policeuk_outcomes"),
        (f"{z}/2023-02/2023-02-borsetshire-stop-and-search.csv", "policeuk_stop_search"),
        (f"{z}/2023-02/2023-02-borsetshire-street.csv", "policeuk_street"),
    ]
    files = store.duck.execute("SELECT file FROM load_log ORDER BY load_id").fetchall()
    assert files[0] == (f"{z}/2023-02/2023-02-borsetshire-outcomes.csv",)


def test_a_bad_zip_is_one_clear_error(store, tmp_path):
    z = write(tmp_path, "bad.zip", "not a zip")
    with pytest.raises(SchemaError, match="cannot read as a zip archive"):
        ingest_paths(store, [z])


def test_a_mixed_folder_loads_what_it_recognises_and_names_the_rest(store, tmp_path):
    write(tmp_path, "a-street.csv", STREET)
    write(tmp_path, "b-stop-and-search.csv", SEARCHES)
    odd = write(tmp_path, "c-odd.csv", "Type,When,Where\nPerson search,today,here\n")
    outcomes = ingest_each(store, [tmp_path])
    results = [r for r in outcomes if r.status == "loaded"]
    assert [r.kind for r in results] == ["policeuk_street", "policeuk_stop_search"]
    [x] = [r for r in outcomes if r.status == "refused"]
    assert x.file == str(odd)
    assert x.closest_kind == "policeuk_stop_search"
    # the reason names the columns as the files name them, never internal ones
    assert x.error is not None
    assert "Date" in x.error and "Type, When, Where" in x.error
    assert "searched_at" not in x.error and "__r" not in x.error


def test_cli_folder_exits_2_after_loading_the_others(tmp_path, db_path):
    folder = tmp_path / "in"
    write(folder, "a-street.csv", STREET)
    write(folder, "z-odd.csv", "x,y\n1,2\n")
    res = runner.invoke(app, ["ingest", str(folder), "--db", str(db_path), "--json"])
    assert isinstance(res.exception, InputError)  # exit code 2 from the command line
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert lines[0]["loaded"] == 4
    assert lines[1]["file"].endswith("z-odd.csv") and lines[1]["status"] == "refused"
    assert lines[1]["closest_kind"]
    with Store.open(db_path) as s:
        assert s.duck.execute("SELECT count(*) FROM policeuk_street").fetchone() == (4,)
