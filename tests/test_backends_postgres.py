"""PostgreSQL as a full store: ingest keeps every guarantee the DuckDB file gives.

Each test gets a fresh database on a PostgreSQL server the suite starts on 127.0.0.1
(``postgres_server`` in conftest.py) and compares what it holds with a DuckDB store fed the
same files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fixtures.ingest.examples import VALID, calls, write_csv, write_latin1_calls
from forcestat.ingest import ingest_paths as ingest_duckdb
from forcestat.ingest.anystore import ingest_paths, quarantined_rows
from forcestat.store import Store, open_store

COUNTS = ("read", "loaded", "quarantined", "skipped_duplicates")


def messy_calls(tmp_path: Path, name: str = "calls.csv") -> Path:
    """Calls with one record breaking each kind of check, a repeated record and a key
    given twice with different values."""
    rows = calls(6)
    rows[1]["arrived_at"] = "yesterday"  # invalid_timestamp
    rows[2]["channel"] = "112"  # not_allowed
    rows[3]["ended_at"] = "2022-08-01T09:00:00+01:00"  # ended before arrival
    rows.append(dict(rows[0]))  # an exact repeat: skipped
    rows.append({**rows[4], "district": "Dover"})  # same key, other values: both quarantined
    rows.append({**VALID["calls"], "call_id": "C-no-answer", "answered_at": ""})
    return write_csv(tmp_path / name, rows)


def stored(store, table: str) -> pd.DataFrame:
    """A table's rows without the load number, in line order (comparable across stores)."""
    df = store.table(table).execute().drop(columns=["_load_id"])
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def counts(results) -> list[tuple[int, ...]]:
    return [tuple(r.as_dict()[c] for c in COUNTS) for r in results]


def test_a_file_loads_into_postgres_exactly_as_into_duckdb(postgres_url, tmp_path):
    f = messy_calls(tmp_path)
    with Store.open(tmp_path / "d.duckdb") as duck, open_store(postgres_url) as pg:
        on_duck = ingest_duckdb(duck, [f])
        on_pg = ingest_paths(pg, [f])
        assert counts(on_pg) == counts(on_duck) == [(9, 3, 5, 1)]
        pd.testing.assert_frame_equal(stored(pg, "calls"), stored(duck, "calls"))
        assert stored(pg, "calls").queue_us.dropna().tolist() == [5_000_000] * 2
        why = {(q["line"], q["rule"]) for q in quarantined_rows(pg, limit=None)}
        assert why == {(q["line"], q["rule"]) for q in quarantined_rows(duck, limit=None)}
        assert ("invalid_timestamp" in {r for _, r in why}) and len(why) == 5


def test_a_record_that_is_not_utf8_keeps_its_original_bytes_in_postgres(postgres_url, tmp_path):
    path = tmp_path / "calls.csv"
    latin_line = write_latin1_calls(path)
    held = "SELECT line, rule, raw, raw_bytes, raw_length, raw_sha256 FROM quarantine ORDER BY line"
    with Store.open(tmp_path / "d.duckdb") as duck, open_store(postgres_url) as pg:
        assert counts(ingest_paths(pg, [path])) == counts(ingest_duckdb(duck, [path]))
        on_duck = duck.duck.execute(held).fetchall()
        on_pg = pg.fetch(held)
    assert [tuple(r) for r in on_pg] == [tuple(r) for r in on_duck]
    [latin] = [r for r in on_pg if r[1] == "invalid_encoding"]
    assert bytes(latin[3]) == latin_line
    assert latin[4] == len(latin[3])


def test_loading_a_file_twice_changes_nothing_but_load_log(postgres_url, tmp_path):
    f = messy_calls(tmp_path)
    with open_store(postgres_url) as pg:
        first = ingest_paths(pg, [f])[0]
        before = stored(pg, "calls"), len(quarantined_rows(pg, limit=None))
        again = ingest_paths(pg, [f])[0]
        assert (again.read, again.loaded, again.quarantined) == (first.read, 0, 0)
        assert again.skipped_duplicates == first.read
        pd.testing.assert_frame_equal(stored(pg, "calls"), before[0])
        assert len(quarantined_rows(pg, limit=None)) == before[1]
        log = pg.fetch("SELECT load_id, read, loaded FROM load_log ORDER BY load_id")
        assert [(r[1], r[2]) for r in log] == [(first.read, first.loaded), (first.read, 0)]


def test_a_changed_record_is_quarantined_and_replace_audits_it(postgres_url, tmp_path):
    original = write_csv(tmp_path / "a.csv", calls(3))
    changed_rows = calls(3)
    changed_rows[1]["district"] = "Thanet"
    changed = write_csv(tmp_path / "b.csv", changed_rows)
    with open_store(postgres_url) as pg:
        ingest_paths(pg, [original])
        r = ingest_paths(pg, [changed])[0]
        assert (r.loaded, r.quarantined, r.skipped_duplicates) == (0, 1, 2)
        assert quarantined_rows(pg, limit=1)[0]["rule"] == "conflict"
        assert "Thanet" not in set(stored(pg, "calls").district)
        r = ingest_paths(pg, [changed], replace=True)[0]
        assert (r.loaded, r.replaced) == (1, 1)
        assert "Thanet" in set(stored(pg, "calls").district)
        old, new = pg.fetch("SELECT old_row, new_row FROM audit")[0]
        assert json.loads(old)["district"] == "Ashford" and json.loads(new)["district"] == "Thanet"


