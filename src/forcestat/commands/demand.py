"""CLI for the demand model: ``forcestat demand estimate | staff | simulate | whatif ...``."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import ParameterError
from ..store import Store

if TYPE_CHECKING:  # numpy and pandas load when a demand command runs, not for --help
    import pandas as pd
from . import DbOption, JsonOption, period_text

out = Console(markup=False, highlight=False)
demand_app = typer.Typer(help="Demand model: estimate, staff, simulate and what-ifs.")
whatif_app = typer.Typer(help="What-ifs: a 999 surge, live-chat concurrency.")
demand_app.add_typer(whatif_app, name="whatif")

Channel = Annotated[str, typer.Option("--channel", "-c", help="999 or 101")]
Period = Annotated[
    str | None,
    typer.Option(help="Records to estimate from, e.g. 2022-10 (default all)", callback=period_text),
]
Interval = Annotated[int, typer.Option("--interval", help="Interval length: 15, 30 or 60 min")]
Tz = Annotated[str, typer.Option("--tz", help="Local time zone the week is read in")]
Chart = Annotated[Path | None, typer.Option("--chart", help="Write a chart (.svg/.png/.html)")]


SURGE_LABELS = {
    "scenario": "scenario",
    "pct_999_answered_within_10s": "999 in 10 s %",
    "pct_999_not_answered": "999 lost %",
    "pct_101_not_answered": "101 lost %",
    "avg_101_queue_s": "101 queue s",
    "digital_contacts": "digital",
    "digital_backlog_end": "backlog end",
    "digital_backlog_max": "backlog max",
}


def register(app: typer.Typer) -> None:
    """Add this area's commands to ``app``."""
    app.add_typer(demand_app, name="demand")


# --------------------------------------------------------------------------- helpers
def _clean(v: Any) -> Any:
    import numpy as np

    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, np.generic):
        return _clean(v.item())
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def _emit_json(obj: Any) -> None:
    typer.echo(json.dumps(_clean(obj), indent=1, default=str))


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [_clean(r) for r in df.to_dict(orient="records")]


def _table(df: pd.DataFrame, title: str, digits: int = 1) -> None:
    import pandas as pd

    t = Table(title=title)
    for c in df.columns:
        numeric = pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        t.add_column(str(c), justify="right" if numeric else "left")
    for row in df.itertuples(index=False):
        t.add_row(*[_fmt(v, digits) for v in row])
    out.print(t)


def _fmt(v: Any, digits: int) -> str:
    import numpy as np
    import pandas as pd

    if isinstance(v, pd.Timestamp):
        return f"{v:%a %d %b %H:%M}"
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            return "-" if math.isnan(v) else "unbounded"
        return f"{v:,.{digits}f}"
    return str(v)


def _estimate(db: str, channel: str, period: str | None, interval: int, tz: str) -> Any:
    from ..demand.estimate import estimate, load_calls

    with Store.open(db, read_only=True) as store:
        calls = load_calls(store, channel, period)
    if calls.empty:
        raise ParameterError(f"channel {channel!r} has no calls in the store for that period")
    return estimate(calls, channel, interval, tz=tz)


def _channels_with_calls(db: str, period: str | None) -> list[str]:
    """The phone channels (999, 101) the store has calls on in the period; one clear line
    and exit 2 when it has none."""
    from ..demand.estimate import load_calls

    with Store.open(db, read_only=True) as store:
        found = set(load_calls(store, None, period)["channel"].dropna().unique())
    channels = [ch for ch in ("999", "101") if ch in found]
    if not channels:
        raise ParameterError("the store has no 999 or 101 calls for that period")
    return channels


# --------------------------------------------------------------------------- commands
@demand_app.command("estimate")
def estimate_cmd(
    db: DbOption,
    channel: Channel = "101",
    period: Period = None,
    interval: Interval = 60,
    tz: Tz = "Europe/London",
    chart: Chart = None,
    as_json: JsonOption = False,
) -> None:
    """Arrival rates by interval of the week (95% Poisson bands), talk time, patience."""
    est = _estimate(db, channel, period, interval, tz)
    if chart is not None:
        from ..demand import charts

        charts.save(charts.arrivals_chart(est.rates, f"{channel} calls per hour"), chart)
    if as_json:
        _emit_json(est.as_dict())
        return
    talk, pat = est.talk.as_dict(), est.patience.as_dict()
    out.print(
        f"{channel}: {est.calls:,} calls. Talk time mean {talk['mean_s']:.0f} s, "
        f"median {talk['median_s']:.0f} s (lognormal sigma {talk['lognormal_sigma']:.2f}). "
        f"Patience (censored, exponential) mean {pat['mean_patience_s']:.0f} s "
        f"from {pat['abandoned']:,} abandonments.",
        highlight=False,
        soft_wrap=True,
    )
    cols = [c for c in ("day", "start", "calls", "calls_per_hour", "low", "high") if c in est.rates]
    _table(est.rates[est.rates["calls"] > 0][cols], f"{channel} arrivals per hour")
    if chart is not None:
        out.print(f"chart written to {chart}")


