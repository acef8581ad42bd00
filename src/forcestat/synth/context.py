"""The seed's words as targets: invented months that make the published months read as the
board report says they should.

A targets file gives the published months (August to October 2022); the board report's words
say how they compare with what came before: 999 calls "continue to rise", 101 calls "continue
to decrease year on year", digital contact and online reports "continue to increase", recorded
crime "peaked in the summer" with "an average increase of 235 per month compared to the
previous reporting period", cancelled crime showed "a minor reduction of 0.17%". Each
:class:`Direction` turns one such statement into invented monthly targets for the twelve months
before the published ones, so the same period last year and the previous period exist in the
records and move the way the words say. Invented targets are never reported as published: they
go to calibration.json's ``invented`` list with the words they follow.

Where the published figures themselves force an implausible history (two year-to-date 101
percentages that hold together only if April to July had half the calls of every other month),
the invented volumes stay plausible and :func:`implausible_histories` says which published
figure cannot then be held, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from ..periods import add_months, month
from .profiles import SEASON
from .targets import Target, Targets


@dataclass(frozen=True)
class Direction:
    """How the published period compares with an earlier one, in the seed's words.

    ``change`` is the published period's level relative to the comparison period (+0.04: the
    published period is 4% higher); ``per_month`` instead gives an absolute difference of the
    monthly average (the IMU's "average increase of 235 per month").
    """

    measure: str
    against: str  # "previous" (the period before) or "last_year" (the same period a year before)
    change: float = 0.0
    words: str = ""
    per_month: float | None = None


#: The Kent board report's directional statements (August to October 2022).
SEED_DIRECTIONS: tuple[Direction, ...] = (
    Direction("calls_999_received", "previous", 0.05,
              "the volume of emergency calls continues to rise in line with national trend"),
    Direction("calls_999_received", "last_year", 0.06,
              "the volume of emergency calls continues to rise in line with national trend"),
    Direction("calls_101_received", "previous", -0.01,
              "the volume of non-emergency 101 calls received during this period remains high"),
    Direction("calls_101_received", "last_year", -0.09,
              "101 calls ... continue to decrease year on year"),
    Direction("digital_contacts", "previous", 0.08,
              "digital demand into the FCIR has again continued to increase significantly"),
    Direction("digital_contacts", "last_year", 0.22,
              "digital demand into the FCIR has again continued to increase significantly"),
    Direction("online_crime_reports", "previous", 0.06,
              "a positive increase allowing channel choice"),
    Direction("online_crime_reports", "last_year", 0.15,
              "a positive increase allowing channel choice"),
    Direction("live_chats", "previous", 0.05, "Live Chat ... again continues to grow"),
    Direction("live_chats", "last_year", 0.18, "Live Chat ... again continues to grow"),
    Direction("recorded_crime", "previous", per_month=235.0,
              words="an average increase of 235 per month compared to the previous reporting "
              "period; recorded crime peaked in the summer"),
    Direction("recorded_crime", "last_year", 0.02, "recorded crime peaked in the summer"),
)  # fmt: skip

#: The cancelled share before the published period: "a minor reduction of 0.17%" (points).
CANCELLED_PREVIOUS_POINTS = 0.17
#: Invented call-handling figures for months no published figure constrains.
CALL_CONTEXT = {
    "999": {"pct": 1.15, "queue": 15.0, "talk": 288.0},
    "101": {"pct": 27.5, "queue": 300.0, "talk": 505.0},
}
#: A month's volume outside this share of its neighbours' is an implausible history.
PLAUSIBLE = (0.7, 1.4)


def _published_months(tg: Targets, measure: str) -> dict[date, float]:
    return {m: t.value for m, t in tg.monthly(measure).items()}


def _level(values: dict[date, float]) -> float:
    """The deseasonalised monthly level of the published months."""
    return sum(v / SEASON[m.month - 1] for m, v in values.items()) / len(values)


def _factor(d: Direction | None) -> float:
    return 1.0 if d is None else 1.0 / (1.0 + d.change)


def _invented(measure: str, m: date, value: float, why: str, unit: str = "count") -> Target:
    p = month(m)
    return Target(
        section="invented",
        measure=measure,
        period_text=f"{m:%Y-%m}",
        value=float(value),
        unit=unit,
        note=why,
        period=p,
        published=float(value),
    )


def _volume_months(
    tg: Targets, measure: str, directions: tuple[Direction, ...]
) -> list[tuple[date, float, str]]:
    """(month, value, words) for the 12 months before the published ones."""
    published = _published_months(tg, measure)
    if not published:
        return []
    first = min(published)
    n = len(published)
    level = _level(published)
    prev = next((d for d in directions if d.measure == measure and d.against == "previous"), None)
    year = next((d for d in directions if d.measure == measure and d.against == "last_year"), None)
    # anchors: relative level at the middle of last year's period, the previous period, now
    months = [add_months(first, -k) for k in range(12, 0, -1)]
    prev_months = set(months[-n:])
    lvl_prev = _factor(prev)
    # a change "per month" is a count at the seed's size: scaled with the volumes
    per_month = prev.per_month * tg.scale if prev is not None and prev.per_month else None
    if per_month is not None:
        now_avg = sum(published.values()) / n
        target_total = (now_avg - per_month) * n
        weights = sum(SEASON[m.month - 1] for m in prev_months)
        lvl_prev = target_total / weights / level
    lvl_year = _factor(year)
    out = []
    for i, m in enumerate(months):
        # linear in time from last year's level (i < n) to the previous period's level
        t = 0.0 if i < n else min(1.0, (i - n + 1) / max(12 - 2 * n + 1, 1))
        rel = lvl_prev if m in prev_months else lvl_year + (lvl_prev - lvl_year) * t
        said = year if (i < n or prev is None) else prev
        words = said.words if said is not None else ""
        out.append((m, level * SEASON[m.month - 1] * rel, words))
    if per_month is not None:
        # hold the previous period's total exactly (largest remainder over its months)
        total = round((sum(published.values()) / n - per_month) * n)
        idx = [i for i, (m, _, _) in enumerate(out) if m in prev_months]
        raw = [out[i][1] for i in idx]
        scale = total / sum(raw)
        base = [int(v * scale) for v in raw]
        for k in sorted(range(len(idx)), key=lambda k: -(raw[k] * scale - base[k]))[
            : total - sum(base)
        ]:
            base[k] += 1
        for i, v in zip(idx, base, strict=True):
            out[i] = (out[i][0], float(v), out[i][2])
    return [(m, float(round(v)), w) for m, v, w in out]


def with_context(tg: Targets, directions: tuple[Direction, ...] = SEED_DIRECTIONS) -> Targets:
    """``tg`` plus invented monthly targets for the 12 months before the published months.

    Only months that no target of the measure already covers are invented; a month a longer
    published period covers (April to July under a year-to-date figure) gets only a volume, so
    the year-to-date figures still decide its other figures.
    """
    extra: list[Target] = []
    for measure in dict.fromkeys(d.measure for d in directions):
        covered = {m for t in tg.of(measure) if t.period for m in t.period.months()}
        for m, v, words in _volume_months(tg, measure, directions):
            if m not in covered:
                extra.append(_invented(measure, m, v, words))
    extra += _cancelled(tg, extra)
    extra += _call_handling(tg, extra)
    return replace(tg, items=(*tg.items, *extra))


def _cancelled(tg: Targets, extra: list[Target]) -> list[Target]:
    """Cancelled crime in the invented months: the previous period's share 0.17 points above
    the published average, other months near it."""
    pcts = [t.value for t in tg.of("cancelled_crime_pct") if t.is_month]
    published = _published_months(tg, "cancelled_crime")
    if not pcts or not published:
        return []
    avg = sum(pcts) / len(pcts)
    n = len(published)
    first = min(published)
    prev_months = {add_months(first, -k) for k in range(1, n + 1)}
    out = []
    for t in extra:
        if t.measure != "recorded_crime" or t.period is None:
            continue
        m = t.period.start
        share = (avg + CANCELLED_PREVIOUS_POINTS) if m in prev_months else avg + 0.05
        share += 0.15 * ((m.month * 7) % 5 - 2) / 2 if m not in prev_months else 0.0
        cancelled = round(t.value * share / (100 - share))
        out.append(
            _invented(
                "cancelled_crime",
                m,
                cancelled,
                "cancelled crime 'remains stable overall ... showing minor reduction of 0.17%'",
            )
        )
    return out


def _call_handling(tg: Targets, extra: list[Target]) -> list[Target]:
    """For invented call months no year-to-date figure covers: a usual attrition and times."""
    out = []
    for ch, usual in CALL_CONTEXT.items():
        covered = {
            m
            for t in tg.items
            if t.measure.startswith(f"calls_{ch}_") and t.period
            for m in t.period.months()
        }
        for t in extra:
            if t.measure != f"calls_{ch}_received" or t.period is None:
                continue
            m = t.period.start
            if m in covered:
                continue
            wobble = 1 + 0.06 * (((m.month * 5) % 7) - 3) / 3
            words = "invented: a usual month before the published period"
            out += [
                _invented(
                    f"calls_{ch}_pct_not_answered",
                    m,
                    round(usual["pct"] * wobble, 2),
                    words,
                    "percent",
                ),
                _invented(
                    f"calls_{ch}_avg_queue_seconds",
                    m,
                    round(usual["queue"] * wobble),
                    words,
                    "seconds",
                ),
                _invented(f"calls_{ch}_avg_talk_seconds", m, usual["talk"], words, "seconds"),
            ]
    return out


def invented_entries(tg: Targets) -> list[dict]:
    """calibration.json's ``invented`` list: every invented target with the words it follows."""
    return [
        {"measure": t.measure, "period": t.period_text, "value": t.value, "follows": t.note}
        for t in tg.items
        if t.section == "invented"
    ]


def implausible_histories(tg: Targets) -> list[tuple[Target, str]]:
    """Published year-to-date percentages that hold together only with an implausible history.

    For two not-answered percentages over nested periods (A inside B) whose extra months
    (B - A) are all tabled, the calls A must have had follow from the two percentages alone:
    ``R_A = (N_extra - p_B R_extra) / (p_B - p_A)``. When that volume is outside
    :data:`PLAUSIBLE` of what months like the tabled ones bring, the sentence says so.
    """
    out = []
    for ch in ("999", "101"):
        received = _published_months(tg, f"calls_{ch}_received")
        not_answered = _published_months(tg, f"calls_{ch}_not_answered")
        if not received or not not_answered:
            continue
        pcts = [
            t
            for t in tg.of(f"calls_{ch}_pct_not_answered")
            if not t.is_month and t.period is not None and t.section != "invented"
        ]
        level = _level(received)
        for a in pcts:
            for b in pcts:
                if a is b or a.period is None or b.period is None:
                    continue
                ma, mb = set(a.period.months()), set(b.period.months())
                extra = mb - ma
                if not ma < mb or not all(m in received and m in not_answered for m in extra):
                    continue
                r_x = sum(received[m] for m in extra)
                n_x = sum(not_answered[m] for m in extra)
                pa, pb = a.value / 100, b.value / 100
                if pb == pa:
                    continue
                r_a = (n_x - pb * r_x) / (pb - pa)
                usual = level * sum(SEASON[m.month - 1] for m in ma)
                share = r_a / usual
                if PLAUSIBLE[0] <= share <= PLAUSIBLE[1]:
                    continue
                first, last = min(ma), max(ma)
                out.append(
                    (
                        a,
                        f"The published {ch} call figures force an implausible history: the "
                        f"share of {ch} calls not answered for {a.period_text} ({a.value_text}%) "
                        f"and for {b.period_text} ({b.value_text}%) hold together only if "
                        f"{first:%B} to {last:%B %Y} had {r_a:,.0f} calls in all, {share:.0%} of "
                        "what months like the published ones bring. No such history was invented: "
                        f"those months have usual volumes, so {b.period_text} is held and "
                        f"{a.period_text} is not.",
                    )
                )
    return out
