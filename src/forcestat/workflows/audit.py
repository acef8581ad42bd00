"""The audit log: who read or deleted personal data, when, and how much (never the data).

A row says an ``actor`` acting in a ``role`` did an ``action`` (``read``, ``export``,
``delete``, ``send``) on a ``subject`` (a table or workflow), with ``detail`` giving counts.
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from typing import Any

from ..store import Store


def current_actor() -> str:
    """The operating-system user running a command (the CLI's actor)."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: still audit, as unknown
        return "unknown"


def now_utc() -> datetime:
    """The current time as naive UTC, how the store keeps timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


def record(
    store: Store,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
    *,
    actor: str | None = None,
    role: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one row to the audit log."""
    store.run(  # any store: the DuckDB file or PostgreSQL
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)",
        [
            at or now_utc(),
            actor or current_actor(),
            role or "cli",
            action,
            subject,
            json.dumps(detail or {}, sort_keys=True, default=str),
        ],
    )


def entries(store: Store, subject: str | None = None) -> list[dict[str, Any]]:
    """Audit rows, newest first (optionally only one subject)."""
    sql = "SELECT logged_at, actor, role, action, subject, detail FROM audit_log"
    args: list[Any] = []
    if subject:
        sql += " WHERE subject = ?"
        args.append(subject)
    rows = store.rows(sql + " ORDER BY logged_at DESC", args)
    cols = ("logged_at", "actor", "role", "action", "subject", "detail")
    return [dict(zip(cols, r, strict=True)) for r in rows]
