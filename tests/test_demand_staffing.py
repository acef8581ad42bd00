"""Staffing plans, roster service, the surge and chat what-ifs, and the CLI."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from forcestat.demand import erlang
from forcestat.demand.estimate import estimate
from forcestat.demand.params import ServiceTarget
from forcestat.demand.simulate import Dist, simulate_separate_pools
from forcestat.demand.staffing import roster_service, staff_week
from forcestat.demand.whatif import SurgeSpec, chat_operators, surge
from forcestat.errors import ParameterError

DAY = np.r_[np.full(7, 8.0), np.full(10, 60.0), np.full(7, 30.0)]


@pytest.fixture(scope="module")
def two_channels():
    """Three simulated weeks of 999 and 101 calls on separate pools."""
    res = simulate_separate_pools(
        {"999": np.tile(DAY, 21), "101": np.tile(DAY * 2, 21)},
        {"999": 6, "101": 8},
        {"999": Dist.lognormal(200, 0.7), "101": Dist.lognormal(300, 0.9)},
        {"999": Dist.exponential(90), "101": Dist.exponential(400)},
        seed=3,
    )
    return res.to_calls()


def test_week_plan_meets_the_999_standard_in_every_interval(two_channels):
    est = estimate(two_channels, "999", tz="UTC")
    plan = staff_week(est, model="erlang_c", shrinkage=0.3)
    t = plan.table
    assert len(t) == 168
    busy = t["calls_per_hour"] > 0
    assert (t.loc[busy, "service_level_pct"] >= 90).all()
    # one agent fewer would miss it wherever there are calls
    fewer = erlang.erlang_c(
        t.loc[busy, "calls_per_hour"], est.talk.mean_s, np.maximum(t.loc[busy, "agents"] - 1, 1), 10
    )
    assert (fewer.service_level[t.loc[busy, "agents"] > 1] < 0.9).all()
    assert (t["rostered"] == np.ceil(t["agents"] / 0.7 - 1e-9)).all()
    s = plan.summary()
    assert s["fte"] == pytest.approx(t["agents"].sum() / 0.7 / 37)
    assert s["target"] == "90% answered within 10 s"


def test_erlang_a_plans_need_no_more_agents_than_erlang_c(two_channels):
    est = estimate(two_channels, "101", tz="UTC")
    target = ServiceTarget("101", 80, 60)
    a = staff_week(est, target, model="erlang_a").table["agents"]
    c = staff_week(est, target, model="erlang_c").table["agents"]
    assert (a <= c).all() and (a < c).any()


def test_quarter_hour_plan_has_four_intervals_an_hour(two_channels):
    est = estimate(two_channels, "101", 15, tz="UTC")
    plan = staff_week(est)
    assert len(plan.table) == 672
    assert plan.agent_hours == pytest.approx(plan.table["agents"].sum() / 4)


def test_roster_service_shows_understaffed_hours(two_channels):
    est = estimate(two_channels, "101", tz="UTC")
    starts = pd.date_range("2022-10-03", periods=24, freq="h")
    roster = pd.DataFrame(
        {"interval_start": starts, "interval_minutes": 60, "channel": "101", "agents": 8.0}
    )
    roster.loc[12, "agents"] = 3.0
    out = roster_service(roster, est, tz="UTC")
    assert len(out) == 24
    assert out.loc[12, "pct_abandoned"] > out.loc[11, "pct_abandoned"]
    assert not out.loc[12, "meets_target"]


def test_surge_hurts_101_and_diversion_helps_it_while_filling_the_digital_queue():
    table = surge(
        {"999": [20.0] * 8, "101": [50.0] * 8}, 9,
        {"999": Dist.exponential(240), "101": Dist.exponential(300)},
        {"999": Dist.exponential(120), "101": Dist.exponential(400)},
        SurgeSpec(3, 6, factor=3.0, divert=0.4), digital_staff=1,
        digital_handling=Dist.exponential(900), replications=6, seed=1,
    ).set_index("scenario")  # fmt: skip
    normal, surged = table.loc["normal"], table.loc["surge"]
    diverted = table.loc["surge, 40% of 101 to digital"]
    assert surged["pct_101_not_answered"] > normal["pct_101_not_answered"] + 5
    assert diverted["pct_101_not_answered"] < surged["pct_101_not_answered"]
    # 999 keeps priority: it stays well served through the surge
    assert surged["pct_999_answered_within_10s"] > surged["pct_101_answered_within_10s"]
    assert diverted["digital_contacts"] > 0
    assert diverted["digital_backlog_max"] >= diverted["digital_backlog_end"] > 0
    assert normal["digital_contacts"] == 0
    assert "pct_101_not_answered_ci" in table.columns


def test_chat_operators_fall_with_concurrency_then_level_off():
    t = chat_operators(
        20, Dist.exponential(600), Dist.exponential(300), target_pct=80, within_s=60,
        concurrency=[1, 2, 4], slowdown=0.3, chats_per_run=4000,
    )  # fmt: skip
    ops = t["operators"].tolist()
    assert ops[0] > ops[1] >= ops[2]
    assert (t["pct_accepted_within"] >= 80 * (1 - t["pct_abandoned"] / 100) - 1e-9).all()
    assert t["avg_handling_s"].is_monotonic_increasing


def test_bad_whatif_parameters():
    with pytest.raises(ParameterError, match="divert"):
        SurgeSpec(1, 3, 2.0, divert=1.5)
    with pytest.raises(ParameterError, match="surge window"):
        SurgeSpec(5, 3, 2.0)
    with pytest.raises(ParameterError, match="target_pct"):
        ServiceTarget("101", 120, 10)


# --------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def cli_db(tmp_path_factory, two_channels):
    from forcestat.demand.adapters import load_calls_into
    from forcestat.store import Store

    d = tmp_path_factory.mktemp("cli")
    db = d / "demand.duckdb"
    with Store.open(db) as store:
        load_calls_into(store, two_channels, d)
    return str(db)


def run_cli(monkeypatch, capsys, *args):
    from forcestat import cli

    monkeypatch.setattr(sys, "argv", ["forcestat", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as e:
        code = int(e.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_estimate_json_and_chart(monkeypatch, capsys, cli_db, tmp_path):
    chart = tmp_path / "week.svg"
    code, out, _ = run_cli(
        monkeypatch, capsys, "demand", "estimate", "--db", cli_db, "-c", "101",
        "--tz", "UTC", "--json", "--chart", str(chart),
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["channel"] == "101" and len(data["rates"]) == 168
    assert chart.read_text().lstrip().startswith("<svg")


def test_cli_staff_table_names_fte(monkeypatch, capsys, cli_db):
    code, out, _ = run_cli(
        monkeypatch, capsys, "demand", "staff", "--db", cli_db, "--tz", "UTC", "--shrinkage", "25"
    )
    assert code == 0
    assert "999: peak" in out and "101: peak" in out and "FTE at 25% shrinkage" in out


def test_cli_simulate_and_whatifs(monkeypatch, capsys, cli_db):
    code, out, _ = run_cli(
        monkeypatch, capsys, "demand", "simulate", "--db", cli_db, "--tz", "UTC", "--days", "2",
        "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["received"] > 1000
    code, out, _ = run_cli(
        monkeypatch, capsys, "demand", "whatif", "surge", "--db", cli_db, "--tz", "UTC",
        "--day", "Mon", "--start", "9", "--hours", "2", "--factor", "3", "--divert", "30",
        "--replications", "3", "--json",
    )  # fmt: skip
    assert code == 0
    rows = json.loads(out)
    assert [r["scenario"] for r in rows][:2] == ["normal", "surge"]
    code, out, _ = run_cli(
        monkeypatch, capsys, "demand", "whatif", "chat", "--max-k", "2", "--chats-per-hour", "10"
    )
    assert code == 0 and "concurrency" in out


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["staff", "--target", "120"], "target_pct"),
        (["staff", "--shrinkage", "-5"], "shrinkage"),
        (["whatif", "surge", "--divert", "150"], "divert"),
        (["whatif", "chat", "--chats-per-hour", "-3"], "chats_per_hour"),
        (["simulate", "--agents", "0"], "agents"),
        (["simulate", "--talk", "weird"], "talk"),
        (["backtest", "--fit", "2022-13", "--test", "2022-10"], "2022-13"),
    ],
)
def test_cli_bad_parameters_exit_2_naming_the_parameter(monkeypatch, capsys, cli_db, args, name):
    extra = [] if args[:2] == ["whatif", "chat"] else ["--db", cli_db, "--tz", "UTC"]
    code, _, err = run_cli(monkeypatch, capsys, "demand", *args, *extra)
    assert code == 2
    assert name in err


def test_cli_check_hourly_reads_line_statistics(monkeypatch, capsys):
    from pathlib import Path

    sample = Path(__file__).parent / "fixtures" / "demand" / "decc_phone_sample.csv"
    code, out, _ = run_cli(monkeypatch, capsys, "demand", "check-hourly", str(sample), "--json")
    assert code == 0
    rows = json.loads(out)
    adm9 = next(r for r in rows if r["channel"] == "101" and r["hour"] == 9)
    assert adm9["pct_answered_within_10s"] == pytest.approx(75.0)
    assert adm9["shortfall_pct"] == pytest.approx(15.0)
    assert adm9["advised_agents"] >= 1


def test_cli_chat_from_store_uses_the_chats_table(monkeypatch, capsys, tmp_path):
    from forcestat.demand.simulate import chats_table, simulate_chat
    from forcestat.ingest import ingest_paths
    from forcestat.store import Store

    chats = chats_table(
        simulate_chat([6.0] * 24 * 7, 2, Dist.exponential(500), Dist.exponential(600), seed=1)
    )
    f = tmp_path / "chats.csv"
    for c in ("requested_at", "accepted_at", "ended_at"):
        chats[c] = chats[c].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    chats.to_csv(f, index=False)
    db = tmp_path / "chats.duckdb"
    with Store.open(db) as store:
        ingest_paths(store, [f], kind="chats")
    code, out, _ = run_cli(
        monkeypatch, capsys, "demand", "whatif", "chat", "--db", str(db), "--from-store",
        "--max-k", "2",
    )  # fmt: skip
    assert code == 0
    assert "busiest hour" in out
    assert "concurrency" in out


def test_one_pool_taking_both_channels_needs_fewer_hours_than_two_apart():
    from forcestat.demand.simulate import simulate_shared_pool
    from forcestat.demand.staffing import pooled_week

    rates = {"999": np.full(24 * 21, 60.0), "101": np.full(24 * 21, 40.0)}
    dists = {"999": Dist.exponential(240), "101": Dist.exponential(240)}
    never = {"999": Dist.never(), "101": Dist.never()}
    calls = simulate_shared_pool(rates, 12, dists, never, seed=1).to_calls()
    est = {ch: estimate(calls, ch, tz="UTC") for ch in ("999", "101")}
    pooled = pooled_week(est, shrinkage=0.3)
    apart = sum(staff_week(est[ch], model="erlang_c").agent_hours for ch in est)
    assert pooled.agent_hours < apart
    # the priority formula against the simulator at the plan's median headcount
    n = int(np.median(pooled.table["agents"]))
    row = pooled.table[pooled.table["agents"] == n].iloc[0]
    check = simulate_shared_pool(
        {"999": np.full(24 * 40, row["calls_per_hour_999"]),
         "101": np.full(24 * 40, row["calls_per_hour_101"])},
        n, dists, never, seed=2,
    )  # fmt: skip
    sim_999 = check.summary("999", within_s=10)["pct_answered_within"]
    sim_101 = check.summary("101", within_s=60)["pct_answered_within"]
    assert sim_999 == pytest.approx(row["service_level_pct"], abs=2.5)
    assert sim_101 == pytest.approx(row["service_level_101_pct"], abs=4.0)
    assert sim_999 >= 88 and sim_101 >= 77


def test_cli_roster_writes_rota_chart_and_fte(monkeypatch, capsys, cli_db, tmp_path):
    chart = tmp_path / "rota.svg"
    code, out, _ = run_cli(
        monkeypatch, capsys, "demand", "roster", "--db", cli_db, "--tz", "UTC", "--json",
        "--time-limit", "3", "--chart", str(chart),
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["summary"]["intervals_short"] == 0 and data["summary"]["fte"] > 0
    assert {s["hours"] for s in data["shifts"]} <= {8.0, 10.0, 12.0}
    assert len(data["coverage"]) == 336
    assert chart.read_text().lstrip().startswith("<svg")
    code, out, _ = run_cli(
        monkeypatch, capsys, "demand", "roster", "--db", cli_db, "--tz", "UTC", "-c", "999",
        "--shift-hours", "8", "--time-limit", "3",
    )  # fmt: skip
    assert code == 0 and "FTE at 30% shrinkage" in out


def test_cli_staff_both_channels_shows_the_pool(monkeypatch, capsys, cli_db):
    code, out, _ = run_cli(monkeypatch, capsys, "demand", "staff", "--db", cli_db, "--tz", "UTC")
    assert code == 0 and "pooled (999 first)" in out and "staffed apart" in out


def _hand_made_chats(slowdown: float, seed: int = 0) -> pd.DataFrame:
    """One operator's chats, each stretched by the chats open when it was accepted."""
    rng = np.random.default_rng(seed)
    rows, t, open_ends = [], 0.0, []
    for i in range(4000):
        t += rng.exponential(200.0)
        open_ends = [e for e in open_ends if e > t]
        if len(open_ends) >= 3:
            continue
        m = len(open_ends) + 1
        end = t + rng.exponential(300.0) * (1 + slowdown * (m - 1))
        open_ends.append(end)
        rows.append((f"C{i}", t, end))
    base = pd.Timestamp("2022-10-03")
    return pd.DataFrame(
        {
            "call_id": [r[0] for r in rows],
            "channel": "chat",
            "arrived_at": [base + pd.Timedelta(seconds=r[1]) for r in rows],
            "answered_at": [base + pd.Timedelta(seconds=r[1]) for r in rows],
            "ended_at": [base + pd.Timedelta(seconds=r[2]) for r in rows],
            "agent_id": "OP1",
        }
    )