@demand_app.command("staff")
def staff_cmd(
    db: DbOption,
    channel: Annotated[str, typer.Option("--channel", "-c", help="999, 101 or all")] = "all",
    period: Period = None,
    interval: Interval = 60,
    target: Annotated[float | None, typer.Option(help="Percent answered in time")] = None,
    within: Annotated[float | None, typer.Option(help="Answer within seconds")] = None,
    shrinkage: Annotated[float, typer.Option(help="Percent of paid time off the phones")] = 30.0,
    model: Annotated[str, typer.Option(help="erlang-a or erlang-c")] = "erlang-a",
    hours_per_fte: Annotated[float, typer.Option(help="Contracted hours a week")] = 37.0,
    roster: Annotated[
        bool, typer.Option("--roster", help="Service the store's staffing table delivers")
    ] = False,
    pooled: Annotated[
        bool,
        typer.Option(
            "--pooled/--apart",
            help="With -c all: also staff 999 and 101 as one pool, 999 answered first",
        ),
    ] = True,
    tz: Tz = "Europe/London",
    chart: Chart = None,
    as_json: JsonOption = False,
) -> None:
    """Agents per interval for each channel's target (999: 90% in 10 s), as a week and FTE;
    with both channels, also the pool that takes both (999 first)."""

    from ..demand.params import DEFAULT_TARGETS, ServiceTarget, check_percent
    from ..demand.staffing import load_roster, roster_service, staff_week

    check_percent("shrinkage", shrinkage, allow_zero=True)
    # "all": the channels the records have (a store of 101 calls alone staffs 101)
    channels = _channels_with_calls(db, period) if channel == "all" else [channel]
    plans: dict[str, pd.DataFrame] = {}
    result: dict[str, Any] = {}
    for ch in channels:
        est = _estimate(db, ch, period, interval, tz)
        base = DEFAULT_TARGETS.get(ch, DEFAULT_TARGETS["101"])
        tgt = ServiceTarget(ch, target or base.target_pct, within or base.within_s)
        if roster:
            with Store.open(db, read_only=True) as store:
                rows = load_roster(store, ch, period)
            if rows.empty:
                from ..demand.estimate import infer_staffing, load_calls

                with Store.open(db, read_only=True) as store:
                    rows = infer_staffing(load_calls(store, ch, period), interval)
                if not as_json:
                    out.print(f"{ch}: no staffing records; agents inferred from the calls")
            r = roster_service(
                rows, est, model=model.replace("-", "_"), within_s=tgt.within_s, tz=tz
            )
            summary = _roster_summary(r, tgt.target_pct)
            result[ch] = {"summary": summary, "roster": _records(r)}
            if not as_json:
                out.print(
                    f"{ch}: {summary['intervals']:,} rostered intervals, "
                    f"{summary['pct_intervals_meeting_target']:.0f}% meet {tgt.label}; "
                    f"expected service level {summary['expected_service_level_pct']:.1f}%, "
                    f"{summary['expected_pct_abandoned']:.1f}% abandoned",
                    highlight=False,
                    soft_wrap=True,
                )
                worst = r.sort_values("service_level_pct").head(10)
                cols = ["interval_start", "agents", "calls_per_hour", "service_level_pct",
                        "pct_abandoned", "asa_s"]  # fmt: skip
                _table(worst[cols], f"{ch}: the 10 weakest intervals")
            continue
        plan = staff_week(
            est, tgt, model=model.replace("-", "_"), shrinkage=shrinkage / 100,
            hours_per_fte=hours_per_fte,
        )  # fmt: skip
        plans[ch] = plan.table
        result[ch] = {"summary": plan.summary(), "week": _records(plan.table)}
        if not as_json:
            cols = ["day", "start", "calls_per_hour", "agents", "rostered", "service_level_pct",
                    "pct_abandoned", "asa_s", "occupancy_pct"]  # fmt: skip
            shown = plan.table[plan.table["calls_per_hour"] > 0][cols]
            _table(shown, f"{ch}: agents needed for {tgt.label} ({plan.model})")
            s = plan.summary()
            out.print(
                f"{ch}: peak {s['peak_agents']} agents, {s['agent_hours_per_week']:,.0f} agent-"
                f"hours a week on the phones = {s['fte']:.1f} FTE at {shrinkage:g}% shrinkage",
                highlight=False,
                soft_wrap=True,
            )
    if channel == "all" and pooled and not roster and len(channels) == 2:
        from ..demand.staffing import pooled_week

        est = {ch: _estimate(db, ch, period, interval, tz) for ch in ("999", "101")}
        plan = pooled_week(est, shrinkage=shrinkage / 100, hours_per_fte=hours_per_fte)
        plans["pooled"] = plan.table
        result["pooled"] = {"summary": plan.summary(), "week": _records(plan.table)}
        if not as_json:
            s = plan.summary()
            apart = sum(result[ch]["summary"]["agent_hours_per_week"] for ch in channels)
            out.print(
                f"pooled (999 first): peak {s['peak_agents']} agents, "
                f"{s['agent_hours_per_week']:,.0f} agent-hours a week against {apart:,.0f} "
                f"staffed apart = {s['fte']:.1f} FTE",
                highlight=False,
                soft_wrap=True,
            )
    if chart is not None and plans:
        from ..demand import charts

        charts.save(charts.staffing_chart(plans, "Agents needed on the phones"), chart)
    if as_json:
        _emit_json(result)


