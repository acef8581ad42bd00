"""Builders for the Force Control Room and Investigation Management Unit sections."""

from __future__ import annotations

from ..measures.contact import CHANNELS, call_keys
from . import charts, narrative
from .figures import Figures, fytd_before, month_name
from .profile import ForceProfile
from .sections import (
    CALL_ROWS,
    _benchmark_sentence,
    _compare_period,
    _formatter,
    _fytd_words,
    _month_columns,
    _monthly_row,
    _period_words,
)
from .spec import Section, TableSpec
from .suppress import is_suppressed

_CALLS = tuple(k for ch in CHANNELS for k in call_keys(ch))
_MONTHLY = (
    *_CALLS,
    "digital_contacts",
    "online_crime_reports",
    "live_chats",
    "recorded_crime",
    "cancelled_crime",
    "cancelled_crime_pct",
)

#: The measures this module's sections read, by scope (see figures.SCOPES).
READS: dict[str, tuple[str, ...]] = {
    "month": _MONTHLY,
    "period": (
        *_MONTHLY,
        "calls_999_pct_answered_within_10s",
        "live_chats_answered",
        "live_chats_abandoned",
        "live_chats_avg_wait_seconds",
        "cancelled_crime_pct_average",
    ),
    "fytd": (*_CALLS, "calls_999_pct_answered_within_10s"),
    "fytd_before": _CALLS,
}

CHANNEL_TABLES = (
    (
        "Digital Contact",
        "Digital Contact:",
        "Number of Digital Contacts into FCIR",
        "digital_contacts",
    ),
    (
        "Online Crime Reporting (OCR)",
        "OCR totals:",
        "Number of 'Report a Crime' Submissions",
        "online_crime_reports",
    ),
    ("Live Chat", "Live Chat totals:", "Live Chat volumes", "live_chats"),
)
CHANNEL_SUBJECTS = {
    "digital_contacts": "The number of digital contacts into the FCIR",
    "online_crime_reports": "The number of online crime reports",
    "live_chats": "The number of live chats",
}


def calls_table(f: Figures, channel: str) -> TableSpec:
    """The 999 or 101 table with the seed's row labels, one column a month."""
    return TableSpec(
        caption=f"{channel} call totals, {_period_words(f)}",
        stub_header=f"{channel} call totals:",
        columns=_month_columns(f),
        rows=tuple(_monthly_row(f, label, f"calls_{channel}_{part}") for label, part in CALL_ROWS),
        id=f"t-calls-{channel}",
    )


def _calls_narrative(f: Figures, profile: ForceProfile, channel: str) -> list[str | None]:
    key = f"calls_{channel}_"
    kind = "emergency" if channel == "999" else "non-emergency"
    pct = key + "pct_not_answered"
    out: list[str | None] = [
        narrative.series_sentence(
            f"{channel} call attrition (calls not answered)",
            f.months,
            f.monthly(pct, f.months),
            _formatter(f, pct),
        ),
        _compare_period(
            f, pct, f"{kind.capitalize()} call attrition over {_period_words(f)}", good="down"
        ),
        _compare_period(
            f, key + "received", f"The number of {channel} calls received in {_period_words(f)}"
        ),
    ]
    if channel == "999":
        out.append(
            _benchmark_sentence(f, profile, pct, "The overall financial year calls attrition")
            or _fytd_sentence(f, pct, "The overall financial year calls attrition")
        )
        within = key + "pct_answered_within_10s"
        out.append(
            _benchmark_sentence(
                f,
                profile,
                within,
                "The share of 999 calls answered within 10 seconds this financial year",
            )
        )
    else:
        before = fytd_before(f.period)
        now, then = f.value(pct, "fytd"), f.value(pct, "fytd_before")
        if before is not None and now is not None:
            out.append(
                narrative.describe_change(
                    f"The financial year to date {kind} call attrition",
                    now,
                    then,
                    None,
                    _formatter(f, pct),
                    against=f"at the end of {before.months()[-1]:%B %Y}",
                )
            )
        else:
            out.append(_fytd_sentence(f, pct, f"The financial year to date {kind} call attrition"))
    queue, talk = (
        f.value(key + "avg_queue_seconds", "fytd"),
        f.value(key + "avg_talk_seconds", "fytd"),
    )
    if queue is not None and talk is not None and not (is_suppressed(queue) or is_suppressed(talk)):
        out.append(
            f"Over the financial year to date ({_fytd_words(f)}) {channel} calls queued for an "
            f"average of {f.fmt(key + 'avg_queue_seconds', 'fytd')} and the average talk time "
            f"was {f.fmt(key + 'avg_talk_seconds', 'fytd')}."
        )
    return out


