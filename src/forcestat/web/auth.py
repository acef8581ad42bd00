"""Who is asking: bearer tokens, signed session cookies, CSRF tokens and login rate limits.

Every visitor gets a signed, HttpOnly, SameSite=Lax session cookie holding a CSRF token (and,
after logging in, the user's name). A form posts the CSRF token back as ``csrf``; a script
sends it as ``X-CSRF-Token``. Requests with ``Authorization: Bearer TOKEN`` carry no cookie
and need no CSRF token.

Role checks: :func:`require` gives a FastAPI dependency; a role may do what every role of a
lower rank may (the ranks live in the store's ``roles`` table, see :mod:`forcestat.access`).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from typing import Any

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from .. import access
from ..access import PUBLIC, User
from .state import MISSING

COOKIE = "forcestat_session"
SESSION_SECONDS = 12 * 3600
#: failed logins allowed per client address and per user name in LOGIN_WINDOW seconds
LOGIN_FAILURES = 5
LOGIN_WINDOW = 300.0


class LoginRequired(Exception):
    """A page needs a role the visitor has not logged in with: redirect to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="forcestat-session")


def read_session(request: Request) -> dict[str, Any]:
    """The signed session (``csrf`` and maybe ``user``), or a new one."""
    cached = getattr(request.state, "session", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    raw = request.cookies.get(COOKIE)
    session: dict[str, Any] = {}
    if raw:
        try:
            loaded = serializer(request.app.state.web.secret).loads(raw, max_age=SESSION_SECONDS)
            if isinstance(loaded, dict):
                session = loaded
        except BadSignature:
            session = {}
    if not isinstance(session.get("csrf"), str):
        session = {"csrf": secrets.token_urlsafe(24)}
        request.state.session_changed = True
    request.state.session = session
    return session


def csrf_token(request: Request) -> str:
    """The CSRF token a page's forms carry: the session's; none for a bearer-token request,
    which needs none and gets no session cookie."""
    if getattr(request.state, "via_token", False):
        return ""
    return str(read_session(request)["csrf"])


def write_session(request: Request, session: dict[str, Any]) -> None:
    request.state.session = session
    request.state.session_changed = True


def session_cookie(request: Request) -> str | None:
    """The cookie value to set on the response, if the session changed."""
    if not getattr(request.state, "session_changed", False):
        return None
    return serializer(request.app.state.web.secret).dumps(request.state.session)


def current_user(request: Request) -> User:
    """The user a request speaks for: a bearer token's, the session's, or the public (users
    and tokens are looked up once per store version)."""
    user = _user(request, wait=True)
    assert user is not None
    return user


def known_user(request: Request) -> User | None:
    """:func:`current_user` without waiting for the store: None when the user's record is
    not cached yet (ask again from a worker thread)."""
    return _user(request, wait=False)


def _user(request: Request, wait: bool) -> User | None:
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    web = request.app.state.web
    user = PUBLIC
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        key = ("token", access.token_digest(token))
        found = (
            web.cached(key, lambda store: access.user_for_token(store, token))
            if wait
            else web.peek(key)
        )
        if found is MISSING:
            return None
        if found is None:
            raise HTTPException(401, "invalid or revoked token", {"WWW-Authenticate": "Bearer"})
        user = found
        request.state.via_token = True
    else:
        name = read_session(request).get("user")
        if isinstance(name, str):
            key = ("user", name)
            known = (
                web.cached(key, lambda store: access.get_user(store, name))
                if wait
                else web.peek(key)
            )
            if known is MISSING:
                return None
            user = known or PUBLIC
    request.state.user = user
    return user


def has_role(request: Request, user: User, needed: str) -> bool:
    return bool(request.app.state.web.allowed(user.role, needed))


def require(role: str, page: bool = False) -> Any:
    """A dependency: the user, if their role ranks at least ``role``; else 401/403 (or, for a
    page, a redirect to the login form). Answered on the event loop when the user and the
    roles are cached, else from a worker thread (a store read must not block the loop)."""

    def decide(request: Request) -> User:
        user = current_user(request)
        if role == "public" or has_role(request, user, role):
            return user
        if user is PUBLIC:
            if page and not request.url.path.endswith(".json"):
                raise LoginRequired(str(request.url.path) + _query(request))
            raise HTTPException(401, f"log in or send a bearer token: needs the {role} role")
        raise HTTPException(403, f"needs the {role} role; {user.name} is {user.role}")

    async def check(request: Request) -> User:
        web = request.app.state.web
        if known_user(request) is None or web.peek(("roles",)) is MISSING:
            return await run_in_threadpool(decide, request)
        return decide(request)

    check.role = role  # type: ignore[attr-defined]
    return check


def _query(request: Request) -> str:
    return f"?{request.url.query}" if request.url.query else ""


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a cookie-authenticated write whose CSRF token is missing or wrong."""
    if getattr(request.state, "via_token", False):
        return
    expected = read_session(request).get("csrf", "")
    if not sent or not hmac.compare_digest(str(sent), str(expected)):
        raise HTTPException(403, "missing or wrong CSRF token: reload the form and try again")


class LoginLimiter:
    """Refuses logins after LOGIN_FAILURES failures in LOGIN_WINDOW seconds, per client
    address and per user name."""

    def __init__(self, failures: int = LOGIN_FAILURES, window: float = LOGIN_WINDOW) -> None:
        self.failures, self.window = failures, window
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        q = self._seen[key]
        cutoff = time.monotonic() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait, or 0 when a login may be tried now."""
        waits = [
            int(q[0] + self.window - time.monotonic()) + 1
            for k in keys
            if len(q := self._recent(k)) >= self.failures
        ]
        return max(waits, default=0)

    def failed(self, *keys: str) -> None:
        for k in keys:
            self._recent(k).append(time.monotonic())

    def succeeded(self, *keys: str) -> None:
        for k in keys:
            self._seen.pop(k, None)
