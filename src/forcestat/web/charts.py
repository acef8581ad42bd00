"""Vega-Lite specs for the dashboard, drawn in the browser by the packaged vega-embed.

Each builder returns a plain dict (the spec, data inline), so a page's ``.json`` twin carries
the same chart the HTML draws. Pages also show every chart's figures as a table, so nothing
depends on the chart being drawn.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
BLUE, GREY, ORANGE, RED = "#1d4f91", "#6b6b6b", "#b35900", "#b3261e"


def _base(description: str, width: Any = "container", height: int = 220) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "description": description,
        "width": width,
        "height": height,
        "config": {"font": "system-ui, sans-serif", "view": {"stroke": None}},
    }


def sparkline(points: list[dict[str, Any]], description: str) -> dict[str, Any]:
    """A small line of monthly values: ``points`` are {month, value}."""
    spec = _base(description, width=140, height=36)
    spec.update(
        {
            "data": {"values": [p for p in points if p["value"] is not None]},
            "mark": {"type": "line", "color": BLUE, "strokeWidth": 1.5, "point": False},
            "encoding": {
                "x": {"field": "month", "type": "temporal", "axis": None},
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "axis": None,
                    "scale": {"zero": False},
                },
            },
        }
    )
    spec["config"]["view"] = {"stroke": None}
    return spec


def xmr_chart(
    points: list[dict[str, Any]],
    mean: float,
    lower: float,
    upper: float,
    title: str,
    benchmark: float | None = None,
) -> dict[str, Any]:
    """An XmR chart: the months, centre line, process limits, special-cause months marked
    in orange, and the benchmark (if any) dashed in red. ``points`` carry month, value and
    ``special`` (True/False)."""
    values = [p for p in points if p["value"] is not None]
    rules = [{"y": mean, "line": "mean"}, {"y": upper, "line": "upper process limit"}]
    rules.append({"y": lower, "line": "lower process limit"})
    if benchmark is not None:
        rules.append({"y": benchmark, "line": "benchmark"})
    spec = _base(f"{title}: monthly values on a process (XmR) chart", height=260)
    spec.update(
        {
            "title": title,
            "layer": [
                {
                    "data": {"values": values},
                    "mark": {"type": "line", "color": BLUE},
                    "encoding": {
                        "x": {
                            "field": "month",
                            "type": "temporal",
                            "title": None,
                            "axis": {"format": "%b %y", "tickCount": {"interval": "month"}},
                        },
                        "y": {
                            "field": "value",
                            "type": "quantitative",
                            "title": None,
                            "scale": {"zero": False},
                        },
                    },
                },
                {
                    "data": {"values": values},
                    "mark": {"type": "circle", "size": 50, "opacity": 1},
                    "encoding": {
                        "x": {"field": "month", "type": "temporal"},
                        "y": {"field": "value", "type": "quantitative"},
                        "color": {
                            "field": "cause",
                            "type": "nominal",
                            "scale": {
                                "domain": ["common cause", "special cause"],
                                "range": [GREY, ORANGE],
                            },
                            "legend": {"title": None, "orient": "top"},
                        },
                        "tooltip": [
                            {"field": "label", "title": "Month"},
                            {"field": "shown", "title": "Value"},
                            {"field": "why", "title": "Special cause"},
                        ],
                    },
                },
                *[_rule(r["y"], r["line"]) for r in rules],
            ],
        }
    )
    return spec


RULE_STYLE = {
    "mean": (GREY, [1, 0]),
    "upper process limit": (GREY, [4, 3]),
    "lower process limit": (GREY, [4, 3]),
    "benchmark": (RED, [8, 4]),
}


def _rule(y: float, line: str) -> dict[str, Any]:
    """A horizontal line across the chart, labelled at its right end."""
    color, dash = RULE_STYLE[line]
    return {
        "data": {"values": [{"y": y, "line": line}]},
        "layer": [
            {
                "mark": {"type": "rule", "color": color, "strokeDash": dash},
                "encoding": {"y": {"field": "y", "type": "quantitative"}},
            },
            {
                "mark": {
                    "type": "text",
                    "align": "right",
                    "baseline": "bottom",
                    "dx": -2,
                    "color": color,
                    "x": "width",
                    "fontSize": 10,
                },
                "encoding": {
                    "y": {"field": "y", "type": "quantitative"},
                    "text": {"field": "line"},
                },
            },
        ],
    }


def heat_map(cells: list[dict[str, Any]], title: str, field: str, legend: str) -> dict[str, Any]:
    """Hour of the week as a heat map: ``cells`` carry day, hour and ``field``."""
    spec = _base(title, height=180)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    spec.update(
        {
            "title": title,
            "data": {"values": cells},
            "mark": "rect",
            "encoding": {
                "x": {"field": "hour", "type": "ordinal", "title": "Hour"},
                "y": {"field": "day", "type": "ordinal", "sort": days, "title": None},
                "color": {
                    "field": field,
                    "type": "quantitative",
                    "title": legend,
                    "scale": {"scheme": "blues"},
                },
                "tooltip": [
                    {"field": "day"},
                    {"field": "hour"},
                    {"field": field, "title": legend, "format": ",.1f"},
                ],
            },
        }
    )
    return spec


def lines(
    rows: list[dict[str, Any]], x: str, y: str, series: str, title: str, y_title: str
) -> dict[str, Any]:
    """Several lines against a shared x (what-if scenarios, channels)."""
    spec = _base(title)
    spec.update(
        {
            "title": title,
            "data": {"values": rows},
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": x, "type": "ordinal", "title": x.replace("_", " ")},
                "y": {"field": y, "type": "quantitative", "title": y_title},
                "color": {"field": series, "type": "nominal", "title": None},
            },
        }
    )
    return spec


def bars(rows: list[dict[str, Any]], x: str, y: str, title: str) -> dict[str, Any]:
    spec = _base(title, height=max(120, 18 * len(rows)))
    spec.update(
        {
            "title": title,
            "data": {"values": rows},
            "mark": {"type": "bar", "color": BLUE},
            "encoding": {
                "y": {"field": x, "type": "nominal", "sort": "-x", "title": None},
                "x": {"field": y, "type": "quantitative", "title": None},
            },
        }
    )
    return spec


def grouped_bars(
    rows: list[dict[str, Any]],
    x: str,
    y: str,
    group: str,
    title: str,
    y_title: str,
    order: bool = False,
) -> dict[str, Any]:
    """Bars of ``y`` for each ``x``, side by side by ``group`` (scenarios against each other),
    with a rule from ``low`` to ``high`` where rows carry them (a confidence interval).
    ``order`` keeps the rows' order on both (else alphabetical)."""
    spec = _base(title, height=240)
    enc_x: dict[str, Any] = {"field": x, "type": "nominal", "title": None}
    enc_x["axis"] = {"labelAngle": 0, "labelLimit": 200}
    offset: dict[str, Any] = {"field": group, "type": "nominal"}
    if order:
        enc_x["sort"] = offset["sort"] = None
    spec.update(
        {
            "title": title,
            "data": {"values": rows},
            "encoding": {"x": enc_x, "xOffset": offset},
            "layer": [
                {
                    "mark": "bar",
                    "encoding": {
                        "y": {"field": y, "type": "quantitative", "title": y_title},
                        "color": {
                            "field": group,
                            "type": "nominal",
                            "title": None,
                            "scale": {"range": [GREY, RED, BLUE, ORANGE]},
                            **({"sort": None} if order else {}),
                        },
                        "tooltip": [
                            {"field": x, "title": "figure"},
                            {"field": group},
                            {"field": y, "title": y_title, "format": ",.2f"},
                        ],
                    },
                },
                {
                    "mark": {"type": "rule", "color": "#222"},
                    "encoding": {
                        "y": {"field": "low", "type": "quantitative"},
                        "y2": {"field": "high"},
                    },
                },
            ],
        }
    )
    return spec
