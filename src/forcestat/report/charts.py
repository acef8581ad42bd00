"""Charts: Altair specs rendered to inline SVG (HTML, PDF) or PNG (Word) with vl-convert.

Each builder returns a :class:`ChartSpec` whose ``alt`` text states the figures a reader
would take from the picture, so the chart is never the only place a figure lives.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import altair as alt
import pandas as pd

from .spec import ChartSpec
from .suppress import THRESHOLD, UNDER_FIVE, is_suppressed

NAVY = "#1d3557"
PALETTE = ["#1d3557", "#e07a24", "#4a90a4", "#7b8794"]
RECORD = "#c0392b"
WIDTH = 560
HEIGHT = 170
FONT = "DejaVu Sans"

CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {
        "labelFontSize": 9,
        "titleFontSize": 9,
        "titleFontWeight": "normal",
        "gridColor": "#e5e8ec",
        "domainColor": "#9aa5b1",
        "tickColor": "#9aa5b1",
    },
    "legend": {"labelFontSize": 9, "titleFontSize": 9, "orient": "top"},
    "title": {"fontSize": 11, "anchor": "start", "color": "#1f2933"},
}


def _finish(chart: Any, title: str, alt_text: str, chart_id: str) -> ChartSpec:
    spec = chart.properties(width=WIDTH, height=HEIGHT).to_dict()
    spec["config"] = CONFIG
    spec["description"] = alt_text
    return ChartSpec(title=title, vega_lite=spec, alt=alt_text, id=chart_id)


def render_svg(chart: ChartSpec) -> str:
    """The chart as an ``<svg>`` element with ``role="img"``, a title and the alt text."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(chart.vega_lite)
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    label = html.escape(chart.alt, quote=True)
    svg = svg.replace(
        "<svg ", f'<svg role="img" aria-label="{label}" preserveAspectRatio="xMinYMin meet" ', 1
    )
    return re.sub(r"(<svg\b[^>]*>)", rf"\1<title>{html.escape(chart.title)}</title>", svg, count=1)


