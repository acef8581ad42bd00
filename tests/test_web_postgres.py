"""``forcestat serve`` on PostgreSQL with two worker processes, as a user runs it.

The store is a database on the suite's PostgreSQL server (``postgres_server`` in
conftest.py), filled and administered with the CLI; the server is a real subprocess on
127.0.0.1, spoken to with httpx over fresh connections so that both workers answer. Every
figure a page shows is compared with the engine's own on the same PostgreSQL store.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixtures.ingest.examples import write_csv
from forcestat import access
from forcestat.ingest.anystore import ingest_paths
from forcestat.measures import evaluate
from forcestat.store import Store, open_store

PORTS = range(18100, 18200)
PERIOD = "2022-08..2022-10"
MEASURE = "calls_999_pct_not_answered"
DISTRICTS = ("Ashford", "Dover")
#: calls a month in the store the server starts with
CALLS = 140


def cli(*args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "forcestat", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def free_port() -> int:
    start = (os.getpid() * 11) % len(PORTS)
    for i in range(len(PORTS)):
        port = PORTS[(start + i) % len(PORTS)]
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18100-18199")


def call_rows(month: int, n: int, prefix: str) -> list[dict[str, str]]:
    """``n`` calls in ``month`` of 2022: 999 and 101, every seventh 999 call unanswered,
    queue times of 2 to 40 seconds, two districts."""
    rows = []
    for i in range(n):
        day, minute = 1 + i % 28, i % 60
        at = f"2022-{month:02d}-{day:02d}T10:{minute:02d}"
        rows.append(
            {
                "call_id": f"{prefix}-{month}-{i}",
                "channel": "999" if i % 3 else "101",
                "arrived_at": f"{at}:00+01:00",
                "answered_at": "" if i % 7 == 0 else f"{at}:{2 + (i * 7) % 39:02d}+01:00",
                "ended_at": f"2022-{month:02d}-{day:02d}T11:{minute:02d}:00+01:00",
                "district": DISTRICTS[i % 2],
                "agent_id": f"A{i % 5}",
            }
        )
    return rows


def received_999(months: int) -> int:
    return months * sum(r["channel"] == "999" for r in call_rows(8, CALLS, "C"))


def unanswered_999(months: int) -> int:
    rows = call_rows(8, CALLS, "C")
    return months * sum(r["channel"] == "999" and not r["answered_at"] for r in rows)


class Server:
    """``forcestat serve --workers 2`` on a PostgreSQL store, with tokens of the CLI."""

    def __init__(self, url: str, port: int, proc: subprocess.Popen[str], tokens: dict[str, str]):
        self.db, self.port, self.proc, self.tokens = url, port, proc, tokens
        self.base = f"http://127.0.0.1:{port}"
        self.duckdb: Path | None = None

    def get(self, path: str, role: str | None = "admin", **kw: Any) -> httpx.Response:
        """One request on a fresh connection (so any worker may answer it)."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.get(self.base + path, headers=headers, timeout=120, **kw)


