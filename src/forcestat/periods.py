"""Reporting periods: month, quarter, UK financial year (April to March), year to date, ranges.

Every period is a half-open span of whole days ``[start, end)`` in Europe/London local time,
made of whole months except for a single date (a headcount "at" a day). Labels round-trip::

    >>> parse_period("FY2022/23").label
    'FY2022/23'
    >>> parse_period("FY2022/23 to 2022-10").months()[-1]
    datetime.date(2022, 10, 1)
    >>> parse_period("2022-08..2022-10").previous().label
    '2022-05..2022-07'

Financial quarters are the board's quarters: Q1 is April to June.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from .errors import PeriodError

LONDON = ZoneInfo("Europe/London")

Grain = Literal["date", "month", "quarter", "fy", "fytd", "year", "range", "rolling12"]

PERIOD_FORMS = (
    "2022-08 (month)",
    "2022-08..2022-10 (range of months)",
    "FY2022/23 or 2022/23 (financial year)",
    "FY2022/23 Q2 (financial quarter)",
    "FY2022/23 to 2022-10 (financial year to date)",
    "2022 (calendar year)",
    "2022-Q3 (calendar quarter)",
    "R12 2022-10 (rolling 12 months to a month)",
    "2022-10-31 (a single date)",
)


#: the span a period may cover: years 1 to 9999, as Python's dates (a period ends, exclusive,
#: at the start of a day, so the last day of 9999 cannot be part of one)
FIRST_DAY = date(1, 1, 1)
LAST_DAY = date(9999, 12, 31)


def add_months(d: date, n: int) -> date:
    """The first of the month ``n`` months after ``d``'s month.

    Raises PeriodError outside years 1 to 9999 (not a bare ValueError from ``date``).

    >>> add_months(date(2022, 11, 5), 2)
    datetime.date(2023, 1, 1)
    """
    m = d.year * 12 + (d.month - 1) + n
    if not 12 <= m < 10000 * 12:
        raise PeriodError("periods must lie within the years 1 to 9999")
    return date(m // 12, m % 12 + 1, 1)


def month_label(d: date) -> str:
    """'2022-08' for a date in August 2022; always four digits of year ('0001-01').

    ``strftime('%Y')`` writes year 1 as '1' on Linux, a label no parser reads back.

    >>> month_label(date(1, 1, 1)), month_label(date(2022, 8, 31))
    ('0001-01', '2022-08')
    """
    return f"{d.year:04d}-{d.month:02d}"


def fy_start_year(d: date) -> int:
    """The year the financial year containing ``d`` starts in (April to March)."""
    return d.year if d.month >= 4 else d.year - 1


def fy_label(start_year: int) -> str:
    """'FY2022/23' for the financial year starting April 2022."""
    return f"FY{start_year:04d}/{(start_year + 1) % 100:02d}"


def local_month(ts: datetime) -> date:
    """The Europe/London month a moment falls in; naive datetimes are taken as UTC."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=ZoneInfo("UTC"))
    local = ts.astimezone(LONDON)
    return date(local.year, local.month, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A span of whole local days ``[start, end)`` with the grain it was asked for."""

    start: date
    end: date
    grain: Grain = "range"

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise PeriodError(f"period ends before it starts: {self.start}..{self.end}")

    # -- naming ---------------------------------------------------------------------------
    @property
    def label(self) -> str:
        s, e = self.start, self.end
        last = add_months(e, -1) if e.day == 1 else e
        if self.grain == "date":
            return s.isoformat()
        if self.grain == "month":
            return month_label(s)
        if self.grain == "fy":
            return fy_label(s.year)
        if self.grain == "quarter":
            q = (s.month - 4) % 12 // 3 + 1
            return f"{fy_label(fy_start_year(s))} Q{q}"
        if self.grain == "fytd":
            return f"{fy_label(s.year)} to {month_label(last)}"
        if self.grain == "year":
            return f"{s.year:04d}"
        if self.grain == "rolling12":
            return f"R12 {month_label(last)}"
        if self.whole_months and self.n_months == 1:
            return month_label(s)
        if self.whole_months:
            return f"{month_label(s)}..{month_label(last)}"
        return f"{s.isoformat()}..{(e - timedelta(days=1)).isoformat()}"

    def __str__(self) -> str:
        return self.label

    # -- structure -------------------------------------------------------------------------
    @property
    def whole_months(self) -> bool:
        return self.start.day == 1 and self.end.day == 1

    @property
    def n_months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    def months(self) -> list[date]:
        """First days of the months the period covers (a single date gives its month)."""
        first = date(self.start.year, self.start.month, 1)
        out = []
        m = first
        while m < self.end:
            out.append(m)
            m = add_months(m, 1)
        return out

    def contains(self, d: date) -> bool:
        return self.start <= d < self.end

    def split(self, grain: str) -> list[Period]:
        """The period cut into months, financial quarters or financial years (clipped)."""
        if grain in ("total", "range") or self.grain == "date":
            return [self]
        if grain == "month":
            return [month(m) for m in self.months()]
        if grain not in ("quarter", "fy"):
            raise PeriodError(f"unknown grain {grain!r}; choose month, quarter, fy or total")
        out: list[Period] = []
        for m in self.months():
            whole = fy(fy_start_year(m)) if grain == "fy" else fiscal_quarter_of(m)
            part = whole if (whole.start >= self.start and whole.end <= self.end) else None
            if part is None:
                part = Period(max(whole.start, self.start), min(whole.end, self.end), "range")
            if not out or out[-1] != part:
                out.append(part)
        return out

    # -- comparisons ---------------------------------------------------------------------------
    def shift_months(self, n: int) -> Period:
        if self.grain == "date":
            d = add_months(date(self.start.year, self.start.month, 1), n + 1) - timedelta(days=1)
            day = min(self.start.day, d.day)
            s = date(d.year, d.month, day)
            return Period(s, s + timedelta(days=1), "date")
        if not self.whole_months:
            raise PeriodError(f"{self.label} is not made of whole months: it cannot be shifted")
        return Period(add_months(self.start, n), add_months(self.end, n), self.grain)

    def previous(self) -> Period:
        """The period of the same length immediately before (the month before, the FY before).

        For a year to date the previous value is the year to date a month shorter, as a board
        reads "FYTD to September" before "FYTD to October"; for a date, the day a month before.
        """
        if self.grain == "fytd":
            if self.n_months == 1:
                return month(add_months(self.start, -1))
            return Period(self.start, add_months(self.end, -1), "fytd")
        if self.grain == "date":
            return self.shift_months(-1)
        return self.shift_months(-max(self.n_months, 1))

    def same_period_last_year(self) -> Period:
        return self.shift_months(-12)


# -- constructors ------------------------------------------------------------------------------
def month(d: date) -> Period:
    s = date(d.year, d.month, 1)
    return Period(s, add_months(s, 1), "month")


def fy(start_year: int) -> Period:
    return Period(date(start_year, 4, 1), date(start_year + 1, 4, 1), "fy")


def fiscal_quarter_of(d: date) -> Period:
    s = date(d.year, d.month, 1)
    s = add_months(s, -((s.month - 4) % 3))
    return Period(s, add_months(s, 3), "quarter")


def fytd(to_month: date) -> Period:
    start = date(fy_start_year(to_month), 4, 1)
    return Period(start, add_months(date(to_month.year, to_month.month, 1), 1), "fytd")


def rolling12(to_month: date) -> Period:
    end = add_months(date(to_month.year, to_month.month, 1), 1)
    return Period(add_months(end, -12), end, "rolling12")


def month_range(first: date, last: date) -> Period:
    p = Period(date(first.year, first.month, 1), add_months(last, 1), "range")
    return month(first) if p.n_months == 1 else p


_MONTH = r"(\d{4})-(0[1-9]|1[0-2])"
_FY = r"(?:FY)?\s*(\d{4})/(\d{2})"


def _ym(y: str, m: str) -> date:
    return date(int(y), int(m), 1)


def _fy_year(y: str, yy: str, text: str) -> int:
    start = int(y)
    if (start + 1) % 100 != int(yy):
        raise PeriodError(f"financial year {text!r} must run April {start} to March {start + 1}")
    return start


def parse_period(text: str) -> Period:
    """Parse a period string; raises PeriodError listing the accepted forms.

    Every year from 1 to 9999 reads and prints back the same way:

    >>> parse_period("0001-01").label, parse_period("9999-11").label
    ('0001-01', '9999-11')
    >>> parse_period("0001-01-01").label
    '0001-01-01'
    """
    try:
        return _parse(text.strip(), text)
    except (ValueError, OverflowError):
        # date() refuses year 0 and 10000: a period outside what a calendar here can hold
        raise PeriodError(
            f"period {text!r} is outside the years 1 to 9999 (a period ends by 9999-12-31)"
        ) from None


def _parse(t: str, text: str) -> Period:
    if m := re.fullmatch(_MONTH, t):
        return month(_ym(*m.groups()))
    if m := re.fullmatch(_MONTH + r"\s*\.\.\s*" + _MONTH, t):
        a, b = _ym(m[1], m[2]), _ym(m[3], m[4])
        if b < a:
            raise PeriodError(f"period {text!r} ends before it starts")
        return month_range(a, b)
    if m := re.fullmatch(_FY, t, re.I):
        return fy(_fy_year(m[1], m[2], t))
    if m := re.fullmatch(_FY + r"\s*Q([1-4])", t, re.I):
        start = _fy_year(m[1], m[2], t)
        return fiscal_quarter_of(add_months(date(start, 4, 1), 3 * (int(m[3]) - 1)))
    if m := re.fullmatch(_FY + r"\s+to\s+" + _MONTH, t, re.I):
        start = _fy_year(m[1], m[2], t)
        to = _ym(m[3], m[4])
        if fy_start_year(to) != start:
            raise PeriodError(f"{text!r}: {month_label(to)} is not in {fy_label(start)}")
        return fytd(to)
    if m := re.fullmatch(r"(\d{4})", t):
        y = int(m[1])
        return Period(date(y, 1, 1), date(y + 1, 1, 1), "year")
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", t, re.I):
        s = date(int(m[1]), 3 * int(m[2]) - 2, 1)
        return Period(s, add_months(s, 3), "range")
    if m := re.fullmatch(r"(?:R12|rolling\s*12(?:\s*months)?(?:\s*to)?)\s+" + _MONTH, t, re.I):
        return rolling12(_ym(m[1], m[2]))
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t):
        try:
            d = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as e:
            raise PeriodError(f"not a date: {text!r} ({e})") from None
        return Period(d, d + timedelta(days=1), "date")
    raise PeriodError(f"cannot read period {text!r}; use one of: " + "; ".join(PERIOD_FORMS))


def parse_month(text: str) -> date:
    p = parse_period(text)
    if p.grain != "month":
        raise PeriodError(f"expected a month like 2022-10, got {text!r}")
    return p.start
