"""Workflow pages: the Speedwatch coordinator's, the Operation Encompass queue and volunteer
hours. Each is a page of :mod:`forcestat.web.pages` (HTML and ``.json`` from one data dict).

Who sees what:

- ``/speedwatch`` (manager): sites, sessions, the ladder's decisions, letter batches and the
  DVLA referrals, as counts. The letters (keepers' names and addresses) and the DVLA file
  (registration marks) are downloads, ``/speedwatch/letters/{batch}.pdf`` and
  ``/speedwatch/dvla.csv``, for the manager role, and each download is audited.
- ``/encompass`` (the ``safeguarding`` role and no other, whatever its rank): the children
  due a notification and the exceptions, with names and dates of birth; ``/encompass/child/
  {id}`` one child's incidents and notifications. Every read writes an audit row.
- ``/volunteers`` (board): hours by kind, role, activity and district, and the headcounts,
  as aggregates.

Encompass and volunteers run on the DuckDB file and on PostgreSQL; Speedwatch needs the
DuckDB file for now (its pages and downloads answer 501 on another store).
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response

from ..access import User
from ..errors import ForcestatError
from ..measures import breakdown, evaluate
from ..workflows.encompass import SAFEGUARDING, due
from ..workflows.speedwatch import batches, load_policy, waiting
from . import auth
from .figures import clean
from .pages import PageContext, needs_backend, page

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
#: Community Speedwatch's SQL is DuckDB's: on another store its pages and downloads answer 501
DUCKDB_ONLY = ("duckdb",)
#: rows a queue page lists (the JSON says how many more there are)
QUEUE_ROWS = 200


def _local(t: Any) -> str | None:
    """A stored naive-UTC time as Europe/London, to the minute."""
    if t is None:
        return None
    return f"{t.replace(tzinfo=UTC).astimezone(LONDON):%Y-%m-%d %H:%M}"


def _rows(store: Any, sql: str, args: list[Any] | None = None) -> list[dict[str, Any]]:
    return [{k: clean(v) for k, v in r.items()} for r in store.records(sql, args)]


# -- Community Speedwatch ------------------------------------------------------------------------
LADDER = {
    "letter1": "Letter 1",
    "letter2": "Letter 2",
    "letter3": "Letter 3 (final)",
    "visit": "Officer visit to the keeper's address",
    "referral": "Referral for enforcement",
    "below_threshold": "Under the threshold: no action",
    "exempt": "Exempt vehicle: no action",
}


def speedwatch_summary(store: Any) -> dict[str, Any]:
    """The coordinator's view, counts only: sites, recent sessions, the ladder's decisions,
    letters waiting and printed, DVLA referrals."""
    sites = _rows(
        store,
        """SELECT s.site_id, any_value(s.name) AS name, any_value(s.district) AS district,
                  any_value(s.road) AS road, any_value(s.limit_mph) AS limit_mph,
                  (SELECT count(*) FROM speedwatch_sessions x WHERE x.site_id = s.site_id)
                      AS sessions,
                  (SELECT count(*) FROM speedwatch_detections d WHERE d.site_id = s.site_id)
                      AS detections,
                  (SELECT count(*) FROM speedwatch_outcomes o WHERE o.site_id = s.site_id
                      AND o.outcome NOT IN ('below_threshold', 'exempt')) AS sightings
           FROM speedwatch_sites s GROUP BY s.site_id ORDER BY district, name""",
    )
    sessions = _rows(
        store,
        f"""SELECT x.session_id, x.site_id, coalesce(s.name, x.site_id) AS site, x.scheme,
                   x.started_at, x.ended_at, x.volunteers,
                   (SELECT count(*) FROM speedwatch_detections d
                    WHERE d.session_id = x.session_id) AS detections
            FROM speedwatch_sessions x
            LEFT JOIN (SELECT site_id, any_value(name) AS name FROM speedwatch_sites
                       GROUP BY site_id) s ON s.site_id = x.site_id
            ORDER BY x.started_at DESC LIMIT {QUEUE_ROWS}""",
    )
    for s in sessions:
        s["started_at"], s["ended_at"] = _local(s["started_at"]), _local(s["ended_at"])
    counts = dict(
        store.duck.execute(
            "SELECT outcome, count(*) FROM speedwatch_outcomes GROUP BY outcome"
        ).fetchall()
    )
    pending = store.duck.execute(
        "SELECT count(*) FROM speedwatch_outcomes WHERE outcome IN ('letter1', 'letter2', "
        "'letter3') AND printed_at IS NULL"
    ).fetchone()
    dvla = store.duck.execute(
        "SELECT count(DISTINCT vrm), count(DISTINCT vrm) FILTER (WHERE exported_at IS NULL), "
        "count(*) FILTER (WHERE tax_status = 'sorn'), count(*) FILTER (WHERE tax_status = "
        "'untaxed') FROM speedwatch_dvla"
    ).fetchone()
    printed = [
        {
            "batch_id": b["batch_id"],
            "printed_at": _local(b["printed_at"]),
            "letters": b["letters"],
            "download": f"/speedwatch/letters/{b['batch_id']}.pdf",
        }
        for b in batches(store)
    ]
    total_sessions = store.duck.execute("SELECT count(*) FROM speedwatch_sessions").fetchone()
    return {
        "sites": sites,
        "sessions": sessions,
        "sessions_total": int(total_sessions[0]) if total_sessions else 0,
        "ladder": [
            {"outcome": k, "label": label, "detections": int(counts.get(k, 0))}
            for k, label in LADDER.items()
        ],
        "waiting_for_keeper": len(waiting(store, load_policy(None))),
        "letters": {"not_printed": int(pending[0]) if pending else 0, "batches": printed},
        "dvla": {
            "vehicles": int(dvla[0]) if dvla else 0,
            "not_exported": int(dvla[1]) if dvla else 0,
            "sorn_referrals": int(dvla[2]) if dvla else 0,
            "untaxed_referrals": int(dvla[3]) if dvla else 0,
            "download": "/speedwatch/dvla.csv",
        },
    }


@page(
    "/speedwatch",
    "speedwatch",
    "Community Speedwatch",
    role="manager",
    template="speedwatch.html.j2",
    backends=DUCKDB_ONLY,
    nav="Speedwatch",
    filters=False,
    cache=False,
)
def speedwatch(ctx: PageContext) -> dict[str, Any]:
    return speedwatch_summary(ctx.store)


# -- Operation Encompass -------------------------------------------------------------------------
def require_safeguarding(user: User) -> None:
    """Children's details: the safeguarding role only (a higher rank does not inherit it)."""
    if user.role != SAFEGUARDING:
        raise HTTPException(
            403, f"children's details need the {SAFEGUARDING} role; {user.name} is {user.role}"
        )


