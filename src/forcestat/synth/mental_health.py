"""Mental Health Act s.136 detentions: exact monthly counts, evening-heavy, by district."""

from __future__ import annotations

from datetime import date

import numpy as np

from .calibrate import CalibrationLog
from .counts import monthly_counts
from .profiles import DISTRICT_WEIGHTS, DISTRICTS, pick, rng_for, sample_month_times
from .targets import Targets
from .writer import RecordWriter, dictionary, ids, ts

PLACES = ("health", "custody", "other")
AGE_BANDS = ("under_18", "18_plus", "unknown")


def write_s136(
    writer: RecordWriter, targets: Targets, seed: int, log: CalibrationLog
) -> dict[date, int]:
    """Write s.136 detentions for every month the targets cover; returns the monthly counts."""
    counts = monthly_counts(targets, "s136_detentions", log)
    for m, n in counts.items():
        rng = rng_for(seed, "s136", m)
        detained = sample_month_times(rng, m, n, "night", noise=0.15)
        writer.write(
            "s136_detentions",
            {
                "detention_id": ids(f"S136-{m:%Y%m}-", 1, n, 5),
                "detained_at": ts(detained),
                "district": dictionary(pick(rng, n, DISTRICT_WEIGHTS), DISTRICTS),
                "place_of_safety": dictionary(pick(rng, n, _place_weights(m)), PLACES),
                "age_band": dictionary(pick(rng, n, np.array([0.08, 0.9, 0.02])), AGE_BANDS),
            },
        )
    return counts


def _place_weights(m: date) -> np.ndarray:
    """Police custody as a place of safety fell sharply after the Policing and Crime Act 2017."""
    custody = 0.25 if m < date(2014, 4, 1) else 0.12 if m < date(2017, 12, 1) else 0.01
    return np.array([0.97 - custody, custody, 0.03])
