"""Special constables, police support volunteers (PSV), community policing volunteers (CPV)
and the duties specials give, with exact headcounts at the target date and exact hours.
"""

from __future__ import annotations

import re
import zlib
from datetime import date, timedelta

import numpy as np

from ..periods import Period
from ..schema.volunteers import CPV_ROLES
from .calibrate import CalibrationLog
from .profiles import DISTRICTS, rng_for
from .targets import Target, Targets
from .writer import RecordWriter, ids

PSV_ROLES = ("front counter", "victim contact", "cadet leader", "chaplaincy", "analysis")
ACTIVITIES = ("patrol", "night-time economy", "roads policing", "event", "training", "rural")
MEASURES = {
    "special_constables",
    "special_constables_independent",
    "special_constable_hours",
    "specials_accepted_into_regular_force",
    "specials_in_process_to_regular_force",
    "cpv_roles",
    "cpv_deployed",
    "police_support_volunteers",
    "community_policing_volunteers",
    *(f"cpv_{r}" for r in CPV_ROLES),
}


def steps(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog):
    if not any(t.measure in MEASURES for t in tg):
        return []
    return [("volunteers and duties", lambda: _write(writer, tg, seed, log))]


def _one(tg: Targets, measure: str) -> Target | None:
    found = [t for t in tg.of(measure) if t.period is not None]
    return found[-1] if found else None


def _day(t: Target | None, fallback: date) -> date:
    return t.period.end - timedelta(days=1) if t and t.period else fallback


