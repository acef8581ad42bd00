"""Crime records (recorded and cancelled, police.uk categories) and Operation Encompass.

Each month gets exactly its recorded and cancelled counts. Cancellations carry a Home Office
Counting Rules reason and a review date after recording. Operation Encompass notifications (no
published target) follow the domestic-abuse share of violent crime, on school days only.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from .calibrate import CalibrationLog
from .counts import monthly_counts
from .profiles import (
    CRIME_TYPE_NAMES,
    CRIME_TYPE_WEIGHTS,
    DISTRICT_WEIGHTS,
    DISTRICTS,
    US,
    pick,
    rng_for,
    sample_month_times,
)
from .targets import Targets
from .writer import RecordWriter, dictionary, ids, ts

STATUSES = ("recorded", "cancelled")
CANCELLATION_REASONS = (
    "C1 recorded in error",
    "C2 transferred to another force",
    "C3 additional verifiable information: no crime",
    "C4 duplicate record",
    "C5 part of another crime",
)
REASON_WEIGHTS = np.array([0.12, 0.18, 0.38, 0.22, 0.10])
#: notifications per recorded crime: Kent sends several thousand a year
ENCOMPASS_RATE = 0.045
SCHOOLS = 600


def steps(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog):
    if not tg.has_any("recorded_crime", "cancelled_crime"):
        return []
    return [
        ("crime records", lambda: _crimes(writer, tg, seed, log)),
        ("Operation Encompass", lambda: _encompass(writer, tg, seed, log)),
    ]


def _crimes(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog) -> set[str]:
    recorded = monthly_counts(tg, "recorded_crime", log)
    cancelled = monthly_counts(tg, "cancelled_crime", log)
    for m in sorted(set(recorded) | set(cancelled)):
        rng = rng_for(seed, "crimes", m)
        n_rec, n_can = recorded.get(m, 0), cancelled.get(m, 0)
        n = n_rec + n_can
        at = sample_month_times(rng, m, n, "day")
        status = np.zeros(n, dtype=np.int32)
        status[rng.permutation(n)[:n_can]] = 1
        is_cancelled = status == 1
        review = at + (rng.lognormal(np.log(9 * 86400), 0.7, n) * US).astype(np.int64)
        writer.write(
            "crimes",
            {
                "crime_id": ids(f"CR-{m:%Y%m}-", 1, n, 6),
                "recorded_at": ts(at),
                "crime_type": dictionary(pick(rng, n, CRIME_TYPE_WEIGHTS), CRIME_TYPE_NAMES),
                "district": dictionary(pick(rng, n, DISTRICT_WEIGHTS), DISTRICTS),
                "status": dictionary(status, STATUSES),
                "status_changed_at": ts(review, is_cancelled),
                "cancellation_reason": dictionary(
                    pick(rng, n, REASON_WEIGHTS), CANCELLATION_REASONS, is_cancelled
                ),
            },
        )
    return {
        "recorded_crime",
        "cancelled_crime",
        "cancelled_crime_pct",
        "cancelled_crime_pct_average",
    }


def _encompass(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog) -> set[str]:
    months = monthly_counts(tg, "recorded_crime", CalibrationLog())
    total = 0
    for m, recorded in months.items():
        rng = rng_for(seed, "encompass", m)
        n = int(rng.poisson(ENCOMPASS_RATE * recorded * _term_share(m)))
        incident = sample_month_times(rng, m, n, "night")
        # schools are told the next school day, before 9am
        notified = _next_school_morning(incident, rng)
        writer.write(
            "encompass_notifications",
            {
                "notification_id": ids(f"OE-{m:%Y%m}-", 1, n, 5),
                "incident_at": ts(incident),
                "notified_at": ts(notified),
                "school_id": dictionary(
                    rng.integers(0, SCHOOLS, n), tuple(f"KS{i:04d}" for i in range(SCHOOLS))
                ),
                "district": dictionary(pick(rng, n, DISTRICT_WEIGHTS), DISTRICTS),
                "child_ref": ids(f"C{m:%y%m}", 1, n, 5),
            },
        )
        total += n
    log.note(
        f"encompass_notifications: {total} written (no published target; about "
        f"{ENCOMPASS_RATE:.1%} of recorded crime, fewer in the summer holiday)"
    )
    return set()


def _term_share(m: date) -> float:
    return {8: 0.25, 7: 0.75, 12: 0.8, 4: 0.8}.get(m.month, 1.0)


def _next_school_morning(incident: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    day = 86400 * US
    days = incident // day + 1
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (3)
    days = days + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
    return days * day + (rng.uniform(6.5, 8.5, len(incident)) * 3600 * US).astype(np.int64)
