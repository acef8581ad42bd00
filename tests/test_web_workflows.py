"""The workflow pages: the Speedwatch coordinator's, the Operation Encompass queue (the
safeguarding role only, every read audited) and volunteer hours, each with its ``.json`` twin.
"""

from __future__ import annotations

import re

import pytest

import webtest
from fixtures.measures.loader import HERE, load_csv
from forcestat import access
from forcestat.ingest import ingest_paths
from forcestat.store import Store
from forcestat.workflows.speedwatch import load_policy, process, write_letters
from webtest import Client

#: a child's name that is also an HTML injection attempt: it must show as text
EVIL_NAME = "<img src=x onerror=alert(1)> Pupil"
ENCOMPASS = {
    "schools": "school_id,name,district,phase,key_adult_email,local_authority\n"
    "SCH1,Hillview Primary,Ashford,primary,dsl@hillview.example,Kent\n",
    "school_terms": "term_id,school_id,local_authority,starts_on,ends_on,inset_days\n"
    "T1,,Kent,2022-09-05,2022-10-21,2022-10-03\n",
    "da_incidents": "incident_id,occurred_at,reported_at,district\n"
    "I1,2022-09-14T22:00:00+01:00,2022-09-14T22:30:00+01:00,Ashford\n",
    "children": f"child_id,name,date_of_birth,school_id\nC1,{EVIL_NAME},2014-03-01,SCH1\n"
    "C2,Ben Pupil,2012-06-02,\n",
    "incident_children": "incident_id,child_id,present\nI1,C1,true\nI1,C2,true\n",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("webwf")
    store = Store.open(tmp / "web.duckdb")
    for kind in ("speedwatch_sites", "speedwatch_sessions", "speedwatch_detections"):
        load_csv(store, kind, HERE / f"{kind}.csv")
    load_csv(store, "vehicle_keepers", HERE / "vehicle_keepers.csv")
    for kind in ("volunteers", "volunteer_duties"):
        load_csv(store, kind, HERE / f"{kind}.csv")
    process(store, load_policy(None))
    write_letters(store, load_policy(None), tmp / "letters", limit=2)  # batch 1
    for kind, text in ENCOMPASS.items():
        (tmp / f"{kind}.csv").write_text(text)
        (r,) = ingest_paths(store, [tmp / f"{kind}.csv"], kind=kind)
        assert r.quarantined == 0, r.as_dict()
    users = webtest.add_users(store)
    password = access.add_user(store, "dsl", "safeguarding")
    users["safeguarding"] = {"name": "dsl", "password": password}
    app = webtest.make_app(store)
    yield {"app": app, "store": store, "users": users}
    store.close()


def as_role(site, role: str) -> Client:
    c = Client(site["app"])
    if role != "public":
        u = site["users"][role]
        assert c.login(u["name"], u["password"]).status_code == 303
    return c


def audit_rows(site, what: str) -> int:
    return sum(1 for r in access.list_access(site["store"], None) if what in (r["what"] or ""))


# -- Speedwatch ----------------------------------------------------------------------------------
def test_the_coordinator_sees_sites_sessions_batches_and_referrals_as_counts(site):
    c = as_role(site, "manager")
    page = c.get("/speedwatch")
    assert page.status_code == 200
    data = c.get("/speedwatch.json").json()["data"]
    assert {s["site_id"] for s in data["sites"]} == {"site1", "site2"}
    ladder = {r["outcome"]: r["detections"] for r in data["ladder"]}
    assert ladder["letter1"] >= 1 and ladder["referral"] == 1
    assert [b["batch_id"] for b in data["letters"]["batches"]] == [1]
    assert data["dvla"]["vehicles"] == 2  # one SORN, one untaxed
    # no registration mark and no keeper on the page itself: they are in the downloads
    keepers = (HERE / "vehicle_keepers.csv").read_text().splitlines()[1:]
    for line in keepers:
        vrm, name = line.split(",")[:2]
        assert vrm not in page.text and name not in page.text
    assert 'href="/speedwatch/letters/1.pdf"' in page.text


def test_letter_batches_and_the_dvla_file_download_for_the_manager_and_are_audited(site):
    c = as_role(site, "manager")
    before = audit_rows(site, "speedwatch letters batch 1"), audit_rows(site, "DVLA referrals")
    pdf = c.get("/speedwatch/letters/1.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    dvla = c.get("/speedwatch/dvla.csv")
    assert dvla.status_code == 200
    assert dvla.text.splitlines()[0].startswith("vrm,tax_status")
    # each download: the web user's access row (and the workflow's own export row)
    after = audit_rows(site, "speedwatch letters batch 1"), audit_rows(site, "DVLA referrals")
    assert after == (before[0] + 1, before[1] + 1)
    assert c.get("/speedwatch/letters/99.pdf").status_code == 400  # no such batch, one line


@pytest.mark.parametrize("url", ["/speedwatch", "/speedwatch.json", "/speedwatch/dvla.csv"])
def test_speedwatch_is_for_managers(site, url):
    assert as_role(site, "analyst").get(url).status_code == 403
    assert as_role(site, "safeguarding").get(url).status_code == 403
    anonymous = Client(site["app"]).get(url, follow_redirects=False)
    assert anonymous.status_code in (303, 401)


# -- Operation Encompass -------------------------------------------------------------------------
def test_the_queue_lists_who_is_due_by_when_and_the_exceptions_escaped(site):
    c = as_role(site, "safeguarding")
    page = c.get("/encompass")
    assert page.status_code == 200
    assert EVIL_NAME not in page.text  # escaped, never markup
    assert "&lt;img src=x onerror=alert(1)&gt; Pupil" in page.text
    data = c.get("/encompass.json").json()["data"]
    (due,) = data["due"]
    assert (due["child_id"], due["due_at"]) == ("C1", "2022-09-15 09:00")  # London time
    assert [(e["child_id"], e["problem"]) for e in data["exceptions"]] == [
        ("C2", "no known school")
    ]


def test_every_read_of_childrens_details_is_audited(site):
    c = as_role(site, "safeguarding")
    before = audit_rows(site, "encompass child")
    c.get("/encompass")
    c.get("/encompass.json")
    child = c.get("/encompass/child/C1.json").json()["data"]
    assert child["child"]["name"] == EVIL_NAME  # JSON carries the value, not markup
    assert [i["incident_id"] for i in child["incidents"]] == ["I1"]
    assert audit_rows(site, "encompass child") == before + 3
    (last,) = access.list_access(site["store"], 1)
    assert (last["who"], last["role"], last["rows"]) == ("dsl", "safeguarding", 2)
    assert c.get("/encompass/child/nobody").status_code == 404


@pytest.mark.parametrize("role", ["board", "analyst", "manager", "admin"])
def test_no_other_role_sees_childrens_details_whatever_its_rank(site, role):
    c = as_role(site, role)
    before = audit_rows(site, "encompass child")
    for url in ("/encompass", "/encompass.json", "/encompass/child/C1", "/encompass/child/C1.json"):
        r = c.get(url)
        assert r.status_code == 403, (role, url)
        assert "Pupil" not in r.text
    assert audit_rows(site, "encompass child") == before  # nothing was read


def test_the_public_is_sent_to_log_in(site):
    r = Client(site["app"]).get("/encompass", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/encompass"
    assert Client(site["app"]).get("/encompass.json").status_code == 401


# -- volunteers ----------------------------------------------------------------------------------
def test_volunteer_hours_by_kind_role_and_activity_for_the_board(site):
    c = as_role(site, "board")
    page = c.get("/volunteers?period=2022-08..2022-10")
    assert page.status_code == 200
    data = c.get("/volunteers.json?period=2022-08..2022-10").json()["data"]
    assert data["hours"]["volunteer_hours"]["value"] == 28.5
    by_kind = {r["kind"]: r["hours"] for r in data["hours_by"]["kind"]}
    assert by_kind == {"special": 18.5, "psv": 5.0, "cpv": 5.0}
    assert data["headcounts"]["cpv_deployed"]["value"] == 1
    # the HTML shows what the JSON holds
    assert re.search(
        r"Community policing volunteers deployed</a></th><td class=\"num\">1<", page.text
    )


def test_volunteer_hours_need_a_login(site):
    assert Client(site["app"]).get("/volunteers.json").status_code == 401


def test_the_coordinator_prints_the_waiting_letters_and_exports_new_referrals_once(site):
    c = as_role(site, "manager")
    waiting = c.get("/speedwatch.json").json()["data"]
    assert waiting["letters"]["not_printed"] > 0 and waiting["dvla"]["not_exported"] == 2
    assert c.post("/speedwatch/letters/print", data={}).status_code == 403  # no CSRF token
    token = c.csrf("/speedwatch")
    printed = c.post("/speedwatch/letters/print", data={"csrf": token})
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    again = c.post("/speedwatch/letters/print", data={"csrf": token})
    assert again.status_code == 400 and "no letters are waiting" in again.text
    export = c.post("/speedwatch/dvla/export", data={"csrf": token})
    assert export.status_code == 200 and len(export.text.splitlines()) == 3  # header, 2 vehicles
    assert len(c.post("/speedwatch/dvla/export", data={"csrf": token}).text.splitlines()) == 1
    after = c.get("/speedwatch.json").json()["data"]
    assert after["letters"]["not_printed"] == 0 and after["dvla"]["not_exported"] == 0
    assert [b["batch_id"] for b in after["letters"]["batches"]] == [2, 1]
    assert as_role(site, "analyst").post("/speedwatch/dvla/export", data={}).status_code == 403
