"""CLI commands for the web: ``serve``, ``users``, ``tokens`` and ``audit``."""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..store import Store, open_store
from . import DbOption, JsonOption

out = Console()
err = Console(stderr=True)
users_app = typer.Typer(help="Users of the web dashboard and API.", no_args_is_help=True)
tokens_app = typer.Typer(help="Bearer tokens for the JSON API.", no_args_is_help=True)


def serve(
    db: DbOption,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="Server processes (a PostgreSQL store only: the DuckDB file has one writer)"
        ),
    ] = 1,
) -> None:
    """Serve the dashboard, JSON API and public page. On a DuckDB file the server becomes the
    store's only writer (upload files to POST /api/v1/ingest while it runs); on PostgreSQL
    (--db postgresql://...) it runs --workers processes, and other processes may ingest and
    add users alongside."""
    from ..backends import backend_name

    if not 0 < port < 65536:
        raise InputError(f"--port must be between 1 and 65535 (got {port})")
    if not 1 <= workers <= 64:
        raise InputError(f"--workers must be between 1 and 64 (got {workers})")
    which = backend_name(db)
    if which == "postgres":
        _serve_shared(db, host, port, workers)
        return
    if which != "duckdb":
        raise InputError(
            "a Spark store cannot be served: serve the DuckDB file or PostgreSQL the lake "
            "was written from (see docs/deploy.md)"
        )
    if workers != 1:
        raise InputError(
            f"--workers {workers} needs a PostgreSQL store (--db postgresql://...): the DuckDB "
            "file has one writer, the one server process"
        )
    _serve_duckdb(db, host, port)


def _serve_duckdb(db: str, host: str, port: int) -> None:
    import uvicorn

    from ..store import hold, release
    from ..web import create_app

    url = f"http://{host}:{port}"
    store = Store.open(db)
    hold(db, url)  # from now on other processes are told to upload here
    # uvicorn re-raises SIGTERM after its graceful shutdown: exit through Python, so the
    # marker beside the store is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    lock = None
    try:
        app = create_app(store)
        lock = app.state.web.lock
        # the first visitor should not wait for the engine and libraries to load
        threading.Thread(target=app.state.web.warm, name="warm", daemon=True).start()
        err.print(f"forcestat serving {db} at {url} (Ctrl-C stops)", highlight=False)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        release(db)
        # a worker or the warm-up thread may be mid-query: close the store after it
        if lock is None or lock.acquire(timeout=30):
            store.close()


def _serve_shared(db: str, host: str, port: int, workers: int) -> None:
    """Serve a PostgreSQL store with ``workers`` uvicorn processes, each building its app
    from the URL (:mod:`forcestat.web.worker`) and all signing sessions with one secret."""
    import os
    import secrets

    import uvicorn

    from ..backends import redact
    from ..store import open_store
    from ..web.worker import DB_ENV

    with open_store(db):  # tables made (or refused) once, with one clear line, before workers
        pass
    os.environ[DB_ENV] = db
    # sessions are signed cookies: every worker must check them with the same secret
    if not os.environ.get("FORCESTAT_SECRET"):
        os.environ["FORCESTAT_SECRET"] = secrets.token_urlsafe(32)
    url = f"http://{host}:{port}"
    shown = f"{workers} worker{'s' if workers > 1 else ''}"
    err.print(f"forcestat serving {redact(db)} at {url}, {shown} (Ctrl-C stops)", highlight=False)
    uvicorn.run(
        "forcestat.web.worker:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def _access_store(db: str) -> Any:
    """The store users, tokens and the audit live in: the DuckDB file or PostgreSQL (where
    every server process sees them at once)."""
    from ..backends import backend_name

    if backend_name(db) == "spark":
        raise InputError("users, tokens and the audit live in a DuckDB or PostgreSQL store")
    return open_store(db)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's name")],
    db: DbOption,
    role: Annotated[str, typer.Option("--role", help="board, analyst, manager or admin")] = "board",
) -> None:
    """Add a user (or reset one) and print a one-time password."""
    from ..access import add_user

    with _access_store(db) as store:
        password = add_user(store, name, role)
    out.print(f"user {name} ({role}); one-time password:", highlight=False)
    typer.echo(password)


@users_app.command("list")
def users_list(db: DbOption, as_json: JsonOption = False) -> None:
    """List users and their roles."""
    from ..access import list_users

    with _access_store(db) as store:
        rows = list_users(store)
    if as_json:
        for r in rows:
            print(json.dumps(r, default=str))
        return
    t = Table(title="users")
    for c in ("name", "role", "created_at"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["name"], r["role"], str(r["created_at"]))
    out.print(t)


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="The user the token speaks for")],
    db: DbOption,
    label: Annotated[str, typer.Option(help="What the token is for")] = "",
) -> None:
    """Print a new bearer token for a user (shown once; only its hash is kept)."""
    from ..access import create_token

    with _access_store(db) as store:
        token = create_token(store, name, label)
    typer.echo(token)


def audit(
    db: DbOption,
    limit: Annotated[int, typer.Option("--limit", help="Most rows to list")] = 100,
    who: Annotated[str | None, typer.Option("--who", help="Only this user")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the access audit: who read record-level data, when, what and how many rows."""
    from ..access import list_access

    with _access_store(db) as store:
        rows = list_access(store, limit, who)
    if as_json:
        for r in rows:
            print(json.dumps(r, default=str))
        return
    t = Table(title="access audit (newest first)")
    for c in ("at", "who", "role", "action", "what", "rows", "via"):
        t.add_column(c, justify="right" if c == "rows" else "left", overflow="fold")
    for r in rows:
        t.add_row(*(str(r[c]) for c in ("at", "who", "role", "action", "what", "rows", "via")))
    out.print(t)


def register(app: typer.Typer) -> None:
    """Add serve, users, tokens and audit to ``app``."""
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.command("audit")(audit)
