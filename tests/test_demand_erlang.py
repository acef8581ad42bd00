"""Erlang B, C and A: textbook formulas, pyworkforce, an exact Markov-chain solution."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from forcestat.demand import erlang
from forcestat.errors import ParameterError


def textbook_erlang_c(load: int, agents: int) -> float:
    """P(wait) from the textbook sum of A^k/k!, in exact rational arithmetic."""
    a, n = Fraction(load), agents
    top = a**n / math.factorial(n) * Fraction(n, 1) / (n - a)
    bottom = sum(a**k / math.factorial(k) for k in range(n)) + top
    return float(top / bottom)


@pytest.mark.parametrize(("load", "agents"), [(2, 3), (10, 11), (10, 12), (10, 15), (50, 55)])
def test_erlang_c_wait_probability_matches_the_textbook_formula(load, agents):
    m = erlang.erlang_c(load * 3600 / 180, 180, agents)
    assert m.p_wait[0] == pytest.approx(textbook_erlang_c(load, agents), rel=1e-12)


@pytest.mark.parametrize(("agents", "published"), [(11, 0.6821), (12, 0.4494), (13, 0.2853)])
def test_erlang_c_matches_published_table_values_for_10_erlangs(agents, published):
    # Erlang C tables: probability of waiting with an offered load of 10 Erlangs
    assert erlang.erlang_c(200, 180, agents).p_wait[0] == pytest.approx(published, abs=5e-5)


def test_worked_example_100_calls_in_30_minutes_needs_14_agents_and_20_with_shrinkage():
    # 100 calls per half hour, 3-minute handling, 80% answered within 20 s
    from forcestat.demand.params import ServiceTarget
    from forcestat.demand.staffing import required_agents

    n = required_agents([200.0], 180, ServiceTarget("101", 80, 20))
    assert int(n[0]) == 14
    assert math.ceil(14 / (1 - 0.3)) == 20
    m = erlang.erlang_c(200, 180, [13, 14], answer_within_s=20)
    assert m.service_level[0] < 0.8 <= m.service_level[1]


def test_matches_pyworkforce_on_the_same_example():
    from pyworkforce.queuing import ErlangC

    pw = ErlangC(transactions=100, aht=3, asa=20 / 60, interval=30, shrinkage=0.3)
    req = pw.required_positions(service_level=0.8, max_occupancy=0.85)
    ours = erlang.agents_needed(200, 180, 0.8, 20, max_occupancy=0.85)
    assert int(ours[0]) == req["raw_positions"] == 14
    assert math.ceil(ours[0] / 0.7) == req["positions"] == 20
    for n in (11, 14, 18):
        m = erlang.erlang_c(200, 180, n, answer_within_s=20)
        assert m.p_wait[0] == pytest.approx(pw.waiting_probability(n), rel=1e-9)
        assert m.service_level[0] == pytest.approx(pw.service_level(n), rel=1e-9)


def test_gives_the_minimum_where_pyworkforce_overstaffs_by_one():
    from pyworkforce.queuing import ErlangC

    # load 10.6 Erlangs: floor(A) + 1 = 11 already meets a lax target; pyworkforce starts its
    # search at round(A + 1) = 12
    pw = ErlangC(transactions=106, aht=3, asa=20 / 60, interval=30)
    assert pw.service_level(11) >= 0.10
    theirs = pw.required_positions(service_level=0.10)["raw_positions"]
    ours = int(erlang.agents_needed(212, 180, 0.10, 20)[0])
    assert ours == 11
    assert theirs == ours + 1


def test_minimum_agents_is_minimal_and_sufficient_over_many_loads():
    rates = np.linspace(1, 3000, 60)
    n = erlang.agents_needed(rates, 240, 0.9, 10)
    ok = erlang.erlang_c(rates, 240, n, 10).service_level
    short = erlang.erlang_c(rates, 240, np.maximum(n - 1, 1), 10).service_level
    assert (ok >= 0.9).all()
    assert (short[n - 1 > rates * 240 / 3600] < 0.9).all()


def test_stable_at_2000_agents_and_1500_erlangs():
    load = 1500.0
    rate = load * 3600 / 180
    c = erlang.erlang_c(rate, 180, [1501, 1550, 2000], 10)
    a = erlang.erlang_a(rate, 180, 300, [1400, 1500, 2000], 10)
    for m in (c, a):
        for v in (m.p_wait, m.service_level, m.asa_s, m.p_abandon):
            assert np.isfinite(v).all()
    assert c.p_wait[0] > c.p_wait[1] > c.p_wait[2] >= 0
    assert c.p_wait[2] < 1e-30
    # overloaded Erlang A: the excess load abandons, about 1 - n / A
    assert a.p_abandon[0] == pytest.approx(1 - 1400 / 1500, abs=0.01)
    b = erlang.erlang_b([1500.0], [2000])
    assert 0 <= b[0] < 1e-30
    n = erlang.agents_needed(rate, 180, 0.9, 10)
    assert 1500 < n[0] < 1600


def ctmc_erlang_a(lam, mu, theta, n, t, depth=400):
    """M/M/n+M solved as a truncated birth-death chain; the tagged caller's progress through
    the queue as a small absorbing chain (served / abandoned)."""
    w = np.ones(n + depth + 1)
    for k in range(1, w.size):
        w[k] = w[k - 1] * lam / (min(k, n) * mu + max(k - n, 0) * theta)
    pi = w / w.sum()
    r = np.array([n * mu + (i + 1) * theta for i in range(depth)])
    q = np.array([(n * mu + i * theta) / r[i] for i in range(depth)])
    p, m = np.zeros(depth), np.zeros(depth)
    for i in range(depth):
        p[i] = q[i] * (1.0 if i == 0 else p[i - 1])
        m[i] = p[i] / r[i] + q[i] * (0.0 if i == 0 else m[i - 1])
    g = np.zeros((depth + 2, depth + 2))
    for i in range(depth):
        g[i, depth if i == 0 else i - 1] = n * mu + i * theta
        g[i, depth + 1] = theta
        g[i, i] = -r[i]
    in_time = expm(g * t)[:depth, depth]
    queue = pi[n : n + depth]
    p_ab = float((queue * (1 - p)).sum())
    return {
        "p_wait": float(pi[n:].sum()),
        "p_abandon": p_ab,
        "within": float(pi[:n].sum() + (queue * in_time).sum()),
        "asa": float((queue * m).sum() / (1 - p_ab)),
    }


@pytest.mark.parametrize(
    ("calls_per_hour", "aht", "patience", "agents", "t"),
    [
        (200, 180, 300, 14, 20),
        (300, 180, 120, 12, 10),
        (50, 240, 60, 2, 15),
        (1000, 200, 400, 40, 30),
    ],
)
def test_erlang_a_equals_the_exact_markov_chain(calls_per_hour, aht, patience, agents, t):
    ref = ctmc_erlang_a(calls_per_hour / 3600, 1 / aht, 1 / patience, agents, t)
    m = erlang.erlang_a(calls_per_hour, aht, patience, agents, t)
    assert m.p_wait[0] == pytest.approx(ref["p_wait"], rel=1e-9)
    assert m.p_abandon[0] == pytest.approx(ref["p_abandon"], rel=1e-9)
    assert m.answered_within_share[0] == pytest.approx(ref["within"], rel=1e-9)
    assert m.asa_s[0] == pytest.approx(ref["asa"], rel=1e-6)


def test_erlang_a_approaches_erlang_c_as_patience_grows():
    c = erlang.erlang_c(200, 180, 13, 20)
    a = erlang.erlang_a(200, 180, 1e7, 13, 20)
    assert a.p_wait[0] == pytest.approx(c.p_wait[0], rel=1e-3)
    assert a.service_level[0] == pytest.approx(c.service_level[0], rel=1e-3)


def test_erlang_a_staffing_meets_target_with_one_fewer_missing_it():
    rates = np.array([30.0, 120.0, 400.0, 900.0])
    n = erlang.agents_needed(rates, 200, 0.9, 10, patience_s=180)
    ok = erlang.erlang_a(rates, 200, 180, n, 10).answered_within_share
    short = erlang.erlang_a(rates, 200, 180, n - 1, 10).answered_within_share
    assert (ok >= 0.9).all() and (short < 0.9).all()


def test_vectorised_results_equal_one_interval_at_a_time():
    rates = np.array([0.0, 10.0, 250.0, 800.0])
    agents = np.array([0.0, 2.0, 15.0, 45.0])
    many = erlang.erlang_a(rates, 210, 240, agents, 10)
    for i in range(rates.size):
        one = erlang.erlang_a(rates[i], 210, 240, agents[i], 10)
        assert one.p_abandon[0] == many.p_abandon[i]
        assert one.service_level[0] == many.service_level[i]
    assert many.service_level[0] == 1.0  # no calls, nothing late


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: erlang.erlang_c(-5, 180, 3), "calls_per_hour"),
        (lambda: erlang.erlang_c(100, 0, 3), "aht_s"),
        (lambda: erlang.erlang_c(100, 180, 0), "agents"),
        (lambda: erlang.erlang_a(100, 180, -1, 3), "patience_s"),
        (lambda: erlang.agents_needed(100, 180, 1.2, 10), "target"),
        (lambda: erlang.agents_needed(100, 180, 0.8, 10, max_occupancy=1.5), "max_occupancy"),
    ],
)
def test_bad_parameters_name_the_parameter(call, name):
    with pytest.raises(ParameterError, match=name):
        call()


# --------------------------------------------------------------------------- properties

rates = st.floats(min_value=1.0, max_value=20_000.0)
ahts = st.floats(min_value=30.0, max_value=900.0)
patiences = st.floats(min_value=10.0, max_value=3_000.0)
targets = st.floats(min_value=0.05, max_value=0.99)
thresholds = st.floats(min_value=0.0, max_value=120.0)


@settings(max_examples=60, deadline=None)
@given(rates, ahts, targets, thresholds)
def test_property_erlang_c_minimum_meets_target_and_one_fewer_does_not(rate, aht, target, t):
    n = int(erlang.agents_needed(rate, aht, target, t)[0])
    load = rate * aht / 3600
    assert n >= math.floor(load) + 1
    assert erlang.erlang_c(rate, aht, n, t).service_level[0] >= target
    if n - 1 > load:
        assert erlang.erlang_c(rate, aht, n - 1, t).service_level[0] < target


@settings(max_examples=60, deadline=None)
@given(rates, ahts, patiences, st.integers(min_value=1, max_value=400), thresholds)
def test_property_erlang_a_is_a_distribution_and_more_agents_help(rate, aht, pat, n, t):
    m = erlang.erlang_a(rate, aht, pat, [n, n + 1], t, served_wait=False)
    for v in (m.p_wait, m.p_abandon, m.answered_within_share, m.service_level, m.occupancy):
        assert ((v >= -1e-12) & (v <= 1 + 1e-12)).all()
    assert m.p_abandon[0] <= m.p_wait[0] + 1e-12
    assert m.p_abandon[1] <= m.p_abandon[0] + 1e-12
    assert m.answered_within_share[1] >= m.answered_within_share[0] - 1e-12
    # Little's law for abandonment: mean wait = P(abandon) x mean patience
    assert m.mean_wait_s[0] == pytest.approx(m.p_abandon[0] * pat, rel=1e-9, abs=1e-12)


def test_docstring_examples_hold():
    import doctest

    from forcestat.demand import simulate

    for module in (erlang, simulate):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


def birth_death_abandonment(lam, mu, theta, n, depth):
    """P(wait) and P(abandon) of M/M/n+M from its birth-death chain, truncated ``depth``
    places into the queue and summed in logs (patient callers make very long queues)."""
    k = np.arange(1, n + depth + 1)
    rates = np.minimum(k, n) * mu + np.maximum(k - n, 0) * theta
    log_w = np.concatenate([[0.0], np.cumsum(np.log(lam) - np.log(rates))])
    w = np.exp(log_w - log_w.max())
    pi = w / w.sum()
    queued = np.arange(n + depth + 1) - n
    # abandonment rate j theta in state n + j, over the arrival rate
    p_ab = float((pi[n:] * queued[n:] * theta).sum() / lam)
    return float(pi[n:].sum()), p_ab


@pytest.mark.parametrize("patience", [1e2, 1e3, 1e4, 1e5, 1e6])
@pytest.mark.parametrize(
    ("calls_per_hour", "aht", "agents"),
    [(200, 180, 12), (300, 180, 16), (300, 180, 12), (1000, 200, 60)],
)
def test_abandonment_is_exact_for_patient_callers(calls_per_hour, aht, agents, patience):
    lam, mu, theta = calls_per_hour / 3600, 1 / aht, 1 / patience
    # deep enough that the truncated tail is below 1e-16 of the queue's mass
    depth = int(max(0.0, lam - agents * mu) / theta + 60 * math.sqrt(lam / theta) + 2000)
    p_wait, p_ab = birth_death_abandonment(lam, mu, theta, agents, depth)
    m = erlang.erlang_a(calls_per_hour, aht, patience, agents, 10)
    assert m.p_wait[0] == pytest.approx(p_wait, rel=1e-9)
    assert m.p_abandon[0] == pytest.approx(p_ab, rel=1e-9)
