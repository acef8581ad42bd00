"""The demand page and API: staffing by hour of the week, a roster's service, and the surge
and live-chat what-ifs, all through :mod:`forcestat.demand`."""

from __future__ import annotations

import math
from typing import Any

from ..errors import ForcestatError
from .charts import grouped_bars, heat_map, lines
from .figures import clean, rows_of
from .filters import Filters, ParamError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: what-if parameters: name -> (type, default, lowest, highest)
SURGE_PARAMS: dict[str, tuple[type, Any, float, float]] = {
    "day": (str, "Fri", 0, 0),
    "start": (int, 18, 0, 23),
    "hours": (int, 3, 1, 24),
    "factor": (float, 2.0, 0.1, 10.0),
    "divert": (float, 0.0, 0.0, 100.0),
    "replications": (int, 10, 2, 50),
}
CHAT_PARAMS: dict[str, tuple[type, Any, float, float]] = {
    "chats_per_hour": (float, 30.0, 0.1, 500.0),
    "aht": (float, 600.0, 10.0, 7200.0),
    "patience": (float, 300.0, 5.0, 7200.0),
    "target": (float, 80.0, 1.0, 99.0),
    "within": (float, 60.0, 1.0, 3600.0),
    "slowdown": (float, 0.25, 0.0, 2.0),
    "max_k": (int, 4, 1, 8),
}


def read_params(
    query: Any, spec: dict[str, tuple[type, Any, float, float]], prefix: str = ""
) -> dict[str, Any]:
    """Typed, range-checked what-if parameters; ParamError names a bad one."""
    out: dict[str, Any] = {}
    for name, (typ, default, lo, hi) in spec.items():
        raw = query.get(prefix + name)
        if raw in (None, ""):
            out[name] = default
            continue
        if typ is str:
            if name == "day" and raw not in DAYS:
                raise ParamError(prefix + name, f"choose one of {', '.join(DAYS)}")
            out[name] = str(raw)
            continue
        try:
            value = typ(raw)
        except (TypeError, ValueError):
            raise ParamError(prefix + name, f"not a number: {str(raw)[:40]!r}") from None
        if isinstance(value, float) and not math.isfinite(value) or not lo <= value <= hi:
            raise ParamError(prefix + name, f"must be between {lo:g} and {hi:g}")
        out[name] = value
    return out


def _estimate(store: Any, channel: str, period: str) -> Any:
    from ..demand.estimate import estimate, load_calls

    calls = load_calls(store, channel, period)
    if calls.empty:
        raise ParamError("period", f"no {channel} calls in the store for {period}")
    return estimate(calls, channel, 60)


def staffing(store: Any, channel: str, period: str) -> dict[str, Any]:
    """Agents needed by hour of the week for the channel's standard, and the roster's service
    if the store holds one."""
    from ..demand.staffing import load_roster, roster_service, staff_week

    est = _estimate(store, channel, period)
    plan = staff_week(est)
    week = rows_of(plan.table)
    cells = [
        {
            "day": r["day"],
            "hour": int(str(r["start"])[:2]),
            "agents": r["agents"],
            "calls_per_hour": r["calls_per_hour"],
        }
        for r in week
    ]
    out: dict[str, Any] = {
        "channel": channel,
        "summary": {k: clean(v) for k, v in plan.summary().items()},
        "week": week,
        "chart": heat_map(
            cells, f"{channel}: agents needed by hour of the week", "agents", "agents"
        ),
        "demand_chart": heat_map(
            cells, f"{channel}: calls per hour by hour of the week", "calls_per_hour", "calls/hour"
        ),
        "roster": None,
    }
    if store.has_table("staffing"):
        rows = load_roster(store, channel, period)
        if not rows.empty:
            r = roster_service(rows, est)
            w = r["calls_per_hour"] / r["calls_per_hour"].sum() if r["calls_per_hour"].sum() else 0
            out["roster"] = {
                "intervals": int(len(r)),
                "pct_intervals_meeting_target": 100.0 * float(r["meets_target"].mean()),
                "expected_service_level_pct": float((w * r["service_level_pct"]).sum()),
                "expected_pct_abandoned": float((w * r["pct_abandoned"]).sum()),
            }
    return out


