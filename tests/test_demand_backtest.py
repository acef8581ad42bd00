"""Back-test on forcestat's own synthetic records: fit one month, simulate the next with
its roster, compare the board's call measures."""

from __future__ import annotations

import json
import sys

import pytest

from forcestat.demand.validate import backtest


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory):
    synth = pytest.importorskip("forcestat.synth")
    out = tmp_path_factory.mktemp("synth")
    result = synth.generate(out, seed=3, scale=0.2, measure="none")
    files = [result.files[k] for k in ("calls", "staffing") if k in result.files]
    if len(files) < 2:
        pytest.skip("synth wrote no calls or staffing")
    return files


@pytest.fixture(scope="module")
def synth_store(synth_files):
    from forcestat.ingest import ingest_paths
    from forcestat.store import Store

    store = Store.open(":memory:")
    ingest_paths(store, synth_files)
    yield store
    store.close()


def test_999_next_month_is_predicted_from_the_last(synth_store):
    t = backtest(synth_store, "999", "2022-08", "2022-09", replications=3).set_index("measure")
    assert abs(t.loc["received", "error"]) < 0.2 * t.loc["received", "observed"]
    assert abs(t.loc["pct_not_answered", "error"]) < 2.0
    assert abs(t.loc["avg_talk_seconds", "error"]) < 0.1 * t.loc["avg_talk_seconds", "observed"]
    assert abs(t.loc["pct_answered_within", "error"]) < 10.0


def test_101_abandonment_follows_the_roster(synth_store):
    t = backtest(synth_store, "101", "2022-08", "2022-09", replications=3).set_index("measure")
    # a badly understaffed line: the model sees the roster, so it predicts the heavy
    # abandonment rather than the handful a 999-like line would have
    assert t.loc["pct_not_answered", "simulated"] > 20
    assert abs(t.loc["pct_not_answered", "error"]) < 8.0


def test_cli_backtest_scores_one_channel_per_weekday_hour(
    synth_files, tmp_path, monkeypatch, capsys
):
    from forcestat import cli
    from forcestat.ingest import ingest_paths
    from forcestat.store import Store

    db = tmp_path / "synth.duckdb"
    with Store.open(db) as store:
        ingest_paths(store, synth_files)
    monkeypatch.setattr(
        sys, "argv",
        ["forcestat", "demand", "backtest", "--db", str(db), "--fit", "2022-08",
         "--test", "2022-09", "-c", "999", "--model", "erlang_a", "--json"],
    )  # fmt: skip
    cli.main()
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"models", "baseline", "noise_floor"}
    assert data["models"][0]["model"] == "erlang_a"
    assert data["models"][0]["cells"] == data["baseline"]["cells"] > 0
