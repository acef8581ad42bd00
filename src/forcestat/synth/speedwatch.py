"""Community Speedwatch sites, sessions, detections and vehicle keepers.

Written so that ``forcestat speedwatch process`` with the default policy reproduces the
published figures: vehicles are sighted (at or above the policy's threshold) once, twice,
three times ... so that the ladder issues exactly the published letters, 4th-sighting visits
and 5th-or-later referrals; the other over-limit detections fall between the limit and the
threshold; SORN and untaxed vehicles are distinct vehicles; every sighted vehicle has a keeper.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ..periods import Period
from ..workflows.speedwatch.policy import load_policy
from .calibrate import CalibrationLog
from .profiles import DISTRICT_POPULATION, SEASON, US, rng_for, sample_month_times
from .targets import Target, Targets
from .writer import RecordWriter, dictionary, ids, ts

LIMITS = np.array([20, 30, 40, 50, 60])
LIMIT_WEIGHTS = np.array([0.14, 0.62, 0.14, 0.05, 0.05])
TAX = ("taxed", "untaxed", "sorn", "unknown")
LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"
SITES = 220
SESSION_MINUTES = 75
ROADS = (
    "High Street",
    "London Road",
    "Church Lane",
    "Station Road",
    "Maidstone Road",
    "The Street",
    "Canterbury Road",
    "Ashford Road",
    "Hythe Road",
    "Main Road",
)
FIRST = (
    "Alex",
    "Sam",
    "Jo",
    "Chris",
    "Pat",
    "Jamie",
    "Morgan",
    "Taylor",
    "Robin",
    "Charlie",
    "Ashley",
    "Lee",
    "Kim",
    "Jordan",
    "Casey",
    "Drew",
    "Frankie",
    "Hayden",
    "Jesse",
    "Max",
)
LAST = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
)
POSTCODE_AREA = {
    "Ashford": "TN",
    "Canterbury": "CT",
    "Dartford": "DA",
    "Dover": "CT",
    "Folkestone and Hythe": "CT",
    "Gravesham": "DA",
    "Maidstone": "ME",
    "Medway": "ME",
    "Sevenoaks": "TN",
    "Swale": "ME",
    "Thanet": "CT",
    "Tonbridge and Malling": "ME",
    "Tunbridge Wells": "TN",
}
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
    return [
        (
            "Speedwatch sites, sessions, detections and keepers",
            lambda: _write(writer, tg, seed, log),
        )
    ]


def _value(tg: Targets, measure: str, default: float) -> float:
    found = tg.of(measure)
    return found[0].value if found else default


def _write(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog) -> set[str]:
    main = tg.of("vehicles_detected_over_limit")[0]
    assert main.period is not None
    rng = rng_for(seed, "speedwatch", main.period_text)
    total = int(main.value)
    letters = int(_value(tg, "letters_sent", round(total * 0.32)))
    visits = int(_value(tg, "addresses_attended_4th_detection", round(letters * 0.012)))
    referrals = int(_value(tg, "drivers_5_plus_detections", round(visits * 0.4)))
    sighted = _sightings_per_vehicle(rng, letters, visits, referrals, main, log)
    below = total - int(sighted.sum())
    if below < 0:
        log.explain(main, "the letters, visits and referrals need more detections than the total")
        below = 0
    # below-threshold detections: a third by sighted vehicles, the rest by vehicles seen once
    # or twice under the threshold and never sighted
    by_sighted = below // 3
    others = _below_only_vehicles(rng, below - by_sighted)
    n_vehicles = len(sighted) + len(others)
    vehicle_sighting = np.repeat(np.arange(len(sighted)), sighted)
    vehicle_below = np.concatenate(
        [
            rng.integers(0, len(sighted), by_sighted) if len(sighted) else np.zeros(0, int),
            len(sighted) + np.repeat(np.arange(len(others)), others),
        ]
    )
    vehicle = np.concatenate([vehicle_sighting, vehicle_below]).astype(np.int64)
    is_sighting = np.zeros(len(vehicle), dtype=bool)
    is_sighting[: len(vehicle_sighting)] = True
    order = rng.permutation(len(vehicle))
    vehicle, is_sighting = vehicle[order], is_sighting[order]
    tax = _tax(rng, n_vehicles, tg)
    vrms = _plates(rng, n_vehicles)
    sites = _sites(rng)
    # sessions of about an hour at a site, catching a dozen or so speeders each
    n_sessions = max(1, len(vehicle) // 14)
    session_start = np.sort(_times(rng, main.period, n_sessions))
    session_site = rng.integers(0, SITES, n_sessions)
    busy = rng.gamma(2.0, 1.0, n_sessions)
    session = rng.choice(n_sessions, len(vehicle), p=busy / busy.sum())
    times = session_start[session] + rng.integers(0, SESSION_MINUTES * 60 * US, len(vehicle))
    site = session_site[session]
    limit = sites["limit_mph"].to_numpy()[site]
    policy = load_policy(None)
    threshold = np.array([policy.threshold(int(x)) for x in LIMITS])[np.searchsorted(LIMITS, limit)]
    over = threshold + np.floor(rng.gamma(2.0, 2.2, len(vehicle)) * 10) / 10
    gap = np.maximum(threshold - limit - 0.2, 0.0)
    under = limit + 0.1 + np.floor(rng.random(len(vehicle)) * gap * 10) / 10
    speed = np.round(np.where(is_sighting, over, under), 1)
    session_ids = tuple(f"CSW-S{i + 1:06d}" for i in range(n_sessions))
    n = len(vehicle)
    _write_sites(writer, sites)
    _write_sessions(writer, rng, sites, session_ids, session_site, session_start)
    writer.write(
        "speedwatch_detections",
        {
            "detection_id": ids("CSW-", 1, n, 7),
            "session_id": dictionary(session, session_ids),
            "site_id": dictionary(site, tuple(sites["site_id"])),
            "detected_at": ts(times),
            "vrm": vrms.take(pa.array(vehicle)),
            "speed_mph": speed,
            "limit_mph": limit.astype(np.int64),
            "tax_status": dictionary(tax[vehicle], TAX),
            # letters are what the workflow decides, not a flag in the volunteers' records
            "letter_sent": pa.nulls(n, pa.bool_()),
        },
    )
    first_seen = pd.Series(times).groupby(vehicle).min()
    _write_keepers(writer, rng, vrms, len(sighted), first_seen, sites, site, vehicle)
    _explain_average(tg, letters, main.period, log)
    return MEASURES


def _sightings_per_vehicle(
    rng: np.random.Generator,
    letters: int,
    visits: int,
    referrals: int,
    t: Target,
    log: CalibrationLog,
) -> np.ndarray:
    """Sightings per sighted vehicle, so that the ladder (1st..3rd sighting a letter, 4th a
    visit, 5th and later a referral) issues exactly ``letters``, ``visits``, ``referrals``."""
    n5 = min(referrals, max(1, round(referrals * 0.7))) if referrals else 0
    if n5 > visits:
        log.explain(t, "more vehicles reach a 5th sighting than a 4th: visits raised to match")
        visits = n5
    extra = np.bincount(rng.integers(0, max(n5, 1), referrals - n5), minlength=n5)[:n5]
    five_plus = 5 + extra.astype(np.int64)
    fours = np.full(visits - n5, 4)
    rest = letters - 3 * visits
    if rest < 0:
        log.explain(t, "the visits need more letters than were sent")
        rest = 0
    threes = min(int(round(2.6 * visits)), rest // 3)
    twos = min(int(round(0.075 * rest)), (rest - 3 * threes) // 2)
    ones = rest - 3 * threes - 2 * twos
    return np.concatenate(
        [five_plus, fours, np.full(threes, 3), np.full(twos, 2), np.ones(ones, int)]
    ).astype(np.int64)


def _below_only_vehicles(rng: np.random.Generator, detections: int) -> np.ndarray:
    """Detections per vehicle for vehicles only ever seen under the threshold: 1 or 2."""
    twos = detections // 10
    return np.concatenate([np.full(twos, 2), np.ones(detections - 2 * twos, int)]).astype(np.int64)


def _sites(rng: np.random.Generator) -> pd.DataFrame:
    towns = list(DISTRICT_POPULATION)
    i = np.arange(SITES)
    return pd.DataFrame(
        {
            "site_id": [f"CSW-SITE-{k + 1:03d}" for k in i],
            "name": [
                f"{ROADS[k % len(ROADS)]}, {towns[k % len(towns)]} {k // len(towns) + 1}" for k in i
            ],
            "district": [towns[k % len(towns)] for k in i],
            "road": [f"{'AB'[k % 2]}{2000 + (k * 37) % 900}" for k in i],
            "limit_mph": LIMITS[rng.choice(len(LIMITS), SITES, p=LIMIT_WEIGHTS)],
            "latitude": np.round(51.1 + rng.random(SITES) * 0.3, 5),
            "longitude": np.round(0.3 + rng.random(SITES) * 1.1, 5),
        }
    )


def _write_sites(writer: RecordWriter, sites: pd.DataFrame) -> None:
    writer.write("speedwatch_sites", {c: sites[c].tolist() for c in sites.columns})


def _write_sessions(
    writer: RecordWriter,
    rng: np.random.Generator,
    sites: pd.DataFrame,
    session_ids: tuple[str, ...],
    site: np.ndarray,
    start: np.ndarray,
) -> None:
    """Each session from a few minutes before its first possible detection to a few after
    its last; the scheme is the site's town's."""
    k = len(session_ids)
    began = start - rng.integers(1, 10, k) * 60 * US
    ended = start + (SESSION_MINUTES + rng.integers(1, 10, k)) * 60 * US
    towns = sites["district"].to_numpy()[site]
    writer.write(
        "speedwatch_sessions",
        {
            "session_id": list(session_ids),
            "site_id": sites["site_id"].to_numpy()[site].tolist(),
            "scheme": [f"{t} Community Speedwatch" for t in towns],
            "started_at": ts(began),
            "ended_at": ts(ended),
            "volunteers": rng.integers(2, 7, k).astype(np.int64),
        },
    )


def _write_keepers(
    writer: RecordWriter,
    rng: np.random.Generator,
    vrms: pa.Array,
    n_sighted: int,
    first_seen: pd.Series,
    sites: pd.DataFrame,
    site: np.ndarray,
    vehicle: np.ndarray,
) -> None:
    """The registered keeper of every sighted vehicle, looked up a day or two after it was
    first seen, living in the district of a site where it was seen."""
    k = n_sighted
    where = pd.Series(site).groupby(vehicle).first().to_numpy()[:k]
    districts = sites["district"].to_numpy()[where]
    first = rng.integers(0, len(FIRST), k)
    last = rng.integers(0, len(LAST), k)
    number = rng.integers(1, 200, k)
    road = rng.integers(0, len(ROADS), k)
    looked = first_seen.to_numpy()[:k] + rng.integers(1, 3, k) * 86400 * US
    writer.write(
        "vehicle_keepers",
        {
            "vrm": vrms.slice(0, k),
            "keeper_name": [f"{FIRST[a]} {LAST[b]}" for a, b in zip(first, last, strict=True)],
            "address": [
                f"{no} {ROADS[r]}, {d}" for no, r, d in zip(number, road, districts, strict=True)
            ],
            "postcode": [
                f"{POSTCODE_AREA.get(d, 'ME')}{rng.integers(1, 20)} {rng.integers(1, 10)}"
                f"{LETTERS[rng.integers(0, 24)]}{LETTERS[rng.integers(0, 24)]}"
                for d in districts
            ],
            "looked_up_at": ts(looked),
            "source": ["pnc"] * k,
        },
    )


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
