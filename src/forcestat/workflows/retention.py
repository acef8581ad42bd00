"""Retention: delete personal data older than its policy allows, and say how much was deleted.

- Speedwatch: detections and keeper lookups older than the Speedwatch policy's window
  (12 months by default) are deleted; the workflow's decisions about them are kept for the
  board's figures with the registration mark removed (``vrm`` set empty), so past letters,
  visits and referrals still count but no longer name a vehicle. DVLA referrals lose the
  mark the same way.
- Operation Encompass: incidents, their links to children, and notifications older than the
  Encompass policy's retention period (24 months by default) are deleted, and so are children
  no longer linked to any incident; notifications keep their timing (for the figures) with
  the child's and incident's identifiers replaced by random ones and no recipient.

A dry run (the default) counts what would go and changes nothing. Either way the counts, never
the contents, are written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..store import Store
from . import audit
from .audit import now_utc
from .encompass.notify import EncompassPolicy
from .speedwatch.policy import Policy
from .speedwatch.process import add_months


@dataclass
class RetentionResult:
    dry_run: bool
    cutoffs: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "cutoffs": self.cutoffs, "counts": self.counts}


#: (label, SQL counting the rows, SQL acting on them); ``?`` is the cutoff (naive UTC)
SPEEDWATCH_STEPS = (
    (
        "speedwatch_detections deleted",
        "SELECT count(*) FROM speedwatch_detections WHERE detected_at < ?",
        "DELETE FROM speedwatch_detections WHERE detected_at < ?",
    ),
    (
        "vehicle_keepers deleted",
        "SELECT count(*) FROM vehicle_keepers WHERE looked_up_at < ?",
        "DELETE FROM vehicle_keepers WHERE looked_up_at < ?",
    ),
    (
        "speedwatch_outcomes marks removed",
        "SELECT count(*) FROM speedwatch_outcomes WHERE detected_at < ? AND vrm IS NOT NULL",
        "UPDATE speedwatch_outcomes SET vrm = NULL, keeper_looked_up_at = NULL "
        "WHERE detected_at < ? AND vrm IS NOT NULL",
    ),
    (
        "speedwatch_dvla marks removed",
        "SELECT count(*) FROM speedwatch_dvla WHERE detected_at < ? AND vrm IS NOT NULL",
        "UPDATE speedwatch_dvla SET vrm = NULL WHERE detected_at < ? AND vrm IS NOT NULL",
    ),
)
ENCOMPASS_STEPS = (
    (
        "incident_children deleted",
        "SELECT count(*) FROM incident_children WHERE incident_id IN "
        "(SELECT incident_id FROM da_incidents WHERE reported_at < ?)",
        "DELETE FROM incident_children WHERE incident_id IN "
        "(SELECT incident_id FROM da_incidents WHERE reported_at < ?)",
    ),
    (
        "da_incidents deleted",
        "SELECT count(*) FROM da_incidents WHERE reported_at < ?",
        "DELETE FROM da_incidents WHERE reported_at < ?",
    ),
    (
        "encompass_notices identifiers removed",
        "SELECT count(*) FROM encompass_notices "
        "WHERE reported_at < ? AND child_id NOT LIKE 'retained-%'",
        "UPDATE encompass_notices SET child_id = 'retained-' || gen_random_uuid(), "
        "incident_id = 'retained-' || gen_random_uuid(), recipient = NULL, message_id = NULL "
        "WHERE reported_at < ? AND child_id NOT LIKE 'retained-%'",
    ),
)
ORPHAN_CHILDREN = (
    "children deleted",
    "SELECT count(*) FROM children WHERE child_id NOT IN (SELECT child_id FROM incident_children)",
    "DELETE FROM children WHERE child_id NOT IN (SELECT child_id FROM incident_children)",
)


def apply_retention(
    store: Store,
    speedwatch: Policy,
    encompass: EncompassPolicy,
    *,
    dry_run: bool = True,
    now: datetime | None = None,
) -> RetentionResult:
    """Delete (or, in a dry run, count) what is past retention; audited either way."""
    at = now or now_utc()
    sw_cut = add_months(at, -speedwatch.window_months)
    enc_cut = add_months(at, -encompass.retention_months)
    result = RetentionResult(
        dry_run,
        {"speedwatch": f"{sw_cut:%Y-%m-%d %H:%M}", "encompass": f"{enc_cut:%Y-%m-%d %H:%M}"},
    )
    con = store.duck
    con.execute("BEGIN")
    try:
        steps = [(s, sw_cut) for s in SPEEDWATCH_STEPS] + [(s, enc_cut) for s in ENCOMPASS_STEPS]
        for (label, count_sql, act_sql), cut in steps:
            row = con.execute(count_sql, [cut]).fetchone()
            result.counts[label] = int(row[0]) if row else 0
            if not dry_run and result.counts[label]:
                con.execute(act_sql, [cut])
        label, count_sql, act_sql = ORPHAN_CHILDREN
        if dry_run:  # children whose every incident would go
            row = con.execute(
                "SELECT count(*) FROM children WHERE child_id NOT IN (SELECT child_id FROM "
                "incident_children WHERE incident_id NOT IN (SELECT incident_id FROM "
                "da_incidents WHERE reported_at < ?))",
                [enc_cut],
            ).fetchone()
        else:
            row = con.execute(count_sql).fetchone()
        result.counts[label] = int(row[0]) if row else 0
        if not dry_run and result.counts[label]:
            con.execute(act_sql)
        audit.record(
            store,
            "retention dry run" if dry_run else "delete",
            "retention",
            result.as_dict(),
            at=at,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return result
