"""Who may reach what, and what an attacker can't do: the authorization matrix over every
route and role, CSRF, login rate limits, cookies, security headers, escaping, injection."""

from __future__ import annotations

import re

import pytest

import webtest
from forcestat.web.auth import COOKIE, LoginLimiter
from webtest import EVIL_DISTRICT, PERIOD, Client

ROLES = ("public", "board", "analyst", "manager", "admin")
RANK = {r: i for i, r in enumerate(ROLES)}
#: every GET route, as a URL to try, and the lowest role that may use it
MATRIX = {
    "/": "board",
    "/index.json": "board",
    "/measures/calls_999_received": "board",
    "/measures/calls_999_received.json": "board",
    "/measures/calls_999_received/download.csv": "board",
    "/family/contact": "board",
    "/family/contact.json": "board",
    "/catalogue": "board",
    "/catalogue.json": "board",
    "/demand?period=2022-10": "manager",
    "/demand.json?period=2022-10": "manager",
    "/data": "analyst",
    "/data.json": "analyst",
    "/reports": "board",
    "/reports.json": "board",
    "/public": "public",
    "/public.json": "public",
    "/admin/users": "admin",
    "/admin/users.json": "admin",
    "/login": "public",
    "/openapi.json": "public",
    "/api/v1/catalogue": "public",
    "/api/v1/periods?period=2022-10": "public",
    "/api/v1/me": "public",
    "/api/v1/public": "public",
    "/api/v1/measures?measure=calls_999_received": "board",
    "/api/v1/status": "board",
    "/api/v1/quarantine": "analyst",
    "/api/v1/records/calls?limit=2": "analyst",
    "/api/v1/demand/estimate?period=2022-10": "analyst",
    "/api/v1/demand/staff?period=2022-10": "analyst",
    "/api/v1/demand/whatif/surge?period=2022-10&replications=2": "manager",
    "/api/v1/demand/whatif/chat?max_k=2": "manager",
    "/api/v1/audit": "admin",
    "/api/v1/server": "admin",
    "/speedwatch": "manager",
    "/speedwatch.json": "manager",
    "/speedwatch/dvla.csv": "manager",
    "/volunteers": "board",
    "/volunteers.json": "board",
}
#: routes whose access is tested in test_web_workflows.py: a letter batch the store must hold,
#: and children's details, which need the safeguarding role itself, not a rank
TESTED_ELSEWHERE = {
    "/speedwatch/letters/{batch_id}.pdf",
    "/encompass",
    "/encompass.json",
    "/encompass/child/{child_id}",
    "/encompass/child/{child_id}.json",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    store = webtest.build_store(tmp_path_factory.mktemp("websec") / "web.duckdb")
    users = webtest.add_users(store)
    app = webtest.make_app(store)
    yield {"app": app, "store": store, "users": users}
    store.close()


def as_role(site, role: str, how: str = "token") -> Client:
    if role == "public":
        return Client(site["app"])
    u = site["users"][role]
    if how == "token":
        return Client(site["app"], u["token"])
    c = Client(site["app"])
    assert c.login(u["name"], u["password"]).status_code == 303
    return c


def _route_template(url: str) -> str:
    path = url.split("?")[0]
    path = path.replace("calls_999_received", "{key}").replace(
        "/family/contact", "/family/{family}"
    )
    return path.replace("/records/calls", "/records/{kind}").replace(
        "download.csv", "download.{fmt}"
    )


def test_the_matrix_covers_every_get_route(site):
    app = site["app"]
    # pages are routes of the app; the API is an included router, which newer FastAPI keeps
    # as one opaque route, so its paths come from the OpenAPI schema
    gets = {
        r.path
        for r in app.routes
        if "GET" in getattr(r, "methods", set()) and not r.path.startswith("/static")
    } | {path for path, ops in app.openapi()["paths"].items() if "get" in ops}
    covered = {_route_template(u) for u in MATRIX}
    assert gets - covered - TESTED_ELSEWHERE == set(), "add the new routes to MATRIX"


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(site, role):
    c = as_role(site, role, "cookie")
    for url, needed in MATRIX.items():
        r = c.get(url, follow_redirects=False)
        if RANK[role] >= RANK[needed]:
            assert r.status_code == 200, (url, role, r.text[:200])
        elif role == "public" and not (url.startswith("/api/") or ".json" in url):
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        else:
            assert r.status_code == (401 if role == "public" else 403), (url, role)


def test_tokens_get_the_same_answers_as_sessions(site):
    for role in ("board", "analyst"):
        c = as_role(site, role, "token")
        assert c.get("/api/v1/me").json()["role"] == role
        assert c.get("/api/v1/quarantine").status_code == (200 if role == "analyst" else 403)
    bad = Client(site["app"], "fst_not-a-token").get("/api/v1/catalogue")
    assert bad.status_code == 401


def test_forms_refuse_a_missing_or_wrong_csrf_token(site):
    u = site["users"]["board"]
    c = Client(site["app"])
    r = c.post("/login", data={"username": u["name"], "password": u["password"], "csrf": "x"})
    assert r.status_code == 403
    assert c.login(u["name"], u["password"]).status_code == 303
    for data in ({}, {"csrf": "wrong"}):
        r = c.post("/reports/download", data={"period": PERIOD, "format": "html", **data})
        assert r.status_code == 403
    assert c.post("/logout", data={}).status_code == 403
    assert c.get("/api/v1/me").json()["role"] == "board"  # still logged in


def test_every_form_carries_a_csrf_token(site):
    c = as_role(site, "admin", "cookie")
    for url in ("/", "/data", "/reports", "/admin/users", "/login"):
        html = c.get(url).text
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S | re.I):
            assert 'name="csrf"' in form, (url, form[:120])