def _roster_summary(r: pd.DataFrame, target_pct: float) -> dict[str, Any]:
    w = r["calls_per_hour"] / r["calls_per_hour"].sum() if r["calls_per_hour"].sum() else 0
    return {
        "intervals": int(len(r)),
        "pct_intervals_meeting_target": 100.0 * float(r["meets_target"].mean()),
        "expected_service_level_pct": float((w * r["service_level_pct"]).sum()),
        "expected_pct_abandoned": float((w * r["pct_abandoned"]).sum()),
        "target_pct": target_pct,
    }


def _talk_dist(kind: str, talk: Any) -> Any:
    from ..demand.simulate import Dist

    if kind == "lognormal":
        return Dist.lognormal(talk.mean_s, talk.log_sigma)
    if kind == "empirical":
        return Dist.empirical(talk.sample)
    if kind == "exponential":
        return Dist.exponential(talk.mean_s)
    raise ParameterError(f"talk must be lognormal, empirical or exponential (got {kind!r})")


@demand_app.command("roster")
def roster_cmd(
    db: DbOption,
    channel: Annotated[
        str,
        typer.Option(
            "--channel",
            "-c",
            help="999, 101, or pooled (one pool takes both, 999 first) or apart (summed)",
        ),
    ] = "pooled",
    period: Period = None,
    interval: Interval = 30,
    shift_hours: Annotated[
        str, typer.Option(help="Shift lengths in hours, comma-separated")
    ] = "8,10,12",
    start_every: Annotated[int, typer.Option(help="Shifts may start every N minutes")] = 60,
    start_hours: Annotated[
        str | None, typer.Option(help="Only these start hours, e.g. 6,7,14,22")
    ] = None,
    shrinkage: Annotated[float, typer.Option(help="Percent of paid time off the rota")] = 30.0,
    hours_per_fte: Annotated[float, typer.Option(help="Contracted hours a week")] = 37.0,
    time_limit: Annotated[float, typer.Option(help="Solver time limit, seconds")] = 10.0,
    tz: Tz = "Europe/London",
    chart: Chart = None,
    as_json: JsonOption = False,
) -> None:
    """Shifts (8/10/12 h, allowed starts, breaks) meeting the staffing plan in every
    interval with the fewest paid handler-hours: the rota, a chart and FTE."""
    from ..demand.params import check_percent
    from ..demand.roster import ShiftRules, roster_chart, solve_roster

    check_percent("shrinkage", shrinkage, allow_zero=True)
    if shrinkage >= 100:
        raise ParameterError("shrinkage must be below 100%")
    try:
        lengths = tuple(float(x) for x in shift_hours.split(",") if x.strip())
        starts = tuple(int(x) for x in start_hours.split(",") if x.strip()) if start_hours else None
    except ValueError:
        raise ParameterError(
            "shift-hours and start-hours must be comma-separated numbers"
        ) from None
    required = _requirement(db, channel, period, interval, tz)
    rules = ShiftRules(lengths_h=lengths, start_every_min=start_every, start_hours=starts)
    r = solve_roster(
        required, interval, rules=rules, shrinkage=shrinkage / 100,
        hours_per_fte=hours_per_fte, time_limit_s=time_limit,
    )  # fmt: skip
    if chart is not None:
        from ..demand import charts

        charts.save(roster_chart(r, f"{channel}: required and rostered handlers"), chart)
    if as_json:
        _emit_json(
            {"summary": r.summary(), "shifts": _records(r.shifts),
             "coverage": _records(r.coverage)}
        )  # fmt: skip
        return
    _table(r.shifts, f"{channel}: the rota ({r.status})", digits=0)
    s = r.summary()
    out.print(
        f"{s['handlers']} shifts a week, {s['paid_hours']:,.0f} paid handler-hours for "
        f"{s['required_hours']:,.0f} required on the phones ({s['efficiency_pct']:.0f}% "
        f"used); {s['fte']:.1f} FTE at {shrinkage:g}% shrinkage and {hours_per_fte:g} h",
        highlight=False,
        soft_wrap=True,
    )
    if chart is not None:
        out.print(f"chart written to {chart}")