def _write(writer: RecordWriter, tg: Targets, seed: int, log: CalibrationLog) -> set[str]:
    rng = rng_for(seed, "volunteers")
    sc, ind = _one(tg, "special_constables"), _one(tg, "special_constables_independent")
    hours, reg = (
        _one(tg, "special_constable_hours"),
        _one(tg, "specials_accepted_into_regular_force"),
    )
    anchor = max(t.period.end - timedelta(days=1) for t in tg if t.measure in MEASURES and t.period)
    d = _day(sc, anchor)
    rows: list[dict] = []
    n_specials = int(sc.value) if sc else int(round(250 * tg.scale))
    n_ind = int(ind.value) if ind else n_specials * 2 // 5
    specials = _specials(rng, n_specials, n_ind, d)
    to_regular = _regular(rng, int(reg.value) if reg else 0, reg.period if reg else None, d)
    leavers = _leavers(rng, max(3, n_specials // 8), d, "special")
    if hours and hours.period:
        # "The Special Constabulary reduced in number over this reporting period": nobody
        # joins during it, and a few leave besides those joining the regular force
        specials = _none_joining(specials, hours.period.start)
        leavers += _leaving_during(rng, 4, hours.period, "special")
        log.choose(
            "special_constables",
            f"no Special Constable joins during {hours.period_text} and 4 leave, besides those "
            "accepted into the regular force, so the Special Constabulary falls over the period",
        )
    rows += specials + to_regular + leavers
    psv = _one(tg, "police_support_volunteers")
    if psv:
        rows += _others(rng, "psv", {r: 0 for r in PSV_ROLES}, int(psv.value), _day(psv, d))
    rows += _cpv(rng, tg, d, log)
    rows.sort(key=lambda r: (r["kind"], r["joined_on"]))
    for i, r in enumerate(rows):
        r["volunteer_id"] = f"V{i + 1:05d}"
    writer.write("volunteers", {k: [r.get(k) for r in rows] for k in _VOL_COLS})
    _applications(writer, rng, rows, reg, d, log, tg.scale)
    _cpv_duties(writer, rng, rows, _one(tg, "community_policing_volunteers"), d, log)
    if hours and hours.period:
        _duties(writer, rng, [r for r in rows if r["kind"] == "special"], hours.period, hours.value)
        log.choose("special_constable_hours", f"{hours.value:,.2f} hours in quarter-hour duties")
    return MEASURES


_VOL_COLS = (
    "volunteer_id",
    "kind",
    "role",
    "joined_on",
    "left_on",
    "independent",
    "independent_from",
    "left_to_regular_force",
)


def _join_dates(rng: np.random.Generator, n: int, d: date, years: float = 12) -> list[date]:
    # length of service is right-skewed: many recent joiners, a long tail of veterans
    days = np.minimum(rng.exponential(years * 365 / 3, n), years * 365).astype(int) + 1
    return [d - timedelta(days=int(x)) for x in days]


def _specials(rng: np.random.Generator, n: int, n_ind: int, d: date) -> list[dict]:
    joined = sorted(_join_dates(rng, n, d))
    out = []
    for i, j in enumerate(joined):
        independent = i < n_ind  # the longest-serving have reached independent patrol status
        out.append(
            {
                "kind": "special",
                "joined_on": j,
                "independent": independent,
                "independent_from": min(j + timedelta(days=int(rng.integers(300, 700))), d)
                if independent
                else None,
                "left_to_regular_force": False,
            }
        )
    return out


def _none_joining(specials: list[dict], start: date) -> list[dict]:
    """Specials who would have joined on or after ``start`` join the year before instead."""
    return [
        dict(s, joined_on=s["joined_on"] - timedelta(days=365)) if s["joined_on"] >= start else s
        for s in specials
    ]


def _leaving_during(rng: np.random.Generator, n: int, p: Period, kind: str) -> list[dict]:
    """``n`` people of ``kind`` who served for years and left during ``p``."""
    days = (p.end - p.start).days
    out = []
    for _ in range(n):
        left = p.start + timedelta(days=int(rng.integers(0, days)))
        out.append(
            {
                "kind": kind,
                "joined_on": left - timedelta(days=int(rng.integers(400, 2500))),
                "left_on": left,
                "independent": bool(rng.random() < 0.5),
                "left_to_regular_force": False,
            }
        )
    return out


def _regular(rng: np.random.Generator, n: int, period: Period | None, d: date) -> list[dict]:
    if not n or period is None:
        return []
    last = min(period.end - timedelta(days=1), d)
    span = (last - period.start).days + 1
    out = []
    for _ in range(n):
        left = period.start + timedelta(days=int(rng.integers(0, span)))
        joined = left - timedelta(days=int(rng.integers(400, 1500)))
        out.append(
            {
                "kind": "special",
                "joined_on": joined,
                "left_on": left,
                "independent": bool(rng.random() < 0.6),
                "left_to_regular_force": True,
            }
        )
    return out


def _leavers(rng: np.random.Generator, n: int, d: date, kind: str) -> list[dict]:
    """People who served and left before ``d`` (not counted in its headcount)."""
    out = []
    for j in _join_dates(rng, n, d - timedelta(days=400)):
        left = min(j + timedelta(days=int(rng.integers(60, 900))), d - timedelta(days=30))
        if left >= j:
            out.append(
                {
                    "kind": kind,
                    "joined_on": j,
                    "left_on": left,
                    "left_to_regular_force": False if kind == "special" else None,
                }
            )
    return out


def _others(rng: np.random.Generator, kind: str, roles: dict[str, int], n: int, d: date):
    """``n`` volunteers of ``kind`` in post at ``d``: the given role counts, the rest spread."""
    names = list(roles)
    fixed = [r for r, k in roles.items() for _ in range(k)]
    free = [names[int(i)] for i in rng.integers(0, len(names), max(0, n - len(fixed)))]
    rows = [
        {"kind": kind, "role": r, "joined_on": j}
        for r, j in zip(fixed + free, _join_dates(rng, n, d), strict=False)
    ]
    return rows + [dict(r, role=names[0]) for r in _leavers(rng, max(2, n // 10), d, kind)]


def _cpv(rng: np.random.Generator, tg: Targets, d: date, log: CalibrationLog) -> list[dict]:
    total_t = _one(tg, "community_policing_volunteers")
    roles = {r: int(t.value) for r in CPV_ROLES if (t := _one(tg, f"cpv_{r}"))}
    if not total_t and not roles:
        return []
    listed = sum(roles.values())
    total = int(total_t.value) if total_t else listed
    d = _day(total_t, d)
    n_roles = _roles_in_words(total_t)
    # a strand the seed calls "future" (Coastal) has recruits only, never a volunteer in post
    spare = [r for r in CPV_ROLES if r not in roles and r not in FUTURE_CPV_ROLES]
    wanted = max(0, min(len(spare), (n_roles or len(roles)) - len(roles)))
    rest = total - listed
    if total_t and _is_floor(total_t) and rest < wanted:
        rest = wanted  # "over 70": more than 70 is what the words say
    if rest > 0:
        chosen = spare[: max(1, wanted)]
        for i, r in enumerate(chosen):
            roles[r] = rest // len(chosen) + (1 if i < rest % len(chosen) else 0)
        log.choose(
            "community_policing_volunteers",
            f"the listed roles sum to {listed}: {rest} more in role(s) "
            f"{', '.join(chosen)} (roles without a published count), giving {listed + rest} "
            f"in {len(roles)} roles"
            + (f" as the seed's '{n_roles} different roles'" if n_roles else ""),
        )
    elif rest < 0 and total_t:
        log.explain(total_t, f"the listed roles alone sum to {listed}, more than {total}")
    rows = [
        {"kind": "cpv", "role": r, "joined_on": j}
        for r, k in roles.items()
        for j in _join_dates(rng, k, d)
    ]
    for r in FUTURE_CPV_ROLES:
        # recruits of a future strand: joining after the date the headcount is taken
        rows += [
            {"kind": "cpv", "role": r, "joined_on": d + timedelta(days=int(x))}
            for x in rng.integers(30, 120, 4)
        ]
        log.choose(f"cpv_{r}", "a future strand: 4 recruits joining after the reporting date")
    return rows + [dict(r, role="other") for r in _leavers(rng, 4, d, "cpv")]


#: CPV strands the seed calls future ("a future strand of Coastal CPV to be progressed").
FUTURE_CPV_ROLES = ("coastal",)


def _is_floor(t: Target) -> bool:
    """A published figure written as "over N" (the note quotes it): more than N is right."""
    return f"'over {t.value_text}'" in t.note


def _roles_in_words(t: Target | None) -> int | None:
    """The number of roles a note quotes ("'over 70' in 9 roles")."""
    import re

    m = re.search(r"in (\d+) (?:different )?roles", t.note) if t else None
    return int(m.group(1)) if m else None


def _duties(
    writer: RecordWriter, rng: np.random.Generator, specials: list[dict], p: Period, total: float
) -> None:
    """Duties summing to ``total`` hours exactly (quarter hours add exactly in binary)."""
    eligible = [
        s
        for s in specials
        if s["joined_on"] < p.start and (s.get("left_on") is None or s["left_on"] >= p.end)
    ]
    quarters = int(round(total * 4))
    lengths = rng.integers(16, 49, max(1, quarters // 32))  # 4h..12h shifts, 8h on average
    lengths = _exact_total(rng, lengths, quarters)
    n = len(lengths)
    activity = rng.lognormal(0, 0.9, len(eligible))  # some specials give far more time
    who = rng.choice(len(eligible), size=n, p=activity / activity.sum())
    days = (p.end - p.start).days
    duty_dates = [p.start + timedelta(days=int(x)) for x in rng.integers(0, days, n)]
    order = np.argsort(np.array([dd.toordinal() for dd in duty_dates]), kind="stable")
    vids = [eligible[int(who[i])]["volunteer_id"] for i in order]
    writer.write(
        "volunteer_duties",
        {
            "duty_id": ids(f"D{p.start:%Y%m}-", 1, n, 6),
            "volunteer_id": vids,
            "duty_date": [duty_dates[i] for i in order],
            "hours": (lengths[order] / 4.0).astype(np.float64),
            "activity": [ACTIVITIES[int(i)] for i in rng.integers(0, len(ACTIVITIES), n)],
            "district": [home_district(v) for v in vids],
        },
    )


def home_district(volunteer_id: str) -> str:
    """The district a volunteer serves: fixed by their id (no random draw, so adding it
    changed no other synthetic record)."""
    return DISTRICTS[zlib.crc32(volunteer_id.encode()) % len(DISTRICTS)]


def _exact_total(rng: np.random.Generator, lengths: np.ndarray, quarters: int) -> np.ndarray:
    """Adjust duty lengths (1..96 quarters each) so they add up to ``quarters`` exactly.

    The gap is spread evenly over the duties (they are in random order, so the first few
    taking the remainder is no pattern); duties are dropped or added while it cannot fit.
    """
    lengths = lengths.astype(np.int64)
    if quarters <= 0:
        return lengths[:0]
    lengths = lengths[: max(1, min(len(lengths), quarters))]
    while True:
        gap = quarters - int(lengths.sum())
        if gap == 0:
            return lengths
        per, rest = divmod(gap, len(lengths))
        if per >= 96 - 16:
            lengths = np.append(lengths, rng.integers(16, 49, len(lengths)))
            continue
        lengths = lengths + per
        lengths[:rest] += 1
        if lengths.min() < 1 or lengths.max() > 96:
            lengths = np.clip(lengths, 1, 96)


IN_PROCESS = re.compile(r"(\d+) more in process")
DEPLOYED = re.compile(r"over (\d+) deployed")


def _applications(
    writer: RecordWriter,
    rng: np.random.Generator,
    rows: list[dict],
    reg: Target | None,
    d: date,
    log: CalibrationLog,
    scale: float = 1.0,
) -> None:
    """Applications to the regular force: accepted for each special who left to join it (on
    the day they left), in process for as many serving specials as the note says ("16 more in
    process"), and a few withdrawn."""
    joined = [r for r in rows if r["kind"] == "special" and r.get("left_to_regular_force")]
    serving = [
        r
        for r in rows
        if r["kind"] == "special"
        and r.get("left_on") is None
        and r["joined_on"] < d - timedelta(days=400)
    ]
    m = IN_PROCESS.search(reg.note) if reg else None
    n_in = min(len(serving), round(int(m.group(1)) * scale) if m else 0)
    picked = [serving[int(i)] for i in rng.permutation(len(serving))[: n_in + 3]]
    out = []
    for r in joined:
        applied = r["left_on"] - _days(rng, 90, 240)
        out.append((r["volunteer_id"], applied, "accepted", r["left_on"]))
    for r in picked[:n_in]:
        out.append((r["volunteer_id"], d - _days(rng, 5, 200), "in_process", None))
    for r in picked[n_in:]:
        applied = d - _days(rng, 250, 500)
        out.append((r["volunteer_id"], applied, "withdrawn", applied + _days(rng, 20, 120)))
    if not out:
        return
    if m:
        log.choose(
            "specials_accepted_into_regular_force",
            f"{len(joined)} applications accepted on the day the special left; {n_in} in "
            f"process at {d:%-d %B %Y} (the note's '{m.group(0)}'); {len(out) - len(joined) - n_in}"
            " withdrawn",
        )
    cols = ("volunteer_id", "applied_on", "status", "decided_on")
    writer.write("regular_force_applications", {c: [o[i] for o in out] for i, c in enumerate(cols)})


def _days(rng: np.random.Generator, lo: int, hi: int) -> timedelta:
    return timedelta(days=int(rng.integers(lo, hi)))


def _cpv_duties(
    writer: RecordWriter,
    rng: np.random.Generator,
    rows: list[dict],
    total: Target | None,
    d: date,
    log: CalibrationLog,
) -> None:
    """Duties of community policing volunteers: those deployed at ``d`` (the note's "over 50
    deployed": a few more than 50) have duties in the 90 days to it, the rest only earlier."""
    cpvs = [
        r
        for r in rows
        if r["kind"] == "cpv"
        and r["joined_on"] <= d - timedelta(days=120)
        and (r.get("left_on") is None or r["left_on"] > d)
    ]
    m = DEPLOYED.search(total.note) if total else None
    if not cpvs or not m:
        return
    n_dep = min(len(cpvs), int(m.group(1)) + 3)
    order = rng.permutation(len(cpvs))
    vids, dates, hours, activity = [], [], [], []
    for rank, i in enumerate(order):
        r = cpvs[int(i)]
        for _ in range(int(rng.integers(1, 6))):
            # deployed: on duty in the 90 days to d; the others last 95 to 110 days before
            back = _days(rng, 0, 90) if rank < n_dep else _days(rng, 95, 110)
            vids.append(r["volunteer_id"])
            dates.append(d - back)
            hours.append(float(rng.integers(4, 33)) / 4.0)
            activity.append(str(r["role"]).replace("_", " "))
    log.choose(
        "community_policing_volunteers",
        f"{n_dep} of {len(cpvs)} serving CPVs on duty in the 90 days to {d:%-d %B %Y} "
        f"(the note's '{m.group(0)}')",
    )
    writer.write(
        "volunteer_duties",
        {
            "duty_id": ids("DC-", 1, len(vids), 6),
            "volunteer_id": vids,
            "duty_date": dates,
            "hours": np.array(hours, dtype=np.float64),
            "activity": activity,
            "district": [home_district(v) for v in vids],
        },
    )
