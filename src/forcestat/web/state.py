"""What one running server holds: the open store (its only writer), a lock and a cache.

DuckDB lets one process write a database file, so the server opens the store once and every
request uses that connection under :attr:`WebState.lock`. Figures are cached by store
version: :meth:`WebState.after_ingest` bumps the version and drops every cached result.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..store import Store

log = logging.getLogger("forcestat.web")
T = TypeVar("T")
#: what :meth:`WebState.peek` returns for a key not (yet) cached
MISSING: Any = object()
#: most cached results kept; the oldest go first
CACHE_LIMIT = 2000


@dataclass
class WebState:
    store: Store
    secret: str = field(default_factory=lambda: os.environ.get("FORCESTAT_SECRET", ""))
    lock: threading.RLock = field(default_factory=threading.RLock)
    version: int = 0
    cache: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    #: set False in tests that use plain http://127.0.0.1 through a browser
    secure_cookies: bool = False
    #: stands in for a session's CSRF token in cached pages (replaced on every response)
    csrf_mark: str = field(default_factory=lambda: "csrf-" + secrets.token_urlsafe(18))

    def __post_init__(self) -> None:
        if not self.secret:
            self.secret = secrets.token_urlsafe(32)
        self.version = self._stored_version()

    def _stored_version(self) -> int:
        row = self.store.duck.execute("SELECT coalesce(max(load_id), 0) FROM load_log").fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def db(self) -> Iterator[Store]:
        """The store, for one request's reads or writes (one at a time)."""
        with self.lock:
            yield self.store

    def cached(self, key: tuple[Any, ...], compute: Callable[[Store], T]) -> T:
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
            self.version += 1
            self.cache.clear()
