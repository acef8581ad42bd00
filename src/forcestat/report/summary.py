"""The executive summary on page 1: each headline measure with its value, its change against the
previous period and the same period last year, its benchmark status, and the NHS "Making Data
Count" variation and assurance icons; the exceptions that need the board's attention first.

Everything here reads evaluated figures (:class:`~forcestat.report.figures.Figures`); the icons
come from the XmR chart test the measures package already runs (:func:`forcestat.measures.
compare.spc`), applied to the monthly figures the engine returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..measures.compare import SPC_MIN_POINTS, poisson_test, spc
from ..periods import Period
from . import narrative
from .figures import Figures
from .profile import ForceProfile
from .spec import Section, SummaryRow, SummarySpec
from .suppress import is_suppressed, say


@dataclass(frozen=True)
class Headline:
    """A headline measure: which figure the board reads, and which direction is better."""

    key: str
    label: str
    scope: str = "period"  # "period" (the period's figure) or "at_date" (a headcount)
    good: str | None = None  # "up", "down" or None (neither direction is better)


#: The headline measures, in the order of the paper's sections.
HEADLINES: tuple[Headline, ...] = (
    Headline("s136_detentions", "s.136 detentions", good="down"),
    Headline("special_constables", "Special Constables (headcount)", "at_date", good="up"),
    Headline("calls_999_received", "999 calls received"),
    Headline("calls_999_pct_not_answered", "999 calls not answered (%)", good="down"),
    Headline("calls_999_pct_answered_within_10s", "999 calls answered in 10 s (%)", good="up"),
    Headline("calls_101_received", "101 calls received"),
    Headline("calls_101_pct_not_answered", "101 calls not answered (%)", good="down"),
    Headline("calls_101_avg_queue_seconds", "101 average queuing time", good="down"),
    Headline("digital_contacts", "Digital contacts"),
    Headline("online_crime_reports", "Online crime reports"),
    Headline("live_chats", "Live chats"),
    Headline("recorded_crime", "Recorded crime"),
    Headline("cancelled_crime_pct", "Cancelled crime (% of total)"),
)

#: The measures whose months the summary's XmR charts read (figures.py evaluates them).
SERIES_KEYS = tuple(h.key for h in HEADLINES if h.scope == "period")

MET, NOT_MET, NO_BENCHMARK = "met", "not met", "no benchmark"


def _span(p: Period) -> str:
    months = p.months()
    return narrative.span_phrase(months[0], months[-1])


def _covered(f: Figures, key: str, months: list[date]) -> bool:
    return all(f.covered(key, m) for m in months)


def change_cell(
    f: Figures,
    key: str,
    now: float | None,
    then: float | None,
    significant: bool | None,
    *,
    check_jump: bool = True,
) -> str:
    """'Up 3.2% from 98,110', 'Down 0.21 points from 1.45%', 'Broadly stable (98,110)'."""
    if now is None or then is None:
        return "–"
    if is_suppressed(now) or is_suppressed(then):
        return f"{say(then, lambda v: f.format(key, v))} before"
    before = f.format(key, then)
    if check_jump and f.unit(key) == "count" and narrative.implausible_change(now, then):
        return f"Not compared: {before} looks incomplete"
    if f.format(key, now) == before:
        return f"No change ({before})"
    if significant is False:
        return f"Broadly stable ({before})"
    word = "Up" if now > then else "Down"
    unit = f.unit(key)
    if unit == "percent":
        pts = narrative.round_half_up(abs(now - then), 2)
        return f"{word} {pts:g} points from {before}"
    if not then:
        return f"{word} from {before}"
    pct = narrative.round_half_up(abs(100 * (now - then) / then), 1)
    return f"{word} {pct:g}% from {before}"


def _variation(f: Figures, h: Headline) -> str:
    """The variation icon's code for the period's latest month (see :mod:`.icons`)."""
    if h.scope != "period":
        return "none"
    series = f.series(h.key)
    months = [m for m in f.months if m in series]
    if not months or any(is_suppressed(v) for v in series.values()):
        return "none"
    last = months[-1]
    history = [v for m, v in series.items() if m < last]
    result = spc(history, series[last])
    if result is None:
        return "none"
    if not result.special_cause:
        return "common"
    high = series[last] > result.mean
    side = "high" if high else "low"
    if h.good is None:
        return f"neither_{side}"
    better = (h.good == "up") == high
    return f"{'improvement' if better else 'concern'}_{side}"


def _assurance(f: Figures, h: Headline, profile: ForceProfile) -> str:
    """Where the benchmark sits against the XmR process limits of the monthly figures."""
    b = profile.benchmark_for(h.key)
    if b is None:
        return "none"
    series = [v for v in f.series(h.key).values() if not is_suppressed(v)]
    if len(series) < SPC_MIN_POINTS + 1:
        return "none"
    result = spc(series[:-1], series[-1])
    if result is None:
        return "none"
    if b.met(result.lower) and b.met(result.upper):
        return "pass"
    if not b.met(result.lower) and not b.met(result.upper):
        return "fail"
    return "hit_miss"


def _benchmark(f: Figures, h: Headline, profile: ForceProfile) -> tuple[str, str]:
    b = profile.benchmark_for(h.key)
    if b is None:
        return NO_BENCHMARK, ""
    scope = "fytd" if b.scope == "fytd" else "period"
    value = f.value(h.key, scope)
    if value is None or is_suppressed(value):
        return NO_BENCHMARK, "figure not available"
    side = "at most" if b.direction == "below" else "at least"
    where = "financial year to date" if scope == "fytd" else "the period"
    detail = (
        f"{f.fmt(h.key, scope)} over the {where}; {side} "
        f"{narrative.benchmark_text(b.value, f.unit(h.key))}"
    )
    return (MET if b.met(value) else NOT_MET), detail


def _row(f: Figures, h: Headline, profile: ForceProfile) -> SummaryRow | None:
    scope = h.scope
    value = f.value(h.key, scope)
    if value is None:
        return None
    prev_p, year_p = f.period.previous(), f.period.same_period_last_year()
    if scope == "at_date":
        then = f.value(h.key, "at_previous")
        year = f.value(h.key, "at_last_year")
        prev = change_cell(f, h.key, value, then, None) if then is not None else "–"
        last = (
            change_cell(f, h.key, value, year, None, check_jump=False) if year is not None else "–"
        )
    else:
        r = f.row(h.key, "period") or {}
        prev, last = "–", "–"
        if _covered(f, h.key, prev_p.months()) and len(prev_p.months()) == len(f.months):
            prev = change_cell(f, h.key, value, r.get("previous_value"), r.get("significant"))
        if _covered(f, h.key, year_p.months()):
            year = r.get("last_year_value")
            significant = None
            if (
                f.unit(h.key) == "count"
                and year is not None
                and not is_suppressed(value)
                and not is_suppressed(year)
            ):
                significant = poisson_test(float(value), float(year)) < 0.05
            last = change_cell(f, h.key, value, year, significant, check_jump=False)
    status, detail = _benchmark(f, h, profile)
    variation, assurance = _variation(f, h), _assurance(f, h, profile)
    reasons = []
    if status == NOT_MET:
        reasons.append("benchmark not met")
    if assurance == "fail":
        reasons.append("will keep missing it")
    if variation.startswith("concern"):
        reasons.append("special cause of concern")
    return SummaryRow(
        measure=h.key,
        label=h.label,
        value=f.fmt(h.key, scope),
        previous=prev,
        last_year=last,
        benchmark=status,
        benchmark_detail=detail,
        variation=variation,
        assurance=assurance,
        exception="; ".join(reasons),
    )


def summary_rows(f: Figures, profile: ForceProfile) -> list[SummaryRow]:
    """Every headline with a figure, exceptions first (otherwise in section order)."""
    rows = [r for h in HEADLINES if (r := _row(f, h, profile)) is not None]
    return sorted(rows, key=lambda r: not r.exception)


def executive_summary(f: Figures, profile: ForceProfile) -> Section:
    """The executive summary section: the exceptions in words, then the summary table."""
    rows = summary_rows(f, profile)
    prev_p, year_p = f.period.previous(), f.period.same_period_last_year()
    spec = SummarySpec(
        caption=f"Headline measures, {_span(f.period)}",
        period_label=_span(f.period),
        previous_label=_span(prev_p),
        last_year_label=_span(year_p),
        rows=tuple(rows),
        id="t-summary",
    )
    sec = Section("summary", "Executive Summary")
    exceptions = [r for r in rows if r.exception]
    if exceptions:
        items = [f"{r.label} ({r.value})" for r in exceptions]
        sec = sec.add_paragraph(
            "For the board's attention (first in the table, each with the reason): "
            f"{narrative.join_words(items)}."
        )
    else:
        which = (
            "The one headline measure does not need"
            if len(rows) == 1
            else f"None of the {len(rows):,} headline measures needs"
        )
        sec = sec.add_paragraph(
            f"{which} the board's attention: every benchmark is met and no month shows a "
            "special cause of concern."
        )
    sec = sec.add_paragraph(
        "A change the statistical test does not find significant is shown as broadly stable; "
        "headcounts compare the last day of each period."
    )
    return sec.add_summary(spec)
