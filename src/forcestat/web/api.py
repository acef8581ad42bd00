"""The JSON API under ``/api/v1``, described at ``/openapi.json``.

Bad parameters answer 400 (or 422 for a wrong type) with ``{"error": ..., "parameter": ...}``
naming the parameter. Reads of record-level rows (quarantine, records) need the analyst role
and write an audit row.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from .. import access
from ..errors import ForcestatError
from ..measures import GRAINS, evaluate, resolve
from ..measures.format import export_frame
from ..schema import KINDS
from . import demand as demand_web
from . import figures
from .auth import check_csrf, require
from .filters import CHANNELS, ParamError, parse_filters, parse_period_param
from .public import board_period, public_page
from .responses import cached_response
from .state import WebState


class ErrorBody(BaseModel):
    error: str
    status: int
    parameter: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A parameter cannot be used (named)"},
    401: {"model": ErrorBody, "description": "Log in or send a bearer token"},
    403: {"model": ErrorBody, "description": "The user's role may not do this"},
    404: {"model": ErrorBody, "description": "No such thing"},
    422: {"model": ErrorBody, "description": "A parameter of the wrong type (named)"},
    429: {"model": ErrorBody, "description": "Too many requests"},
}
router = APIRouter(prefix="/api/v1", responses=ERRORS)
Board = Annotated[access.User, Depends(require("board"))]
Analyst = Annotated[access.User, Depends(require("analyst"))]
Manager = Annotated[access.User, Depends(require("manager"))]
Admin = Annotated[access.User, Depends(require("admin"))]
Anyone = Annotated[access.User, Depends(require("public"))]
PeriodQ = Annotated[
    str | None,
    Query(
        max_length=80,
        description="e.g. 2022-10, 2022-08..2022-10, FY2022/23, "
        "FY2022/23 Q2, FY2022/23 to 2022-10, R12 2022-10; default: the latest month held",
    ),
]
DistrictQ = Annotated[str | None, Query(max_length=80, description="Only this district's records")]


def _web(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def _filters(request: Request, period: str | None, grain: str, district: str | None) -> Any:
    from .app import _default_period, _districts

    web = _web(request)
    params = {"period": period, "grain": grain, "district": district}
    return parse_filters(params, _default_period(web), _districts(web))


def _audit(request: Request, user: access.User, action: str, what: str, rows: int) -> None:
    via = "token" if getattr(request.state, "via_token", False) else "web"
    with _web(request).db() as store:
        access.record_access(store, user, action, what, rows, via)


# -- catalogue and periods -------------------------------------------------------------------
@router.get("/catalogue", summary="Every measure: key, label, unit, family, definition")
def catalogue(user: Anyone) -> list[dict[str, Any]]:
    return figures.catalogue()


@router.get("/periods", summary="Parse a period: its span, months and comparison periods")
def periods(user: Anyone, period: Annotated[str, Query(max_length=80)]) -> dict[str, Any]:
    return figures.period_info(parse_period_param(period))


@router.get("/me", summary="The user this request speaks for")
def me(request: Request, user: Anyone) -> dict[str, Any]:
    web = _web(request)
    ranks = web.cached(("roles",), access.roles)
    return {
        "name": user.name,
        "role": user.role,
        "may": [r for r in ranks if web.allowed(user.role, r)],
    }


@router.get("/server", summary="This server process: its store, the store's version, its pid")
def server(request: Request, user: Admin) -> dict[str, Any]:
    """Which process answered (several serve a PostgreSQL store) and the store version its
    figures are cached at."""
    import os

    from ..backends import redact

    web = _web(request)
    return {
        "backend": getattr(web.store, "backend", "duckdb"),
        "store": redact(str(web.store.path)),
        "store_version": str(web.version),
        "pid": os.getpid(),
    }


# -- measures ----------------------------------------------------------------------------------
@router.get(
    "/measures",
    summary="Measures over a period, by grain, with comparisons",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def measures(
    request: Request,
    user: Board,
    measure: Annotated[
        list[str] | None,
        Query(description="Measure keys or family names (repeatable); default all"),
    ] = None,
    period: PeriodQ = None,
    grain: Annotated[str, Query(description=f"One of: {', '.join(GRAINS)}")] = "total",
    by: Annotated[
        str | None, Query(max_length=40, description="Break a count down by a column")
    ] = None,
    district: DistrictQ = None,
    comparisons: bool = True,
) -> Response:
    """One row per measure and period with evaluate's columns (full precision); the answer
    is encoded once per store version and served from memory after that."""
    args = (request, measure, period, grain, by, district, comparisons)
    return await cached_response(request, user, "application/json", lambda: _measures_body(*args))


def _measures_body(
    request: Request,
    measure: list[str] | None,
    period: str | None,
    grain: str,
    by: str | None,
    district: str | None,
    comparisons: bool,
) -> bytes:
    f = _filters(request, period, grain, district)
    keys = measure or None
    try:
        ms = resolve(keys)
    except ForcestatError as e:
        raise ParamError("measure", str(e)) from None
    web = _web(request)
    if by is not None:
        return _json({"filters": f.as_dict(), "rows": _breakdowns(web, ms, f, by)}).body

    def compute(store: Any) -> list[dict[str, Any]]:
        usable = [m for m in ms if not f.district or figures.by_district(m)]
        if not usable:
            return []
        con = figures.source(store, f.district)
        eng = web.engine(f.district)
        keys = [m.key for m in usable]
        df = evaluate(con, keys, f.period, f.grain, comparisons=comparisons, engine=eng)
        # full precision: a value rounded here and again for display can print one unit off
        return figures.rows_of(export_frame(df, decimals=10))

    def encoded(store: Any) -> bytes:
        out: dict[str, Any] = {"filters": f.as_dict(), "rows": compute(store)}
        skipped = [m.key for m in ms if f.district and not figures.by_district(m)]
        if skipped:
            out["not_by_district"] = skipped
        return json.dumps(jsonable_encoder(out), allow_nan=False).encode()

    key = ("api_measures", tuple(m.key for m in ms), f.query(), comparisons)
    return web.cached(key, encoded)


def _json(obj: Any) -> Response:
    return Response(
        json.dumps(jsonable_encoder(obj), allow_nan=False).encode(), media_type="application/json"
    )


def _breakdowns(web: WebState, ms: list[Any], f: Any, by: str) -> list[dict[str, Any]]:
    from ..measures import breakdown

    for m in ms:
        if by not in m.breakdowns:
            allowed = ", ".join(m.breakdowns) or "none"
            raise ParamError("by", f"{m.key} cannot be broken down by {by!r} (can: {allowed})")

    def compute(store: Any) -> list[dict[str, Any]]:
        out = []
        for m in ms:
            df = breakdown(store, m.key, f.period, by)
            for r in figures.rows_of(df):
                out.append({"measure": m.key, "period": f.period.label, **r})
        return out

    return web.cached(("api_breakdown", tuple(m.key for m in ms), f.query(), by), compute)


# -- store -------------------------------------------------------------------------------------
@router.get("/status", summary="Each table's rows, month range and quarantined rows")
def status(request: Request, user: Board) -> list[dict[str, Any]]:
    with _web(request).db() as store:
        return store.status()


@router.get("/quarantine", summary="Quarantined rows with the rule each broke (audited)")
def quarantine(
    request: Request,
    user: Analyst,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    load: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> dict[str, Any]:
    from ..ingest import list_quarantine
    from ..ingest.quarantine import quarantine_summary

    if kind is not None and kind not in KINDS:
        raise ParamError("kind", f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
    with _web(request).db() as store:
        rows = list_quarantine(store, limit=limit, kind=kind, load_id=load)
        summary = quarantine_summary(store)
    _audit(request, user, "read", f"quarantine kind={kind or '*'} load={load or '*'}", len(rows))
    return {
        "summary": summary,
        "rows": jsonable_encoder([{k: figures.clean(v) for k, v in r.items()} for r in rows]),
    }


@router.get("/records/{kind}", summary="Record-level rows of one kind (analyst; audited)")
def records(
    request: Request,
    user: Analyst,
    kind: str,
    period: PeriodQ = None,
    district: DistrictQ = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
) -> dict[str, Any]:
    k = KINDS.get(kind)
    if k is None:
        raise ParamError("kind", f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
    f = _filters(request, period, "month", district)
    cols = [c.name for c in k.columns]
    where, args = [], []
    if k.month_sql:
        where.append("month >= ? AND month < ?")
        args += [f.period.start, f.period.end]
    if f.district and "district" in cols:
        where.append("district = ?")
        args.append(f.district)
    sql = f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{k.name}"'
    sql += (" WHERE " + " AND ".join(where) if where else "") + f" LIMIT {int(limit)}"
    with _web(request).db() as store:
        if not store.has_table(k.name):
            rows: list[dict[str, Any]] = []
        else:
            df = store.frame(sql, args)
            rows = figures.rows_of(df)
    _audit(
        request,
        user,
        "read",
        f"records {kind} {f.period.label} {f.district or ''}".strip(),
        len(rows),
    )
    return {"kind": kind, "filters": f.as_dict(), "rows": jsonable_encoder(rows)}


# -- ingest ------------------------------------------------------------------------------------
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str | None) -> str:
    """An uploaded file's name with no folders and no odd characters (keeps its suffix)."""
    base = Path((name or "upload").replace("\\", "/")).name
    clean = SAFE_NAME.sub("_", base).lstrip(".") or "upload"
    return clean[:120]