def _requirement(db: str, channel: str, period: str | None, interval: int, tz: str) -> Any:
    """Agents needed per interval of the week: one channel's plan, the pooled plan, or the
    two channels' plans added (apart)."""
    from ..demand.staffing import pooled_week, staff_week

    if channel in ("999", "101"):
        return staff_week(_estimate(db, channel, period, interval, tz)).table["agents"]
    if channel not in ("pooled", "apart"):
        raise ParameterError(f"channel must be 999, 101, pooled or apart (got {channel!r})")
    found = _channels_with_calls(db, period)
    if len(found) == 1:
        # records of one channel: the pool is that channel's own
        typer.echo(f"note: the store has {found[0]} calls only; rostering {found[0]}", err=True)
        return staff_week(_estimate(db, found[0], period, interval, tz)).table["agents"]
    est = {ch: _estimate(db, ch, period, interval, tz) for ch in ("999", "101")}
    if channel == "pooled":
        return pooled_week(est).table["agents"]
    return sum(staff_week(e).table["agents"].to_numpy() for e in est.values())


@demand_app.command("forecast")
def forecast_cmd(
    db: DbOption,
    days: Annotated[int, typer.Option(help="Days ahead to forecast")] = 28,
    channel: Channel = "101",
    period: Period = None,
    interval: Interval = 60,
    level: Annotated[float, typer.Option(help="Prediction-interval coverage, percent")] = 90.0,
    country: Annotated[
        str, typer.Option(help="Public-holiday calendar (GB, IL, US...; 'none' for none)")
    ] = "GB",
    subdiv: Annotated[
        str | None, typer.Option(help="Region of the calendar (default ENG for GB)")
    ] = None,
    staff_quantile: Annotated[
        float | None,
        typer.Option(help="Also staff each interval for this percentile of its calls, e.g. 90"),
    ] = None,
    tz: Tz = "Europe/London",
    chart: Chart = None,
    as_json: JsonOption = False,
) -> None:
    """Daily call volumes ahead (day of week, trend, holidays) with prediction intervals,
    spread over the day; optionally the agents an upper quantile needs."""
    from ..demand.estimate import estimate, load_calls
    from ..demand.forecast import forecast_calls, quantile_rates
    from ..demand.params import DEFAULT_TARGETS, check_percent

    check_percent("level", level)
    with Store.open(db, read_only=True) as store:
        calls = load_calls(store, channel, period)
    if calls.empty:
        raise ParameterError(f"channel {channel!r} has no calls in the store for that period")
    no_cal = country.lower() in ("none", "")
    subdiv = subdiv or ("ENG" if country.upper() == "GB" else None)
    fc = forecast_calls(
        calls, days, tz=tz, interval_minutes=interval, level=level / 100,
        country=None if no_cal else country, subdiv=None if no_cal else subdiv,
    )  # fmt: skip
    result = fc.as_dict()
    if staff_quantile is not None:
        from ..demand.staffing import required_agents

        check_percent("staff_quantile", staff_quantile)
        est = estimate(calls, channel, interval, tz=tz)
        rates = quantile_rates(fc, staff_quantile / 100)
        pat = est.patience.mean_s if math.isfinite(est.patience.mean_s) else None
        n = required_agents(
            rates, est.talk.mean_s, DEFAULT_TARGETS.get(channel, DEFAULT_TARGETS["101"]),
            patience_s=pat, model="erlang_a" if pat else "erlang_c",
        )  # fmt: skip
        at_mean = required_agents(
            fc.intervals["calls_per_hour"].to_numpy(), est.talk.mean_s,
            DEFAULT_TARGETS.get(channel, DEFAULT_TARGETS["101"]),
            patience_s=pat, model="erlang_a" if pat else "erlang_c",
        )  # fmt: skip
        result["staffing"] = {
            "quantile_pct": staff_quantile,
            "agent_hours": float(n.sum() * interval / 60),
            "peak_agents": int(n.max()),
            "agents": [int(v) for v in n],
            "agent_hours_at_mean": float(at_mean.sum() * interval / 60),
            "peak_agents_at_mean": int(at_mean.max()),
        }
    if chart is not None:
        from ..demand import charts

        charts.save(charts.forecast_chart(fc, f"{channel} calls a day, forecast"), chart)
    if as_json:
        _emit_json(result)
        return
    _table(fc.daily, f"{channel}: calls a day, {level:g}% prediction interval", digits=0)
    terms = ", ".join(f"{k} {v:+.3f}" for k, v in fc.coefficients.items() if k != "intercept")
    out.print(
        f"from {fc.history_days} days of records; log effects: {terms}; dispersion {fc.alpha:.4f}",
        highlight=False,
        soft_wrap=True,
    )
    if "staffing" in result:
        st = result["staffing"]
        out.print(
            f"staffed for the {staff_quantile:g}th percentile of each interval's calls: peak "
            f"{st['peak_agents']} agents, {st['agent_hours']:,.0f} agent-hours (for the "
            f"expected calls: peak {st['peak_agents_at_mean']}, "
            f"{st['agent_hours_at_mean']:,.0f} agent-hours)",
            highlight=False,
            soft_wrap=True,
        )


