"""The simulator: agreement with Erlang A and ciw, priorities, staffing changes, chat,
determinism, and call records that ingest and measure like real ones."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forcestat.demand import erlang
from forcestat.demand.simulate import (
    Dist,
    chats_table,
    simulate_chat,
    simulate_pool,
    simulate_separate_pools,
    simulate_shared_pool,
)
from forcestat.errors import ParameterError


def batch_means(res, hours, within_s=20.0, batches=20):
    """Per-batch abandonment, mean wait of answered and share answered in time, from
    consecutive blocks of the run (batch means make the CI honest despite correlation)."""
    edges = np.linspace(0, hours * 3600, batches + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (res.arrived >= lo) & (res.arrived < hi)
        ans = res.answered[sel]
        ok = ~np.isnan(ans)
        wait = ans[ok] - res.arrived[sel][ok]
        out.append((1 - ok.mean(), wait.mean(), ((wait < within_s).sum()) / sel.sum()))
    a = np.array(out)
    return a.mean(axis=0), 1.96 * a.std(axis=0, ddof=1) / math.sqrt(batches)


def test_simulated_abandonment_and_waits_agree_with_erlang_a_within_ci():
    hours = 800
    res = simulate_pool([200.0] * hours, 14, Dist.exponential(180), Dist.exponential(300), seed=4)
    mean, half = batch_means(res, hours)
    m = erlang.erlang_a(200, 180, 300, 14, 20)
    for sim, model, h in zip(
        mean, (m.p_abandon[0], m.asa_s[0], m.answered_within_share[0]), half, strict=True
    ):
        assert abs(sim - model) < max(h, 1e-3) * 1.5, (sim, model, h)


def test_simulator_agrees_with_ciw_on_the_same_mmc_plus_m_queue():
    ciw = pytest.importorskip("ciw")
    lam, aht, pat, c, hours = 40.0, 460.0, 300.0, 4, 24 * 14
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(lam / 3600)],
        service_distributions=[ciw.dists.Exponential(1 / aht)],
        number_of_servers=[c],
        reneging_time_distributions=[ciw.dists.Exponential(1 / pat)],
    )
    ciw.seed(11)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(hours * 3600)
    recs = sim.get_all_records()
    ciw_ab = np.array([r.record_type == "renege" for r in recs])
    ciw_wait = np.array([r.waiting_time for r in recs if r.record_type == "service"])
    ours = simulate_pool([lam] * hours, c, Dist.exponential(aht), Dist.exponential(pat), seed=5)
    ok = ~np.isnan(ours.answered)
    our_wait = ours.answered[ok] - ours.arrived[ok]
    # two independent runs of ~13,000 calls: compare with a two-sample bound on the
    # difference, widened for the correlation between successive callers
    n1, n2 = ciw_ab.size, ours.arrived.size
    p1, p2 = ciw_ab.mean(), 1 - ok.mean()
    se_p = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    assert abs(p1 - p2) < 4 * 3 * se_p
    se_w = math.sqrt(ciw_wait.var() / ciw_wait.size + our_wait.var() / our_wait.size)
    assert abs(ciw_wait.mean() - our_wait.mean()) < 4 * 3 * se_w
    # and both near the exact answer
    m = erlang.erlang_a(lam, aht, pat, c, 10)
    assert p1 == pytest.approx(m.p_abandon[0], abs=0.03)
    assert p2 == pytest.approx(m.p_abandon[0], abs=0.03)


def test_same_seed_same_calls_and_different_seed_different_calls():
    args = ([90.0] * 48, 4, Dist.lognormal(200, 0.8), Dist.exponential(240))
    a, b = simulate_pool(*args, seed=7), simulate_pool(*args, seed=7)
    c = simulate_pool(*args, seed=8)
    assert np.array_equal(a.arrived, b.arrived)
    assert np.array_equal(a.answered, b.answered, equal_nan=True)
    assert not np.array_equal(a.arrived[:50], c.arrived[:50])


def test_arrival_counts_follow_the_interval_rates():
    rates = [0.0, 600.0, 60.0, 0.0] * 30
    res = simulate_pool(rates, 100, Dist.exponential(10), Dist.never(), seed=1)
    hour = (res.arrived // 3600).astype(int)
    counts = np.bincount(hour, minlength=len(rates))
    per_phase = [counts[i::4].mean() for i in range(4)]
    assert per_phase[0] == 0 and per_phase[3] == 0
    assert per_phase[1] == pytest.approx(600, rel=0.03)
    assert per_phase[2] == pytest.approx(60, rel=0.08)


def test_lognormal_and_empirical_handling_times_have_the_right_mean():
    ln = simulate_pool([300.0] * 100, 200, Dist.lognormal(150, 1.0), Dist.never(), seed=2)
    emp = simulate_pool([300.0] * 100, 200, Dist.empirical([30, 60, 90]), Dist.never(), seed=2)
    assert ln.summary()["avg_talk_seconds"] == pytest.approx(150, rel=0.03)
    talks = np.unique(np.round(emp.ended - emp.answered))
    assert set(talks) == {30, 60, 90}


def test_more_staff_in_an_interval_cuts_waiting_in_that_interval():
    rates = [150.0] * 48
    flat = simulate_pool(rates, [10] * 48, Dist.exponential(200), Dist.exponential(300), seed=3)
    boosted_staff = [10] * 24 + [14] * 24
    boosted = simulate_pool(
        rates, boosted_staff, Dist.exponential(200), Dist.exponential(300), seed=3
    )

    def late_abandon(r):
        sel = r.arrived >= 26 * 3600
        return np.isnan(r.answered[sel]).mean()

    assert late_abandon(boosted) < late_abandon(flat) / 2
    # agents beyond the staffing of the interval are never used
    early = boosted.answered < 24 * 3600
    assert boosted.agent[early].max() == 9


def test_staff_going_off_duty_finish_their_call_but_take_no_new_ones():
    res = simulate_pool([100.0, 100.0], [5, 1], Dist.exponential(120), Dist.never(), seed=9)
    second = res.answered >= 3600
    assert set(res.agent[second]) == {0}


def test_999_answered_before_101_on_a_shared_pool():
    rates = {"999": [100.0] * 200, "101": [100.0] * 200}
    res = simulate_shared_pool(
        rates, 14,
        {"999": Dist.exponential(180), "101": Dist.exponential(180)},
        {"999": Dist.exponential(300), "101": Dist.exponential(300)}, seed=1,
    )  # fmt: skip
    s999, s101 = res.summary("999"), res.summary("101")
    assert s999["avg_queue_seconds"] < s101["avg_queue_seconds"] / 1.5
    assert s999["pct_not_answered"] < s101["pct_not_answered"]
    # the pool as a whole behaves like one Erlang A queue with the combined load
    m = erlang.erlang_a(200, 180, 300, 14, 10)
    assert 1 - np.mean(~np.isnan(res.answered)) == pytest.approx(m.p_abandon[0], abs=0.004)


def test_shared_pool_with_one_class_equals_the_fcfs_pool_call_for_call():
    dist = {"999": Dist.exponential(100), "101": Dist.exponential(200)}
    pat = {"999": Dist.exponential(60), "101": Dist.exponential(250)}
    shared = simulate_shared_pool(
        {"999": [0.0] * 24, "101": [120.0] * 24}, [3] * 12 + [6] * 12, dist, pat, seed=5
    )
    alone = simulate_pool([120.0] * 24, [3] * 12 + [6] * 12, dist["101"], pat["101"], seed=5)
    # same random stream, two different algorithms (event-driven vs arrival-order heap).
    # (When staffing falls they may differ: which agents stay on depends on who took which
    # call before, and the two pick agents differently; both are valid.)
    assert np.allclose(shared.arrived, alone.arrived)
    assert np.array_equal(np.isnan(shared.answered), np.isnan(alone.answered))
    assert np.allclose(np.nan_to_num(shared.answered), np.nan_to_num(alone.answered))


def test_separate_pools_keep_channels_and_agents_apart():
    res = simulate_separate_pools(
        {"999": [50.0] * 24, "101": [80.0] * 24}, {"999": 3, "101": 4},
        {"999": Dist.exponential(120), "101": Dist.exponential(200)},
        {"999": Dist.exponential(60), "101": Dist.exponential(300)}, seed=2,
    )  # fmt: skip
    assert np.all(np.diff(res.arrived) >= 0)
    a999 = set(res.agent[(res.channel == "999") & (res.agent >= 0)])
    a101 = set(res.agent[(res.channel == "101") & (res.agent >= 0)])
    assert a999 and a101 and not (a999 & a101)


def test_chat_concurrency_slows_each_chat_and_saves_operators():
    common = ([40.0] * 100, Dist.exponential(600), Dist.exponential(600))
    one = simulate_chat(common[0], 4, *common[1:], concurrency=1, seed=3)
    three = simulate_chat(common[0], 4, *common[1:], concurrency=3, slowdown=0.5, seed=3)
    assert three.summary()["avg_talk_seconds"] > one.summary()["avg_talk_seconds"] * 1.2
    assert three.summary()["avg_queue_seconds"] < one.summary()["avg_queue_seconds"]
    # no operator ever holds more than k chats at once
    events = []
    for s, e, o in zip(three.answered, three.ended, three.agent, strict=True):
        if o >= 0:
            events += [(s, 1, o), (e, -1, o)]
    load: dict[int, int] = {}
    for _, d, o in sorted(events, key=lambda x: (x[0], x[1])):
        load[o] = load.get(o, 0) + d
        assert load[o] <= 3
    t = chats_table(three)
    assert list(t.columns) == ["chat_id", "requested_at", "accepted_at", "ended_at", "operator_id"]


def test_records_are_in_the_calls_schema_and_ingest_cleanly(store, tmp_path):
    from forcestat.demand.adapters import load_calls_into
    from forcestat.schema import get_kind

    res = simulate_pool([60.0] * 24, 2, Dist.exponential(200), Dist.exponential(120), seed=1)
    calls = res.to_calls()
    assert list(calls.columns) == list(get_kind("calls").column_names)
    assert calls["arrived_at"].dtype == "datetime64[ns]"
    assert (calls["answered_at"].isna() == np.isnan(res.answered)).all()
    [loaded] = load_calls_into(store, calls, tmp_path)
    assert loaded.loaded == len(calls) and loaded.quarantined == 0
    back = store.duck.execute(
        "SELECT count(*), count(answered_at), avg(epoch(answered_at) - epoch(arrived_at)) "
        "FROM calls WHERE channel = '101'"
    ).fetchone()
    s = res.summary()
    assert back[0] == s["received"] and back[1] == s["answered"]
    assert back[2] == pytest.approx(s["avg_queue_seconds"], abs=1e-3)


def test_simulated_calls_measure_like_real_ones(store, tmp_path):
    measures = pytest.importorskip("forcestat.measures")
    from forcestat.demand.adapters import load_calls_into

    res = simulate_pool([60.0] * 24 * 3, 2, Dist.exponential(200), Dist.exponential(120), seed=1)
    load_calls_into(store, res.to_calls(), tmp_path)
    df = measures.evaluate(store, ["calls_101_pct_not_answered"], "2022-10", comparisons=False)
    assert df["value"].iloc[0] == pytest.approx(res.summary()["pct_not_answered"], abs=0.01)


def test_bad_simulation_parameters_are_refused():
    with pytest.raises(ParameterError, match="calls_per_hour"):
        simulate_pool([-1.0], 3, Dist.exponential(100), Dist.never())
    with pytest.raises(ParameterError, match="agents"):
        simulate_pool([10.0] * 3, [1, 2], Dist.exponential(100), Dist.never())
    with pytest.raises(ParameterError, match="mean"):
        Dist.exponential(0)
    with pytest.raises(ParameterError, match="concurrency"):
        simulate_chat([10.0], 1, Dist.exponential(100), Dist.never(), concurrency=0)


def test_to_calls_keeps_sub_second_times():
    res = simulate_pool([30.0] * 2, 1, Dist.exponential(50), Dist.never(), seed=0)
    calls = res.to_calls()
    secs = (calls["arrived_at"] - pd.Timestamp("2022-10-03")).dt.total_seconds().to_numpy()
    assert np.allclose(secs, res.arrived, atol=1e-6)


def test_chat_slowdown_can_be_a_list_of_factors():
    common = ([40.0] * 50, 3, Dist.exponential(300), Dist.never())
    linear = simulate_chat(*common, concurrency=3, slowdown=0.5, seed=4)
    listed = simulate_chat(*common, concurrency=3, slowdown=[1.0, 1.5, 2.0], seed=4)
    assert np.allclose(linear.ended, listed.ended)
    flat = simulate_chat(*common, concurrency=3, slowdown=[1.0, 1.0, 1.0], seed=4)
    assert flat.summary()["avg_talk_seconds"] == pytest.approx(300, rel=0.05)
    with pytest.raises(ParameterError, match="slowdown"):
        simulate_chat(*common, concurrency=3, slowdown=[1.0, 1.2])