def _notice(n: Any, now: datetime) -> dict[str, Any]:
    return {
        "incident_id": n.incident_id,
        "child_id": n.child_id,
        "child_name": n.child_name,
        "date_of_birth": n.date_of_birth.isoformat() if n.date_of_birth else None,
        "school_id": n.school_id,
        "school_name": n.school_name,
        "key_adult_email": n.key_adult_email,
        "district": n.district,
        "reported_at": _local(n.reported_at),
        "due_at": _local(n.due_at),
        "overdue": bool(n.due_at is not None and n.due_at < now),
        "problem": n.problem,
    }


@page(
    "/encompass",
    "encompass",
    "Operation Encompass queue",
    role=SAFEGUARDING,
    template="encompass.html.j2",
    nav="Encompass",
    filters=False,
    cache=False,
)
def encompass(ctx: PageContext) -> dict[str, Any]:
    require_safeguarding(ctx.user)
    from ..workflows.audit import now_utc

    queue = due(ctx.store, ctx.user.role, actor=ctx.user.name)  # audited by the workflow
    shown = queue.due[:QUEUE_ROWS] + queue.exceptions[:QUEUE_ROWS]
    ctx.audit("read", "encompass children (queue)", len(shown))
    now = now_utc()
    (sent,) = ctx.store.rows(
        "SELECT count(*), count(*) FILTER (WHERE sent_at > due_at), max(sent_at) "
        "FROM encompass_notices"
    )
    return {
        "due": [_notice(n, now) for n in queue.due[:QUEUE_ROWS]],
        "due_total": len(queue.due),
        "overdue": sum(1 for n in queue.due if n.due_at is not None and n.due_at < now),
        "exceptions": [_notice(n, now) for n in queue.exceptions[:QUEUE_ROWS]],
        "exceptions_total": len(queue.exceptions),
        "sent": {
            "notifications": int(sent[0]) if sent else 0,
            "late": int(sent[1]) if sent else 0,
            "last_sent_at": _local(sent[2]) if sent else None,
        },
        "send_with": "forcestat encompass send --smtp smtp://HOST:PORT --role safeguarding",
    }


