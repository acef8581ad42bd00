"""The dashboard's pages, each a builder registered with :func:`forcestat.web.pages.page`."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from ..measures import CATALOGUE, FAMILIES
from . import figures
from .filters import ParamError
from .pages import PageContext, page
from .public import board_period, public_page


def _filters(ctx: PageContext) -> Any:
    assert ctx.filters is not None
    return ctx.filters


@page("/", "overview", "Overview", role="board", template="overview.html.j2", nav="Overview")
def overview(ctx: PageContext) -> dict[str, Any]:
    return figures.overview(ctx.store, _filters(ctx), ctx.engine())


@page("/measures/{key}", "measure", "Measure", role="board", template="measure.html.j2")
def measure(ctx: PageContext) -> dict[str, Any]:
    key = ctx.params["key"]
    if key not in CATALOGUE:
        raise HTTPException(404, f"no measure {key!r}: see /api/v1/catalogue")
    return figures.measure_page(ctx.store, key, _filters(ctx), ctx.engine())


@page("/family/{family}", "family", "Family", role="board", template="family.html.j2")
def family(ctx: PageContext) -> dict[str, Any]:
    fam = ctx.params["family"]
    if fam not in FAMILIES:
        raise HTTPException(404, f"no family {fam!r}; families: {', '.join(FAMILIES)}")
    return figures.family_page(ctx.store, fam, _filters(ctx), ctx.engine())


@page(
    "/catalogue",
    "catalogue",
    "Catalogue",
    role="board",
    template="catalogue.html.j2",
    nav="Catalogue",
    filters=False,
)
def catalogue(ctx: PageContext) -> dict[str, Any]:
    return {"measures": figures.catalogue()}


@page(
    "/demand",
    "demand",
    "Demand",
    role="manager",
    template="demand.html.j2",
    nav="Demand",
    uses=("period", "channel"),
)
def demand(ctx: PageContext) -> dict[str, Any]:
    from .demand import demand_page

    return demand_page(ctx.store, _filters(ctx), ctx.request.query_params)


@page(
    "/data",
    "data",
    "Data",
    role="analyst",
    template="data.html.j2",
    nav="Data",
    filters=False,
    cache=False,
)
def data(ctx: PageContext) -> dict[str, Any]:
    from ..ingest import list_quarantine

    out = figures.data_page(ctx.store)
    rows = list_quarantine(ctx.store, limit=100)
    ctx.audit("read", "quarantine (raw rejected records)", len(rows))
    out["quarantine"] = [{k: figures.clean(v) for k, v in r.items()} for r in rows]
    return out


@page(
    "/reports",
    "reports",
    "Reports",
    role="board",
    template="reports.html.j2",
    nav="Reports",
    uses=("period",),
)
def reports(ctx: PageContext) -> dict[str, Any]:
    f = _filters(ctx)
    return {
        "period": f.period.label,
        "formats": ["html", "pdf", "docx"],
        "editions": ["board", "public"],
    }


@page(
    "/public",
    "public",
    "Public figures",
    role="public",
    template="public.html.j2",
    nav="Public figures",
    uses=("period",),
)
def public(ctx: PageContext) -> dict[str, Any]:
    f = _filters(ctx)
    if f.district or f.channel:
        raise ParamError("district" if f.district else "channel", "the public page is force-wide")
    asked = ctx.request.query_params.get("period")
    return public_page(ctx.store, f.period if asked else board_period(f.period))


@page(
    "/admin/users",
    "users",
    "Users",
    role="admin",
    template="users.html.j2",
    nav="Users",
    filters=False,
    cache=False,
)
def users(ctx: PageContext) -> dict[str, Any]:
    from ..access import list_access, list_users, roles

    return {
        "users": [{k: figures.clean(v) for k, v in u.items()} for u in list_users(ctx.store)],
        "roles": roles(ctx.store),
        "audit": [{k: figures.clean(v) for k, v in r.items()} for r in list_access(ctx.store, 50)],
    }
