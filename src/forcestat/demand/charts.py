"""Charts of the week (Altair; SVG, PNG or HTML by the file's suffix)."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from ..errors import ParameterError

SUFFIXES = (".svg", ".png", ".html", ".json")


def _axis(table: pd.DataFrame) -> pd.DataFrame:
    t = table.copy()
    t["when"] = (t["day"] + " " + t["start"]) if "day" in t else t["start"]
    return t


def arrivals_chart(rates: pd.DataFrame, title: str) -> alt.LayerChart:
    """Calls per hour through the week with the 95% Poisson band."""
    t = _axis(rates)
    order = list(t["when"])
    x = alt.X("when:N", sort=order, title=None, axis=alt.Axis(labelAngle=-90, labelOverlap=True))
    band = alt.Chart(t).mark_area(opacity=0.25).encode(x=x, y="low:Q", y2="high:Q")
    line = alt.Chart(t).mark_line().encode(x=x, y=alt.Y("calls_per_hour:Q", title="calls per hour"))
    return (band + line).properties(title=title, width=900, height=260)


def staffing_chart(plans: dict[str, pd.DataFrame], title: str) -> alt.Chart:
    """Agents needed on the phones through the week, one line per channel."""
    frames = [_axis(t).assign(channel=ch) for ch, t in plans.items()]
    t = pd.concat(frames, ignore_index=True)
    order = list(frames[0]["when"])
    return (
        alt.Chart(t)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("when:N", sort=order, title=None, axis=alt.Axis(labelAngle=-90)),
            y=alt.Y("agents:Q", title="agents on the phones"),
            color="channel:N",
        )
        .properties(title=title, width=900, height=260)
    )


def save(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """Write a chart; the format follows the suffix (.svg, .png, .html, .json)."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise ParameterError(f"chart must end in one of {', '.join(SUFFIXES)} (got {p.name})")
    chart.save(str(p))
    return p