def test_logins_are_rate_limited(site):
    u = site["users"]["manager"]
    c = Client(site["app"])
    codes = [
        c.post(
            "/login", data={"username": u["name"], "password": "wrong", "csrf": c.csrf()}
        ).status_code
        for _ in range(5)
    ]
    assert codes == [401] * 5
    r = c.post("/login", data={"username": u["name"], "password": u["password"], "csrf": c.csrf()})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # every in-process client shares one address: let the other tests log in again
    site["app"].state.limiter = LoginLimiter()


def test_session_cookie_is_signed_httponly_samesite(site):
    u = site["users"]["board"]
    c = Client(site["app"])
    r = c.post("/login", data={"username": u["name"], "password": u["password"], "csrf": c.csrf()})
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith(COOKIE) and "httponly" in cookie and "samesite=lax" in cookie
    forged = Client(site["app"])
    forged.cookies.set(COOKIE, c.cookies.get(COOKIE)[:-3] + "abc")
    assert forged.get("/api/v1/me").json()["role"] == "public"


def test_login_never_redirects_off_site(site):
    u = site["users"]["board"]
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        c = Client(site["app"])
        r = c.post(
            "/login",
            data={
                "username": u["name"],
                "password": u["password"],
                "csrf": c.csrf(),
                "next": target,
            },
        )
        assert r.headers["location"].startswith("/") and "evil" not in r.headers["location"][:3]
        assert not r.headers["location"].startswith("//")


@pytest.mark.parametrize("url", ["/public", "/api/v1/catalogue", "/login", "/static/app.js"])
def test_security_headers(site, url):
    r = Client(site["app"]).get(url)
    csp = r.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert script_src.strip() == "'self'"
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script(site):
    c = as_role(site, "admin", "cookie")
    for url in ("/", "/measures/calls_999_pct_not_answered", "/family/crime", "/public", "/data"):
        html = c.get(url).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)


def test_a_district_called_script_shows_as_text(site):
    c = as_role(site, "board", "cookie")
    for url in ("/", f"/?district={EVIL_DISTRICT}", "/measures/calls_999_received"):
        html = c.get(url, params=None).text
        assert EVIL_DISTRICT not in html
        assert "&lt;script&gt;alert(" in html
    j = c.get(
        "/api/v1/measures", params={"measure": "calls_999_received", "district": EVIL_DISTRICT}
    ).json()
    assert j["filters"]["district"] == EVIL_DISTRICT and j["rows"][0]["value"] > 0


PAYLOADS = (
    "' OR '1'='1",
    "1; DROP TABLE calls; --",
    '"><img src=x onerror=alert(1)>',
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "\x00",
    "2022-10' UNION SELECT * FROM users --",
)
PARAMS = {
    "/api/v1/measures": ("measure", "period", "grain", "by", "district"),
    "/api/v1/periods": ("period",),
    "/api/v1/quarantine": ("kind", "limit", "load"),
    "/api/v1/records/calls": ("period", "district", "limit"),
    "/api/v1/public": ("period",),
    "/": ("period", "grain", "district", "channel"),
    "/measures/calls_999_received": ("period", "grain", "district"),
    "/public": ("period",),
    "/login": ("next",),
}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_attempts_in_every_parameter(site, payload):
    c = as_role(site, "admin", "token")
    for url, names in PARAMS.items():
        for name in names:
            r = c.get(url, params={name: payload})
            assert r.status_code < 500, (url, name, r.text[:200])
            if "text/html" in r.headers.get("content-type", ""):
                assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text
    from urllib.parse import quote

    for kind in (quote(payload, safe=""), "calls;drop", "calls%00"):
        assert c.get(f"/api/v1/records/{kind}").status_code in (400, 404)
        assert c.get(f"/measures/{kind}").status_code in (400, 404)
    assert site["store"].has_table("calls") and site["store"].has_table("users")
    users = site["store"].duck.execute("SELECT count(*) FROM users").fetchone()[0]
    assert users == 4


def test_static_files_stay_in_their_folder(site):
    c = Client(site["app"])
    for url in ("/static/../access.py", "/static/%2e%2e/app.py", "/static/vendor/../../app.py"):
        r = c.get(url)
        assert r.status_code == 404 or "create_app" not in r.text