@demand_app.command("forecast-backtest")
def forecast_backtest_cmd(
    db: DbOption,
    fit: Annotated[
        str, typer.Option(help="History to forecast from: 1999-02-01..1999-02-21 or 2022-09")
    ],
    test: Annotated[str, typer.Option(help="Later days to forecast and score, as --fit")],
    channel: Channel = "101",
    interval: Interval = 60,
    level: Annotated[float, typer.Option(help="Prediction-interval coverage, percent")] = 90.0,
    country: Annotated[
        str, typer.Option(help="Public-holiday calendar (GB, IL, US...; 'none' for none)")
    ] = "GB",
    subdiv: Annotated[
        str | None, typer.Option(help="Region of the calendar (default ENG for GB)")
    ] = None,
    tz: Tz = "Europe/London",
    as_json: JsonOption = False,
) -> None:
    """Forecast from one period, score the days of a later one: daily and per-interval
    errors beside the naive forecast (the same weekday of the history's last week)."""
    from ..demand.estimate import load_calls
    from ..demand.forecast import backtest_forecast
    from ..demand.params import check_percent

    check_percent("level", level)
    with Store.open(db, read_only=True) as store:
        calls = load_calls(store, channel, None)
    if calls.empty:
        raise ParameterError(f"channel {channel!r} has no calls in the store")
    no_cal = country.lower() in ("none", "")
    subdiv = subdiv or ("ENG" if country.upper() == "GB" else None)
    r = backtest_forecast(
        calls, fit, test, tz=tz, interval_minutes=interval, level=level / 100,
        country=None if no_cal else country, subdiv=None if no_cal else subdiv,
    )  # fmt: skip
    if as_json:
        _emit_json(r.as_dict())
        return
    _table(r.days, f"{channel}: forecast from {fit}, observed {test}", digits=0)
    sc = r.scores
    out.print(
        f"daily: MAE {sc['daily_mae']:,.0f} calls ({sc['daily_mape_pct']:.1f}%) against the "
        f"naive same-weekday-last-week {sc['naive_daily_mae']:,.0f} "
        f"({sc['naive_daily_mape_pct']:.1f}%); {sc['interval_coverage_pct']:.0f}% of days "
        f"inside the {level:g}% interval. Per {interval}-minute interval: MAE "
        f"{sc['interval_mae']:.1f} calls against the naive {sc['naive_interval_mae']:.1f}.",
        highlight=False,
        soft_wrap=True,
    )


@demand_app.command("simulate")
def simulate_cmd(
    db: DbOption,
    channel: Channel = "101",
    period: Period = None,
    days: Annotated[int, typer.Option(help="Days to simulate from Monday")] = 7,
    agents: Annotated[
        float | None, typer.Option(help="Agents in every hour (default: the staffing plan)")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same calls)")] = 0,
    talk: Annotated[
        str, typer.Option(help="Talk-time model: lognormal, empirical (resample) or exponential")
    ] = "lognormal",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the simulated calls (.csv/.parquet)")
    ] = None,
    load: Annotated[bool, typer.Option("--load", help="Ingest simulated calls to --db")] = False,
    tz: Tz = "Europe/London",
    as_json: JsonOption = False,
) -> None:
    """Simulate the channel's calls from its estimates, and measure them like real calls."""
    import numpy as np
    import pandas as pd

    from ..demand.adapters import load_calls_into, write_calls_csv
    from ..demand.simulate import Dist, simulate_pool
    from ..demand.staffing import staff_week

    if days < 1:
        raise ParameterError(f"days must be at least 1 (got {days})")
    est = _estimate(db, channel, period, 60, tz)
    rates = np.resize(est.rates["calls_per_hour"].to_numpy(), days * 24)
    staff = (
        np.resize(staff_week(est).table["agents"].to_numpy(), days * 24)
        if agents is None
        else agents
    )
    pat = est.patience.mean_s
    res = simulate_pool(
        rates, staff, _talk_dist(talk, est.talk),
        Dist.exponential(pat) if math.isfinite(pat) else Dist.never(),
        seed=seed, channel=channel,
    )  # fmt: skip
    summary = res.summary(channel, within_s=10.0)
    calls = res.to_calls()
    if out_file is not None:
        if out_file.suffix.lower() == ".parquet":
            calls.to_parquet(out_file, index=False)
        else:
            write_calls_csv(calls, out_file)
    if load:
        with Store.open(db) as store, tempfile.TemporaryDirectory() as d:
            load_calls_into(store, calls, d)
    if as_json:
        _emit_json(summary)
        return
    _table(pd.DataFrame([summary]), f"Simulated {channel} calls, {days} days (seed {seed})")


