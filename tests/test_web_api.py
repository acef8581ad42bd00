"""The JSON API and the pages' .json twins, in-process: figures equal the engine's, bad
parameters get a 4xx naming the parameter, ingest through the server keeps ingest's promises,
record-level reads are audited."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import webtest
from forcestat import access
from forcestat.measures import evaluate
from forcestat.measures.format import export_frame
from webtest import PERIOD, Client

FIXTURE_CALLS = "tests/fixtures/ingest"
CLI = [sys.executable, "-c", "from forcestat.cli import main; main()"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "web.duckdb"
    store = webtest.build_store(path)
    users = webtest.add_users(store)
    app = webtest.make_app(store)
    yield {"app": app, "store": store, "users": users, "path": path}
    store.close()


def client(site, role: str | None) -> Client:
    token = site["users"][role]["token"] if role else None
    return Client(site["app"], token)


def test_catalogue_and_periods_need_no_login(site):
    c = client(site, None)
    keys = {m["key"] for m in c.get("/api/v1/catalogue").json()}
    assert "calls_999_pct_not_answered" in keys
    p = c.get("/api/v1/periods", params={"period": "FY2022/23 to 2022-10"}).json()
    assert p["label"] == "FY2022/23 to 2022-10"
    assert p["months"][0] == "2022-04" and p["months"][-1] == "2022-10"
    assert p["previous"] and p["same_period_last_year"]


def test_measures_equal_the_engine(site):
    c = client(site, "board")
    r = c.get(
        "/api/v1/measures",
        params={
            "measure": ["calls_999_received", "cancelled_crime"],
            "period": PERIOD,
            "grain": "month",
        },
    )
    assert r.status_code == 200
    got = {(row["measure"], row["period"]): row["value"] for row in r.json()["rows"]}
    df = export_frame(
        evaluate(site["store"], ["calls_999_received", "cancelled_crime"], PERIOD, "month")
    )
    want = {(m, p): v for m, p, v in zip(df["measure"], df["period"], df["value"], strict=True)}
    assert got == pytest.approx(want, abs=1e-4)
    assert len(got) == 6


def test_district_narrows_the_figures(site):
    c = client(site, "board")
    whole = c.get("/api/v1/measures", params={"measure": "calls_999_received", "period": PERIOD})
    one = c.get(
        "/api/v1/measures",
        params={"measure": "calls_999_received", "period": PERIOD, "district": "Maidstone"},
    )
    n_whole = whole.json()["rows"][0]["value"]
    n_one = one.json()["rows"][0]["value"]
    stored = (
        site["store"]
        .duck.execute(
            "SELECT count(*) FROM calls WHERE channel = '999' AND district = 'Maidstone' "
            "AND month BETWEEN DATE '2022-08-01' AND DATE '2022-10-01'"
        )
        .fetchone()[0]
    )
    assert n_one == stored and 0 < n_one < n_whole


def test_measures_not_recorded_by_district_say_so(site):
    c = client(site, "board")
    r = c.get(
        "/api/v1/measures",
        params={
            "measure": ["vehicles_detected_over_limit"],
            "period": PERIOD,
            "district": "Maidstone",
        },
    )
    assert r.status_code == 200
    assert r.json()["rows"] == []
    assert r.json()["not_by_district"] == ["vehicles_detected_over_limit"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"period": "not a period"}, "period"),
        ({"period": "2022-13"}, "period"),
        ({"period": "9" * 500}, "period"),
        ({"grain": "week"}, "grain"),
        ({"measure": "no_such_measure"}, "measure"),
        ({"district": "Nowhere"}, "district"),
        ({"measure": "calls_999_received", "by": "vrm"}, "by"),
        ({"comparisons": "maybe"}, "comparisons"),
    ],
)
def test_bad_parameters_get_a_4xx_naming_them(site, params, parameter):
    r = client(site, "board").get("/api/v1/measures", params=params)
    assert 400 <= r.status_code < 500, r.text
    body = r.json()
    assert body["parameter"] == parameter
    assert body["error"]


def test_page_json_twin_is_the_page_data(site):
    c = client(site, "board")
    body = c.get("/index.json", params={"period": PERIOD}).json()
    assert body["page"] == "overview" and body["filters"]["period"] == PERIOD
    tiles = {t["key"]: t for t in body["data"]["tiles"]}
    df = evaluate(site["store"], ["calls_999_pct_not_answered"], PERIOD)
    assert tiles["calls_999_pct_not_answered"]["value"] == pytest.approx(df["value"].iloc[0])
    html = c.get("/", params={"period": PERIOD}).text
    assert tiles["calls_999_pct_not_answered"]["shown"] in html
    measure = c.get("/measures/cancelled_crime.json", params={"period": PERIOD}).json()
    assert measure["data"]["measure"]["key"] == "cancelled_crime"
    assert [r["period"] for r in measure["data"]["rows"]] == ["2022-08", "2022-09", "2022-10"]


def test_measure_downloads(site):
    c = client(site, "board")
    csv = c.get("/measures/calls_999_received/download.csv", params={"period": PERIOD})
    assert csv.status_code == 200 and csv.text.startswith("measure,")
    js = c.get("/measures/calls_999_received/download.json", params={"period": PERIOD}).json()
    pq = c.get("/measures/calls_999_received/download.parquet", params={"period": PERIOD})
    assert pq.content[:4] == b"PAR1"
    assert js[0]["measure"] == "calls_999_received"


def test_quarantine_and_records_are_audited(site):
    c = client(site, "analyst")
    before = len(access.list_access(site["store"], None))
    q = c.get("/api/v1/quarantine", params={"limit": 5})
    rec = c.get("/api/v1/records/calls", params={"period": "2022-10", "limit": 7})
    assert q.status_code == 200 and rec.status_code == 200
    assert len(rec.json()["rows"]) == 7
    rows = access.list_access(site["store"], None)
    assert len(rows) == before + 2
    newest = rows[0]
    assert newest["who"] == "analyst-user" and newest["rows"] == 7 and "calls" in newest["what"]
    assert client(site, "board").get("/api/v1/records/calls").status_code == 403


def test_ingest_upload_keeps_ingests_promises(site, tmp_path):
    c = client(site, "analyst")
    good = tmp_path / "calls.csv"
    good.write_text(
        "call_id,channel,arrived_at,answered_at,ended_at\n"
        "UP-1,999,2022-10-03T10:00:00,2022-10-03T10:00:05,2022-10-03T10:04:00\n"
        "UP-2,999,2022-10-03T11:00:00,,2022-10-03T11:01:00\n"
        "UP-3,999,not a time,,\n",
        "utf-8",
    )
    before = c.get(
        "/api/v1/measures", params={"measure": "calls_999_received", "period": "2022-10"}
    ).json()
    with good.open("rb") as fh:
        r = c.post("/api/v1/ingest", files={"file": ("calls.csv", fh, "text/csv")})
    assert r.status_code == 200, r.text
    (res,) = r.json()
    counts = {"read", "loaded", "quarantined", "skipped_duplicates", "filtered"}
    assert {"file", "kind", *counts} <= set(res)
    assert res["file"] == "calls.csv" and res["kind"] == "calls"
    assert (res["read"], res["loaded"], res["quarantined"]) == (3, 2, 1)
    assert res["read"] == (
        res["loaded"] + res["quarantined"] + res["skipped_duplicates"] + res["filtered"]
    )
    after = c.get(
        "/api/v1/measures", params={"measure": "calls_999_received", "period": "2022-10"}
    ).json()
    assert after["rows"][0]["value"] == before["rows"][0]["value"] + 2  # the cache was dropped
    with good.open("rb") as fh:
        again = c.post("/api/v1/ingest", files={"file": ("calls.csv", fh, "text/csv")}).json()
    # loading twice changes nothing: every row is skipped, the quarantined one included
    assert (again[0]["read"], again[0]["loaded"], again[0]["skipped_duplicates"]) == (3, 0, 3)


def test_ingest_of_a_bad_file_changes_nothing(site, tmp_path):
    c = client(site, "analyst")
    bad = tmp_path / "mystery.csv"
    bad.write_text("what,is,this\n1,2,3\n", "utf-8")
    loads = site["store"].duck.execute("SELECT count(*) FROM load_log").fetchone()[0]
    with bad.open("rb") as fh:
        r = c.post("/api/v1/ingest", files={"file": ("../../etc/mystery.csv", fh)})
    assert r.status_code == 400 and r.json()["error"]
    assert site["store"].duck.execute("SELECT count(*) FROM load_log").fetchone()[0] == loads


def test_ingest_needs_the_analyst_role(site, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a\n1\n")
    for role, status in ((None, 401), ("board", 403)):
        with f.open("rb") as fh:
            assert (
                client(site, role).post("/api/v1/ingest", files={"file": fh}).status_code == status
            )


def test_safe_filename_keeps_uploads_in_their_folder():
    from forcestat.web.api import safe_filename

    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\x.csv") == "x.csv"
    assert safe_filename("a b;rm -rf.csv") == "a_b_rm_-rf.csv"
    assert safe_filename("") == "upload"


def test_reports_download(site):
    c = client(site, "board")
    r = c.post("/api/v1/reports", json={"period": PERIOD, "edition": "public", "format": "html"})
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "Public edition" in r.text
    bad = c.post("/api/v1/reports", json={"period": "soon", "format": "html"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "period"


def test_demand_whatif_parameters_are_checked(site):
    c = client(site, "manager")
    r = c.get("/api/v1/demand/whatif/surge", params={"start": 23, "hours": 5})
    assert r.status_code == 400 and r.json()["parameter"] == "hours"
    r = c.get("/api/v1/demand/whatif/chat", params={"max_k": 99})
    assert r.status_code == 422 and r.json()["parameter"] == "max_k"
    staff = client(site, "analyst").get(
        "/api/v1/demand/staff", params={"channel": "999", "period": "2022-10"}
    )
    assert staff.status_code == 200
    assert staff.json()["summary"]["peak_agents"] >= 1


def test_cli_ingest_on_a_served_store_exits_2_naming_the_server(tmp_path):
    from forcestat.store import Store, hold, release

    db = tmp_path / "held.duckdb"
    Store.open(db).close()
    info = db.with_name("held.duckdb.server")
    # a server in another process: this test's parent stands in for it
    import os

    info.write_text(json.dumps({"url": "http://127.0.0.1:8150", "pid": os.getppid()}))
    r = subprocess.run(
        [*CLI, "ingest", "--db", str(db), FIXTURE_CALLS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 2, r.stderr
    assert "http://127.0.0.1:8150" in r.stderr and "/api/v1/ingest" in r.stderr
    assert "Traceback" not in r.stderr
    info.unlink()
    hold(db, "http://127.0.0.1:8151")  # our own marker never blocks ourselves
    Store.open(db).close()
    release(db)
    assert not info.exists()


def test_users_tokens_and_audit_commands(tmp_path):
    db = str(tmp_path / "u.duckdb")

    def run(*args):
        return subprocess.run(
            [*CLI, *args, "--db", db], capture_output=True, text=True, check=False
        )

    added = run("users", "add", "sam", "--role", "analyst")
    assert added.returncode == 0, added.stderr
    password = added.stdout.strip().splitlines()[-1]
    token = run("tokens", "create", "sam").stdout.strip()
    assert token.startswith("fst_")
    from forcestat.store import Store

    with Store.open(db) as s:
        assert access.authenticate(s, "sam", password).role == "analyst"
        assert access.user_for_token(s, token).name == "sam"
        access.record_access(s, access.User("sam", "analyst"), "read", "records calls", 12)
    listed = run("audit", "--json")
    row = json.loads(listed.stdout.splitlines()[0])
    assert (row["who"], row["rows"], row["what"]) == ("sam", 12, "records calls")
    bad = run("users", "add", "x", "--role", "superuser")
    assert bad.returncode == 2 and "unknown role" in bad.stderr
    assert run("tokens", "create", "nobody").returncode == 2
