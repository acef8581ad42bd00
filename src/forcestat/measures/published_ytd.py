"""Year-to-date checks: what a year-to-date figure implies for the months not published.

A year-to-date percentage or average covers months the board tabled and months it did not.
Subtracting the tabled months leaves the unpublished months' value, which depends on their
volume: two year-to-date percentages of the same year fix that volume; a single one bounds the
value for plausible volumes (half to double the tabled months' monthly volume).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from ..periods import Period, month
from .published_checks import _finding, num

if TYPE_CHECKING:
    from .published import Figure, Published, PublishedReport

#: unpublished months are assumed to carry between these multiples of the tabled months' volume
VOLUME_RANGE = (0.5, 2.0)


# -- pairs of year-to-date percentages -----------------------------------------------------------
def check_ytd_pairs(pub: Published, report: PublishedReport, used: set[int]) -> None:
    """Two year-to-date percentages of the same year, with the months between them tabled,
    fix the unpublished months' volume: report the implied range and whether it is plausible."""
    for ch in ("999", "101"):
        key = f"calls_{ch}_pct_not_answered"
        ytd = sorted(
            (f for f in pub.of(key) if f.period is not None and f.period.grain == "fytd"),
            key=lambda f: f.span.end,
        )
        for early, late in zip(ytd, ytd[1:], strict=False):
            assert early.period is not None and late.period is not None
            if early.period.start != late.period.start:
                continue
            between = Period(early.period.end, late.period.end, "range")
            rec = [pub.get(f"calls_{ch}_received", month(m)) for m in between.months()]
            na = [pub.get(f"calls_{ch}_not_answered", month(m)) for m in between.months()]
            if any(x is None for x in rec + na):
                continue
            used.update([early.line, late.line])
            big_r = sum(x.value for x in rec if x is not None)
            big_n = sum(x.value for x in na if x is not None)
            _judge_ytd_pair(report, ch, early, late, between, big_r, big_n)


def _judge_ytd_pair(
    report: PublishedReport,
    ch: str,
    early: Figure,
    late: Figure,
    between: Period,
    big_r: float,
    big_n: float,
) -> None:
    """Solve p1 = Na / Ra and p2 = (Na + N) / (Ra + R) for the unpublished Ra and Na over every
    corner of the printed precision of p1 and p2."""
    assert early.period is not None and late.period is not None
    corners = []
    for p1 in (early.value - early.half_unit, early.value + early.half_unit):
        for p2 in (late.value - late.half_unit, late.value + late.half_unit):
            a, b = p1 / 100, p2 / 100
            if b - a <= 0:
                return  # the percentage did not rise: the pair does not pin the volume down
            ra = (big_n - b * big_r) / (b - a)
            corners.append((ra, a * ra))
    ras = [c[0] for c in corners]
    nas = [c[1] for c in corners]
    months = early.period.n_months
    span = f"{early.period.start:%B} to {add_months_label(early.period)}"
    tabled = big_r / between.n_months
    low, high = min(ras), max(ras)
    text = (
        f"{early.text}% to {early.period.months()[-1]:%Y-%m} and {late.text}% to"
        f" {late.period.months()[-1]:%Y-%m} with {between.label} tabled"
        f" ({num(big_n)} of {num(big_r)} not answered) imply {span}: {num(low)} to {num(high)}"
        f" {ch} calls received ({num(low / months)} to {num(high / months)} a month) and"
        f" {num(min(nas))} to {num(max(nas))} not answered"
    )
    if high < 0:
        report.findings.append(_finding("ytd", late, f"{text}: impossible", "error"))
    elif high / months < 0.5 * tabled or low / months > 2 * tabled:
        report.findings.append(
            _finding(
                "ytd",
                late,
                f"{text}, against {num(tabled)} a month in {between.label}: implausible",
                "warning",
            )
        )
    else:
        report.passed.append(f"{late.where}: {text}")


def add_months_label(p: Period) -> str:
    return f"{p.months()[-1]:%B %Y}"


# -- a single year-to-date figure -------------------------------------------------------------
#: measure suffix -> (monthly value measure, volume measure it is an average/share over, kind)
YTD_PARTS = {
    "pct_not_answered": ("not_answered", "received", "share"),
    "avg_queue_seconds": ("avg_queue_seconds", "answered", "mean"),
    "avg_talk_seconds": ("avg_talk_seconds", "answered", "mean"),
}


def check_ytd_implied(pub: Published, report: PublishedReport, used: set[int]) -> None:
    """A year-to-date share or average with some of its months tabled: the value it implies
    for the other months, for plausible volumes; implausible when no plausible volume works."""
    for ch in ("999", "101"):
        for suffix, (part, volume, kind) in YTD_PARTS.items():
            for f in pub.of(f"calls_{ch}_{suffix}"):
                if f.period is None or f.period.grain != "fytd":
                    continue
                rows = [
                    (
                        m,
                        pub.get(f"calls_{ch}_{part}", month(m)),
                        pub.get(f"calls_{ch}_{volume}", month(m)),
                    )
                    for m in f.period.months()
                ]
                tabled = [(m, p, v) for m, p, v in rows if p is not None and v is not None]
                missing = [m for m, p, v in rows if p is None or v is None]
                if not tabled or not missing:
                    continue
                used.add(f.line)
                _implied(report, f, ch, kind, tabled, missing)


def _implied(
    report: PublishedReport,
    f: Figure,
    ch: str,
    kind: str,
    tabled: list[tuple[date, Figure, Figure]],
    missing: list[date],
) -> None:
    vol = sum(v.value for _, _, v in tabled)
    if kind == "share":  # the part is a count: total exact
        total, err, scale = sum(p.value for _, p, _ in tabled), 0.0, 100.0
    else:  # the part is a monthly mean printed to its precision: a total with an error
        pairs = [(p, v) for _, p, v in tabled]
        total = sum(p.value * v.value for p, v in pairs)
        err = sum(p.half_unit * v.value for p, v in pairs)
        scale = 1.0
    per_month = vol / len(tabled)
    lo_vol, hi_vol = (k * per_month * len(missing) for k in VOLUME_RANGE)
    values = []
    for a in (f.value - f.half_unit, f.value + f.half_unit):
        for t in (total - err, total + err):
            for u in (lo_vol, hi_vol):
                values.append((a / scale * (u + vol) - t) / u * scale)
    low, high = min(values), max(values)
    first, last = missing[0], missing[-1]
    span = f"{first:%B}" + (f" to {last:%B %Y}" if last != first else f" {first:%Y}")
    tabled_value = (total / vol * scale) if vol else 0.0
    unit = "%" if kind == "share" else " s"
    text = (
        f"{f.text}{unit} for the year to date with {len(tabled)} months tabled"
        f" ({num(tabled_value, 2)}{unit} over {num(vol)} calls) implies {span} at"
        f" {num(low, 2)}{unit} to {num(high, 2)}{unit}, for {span} volumes of half to double"
        f" the tabled months' ({num(per_month)} a month)"
    )
    if high < 0:
        report.findings.append(
            _finding("ytd", f, f"{text}: impossible at any plausible volume", "warning")
        )
    else:
        report.passed.append(f"{f.where}: {text}")