def _fytd_sentence(f: Figures, measure: str, subject: str) -> str | None:
    value = f.value(measure, "fytd")
    if value is None or is_suppressed(value):
        return None
    return f"{subject} is {f.fmt(measure, 'fytd')} ({_fytd_words(f)})."


def _attrition_chart(f: Figures, profile: ForceProfile, channel: str) -> charts.ChartSpec | None:
    """One channel's % not answered by month, with its benchmark (if any) as a dashed line."""
    key = f"calls_{channel}_pct_not_answered"
    months = f.trend_for(key)
    values = f.monthly(key, months)
    if all(v is None for v in values):
        return None
    cells = [
        f"{month_name(m)} {f.format(key, v)}"
        for m, v in zip(f.months, f.monthly(key, f.months), strict=True)
    ]
    alt_text = f"{channel} calls not answered by month: " + ", ".join(cells)
    rules = []
    bench = profile.benchmark_for(key)
    if bench is not None:
        text = narrative.benchmark_text(bench.value, "percent")
        rules.append((bench.value, f"{bench.label} ({text})"))
        alt_text += f"; {bench.label} {text}"
    return charts.monthly_lines(
        f"{channel} calls not answered (%), {narrative.span_phrase(months[0], months[-1])}",
        months,
        {f"{channel} % not answered": values},
        y_title="% not answered",
        alt_text=alt_text + ".",
        chart_id=f"c-attrition-{channel}",
        highlight=f.months,
        rules=rules,
    )


def _channels_chart(f: Figures) -> charts.ChartSpec | None:
    months = f.trend_for(*(key for *_, key in CHANNEL_TABLES))
    series = {label: f.monthly(key, months) for label, _, _, key in CHANNEL_TABLES}
    if all(v is None for vals in series.values() for v in vals):
        return None
    facts = []
    for label, _, _, key in CHANNEL_TABLES:
        v = f.value(key, "month", f"{f.months[-1]:%Y-%m}")
        facts.append(f"{label} {f.format(key, v)}")
    return charts.monthly_lines(
        f"Digital contact, online crime reports and live chats a month, "
        f"{narrative.span_phrase(months[0], months[-1])}",
        months,
        series,
        y_title="Contacts",
        alt_text=f"Monthly volumes by channel; in {f.months[-1]:%B %Y}: " + ", ".join(facts) + ".",
        chart_id="c-channels",
        highlight=f.months,
    )


def force_control_room(f: Figures, profile: ForceProfile) -> Section:
    """999 and 101 call tables, digital contact, online crime reporting and live chat."""
    sec = Section("fcr", "Force Control Room")
    for channel, heading in (("999", "999 emergency calls"), ("101", "101 non-emergency calls")):
        sec = sec.add_heading(heading).add_table(calls_table(f, channel))
        sec = sec.add_paragraphs(_calls_narrative(f, profile, channel))
        sec = sec.add_chart(_attrition_chart(f, profile, channel))
    for heading, stub, row_label, key in CHANNEL_TABLES:
        sec = sec.add_heading(heading).add_table(
            TableSpec(
                caption=f"{heading}, {_period_words(f)}",
                stub_header=stub,
                columns=_month_columns(f),
                rows=(_monthly_row(f, row_label, key),),
                id=f"t-{key}",
            )
        )
        sec = sec.add_paragraphs(
            [
                narrative.series_sentence(
                    row_label.replace("Number of ", ""),
                    f.months,
                    f.monthly(key, f.months),
                    _formatter(f, key),
                ),
                _compare_period(f, key, f"{CHANNEL_SUBJECTS[key]} in {_period_words(f)}"),
            ]
        )
    return sec.add_chart(_channels_chart(f))