@router.post("/ingest", summary="Upload record files: each row loaded, quarantined or skipped")
async def ingest(
    request: Request,
    user: Analyst,
    file: Annotated[list[UploadFile], File(description="One or more record files")],
    kind: Annotated[str | None, Form(max_length=40)] = None,
    replace: Annotated[bool, Form()] = False,
    csrf: Annotated[str | None, Form()] = None,
) -> list[dict[str, Any]]:
    """The same guarantees as ``forcestat ingest``: every file's header is checked before
    anything loads, each file loads in one transaction, loading twice changes nothing; the
    answer has one object per file with the keys of ``forcestat ingest --json``."""
    check_csrf(request, csrf or request.headers.get("x-csrf-token"))
    if kind is not None and kind not in KINDS:
        raise ParamError("kind", f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
    tmp = Path(tempfile.mkdtemp(prefix="forcestat-upload-"))
    try:
        paths, names = [], {}
        for i, up in enumerate(file):
            name = safe_filename(up.filename)
            folder = tmp / str(i)
            folder.mkdir()
            dest = folder / name
            with dest.open("wb") as out:
                shutil.copyfileobj(up.file, out)
            paths.append(dest)
            names[str(dest)] = name
        web = _web(request)

        def run() -> list[dict[str, Any]]:
            from ..ingest.anystore import ingest_paths  # the store's own loader

            with web.db() as store:
                results = ingest_paths(store, paths, kind=kind, replace=replace)
                for r in results:
                    shown = f"upload:{names.get(r.file, Path(r.file).name)}"
                    store.run("UPDATE load_log SET file = ? WHERE load_id = ?", [shown, r.load_id])
                    store.run(
                        "UPDATE quarantine SET file = ? WHERE load_id = ?", [shown, r.load_id]
                    )
                    r.file = names.get(r.file, Path(r.file).name)
                web.after_ingest()
                return [r.as_dict() for r in results]

        results = await run_in_threadpool(run)
        _audit(
            request,
            user,
            "ingest",
            ", ".join(names.values()),
            sum(int(r["loaded"]) for r in results),
        )  # type: ignore[call-overload]
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- reports -----------------------------------------------------------------------------------
MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class ReportRequest(BaseModel):
    period: str
    edition: Literal["board", "public"] = "board"
    format: Literal["html", "pdf", "docx"] = "pdf"


def write_report_file(web: WebState, period: str, edition: str, fmt: str) -> tuple[Path, Path]:
    """Write one report file into a new temporary folder: (file, folder)."""
    from ..report import write_report

    p = parse_period_param(period)
    if edition not in ("board", "public"):
        raise ParamError("edition", "board or public")
    if fmt not in MEDIA:
        raise ParamError("format", f"one of {', '.join(MEDIA)}")
    tmp = Path(tempfile.mkdtemp(prefix="forcestat-report-"))
    with web.db() as store:
        paths = write_report(store, p, tmp, formats=(fmt,), public=edition == "public")
    return paths[fmt], tmp


def report_response(web: WebState, period: str, edition: str, fmt: str) -> Response:
    path, tmp = write_report_file(web, period, edition, fmt)
    label = parse_period_param(period).label.replace("/", "-").replace(" ", "_")
    name = f"forcestat-{edition}-report-{label}.{fmt}"
    return FileResponse(
        path,
        media_type=MEDIA[fmt],
        filename=name,
        background=BackgroundTask(shutil.rmtree, tmp, True),
    )


@router.post(
    "/reports",
    summary="Write the board report (or its public edition) and download it",
    response_class=Response,
    responses={200: {"content": {v: {} for v in MEDIA.values()}}},
)
async def reports(request: Request, user: Board, body: ReportRequest) -> Response:
    return await run_in_threadpool(
        report_response, _web(request), body.period, body.edition, body.format
    )


# -- public ------------------------------------------------------------------------------------
@router.get("/public", summary="The public figures: aggregates, small counts suppressed")
def public(request: Request, user: Anyone, period: PeriodQ = None) -> dict[str, Any]:
    f = _filters(request, period, "month", None)
    p = f.period if period else board_period(f.period)
    return _web(request).cached(("public", p.label), lambda s: public_page(s, p))


# -- demand ------------------------------------------------------------------------------------
ChannelQ = Annotated[Literal["999", "101"], Query(description="999 or 101")]


@router.get("/demand/estimate", summary="Arrival rates by hour of week, talk time, patience")
def demand_estimate(
    request: Request, user: Analyst, channel: ChannelQ = "999", period: PeriodQ = None
) -> dict[str, Any]:
    f = _filters(request, period, "month", None)

    def compute(store: Any) -> dict[str, Any]:
        est = demand_web._estimate(store, channel, f.period.label)
        return jsonable_encoder(_plain(est.as_dict()))

    return _web(request).cached(("estimate", channel, f.period.label), compute)


@router.get("/demand/staff", summary="Agents needed by hour of week for the channel's standard")
def demand_staff(
    request: Request, user: Analyst, channel: ChannelQ = "999", period: PeriodQ = None
) -> dict[str, Any]:
    f = _filters(request, period, "month", None)
    return _web(request).cached(
        ("staff", channel, f.period.label),
        lambda s: demand_web.staffing(s, channel, f.period.label),
    )


@router.get("/demand/whatif/surge", summary="999 surge: normal, surge, surge with diversion")
def demand_surge(
    request: Request,
    user: Manager,
    period: PeriodQ = None,
    day: Annotated[Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], Query()] = "Fri",
    start: Annotated[int, Query(ge=0, le=23)] = 18,
    hours: Annotated[int, Query(ge=1, le=24)] = 3,
    factor: Annotated[float, Query(ge=0.1, le=10)] = 2.0,
    divert: Annotated[float, Query(ge=0, le=100)] = 0.0,
    replications: Annotated[int, Query(ge=2, le=50)] = 10,
) -> dict[str, Any]:
    f = _filters(request, period, "month", None)
    p = {
        "day": day,
        "start": start,
        "hours": hours,
        "factor": factor,
        "divert": divert,
        "replications": replications,
    }
    if start + hours > 24:
        raise ParamError("hours", f"the surge must end by midnight (start {start} + {hours} h)")
    return _web(request).cached(
        ("surge", f.period.label, tuple(p.items())),
        lambda s: demand_web.surge(s, f.period.label, p),
    )


