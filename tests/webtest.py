"""Helpers for the web tests: a store with small counts and districts, users of every role,
and an in-process client speaking to the app through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

import httpx

from forcestat import access
from forcestat.store import Store
from forcestat.web import create_app

FIXTURES = Path(__file__).parent / "fixtures" / "report"
ROLES = ("board", "analyst", "manager", "admin")
PERIOD = "2022-08..2022-10"
#: a district name that is also an HTML injection attempt: it must show as text
EVIL_DISTRICT = "<script>alert('x')</script>"
DISTRICTS = ("Maidstone", EVIL_DISTRICT)


def build_store(path: Path) -> Store:
    """The report's small-count fixture (3 unanswered 999 calls in September 2022, ...), with
    each call and crime given one of two districts."""
    sys.path.insert(0, str(FIXTURES))
    import report_small

    store = report_small.build(Store.open(path))
    for table, key in (("calls", "call_id"), ("crimes", "crime_id")):
        store.duck.execute(
            f"UPDATE {table} SET district = CASE WHEN hash({key}) % 2 = 0 THEN ? ELSE ? END",
            list(DISTRICTS),
        )
    return store


def add_users(store: Store) -> dict[str, dict[str, str]]:
    """One user per role: name -> {role, password, token}."""
    out = {}
    for role in ROLES:
        name = f"{role}-user"
        password = access.add_user(store, name, role)
        out[role] = {"name": name, "password": password, "token": access.create_token(store, name)}
    return out


class Client:
    """A synchronous client over the app in-process (httpx ASGI transport), keeping cookies."""

    def __init__(self, app: Any, token: str | None = None) -> None:
        self.app = app
        self.cookies = httpx.Cookies()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://testserver",
                cookies=self.cookies,
                headers=self.headers,
            ) as c:
                r = await c.request(method, url, **kw)
                self.cookies.update(c.cookies)
                return r

        return asyncio.run(go())

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def csrf(self, page: str = "/login") -> str:
        """The CSRF token of this client's session, read from a form."""
        found = re.search(r'name="csrf" value="([^"]+)"', self.get(page).text)
        assert found, f"no CSRF field on {page}"
        return found.group(1)

    def login(self, name: str, password: str) -> httpx.Response:
        return self.post(
            "/login",
            data={"username": name, "password": password, "csrf": self.csrf(), "next": "/"},
        )


def make_app(store: Store) -> Any:
    return create_app(store, secret="test-secret")
