"""Charts of the week (Altair; SVG, PNG or HTML by the file's suffix)."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from ..errors import ParameterError

SUFFIXES = (".svg", ".png", ".html", ".json")


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _axis(table: pd.DataFrame) -> pd.DataFrame:
    """Hours since Monday 00:00 as the x position (a day-of-week table) or the hour of day."""
    t = table.copy()
    hh = t["start"].str.slice(0, 2).astype(int) + t["start"].str.slice(3, 5).astype(int) / 60
    day = t["day"].map(DAYS.index) if "day" in t else 0
    t["hour"] = day * 24 + hh
    return t


def _x(table: pd.DataFrame) -> alt.X:
    if "day" not in table:
        return alt.X("hour:Q", title="hour of day", scale=alt.Scale(domain=[0, 24]))
    labels = "['" + "','".join(DAYS) + "'][floor(datum.value / 24)]"
    axis = alt.Axis(values=list(range(0, 168, 24)), labelExpr=labels, grid=True)
    return alt.X("hour:Q", title=None, axis=axis, scale=alt.Scale(domain=[0, 168]))


def arrivals_chart(rates: pd.DataFrame, title: str) -> alt.LayerChart:
    """Calls per hour through the week with the 95% Poisson band."""
    t = _axis(rates)
    x = _x(rates)
    band = (
        alt.Chart(t)
        .mark_area(opacity=0.25, interpolate="step-after")
        .encode(x=x, y="low:Q", y2="high:Q")
    )
    line = (
        alt.Chart(t)
        .mark_line(interpolate="step-after")
        .encode(x=x, y=alt.Y("calls_per_hour:Q", title="calls per hour (95% band)"))
    )
    return (band + line).properties(title=title, width=900, height=260)


def staffing_chart(plans: dict[str, pd.DataFrame], title: str) -> alt.Chart:
    """Agents needed on the phones through the week, one line per channel."""
    frames = [_axis(t).assign(channel=ch) for ch, t in plans.items()]
    t = pd.concat(frames, ignore_index=True)
    return (
        alt.Chart(t)
        .mark_line(interpolate="step-after")
        .encode(
            x=_x(frames[0]),
            y=alt.Y("agents:Q", title="agents on the phones"),
            color="channel:N",
        )
        .properties(title=title, width=900, height=260)
    )


def forecast_chart(fc: object, title: str) -> alt.LayerChart:
    """Forecast calls a day with the prediction interval as a band."""
    t = fc.daily.assign(date=pd.to_datetime(fc.daily["date"]))  # type: ignore[attr-defined]
    x = alt.X("date:T", title=None)
    band = alt.Chart(t).mark_area(opacity=0.25).encode(x=x, y="low:Q", y2="high:Q")
    line = (
        alt.Chart(t)
        .mark_line(point=True)
        .encode(x=x, y=alt.Y("expected:Q", title="calls a day (prediction interval)"))
    )
    return (band + line).properties(title=title, width=900, height=260)


def surge_chart(hourly: pd.DataFrame, start: int, hours: int, title: str) -> alt.VConcatChart:
    """999 % answered within 10 s and 101 % not answered by hour, one line per scenario,
    the surge window shaded."""
    t = hourly.assign(hour=hourly["interval"] + 0.0)
    window = pd.DataFrame({"a": [float(start)], "b": [float(start + hours)]})
    x = alt.X("hour:Q", title="hours from midnight of the first day")

    def panel(col: str, label: str) -> alt.LayerChart:
        shade = alt.Chart(window).mark_rect(opacity=0.12).encode(x="a:Q", x2="b:Q")
        line = (
            alt.Chart(t)
            .mark_line(interpolate="step-after")
            .encode(x=x, y=alt.Y(f"{col}:Q", title=label), color="scenario:N")
        )
        return (shade + line).properties(width=900, height=180)

    return alt.vconcat(
        panel("pct_999_answered_within_10s", "999 answered in 10 s, %"),
        panel("pct_101_not_answered", "101 not answered, %"),
    ).properties(title=title)


def save(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """Write a chart; the format follows the suffix (.svg, .png, .html, .json)."""
    p = Path(path)
    if p.suffix.lower() not in SUFFIXES:
        raise ParameterError(f"chart must end in one of {', '.join(SUFFIXES)} (got {p.name})")
    chart.save(str(p))
    return p
