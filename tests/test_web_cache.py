"""Kept answers: a page or API answer is computed once per store version and user, served again
without recomputing, never to a visitor the route would refuse, with each session's own CSRF
token, and dropped by the next ingest."""

from __future__ import annotations

import re

import pytest

import webtest
from forcestat.web import figures
from webtest import PERIOD, Client


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    store = webtest.build_store(tmp_path_factory.mktemp("cache") / "web.duckdb")
    users = webtest.add_users(store)
    yield {"app": webtest.make_app(store), "store": store, "users": users}
    store.close()


def as_role(site, role: str) -> Client:
    return Client(site["app"], site["users"][role]["token"])


def logged_in(site, role: str) -> Client:
    c = Client(site["app"])
    user = site["users"][role]
    assert c.login(user["name"], user["password"]).status_code == 303
    return c


def test_a_repeated_page_is_not_computed_again(site, monkeypatch):
    c = as_role(site, "board")
    url = f"/?period={PERIOD}&grain=month"
    first = c.get(url)
    assert first.status_code == 200

    def broken(*args, **kwargs):
        raise AssertionError("the overview was computed again")

    monkeypatch.setattr(figures, "overview", broken)
    again = c.get(url)
    assert again.status_code == 200 and again.text == first.text
    assert c.get(url.replace("/?", "/index.json?")).json()["page"] == "overview"


def test_a_kept_answer_is_never_served_to_a_visitor_the_route_refuses(site):
    url = f"/measures/calls_999_received?period={PERIOD}"
    assert as_role(site, "board").get(url).status_code == 200  # now kept for the board user
    anonymous = Client(site["app"]).get(url, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert Client(site["app"], "not-a-token").get(url).status_code == 401
    api = f"/api/v1/measures?measure=calls_999_received&period={PERIOD}"
    assert as_role(site, "board").get(api).status_code == 200
    assert Client(site["app"]).get(api).status_code == 401


def test_each_session_gets_its_own_csrf_token_in_a_kept_page(site):
    tokens = []
    for _ in range(2):
        c = logged_in(site, "board")
        page = c.get(f"/reports?period={PERIOD}")  # kept after the first session's request
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, "no CSRF field on the reports page"
        tokens.append(found.group(1))
        # the token on the kept page is this session's: the form it belongs to accepts it
        out = c.post("/logout", data={"csrf": found.group(1)}, follow_redirects=False)
        assert out.status_code == 303
    assert tokens[0] != tokens[1]


def test_a_token_request_gets_no_session_cookie(site):
    r = as_role(site, "board").get(f"/?period={PERIOD}")
    assert r.status_code == 200 and "set-cookie" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"  # kept answers keep the headers


def test_an_ingest_drops_every_kept_answer(site, tmp_path):
    board, analyst = as_role(site, "board"), as_role(site, "analyst")
    url = "/measures/calls_999_received.json?period=2022-10"
    before = board.get(url).json()["data"]["total"]["value"]
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "call_id,channel,arrived_at,answered_at,ended_at\n"
        "KEPT-1,999,2022-10-04T10:00:00,2022-10-04T10:00:05,2022-10-04T10:04:00\n",
        "utf-8",
    )
    with calls.open("rb") as fh:
        loaded = analyst.post("/api/v1/ingest", files={"file": ("calls.csv", fh, "text/csv")})
    assert loaded.status_code == 200, loaded.text
    assert board.get(url).json()["data"]["total"]["value"] == before + 1