@page(
    "/encompass/child/{child_id}",
    "encompass_child",
    "Child",
    role=SAFEGUARDING,
    template="encompass_child.html.j2",
    filters=False,
    cache=False,
)
def encompass_child(ctx: PageContext) -> dict[str, Any]:
    require_safeguarding(ctx.user)
    child_id = ctx.params["child_id"]
    child = _rows(
        ctx.store,
        """SELECT c.child_id, c.name, c.date_of_birth, c.school_id, s.name AS school_name,
                  s.key_adult_email
           FROM children c LEFT JOIN schools s ON s.school_id = c.school_id
           WHERE c.child_id = ?""",
        [child_id],
    )
    if not child:
        raise HTTPException(404, f"no child {child_id!r}")
    incidents = _rows(
        ctx.store,
        """SELECT ic.incident_id, ic.present, i.occurred_at, i.reported_at, i.district,
                  n.due_at, n.sent_at, n.recipient
           FROM incident_children ic JOIN da_incidents i ON i.incident_id = ic.incident_id
           LEFT JOIN encompass_notices n
             ON n.incident_id = ic.incident_id AND n.child_id = ic.child_id
           WHERE ic.child_id = ? ORDER BY i.reported_at""",
        [child_id],
    )
    for r in incidents:
        for k in ("occurred_at", "reported_at", "due_at", "sent_at"):
            r[k] = _local(r[k])
    ctx.audit("read", f"encompass child {child_id}", 1 + len(incidents))
    return {"child": child[0], "incidents": incidents}


# -- volunteers ----------------------------------------------------------------------------------
HEADCOUNTS = (
    "special_constables",
    "special_constables_independent",
    "specials_in_process_to_regular_force",
    "police_support_volunteers",
    "community_policing_volunteers",
    "cpv_deployed",
    "cpv_roles",
)
PERIOD_FIGURES = (
    "volunteer_hours",
    "special_constable_hours",
    "specials_accepted_into_regular_force",
)


@page(
    "/volunteers",
    "volunteers",
    "Volunteer hours",
    role="board",
    template="volunteers.html.j2",
    nav="Volunteers",
    uses=("period",),
)
def volunteers(ctx: PageContext) -> dict[str, Any]:
    assert ctx.filters is not None
    p = ctx.filters.period
    figures = evaluate(ctx.store, [*PERIOD_FIGURES, *HEADCOUNTS], p, comparisons=False)
    rows = {
        r["measure"]: {"label": r["label"], "value": clean(r["value"]), "note": clean(r["note"])}
        for _, r in figures.iterrows()
    }
    by: dict[str, list[dict[str, Any]]] = {}
    for column in ("kind", "role", "activity", "district"):
        try:
            df = breakdown(ctx.store, "volunteer_hours", p, column)
        except ForcestatError:  # no duties held for the period: an empty table, not an error
            by[column] = []
            continue
        by[column] = [
            {column: clean(r[column]), "hours": clean(r["value"]), "share": clean(r["share"])}
            for _, r in df.iterrows()
        ]
    return {
        "period": p.label,
        "at_date": f"{p.end:%Y-%m-%d}" if p.grain == "date" else None,
        "hours": {k: rows[k] for k in PERIOD_FIGURES if k in rows},
        "headcounts": {k: rows[k] for k in HEADCOUNTS if k in rows},
        "hours_by": by,
        "log_with": "forcestat volunteers log --volunteer ID --date YYYY-MM-DD --hours H",
    }


