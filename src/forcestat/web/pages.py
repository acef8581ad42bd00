"""Pages: each is registered once and served twice, as HTML and as its ``.json`` twin, both
from the same data dict (datasette's pattern).

Adding a page is one decorated function::

    @page("/speedwatch/queue", "speedwatch_queue", "Speedwatch queue", role="manager",
          template="table.html.j2", nav="Speedwatch")
    def speedwatch_queue(ctx: PageContext) -> dict:
        return {...}

``role`` is the lowest role that may see it (see :mod:`forcestat.access`); ``cache`` keeps
the dict until the next ingest (aggregate pages only: a page showing records must be built,
and audited, on every request).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from ..access import User
from .filters import Filters


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
) -> Callable[[Builder], Builder]:
    """Register a page (see the module docstring)."""

    def add(build: Builder) -> Builder:
        PAGES[:] = [p for p in PAGES if p.name != name]
        PAGES.append(Page(path, name, title, role, template, build, nav, filters, cache, uses))
        return build

    return add


def nav_pages(allowed: Callable[[str], bool]) -> list[Page]:
    """The pages in the navigation that a role may see."""
    return [p for p in PAGES if p.nav and allowed(p.role)]
