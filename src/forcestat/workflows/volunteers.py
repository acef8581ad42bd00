"""Duty logging: a volunteer's or special constable's hours on one day, into ``volunteer_duties``.

A logged duty goes through ingest like any file (the same validation, lineage and audit), so a
duty typed at the command line and one loaded from a rota export are the same record.
"""

from __future__ import annotations

import csv
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..store import Store


def log_duty(
    store: Store,
    volunteer_id: str,
    duty_date: date,
    hours: float,
    activity: str | None = None,
    duty_id: str | None = None,
    district: str | None = None,
) -> dict[str, Any]:
    """Record one duty; InputError (nothing stored) for an unknown volunteer or a bad value."""
    from ..ingest import ingest_paths

    known = store.duck.execute(
        "SELECT count(*) FROM volunteers WHERE volunteer_id = ?", [volunteer_id]
    ).fetchone()
    if not known or not known[0]:
        raise InputError(f"no volunteer {volunteer_id!r}: load the volunteers register first")
    row = {
        "duty_id": duty_id or f"LOG-{uuid.uuid4().hex[:12]}",
        "volunteer_id": volunteer_id,
        "duty_date": duty_date.isoformat(),
        "hours": repr(float(hours)),
        "activity": activity or "",
        "district": district or "",
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "duty.csv"
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, list(row))
            w.writeheader()
            w.writerow(row)
        (result,) = ingest_paths(store, [path], kind="volunteer_duties")
    if result.quarantined:
        reason = store.duck.execute(
            "SELECT reason FROM quarantine WHERE load_id = ? LIMIT 1", [result.load_id]
        ).fetchone()
        raise InputError(f"duty not logged: {reason[0] if reason else 'invalid value'}")
    if result.loaded == 0:
        raise InputError(f"duty {row['duty_id']} is already logged")
    return row
