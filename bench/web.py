"""Benchmark: `forcestat serve` under 50 concurrent clients, and the measures API against the
engine reading raw rows, side by side in one run.

1. Builds a store of ten years of calls and crimes at ``--scale`` times Kent's volume (Kent:
   about 35,000 999 calls, 28,000 101 calls and 15,000 crimes a month), generated in DuckDB
   with thirteen districts, then its monthly rollups (as ``forcestat serve`` does at start).
2. Times the 20 call measures by month over a financial year three ways: the engine from raw
   rows (what every figure cost before rollups), the engine from rollups (a cold API answer),
   and ``GET /api/v1/measures`` on a running server (warm: cached by store version).
3. Starts ``forcestat serve`` in its own process on 127.0.0.1 and runs ``--clients`` clients
   for ``--seconds`` over the overview, measure pages and ``/api/v1/measures`` (bounded in
   count and time), then prints p50/p95 latency, requests per second and errors per route.

The clients are wrk (Debian's ``wrk``; ``scripts/system-deps.sh --bench`` installs it), one
process per route with an equal share of the connections, each connection sending its next
request when the last is answered. A Python client costs more per request than the server
does (httpx took 6 ms of CPU a request at 50 connections, the server under 1 ms), so it
would measure itself; without wrk the bench falls back to httpx and says so.

    python bench/web.py                       # scale 10, 50 clients, 60 s
    python bench/web.py --scale 1 --seconds 20
    python bench/web.py --db /tmp/bench.duckdb  # keep the store (built once) for the next run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from forcestat import access
from forcestat.measures import CATALOGUE, Engine, evaluate, rollup
from forcestat.schema import get_kind
from forcestat.store import Store

CALL_KEYS = [k for k, m in CATALOGUE.items() if m.source.tables == ("calls",)]
MONTHS = 120
KENT_999, KENT_101, KENT_CRIMES = 35_000, 28_000, 15_000
DISTRICTS = 13
PERIOD = "FY2022/23"
MAX_REQUESTS = 2_000_000  # a bound on the load loop besides its duration
ERRORS: Counter[str] = Counter()


ROUTES = {
    "overview": "/?period=2023-03",
    "overview (FY)": f"/?period={PERIOD}",
    "measure page": f"/measures/calls_999_pct_not_answered?period={PERIOD}",
    "measure page (district)": "/measures/calls_101_received?period=2023-03&district=District+3",
    "/api/v1/measures": "/api/v1/measures?"
    + "&".join(f"measure={k}" for k in CALL_KEYS)
    + f"&period={PERIOD}&grain=month",
}


def build(store: Store, scale: float) -> dict[str, float]:
    """Ten years of calls and crimes to March 2023; seconds taken per step."""
    out = {}
    t0 = time.perf_counter()
    calls = int((KENT_999 + KENT_101) * scale * MONTHS)
    derived = get_kind("calls").derived_columns
    names = ", ".join(d.name for d in derived)
    exprs = ", ".join(f"{d.sql} AS {d.name}" for d in derived)
    step = (MONTHS * 30.44 * 86400 * 1_000_000) // calls
    store.duck.execute(
        f"""
        INSERT INTO calls (call_id, channel, arrived_at, answered_at, ended_at, district, {names})
        SELECT call_id, channel, arrived_at, answered_at, ended_at, district, {exprs}
        FROM (
            SELECT 'C' || i AS call_id,
                CASE WHEN i % 9 < 5 THEN '999' ELSE '101' END AS channel,
                TIMESTAMP '2013-04-01 00:00:00' + to_microseconds(i * {int(step)}) AS arrived_at,
                CASE WHEN i % 5 = 0 THEN NULL
                     ELSE arrived_at + to_microseconds((i * 7919) % 120000000) END AS answered_at,
                coalesce(answered_at, arrived_at) + to_microseconds((i * 104729) % 600000000)
                    AS ended_at,
                'District ' || (i * 31 % {DISTRICTS} + 1) AS district
            FROM range({calls}) AS r(i)
        )
        """
    )
    out["calls"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    crimes = int(KENT_CRIMES * scale * MONTHS)
    cstep = (MONTHS * 30.44 * 86400 * 1_000_000) // crimes
    store.duck.execute(
        f"""
        INSERT INTO crimes (crime_id, recorded_at, status, crime_type, district)
        SELECT 'K' || i,
            TIMESTAMP '2013-04-01 00:00:00' + to_microseconds(i * {int(cstep)}),
            CASE WHEN i % 40 = 0 THEN 'cancelled' ELSE 'recorded' END,
            'type ' || (i % 12), 'District ' || (i * 17 % {DISTRICTS} + 1)
        FROM range({crimes}) AS r(i)
        """
    )
    store.fill_derived("crimes")
    out["crimes"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rollup.build(store)
    out["rollups"] = time.perf_counter() - t0
    out["rows"] = calls + crimes
    return out


def side_by_side(store: Store) -> dict[str, float]:
    """The year's monthly call figures from raw rows and from rollups (best of 3 each)."""

    def best(fn) -> float:  # type: ignore[no-untyped-def]
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    def raw() -> None:
        evaluate(store, CALL_KEYS, PERIOD, "month", comparisons=True)

    def rolled() -> None:
        eng = Engine(store, CATALOGUE, rollups=rollup.Rollups(store))
        evaluate(store, CALL_KEYS, PERIOD, "month", comparisons=True, engine=eng)

    return {"raw_s": best(raw), "rollup_s": best(rolled)}


