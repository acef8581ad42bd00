"""Monthly rollups answer exactly what the records do, for the force and for a district, and
ingest keeps them in step inside its transaction."""

from __future__ import annotations

import pandas as pd
import pytest

import webtest
from forcestat.errors import ForcestatError
from forcestat.ingest import ingest_paths
from forcestat.measures import CATALOGUE, Engine, evaluate, rollup
from forcestat.web.figures import DistrictBackend

PERIOD = "2022-08..2022-10"
KEYS = [m.key for m in CATALOGUE.values() if m.additive]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = webtest.build_store(tmp_path_factory.mktemp("rollup") / "r.duckdb")
    rollup.build(s)
    yield s
    s.close()


def _both(store, district=None):
    con = DistrictBackend(store.ibis, district) if district else store
    raw = evaluate(con, KEYS, PERIOD, "month")
    eng = Engine(con, CATALOGUE, rollups=rollup.Rollups(store, district))
    rolled = evaluate(con, KEYS, PERIOD, "month", engine=eng)
    return raw, rolled, eng


@pytest.mark.parametrize("district", [None, "Maidstone"])
def test_rollups_give_the_records_figures(store, district):
    raw, rolled, eng = _both(store, district)
    pd.testing.assert_frame_equal(raw, rolled, check_dtype=False)
    # only sources that are not one stored table (joins, months from another column) query,
    # besides a count of a source's records when it has none in the period (None, not 0)
    not_rolled = [
        g for g in eng.groups.values() if rollup.table_name(g) not in rolled_tables(store)
    ]
    assert eng.queries - eng.row_checks == len(not_rolled) < len(eng.groups)


def rolled_tables(store) -> set[str]:
    return set(rollup.Rollups(store).columns)


def test_ingest_keeps_rollups_in_step(store, tmp_path):
    f = tmp_path / "calls.csv"
    f.write_text(
        "call_id,channel,arrived_at,answered_at,ended_at,district\n"
        "RU-1,101,2022-09-05T10:00:00,2022-09-05T10:01:00,2022-09-05T10:05:00,Maidstone\n"
        "RU-2,101,2022-09-05T11:00:00,,2022-09-05T11:02:00,Maidstone\n",
        "utf-8",
    )
    ingest_paths(store, [f])
    raw, rolled, _ = _both(store, "Maidstone")
    pd.testing.assert_frame_equal(raw, rolled, check_dtype=False)


def test_a_failed_load_leaves_rollups_as_they_were(store, tmp_path, monkeypatch):
    f = tmp_path / "calls2.csv"
    f.write_text(
        "call_id,channel,arrived_at,answered_at,ended_at\n"
        "RF-1,999,2022-09-06T10:00:00,2022-09-06T10:00:03,2022-09-06T10:03:00\n",
        "utf-8",
    )
    snapshot = store.duck.execute('SELECT * FROM "rollup_calls__channel" ORDER BY ALL').df()

    def boom(*a, **k):
        raise ForcestatError("disk full (simulated)")

    monkeypatch.setattr(rollup, "build", boom)
    with pytest.raises(ForcestatError):
        ingest_paths(store, [f])
    after = store.duck.execute('SELECT * FROM "rollup_calls__channel" ORDER BY ALL').df()
    pd.testing.assert_frame_equal(snapshot, after)
    assert (
        store.duck.execute("SELECT count(*) FROM calls WHERE call_id = 'RF-1'").fetchone()[0] == 0
    )


def test_ingest_looks_for_rollups_by_their_prefix():
    # ingest imports forcestat.measures (seconds, for SciPy) only when such tables exist
    from forcestat.ingest import load

    assert load.ROLLUP_PREFIX == rollup.PREFIX
