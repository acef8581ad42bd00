"""One server process of ``forcestat serve`` on a shared (PostgreSQL) store.

``forcestat serve --db postgresql://... --workers N`` starts N uvicorn worker processes; each
builds its own app with :func:`create_worker_app` (uvicorn's app factory), from the store URL
the command puts in ``$FORCESTAT_SERVE_DB``. Each worker opens its own connections, caches
figures by the store's version (:meth:`forcestat.web.state.WebState.refresh` notices loads
made by other workers and other processes) and checks sessions with the one
``$FORCESTAT_SECRET`` they share, so any worker can answer any request.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

#: the store a worker serves (set by ``forcestat serve`` before the workers start)
DB_ENV = "FORCESTAT_SERVE_DB"


def create_worker_app() -> FastAPI:
    """The app of one worker process over the store ``$FORCESTAT_SERVE_DB`` names."""
    from ..store import default_db_path, open_store
    from . import create_app

    store = open_store(os.environ.get(DB_ENV) or default_db_path())
    app = create_app(store)
    web = app.state.web

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        # the first visitor should not wait for the engine and libraries to load
        threading.Thread(target=web.warm, name="warm", daemon=True).start()
        yield
        # a request or the warm-up may be mid-query: close the store after it
        if web.lock.acquire(timeout=30):
            store.close()

    app.router.lifespan_context = lifespan
    return app
