"""Plan each month's call figures from the targets: fixed months as tabled, free months chosen.

A month with monthly targets is *fixed*: its received and not-answered counts come from them,
and its average queue and talk times are hit exactly (to the microsecond). Months that only a
longer period's target covers (April to July under "FY2022/23 to 2022-10") are *free*: their
volumes, abandonment and mean times are chosen so those longer-period figures hold as well,
where they can. Every choice and every miss is logged for calibration.json.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations

import numpy as np

from .calibrate import CalibrationLog, rounds_to
from .profiles import SEASON
from .targets import Target, Targets

#: What an average force of Kent's size sees in a month when no target says otherwise.
DEFAULTS = {
    "999": {"received": 33_000, "pct": 1.2, "queue": 16.0, "talk": 292.0},
    "101": {"received": 27_000, "pct": 30.0, "queue": 420.0, "talk": 520.0},
}


@dataclass
class MonthPlan:
    """The figures one month of one channel will be generated to."""

    month: date
    received: int | None = None
    not_answered: int | None = None
    queue: float | None = None
    talk: float | None = None
    fixed: set[str] = field(default_factory=set)

    @property
    def answered(self) -> int:
        return int(self.received or 0) - int(self.not_answered or 0)


def plan_channel(targets: Targets, ch: str, log: CalibrationLog) -> list[MonthPlan]:
    """Month plans for channel ``ch`` covering every month its targets touch."""
    name = f"calls_{ch}_"
    monthly = {k: targets.monthly(name + k) for k in _PARTS}
    longer = [
        t for k in _PARTS for t in targets.of(name + k) if not t.is_month and t.period is not None
    ]
    months = sorted({m for d in monthly.values() for m in d} | _months_of(longer))
    if not months:
        return []
    scale = targets.scale
    plans = {m: _fixed_month(m, monthly, log, ch) for m in months}
    default = _defaults(ch, plans, scale)
    _volume_from_month_figures(ch, plans, monthly, default, log)
    _solve_volumes(ch, plans, [t for t in longer if t.measure.endswith("pct_not_answered")], log,
                   default["received"], default["pct"])  # fmt: skip
    for part in ("queue", "talk"):
        chosen = [t for t in longer if t.measure == f"{name}avg_{part}_seconds"]
        _solve_means(ch, part, plans, chosen, default[part], log)
    return [plans[m] for m in months]


def _volume_from_month_figures(
    ch: str,
    plans: dict[date, MonthPlan],
    monthly: dict[str, dict[date, Target]],
    default: dict[str, float],
    log: CalibrationLog,
) -> None:
    """A month given a percentage or an answered count but no volume gets a usual volume
    and the not-answered count those figures then imply."""
    for m, p in plans.items():
        if p.received is not None:
            continue
        usual = round(default["received"] * SEASON[m.month - 1])
        if m in monthly["answered"]:
            answered = int(monthly["answered"][m].value)
            pct = monthly["pct_not_answered"].get(m)
            share = (pct.value if pct else default["pct"]) / 100
            p.received = answered + round(answered * share / max(1 - share, 1e-9))
            p.not_answered = p.received - answered
        elif m in monthly["not_answered"]:
            na = int(monthly["not_answered"][m].value)
            pct = monthly["pct_not_answered"].get(m)
            share = (pct.value if pct else default["pct"]) / 100
            p.received = max(na, round(na / share) if share > 0 else usual)
            p.not_answered = na
        elif m in monthly["pct_not_answered"]:
            t = monthly["pct_not_answered"][m]
            p.received = usual
            p.not_answered = _na_for_pct(usual, t.value, t.decimals)
        else:
            continue
        log.choose(
            f"calls_{ch} {m:%Y-%m}",
            f"no volume given: {p.received:,} received, {p.not_answered:,} not answered",
        )


def _defaults(ch: str, plans: dict[date, MonthPlan], scale: float) -> dict[str, float]:
    """What an untabled month looks like: like the tabled months, else a Kent-sized force."""
    out = dict(DEFAULTS[ch])
    out["received"] *= scale
    known = [p for p in plans.values() if p.received is not None]
    if known:
        out["received"] = float(
            np.mean([(p.received or 0) / SEASON[p.month.month - 1] for p in known])
        )
        with_na = [p for p in known if p.not_answered is not None]
        if with_na:
            r = sum(p.received or 0 for p in with_na)
            out["pct"] = 100 * sum(p.not_answered or 0 for p in with_na) / max(r, 1)
    for part in ("queue", "talk"):
        vals = [getattr(p, part) for p in plans.values() if getattr(p, part) is not None]
        if vals:
            out[part] = float(np.mean(vals))
    return out


_PARTS = (
    "received",
    "answered",
    "not_answered",
    "pct_not_answered",
    "avg_queue_seconds",
    "avg_talk_seconds",
)


def _months_of(ts: list[Target]) -> set[date]:
    return {m for t in ts if t.period is not None for m in t.period.months()}


def _fixed_month(
    m: date, monthly: dict[str, dict[date, Target]], log: CalibrationLog, ch: str
) -> MonthPlan:
    p = MonthPlan(m)
    get = {k: (monthly[k][m].value if m in monthly[k] else None) for k in _PARTS}
    rec, ans, nan, pct = (get[k] for k in _PARTS[:4])
    if rec is None and ans is not None and nan is not None:
        rec = ans + nan
    if rec is not None:
        p.received = int(rec)
        p.fixed.add("received")
        if nan is None and ans is not None:
            nan = rec - ans
        if nan is None and pct is not None:
            t = monthly["pct_not_answered"][m]
            nan = _na_for_pct(int(rec), pct, t.decimals)
            log.choose(f"calls_{ch} {m:%Y-%m}", f"not answered {nan} from {pct}% of {int(rec)}")
        if nan is not None:
            p.not_answered = int(nan)
            p.fixed.add("not_answered")
    if get["avg_queue_seconds"] is not None:
        p.queue = float(get["avg_queue_seconds"])
        p.fixed.add("queue")
    if get["avg_talk_seconds"] is not None:
        p.talk = float(get["avg_talk_seconds"])
        p.fixed.add("talk")
    return p


def _na_for_pct(received: int, pct: float, decimals: int) -> int:
    """The not-answered count nearest ``pct`` of ``received`` that prints as ``pct``."""
    na = round(received * pct / 100)
    for cand in sorted(range(max(0, na - 3), min(received, na + 3) + 1), key=lambda c: abs(c - na)):
        if rounds_to(100 * cand / received, pct, decimals):
            return cand
    return na


def _solve_volumes(
    ch: str,
    plans: dict[date, MonthPlan],
    pct_targets: list[Target],
    log: CalibrationLog,
    default_received: float,
    default_pct: float,
) -> None:
    """Choose volumes of months without a received count and not-answered of months without one,
    so that as many longer-period percentages as possible print as published."""
    free_vol = [m for m, p in plans.items() if p.received is None]
    free_na = [m for m, p in plans.items() if p.not_answered is None]
    weights = {m: SEASON[m.month - 1] for m in plans}
    d_total = sum(default_received * weights[m] for m in free_vol)
    known_r_in_pool = sum(plans[m].received or 0 for m in free_na if m not in free_vol)
    w_pool = sum(weights[m] for m in free_na) or 1.0

    if free_vol:
        step = max(1, int(d_total // 200_000))
        r_f = np.arange(max(1, int(0.3 * d_total)), int(2.5 * d_total) + 1, step, dtype=np.int64)
    else:
        r_f = np.zeros(1, dtype=np.int64)
    pool_r = known_r_in_pool + r_f
    spans = []
    for t in pct_targets:
        assert t.period is not None
        months = [m for m in t.period.months() if m in plans]
        share = sum(weights[m] for m in months if m in free_na) / w_pool if free_na else 0.0
        known_r = sum(plans[m].received or 0 for m in months if m not in free_na)
        known_na = sum(plans[m].not_answered or 0 for m in months if m not in free_na)
        free_part_r = share * pool_r if free_vol else share * known_r_in_pool + 0 * r_f
        total_r = known_r + free_part_r
        h = 0.5 * 10 ** (-t.decimals)
        if share == 0:
            ok = rounds_to(100 * known_na / max(known_r, 1), t.value, t.decimals)
            lo = np.where(ok, 0, 1) + 0 * r_f
            hi = np.where(ok, pool_r, 0)
        else:
            lo = np.ceil(((t.value - h) / 100 * total_r - known_na) / share - 1e-9)
            hi = np.ceil(((t.value + h) / 100 * total_r - known_na) / share - 1e-9) - 1
        spans.append((t, np.maximum(lo, 0), np.minimum(hi, pool_r)))

    chosen, r_pick, na_pick = _best_subset(spans, r_f, pool_r, d_total)
    if chosen is None:
        na_pool = int(round(pool_r[_closest(r_f, d_total)] * default_pct / 100))
        r_pick = int(r_f[_closest(r_f, d_total)])
        na_pick = na_pool
    held = [t for t, *_ in spans if chosen is not None and t in chosen]
    for t, *_ in spans:
        if t not in held:
            log.explain(
                t,
                "cannot hold together with the other not-answered figures and the monthly "
                "tables; the monthly tables were satisfied first",
            )
    _spread(plans, free_vol, "received", r_pick, weights)
    if free_vol:
        per = r_pick / sum(weights[m] for m in free_vol)
        log.choose(
            f"calls_{ch} volumes",
            f"{', '.join(f'{m:%Y-%m}' for m in free_vol)} received {r_pick:,} in total "
            f"(about {per:,.0f} a month before seasonal weighting, against {default_received:,.0f} "
            "like the tabled months)"
            + (
                " so that " + " and ".join(f"{t.measure} {t.period_text}" for t in held) + " hold"
                if held
                else ""
            ),
        )
    if free_vol and held and not 0.7 <= r_pick / max(d_total, 1) <= 1.4:
        log.note(
            f"calls_{ch}: holding {', '.join(f'{t.measure} {t.period_text}' for t in held)} "
            f"together with the monthly tables needs {r_pick:,} calls in the untabled months, "
            f"{r_pick / max(d_total, 1):.0%} of what months like the tabled ones would bring; "
            "the figures were held, so those months are quieter (or busier) than the rest"
        )
    if free_na:
        rs = {m: plans[m].received or 0 for m in free_na}
        _spread(plans, free_na, "not_answered", na_pick, rs)
        total = sum(rs.values())
        log.choose(
            f"calls_{ch} abandonment",
            f"{', '.join(f'{m:%Y-%m}' for m in free_na)}: {na_pick:,} not answered of {total:,} "
            f"({100 * na_pick / max(total, 1):.2f}%)",
        )


def _closest(r_f: np.ndarray, d_total: float) -> int:
    return int(np.argmin(np.abs(r_f - d_total)))


def _best_subset(spans, r_f, pool_r, d_total):
    """The largest set of percentage targets that can hold at once, nearest the default volume."""
    for size in range(len(spans), 0, -1):
        # later-ending targets first: the year-to-date position matters most
        for combo in combinations(sorted(spans, key=lambda s: s[0].period.end, reverse=True), size):
            lo = np.max([s[1] for s in combo], axis=0)
            hi = np.min([s[2] for s in combo], axis=0)
            ok = lo <= hi
            if ok.any():
                # keep clear of the rounding boundaries where the band allows (a figure printed
                # as 38.77 should not hang on 38.765 and the reader's rounding rule)
                slack = np.where(ok, hi - lo, -1)
                roomy = slack >= min(2, int(slack.max()))
                idx = np.flatnonzero(roomy)
                i = idx[np.argmin(np.abs(r_f[idx] - d_total))]
                na = int((lo[i] + hi[i]) // 2)
                return [s[0] for s in combo], int(r_f[i]), na
    return None, 0, 0


def _spread(plans, months, attr, total, weights) -> None:
    """Split ``total`` over ``months`` in proportion to ``weights`` (largest remainder)."""
    if not months:
        return
    w = np.array([weights[m] for m in months], dtype=float)
    w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))
    raw = w * total
    base = np.floor(raw).astype(np.int64)
    rest = int(total - base.sum())
    base[np.argsort(-(raw - base), kind="stable")[:rest]] += 1
    for m, v in zip(months, base, strict=True):
        setattr(plans[m], attr, int(v))


def _solve_means(
    ch: str,
    part: str,
    plans: dict[date, MonthPlan],
    longer: list[Target],
    default: float,
    log: CalibrationLog,
) -> None:
    """Mean queue or talk time of months without a monthly target, so longer periods hold."""
    for t in sorted(longer, key=lambda t: t.period.end if t.period else date.min):
        assert t.period is not None
        months = [m for m in t.period.months() if m in plans]
        free = [m for m in months if getattr(plans[m], part) is None]
        known = sum(plans[m].answered * getattr(plans[m], part) for m in months if m not in free)
        answered = sum(plans[m].answered for m in months)
        if not free:
            continue
        a_free = sum(plans[m].answered for m in free)
        need = (t.value * answered - known) / max(a_free, 1)
        if need < 1:
            log.explain(t, f"would need free months to average {need:.1f} s; set to 1 s")
            need = 1.0
        # a little month-to-month movement, keeping the answered-weighted mean exact
        wobble = np.array([1 + 0.04 * math.sin(2.1 * i) for i in range(len(free))])
        a = np.array([plans[m].answered for m in free], dtype=float)
        wobble /= (a * wobble).sum() / max(a.sum(), 1)
        for m, w in zip(free, wobble, strict=True):
            setattr(plans[m], part, float(need * w))
        log.choose(
            f"calls_{ch} {part}",
            f"{', '.join(f'{m:%Y-%m}' for m in free)} average {need:.1f} s so that "
            f"{t.measure} {t.period_text} is {t.value_text}",
        )
    for p in plans.values():
        if getattr(p, part) is None:
            setattr(p, part, default)