@whatif_app.command("surge")
def surge_cmd(
    db: DbOption,
    day: Annotated[str, typer.Option(help="Day of the week: Mon..Sun")] = "Fri",
    start: Annotated[int, typer.Option(help="Hour the surge starts (0-23)")] = 18,
    hours: Annotated[int, typer.Option(help="Hours the surge lasts")] = 3,
    factor: Annotated[float, typer.Option(help="999 arrivals multiplied by")] = 2.0,
    divert: Annotated[float, typer.Option(help="Percent of 101 callers sent to digital")] = 0.0,
    agents: Annotated[float | None, typer.Option(help="Agents (default: normal plan)")] = None,
    digital_staff: Annotated[int, typer.Option(help="Digital desk staff")] = 2,
    digital_aht: Annotated[float, typer.Option(help="Seconds per digital contact")] = 600.0,
    replications: Annotated[int, typer.Option(help="Simulated days per scenario")] = 20,
    date: Annotated[
        str | None,
        typer.Option(help="Take the pool from the staffing records of this date (YYYY-MM-DD)"),
    ] = None,
    redial: Annotated[
        float, typer.Option(help="Percent of abandoning callers who call back")
    ] = 0.0,
    redial_delay: Annotated[float, typer.Option(help="Mean seconds before calling back")] = 300.0,
    recovery: Annotated[int, typer.Option(help="Also report this many hours after")] = 3,
    period: Period = None,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    tz: Tz = "Europe/London",
    chart: Chart = None,
    as_json: JsonOption = False,
) -> None:
    """999 surge: 101 % not answered, 999 in 10 s and the digital backlog, over the surge
    and the hours after it; the window may cross midnight."""
    import pandas as pd

    from ..demand.params import check_percent
    from ..demand.simulate import Dist
    from ..demand.whatif import DAYS, roster_agents, surge_day

    check_percent("divert", divert, allow_zero=True)
    check_percent("redial", redial, allow_zero=True)
    if recovery < 0:
        raise ParameterError(f"recovery must be zero or more hours (got {recovery})")
    est = {ch: _estimate(db, ch, period, 60, tz) for ch in ("999", "101")}
    pool: Any = agents
    if date is not None:
        from ..demand.staffing import load_roster

        try:
            day = DAYS[pd.Timestamp(date).day_of_week]
        except ValueError:
            raise ParameterError(f"date must be YYYY-MM-DD (got {date!r})") from None
        with Store.open(db, read_only=True) as store:
            rows = load_roster(store)
            if rows.empty or not rows["channel"].isin(["999", "101"]).any():
                # record-only data: the headcount proxy stands in for the roster
                from ..demand.estimate import infer_staffing, load_calls

                calls = load_calls(store)
                rows = infer_staffing(calls[calls["channel"].isin(["999", "101"])], 60)
                typer.echo(
                    "note: no 999 or 101 staffing records; agents inferred from the calls "
                    "(forcestat demand infer-staffing writes them to the store)",
                    err=True,
                )
        pool = roster_agents(rows, date, tz)
    hourly: list[pd.DataFrame] = []
    table = surge_day(
        est, day, start, hours, factor, divert / 100, agents=pool,
        digital_handling=Dist.exponential(digital_aht), digital_staff=digital_staff,
        replications=replications, seed=seed, redial=redial / 100,
        redial_delay_s=redial_delay, recovery_intervals=recovery, hourly=hourly,
    )  # fmt: skip
    if chart is not None:
        from ..demand import charts

        charts.save(
            charts.surge_chart(pd.concat(hourly), start, hours, f"{day} surge, 999 x{factor:g}"),
            chart,
        )
    if as_json:
        _emit_json(_records(table))
        return
    labels = dict(SURGE_LABELS)
    if recovery:
        labels["after_pct_999_answered_within_10s"] = f"999 in 10 s % next {recovery} h"
        labels["after_pct_101_not_answered"] = f"101 lost % next {recovery} h"
    shown = table.rename(columns=labels)[list(labels.values())]
    src = f"staffing of {date}" if date else "the normal plan"
    _table(
        shown,
        f"{day} {start:02d}:00 for {hours} h, 999 x{factor:g}, pool: {src} "
        f"(mean of {replications})",
    )