def free_port(ports: range) -> int:
    import socket

    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


#: printed by each wrk process when it ends: requests, errors by kind, latency percentiles
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, e.connect + e.read + e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def load_wrk(base: str, token: str, clients: int, seconds: float) -> dict[str, dict[str, float]]:
    """One wrk process per route, all at once, ``clients`` connections shared between them."""
    tmp = tempfile.mkdtemp(prefix="forcestat-bench-wrk-")
    script = os.path.join(tmp, "report.lua")
    Path(script).write_text(WRK_SCRIPT)
    share = [clients // len(ROUTES) + (i < clients % len(ROUTES)) for i in range(len(ROUTES))]
    procs = {}
    for (name, path), conns in zip(ROUTES.items(), share, strict=True):
        if conns == 0:
            continue
        cmd = ["wrk", "-t1", f"-c{conns}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", script]
        cmd += ["-H", f"Authorization: Bearer {token}", base + path]
        procs[name] = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = {}
    for name, proc in procs.items():
        text, _ = proc.communicate(timeout=seconds + 120)
        line = next((x for x in text.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            ERRORS[f"{name}: wrk printed no result"] += 1
            continue
        n, dur, sock, status, timeout, p50, p95, p99, mx = (int(x) for x in line.split()[1:])
        for what, k in (("socket error", sock), ("non-2xx answer", status), ("timeout", timeout)):
            if k:
                ERRORS[f"{name}: {what}"] += k
        out[name] = {
            "requests": n,
            "errors": sock + status + timeout,
            "p50": p50 / 1e6,
            "p95": p95 / 1e6,
            "p99": p99 / 1e6,
            "max": mx / 1e6,
            "rps": n / (dur / 1e6),
            "connections": share[list(ROUTES).index(name)],
        }
    return out


def summarise(lat: dict[str, list[float]], elapsed: float) -> dict[str, dict[str, float]]:
    """The httpx loop's latencies as wrk reports them."""
    out = {}
    for name, xs in lat.items():
        ok = sorted(x for x in xs if x >= 0)
        out[name] = {
            "requests": len(xs),
            "errors": len(xs) - len(ok),
            "p50": pct(ok, 50),
            "p95": pct(ok, 95),
            "p99": pct(ok, 99),
            "max": ok[-1] if ok else 0,
            "rps": len(xs) / elapsed,
        }
    return out


async def load(base: str, token: str, clients: int, seconds: float) -> dict[str, list[float]]:
    """``clients`` clients in turn over the routes until ``seconds`` pass; latencies by route
    (errors recorded as negative latencies)."""
    routes = ROUTES
    out: dict[str, list[float]] = {name: [] for name in routes}
    deadline = time.perf_counter() + seconds
    count = 0
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:

        async def client(i: int) -> None:
            nonlocal count
            names = list(routes)
            j = i
            while time.perf_counter() < deadline and count < MAX_REQUESTS:
                name = names[j % len(names)]
                j += 1
                count += 1
                t0 = time.perf_counter()
                try:
                    r = await c.get(routes[name])
                    ok = r.status_code == 200
                    if not ok:
                        ERRORS[f"{name}: HTTP {r.status_code}"] += 1
                except httpx.HTTPError as e:
                    ok = False
                    ERRORS[f"{name}: {type(e).__name__}"] += 1
                dt = time.perf_counter() - t0
                out[name].append(dt if ok else -dt)

        await asyncio.gather(*(client(i) for i in range(clients)))
    return out


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100)[int(q) - 1] if len(xs) > 1 else (xs[0] if xs else 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=10.0, help="times Kent's monthly volume")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--db", help="reuse (or keep) the store at this path")
    ap.add_argument("--port", type=int, default=0, help="serve on this port (default: free)")
    ap.add_argument("--httpx", action="store_true", help="Python clients even if wrk is here")
    args = ap.parse_args()
    load_before = f"{os.getloadavg()[0]:.1f}"
    if not len(ROUTES) <= args.clients <= 200 or not 1 <= args.seconds <= 600:
        sys.exit(f"clients must be {len(ROUTES)}-200 (one a route at least) and seconds 1-600")

    tmp = tempfile.mkdtemp(prefix="forcestat-bench-web-")
    db = args.db or os.path.join(tmp, "bench.duckdb")
    fresh = not Path(db).exists()
    store = Store.open(db)
    if fresh:
        built = build(store, args.scale)
        print(
            f"store: {built['rows']:,.0f} rows (ten years, scale {args.scale:g}) in "
            f"{built['calls'] + built['crimes']:.1f} s; rollups {built['rollups']:.1f} s"
        )
    sbs = side_by_side(store)
    access.add_user(store, "bench", "board")
    token = access.create_token(store, "bench")
    store.close()

    port = args.port or free_port(range(8100, 8200))
    base = f"http://127.0.0.1:{port}"
    cli = [sys.executable, "-c", "from forcestat.cli import main; main()"]
    log = open(os.path.join(tmp, "server.log"), "w")  # noqa: SIM115
    server = subprocess.Popen([*cli, "serve", "--db", db, "--port", str(port)], stderr=log)
    client = "wrk" if shutil.which("wrk") and not args.httpx else "httpx"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/api/v1/catalogue", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        # the first request of each page computes and keeps its answer: timed, then warm
        cold = {}
        for name, path in ROUTES.items():
            t = time.perf_counter()
            httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=600)
            cold[name] = time.perf_counter() - t
        cpu0 = server_cpu(server.pid)
        t0 = time.perf_counter()
        if client == "wrk":
            stats = load_wrk(base, token, args.clients, args.seconds)
        else:
            lat = asyncio.run(load(base, token, args.clients, args.seconds))
            stats = summarise(lat, time.perf_counter() - t0)
        elapsed = time.perf_counter() - t0
        cpu = server_cpu(server.pid) - cpu0
    finally:
        server.terminate()
        server.wait(30)

    total = sum(int(r["requests"]) for r in stats.values())
    print(
        f"\n{args.clients} clients ({client}) for {elapsed:.0f} s on 127.0.0.1; server: 1 "
        f"process, {cpu:.1f} s of CPU ({cpu / max(total, 1) * 1e3:.2f} ms a request); "
        f"load average before {load_before}, after {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'route':26} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'req/s':>8} {'first ms':>9}"
    )
    for name, r in stats.items():
        print(
            f"{name:26} {r['requests']:9,.0f} {r['errors']:7,.0f} {r['p50'] * 1e3:8.1f} "
            f"{r['p95'] * 1e3:8.1f} {r['p99'] * 1e3:8.1f} {r['rps']:8.1f} "
            f"{cold.get(name, 0) * 1e3:9.0f}"
        )
    print(f"{'all':26} {total:9,} {'':7} {'':8} {'':8} {'':8} {total / elapsed:8.1f}")
    for what, n in ERRORS.most_common():
        print(f"  error: {what} x{n} (server log: {log.name})")
    api_p50 = stats["/api/v1/measures"]["p50"]
    print(f"\n20 call measures by month over {PERIOD}, comparisons included:")
    print(f"  engine from raw rows        {sbs['raw_s'] * 1e3:9.1f} ms")
    print(
        f"  engine from rollups (cold)  {sbs['rollup_s'] * 1e3:9.1f} ms  "
        f"{sbs['raw_s'] / sbs['rollup_s']:6.1f}x faster"
    )
    print(f"  first API answer (cold)     {cold.get('/api/v1/measures', 0) * 1e3:9.1f} ms")
    print(
        f"  /api/v1/measures p50 (load) {api_p50 * 1e3:9.1f} ms  "
        f"{sbs['raw_s'] / api_p50:6.1f}x faster (target 20x)"
    )
    worst = max(stats[n]["p95"] for n in stats if n.startswith("overview"))
    print(f"  overview p95 (load)         {worst * 1e3:9.1f} ms  (target under 100 ms)")


def server_cpu(pid: int) -> float:
    """Seconds of CPU the server process has used (user + system)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
