"""The Operation Encompass deadline: the start of the next school day after the police knew.

A school day is a weekday inside one of the school's terms that is neither an England and
Wales bank holiday (the ``holidays`` package) nor one of the term's INSET days. The deadline
is the first school-day start (default 09:00 Europe/London) strictly after ``reported_at``:
an incident reported at 08:59 on a school day is due at 09:00 that day, one reported at 09:00
or 09:01 is due at 09:00 on the next school day.

>>> from datetime import date, datetime, time
>>> cal = SchoolCalendar([Term(date(2022, 9, 5), date(2022, 10, 21), (date(2022, 10, 3),))])
>>> cal.deadline(datetime(2022, 9, 30, 17, 0))  # Friday evening BST; Monday 3rd is INSET
datetime.datetime(2022, 10, 4, 8, 0)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
#: how far ahead to look for a school day before giving up (a year and a summer)
HORIZON_DAYS = 450


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays in ``year``."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(d: date) -> bool:
    return d in bank_holidays(d.year)


@dataclass(frozen=True)
class Term:
    """A term: first and last day (inclusive) and its INSET days."""

    starts_on: date
    ends_on: date
    inset_days: tuple[date, ...] = ()


def parse_inset(text: str | None) -> tuple[date, ...]:
    """INSET days as stored: ``2022-09-05;2022-10-03``."""
    if not text:
        return ()
    return tuple(date.fromisoformat(p.strip()) for p in text.split(";") if p.strip())


class SchoolCalendar:
    """The school days of one school, from its terms."""

    def __init__(self, terms: Iterable[Term], start: time = time(9, 0)) -> None:
        self.terms = sorted(terms, key=lambda t: t.starts_on)
        self.start = start
        self._inset = {d for t in self.terms for d in t.inset_days}

    def is_school_day(self, d: date) -> bool:
        if d.weekday() >= 5 or is_bank_holiday(d) or d in self._inset:
            return False
        return any(t.starts_on <= d <= t.ends_on for t in self.terms)

    def deadline(self, reported_at: datetime) -> datetime | None:
        """The first school-day start strictly after ``reported_at`` (naive UTC in, naive UTC
        out, as the store keeps times); None when no term ahead has a school day."""
        local = reported_at.replace(tzinfo=UTC).astimezone(LONDON)
        d = local.date()
        for _ in range(HORIZON_DAYS):
            if self.is_school_day(d):
                begins = datetime.combine(d, self.start, LONDON)
                if begins > local:
                    return begins.astimezone(UTC).replace(tzinfo=None)
            d += timedelta(days=1)
            if self.terms and d > self.terms[-1].ends_on:
                return None
        return None
