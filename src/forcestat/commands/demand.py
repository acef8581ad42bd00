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
    tz: Tz = "Europe/London",
    chart: Chart = None,
    as_json: JsonOption = False,
) -> None:
    """Agents per interval for each channel's target (999: 90% in 10 s), as a week and FTE."""
    from ..demand.params import DEFAULT_TARGETS, ServiceTarget, check_percent
    from ..demand.staffing import load_roster, roster_service, staff_week

    check_percent("shrinkage", shrinkage, allow_zero=True)
    channels = ["999", "101"] if channel == "all" else [channel]
    plans: dict[str, pd.DataFrame] = {}
    result: dict[str, Any] = {}
    for ch in channels:
        est = _estimate(db, ch, period, interval, tz)
        base = DEFAULT_TARGETS.get(ch, DEFAULT_TARGETS["101"])
        tgt = ServiceTarget(ch, target or base.target_pct, within or base.within_s)
        if roster:
            with Store.open(db, read_only=True) as store:
                rows = load_roster(store, ch, period)
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
    period: Period = None,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    tz: Tz = "Europe/London",
    as_json: JsonOption = False,
) -> None:
    """999 surge: 101 % not answered, 999 in 10 s and the digital backlog, over the surge."""
    from ..demand.params import check_percent
    from ..demand.simulate import Dist
    from ..demand.whatif import surge_day

    check_percent("divert", divert, allow_zero=True)
    est = {ch: _estimate(db, ch, period, 60, tz) for ch in ("999", "101")}
    table = surge_day(
        est, day, start, hours, factor, divert / 100, agents=agents,
        digital_handling=Dist.exponential(digital_aht), digital_staff=digital_staff,
        replications=replications, seed=seed,
    )  # fmt: skip
    if as_json:
        _emit_json(_records(table))
        return
    shown = table.rename(columns=SURGE_LABELS)[list(SURGE_LABELS.values())]
    _table(shown, f"{day} {start:02d}:00 for {hours} h, 999 x{factor:g} (mean of {replications})")


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
    slowdown: Annotated[float, typer.Option(help="Extra handling per extra chat")] = 0.25,
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
        from ..demand.estimate import estimate, load_chats

        with Store.open(db, read_only=True) as store:
            est = estimate(load_chats(store, period), None, 60, tz=tz)
        chats_per_hour = float(est.rates["calls_per_hour"].max())
        aht, patience = est.talk.mean_s, est.patience.mean_s
        out.print(
            f"from {est.calls:,} chats: busiest hour {chats_per_hour:.1f} chats/h, handling "
            f"{aht:.0f} s (as observed, already at the operators' usual concurrency), "
            f"patience {patience:.0f} s",
            highlight=False,
            soft_wrap=True,
        )
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
    target: Annotated[float, typer.Option(help="Percent answered in time")] = 90.0,
    within: Annotated[float, typer.Option(help="Answer within seconds")] = 10.0,
    as_json: JsonOption = False,
) -> None:
    """Service by hour of day from hourly phone statistics, beside Erlang staffing advice."""
    from ..demand.adapters import read_decc_phone
    from ..demand.params import check_percent
    from ..demand.validate import hourly_service_check

    check_percent("target", target)
    table = hourly_service_check(read_decc_phone(paths), aht, target_pct=target, within_s=within)
    if as_json:
        _emit_json(_records(table))
        return
    for ch, part in table.groupby("channel"):
        _table(
            part.drop(columns="channel"),
            f"{ch}: by hour of day, advice for {target:g}% in {within:g} s",
        )


@demand_app.command("backtest")
def backtest_cmd(
    db: DbOption,
    fit: Annotated[str, typer.Option(help="Period to estimate from, e.g. 2022-09")],
    test: Annotated[str, typer.Option(help="Period to predict, e.g. 2022-10")],
    channel: Annotated[str, typer.Option("--channel", "-c", help="999, 101 or all")] = "all",
    replications: Annotated[int, typer.Option(help="Simulated runs to average")] = 5,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    tz: Tz = "Europe/London",
    as_json: JsonOption = False,
) -> None:
    """Fit one period, simulate the next with its roster, compare the call measures."""
    from ..demand.validate import backtest

    if replications < 1:
        raise ParameterError(f"replications must be at least 1 (got {replications})")
    channels = ["999", "101"] if channel == "all" else [channel]
    result = {}
    with Store.open(db, read_only=True) as store:
        for ch in channels:
            result[ch] = backtest(store, ch, fit, test, tz=tz, seed=seed, replications=replications)
    if as_json:
        _emit_json({ch: _records(t) for ch, t in result.items()})
        return
    for ch, t in result.items():
        _table(t, f"{ch}: fitted on {fit}, simulated {test} with its roster", digits=2)


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
