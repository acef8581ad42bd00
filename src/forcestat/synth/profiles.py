"""The shapes synthetic records follow: arrival profiles, districts, crime types, time grids.

Arrival profiles are relative intensities by local hour of day and day of week (Monday = 0).
Times are handled as int64 microseconds since the Unix epoch, in UTC; a month is the
Europe/London calendar month, so records land in the month the measures attribute them to.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime

import numpy as np
import pandas as pd

from ..periods import LONDON, add_months

US = 1_000_000
INTERVAL_US = 15 * 60 * US

#: Kent's districts with their population (ONS 2021 census, rounded): weights for records.
DISTRICT_POPULATION: dict[str, int] = {
    "Ashford": 132_700,
    "Canterbury": 157_400,
    "Dartford": 116_800,
    "Dover": 116_400,
    "Folkestone and Hythe": 109_800,
    "Gravesham": 106_900,
    "Maidstone": 175_800,
    "Medway": 279_800,
    "Sevenoaks": 120_500,
    "Swale": 151_700,
    "Thanet": 140_600,
    "Tonbridge and Malling": 132_200,
    "Tunbridge Wells": 115_300,
}
DISTRICTS = tuple(DISTRICT_POPULATION)
DISTRICT_WEIGHTS = np.array(list(DISTRICT_POPULATION.values()), dtype=float)
DISTRICT_WEIGHTS /= DISTRICT_WEIGHTS.sum()

#: police.uk crime categories (anti-social behaviour is not a crime) with a force's usual mix.
CRIME_TYPES: dict[str, float] = {
    "Violence and sexual offences": 0.405,
    "Public order": 0.115,
    "Criminal damage and arson": 0.090,
    "Other theft": 0.072,
    "Shoplifting": 0.060,
    "Vehicle crime": 0.050,
    "Burglary": 0.042,
    "Other crime": 0.035,
    "Drugs": 0.030,
    "Possession of weapons": 0.012,
    "Robbery": 0.009,
    "Theft from the person": 0.008,
    "Bicycle theft": 0.007,
}
CRIME_TYPE_NAMES = tuple(CRIME_TYPES)
CRIME_TYPE_WEIGHTS = np.array(list(CRIME_TYPES.values()))
CRIME_TYPE_WEIGHTS /= CRIME_TYPE_WEIGHTS.sum()

# Hour-of-day intensities (local time, 00..23). 999 peaks in the late afternoon and evening;
# 101 follows the working day; crime reports the day; s.136 detentions the evening and night.
HOURLY: dict[str, tuple[float, ...]] = {
    "999": (
        3.4, 2.9, 2.5, 2.1, 1.8, 1.6, 1.7, 2.3, 3.1, 3.7, 4.1, 4.4,
        4.6, 4.7, 4.9, 5.2, 5.5, 5.7, 5.8, 5.7, 5.4, 5.0, 4.5, 3.9,
    ),
    "101": (
        1.2, 0.8, 0.6, 0.5, 0.5, 0.6, 1.2, 2.9, 5.3, 6.6, 6.9, 6.7,
        6.3, 6.2, 6.1, 6.0, 5.8, 5.5, 4.9, 4.3, 3.8, 3.1, 2.4, 1.7,
    ),
    "day": (
        1.0, 0.7, 0.5, 0.4, 0.4, 0.5, 1.2, 2.6, 4.6, 5.8, 6.3, 6.4,
        6.3, 6.2, 6.1, 6.0, 5.8, 5.5, 5.0, 4.6, 4.0, 3.3, 2.4, 1.6,
    ),
    "speedwatch": (
        0, 0, 0, 0, 0, 0, 0, 1.5, 4.0, 5.0, 4.5, 4.0,
        3.8, 3.6, 3.8, 4.5, 5.0, 4.8, 3.5, 1.5, 0.4, 0, 0, 0,
    ),
    "night": (
        5.6, 5.2, 4.6, 4.0, 3.2, 2.4, 1.8, 1.6, 2.0, 2.6, 3.2, 3.6,
        3.9, 4.1, 4.3, 4.6, 4.9, 5.2, 5.6, 5.9, 6.1, 6.3, 6.3, 6.0,
    ),
}  # fmt: skip

# Day-of-week intensities, Monday first: 999 is busiest at the weekend, 101 early in the week.
DAILY: dict[str, tuple[float, ...]] = {
    "999": (0.97, 0.94, 0.94, 0.97, 1.05, 1.09, 1.04),
    "101": (1.14, 1.07, 1.04, 1.02, 1.00, 0.86, 0.87),
    "day": (1.10, 1.06, 1.04, 1.02, 1.00, 0.90, 0.88),
    "night": (0.92, 0.92, 0.94, 0.98, 1.06, 1.14, 1.04),
    "speedwatch": (1.0, 1.05, 1.05, 1.0, 0.95, 1.1, 0.8),
}

#: Month-of-year demand factor (January first): summer is busier for 999.
SEASON = (0.92, 0.88, 0.94, 0.96, 1.01, 1.04, 1.08, 1.06, 1.0, 1.01, 0.98, 1.0)


def rng_for(seed: int, *parts: object) -> np.random.Generator:
    """A generator for one component, stable for a seed whatever else is generated.

    Keyed by name (e.g. ``rng_for(seed, "calls", "999", "2022-08")``) so that a targets file
    covering a subset of figures gives the same records for what it covers.
    """
    key = [zlib.crc32(str(p).encode()) for p in parts]
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, *key]))


def local_midnight_us(d: date) -> int:
    """Microseconds since the epoch of local (Europe/London) midnight starting ``d``."""
    return int(datetime(d.year, d.month, d.day, tzinfo=LONDON).timestamp()) * US


def month_bounds_us(m: date) -> tuple[int, int]:
    """UTC microsecond bounds [start, end) of the Europe/London month ``m``."""
    return local_midnight_us(m), local_midnight_us(add_months(m, 1))


def interval_grid(m: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """15-minute intervals of a local month: UTC starts (us), local hour and weekday of each."""
    start, end = month_bounds_us(m)
    starts = np.arange(start, end, INTERVAL_US, dtype=np.int64)
    local = pd.DatetimeIndex(starts.astype("datetime64[us]"), tz="UTC").tz_convert(LONDON)
    return starts, np.asarray(local.hour), np.asarray(local.day_of_week)


#: Local daylight hours [first, last) by month (Kent, roughly): outdoor sessions keep to them.
DAYLIGHT = ((8, 16), (7, 17), (7, 18), (7, 20), (6, 21), (5, 21),
            (5, 21), (6, 20), (7, 19), (8, 18), (7, 16), (8, 16))  # fmt: skip


def interval_weights(
    rng: np.random.Generator,
    hours: np.ndarray,
    dows: np.ndarray,
    profile: str,
    noise: float,
    month: int | None = None,
) -> np.ndarray:
    """Normalised intensity of each interval, with day-to-day variation of size ``noise``.

    With ``month``, intervals outside that month's daylight get no weight.
    """
    w = np.asarray(HOURLY[profile])[hours] * np.asarray(DAILY[profile])[dows]
    if month is not None:
        first, last = DAYLIGHT[month - 1]
        w = w * ((hours >= first) & (hours < last))
    if noise > 0:
        n_days = len(w) // 96 + 2
        day_factor = rng.lognormal(0.0, noise, n_days)
        w = w * np.repeat(day_factor, 96)[: len(w)]
    return w / w.sum()


def sample_month_times(
    rng: np.random.Generator,
    m: date,
    n: int,
    profile: str,
    noise: float = 0.08,
    daylight: bool = False,
) -> np.ndarray:
    """``n`` sorted arrival instants in local month ``m``: a non-homogeneous Poisson process.

    Given its total, an inhomogeneous Poisson process places its points independently with
    density proportional to the intensity: a multinomial over 15-minute intervals, uniform
    within each.
    """
    starts, hours, dows = interval_grid(m)
    p = interval_weights(rng, hours, dows, profile, noise, m.month if daylight else None)
    counts = rng.multinomial(n, p)
    t = np.repeat(starts, counts) + rng.integers(0, INTERVAL_US, n, dtype=np.int64)
    t.sort()
    return t


def pick(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """``n`` category codes drawn with the given weights (for a dictionary column).

    A 65,536-entry lookup table of the quantised distribution turns each draw into one
    16-bit random integer and one gather: several times faster than ``rng.choice(p=...)``.
    """
    w = np.asarray(weights, dtype=float)
    cdf = np.cumsum(w / w.sum())
    table = np.searchsorted(cdf, (np.arange(65_536) + 0.5) / 65_536).astype(np.int32)
    return table[rng.integers(0, 65_536, n, dtype=np.uint16)]


def months_between(first: date, last: date) -> list[date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out