def test_a_failed_load_leaves_the_store_as_it_was(postgres_url, tmp_path, monkeypatch):
    from forcestat.ingest import postgres as pg_ingest

    with open_store(postgres_url) as pg:
        ingest_paths(pg, [write_csv(tmp_path / "a.csv", calls(3))])
        before = stored(pg, "calls"), pg.fetch("SELECT count(*) FROM load_log")

        def broken(self):
            raise RuntimeError("disk full")

        monkeypatch.setattr(pg_ingest._PostgresLoad, "insert", broken)
        with pytest.raises(RuntimeError):
            ingest_paths(pg, [messy_calls(tmp_path)])
        pd.testing.assert_frame_equal(stored(pg, "calls"), before[0])
        assert pg.fetch("SELECT count(*) FROM load_log") == before[1]
        assert quarantined_rows(pg, limit=None) == []


def test_a_first_load_is_copied_straight_in_and_still_all_or_nothing(
    postgres_url, tmp_path, monkeypatch
):
    from forcestat.ingest import postgres as pg_ingest

    f = messy_calls(tmp_path)
    seen = []
    real_insert = pg_ingest._PostgresLoad.insert

    def watched(self):
        seen.append(self.direct)
        return real_insert(self)

    monkeypatch.setattr(pg_ingest._PostgresLoad, "insert", watched)
    with Store.open(tmp_path / "d.duckdb") as duck, open_store(postgres_url) as pg:
        # the empty table gets the rows by COPY itself; a second file is compared first
        assert counts(ingest_paths(pg, [f])) == counts(ingest_duckdb(duck, [f]))
        again = write_csv(tmp_path / "more.csv", calls(8))
        assert counts(ingest_paths(pg, [again])) == counts(ingest_duckdb(duck, [again]))
        assert seen == [True, False]
        pd.testing.assert_frame_equal(stored(pg, "calls"), stored(duck, "calls"))

    def broken(self):
        raise RuntimeError("disk full")

    with open_store(postgres_url) as pg:
        pg.pg.execute("TRUNCATE calls, load_log, quarantine")
        monkeypatch.setattr(pg_ingest._PostgresLoad, "insert", broken)
        with pytest.raises(RuntimeError):
            ingest_paths(pg, [f])
        assert pg.fetch("SELECT count(*) FROM calls") == [(0,)]
        assert pg.fetch("SELECT count(*) FROM load_log") == [(0,)]


def forcestat(*args: str, db: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from forcestat.cli import main; main()", *args, "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_several_processes_ingest_overlapping_files_at_once(postgres_url, tmp_path):
    """Four processes load files sharing half their calls: each call is stored once and
    every process's counts add up."""
    files = [write_csv(tmp_path / f"part{i}.csv", calls(400, start=200 * i)) for i in range(4)]
    with open_store(postgres_url):  # tables exist before the race
        pass
    procs = [forcestat("ingest", str(f), "--json", db=postgres_url) for f in files]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in outs]
    results = [json.loads(o) for o, _ in outs]
    assert all(r["read"] == r["loaded"] + r["skipped_duplicates"] for r in results)
    with open_store(postgres_url, read_only=True) as pg:
        ids = stored(pg, "calls").call_id
        assert ids.is_unique and len(ids) == 1000 == sum(r["loaded"] for r in results)
        assert len({r[0] for r in pg.fetch("SELECT load_id FROM load_log")}) == 4


def test_the_commands_work_on_a_postgres_url(postgres_url, tmp_path):
    f = messy_calls(tmp_path)
    p = forcestat("ingest", str(f), "--json", db=postgres_url)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert json.loads(out)["loaded"] == 3
    p = forcestat("measures", "--period", "2022-08", "-m", "calls_999_received",
                  "--format", "json", db=postgres_url)  # fmt: skip
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert json.loads(out)[0]["value"] == 2
    p = forcestat("quarantine", "--json", db=postgres_url)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0 and len(out.splitlines()) == 5, err


def test_an_unreachable_server_is_one_line_and_exit_2(tmp_path):
    p = forcestat("status", db="postgresql://fs:secret@127.0.0.1:1/none")
    _, err = p.communicate(timeout=120)
    assert p.returncode == 2
    assert "Traceback" not in err and "secret" not in err and "cannot open store" in err


def test_derived_columns_missing_from_an_older_store_are_added_and_filled(postgres_url, tmp_path):
    with open_store(postgres_url) as pg:
        ingest_paths(pg, [messy_calls(tmp_path)])
        want = stored(pg, "calls")
        pg.pg.execute("ALTER TABLE calls DROP COLUMN queue_us, DROP COLUMN month")
    with open_store(postgres_url) as pg:  # opening adds them back, computed in PostgreSQL
        got = stored(pg, "calls")[list(want.columns)]
        pd.testing.assert_frame_equal(got, want)


def test_an_optional_column_missing_from_an_older_store_is_added_empty(postgres_url, tmp_path):
    with open_store(postgres_url) as pg:
        ingest_paths(pg, [messy_calls(tmp_path)])
        pg.pg.execute("ALTER TABLE calls DROP COLUMN priority")
    with open_store(postgres_url) as pg:  # made before calls had a priority: added, empty
        got = stored(pg, "calls")
        assert "priority" in got.columns and got["priority"].isna().all() and len(got) > 0
