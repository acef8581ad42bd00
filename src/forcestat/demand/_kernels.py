"""Compiled inner loops of the simulator (numba, cached to disk).

Times are seconds from the start of the run. Arrival rates (per second) and staffing
(agents on duty) are piecewise constant over intervals of ``interval_s`` seconds; after the
last interval staffing stays at its last value so queued callers are still served, and no
new calls arrive. Distributions are encoded as (kind, p1, p2, offset, count) into a shared
``samples`` array: kind 0 exponential (p1 = mean), 1 lognormal (p1 = mu, p2 = sigma of the
log), 2 empirical (resampled from ``samples[offset:offset + count]``), 3 never (infinite:
a caller who never gives up).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

EXPONENTIAL, LOGNORMAL, EMPIRICAL, NEVER = 0, 1, 2, 3


_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TWO53 = 1.0 / 9007199254740992.0


@njit(cache=True)
def new_state(seed):  # type: ignore[no-untyped-def]
    """Generator state for a seed (SplitMix64; seeds 0, 1, 2 ... give unrelated streams)."""
    st = np.empty(1, dtype=np.uint64)
    st[0] = np.uint64(seed) * _M2 + _GAMMA
    return st


@njit(cache=True)
def new_streams(seed):  # type: ignore[no-untyped-def]
    """Three independent streams for a run: arrivals, patience, service. Separate streams
    mean a change of staffing leaves the arrivals untouched (common random numbers across
    what-ifs), and a draw can wait until it is needed (service only for answered calls)."""
    return new_state(3 * seed), new_state(3 * seed + 1), new_state(3 * seed + 2)


@njit(cache=True, inline="always")
def _raw(st):  # type: ignore[no-untyped-def]
    """Next 64 random bits: SplitMix64 (passes BigCrush; far cheaper than Mersenne Twister,
    which would cost more than the whole queueing step)."""
    z = st[0] + _GAMMA
    st[0] = z
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def _uniform(st):  # type: ignore[no-untyped-def]
    """A uniform in (0, 1]."""
    return (float(_raw(st) >> _S11) + 1.0) * _TWO53


@njit(cache=True)
def _draw_other(kind, p1, p2, samples, off, cnt, st):  # type: ignore[no-untyped-def]
    if kind == 1:
        # Box-Muller (one normal per draw)
        r = math.sqrt(-2.0 * math.log(_uniform(st)))
        return math.exp(p1 + p2 * r * math.cos(2.0 * math.pi * _uniform(st)))
    if kind == 2:
        i = int(_uniform(st) * cnt)
        return samples[off + min(i, cnt - 1)]
    return np.inf


@njit(cache=True, inline="always")
def _draw(kind, p1, p2, samples, off, cnt, st):  # type: ignore[no-untyped-def]
    """One duration. The exponential case is inlined; the others are a call away, which
    keeps the hot loops small (inlining all of them cost a third of the speed)."""
    if kind == 0:
        return -p1 * math.log(_uniform(st))
    return _draw_other(kind, p1, p2, samples, off, cnt, st)


@njit(cache=True, inline="always")
def _next_arrival(t, k, rates, interval_s, st):  # type: ignore[no-untyped-def]
    """Next arrival after t of a Poisson process with piecewise-constant rate; exact because
    the exponential is memoryless (a draw that crosses a boundary restarts there)."""
    nint = rates.shape[0]
    while k < nint:
        r = rates[k]
        edge = (k + 1) * interval_s
        if r > 0.0:
            cand = t - math.log(_uniform(st)) / r
            if cand < edge:
                return cand, k
        t = edge
        k += 1
    return np.inf, k


@njit(cache=True, inline="always")
def _on_duty_from(slot, t, staff, interval_s):  # type: ignore[no-untyped-def]
    """Earliest time >= t at which agent ``slot`` is on duty (inf if never again)."""
    nint = staff.shape[0]
    k = int(t // interval_s)
    if k >= nint:
        return t if slot < staff[nint - 1] else np.inf
    if slot < staff[k]:
        return t
    for kk in range(k + 1, nint):
        if slot < staff[kk]:
            return kk * interval_s
    return np.inf


@njit(cache=True, inline="always")
def _sift_down(keys, ids, i, size):  # type: ignore[no-untyped-def]
    key = keys[i]
    ident = ids[i]
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and keys[c + 1] < keys[c]:
            c += 1
        if keys[c] >= key:
            break
        keys[i] = keys[c]
        ids[i] = ids[c]
        i = c
    keys[i] = key
    ids[i] = ident


@njit(cache=True, inline="always")
def _pop_root(keys, ids, size):  # type: ignore[no-untyped-def]
    """Remove the heap's root (the earliest call end); returns the new size."""
    size -= 1
    if size > 0:
        keys[0] = keys[size]
        ids[0] = ids[size]
        _sift_down(keys, ids, 0, size)
    return size


