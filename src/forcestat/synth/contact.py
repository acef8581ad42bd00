"""Digital contacts, 'Report a Crime' online reports and live chats: exact monthly counts.

Live chats are queued for operators who handle up to six at once: waits are short and most
chats are accepted; the few abandoned ones are those that waited longest.
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

DIGITAL_KINDS = ("email", "social_media", "web_form", "other")
DIGITAL_WEIGHTS = np.array([0.46, 0.22, 0.28, 0.04])
CHAT_OPERATORS = 14


def steps(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog):
    """Generation steps for whichever of these measures the targets cover."""
    out = []
    if tg.has_any("digital_contacts"):
        out.append(("digital contacts", lambda: _each(writer, tg, seed, log, "digital_contacts")))
    if tg.has_any("online_crime_reports"):
        out.append(("online crime reports", lambda: _each(writer, tg, seed, log, "online")))
    if tg.has_any("live_chats"):
        out.append(("live chats", lambda: _each(writer, tg, seed, log, "live_chats")))
    return out


def _each(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog, what: str) -> set[str]:
    measure = "online_crime_reports" if what == "online" else what
    for m, n in monthly_counts(tg, measure, log).items():
        rng = rng_for(seed, measure, m)
        {"digital_contacts": _digital, "online": _online, "live_chats": _chats}[what](
            writer, rng, m, n
        )
    return {measure}


def _digital(writer: RecordWriter, rng: np.random.Generator, m: date, n: int) -> None:
    received = sample_month_times(rng, m, n, "day")
    handled = received + (rng.lognormal(np.log(3 * 3600), 1.0, n) * US).astype(np.int64)
    writer.write(
        "digital_contacts",
        {
            "contact_id": ids(f"DC-{m:%Y%m}-", 1, n, 6),
            "received_at": ts(received),
            "kind": dictionary(pick(rng, n, DIGITAL_WEIGHTS), DIGITAL_KINDS),
            "district": dictionary(pick(rng, n, DISTRICT_WEIGHTS), DISTRICTS),
            "handled_at": ts(handled, rng.random(n) < 0.97),
        },
    )


def _online(writer: RecordWriter, rng: np.random.Generator, m: date, n: int) -> None:
    # online reports lean to volume crime rather than violence
    w = CRIME_TYPE_WEIGHTS.copy()
    w[CRIME_TYPE_NAMES.index("Violence and sexual offences")] *= 0.35
    w[CRIME_TYPE_NAMES.index("Other theft")] *= 2.5
    w[CRIME_TYPE_NAMES.index("Vehicle crime")] *= 2.0
    writer.write(
        "online_crime_reports",
        {
            "report_id": ids(f"RAC-{m:%Y%m}-", 1, n, 6),
            "submitted_at": ts(sample_month_times(rng, m, n, "day")),
            "crime_type": dictionary(pick(rng, n, w / w.sum()), CRIME_TYPE_NAMES),
            "district": dictionary(pick(rng, n, DISTRICT_WEIGHTS), DISTRICTS),
        },
    )


def _chats(writer: RecordWriter, rng: np.random.Generator, m: date, n: int) -> None:
    requested = sample_month_times(rng, m, n, "day")
    wait = (rng.gamma(1.4, 45.0, n) * US).astype(np.int64)
    # people who waited longest are the ones who left before an operator accepted
    patience = (rng.exponential(900.0, n) * US).astype(np.int64)
    accepted = wait <= patience
    duration = (rng.lognormal(np.log(11 * 60), 0.6, n) * US).astype(np.int64)
    accepted_at = requested + wait
    ended = np.where(accepted, accepted_at + duration, requested + patience)
    writer.write(
        "chats",
        {
            "chat_id": ids(f"CH-{m:%Y%m}-", 1, n, 6),
            "requested_at": ts(requested),
            "accepted_at": ts(accepted_at, accepted),
            "ended_at": ts(ended),
            "operator_id": dictionary(
                rng.integers(0, CHAT_OPERATORS, n),
                tuple(f"CHAT-{i:02d}" for i in range(CHAT_OPERATORS)),
                accepted,
            ),
        },
    )
