"""The FastAPI application: pages (HTML and ``.json``), the JSON API, login, security headers.

:func:`create_app` takes an open store; ``forcestat serve`` opens it and holds it.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import access
from ..errors import ForcestatError
from ..safe import to_csv
from ..store import Store
from . import auth, figures
from .filters import ParamError, parse_filters, period_choices
from .pages import PAGES, Page, PageContext, check_backend, nav_pages
from .responses import CachedResponses, cached_response
from .state import WebState

log = logging.getLogger("forcestat.web")
HERE = Path(str(resources.files("forcestat") / "web"))

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds the security headers (and the session cookie, when the session changed) to every
    response. A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` costs each request
    a task and a stream, which is most of what a cached page costs to serve."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in SECURITY_HEADERS.items():
                    headers.setdefault(k, v)
                if scope["path"].startswith("/static/"):
                    headers["Cache-Control"] = "public, max-age=3600"
                request = Request(scope)
                cookie = auth.session_cookie(request)
                if cookie is not None:
                    jar = Response()
                    jar.set_cookie(
                        auth.COOKIE,
                        cookie,
                        max_age=auth.SESSION_SECONDS,
                        httponly=True,
                        samesite="lax",
                        secure=request.app.state.web.secure_cookies,
                        path="/",
                    )
                    headers.append("set-cookie", jar.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, send_with_headers)


def wants_json(request: Request) -> bool:
    p = request.url.path
    return p.startswith("/api/") or p.endswith(".json") or p == "/openapi.json"


def create_app(
    store: Store, *, secret: str | None = None, secure_cookies: bool = False, rollups: bool = True
) -> FastAPI:
    """The web app over an open store (which it then uses as the store's only writer).

    With ``rollups`` the store's monthly rollups are built if it has none, so pages answer
    from them; ingest keeps them in step from then on."""
    from . import views, workflows  # noqa: F401  (registers the pages)
    from .api import router

    app = FastAPI(
        title="forcestat",
        version="1",
        description="A police force's performance figures: the catalogue, measures, periods, "
        "the store's status and quarantine, ingest, reports and the demand model.",
        docs_url=None,
        redoc_url=None,
    )
    if rollups and store.path != ":memory:" and store.backend == "duckdb":
        from ..measures import rollup

        if not rollup.exists(store):
            rollup.build(store)
    web = WebState(store, secret or "", secure_cookies=secure_cookies)
    app.state.web = web
    app.state.limiter = auth.LoginLimiter()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    # every value is escaped: the templates end in .j2, which select_autoescape would skip
    templates.env.autoescape = True
    templates.env.globals["static"] = lambda p: f"/static/{p}"
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.add_middleware(CachedResponses)
    app.add_middleware(SecurityHeaders)  # added last, so outermost: kept answers get it too
    _error_handlers(app)
    app.include_router(router)
    _login_routes(app)
    _form_routes(app)
    workflows.add_routes(app)
    for page in PAGES:
        _add_page(app, page)
    return app


# -- errors ------------------------------------------------------------------------------------
def _error_page(
    request: Request, status: int, message: str, parameter: str | None = None
) -> Response:
    body: dict[str, Any] = {"error": message, "status": status}
    if parameter:
        body["parameter"] = parameter
    if wants_json(request):
        return JSONResponse(body, status_code=status)
    return render(request, "error.html.j2", {"data": body, "title": f"Error {status}"}, status)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ParamError)
    async def param_error(request: Request, e: ParamError) -> Response:
        return _error_page(request, 400, e.detail, e.parameter)

    @app.exception_handler(ForcestatError)
    async def forcestat_error(request: Request, e: ForcestatError) -> Response:
        return _error_page(request, 400, str(e), getattr(e, "parameter", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, e: RequestValidationError) -> Response:
        errs = e.errors()
        names = [str(err["loc"][-1]) for err in errs if err.get("loc")]
        first = errs[0] if errs else {}
        msg = f"{names[0] if names else 'request'}: {first.get('msg', 'invalid')}"
        return _error_page(request, 422, msg, names[0] if names else None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, e: StarletteHTTPException) -> Response:
        resp = _error_page(request, e.status_code, str(e.detail))
        for k, v in (e.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(auth.LoginRequired)
    async def login_required(request: Request, e: auth.LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={_safe_next(e.next_url)}", status_code=303)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, e: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return _error_page(request, 500, "internal error: the server log has the details")


def _safe_next(url: str | None) -> str:
    """Only a path on this site (no scheme, no host, no //): no open redirects."""
    if not url:
        return "/"
    url = url.replace("\\", "/")  # browsers read /\\host as //host
    parts = urlparse(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return "/"
    return url


# -- rendering ---------------------------------------------------------------------------------
def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    return HTMLResponse(render_text(request, template, context), status_code=status)


def render_text(
    request: Request, template: str, context: dict[str, Any], csrf: str | None = None
) -> str:
    """A template rendered with the page frame (navigation, user, CSRF token) as HTML text.
    ``csrf`` replaces the session's token (a cached page holds a mark in its place)."""
    web: WebState = request.app.state.web
    try:
        user = auth.current_user(request)
    except HTTPException:
        user = access.PUBLIC

    def allowed(role: str) -> bool:
        return web.allowed(user.role, role)

    ctx = {
        "request": request,
        "user": user,
        "csrf": csrf if csrf is not None else auth.csrf_token(request),
        "nav": nav_pages(allowed, getattr(web.store, "backend", "duckdb")),
        "path": request.url.path,
        **context,
    }
    text: str = request.app.state.templates.get_template(template).render(ctx)
    return text


def _default_period(web: WebState) -> str:
    def compute(store: Store) -> str:
        last = figures.last_month(store)
        return f"{last:%Y-%m}" if last else "2022-10"

    return web.cached(("default_period",), compute)


def _districts(web: WebState) -> list[str]:
    return web.cached(("districts",), figures.districts)


def _add_page(app: FastAPI, page: Page) -> None:
    """Serve ``page`` as HTML and as its ``.json`` twin. A cacheable page keeps its data dict
    and both answers until the next ingest (see :mod:`.responses`), so a repeated request
    costs a dictionary lookup."""
    dep = auth.require(page.role, page=True)

    def data_of(request: Request, user: access.User) -> tuple[dict[str, Any], Any]:
        web: WebState = request.app.state.web
        params = dict(request.path_params)
        f = None
        if page.filters:
            f = parse_filters(request.query_params, _default_period(web), _districts(web))
        key = ("page", page.name, tuple(sorted(params.items())), _query_key(request))

        def compute(store: Store) -> dict[str, Any]:
            return jsonable_encoder(page.build(PageContext(request, user, store, f, params)))

        if page.cache:
            return web.cached(key, compute), f
        with web.db() as store:
            return compute(store), f

    def json_body(request: Request, user: access.User) -> bytes:
        data, f = data_of(request, user)
        body = {"page": page.name, "filters": f.as_dict() if f else None, "data": data}
        return JSONResponse(body).body

    def html_text(request: Request, user: access.User) -> str:
        data, f = data_of(request, user)
        web: WebState = request.app.state.web
        last = web.cached(("last_month",), figures.last_month) if f else None
        query = f"?{request.url.query}" if request.url.query else ""
        path = request.url.path
        context = {
            "page": page,
            "title": _title(page, data),
            "data": data,
            "filters": f,
            "period_choices": period_choices(last) if last else [],
            "districts": _districts(web) if f else [],
            "json_url": ("/index" if path == "/" else path.rstrip("/")) + ".json" + query,
        }
        return render_text(request, page.template, context, web.csrf_mark if page.cache else None)

    async def as_json(request: Request, user: access.User = Depends(dep)) -> Response:
        check_backend(request, page.backends, f"the {page.title} page")
        if page.cache:
            return await cached_response(
                request, user, "application/json", lambda: json_body(request, user)
            )
        return Response(await _run(json_body, request, user), media_type="application/json")

    async def as_html(request: Request, user: access.User = Depends(dep)) -> Response:
        check_backend(request, page.backends, f"the {page.title} page")
        if page.cache:
            return await cached_response(
                request, user, "text/html; charset=utf-8", lambda: html_text(request, user)
            )
        return HTMLResponse(await _run(html_text, request, user))

    json_path = "/index.json" if page.path == "/" else page.path + ".json"
    app.add_api_route(
        json_path, as_json, methods=["GET"], name=f"{page.name}_json", include_in_schema=False
    )
    app.add_api_route(
        page.path,
        as_html,
        methods=["GET"],
        name=page.name,
        response_class=HTMLResponse,
        include_in_schema=False,
    )


def _query_key(request: Request) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(request.query_params.multi_items()))


async def _run(fn: Any, *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _title(page: Page, data: dict[str, Any]) -> str:
    if page.name == "measure":
        return str(data.get("measure", {}).get("label", page.title))
    if page.name == "family":
        return str(data.get("title", page.title))
    return page.title


# -- login -------------------------------------------------------------------------------------
def _login_routes(app: FastAPI) -> None:
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login_form(request: Request, next: str = "/") -> Response:
        return render(request, "login.html.j2", {"title": "Log in", "next": _safe_next(next)})

    @app.post("/login", include_in_schema=False)
    async def login(
        request: Request,
        username: str = Form(..., max_length=64),
        password: str = Form(..., max_length=200),
        csrf: str = Form(""),
        next: str = Form("/"),
    ) -> Response:
        auth.check_csrf(request, csrf)
        limiter: auth.LoginLimiter = request.app.state.limiter
        client = request.client.host if request.client else "?"
        keys = (f"ip:{client}", f"user:{username}")
        wait = limiter.retry_after(*keys)
        if wait:
            resp = render(
                request,
                "login.html.j2",
                {
                    "title": "Log in",
                    "next": _safe_next(next),
                    "error": f"Too many failed logins: try again in {wait} s.",
                },
                429,
            )
            resp.headers["Retry-After"] = str(wait)
            return resp
        web: WebState = request.app.state.web

        def check() -> access.User | None:
            with web.db() as store:
                return access.authenticate(store, username, password)

        user = await _run(check)
        if user is None:
            limiter.failed(*keys)
            return render(
                request,
                "login.html.j2",
                {"title": "Log in", "next": _safe_next(next), "error": "Wrong name or password."},
                401,
            )
        limiter.succeeded(*keys)
        import secrets

        # a new session (and CSRF token) on login: no session fixation
        auth.write_session(request, {"user": user.name, "csrf": secrets.token_urlsafe(24)})
        return RedirectResponse(_safe_next(next), status_code=303)

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request, csrf: str = Form("")) -> Response:
        auth.check_csrf(request, csrf)
        import secrets

        auth.write_session(request, {"csrf": secrets.token_urlsafe(24)})
        return RedirectResponse("/public", status_code=303)


# -- forms and downloads -----------------------------------------------------------------------
def _form_routes(app: FastAPI) -> None:
    from .api import report_response

    @app.get("/measures/{key}/download.{fmt}", include_in_schema=False)
    async def download(
        request: Request,
        key: str,
        fmt: str,
        user: access.User = Depends(auth.require("board", page=True)),
    ) -> Response:
        from ..measures import CATALOGUE, evaluate
        from ..measures.format import export_frame

        if key not in CATALOGUE:
            raise HTTPException(404, f"no measure {key!r}")
        if fmt not in ("csv", "json", "parquet"):
            raise ParamError("fmt", "download as csv, json or parquet")
        web: WebState = request.app.state.web
        f = parse_filters(request.query_params, _default_period(web), _districts(web))

        def frame() -> Any:
            with web.db() as store:
                con = figures.source(store, f.district)
                return export_frame(evaluate(con, [key], f.period, f.grain))

        df = await _run(frame)
        name = f"{key}-{f.period.label}".replace("/", "-").replace(" ", "_").replace("..", "_to_")
        headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
        if fmt == "csv":
            return Response(to_csv(df), media_type="text/csv; charset=utf-8", headers=headers)
        if fmt == "json":
            rows = figures.rows_of(df)
            return JSONResponse(jsonable_encoder(rows), headers=headers)
        import io

        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return Response(
            buf.getvalue(), media_type="application/vnd.apache.parquet", headers=headers
        )

    @app.post("/reports/download", include_in_schema=False)
    async def report_form(
        request: Request,
        user: access.User = Depends(auth.require("board", page=True)),
        period: str = Form(..., max_length=80),
        edition: str = Form("board"),
        format: str = Form("pdf"),
        csrf: str = Form(""),
    ) -> Response:
        auth.check_csrf(request, csrf)
        return await _run(report_response, request.app.state.web, period, edition, format)

    @app.post("/data/upload", include_in_schema=False)
    async def upload_form(
        request: Request, user: access.User = Depends(auth.require("analyst", page=True))
    ) -> Response:
        from .api import ingest

        form = await request.form()
        files = [v for v in form.getlist("file") if hasattr(v, "filename")]
        if not files:
            raise ParamError("file", "choose at least one file")
        kind = form.get("kind") or None
        results = await ingest(
            request,
            user,
            files,
            kind=str(kind) if kind else None,  # type: ignore[arg-type]
            replace=False,
            csrf=str(form.get("csrf") or ""),
        )
        return render(
            request, "uploaded.html.j2", {"title": "Loaded", "data": {"results": results}}
        )

    @app.post("/admin/users/add", include_in_schema=False)
    async def add_user_form(
        request: Request,
        user: access.User = Depends(auth.require("admin", page=True)),
        name: str = Form(..., max_length=64),
        role: str = Form(..., max_length=40),
        csrf: str = Form(""),
    ) -> Response:
        auth.check_csrf(request, csrf)
        web: WebState = request.app.state.web
        with web.db() as store:
            password = access.add_user(store, name, role)
            web.forget(("user", name))  # a reset user may have a new role
            access.record_access(store, user, "add user", f"{name} as {role}", 0)
            data = {
                "users": [
                    {k: figures.clean(v) for k, v in u.items()} for u in access.list_users(store)
                ],
                "roles": access.roles(store),
                "audit": [
                    {k: figures.clean(v) for k, v in r.items()}
                    for r in access.list_access(store, 50)
                ],
                "new_user": name,
                "new_password": password,
            }
        return render(request, "users.html.j2", {"title": "Users", "data": jsonable_encoder(data)})
