"""Whole responses kept until the next ingest, and served before routing when asked again.

A page or API answer built from aggregates is the same for every request of one user at one
store version, so :func:`cached_response` keeps its body (HTML with a mark where the
session's CSRF token goes, or encoded JSON) under the request's path, query string, user
name and role. :class:`CachedResponses` answers a repeated GET from there without routing,
dependency resolution or a worker thread: an entry exists only after the route has
authorised that user and role at this version, and ingest drops every entry
(:meth:`forcestat.web.state.WebState.after_ingest`; on a shared store, another process's
load too: :meth:`forcestat.web.state.WebState.refresh`, called first on every request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ..access import User
from . import auth
from .state import MISSING, WebState

#: a kept answer: its media type and body (str bodies hold the CSRF mark)
Kept = tuple[str, str | bytes]


def response_key(scope: Scope, user: User) -> tuple[Any, ...]:
    return ("response", scope["path"], scope["query_string"], user.name, user.role)


def respond(request: Request, kept: Kept) -> Response:
    """The response for a kept answer, with this session's CSRF token in place of the mark."""
    media_type, body = kept
    if isinstance(body, str):
        web: WebState = request.app.state.web
        body = body.replace(web.csrf_mark, auth.csrf_token(request))
    return Response(body, media_type=media_type)


async def cached_response(
    request: Request, user: User, media_type: str, make: Callable[[], str | bytes]
) -> Response:
    """``make()`` once per store version, user and URL (in a worker thread, under the
    store's lock); the kept answer after that."""
    web: WebState = request.app.state.web
    key = response_key(request.scope, user)
    kept = web.peek(key)
    if kept is MISSING:
        kept = await run_in_threadpool(web.cached, key, lambda _store: (media_type, make()))
    return respond(request, kept)


class CachedResponses:
    """ASGI middleware: a GET whose answer is kept for this user is answered at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["app"].state.web.refresh()  # a shared store: another process's load shows
        if scope["type"] == "http" and scope["method"] == "GET":
            request = Request(scope)
            web: WebState = request.app.state.web
            try:
                user = auth.known_user(request)
            except HTTPException:  # a bad token: the route says so
                user = None
            if user is not None:
                kept = web.peek(response_key(scope, user))
                if kept is not MISSING:
                    await respond(request, kept)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
