"""``forcestat serve``: a dashboard, a JSON API and a public page over the measure catalogue.

A thin layer over the core (measures, report, demand, ingest, access): every page is a data
dict built by :mod:`.figures` (or a page builder in :mod:`.views`), rendered by a Jinja2
template and also served as JSON at the same path plus ``.json``. The JSON API lives under
``/api/v1`` (:mod:`.api`), described at ``/openapi.json``.

>>> from forcestat.store import Store
>>> from forcestat.web import create_app
>>> app = create_app(Store.open(":memory:"))
>>> "/public" in {getattr(r, "path", None) for r in app.routes}
True
>>> "/api/v1/measures" in app.openapi()["paths"]
True
"""

from __future__ import annotations

from .app import create_app
from .pages import PAGES, Page, PageContext, page

__all__ = ["PAGES", "Page", "PageContext", "create_app", "page"]
