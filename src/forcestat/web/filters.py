"""The filters every page takes from its URL: period, grain, district, channel.

A bad value raises :class:`ParamError` naming the parameter; the app answers it as a 400
JSON error (or an error page), never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from ..errors import ForcestatError, InputError
from ..measures.results import GRAINS, as_period
from ..periods import PERIOD_FORMS, Period, add_months, fy_start_year
from ..periods import month as month_period

CHANNELS = ("999", "101")
MAX_TEXT = 80


class ParamError(InputError):
    """A request parameter that cannot be used; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.detail = message


def parse_period_param(text: str, name: str = "period") -> Period:
    if len(text) > MAX_TEXT:
        raise ParamError(name, f"too long (at most {MAX_TEXT} characters)")
    try:
        return as_period(text.strip())
    except ForcestatError as e:
        raise ParamError(name, f"{e}; forms: {'; '.join(PERIOD_FORMS)}") from None
    except (ValueError, OverflowError) as e:
        raise ParamError(name, f"cannot read {text!r} as a period ({e})") from None


@dataclass(frozen=True)
class Filters:
    """What a page shows: ``period`` (as typed), its parsed span, grain, district, channel."""

    period_text: str
    period: Period
    grain: str = "month"
    district: str | None = None
    channel: str | None = None

    def query(self, **changes: Any) -> str:
        """This state as a query string, with ``changes`` applied (None drops a key)."""
        state = {
            "period": self.period_text,
            "grain": self.grain,
            "district": self.district,
            "channel": self.channel,
        }
        state.update(changes)
        return urlencode({k: v for k, v in state.items() if v not in (None, "")})

    def with_period(self, text: str) -> Filters:
        return replace(self, period_text=text, period=parse_period_param(text))

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.label,
            "period_asked": self.period_text,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "grain": self.grain,
            "district": self.district,
            "channel": self.channel,
        }


def parse_filters(params: Any, default_period: str, districts: list[str] | None = None) -> Filters:
    """Filters from a request's query parameters (a mapping), checked."""
    text = str(params.get("period") or default_period)
    period = parse_period_param(text)
    grain = str(params.get("grain") or "month")
    if grain not in GRAINS:
        raise ParamError("grain", f"unknown grain {grain!r}; choose one of: {', '.join(GRAINS)}")
    district = params.get("district") or None
    if district is not None:
        district = str(district)
        if len(district) > MAX_TEXT:
            raise ParamError("district", f"too long (at most {MAX_TEXT} characters)")
        if districts is not None and district not in districts:
            known = ", ".join(districts) or "none recorded"
            raise ParamError("district", f"unknown district {district!r}; known: {known}")
    channel = params.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        raise ParamError("channel", f"unknown channel {channel!r}; choose {' or '.join(CHANNELS)}")
    return Filters(text, period, grain, district, channel)


def period_choices(last: date) -> list[tuple[str, str]]:
    """Ready-made periods ending at the month ``last``: (value, words), for the period menu."""
    fy = fy_start_year(last)
    q_start = add_months(last, -((last.month - 4) % 3))
    quarter = f"FY{fy}/{(fy + 1) % 100:02d} Q{(q_start.month - 4) % 12 // 3 + 1}"
    three = f"{add_months(last, -2):%Y-%m}..{last:%Y-%m}"
    return [
        (f"{last:%Y-%m}", f"Month: {last:%B %Y}"),
        (three, f"Last 3 months: {add_months(last, -2):%b %Y} to {last:%b %Y}"),
        (quarter, f"Financial quarter: {quarter}"),
        (f"FY{fy}/{(fy + 1) % 100:02d} to {last:%Y-%m}", "Financial year to date"),
        (f"FY{fy - 1}/{fy % 100:02d}", f"Last financial year: FY{fy - 1}/{fy % 100:02d}"),
        (f"R12 {last:%Y-%m}", f"Rolling 12 months to {last:%b %Y}"),
    ]


def month_of(p: Period) -> Period:
    return month_period(p.months()[-1])
