"""Community Speedwatch detections with the published repeat-vehicle structure.

Vehicles are seen once, twice, three times... so that exactly the published number reach a 4th
detection and reach 5 or more; SORN and untaxed vehicles are distinct vehicles; letters go for
exactly the published number of detections.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..periods import Period
from .calibrate import CalibrationLog
from .profiles import DISTRICT_POPULATION, SEASON, US, rng_for, sample_month_times
from .targets import Target, Targets
from .writer import RecordWriter, dictionary, ids, ts

LIMITS = np.array([20, 30, 40, 50, 60])
LIMIT_WEIGHTS = np.array([0.14, 0.62, 0.14, 0.05, 0.05])
TAX = ("taxed", "untaxed", "sorn", "unknown")
LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"
SITES = 220
MEASURES = {
    "vehicles_detected_over_limit",
    "letters_sent",
    "letters_sent_monthly_average",
    "addresses_attended_4th_detection",
    "drivers_5_plus_detections",
    "sorn_vehicles_to_dvla",
    "untaxed_vehicles_to_dvla",
}


def steps(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog):
    if not tg.has_any("vehicles_detected_over_limit"):
        return []
    return [("Speedwatch detections", lambda: _write(writer, tg, seed, log))]


def _value(tg: Targets, measure: str, default: float) -> float:
    found = tg.of(measure)
    return found[0].value if found else default


def _write(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog) -> set[str]:
    main = tg.of("vehicles_detected_over_limit")[0]
    assert main.period is not None
    rng = rng_for(seed, "speedwatch", main.period_text)
    total = int(main.value)
    n4 = int(_value(tg, "addresses_attended_4th_detection", round(total * 0.004)))
    n5 = int(_value(tg, "drivers_5_plus_detections", round(n4 * 0.4)))
    per_vehicle = _repeats(rng, total, n4, n5, main, log)
    tax = _tax(rng, len(per_vehicle), tg)
    vrms = _plates(rng, len(per_vehicle))
    vehicle = np.repeat(np.arange(len(per_vehicle)), per_vehicle)
    rng.shuffle(vehicle)
    times = _times(rng, main.period, len(vehicle))
    letters = int(_value(tg, "letters_sent", round(total * 0.32)))
    letter = np.zeros(len(vehicle), dtype=bool)
    letter[rng.permutation(len(vehicle))[: min(letters, len(vehicle))]] = True
    _explain_average(tg, letters, main.period, log)
    site = rng.integers(0, SITES, len(vehicle))
    day = (times + 3600 * US) // (86400 * US)
    session_key, session = np.unique(site * 100_000 + day, return_inverse=True)
    limit = LIMITS[rng.choice(len(LIMITS), len(vehicle), p=LIMIT_WEIGHTS)]
    # Speedwatch logs vehicles above the limit plus 10% plus 2 mph
    speed = np.round(limit * 1.1 + 2 + rng.gamma(2.0, 2.2, len(vehicle)), 1)
    n = len(vehicle)
    writer.write(
        "speedwatch_detections",
        {
            "detection_id": ids("CSW-", 1, n, 7),
            "session_id": dictionary(session, tuple(f"S{k:011d}" for k in session_key)),
            "site_id": dictionary(site, tuple(_site_names())),
            "detected_at": ts(times),
            "vrm": vrms.take(pa.array(vehicle)),
            "speed_mph": speed,
            "limit_mph": limit.astype(np.int64),
            "tax_status": dictionary(tax[vehicle], TAX),
            "letter_sent": letter,
        },
    )
    return MEASURES


def _repeats(
    rng: np.random.Generator, total: int, n4: int, n5: int, t: Target, log: CalibrationLog
) -> np.ndarray:
    """Detections per vehicle: ``n5`` vehicles at 5+, ``n4 - n5`` at exactly 4, the rest 1..3."""
    five_plus = 5 + np.minimum(rng.geometric(0.55, n5) - 1, 6)
    fours = np.full(max(n4 - n5, 0), 4)
    rest = total - int(five_plus.sum()) - 4 * len(fours)
    if rest < 0:
        log.explain(t, "the repeat-vehicle figures need more detections than the total")
        rest = 0
    threes = min(int(round(2.6 * n4)), rest // 3)
    twos = min(int(round(0.075 * rest)), (rest - 3 * threes) // 2)
    ones = rest - 3 * threes - 2 * twos
    return np.concatenate(
        [five_plus, fours, np.full(threes, 3), np.full(twos, 2), np.ones(ones, int)]
    ).astype(np.int64)


def _tax(rng: np.random.Generator, vehicles: int, tg: Targets) -> np.ndarray:
    sorn = int(_value(tg, "sorn_vehicles_to_dvla", round(vehicles * 0.003)))
    untaxed = int(_value(tg, "untaxed_vehicles_to_dvla", round(vehicles * 0.03)))
    status = np.zeros(vehicles, dtype=np.int32)
    order = rng.permutation(vehicles)
    status[order[:untaxed]] = 1
    status[order[untaxed : untaxed + sorn]] = 2
    status[order[untaxed + sorn : untaxed + sorn + vehicles // 200]] = 3
    return status


def _plates(rng: np.random.Generator, n: int) -> pa.Array:
    """Distinct current-style registrations (two letters, age identifier, three letters),
    built straight into an Arrow string buffer."""
    ages = np.array([y for y in range(2, 23)] + [y for y in range(51, 73)])
    # i -> (a*i + b) mod M is a bijection when a is coprime with M: distinct plates for free
    space = 24**5 * len(ages)
    a, b = 2_654_435_761, int(rng.integers(0, space))
    codes = (np.arange(n, dtype=np.int64) * (a % space) + b) % space
    letters = np.frombuffer(LETTERS.encode(), dtype=np.uint8)
    buf = np.empty((n, 7), dtype=np.uint8)
    rest = codes.copy()
    for pos in (0, 1, 4, 5, 6):
        buf[:, pos] = letters[rest % 24]
        rest //= 24
    age = ages[rest % len(ages)]
    buf[:, 2] = 48 + age // 10
    buf[:, 3] = 48 + age % 10
    offsets = np.arange(0, (n + 1) * 7, 7, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))


def _times(rng: np.random.Generator, p: Period, n: int) -> np.ndarray:
    months = p.months()
    w = np.array([SEASON[m.month - 1] * (1.3 if 4 <= m.month <= 9 else 1.0) for m in months])
    counts = rng.multinomial(n, w / w.sum())
    parts = [
        sample_month_times(rng, m, int(k), "speedwatch", noise=0.4, daylight=True)
        for m, k in zip(months, counts, strict=True)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _site_names() -> list[str]:
    towns = list(DISTRICT_POPULATION)
    return [f"{towns[i % len(towns)]} site {i // len(towns) + 1}" for i in range(SITES)]


def _explain_average(tg: Targets, letters: int, p: Period, log: CalibrationLog) -> None:
    for t in tg.of("letters_sent_monthly_average"):
        if t.period is None:
            continue
        log.explain(
            t,
            f"contradicts letters_sent: {t.value_text} a month over {t.period.n_months} months "
            f"would be {t.value * t.period.n_months:,.0f} letters, but {letters:,} were sent in "
            f"all of {p.label}; letters_sent is a record count and was held, so this average "
            "is what those letters give",
        )
