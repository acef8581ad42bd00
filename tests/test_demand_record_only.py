"""Every `forcestat demand` command on record-only data: a fresh store that holds calls and
nothing else (no staffing table rows, no chats). Each command works, inferring what it needs
from the calls and saying so, or stops with one clear line and exit code 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forcestat.demand.adapters import load_calls_into
from forcestat.demand.simulate import Dist, simulate_shared_pool
from forcestat.store import Store

FIX = Path(__file__).parent / "fixtures" / "demand"
START = pd.Timestamp("2022-10-03")  # a Monday, naive UTC
FIT, TEST = "2022-10-03..2022-10-09", "2022-10-10..2022-10-16"


@pytest.fixture(scope="module")
def calls_only_db(tmp_path_factory):
    """Two weeks of 999 and 101 calls from one pool (999 first), ingested as records."""
    hours = np.arange(24 * 14) % 24
    day = 10 + 40 * np.exp(-(((hours - 13) / 4.0) ** 2))
    res = simulate_shared_pool(
        {"999": day * 0.4, "101": day}, np.ceil(day * 1.4 * 200 / 3600) + 1,
        {"999": Dist.lognormal(200, 0.8), "101": Dist.lognormal(240, 0.8)},
        {"999": Dist.exponential(120), "101": Dist.exponential(400)},
        seed=11, start=START.to_pydatetime(),
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("record_only")
    db = str(folder / "calls.duckdb")
    with Store.open(db) as store:
        load_calls_into(store, res.to_calls(), folder)
        assert store.duck.execute("SELECT count(*) FROM staffing").fetchone() == (0,)
    return db


def _run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    from forcestat import cli

    monkeypatch.setattr(sys, "argv", ["forcestat", "demand", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as e:
        code = int(e.code or 0)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _works(monkeypatch, capsys, *args: str) -> tuple[dict | list, str]:
    code, out, err = _run(monkeypatch, capsys, *args, "--json")
    assert code == 0, (args, err)
    assert "Traceback" not in err
    return json.loads(out), err


def _refused(monkeypatch, capsys, *args: str) -> str:
    code, out, err = _run(monkeypatch, capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (args, err)
    return lines[0]


def test_every_demand_command_runs_on_calls_alone(calls_only_db, monkeypatch, capsys, tmp_path):
    db = ["--db", calls_only_db]
    works = lambda *a: _works(monkeypatch, capsys, *a, *db)  # noqa: E731

    est, _ = works("estimate", "-c", "999")
    assert est["calls"] > 1000
    staff, _ = works("staff")
    assert set(staff) == {"999", "101", "pooled"}
    # the roster's service: no staffing records, so the agents are inferred from the calls
    roster, _ = works("staff", "--roster")
    assert {"999", "101"} <= set(roster)
    for ch in ("999", "101"):
        assert 0 < roster[ch]["summary"]["expected_service_level_pct"] <= 100
    rota, _ = works("roster", "--time-limit", "5")
    assert rota["summary"]["paid_hours"] >= rota["summary"]["required_hours"] > 0
    fc, _ = works("forecast", "-c", "101", "--days", "7", "--staff-quantile", "90")
    assert len(fc["daily"]) == 7 and fc["staffing"]["peak_agents"] >= 1
    sim, _ = works("simulate", "-c", "101", "--days", "1")
    assert sim["received"] > 100
    surge, _ = works("whatif", "surge", "--day", "Fri", "--hours", "2", "--replications", "2")
    assert len(surge) >= 2
    on_date, err = works(
        "whatif", "surge", "--date", "2022-10-14", "--hours", "2", "--replications", "2"
    )
    assert len(on_date) >= 2 and "inferred from the calls" in err
    chat, _ = works("whatif", "chat", "--chats-per-hour", "20", "--aht", "400")
    assert len(chat) == 6
    # a what-if that reads a table the records do not have says so in one line
    assert "no chats" in _refused(monkeypatch, capsys, "whatif", "chat", "--from-store", *db)

    bt, err = works("backtest", "-c", "101", "--fit", FIT, "--test", TEST, "--model", "erlang_a")
    assert set(bt) == {"models", "baseline", "noise_floor"} and "inferred" in err
    inferred, _ = works("infer-staffing")
    assert inferred["channels"] == ["101", "999"] and inferred["ingest"][0]["loaded"] > 0
    # with the inferred records in the store the roster is read, not inferred again
    code, _, err = _run(monkeypatch, capsys, "staff", "--roster", "-c", "101", *db, "--json")
    assert code == 0 and "inferred" not in err

    hourly, _ = _works(monkeypatch, capsys, "check-hourly", str(FIX / "decc_phone_sample.csv"))
    assert hourly
    bank_db = str(tmp_path / "bank.duckdb")
    loaded, _ = _works(
        monkeypatch, capsys, "load-bank", str(FIX / "bank_sample.tsv"), "--db", bank_db
    )
    assert loaded[0]["loaded"] > 0


def test_a_store_with_one_channel_staffs_and_rosters_that_channel(
    calls_only_db, monkeypatch, capsys, tmp_path
):
    with Store.open(calls_only_db, read_only=True) as s:
        calls = s.duck.execute(
            "SELECT call_id, channel, arrived_at, answered_at, ended_at, agent_id FROM calls "
            "WHERE channel = '101'"
        ).df()
    db = str(tmp_path / "one.duckdb")
    with Store.open(db) as store:
        load_calls_into(store, calls, tmp_path)
    staff, _ = _works(monkeypatch, capsys, "staff", "--db", db)
    assert set(staff) == {"101"}
    rota, err = _works(monkeypatch, capsys, "roster", "--time-limit", "5", "--db", db)
    assert rota["summary"]["required_hours"] > 0 and "101 calls only" in err
    # a surge of 999 calls needs 999 calls
    assert "'999'" in _refused(monkeypatch, capsys, "whatif", "surge", "--db", db)


def test_an_empty_store_is_refused_in_one_line(monkeypatch, capsys, tmp_path):
    db = ["--db", str(tmp_path / "empty.duckdb")]
    Store.open(db[1]).close()
    for args in (
        ("estimate",),
        ("staff",),
        ("staff", "--roster"),
        ("roster",),
        ("forecast", "--days", "7"),
        ("simulate",),
        ("whatif", "surge"),
        ("whatif", "chat", "--from-store"),
        ("backtest", "--fit", FIT, "--test", TEST),
        ("infer-staffing",),
    ):
        _refused(monkeypatch, capsys, *args, *db)