@whatif_app.command("chat")
def chat_cmd(
    db: DbOption,
    chats_per_hour: Annotated[float, typer.Option(help="Chat requests per hour")] = 30.0,
    aht: Annotated[float, typer.Option(help="Handling seconds of one chat alone")] = 600.0,
    patience: Annotated[float, typer.Option(help="Mean seconds before giving up")] = 300.0,
    from_store: Annotated[
        bool,
        typer.Option(
            "--from-store",
            help="Take the busiest hour's rate, handling and patience from the chats table",
        ),
    ] = False,
    period: Period = None,
    tz: Tz = "Europe/London",
    target: Annotated[float, typer.Option(help="Percent accepted in time")] = 80.0,
    within: Annotated[float, typer.Option(help="Accept within seconds")] = 60.0,
    slowdown: Annotated[
        float | None,
        typer.Option(
            help="Extra handling per extra chat (default 0.25, or estimated with --from-store)"
        ),
    ] = None,
    max_k: Annotated[int, typer.Option(help="Largest concurrency to try")] = 6,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Live-chat operators needed for each concurrency k = 1..max-k."""
    from ..demand.simulate import Dist
    from ..demand.whatif import chat_operators

    if not 1 <= max_k <= 20:
        raise ParameterError(f"max_k must be between 1 and 20 (got {max_k})")
    if from_store:
        from ..demand.estimate import chat_slowdown, estimate, load_chats

        with Store.open(db, read_only=True) as store:
            chats = load_chats(store, period)
        est = estimate(chats, None, 60, tz=tz)
        slow = chat_slowdown(chats)
        chats_per_hour = float(est.rates["calls_per_hour"].max())
        # the observed handling already includes the operators' usual concurrency: start
        # from a chat held alone, so the simulation's stretch is not applied twice
        aht, patience = slow.handling_alone_s, est.patience.mean_s
        if slowdown is None:
            slowdown = slow.slowdown
        if not as_json:
            out.print(
                f"from {est.calls:,} chats: busiest hour {chats_per_hour:.1f} chats/h; "
                f"handling {slow.observed_handling_s:.0f} s as observed at "
                f"{slow.mean_concurrency:.2f} open chats, {aht:.0f} s alone; slowdown "
                f"{slow.slowdown:.2f} per extra chat (estimated from overlapping chats); "
                f"patience {patience:.0f} s",
                highlight=False,
                soft_wrap=True,
            )
    if slowdown is None:
        slowdown = 0.25
    table = chat_operators(
        chats_per_hour, Dist.exponential(aht), Dist.exponential(patience),
        target_pct=target, within_s=within, concurrency=range(1, max_k + 1),
        slowdown=slowdown, seed=seed,
    )  # fmt: skip
    if as_json:
        _emit_json(_records(table))
        return
    _table(table, f"{chats_per_hour:.1f} chats/h, {target:g}% accepted within {within:g} s")


@demand_app.command("check-hourly")
def check_hourly_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Hourly line-statistics files (DECC)")],
    aht: Annotated[float, typer.Option(help="Handling seconds per call")] = 180.0,
    cad: Annotated[
        list[Path] | None,
        typer.Option("--cad", help="CAD incident files: handling per line from Phone_Time"),
    ] = None,
    target: Annotated[float, typer.Option(help="Percent answered in time")] = 90.0,
    within: Annotated[float, typer.Option(help="Answer within seconds")] = 10.0,
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="Predict the last week's share answered within 10 s from the earlier weeks",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Service by hour of day from hourly phone statistics, beside Erlang staffing advice."""
    import pandas as pd

    from ..demand.adapters import read_decc_phone
    from ..demand.params import check_percent
    from ..demand.validate import hourly_backtest, hourly_service_check

    check_percent("target", target)
    if backtest:
        hourly = read_decc_phone(paths)
        res = {ch: hourly_backtest(hourly, ch) for ch in ("999", "101")}
        if as_json:
            _emit_json(res)
            return
        rows = [
            {"channel": ch, "grain": g, **r[g]}
            for ch, r in res.items()
            for g in ("hour_of_day", "hour_of_week")
        ]
        _table(
            pd.DataFrame(rows),
            "Last week's % answered within 10 s: mean absolute error, points",
            digits=2,
        )
        return
    hourly = read_decc_phone(paths)
    handling: float | dict[str, float] = aht
    if cad:
        from ..demand.adapters import read_cad_handling
        from ..demand.validate import hourly_pooled_advice

        handling = read_cad_handling(cad)
        pool = hourly_pooled_advice(hourly, handling, target_pct=target, within_s=within)
    table = hourly_service_check(hourly, handling, target_pct=target, within_s=within)
    if as_json:
        _emit_json({"by_hour": _records(table), "pooled": pool} if cad else _records(table))
        return
    for ch, part in table.groupby("channel"):
        _table(
            part.drop(columns="channel"),
            f"{ch}: by hour of day, advice for {target:g}% in {within:g} s",
        )
    if cad:
        out.print(
            f"handling from the CAD records: 999 {handling['999']:.0f} s, "  # type: ignore[index]
            f"101 {handling['101']:.0f} s; agent-hours a day for the average load: "  # type: ignore[index]
            f"{pool['agent_hours_a_day_apart']:.0f} with each line apart, "
            f"{pool['agent_hours_a_day_pooled']:.0f} as one pool with 999 first",
            highlight=False,
            soft_wrap=True,
        )


@demand_app.command("backtest")
def backtest_cmd(
    db: DbOption,
    fit: Annotated[
        str, typer.Option(help="Period to fit on: 1999-02-01..1999-02-14 (days) or 2022-09")
    ],
    test: Annotated[str, typer.Option(help="Period to predict and score, as --fit")],
    channel: Annotated[
        str | None,
        typer.Option("--channel", "-c", help="999 or 101 (default: the one the store has)"),
    ] = None,
    demand: Annotated[
        str,
        typer.Option(
            help="observed: the test period's workload as it came (scores the queue model); "
            "profile: the fit period's weekday profile (scores forecast error too)"
        ),
    ] = "observed",
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Score only these (repeatable)")
    ] = None,
    min_calls: Annotated[int, typer.Option(help="Score cells with at least this many calls")] = 30,
    replications: Annotated[int, typer.Option(help="Simulated runs to average")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    tz: Tz = "Europe/London",
    as_json: JsonOption = False,
) -> None:
    """Fit on one period, predict another per weekday-hour cell: abandonment and answered
    wait errors of each model beside the naive baseline and the binomial noise floor."""
    import numpy as np
    import pandas as pd

    from ..demand.backtest import backtest_cells, load_backtest_inputs

    if replications < 1:
        raise ParameterError(f"replications must be at least 1 (got {replications})")
    if min_calls < 1:
        raise ParameterError(f"min_calls must be at least 1 (got {min_calls})")
    with Store.open(db, read_only=True) as store:
        ch, calls, staffing = load_backtest_inputs(store, channel, fit, test, tz)
    if staffing.attrs.get("inferred"):
        typer.echo(
            f"note: no {ch} staffing records for these periods; agents inferred from the "
            "calls (forcestat demand infer-staffing writes them to the store)",
            err=True,
        )
    r = backtest_cells(
        calls, staffing, fit, test, tz=tz, models=tuple(model) if model else None, demand=demand,
        min_calls=min_calls, replications=replications, seed=seed,
    )  # fmt: skip
    if as_json:
        _emit_json(r.as_dict())
        return
    rows = [*r.as_dict()["models"], {"model": "baseline (fit period observed)", **r.baseline}]
    t = pd.DataFrame(rows)
    base = r.baseline["abandonment_mae"]
    t["x_baseline"] = t["abandonment_mae"] / base if base else np.nan
    _table(
        t[["model", "abandonment_mae", "x_baseline", "wait_mae_s", "cells"]],
        f"{ch}: fitted on {fit}, scored on {test} per weekday-hour cell "
        f"(>= {min_calls} calls; demand {demand})",
        digits=3,
    )
    fitted = ", ".join(
        f"{k} {v:.3g}" for k, v in r.fitted.items() if isinstance(v, (int, float)) and v == v
    )
    out.print(
        f"binomial noise floor (MAE of a perfect model): {r.noise_floor:.3f}. Fitted: {fitted}",
        highlight=False,
        soft_wrap=True,
    )


@demand_app.command("infer-staffing")
def infer_staffing_cmd(
    db: DbOption,
    channel: Annotated[
        str | None, typer.Option("--channel", "-c", help="999 or 101 (default: every channel)")
    ] = None,
    period: Period = None,
    interval: Interval = 15,
    break_minutes: Annotated[
        float, typer.Option(help="A gap between an agent's calls longer than this is a break")
    ] = 20.0,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Also write the records to this CSV")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write staffing records from the calls: time-weighted agents present per interval."""
    from ..demand.estimate import infer_staffing, load_calls
    from ..ingest import ingest_paths

    if break_minutes <= 0:
        raise ParameterError(f"break_minutes must be greater than zero (got {break_minutes:g})")
    with Store.open(db, read_only=True) as store:
        calls = load_calls(store, channel, period)
    calls = calls.dropna(subset=["arrived_at"])
    if calls["agent_id"].notna().sum() == 0:
        raise ParameterError("no answered call in the store names its agent: nothing to infer")
    staffing = infer_staffing(calls, interval, break_minutes=break_minutes)
    with tempfile.TemporaryDirectory() as d:
        f = _write_staffing_csv(staffing, Path(d) / "staffing.csv")
        if out_file is not None:
            out_file.write_bytes(f.read_bytes())
        with Store.open(db) as store:
            results = list(ingest_paths(store, [f], kind="staffing"))
    channels: list[str] = sorted(staffing["channel"].unique().tolist())
    ingested: list[dict[str, Any]] = [r.as_dict() for r in results]  # type: ignore[attr-defined]
    hours = float(staffing["agents"].sum() * interval / 60)
    if as_json:
        _emit_json(
            {"intervals": len(staffing), "channels": channels, "agent_hours": hours,
             "ingest": ingested}
        )  # fmt: skip
        return
    loaded = sum(int(x["loaded"]) for x in ingested)
    out.print(
        f"{len(staffing):,} {interval}-minute staffing records inferred for "
        f"{', '.join(channels)} ({hours:,.0f} agent-hours); {loaded:,} loaded",
        highlight=False,
    )


def _write_staffing_csv(staffing: pd.DataFrame, path: Path) -> Path:
    import pandas as pd

    s = staffing.copy()
    s["interval_start"] = pd.to_datetime(s["interval_start"]).dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    s.to_csv(path, index=False)
    return path


@demand_app.command("load-bank")
def load_bank_cmd(
    db: DbOption,
    path: Annotated[Path, typer.Argument(help="Anonymous Bank call file (.tsv/.txt)")],
    channel: Channel = "101",
    as_json: JsonOption = False,
) -> None:
    """Ingest a Technion 'Anonymous Bank' call file as calls (for trying the model).

    The same as ``forcestat ingest FILE --map anonymous-bank``, with the channel chosen."""
    from ..demand.adapters import bank_mapping
    from ..ingest import ingest_paths

    with Store.open(db) as store:
        results = ingest_paths(store, [path], mapping=bank_mapping(channel))
    summary = [r.as_dict() for r in results]
    if as_json:
        _emit_json(summary)
    else:
        out.print(f"loaded {summary[0]['loaded']:,} calls from {path}")
