"""Operation Encompass records: schools, their terms, domestic abuse incidents and the children
at them, for ``forcestat encompass due`` and ``send`` to work on (no published target).

Incidents follow recorded crime (about 3% of it) over the last six months the targets cover,
mostly in the evening and at night; the police learn of each from minutes to hours after it.
One to three children are linked to an incident, most of them present; a few have no known
school (the exceptions list) and a few schools have no key adult e-mail address. Terms are the
local authorities' (Kent and Medway), six a year, with an INSET day at the start of each
school year. Every name is invented.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from .calibrate import CalibrationLog
from .counts import monthly_counts
from .neighbourhood import school_id
from .profiles import DISTRICT_WEIGHTS, DISTRICTS, US, pick, rng_for, sample_month_times
from .targets import Targets
from .writer import RecordWriter, ts

SCHOOLS = 600
#: domestic abuse incidents with children linked, per recorded crime
INCIDENT_RATE = 0.03
MONTHS = 6
PHASES = ("primary", "secondary", "special", "all-through")
PHASE_WEIGHTS = np.array([0.78, 0.16, 0.04, 0.02])
SUFFIX = {
    "primary": "Primary School",
    "secondary": "Academy",
    "special": "School",
    "all-through": "School",
}
FIRST_NAMES = (
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Arthur",
    "Ivy",
    "Leo",
    "Freya",
    "Oscar",
    "Lily",
    "Harry",
    "Florence",
    "Jack",
    "Willow",
    "Charlie",
    "Rosie",
    "Theo",
    "Aisha",
    "Mohammed",
    "Zofia",
    "Jakub",
    "Priya",
    "Arjun",
    "Grace",
    "Alfie",
    "Evie",
    "Finley",
)
SURNAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Robinson",
    "Wood",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Khan",
    "Lewis",
    "Harris",
    "Clarke",
    "Kowalski",
    "Nowak",
    "Begum",
    "Ali",
    "Martin",
)
#: each year's six terms as (start month, day), (end month, day); the year starts in September
TERMS = (
    ((9, 1), (10, 21)),
    ((10, 31), (12, 20)),
    ((1, 4), (2, 10)),
    ((2, 20), (3, 31)),
    ((4, 17), (5, 26)),
    ((6, 5), (7, 21)),
)


def steps(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog):
    if not tg.has_any("recorded_crime"):
        return []
    return [("Operation Encompass records", lambda: _write(writer, tg, seed, log))]


def school_terms(first_year: int, last_year: int, authority: str) -> list[dict]:
    """The authority's terms for the school years starting ``first_year`` to ``last_year``,
    with an INSET day on the first day of each school year (a weekday)."""
    out = []
    for y in range(first_year, last_year + 1):
        for i, ((m1, d1), (m2, d2)) in enumerate(TERMS):
            year = y if m1 >= 9 else y + 1
            start, end = _weekday(date(year, m1, d1)), date(year if m2 >= 9 else y + 1, m2, d2)
            out.append(
                {
                    "term_id": f"{authority[:2].upper()}-{y}-{i + 1}",
                    "local_authority": authority,
                    "starts_on": start,
                    "ends_on": end,
                    "inset_days": start.isoformat() if i == 0 else None,
                }
            )
    return out


def _weekday(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _authority(district: str) -> str:
    return "Medway" if district == "Medway" else "Kent"


def _write(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog) -> set[str]:
    rng = rng_for(seed, "encompass records")
    months = sorted(monthly_counts(tg, "recorded_crime", CalibrationLog()).items())[-MONTHS:]
    if not months:
        return set()
    n_schools = max(10, round(SCHOOLS * tg.scale))
    district = pick(rng, n_schools, DISTRICT_WEIGHTS)
    phase = pick(rng, n_schools, PHASE_WEIGHTS)
    towns = [DISTRICTS[int(i)].split(" and ")[0] for i in district]
    has_email = rng.random(n_schools) > 0.01
    writer.write(
        "schools",
        {
            "school_id": [school_id(i) for i in range(n_schools)],
            "name": [
                f"{towns[i]} {['St Mary', 'Oak', 'Hill', 'Park', 'Castle', 'Meadow'][i % 6]}"
                f" {SUFFIX[PHASES[int(phase[i])]]}"
                for i in range(n_schools)
            ],
            "district": [DISTRICTS[int(i)] for i in district],
            "phase": [PHASES[int(i)] for i in phase],
            "key_adult_email": [
                f"dsl@{school_id(i).lower()}.school.example" if has_email[i] else None
                for i in range(n_schools)
            ],
            "local_authority": [_authority(DISTRICTS[int(i)]) for i in district],
        },
    )
    first, last = months[0][0], months[-1][0]
    years = (first.year - (first.month < 9), last.year + (last.month >= 9))
    terms = school_terms(*years, "Kent") + school_terms(*years, "Medway")
    writer.write(
        "school_terms",
        {
            "term_id": [t["term_id"] for t in terms],
            "school_id": [None] * len(terms),
            "local_authority": [t["local_authority"] for t in terms],
            "starts_on": [t["starts_on"] for t in terms],
            "ends_on": [t["ends_on"] for t in terms],
            "inset_days": [t["inset_days"] for t in terms],
        },
    )
    by_district = {
        d: np.flatnonzero(district == i) for i, d in enumerate(DISTRICTS) if (district == i).any()
    }
    incidents = children = 0
    for m, recorded in months:
        n = int(rng.poisson(INCIDENT_RATE * recorded))
        incidents += n
        children += _month(writer, rng, m, n, by_district)
    log.note(
        f"Operation Encompass: {n_schools} schools, {incidents} domestic abuse incidents and "
        f"{children} children linked to them over {len(months)} months (no published target; "
        f"about {INCIDENT_RATE:.0%} of recorded crime)"
    )
    return set()


def _month(writer: RecordWriter, rng: np.random.Generator, m: date, n: int, by_district) -> int:
    occurred = sample_month_times(rng, m, n, "night")
    delay = (rng.lognormal(np.log(40 * 60), 1.2, n) * US).astype(np.int64)
    inc_district = pick(rng, n, DISTRICT_WEIGHTS)
    inc_ids = [f"DA-{m:%Y%m}-{i + 1:05d}" for i in range(n)]
    writer.write(
        "da_incidents",
        {
            "incident_id": inc_ids,
            "occurred_at": ts(occurred),
            "reported_at": ts(occurred + delay),
            "district": [DISTRICTS[int(i)] for i in inc_district],
        },
    )
    per = rng.choice([1, 2, 3], size=n, p=[0.55, 0.33, 0.12])
    k = int(per.sum())
    who = np.repeat(np.arange(n), per)
    child_ids = [f"CH-{m:%Y%m}-{i + 1:05d}" for i in range(k)]
    ages = rng.uniform(3.0, 16.9, k)
    occurred_day = [date(1970, 1, 1) + timedelta(microseconds=int(occurred[w])) for w in who]
    dob = [d - timedelta(days=int(a * 365.25)) for d, a in zip(occurred_day, ages, strict=True)]
    schools = []
    for j in range(k):
        pool = by_district.get(DISTRICTS[int(inc_district[who[j]])])
        no_school = ages[j] < 4.0 or rng.random() < 0.02 or pool is None
        schools.append(None if no_school else school_id(int(rng.choice(pool))))
    first = rng.integers(0, len(FIRST_NAMES), k)
    family = rng.integers(0, len(SURNAMES), n)
    writer.write(
        "children",
        {
            "child_id": child_ids,
            "name": [
                f"{FIRST_NAMES[int(first[j])]} {SURNAMES[int(family[who[j]])]}" for j in range(k)
            ],
            "date_of_birth": dob,
            "school_id": schools,
        },
    )
    writer.write(
        "incident_children",
        {
            "incident_id": [inc_ids[int(w)] for w in who],
            "child_id": child_ids,
            "present": rng.random(k) < 0.85,
        },
    )
    return k
