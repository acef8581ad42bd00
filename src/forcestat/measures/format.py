"""Values as people read them: "35,634", "1.16%", "5m 49s", "23,973"."""

from __future__ import annotations

import math
from typing import Any


def format_duration(seconds: float) -> str:
    """Whole seconds as the board report prints them: "17s", "5m 49s", "10m 6s", "1h 2m 3s".

    >>> format_duration(349.4), format_duration(17), format_duration(606), format_duration(3723)
    ('5m 49s', '17s', '10m 6s', '1h 2m 3s')
    """
    s = int(math.floor(seconds + 0.5))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h}h {m}m {sec}s"
    if m:
        return f"{m}m {sec}s"
    return f"{sec}s"


def format_value(value: float | None, unit: str, decimals: int | None = None) -> str:
    """A measure's value in its unit, as a board paper prints it.

    Parameters
    ----------
    value : float or None
        The plain value (percent as 31.97, durations in seconds); None prints as "n/a".
    unit : str
        count, percent, seconds, hours or count/month.
    decimals : int, optional
        Override the unit's usual decimal places (percent 2, count/month 1, others 0).

    >>> format_value(35634, "count"), format_value(1.1589, "percent")
    ('35,634', '1.16%')
    >>> format_value(349, "seconds"), format_value(23973.4, "hours")
    ('5m 49s', '23,973')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "seconds":
        return format_duration(value)
    if unit == "percent":
        return f"{value:,.{2 if decimals is None else decimals}f}%"
    if unit == "count/month":
        d = 1 if decimals is None else decimals
        return f"{value:,.{d}f}"
    d = 0 if decimals is None else decimals
    return f"{value:,.{d}f}"


def export_frame(df: Any, decimals: int = 4) -> Any:
    """An evaluate() frame ready for CSV, JSON or Parquet: plain numbers, rounded a little.

    Values stay in the measure's unit (percent as 31.97, seconds for durations); only float
    noise beyond ``decimals`` places is removed. Missing values become None.
    """
    import pandas as pd

    out = df.copy()
    out["change_unit"] = [change_unit(u) for u in out["unit"]]
    for c in ("value", "previous_value", "change", "pct_change", "last_year_value"):
        out[c] = pd.to_numeric(out[c], errors="coerce").round(decimals)
    for c in ("last_year_change", "last_year_pct_change", "benchmark"):
        out[c] = pd.to_numeric(out[c], errors="coerce").round(decimals)
    return out.astype(object).where(out.notna(), None)


def display_rows(df: Any) -> list[dict[str, Any]]:
    """An evaluate() frame as strings people read: "35,634", "1.16%", "5m 49s", "+12.5%"."""
    rows = []
    for raw in df.to_dict("records"):
        r = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in raw.items()}
        unit = r["unit"]

        def fv(v: Any, unit: Any = unit) -> str:
            return format_value(_num(v), unit)

        rows.append(
            {
                "measure": r["measure"],
                "period": r["period"],
                "value": fv(r["value"]) + ("*" if r.get("note") else ""),
                "previous": fv(r.get("previous_value")),
                "change": _change(str(unit), r.get("change"), r.get("pct_change")),
                "last year": fv(r.get("last_year_value")),
                "change on last year": _change(
                    str(unit), r.get("last_year_change"), r.get("last_year_pct_change")
                ),
                "significant": {True: "yes", False: "no"}.get(r.get("significant"), ""),  # type: ignore[arg-type]
                "record": r.get("record") or "",
                "benchmark": r.get("benchmark_status") or "",
            }
        )
    return rows


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def change_unit(unit: str) -> str:
    """The unit a change of a measure is stated in: percentage points for percentages.

    >>> change_unit("percent"), change_unit("count")
    ('pp', 'count')
    """
    return "pp" if unit == "percent" else unit


def format_change(unit: str, change: Any, pct_change: Any) -> str:
    """A change as people read it: "+0.79pp" for a percentage, "+12.5%" for anything else.

    A change of a percentage is in percentage points: 1.16% to 1.97% is +0.81pp, not +70%.

    >>> format_change("percent", 0.8123, 70.1), format_change("count", 57, 5.9)
    ('+0.81pp', '+5.9%')
    """
    if unit == "percent":
        f = _num(change)
        return "" if f is None else f"{f:+.2f}pp"
    return _pct(pct_change)


_change = format_change


def _pct(v: Any) -> str:
    f = _num(v)
    return "" if f is None else f"{f:+.1f}%"
