"""Pages: each is registered once and served twice, as HTML and as its ``.json`` twin, both
from the same data dict (datasette's pattern).

Adding a page is one decorated function::

    @page("/speedwatch/queue", "speedwatch_queue", "Speedwatch queue", role="manager",
          template="table.html.j2", nav="Speedwatch")
    def speedwatch_queue(ctx: PageContext) -> dict:
        return {...}

``role`` is the lowest role that may see it (see :mod:`forcestat.access`); ``cache`` keeps
the dict until the next ingest (aggregate pages only: a page showing records must be built,
and audited, on every request); ``backends`` names the stores whose SQL the builder speaks
(default: the DuckDB file and PostgreSQL). On any other store the page answers 501 with one
clear sentence (:func:`check_backend`) and leaves the navigation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request

from ..access import User
from .filters import Filters

#: the stores a page works on unless it says otherwise
ALL_BACKENDS = ("duckdb", "postgres")
BACKEND_NAMES = {"duckdb": "the DuckDB file", "postgres": "PostgreSQL", "spark": "Spark"}


@dataclass
class PageContext:
    """What a page's builder gets: the request, the user, the store and the filters."""

    request: Request
    user: User
    store: Any
    filters: Filters | None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def web(self) -> Any:
        return self.request.app.state.web

    def engine(self) -> Any:
        """The store version's shared measure engine for the filters' district."""
        return self.web.engine(self.filters.district if self.filters else None)

    def audit(self, action: str, what: str, rows: int) -> None:
        """Write an audit row for a read of record-level data."""
        from ..access import record_access

        via = "token" if getattr(self.request.state, "via_token", False) else "web"
        record_access(self.store, self.user, action, what, rows, via)


Builder = Callable[[PageContext], dict[str, Any]]


@dataclass(frozen=True)
class Page:
    path: str
    name: str
    title: str
    role: str
    template: str
    build: Builder
    nav: str | None = None
    filters: bool = True
    cache: bool = True
    #: filters this page uses (others are hidden from its form)
    uses: tuple[str, ...] = ("period", "grain", "district", "channel")
    #: the stores the page works on
    backends: tuple[str, ...] = ALL_BACKENDS


PAGES: list[Page] = []


def page(
    path: str,
    name: str,
    title: str,
    *,
    role: str,
    template: str,
    nav: str | None = None,
    filters: bool = True,
    cache: bool = True,
    uses: tuple[str, ...] = ("period", "grain", "district", "channel"),
    backends: tuple[str, ...] = ALL_BACKENDS,
) -> Callable[[Builder], Builder]:
    """Register a page (see the module docstring)."""

    def add(build: Builder) -> Builder:
        PAGES[:] = [p for p in PAGES if p.name != name]
        PAGES.append(
            Page(path, name, title, role, template, build, nav, filters, cache, uses, backends)
        )
        return build

    return add


def nav_pages(allowed: Callable[[str], bool], backend: str = "duckdb") -> list[Page]:
    """The pages in the navigation that a role may see on a store of ``backend``."""
    return [p for p in PAGES if p.nav and allowed(p.role) and backend in p.backends]


def check_backend(request: Request, backends: tuple[str, ...], what: str) -> None:
    """Answer 501 (one sentence naming the store it needs) when ``what`` cannot run on the
    server's store."""
    backend = getattr(request.app.state.web.store, "backend", "duckdb")
    if backend not in backends:
        needs = " or ".join(BACKEND_NAMES.get(b, b) for b in backends)
        raise HTTPException(
            501,
            f"{what[:1].upper()}{what[1:]} needs {needs} for now; this server's store is on "
            f"{BACKEND_NAMES.get(backend, backend)} (see docs/deploy.md)",
        )


def needs_backend(*backends: str, what: str) -> Callable[[Request], None]:
    """A route dependency: :func:`check_backend` before anything else runs."""

    def check(request: Request) -> None:
        check_backend(request, backends, what)

    return check