@pytest.mark.parametrize("true_slowdown", [0.0, 0.3, 0.6])
def test_chat_slowdown_is_estimated_from_overlapping_chats(true_slowdown):
    from forcestat.demand.estimate import chat_slowdown

    s = chat_slowdown(_hand_made_chats(true_slowdown))
    assert s.slowdown == pytest.approx(true_slowdown, abs=0.1)
    # the handling of a chat held alone, not the observed mean that includes concurrency
    assert s.handling_alone_s == pytest.approx(300.0, rel=0.1)
    if true_slowdown > 0:
        assert s.observed_handling_s > 1.1 * s.handling_alone_s
    assert 1.0 < s.mean_concurrency < 3.0


def test_surge_across_midnight_with_redials_and_recovery(two_channels):
    from forcestat.demand.whatif import surge_day

    est = {ch: estimate(two_channels, ch, tz="UTC") for ch in ("999", "101")}
    kw = dict(replications=3, seed=2, recovery_intervals=2)
    plain = surge_day(est, "Sun", 22, 4, 3.0, agents=9, **kw).set_index("scenario")
    hourly: list[pd.DataFrame] = []
    again = surge_day(est, "Sun", 22, 4, 3.0, agents=9, redial=0.5, hourly=hourly, **kw)
    again = again.set_index("scenario")
    # a window from Sunday 22:00 into Monday is simulated, and its aftermath reported
    assert "after_pct_999_answered_within_10s" in plain.columns
    assert plain.loc["surge", "calls_999"] > 2 * plain.loc["normal", "calls_999"]
    # callers who give up and call back add load: more 101 calls in the window
    assert again.loc["surge", "calls_101"] >= plain.loc["surge", "calls_101"]
    assert {h["scenario"].iloc[0] for h in hourly} == {"normal", "surge"}
    assert len(hourly[0]) == 48


def test_surge_pool_from_staffing_records():
    from forcestat.demand.whatif import roster_agents

    starts = pd.date_range("2022-10-14 00:00", periods=48, freq="30min")
    roster = pd.DataFrame(
        {
            "interval_start": np.repeat(starts, 2),
            "interval_minutes": 30,
            "channel": ["999", "101"] * 48,
            "agents": 3.0,
        }
    )
    a = roster_agents(roster, "2022-10-14", tz="UTC")
    assert a.shape == (48,)
    # both channels' records on each half hour: 3 + 3 at every instant of the first day
    assert a[:24] == pytest.approx(6.0)
    assert a[24:] == pytest.approx(0.0)
    with pytest.raises(ParameterError, match="no 999 or 101 agents"):
        roster_agents(roster, "2022-11-01", tz="UTC")