# -- downloads (record-level: role-checked and audited) ------------------------------------------
def output_folder(store: Any, name: str) -> Path:
    """Where the web keeps what a workflow writes: a folder beside the store file (a new
    temporary one for an in-memory store)."""
    path = getattr(store, "path", ":memory:")
    base = Path(tempfile.mkdtemp()) if str(path) == ":memory:" else Path(path).parent
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _attachment(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def add_routes(app: FastAPI) -> None:
    """The letter and DVLA downloads and runs: files holding keepers' addresses and marks."""
    from fastapi import Form

    from .app import _run
    from .filters import ParamError

    duckdb_only = [Depends(needs_backend(*DUCKDB_ONLY, what="Community Speedwatch"))]

    @app.post("/speedwatch/letters/print", include_in_schema=False, dependencies=duckdb_only)
    async def print_letters(
        request: Request,
        user: User = Depends(auth.require("manager", page=True)),
        csrf: str = Form(""),
    ) -> Response:
        """Print the letters waiting as a new batch (kept beside the store) and download it."""
        from ..access import record_access
        from ..workflows.speedwatch import write_letters

        auth.check_csrf(request, csrf)
        web = request.app.state.web

        def build() -> tuple[int, bytes] | None:
            with web.db() as store:
                folder = output_folder(store, "speedwatch-letters")
                done = write_letters(store, load_policy(None), folder)
                if done.batch_id is None or done.merged is None:
                    return None
                record_access(
                    store, user, "print", f"speedwatch letters batch {done.batch_id}", done.letters
                )
                return done.batch_id, Path(done.merged).read_bytes()

        made = await _run(build)
        if made is None:
            raise ParamError("letters", "no letters are waiting to be printed")
        batch_id, body = made
        return _attachment(body, "application/pdf", f"speedwatch-letters-batch-{batch_id:04d}.pdf")

    @app.post("/speedwatch/dvla/export", include_in_schema=False, dependencies=duckdb_only)
    async def export_dvla(
        request: Request,
        user: User = Depends(auth.require("manager", page=True)),
        csrf: str = Form(""),
    ) -> Response:
        """The referrals no export holds yet, marked exported (kept beside the store)."""
        from ..access import record_access
        from ..workflows.audit import now_utc
        from ..workflows.speedwatch import write_dvla

        auth.check_csrf(request, csrf)
        web = request.app.state.web

        def build() -> tuple[str, bytes]:
            with web.db() as store:
                name = f"speedwatch-dvla-{now_utc():%Y%m%d-%H%M%S}.csv"
                done = write_dvla(store, output_folder(store, "speedwatch-dvla") / name)
                record_access(store, user, "export", "speedwatch DVLA export", done.vehicles)
                return name, done.path.read_bytes()

        name, body = await _run(build)
        return _attachment(body, "text/csv; charset=utf-8", name)

    @app.get(
        "/speedwatch/letters/{batch_id}.pdf", include_in_schema=False, dependencies=duckdb_only
    )
    async def letters_pdf(
        request: Request,
        batch_id: int,
        user: User = Depends(auth.require("manager", page=True)),
    ) -> Response:
        from ..access import record_access
        from ..workflows.speedwatch import write_letters

        web = request.app.state.web

        def build() -> bytes:
            with web.db() as store, tempfile.TemporaryDirectory() as tmp:
                done = write_letters(store, load_policy(None), tmp, batch=batch_id)
                record_access(
                    store, user, "download", f"speedwatch letters batch {batch_id}", done.letters
                )
                assert done.merged is not None
                return Path(done.merged).read_bytes()

        body = await _run(build)
        name = f"speedwatch-letters-batch-{batch_id:04d}.pdf"
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.get("/speedwatch/dvla.csv", include_in_schema=False, dependencies=duckdb_only)
    async def dvla_csv(
        request: Request, user: User = Depends(auth.require("manager", page=True))
    ) -> Response:
        from ..access import record_access
        from ..workflows.speedwatch import write_dvla

        web = request.app.state.web

        def build() -> bytes:
            with web.db() as store, tempfile.TemporaryDirectory() as tmp:
                # every referral so far, marking nothing: a download is not the export run
                done = write_dvla(store, Path(tmp) / "dvla.csv", include_exported=True)
                record_access(store, user, "download", "speedwatch DVLA referrals", done.vehicles)
                return done.path.read_bytes()

        body = await _run(build)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="speedwatch-dvla.csv"'},
        )