@pytest.fixture(scope="module")
def server(postgres_server, tmp_path_factory) -> Iterator[Server]:
    url = postgres_server.create_database("web_served")
    folder = tmp_path_factory.mktemp("records")
    files = [write_csv(folder / f"calls-{m}.csv", call_rows(m, CALLS, "C")) for m in (8, 9, 10)]
    tokens = {}
    duckdb = folder / "same.duckdb"  # the same records in a DuckDB file, to compare with
    with Store.open(duckdb) as duck:
        ingest_paths(duck, files)
    with open_store(url) as store:  # in this process (the later tests use the CLI)
        assert [r.loaded for r in ingest_paths(store, files)] == [CALLS] * 3
        for role in ("board", "analyst", "admin"):
            access.add_user(store, f"{role}-user", role)
            tokens[role] = access.create_token(store, f"{role}-user")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "FORCESTAT_SECRET"}  # serve makes one
    proc = subprocess.Popen(
        [sys.executable, "-m", "forcestat", "serve", "--db", url, "--workers", "2"]
        + ["--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    served = Server(url, port, proc, tokens)
    served.duckdb = duckdb
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            if served.get("/api/v1/server").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not answer within 120 s"
        time.sleep(0.5)
    yield served
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert "Traceback" not in out, out


def engine_rows(url: str, keys: list[str], period: str, grain: str = "total") -> dict[str, Any]:
    """The engine's figures on the PostgreSQL store, by measure (one row each)."""
    with open_store(url) as store:
        df = evaluate(store, keys, period, grain)
    return {r["measure"]: r for r in df.to_dict("records")}


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None or b != b:
        return a is None and (b is None or b != b)
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def test_both_workers_answer_and_report_the_store_they_serve(server):
    pids = set()
    for _ in range(60):
        info = server.get("/api/v1/server").json()
        assert info["backend"] == "postgres"
        assert info["store"] == server.db
        pids.add(info["pid"])
        if len(pids) == 2:
            break
    assert len(pids) == 2, f"one worker answered every request: {pids}"


def test_the_overview_measure_pages_and_api_show_the_engines_figures(server):
    overview = server.get(f"/index.json?period={PERIOD}").json()
    tiles = {t["key"]: t for t in overview["data"]["tiles"] if t.get("value") is not None}
    assert MEASURE in tiles and "calls_101_pct_not_answered" in tiles
    want = engine_rows(server.db, list(tiles), PERIOD)
    for key, tile in tiles.items():
        assert close(tile["value"], want[key]["value"]), key
    assert tiles[MEASURE]["value"] == pytest.approx(100 * unanswered_999(3) / received_999(3))

    page = server.get(f"/measures/{MEASURE}?period={PERIOD}")
    assert page.status_code == 200 and "999 calls not answered" in page.text
    twin = server.get(f"/measures/{MEASURE}.json?period={PERIOD}&grain=month").json()["data"]
    by_month = engine_rows(server.db, [MEASURE], PERIOD, "month")
    assert close(twin["total"]["value"], want[MEASURE]["value"])
    with open_store(server.db) as store:
        months = evaluate(store, [MEASURE], PERIOD, "month")["value"].tolist()
    assert [r["value"] for r in twin["rows"]] == pytest.approx(months)
    assert by_month  # the engine answers by month on PostgreSQL too

    api = server.get(f"/api/v1/measures?measure=calls_999_received&period={PERIOD}")
    (row,) = api.json()["rows"]
    engine = engine_rows(server.db, ["calls_999_received"], PERIOD)["calls_999_received"]
    assert row["value"] == engine["value"] == received_999(3)


def test_the_public_page_needs_no_login_and_matches_the_public_edition(server):
    from forcestat.periods import parse_period
    from forcestat.web.public import public_page

    html = server.get(f"/public?period={PERIOD}", role=None)
    assert html.status_code == 200 and "Public figures" in html.text
    body = server.get(f"/public.json?period={PERIOD}", role=None).json()["data"]
    with open_store(server.db) as store:
        expected = json.loads(json.dumps(public_page(store, parse_period(PERIOD)), default=str))
    assert body == expected
    shown = {r["key"]: r["period"] for r in body["rows"]}
    assert shown[MEASURE]["value"] == pytest.approx(100 * unanswered_999(3) / received_999(3))


def test_a_session_made_on_one_worker_is_honoured_by_the_other(server):
    password = cli("users", "add", "ana", "--role", "admin", "--db", server.db).split()[-1]
    with httpx.Client(base_url=server.base, timeout=60) as first:
        form = first.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        done = first.post(
            "/login", data={"username": "ana", "password": password, "csrf": csrf.group(1)}
        )
        assert done.status_code == 303
        cookies = first.cookies
    pids = set()
    for _ in range(40):
        info = httpx.get(server.base + "/api/v1/server", cookies=cookies, timeout=60)
        assert info.status_code == 200, info.text  # whichever worker answers knows ana
        pids.add(info.json()["pid"])
        if len(pids) == 2:
            break
    assert len(pids) == 2
    assert httpx.get(server.base + "/api/v1/me", cookies=cookies).json()["name"] == "ana"


def test_a_record_level_read_is_audited_in_postgresql(server):
    rows = server.get("/api/v1/records/calls?period=2022-09&limit=7", role="analyst").json()
    assert len(rows["rows"]) == 7
    assert server.get("/api/v1/records/calls", role="board").status_code == 403
    with open_store(server.db) as store:
        audited = store.rows(
            "SELECT actor, role, action, subject, detail FROM audit_log WHERE actor = ?",
            ["analyst-user"],
        )
    assert ("analyst-user", "analyst", "read", "records calls 2022-09") in [a[:4] for a in audited]
    assert json.loads(audited[-1][4]) == {"rows": 7, "via": "token"}


def test_the_demand_model_reads_postgresql_as_it_reads_the_duckdb_file(server):
    from fastapi.encoders import jsonable_encoder

    from forcestat.web import demand
    from forcestat.web.api import _plain

    got = server.get("/api/v1/demand/estimate?channel=999&period=2022-10")
    assert got.status_code == 200, got.text
    with Store.open(server.duckdb, read_only=True) as duck:  # the same files, in DuckDB
        est = demand.staffing(duck, "999", "2022-10")
        want = jsonable_encoder(_plain(demand._estimate(duck, "999", "2022-10").as_dict()))
    assert got.json() == json.loads(json.dumps(want))
    staff = server.get("/api/v1/demand/staff?channel=999&period=2022-10").json()
    assert staff == json.loads(json.dumps(jsonable_encoder(est)))
    assert server.get("/demand?period=2022-10").status_code == 200


def test_the_encompass_queue_runs_on_postgresql_for_safeguarding_only(server, tmp_path):
    from test_workflows_encompass import FILES

    kinds = ("schools", "school_terms", "da_incidents", "children", "incident_children")
    with open_store(server.db) as store:
        for (name, text), kind in zip(FILES.items(), kinds, strict=True):
            (tmp_path / name).write_text(text)
            ingest_paths(store, [tmp_path / name], kind=kind)
        access.add_user(store, "dsl", "safeguarding")
        token = access.create_token(store, "dsl")
    headers = {"Authorization": f"Bearer {token}"}
    queue = httpx.get(server.base + "/encompass.json", headers=headers, timeout=60)
    assert queue.status_code == 200, queue.text
    data = queue.json()["data"]
    assert [n["child_id"] for n in data["due"]] == ["C1"]
    assert {n["child_id"] for n in data["exceptions"]} == {"C2", "C3"}
    child = httpx.get(server.base + "/encompass/child/C1.json", headers=headers, timeout=60)
    assert child.json()["data"]["child"]["name"] == "Amy Pupil"
    assert server.get("/encompass.json").status_code == 403  # admin is not safeguarding
    with open_store(server.db) as store:
        reads = store.rows("SELECT subject FROM audit_log WHERE actor = 'dsl'")
    assert {"encompass children (queue)", "encompass child C1"} <= {r[0] for r in reads}


def test_pages_that_need_duckdb_say_so_instead_of_failing(server):
    r = server.get("/speedwatch.json")
    assert r.status_code == 501
    assert "needs the DuckDB file for now" in r.json()["error"]
    for path in ("/speedwatch", "/speedwatch/dvla.csv"):
        page = server.get(path)
        assert page.status_code == 501 and "needs the DuckDB file" in page.text
    nav = server.get("/").text
    assert 'href="/speedwatch"' not in nav and 'href="/volunteers"' in nav


def test_a_user_changed_by_another_process_is_seen_by_every_worker(server):
    cli("users", "add", "bob", "--role", "analyst", "--db", server.db)
    token = cli("tokens", "create", "bob", "--db", server.db).strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(server.base + "/api/v1/quarantine", headers=headers).status_code == 200
    cli("users", "add", "bob", "--role", "board", "--db", server.db)  # demoted elsewhere
    deadline = time.monotonic() + 20
    codes: list[int] = []
    while time.monotonic() < deadline:
        codes = [
            httpx.get(server.base + "/api/v1/quarantine", headers=headers).status_code
            for _ in range(6)
        ]
        if set(codes) == {403}:
            break
        time.sleep(0.3)
    assert set(codes) == {403}


def test_another_process_ingesting_while_the_server_runs_shows_in_its_figures(server, tmp_path):
    path = "/api/v1/measures?measure=calls_999_received&period=2022-10"
    before = server.get(path).json()["rows"][0]["value"]
    assert before == received_999(1)
    late = call_rows(10, 60, "late")
    cli("ingest", str(write_csv(tmp_path / "more-calls.csv", late)), "--db", server.db)
    after = engine_rows(server.db, ["calls_999_received"], "2022-10")["calls_999_received"]
    assert after["value"] == before + sum(r["channel"] == "999" for r in late)
    deadline = time.monotonic() + 20
    seen: set[float] = set()
    while time.monotonic() < deadline:
        seen = {server.get(path).json()["rows"][0]["value"] for _ in range(6)}
        if seen == {after["value"]}:
            break
        time.sleep(0.3)
    assert seen == {after["value"]}  # both workers dropped their cached answer
    status = {r["table"]: r for r in server.get("/api/v1/status").json()}
    assert status["calls"]["rows"] == 3 * CALLS + len(late)


def test_an_upload_loads_through_the_postgresql_ingest(server, tmp_path):
    rows = call_rows(9, 12, "upload")
    upload = write_csv(tmp_path / "uploaded calls.csv", rows + [dict(rows[0])])  # a repeat
    headers = {"Authorization": f"Bearer {server.tokens['analyst']}"}
    with upload.open("rb") as fh:
        r = httpx.post(
            server.base + "/api/v1/ingest",
            headers=headers,
            files={"file": (upload.name, fh, "text/csv")},
            timeout=120,
        )
    assert r.status_code == 200, r.text
    (result,) = r.json()
    assert (result["read"], result["loaded"], result["skipped_duplicates"]) == (13, 12, 1)
    with open_store(server.db) as store:
        logged = store.rows("SELECT read, loaded FROM load_log WHERE file LIKE 'upload:%'")
        assert logged == [(13, 12)]  # named as uploaded, not by the server's temporary path
        assert store.rows("SELECT count(*) FROM calls WHERE call_id LIKE 'upload-%'") == [(12,)]
    audit = cli("audit", "--db", server.db, "--who", "analyst-user", "--json").splitlines()
    assert {"action": "ingest", "what": "uploaded_calls.csv", "rows": 12} in [
        {k: json.loads(line)[k] for k in ("action", "what", "rows")} for line in audit
    ]
