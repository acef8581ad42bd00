"""Apply the ladder to detections not yet processed, recording each decision once.

Every detection ends in ``speedwatch_outcomes`` exactly once: ``below_threshold``, ``exempt``,
or a step of the ladder (``letter1`` ... ``referral``) numbered by the vehicle's sightings in
the rolling window. A sighting whose keeper is not known yet is left out and listed as
waiting; it is processed by the first run after a keeper lookup for its mark is loaded, in
time order with the vehicle's other waiting sightings (a vehicle's sightings all wait for the
same lookup, so their numbering is the same as if the keeper had been known all along).

A detection loaded after later sightings of the same vehicle were processed is numbered by
the sightings before it; the later ones keep the numbers (and letters) they already had.

Tax statuses in the policy's DVLA list are passed on once per vehicle and status within the
window, whatever the speed and whether or not the keeper is known (the DVLA needs the mark).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ...store import Store
from ..audit import now_utc
from .policy import ACTIONS, Policy

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


@dataclass
class ProcessResult:
    """What one ``process`` run decided."""

    run_id: int | None
    until: date | None
    processed: int = 0
    below_threshold: int = 0
    exempt: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    dvla: dict[str, int] = field(default_factory=dict)
    waiting: int = 0

    @property
    def sightings(self) -> int:
        return sum(self.actions.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "until": self.until.isoformat() if self.until else None,
            "processed": self.processed,
            "below_threshold": self.below_threshold,
            "exempt": self.exempt,
            "sightings": self.sightings,
            **{a: self.actions.get(a, 0) for a in ACTIONS},
            **{f"dvla_{s}": n for s, n in sorted(self.dvla.items())},
            "waiting_for_keeper": self.waiting,
        }


def end_of_day_utc(d: date) -> datetime:
    """The instant a London calendar day ends, as naive UTC (how the store keeps times)."""
    nxt = datetime.combine(d + timedelta(days=1), datetime.min.time(), LONDON)
    return nxt.astimezone(UTC).replace(tzinfo=None)


def add_months(t: datetime, n: int) -> datetime:
    """``t`` moved by ``n`` calendar months (the day clamped to the month's length)."""
    m = t.month - 1 + n
    y, m = t.year + m // 12, m % 12 + 1
    return t.replace(year=y, month=m, day=min(t.day, calendar.monthrange(y, m)[1]))


def _in_list(values: frozenset[str] | tuple[str, ...]) -> str:
    """An SQL list of ``values``; an empty one matches nothing (``x NOT IN`` it holds)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))
    return f"({quoted})" if quoted else "(SELECT NULL WHERE false)"


def _candidates_sql(policy: Policy, until: datetime | None) -> str:
    """Unprocessed detections with their site's district, session's scheme, threshold,
    the ladder's verdict where it needs no keeper (``pre``) and the latest keeper lookup."""
    when = "AND d.detected_at < $until" if until is not None else ""
    return f"""
        CREATE OR REPLACE TEMP TABLE _sw_cand AS
        WITH k AS (SELECT vrm, max(looked_up_at) AS looked_up_at FROM vehicle_keepers
                   GROUP BY vrm),
             ses AS (SELECT session_id, any_value(scheme) AS scheme FROM speedwatch_sessions
                     GROUP BY session_id),
             sit AS (SELECT site_id, any_value(district) AS district FROM speedwatch_sites
                     GROUP BY site_id)
        SELECT d.detection_id, d.vrm, d.site_id, d.session_id, ses.scheme, sit.district,
               d.detected_at, d.month, d.speed_mph, d.limit_mph, d.tax_status,
               {policy.threshold_sql("d.limit_mph")} AS threshold_mph,
               k.looked_up_at AS keeper_looked_up_at
        FROM speedwatch_detections d
        LEFT JOIN ses ON ses.session_id = d.session_id
        LEFT JOIN sit ON sit.site_id = d.site_id
        LEFT JOIN k ON k.vrm = d.vrm
        WHERE NOT EXISTS (SELECT 1 FROM speedwatch_outcomes o
                          WHERE o.detection_id = d.detection_id) {when}
        QUALIFY row_number() OVER (PARTITION BY d.detection_id ORDER BY d._load_id) = 1"""


def _verdict_sql(policy: Policy) -> str:
    return f"""CASE WHEN speed_mph < threshold_mph THEN 'below_threshold'
                    WHEN vrm IN {_in_list(policy.exempt)} THEN 'exempt' END"""


def process(
    store: Store, policy: Policy, until: date | None = None, *, now: datetime | None = None
) -> ProcessResult:
    """Decide every unprocessed detection up to the end of ``until`` (London), in one
    transaction: running it again with nothing new loaded records nothing."""
    at = now or now_utc()
    cutoff = end_of_day_utc(until) if until else None
    con = store.duck
    params = {"until": cutoff} if cutoff else {}
    con.execute("BEGIN")
    try:
        con.execute(_candidates_sql(policy, cutoff), params)
        row = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM speedwatch_runs").fetchone()
        run_id = int(row[0]) if row else 1
        result = ProcessResult(run_id, until)
        _record_outcomes(con, policy, run_id, at, result)
        _refer_to_dvla(con, policy, run_id, at, result)
        result.waiting = _count_waiting(con, policy)
        if result.processed == 0 and not result.dvla:
            con.execute("ROLLBACK")
            result.run_id = None
            return result
        con.execute(
            "INSERT INTO speedwatch_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                at,
                until,
                policy.as_json(),
                result.processed,
                result.sightings,
                result.sightings,
                sum(result.dvla.values()),
                result.waiting,
            ],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP TABLE IF EXISTS _sw_cand")
    return result


OUTCOME_COLUMNS = (
    "detection_id, vrm, site_id, session_id, scheme, district, detected_at, month, speed_mph, "
    "limit_mph, threshold_mph"
)


def _record_outcomes(con: Any, policy: Policy, run_id: int, at: datetime, r: ProcessResult):
    verdict = _verdict_sql(policy)
    # below threshold and exempt need no keeper
    con.execute(
        f"""INSERT INTO speedwatch_outcomes
            SELECT {OUTCOME_COLUMNS}, {verdict}, NULL, NULL, ?, ?, NULL, NULL
            FROM _sw_cand WHERE {verdict} IS NOT NULL""",
        [run_id, at],
    )
    steps = "[" + ", ".join(f"'{s}'" for s in policy.steps) + "]"
    actions = _in_list(tuple(ACTIONS))
    con.execute(
        f"""INSERT INTO speedwatch_outcomes
            WITH new AS (SELECT * FROM _sw_cand
                         WHERE {verdict} IS NULL AND keeper_looked_up_at IS NOT NULL),
                 seen AS (SELECT detection_id, vrm, detected_at FROM new
                          UNION ALL
                          SELECT detection_id, vrm, detected_at FROM speedwatch_outcomes
                          WHERE outcome IN {actions}),
                 numbered AS (
                    SELECT n.detection_id, count(*) AS k FROM new n JOIN seen s
                      ON s.vrm = n.vrm
                     AND s.detected_at > n.detected_at - to_months({policy.window_months})
                     AND (s.detected_at < n.detected_at
                          OR (s.detected_at = n.detected_at AND s.detection_id <= n.detection_id))
                    GROUP BY n.detection_id)
            SELECT {", ".join("new." + c.strip() for c in OUTCOME_COLUMNS.split(","))},
                   {steps}[least(numbered.k, {len(policy.steps)})], numbered.k,
                   new.keeper_looked_up_at, ?, ?, NULL, NULL
            FROM new JOIN numbered USING (detection_id)""",
        [run_id, at],
    )
    rows = con.execute(
        "SELECT outcome, count(*) FROM speedwatch_outcomes WHERE run_id = ? GROUP BY outcome",
        [run_id],
    ).fetchall()
    counts = {str(o): int(n) for o, n in rows}
    r.below_threshold = counts.pop("below_threshold", 0)
    r.exempt = counts.pop("exempt", 0)
    r.actions = {a: counts.get(a, 0) for a in ACTIONS if counts.get(a)}
    r.processed = r.below_threshold + r.exempt + r.sightings


def _refer_to_dvla(con: Any, policy: Policy, run_id: int, at: datetime, r: ProcessResult):
    """Pass each vehicle of a listed tax status to the DVLA once within the window."""
    if not policy.dvla_statuses:
        return
    statuses = _in_list(policy.dvla_statuses)
    cand = con.execute(
        f"""SELECT vrm, tax_status, detection_id, site_id, district, detected_at, month
            FROM _sw_cand
            WHERE tax_status IN {statuses} AND speed_mph > limit_mph
              AND vrm NOT IN {_in_list(policy.exempt)}
            ORDER BY vrm, tax_status, detected_at, detection_id"""
    ).fetchall()
    if not cand:
        return
    earlier: dict[tuple[str, str], list[datetime]] = {}
    for vrm, status, t in con.execute(
        f"""SELECT d.vrm, d.tax_status, d.detected_at FROM speedwatch_dvla d
            WHERE d.tax_status IN {statuses}
              AND d.vrm IN (SELECT DISTINCT vrm FROM _sw_cand)"""
    ).fetchall():
        earlier.setdefault((vrm, status), []).append(t)
    rows = []
    w = policy.window_months
    for vrm, status, det_id, site, district, t, month in cand:
        done = earlier.setdefault((vrm, status), [])
        if any(add_months(x, -w) < t < add_months(x, w) or x == t for x in done):
            continue
        done.append(t)
        rows.append((vrm, status, det_id, site, district, t, month, run_id, at, None, None))
        r.dvla[status] = r.dvla.get(status, 0) + 1
    if rows:
        con.executemany(
            "INSERT INTO speedwatch_dvla VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )


def _count_waiting(con: Any, policy: Policy) -> int:
    row = con.execute(
        f"""SELECT count(*) FROM _sw_cand
            WHERE {_verdict_sql(policy)} IS NULL AND keeper_looked_up_at IS NULL"""
    ).fetchone()
    return int(row[0]) if row else 0


def waiting(store: Store, policy: Policy, until: date | None = None) -> list[dict[str, Any]]:
    """Vehicles whose sightings wait for a keeper lookup: mark, sightings, first and last seen.

    Record-level (registration marks): the caller audits the read.
    """
    cutoff = end_of_day_utc(until) if until else None
    con = store.duck
    con.execute(_candidates_sql(policy, cutoff), {"until": cutoff} if cutoff else {})
    try:
        rows = con.execute(
            f"""SELECT vrm, count(*), min(detected_at), max(detected_at) FROM _sw_cand
                WHERE {_verdict_sql(policy)} IS NULL AND keeper_looked_up_at IS NULL
                GROUP BY vrm ORDER BY min(detected_at), vrm"""
        ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _sw_cand")
    return [{"vrm": v, "sightings": int(n), "first_seen": a, "last_seen": b} for v, n, a, b in rows]