@njit(cache=True, inline="always")
def _sift_up(keys, ids, i):  # type: ignore[no-untyped-def]
    key = keys[i]
    ident = ids[i]
    while i > 0:
        p = (i - 1) // 2
        if keys[p] <= key:
            break
        keys[i] = keys[p]
        ids[i] = ids[p]
        i = p
    keys[i] = key
    ids[i] = ident


@njit(cache=True)
def _rekey(keys, ids, t, staff, interval_s, c):  # type: ignore[no-untyped-def]
    """Slow path of fcfs_kernel (kept out of line so the hot loop stays small): move agents
    who are off duty at their key to their next shift until the heap top is on duty.
    Returns (start time, agent)."""
    while True:
        j = ids[0]
        v = _on_duty_from(j, max(t, keys[0]), staff, interval_s)
        nxt = np.inf
        if c > 1:
            nxt = keys[1]
            if c > 2 and keys[2] < nxt:
                nxt = keys[2]
        if v <= max(t, nxt):
            return v, j
        keys[0] = v
        _sift_down(keys, ids, 0, c)


@njit(cache=True)
def fcfs_kernel(seed, rates, staff, interval_s, svc, pat, samples, capacity):  # type: ignore[no-untyped-def]
    """One FCFS pool with abandonment, calls taken in arrival order.

    A heap holds, for each agent, a lower bound of when they can next start a call; the
    bound is tightened lazily (an agent off duty at the arrival moves to their next shift),
    so the loop is O(log agents) per call. A caller whose wait would exceed their patience
    leaves without taking an agent, which is exact for FCFS.
    Returns arrival, answer (NaN if abandoned), end, agent (-1 if abandoned); ``n`` calls.
    """
    sa, sp, ss = new_streams(seed)
    c = 0
    for k in range(staff.shape[0]):
        c = max(c, staff[k])
    c = max(c, 1)
    keys = np.empty(c)
    ids = np.empty(c, dtype=np.int64)
    for j in range(c):
        keys[j] = _on_duty_from(j, 0.0, staff, interval_s)
        ids[j] = j
    for j in range(c // 2 - 1, -1, -1):
        _sift_down(keys, ids, j, c)
    arr = np.empty(capacity)
    ans = np.empty(capacity)
    end = np.empty(capacity)
    agent = np.empty(capacity, dtype=np.int32)
    pk, p1, p2, po, pc = int(pat[0]), pat[1], pat[2], int(pat[3]), int(pat[4])
    sk, s1, s2, so, sc = int(svc[0]), svc[1], svc[2], int(svc[3]), int(svc[4])
    both_exp = pk == 0 and sk == 0  # the common case, kept free of the general draw
    inv = 1.0 / interval_s
    nint = rates.shape[0]
    last = nint - 1
    n = 0
    t = 0.0
    k = 0
    edge = interval_s
    gap = 1.0 / rates[0] if rates[0] > 0 else np.inf  # mean time between arrivals
    on = staff[0]
    while n < capacity:
        # next arrival; a draw crossing an interval boundary restarts there (memoryless)
        t -= gap * math.log(_uniform(sa))
        while t >= edge:
            k += 1
            if k >= nint:
                break
            t = edge
            edge += interval_s
            gap = 1.0 / rates[k] if rates[k] > 0 else np.inf
            on = staff[k]
            t -= gap * math.log(_uniform(sa))
        if k >= nint:
            break
        # fast path: the agent free soonest is on duty when they would pick the call up
        j = ids[0]
        v = keys[0]
        if v <= t:
            v = t
            if j >= on:
                v, j = _rekey(keys, ids, t, staff, interval_s, c)
        elif j >= (on if v < edge else staff[min(int(v * inv), last)]):
            v, j = _rekey(keys, ids, t, staff, interval_s, c)
        # patience matters only to a caller who has to wait: draw it only then (the same
        # rule, from the same stream, as priority_kernel, so the two agree call for call)
        p = np.inf
        if v > t:
            if both_exp:
                p = -p1 * math.log(_uniform(sp))
            else:
                p = _draw(pk, p1, p2, samples, po, pc, sp)
        arr[n] = t
        if v - t > p or v == np.inf:
            ans[n] = np.nan
            end[n] = t + p if p < np.inf else t
            agent[n] = -1
            if v != keys[0]:
                keys[0] = v
                _sift_down(keys, ids, 0, c)
        else:
            # handling time only for answered calls, in the order they are answered
            if both_exp:
                s = -s1 * math.log(_uniform(ss))
            else:
                s = _draw(sk, s1, s2, samples, so, sc, ss)
            ans[n] = v
            end[n] = v + s
            agent[n] = j
            keys[0] = v + s
            _sift_down(keys, ids, 0, c)
        n += 1
    return arr[:n], ans[:n], end[:n], agent[:n]


@njit(cache=True)
def _pull(now, q, head, tail, arr, pat_until, ans, end):  # type: ignore[no-untyped-def]
    """Pop the first caller still waiting at ``now`` from queue q[head:tail]; callers whose
    patience ran out are closed as abandoned on the way. Returns (call or -1, new head)."""
    while head < tail:
        i = q[head]
        head += 1
        if pat_until[i] >= now:
            return i, head
        ans[i] = np.nan
        end[i] = pat_until[i]
    return -1, head


@njit(cache=True)
def priority_kernel(seed, rates, staff, interval_s, svc, pat, samples, capacity):  # type: ignore[no-untyped-def]
    """Two classes on one pool, class 0 (999) always before class 1 (101), FCFS within a
    class, abandonment, interval-varying arrivals (``rates`` is 2 x intervals) and staffing
    (an agent going off duty finishes their call first). Event-driven; abandonment is lazy
    (a caller who gave up is closed when they would have reached the front).
    ``svc`` and ``pat`` are 2 x 5 distribution codes. Returns arrival, answer, end, agent,
    class."""
    sa, sp, ss = new_streams(seed)
    nint = staff.shape[0]
    cmax = 1
    for k in range(nint):
        cmax = max(cmax, staff[k])
    arr = np.empty(capacity)
    ans = np.empty(capacity)
    end = np.empty(capacity)
    pat_until = np.empty(capacity)
    agent = np.full(capacity, -1, dtype=np.int32)
    cls = np.empty(capacity, dtype=np.int8)
    q0 = np.empty(capacity, dtype=np.int64)
    q1 = np.empty(capacity, dtype=np.int64)
    h0 = t0 = h1 = t1 = 0
    hkeys = np.empty(cmax + 1)
    hids = np.empty(cmax + 1, dtype=np.int64)
    hsize = 0
    idle = np.ones(cmax, dtype=np.bool_)
    na = np.empty(2)
    ka = np.zeros(2, dtype=np.int64)
    for c in range(2):
        na[c], ka[c] = _next_arrival(0.0, 0, rates[c], interval_s, sa)
    kb = 0  # current staffing interval
    n = 0
    while True:
        nb = (kb + 1) * interval_s if kb + 1 < nint else np.inf
        nc = hkeys[0] if hsize > 0 else np.inf
        ca = 0 if na[0] <= na[1] else 1
        now = min(na[ca], nb, nc)
        if now == np.inf:
            break
        if nc == now:
            # a call ends: its agent is free (if still on duty) for the next caller
            idle[hids[0]] = True
            hsize = _pop_root(hkeys, hids, hsize)
        elif nb == now:
            kb += 1
        else:
            if n == capacity:
                break
            i = n
            n += 1
            arr[i] = now
            cls[i] = ca
            # patience is drawn only for a caller who finds no idle agent on duty
            waits = True
            for j in range(staff[kb]):
                if idle[j]:
                    waits = False
                    break
            pat_until[i] = np.inf
            if waits:
                pat_until[i] = now + _draw(
                    pat[ca, 0], pat[ca, 1], pat[ca, 2], samples, int(pat[ca, 3]),
                    int(pat[ca, 4]), sp,
                )  # fmt: skip
            if ca == 0:
                q0[t0] = i
                t0 += 1
            else:
                q1[t1] = i
                t1 += 1
            na[ca], ka[ca] = _next_arrival(now, ka[ca], rates[ca], interval_s, sa)
        # start as many waiting callers as idle, on-duty agents allow (999 first); agents
        # numbered below the interval's staffing are on duty, as in fcfs_kernel
        while True:
            a = -1
            for j in range(staff[kb]):
                if idle[j]:
                    a = j
                    break
            if a < 0:
                break
            i, h0 = _pull(now, q0, h0, t0, arr, pat_until, ans, end)
            if i < 0:
                i, h1 = _pull(now, q1, h1, t1, arr, pat_until, ans, end)
            if i < 0:
                break
            idle[a] = False
            ans[i] = now
            ci = cls[i]
            end[i] = now + _draw(
                svc[ci, 0], svc[ci, 1], svc[ci, 2], samples, int(svc[ci, 3]), int(svc[ci, 4]), ss
            )
            agent[i] = a
            hkeys[hsize] = end[i]
            hids[hsize] = a
            _sift_up(hkeys, hids, hsize)
            hsize += 1
    # whoever is still queued when no agent will ever come again gives up
    for q, h, tl in ((q0, h0, t0), (q1, h1, t1)):
        for r in range(h, tl):
            i = q[r]
            ans[i] = np.nan
            end[i] = pat_until[i] if pat_until[i] < np.inf else arr[i]
    return arr[:n], ans[:n], end[:n], agent[:n], cls[:n]


@njit(cache=True)
def chat_kernel(seed, rates, staff, interval_s, svc, pat, samples, capacity, k_max, stretch):  # type: ignore[no-untyped-def]
    """Live chat: each operator on duty holds up to ``k_max`` chats; a new chat goes to the
    least-loaded operator and takes its drawn handling time times
    ``stretch[m - 1]``, m being the operator's chats including it (typing in several
    windows at once slows each conversation). Returns requested, accepted, ended, operator."""
    sa, sp, ss = new_streams(seed)
    nint = staff.shape[0]
    omax = 1
    for k in range(nint):
        omax = max(omax, staff[k])
    load = np.zeros(omax, dtype=np.int64)
    arr = np.empty(capacity)
    ans = np.empty(capacity)
    end = np.empty(capacity)
    pat_until = np.empty(capacity)
    work = np.empty(capacity)
    oper = np.full(capacity, -1, dtype=np.int32)
    q = np.empty(capacity, dtype=np.int64)
    qh = qt = 0
    hkeys = np.empty(omax * k_max + 1)
    hids = np.empty(omax * k_max + 1, dtype=np.int64)
    hsize = 0
    na, ka = _next_arrival(0.0, 0, rates, interval_s, sa)
    kb = 0
    n = 0
    while True:
        nb = (kb + 1) * interval_s if kb + 1 < nint else np.inf
        nc = hkeys[0] if hsize > 0 else np.inf
        now = min(na, nb, nc)
        if now == np.inf:
            break
        if nc == now:
            load[hids[0]] -= 1
            hsize = _pop_root(hkeys, hids, hsize)
        elif nb == now:
            kb += 1
        else:
            if n == capacity:
                break
            i = n
            n += 1
            arr[i] = now
            pat_until[i] = now + _draw(
                pat[0], pat[1], pat[2], samples, int(pat[3]), int(pat[4]), sp
            )
            work[i] = _draw(svc[0], svc[1], svc[2], samples, int(svc[3]), int(svc[4]), ss)
            q[qt] = i
            qt += 1
            na, ka = _next_arrival(now, ka, rates, interval_s, sa)
        on = staff[kb]
        while qh < qt:
            best = -1
            for o in range(on):
                if load[o] < k_max and (best < 0 or load[o] < load[best]):
                    best = o
            if best < 0:
                break
            i, qh = _pull(now, q, qh, qt, arr, pat_until, ans, end)
            if i < 0:
                break
            load[best] += 1
            ans[i] = now
            end[i] = now + work[i] * stretch[load[best] - 1]
            oper[i] = best
            hkeys[hsize] = end[i]
            hids[hsize] = best
            _sift_up(hkeys, hids, hsize)
            hsize += 1
    for r in range(qh, qt):
        i = q[r]
        ans[i] = np.nan
        end[i] = pat_until[i] if pat_until[i] < np.inf else arr[i]
    return arr[:n], ans[:n], end[:n], oper[:n]