def _cancelled_change(f: Figures) -> str | None:
    """The IMU's comparison: the period's average cancelled share against the previous
    period's, in percentage points ("down 0.17 points from 3.27% in May to July 2022")."""
    key = "cancelled_crime_pct_average"
    r = f.row(key, "period")
    now = f.value(key, "period")
    then = None if r is None else r.get("previous_value")
    previous = f.period.previous().months()
    if now is None or then is None or is_suppressed(now) or is_suppressed(then):
        return None
    if not all(f.covered(key, m) for m in previous):
        return None
    diff = narrative.round_half_up(abs(now - then), 2)
    if f.format(key, now) == f.format(key, then) or diff == 0:
        return (
            f"The average cancelled share stood unchanged at {f.format(key, now)} "
            f"(as in {narrative.span_phrase(previous[0], previous[-1])})."
        )
    word = "down" if now < then else "up"
    steady = "broadly stable, " if r is not None and r.get("significant") is False else ""
    return (
        f"Against the previous period ({narrative.span_phrase(previous[0], previous[-1])}, "
        f"{f.format(key, then)}) the average cancelled share was {steady}{word} {diff:g} "
        "percentage points."
    )


IMU_ROWS = (
    ("Recorded Crime", "recorded_crime"),
    ("Cancelled Crime", "cancelled_crime"),
    ("% of Total", "cancelled_crime_pct"),
)


def investigation_management(f: Figures, profile: ForceProfile) -> Section:
    """Recorded and cancelled crime by month, with the cancelled share."""
    table = TableSpec(
        caption=f"IMU and crime totals, {_period_words(f)}",
        stub_header="IMU & Crime totals:",
        columns=_month_columns(f),
        rows=tuple(_monthly_row(f, label, key) for label, key in IMU_ROWS),
        id="t-imu",
    )
    sec = Section("imu", "Investigation Management Unit (IMU)")
    paras: list[str | None] = [
        narrative.series_sentence(
            "Recorded crime",
            f.months,
            f.monthly("recorded_crime", f.months),
            _formatter(f, "recorded_crime"),
        ),
        _compare_period(
            f, "recorded_crime", f"Recorded crime over {_period_words(f)}", per_month=True
        ),
    ]
    avg = f.value("cancelled_crime_pct_average", "period")
    if avg is not None and not is_suppressed(avg):
        paras.append(
            f"Cancelled crime averaged {f.fmt('cancelled_crime_pct_average', 'period')} of the "
            f"total over the {len(f.months)}-month period."
        )
    paras.append(_cancelled_change(f))
    sec = sec.add_paragraphs(paras).add_table(table)
    months = f.trend_for("recorded_crime")
    recorded = f.monthly("recorded_crime", months)
    known = [
        (m, v)
        for m, v in zip(months, recorded, strict=True)
        if v is not None and not is_suppressed(v)
    ]
    if known:
        hi = max(known, key=lambda p: p[1])
        lo = min(known, key=lambda p: p[1])
        sec = sec.add_chart(
            charts.monthly_bars(
                f"Recorded crime a month, {narrative.span_phrase(months[0], months[-1])}",
                months,
                recorded,
                y_title="Crimes recorded",
                alt_text=(
                    f"Recorded crime a month from {months[0]:%B %Y} to {months[-1]:%B %Y}; "
                    f"highest {narrative.plain(hi[1])} in {hi[0]:%B %Y}, lowest "
                    f"{narrative.plain(lo[1])} in {lo[0]:%B %Y}."
                ),
                chart_id="c-imu",
                highlight=f.months,
            )
        )
    return sec