@router.get("/demand/whatif/chat", summary="Live-chat operators needed by concurrency")
def demand_chat(
    request: Request,
    user: Manager,
    chats_per_hour: Annotated[float, Query(gt=0, le=500)] = 30.0,
    aht: Annotated[float, Query(ge=10, le=7200)] = 600.0,
    patience: Annotated[float, Query(ge=5, le=7200)] = 300.0,
    target: Annotated[float, Query(ge=1, le=99)] = 80.0,
    within: Annotated[float, Query(ge=1, le=3600)] = 60.0,
    slowdown: Annotated[float, Query(ge=0, le=2)] = 0.25,
    max_k: Annotated[int, Query(ge=1, le=8)] = 4,
) -> dict[str, Any]:
    p = {
        "chats_per_hour": chats_per_hour,
        "aht": aht,
        "patience": patience,
        "target": target,
        "within": within,
        "slowdown": slowdown,
        "max_k": max_k,
    }
    return _web(request).cached(("chat", tuple(p.items())), lambda s: demand_web.chat(p))


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return figures.clean(obj)


# -- users, tokens, audit ----------------------------------------------------------------------
class NewUser(BaseModel):
    name: str
    role: str


@router.post("/users", summary="Add a user (admin): answers a one-time password")
def add_user(request: Request, user: Admin, body: NewUser) -> dict[str, Any]:
    check_csrf(request, request.headers.get("x-csrf-token"))
    with _web(request).db() as store:
        try:
            password = access.add_user(store, body.name, body.role)
        except ForcestatError as e:
            raise ParamError("role" if "role" in str(e) else "name", str(e)) from None
    _web(request).forget(("user", body.name))  # a reset user may have a new role
    _audit(request, user, "add user", f"{body.name} as {body.role}", 0)
    return {"name": body.name, "role": body.role, "password": password}


@router.post("/tokens", summary="A new bearer token for the logged-in user (shown once)")
def new_token(request: Request, user: Board) -> dict[str, Any]:
    check_csrf(request, request.headers.get("x-csrf-token"))
    with _web(request).db() as store:
        token = access.create_token(store, user.name, "web")
    return {"name": user.name, "token": token}


@router.get("/audit", summary="The access audit: who read record-level data, when, how many rows")
def audit(
    request: Request, user: Admin, limit: Annotated[int, Query(ge=1, le=10_000)] = 100
) -> list[dict[str, Any]]:
    with _web(request).db() as store:
        rows = access.list_access(store, limit)
    return jsonable_encoder(rows)


__all__ = ["router", "report_response", "CHANNELS"]