def surge(store: Any, period: str, p: dict[str, Any]) -> dict[str, Any]:
    from ..demand.simulate import Dist
    from ..demand.whatif import surge_day

    est = {ch: _estimate(store, ch, period) for ch in ("999", "101")}
    table = surge_day(
        est,
        p["day"],
        p["start"],
        p["hours"],
        p["factor"],
        p["divert"] / 100,
        digital_handling=Dist.exponential(600.0),
        digital_staff=2,
        replications=p["replications"],
        seed=0,
    )
    rows = rows_of(table)
    chart = surge_chart(rows, p)
    return {"params": p, "rows": rows, "figures": surge_figures(rows), "chart": chart}


def surge_figures(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The what-if's figures (each has a ``<key>_ci`` half-width beside it) with readable
    labels, for a table with one row per figure and one column per scenario."""
    keys = [k for k in (rows[0] if rows else {}) if k != "scenario" and not k.endswith("_ci")]
    return [{"key": k, "label": _figure_label(k)} for k in keys]


def _figure_label(key: str) -> str:
    """pct_999_not_answered -> % 999 not answered; avg_999_queue_s -> 999 average queue (s)

    >>> _figure_label("calls_101"), _figure_label("digital_avg_wait_s")
    ('101 calls', 'digital average wait (s)')
    """
    words = ["average" if w == "avg" else w for w in key.split("_")]
    unit = ""
    if words[-1] == "s":
        words, unit = words[:-1], " (s)"
    if words[0] == "pct":
        return "% " + " ".join(words[1:]) + unit
    if words[0] in ("average", "calls") and len(words) > 1 and words[1] in ("999", "101"):
        words[0], words[1] = words[1], words[0]
    return " ".join(words) + unit


def surge_chart(rows: list[dict[str, Any]], p: dict[str, Any]) -> dict[str, Any] | None:
    """Each scenario's percentages (not answered, answered in time) side by side, with their
    95% intervals over the simulated days."""
    bars = []
    for r in rows:
        for col, v in r.items():
            if not col.startswith("pct_") or col.endswith("_ci") or v is None:
                continue
            ci = r.get(f"{col}_ci") or 0.0
            bars.append(
                {
                    "figure": _figure_label(col).removeprefix("% "),
                    "scenario": r["scenario"],
                    "pct": v,
                    "low": max(v - ci, 0.0),
                    "high": min(v + ci, 100.0),
                }
            )
    if not bars:
        return None
    title = (
        f"{p['day']} from {p['start']:02d}:00 for {p['hours']} h, 999 calls x{p['factor']:g}: "
        "normal day against surge"
    )
    return grouped_bars(bars, "figure", "pct", "scenario", title, "% of calls", order=True)


def chat(p: dict[str, Any]) -> dict[str, Any]:
    from ..demand.simulate import Dist
    from ..demand.whatif import chat_operators

    table = chat_operators(
        p["chats_per_hour"],
        Dist.exponential(p["aht"]),
        Dist.exponential(p["patience"]),
        target_pct=p["target"],
        within_s=p["within"],
        concurrency=range(1, p["max_k"] + 1),
        slowdown=p["slowdown"],
        chats_per_run=5_000,
        seed=0,
    )
    rows = rows_of(table)
    y = next((c for c in ("operators", "operators_needed") if rows and c in rows[0]), None)
    chart = None
    if y and rows:
        x = next(c for c in rows[0] if c in ("concurrency", "k"))
        chart = lines(
            [{**r, "what": "operators"} for r in rows],
            x,
            y,
            "what",
            "Operators needed by chats each can hold",
            "operators",
        )
    return {"params": p, "rows": rows, "chart": chart}


def demand_page(store: Any, f: Filters, query: Any) -> dict[str, Any]:
    """Staffing for the channels asked for; the what-ifs when their form was sent."""
    period = f.period.label
    channels = [f.channel] if f.channel else ["999", "101"]
    out: dict[str, Any] = {"period": period, "channels": [], "errors": []}
    for ch in channels:
        try:
            out["channels"].append(staffing(store, ch, period))
        except ParamError:
            raise
        except ForcestatError as e:
            out["errors"].append(f"{ch}: {e}")
    out["surge_params"] = read_params(query, SURGE_PARAMS, "surge_")
    out["chat_params"] = read_params(query, CHAT_PARAMS, "chat_")
    out["surge"] = (
        surge(store, period, out["surge_params"]) if query.get("run") == "surge" else None
    )
    out["chat"] = chat(out["chat_params"]) if query.get("run") == "chat" else None
    return out