def render_png(chart: ChartSpec, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (for Word, which cannot show SVG everywhere)."""
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(chart.vega_lite, scale=scale))


def _month_frame(
    months: Sequence[date], series: Mapping[str, Sequence[float | None]]
) -> pd.DataFrame:
    """One row per plotted value; ``segment`` numbers each unbroken run of a series, so a line
    stops at a month with no figure (missing, or withheld from the public edition) instead of
    joining its neighbours across it."""
    rows = []
    for name, values in series.items():
        segment = 0
        for m, v in zip(months, values, strict=True):
            if v is None or is_suppressed(v):  # a withheld figure is not plotted
                segment += 1
                continue
            rows.append({"month": pd.Timestamp(m), "series": name, "value": v, "segment": segment})
    return pd.DataFrame(rows, columns=["month", "series", "value", "segment"])


def _month_axis(months: Sequence[date]) -> Any:
    """A tick on each month (every other one past a year), labelled 'Aug 22'."""
    step = 1 if len(months) <= 13 else 2
    ticks = [alt.DateTime(year=m.year, month=m.month, date=1) for m in months[::step]]
    return alt.Axis(format="%b %y", labelAngle=0, values=ticks, grid=False)


def monthly_lines(
    title: str,
    months: Sequence[date],
    series: Mapping[str, Sequence[float | None]],
    *,
    y_title: str,
    alt_text: str,
    chart_id: str,
    highlight: Sequence[date] = (),
    rules: Sequence[tuple[float, str]] = (),
) -> ChartSpec:
    """One line per series over months; ``highlight`` shades the reporting period and each of
    ``rules`` draws a labelled dashed line (a benchmark)."""
    df = _month_frame(months, series)
    x = alt.X("month:T", title=None, axis=_month_axis(months))
    legend = alt.Legend(orient="top") if len(series) > 1 else None
    colour = alt.Color("series:N", title=None, scale=alt.Scale(range=PALETTE), legend=legend)
    lines = (
        alt.Chart(df)
        .mark_line(point=alt.OverlayMarkDef(size=18), strokeWidth=2)
        .encode(x=x, y=alt.Y("value:Q", title=y_title), color=colour, detail="segment:N")
    )
    layers: list[Any] = []
    if highlight and set(highlight) != set(months):
        band = pd.DataFrame(
            {"start": [pd.Timestamp(min(highlight))], "end": [pd.Timestamp(max(highlight))]}
        )
        layers.append(
            alt.Chart(band).mark_rect(color="#e8edf4", opacity=0.9).encode(x="start:T", x2="end:T")
        )
    layers.append(lines)
    for value, label in rules:
        rule = pd.DataFrame({"value": [value], "label": [label]})
        layers.append(
            alt.Chart(rule)
            .mark_rule(color=RECORD, strokeDash=[4, 3], strokeWidth=1)
            .encode(y="value:Q")
        )
        layers.append(
            alt.Chart(rule)
            .mark_text(align="left", x=4, dy=-6, fontSize=9, color=RECORD)
            .encode(y="value:Q", text="label:N")
        )
    return _finish(alt.layer(*layers), title, alt_text, chart_id)


def monthly_bars(
    title: str,
    months: Sequence[date],
    values: Sequence[float | None],
    *,
    y_title: str,
    alt_text: str,
    chart_id: str,
    highlight: Sequence[date] = (),
) -> ChartSpec:
    """Bars by month; months of the reporting period in the accent colour."""
    df = _month_frame(months, {"v": values})
    df["in_period"] = df["month"].isin([pd.Timestamp(m) for m in highlight])
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):O", title=None, axis=alt.Axis(format="%b %y", labelAngle=0)),
            y=alt.Y("value:Q", title=y_title),
            color=alt.condition(alt.datum.in_period, alt.value(NAVY), alt.value("#a9b8cc")),
        )
    )
    return _finish(chart, title, alt_text, chart_id)


def category_bars(
    title: str,
    categories: Sequence[str],
    values: Sequence[float],
    *,
    x_title: str,
    alt_text: str,
    chart_id: str,
    groups: Sequence[str] | None = None,
) -> ChartSpec:
    """Horizontal bars by category, optionally in groups (e.g. earlier and now); a withheld
    value keeps its category on the axis but has no bar."""
    df = pd.DataFrame(
        {
            "category": list(categories),
            "value": [None if is_suppressed(v) else v for v in values],
            "group": list(groups) if groups else [""] * len(categories),
        }
    )
    enc: dict[str, Any] = {
        "y": alt.Y("category:N", title=None, sort=None),
        "x": alt.X("value:Q", title=x_title),
    }
    if groups:
        enc["yOffset"] = alt.YOffset("group:N", sort=None)
        enc["color"] = alt.Color(
            "group:N", title=None, sort=None, scale=alt.Scale(range=["#a9b8cc", NAVY])
        )
    bars = alt.Chart(df).mark_bar(color=NAVY).encode(**enc)
    text = (
        alt.Chart(df)
        .mark_text(align="left", dx=3, fontSize=9, color="#1f2933")
        .encode(**enc, text=alt.Text("value:Q", format=",.0f"))
    )
    layers: list[Any] = [bars, text]
    under = [c for c, v in zip(categories, values, strict=True) if v is UNDER_FIVE]
    if under and not groups:
        # a count under 5 is shown as what is published about it: a band from 0 to 5, "<5"
        band = pd.DataFrame({"category": under, "lo": 0, "hi": THRESHOLD, "mark": UNDER_FIVE.mark})
        y = alt.Y("category:N", title=None, sort=None)
        layers.append(
            alt.Chart(band).mark_bar(color="#c9d3e0", opacity=0.8).encode(y=y, x="lo:Q", x2="hi:Q")
        )
        layers.append(
            alt.Chart(band)
            .mark_text(align="left", dx=3, fontSize=9, color="#1f2933")
            .encode(y=y, x="hi:Q", text="mark:N")
        )
    spec = _finish(alt.layer(*layers), title, alt_text, chart_id)
    spec.vega_lite["height"] = max(60, 22 * len(categories) * (1.6 if groups else 1))
    return spec


def history_with_records(
    title: str,
    series: dict[date, float],
    record_months: Sequence[date],
    *,
    y_title: str,
    alt_text: str,
    chart_id: str,
    record_label: str,
    reference: tuple[date, str] | None = None,
) -> ChartSpec:
    """A long monthly history with the record months marked and labelled, and optionally the
    earlier month the record is measured from ("lowest since February 2015") ringed."""
    shown = {m: v for m, v in series.items() if not is_suppressed(v)}  # withheld: not plotted
    df = pd.DataFrame({"month": [pd.Timestamp(m) for m in shown], "value": list(shown.values())})
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%Y", tickCount="year"))
    line = (
        alt.Chart(df)
        .mark_line(color=NAVY, strokeWidth=1.5)
        .encode(x=x, y=alt.Y("value:Q", title=y_title))
    )
    layers: list[Any] = [line]
    marks = df[df["month"].isin([pd.Timestamp(m) for m in record_months])]
    if not marks.empty:
        layers.append(
            alt.Chart(marks).mark_point(color=RECORD, filled=True, size=60).encode(x=x, y="value:Q")
        )
        last = marks.tail(1).assign(label=record_label)
        layers.append(
            alt.Chart(last)
            .mark_text(align="right", dx=-8, dy=12, fontSize=9, color=RECORD)
            .encode(x=x, y="value:Q", text="label:N")
        )
    if reference is not None and reference[0] in shown:
        ref = pd.DataFrame(
            {
                "month": [pd.Timestamp(reference[0])],
                "value": [shown[reference[0]]],
                "label": [reference[1]],
            }
        )
        layers.append(
            alt.Chart(ref)
            .mark_point(color="#52606d", size=70, strokeWidth=1.5)
            .encode(x=x, y="value:Q")
        )
        layers.append(
            alt.Chart(ref)
            .mark_text(align="left", dx=6, dy=10, fontSize=9, color="#52606d")
            .encode(x=x, y="value:Q", text="label:N")
        )
    return _finish(alt.layer(*layers), title, alt_text, chart_id)
