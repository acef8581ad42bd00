"""What one running server process holds: the open store, a lock and a cache.

DuckDB lets one process write a database file, so the server opens the store once and every
request uses that connection under :attr:`WebState.lock`. Figures are cached by store
version: :meth:`WebState.after_ingest` bumps the version and drops every cached result.

A PostgreSQL store is shared: several server processes (``forcestat serve --workers N``) and
other processes' ``forcestat ingest`` and ``forcestat users`` write it. Each server process
then reads the store's version (:meth:`forcestat.backends.postgres.PostgresStore.version`:
the load log and the access stamp) at most every :data:`VERSION_CHECK_SECONDS` between
requests (:meth:`WebState.refresh`) and drops its cache when it has moved.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

log = logging.getLogger("forcestat.web")
T = TypeVar("T")
#: what :meth:`WebState.peek` returns for a key not (yet) cached
MISSING: Any = object()
#: most cached results kept; the oldest go first
CACHE_LIMIT = 2000
#: on a shared store, the longest a server process shows figures from before another
#: process's load (seconds)
VERSION_CHECK_SECONDS = 1.0


@dataclass
class WebState:
    #: a :class:`forcestat.store.Store` or a PostgreSQL store (forcestat.backends.postgres)
    store: Any
    secret: str = field(default_factory=lambda: os.environ.get("FORCESTAT_SECRET", ""))
    lock: threading.RLock = field(default_factory=threading.RLock)
    version: Any = 0
    cache: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    #: set False in tests that use plain http://127.0.0.1 through a browser
    secure_cookies: bool = False
    #: stands in for a session's CSRF token in cached pages (replaced on every response)
    csrf_mark: str = field(default_factory=lambda: "csrf-" + secrets.token_urlsafe(18))
    #: True on a store other processes write too (PostgreSQL): watch its version
    shared: bool = False
    _checked: float = 0.0

    def __post_init__(self) -> None:
        if not self.secret:  # create_app passes "" when not given one
            self.secret = os.environ.get("FORCESTAT_SECRET") or secrets.token_urlsafe(32)
        self.shared = getattr(self.store, "backend", "duckdb") != "duckdb"
        self.version = self.store.version()
        self._checked = time.monotonic()

    def refresh(self) -> None:
        """On a shared store: if :data:`VERSION_CHECK_SECONDS` have passed, read the store's
        version and, if another process has loaded records or changed users since, drop
        every cached result. Cheap enough to call on every request (the read is one indexed
        query on a connection of its own, made at most once a second)."""
        if not self.shared or time.monotonic() - self._checked < VERSION_CHECK_SECONDS:
            return
        self._checked = time.monotonic()
        try:
            stored = self.store.version()
        except Exception:  # the database is away: keep serving what is cached, say so
            log.exception("reading the store's version failed")
            return
        if stored != self.version:
            self.version = stored  # new keys first: nothing computed before is served again
            self.cache.clear()

    @contextmanager
    def db(self) -> Iterator[Any]:
        """The store, for one request's reads or writes (one at a time)."""
        with self.lock:
            yield self.store

    def cached(self, key: tuple[Any, ...], compute: Callable[[Any], T]) -> T:
        """``compute(store)`` once per store version and key."""
        full = (self.version, *key)
        if full in self.cache:
            return self.cache[full]  # type: ignore[no-any-return]
        with self.lock:
            if full in self.cache:
                return self.cache[full]  # type: ignore[no-any-return]
            value = compute(self.store)
            if len(self.cache) >= CACHE_LIMIT:
                for k in list(self.cache)[: CACHE_LIMIT // 4]:
                    self.cache.pop(k, None)
            self.cache[full] = value
            return value

    def peek(self, key: tuple[Any, ...]) -> Any:
        """The cached value of ``key`` at this store version, or :data:`MISSING` (never waits)."""
        return self.cache.get((self.version, *key), MISSING)

    def forget(self, key: tuple[Any, ...]) -> None:
        """Drop one cached value (a user whose record changed, say)."""
        with self.lock:
            self.cache.pop((self.version, *key), None)

    def engine(self, district: str | None = None) -> Any:
        """One measure engine per store version and district, shared by every page and API
        answer computed in that version (under the lock): the monthly rollups are read once,
        not once a page."""
        from .figures import engine

        return self.cached(("engine", district), lambda store: engine(store, district))

    def warm(self) -> None:
        """Do once, before any visitor asks, what the first page would otherwise wait for:
        the force-wide engine (every rollup read), the store's facts, and one overview (which
        loads the statistics libraries). ``forcestat serve`` runs it in a thread at start."""
        from .figures import districts, last_month, overview
        from .filters import parse_filters

        try:
            with self.lock:
                self.cached(("districts",), districts)
                last = self.cached(("last_month",), last_month)
                if last is not None:
                    f = parse_filters({}, f"{last:%Y-%m}")
                    overview(self.store, f, self.engine(None))
        except Exception:  # a store the overview cannot read: its page will say so
            log.exception("warming the cache failed")

    def allowed(self, role: str, needed: str) -> bool:
        """True when ``role`` ranks at least as high as ``needed`` (ranks cached)."""
        from ..access import roles

        if needed == "public":
            return True
        ranks = self.cached(("roles",), roles)
        return role in ranks and needed in ranks and ranks[role] >= ranks[needed]

    def after_ingest(self) -> None:
        """A load changed the store: every cached figure is stale."""
        with self.lock:
            self.version = self.store.version() if self.shared else self.version + 1
            self._checked = time.monotonic()
            self.cache.clear()
