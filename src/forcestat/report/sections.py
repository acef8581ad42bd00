"""One builder per section of the board paper, in the seed report's order.

Each builder reads evaluated figures (:class:`~forcestat.report.figures.Figures`) and the force
profile, and returns a :class:`~forcestat.report.spec.Section` with its table, chart and
narrative. No builder computes a figure; sentences come from :mod:`.narrative`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..measures.contact import CALL_PARTS
from ..periods import add_months, fy_start_year, parse_period
from . import charts, narrative
from .figures import Figures, month_name
from .profile import ForceProfile
from .spec import Section, TableSpec
from .suppress import UNDER_FIVE, is_small, is_suppressed

CALL_ROWS = tuple(
    zip(
        (
            "Calls Received",
            "Calls Answered",
            "Calls Not Answered",
            "% Not Answered",
            "Average Queuing Time",
            "Average Talk Time",
        ),
        CALL_PARTS,
        strict=True,
    )
)
_S136 = ("s136_detentions", "s136_detentions_monthly_average")

#: The measures this module's sections read, by scope (see figures.SCOPES).
READS: dict[str, tuple[str, ...]] = {
    "at_date": ("school_officers", "schools_covered"),  # and as previously reported
    "month": ("s136_detentions",),
    "period": _S136,
    "fytd": _S136,
    "history": ("s136_detentions",),
    "fy": _S136,
}
FY_MONTHS = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")


def _formatter(f: Figures, measure: str) -> Callable[[float], str]:
    return lambda v: f.format(measure, v)


def _month_columns(f: Figures) -> tuple[str, ...]:
    return tuple(month_name(m, short=True) for m in f.months)


def _monthly_row(f: Figures, label: str, measure: str) -> tuple[str, tuple[str, ...]]:
    return label, tuple(f.format(measure, v) for v in f.monthly(measure, f.months))


def _period_words(f: Figures) -> str:
    return narrative.span_phrase(f.months[0], f.months[-1])


def _previous_words(f: Figures) -> str:
    prev = f.period.previous().months()
    return "in " + narrative.span_phrase(prev[0], prev[-1])


def _fytd_words(f: Figures) -> str:
    start = date(fy_start_year(f.months[-1]), 4, 1)
    return narrative.span_phrase(start, f.months[-1])


def _compare_period(
    f: Figures, measure: str, subject: str, good: str | None = None, per_month: bool = False
) -> str | None:
    """The period against the previous one, as the engine's significance flag allows."""
    r = f.row(measure, "period")
    if r is None:
        return None
    previous = f.period.previous().months()
    if len(previous) != len(f.months) and f.unit(measure) in ("count", "hours"):
        return None  # a total over 7 months against one over 6 says nothing
    gaps = [m for m in [*previous, *f.months] if not f.covered(measure, m)]
    first = f.first_covered(measure)
    if gaps and (first is None or all(m < first for m in gaps)):
        return None  # records start with this period: there is nothing to compare with
    if gaps:
        # a month with no records would read as a fall: say so instead of comparing
        return (
            f"{narrative.capitalise(subject)}: no records are held for "
            f"{narrative.months_phrase(gaps)}, so no comparison is made."
        )
    now, then = f.value(measure, "period"), r.get("previous_value")
    if f.unit(measure) == "count" and narrative.implausible_change(now, then):
        # a doubling or halving between quarters says the records are incomplete: not narrated
        return (
            f"{narrative.capitalise(subject)} is not compared with the previous period: "
            f"the records give {f.format(measure, then)} {_previous_words(f)}, a change too "
            "large to be real demand, which suggests incomplete records."
        )
    sentence = narrative.describe_change(
        subject,
        now,
        then,
        r.get("significant"),
        _formatter(f, measure),
        against=_previous_words(f),
        good=good,
    )
    change = r.get("change")
    if per_month and sentence and r.get("significant") is True and change:
        word = "increase" if change > 0 else "decrease"
        sentence += (
            f" This is an average {word} of {narrative.plain(abs(change) / len(f.months))} a "
            "month compared with the previous reporting period."
        )
    return sentence


def _benchmark_sentence(
    f: Figures, profile: ForceProfile, measure: str, subject: str
) -> str | None:
    b = profile.benchmark_for(measure)
    if b is None:
        return None
    scope = {"fytd": "fytd", "period": "period"}.get(b.scope, "fytd")
    value = f.value(measure, scope)
    if value is None or is_suppressed(value):
        return None  # a withheld figure cannot be said to meet or miss a benchmark
    before = f.value(measure, "fytd_before") if scope == "fytd" else None
    if before is not None and is_suppressed(before):
        before = None
    return narrative.benchmark_sentence(
        subject,
        f.fmt(measure, scope),
        b.met(value),
        b.label,
        narrative.benchmark_text(b.value, f.unit(measure)),
        met_before=None if before is None else b.met(before),
    )


# -- 1. neighbourhood ----------------------------------------------------------------------------
_SCHOOLS = ("school_officers", "schools_covered")


@dataclass(frozen=True)
class SchoolOfficers:
    """School officers and schools covered, now and as previously reported, with where the
    figures come from: the school officer assignments when the store holds them, else the
    force profile. Values may be suppression marks (public edition)."""

    officers: Any
    schools: Any
    earlier_officers: Any
    earlier_schools: Any
    now_label: str
    earlier_label: str
    source: str
    from_records: bool


def school_officers(f: Figures, profile: ForceProfile) -> SchoolOfficers | None:
    """The school officers figures of the report (None: neither records nor profile give
    them)."""
    officers, schools = (f.value(k, "at_date") for k in _SCHOOLS)
    if officers is not None and schools is not None:
        return SchoolOfficers(
            officers,
            schools,
            f.value("school_officers", "at_previous"),
            f.value("schools_covered", "at_previous"),
            now_label=f"At {f.at_date:%-d %B %Y}",
            earlier_label=f"At {f.period.start - timedelta(days=1):%-d %B %Y}",
            source="Source: school officer assignments (records).",
            from_records=True,
        )
    if profile.school_officers is None or profile.schools_covered is None:
        return None
    as_at = profile.schools_as_at or f"{f.at_date:%Y-%m-%d}"

    def held(v: int | None) -> Any:
        if v is not None and f.public and is_small(v, "count"):
            return UNDER_FIVE  # the public edition holds the profile's counts to the rule too
        return v

    return SchoolOfficers(
        held(profile.school_officers),
        held(profile.schools_covered),
        held(profile.earlier_school_officers),
        held(profile.earlier_schools_covered),
        now_label=f"As at {parse_period(as_at).start:%-d %B %Y}",
        earlier_label="Previously reported",
        source=f"Source: force profile ({profile.source}).",
        from_records=False,
    )


def _school_cell(v: Any) -> str:
    if is_suppressed(v):
        return str(v.mark)
    return "–" if v is None else f"{v:,.0f}"


def neighbourhood(f: Figures, profile: ForceProfile) -> Section:
    """Districts, and school officers with the schools they cover (from the school officer
    assignments when the store holds them, else from the force profile)."""
    n = len(profile.districts)
    so = school_officers(f, profile)
    rows: list[tuple[str, tuple[str, ...]]] = [
        # the number of districts is geography the force publishes, not a count of
        # people or events: the public edition shows it as it is
        ("Districts", ("", f"{n:,}" if n else "–")),
    ]
    if so is not None:
        rows += [
            ("School Officers", (_school_cell(so.earlier_officers), _school_cell(so.officers))),
            ("Schools Covered", (_school_cell(so.earlier_schools), _school_cell(so.schools))),
        ]
    table = TableSpec(
        caption="Neighbourhood policing and school officers",
        stub_header="Neighbourhood policing",
        columns=(
            so.earlier_label if so else "Previously reported",
            so.now_label if so else "Now",
        ),
        rows=tuple(rows),
        id="t-neighbourhood",
        note=so.source if so else f"Source: force profile ({profile.source}).",
    )
    sec = Section("neighbourhood", "Neighbourhood Policing and School Officers")
    sec = sec.add_paragraph(
        f"Each of the {n} districts is served by its own dedicated Local Policing Team and "
        f"Community Safety Unit: {narrative.join_words(list(profile.districts))}."
        if n
        else None
    )
    values = (so.officers, so.schools, so.earlier_officers, so.earlier_schools) if so else ()
    small = any(is_suppressed(v) for v in values)
    sec = sec.add_paragraph(None if small or so is None else _schools_sentence(so))
    sec = sec.add_table(table)
    if so is not None and not small and so.officers is not None and so.schools is not None:
        cats, vals, groups = [], [], []
        for label, before, after in (
            ("School officers", so.earlier_officers, so.officers),
            ("Schools covered", so.earlier_schools, so.schools),
        ):
            if before is not None:
                cats.append(label)
                vals.append(before)
                groups.append(so.earlier_label)
            cats.append(label)
            vals.append(after)
            groups.append(so.now_label)
        sec = sec.add_chart(
            charts.category_bars(
                "School officers and the schools they cover",
                cats,
                vals,
                x_title="Number",
                alt_text=_schools_sentence(so) or "",
                chart_id="c-schools",
                groups=groups,
            )
        )
    return sec


def _schools_sentence(so: SchoolOfficers) -> str | None:
    if so.officers is None or so.schools is None:
        return None
    s = (
        f"The School Officers Team is made up of {so.officers:,.0f} officers covering "
        f"{so.schools:,.0f} schools"
    )
    eo, es = so.earlier_officers, so.earlier_schools
    if eo is not None and es is not None:
        when = (
            f"on {so.earlier_label.removeprefix('At ')}"
            if so.from_records
            else "previously reported"
        )
        s += f", compared with {eo:,.0f} officers across {es:,.0f} schools {when}"
    return s + "."


# -- 2. mental health and s.136 ------------------------------------------------------------------
def _fy_short(start_year: int) -> str:
    return f"FY {start_year % 100:02d}/{(start_year + 1) % 100:02d}"


def _fy_values(f: Figures, measure: str) -> dict[int, float]:
    out: dict[int, float] = {}
    for _, r in f.rows(measure, "fy").iterrows():  # a dozen rows
        start = parse_period(str(r["period"])).start
        v = f.value(measure, "fy", str(r["period"]))
        if v is not None:
            out[fy_start_year(start)] = v
    return out


def s136_grid(f: Figures) -> TableSpec:
    """The month by financial-year table of detentions with totals, laid out like the seed's."""
    history = f.history("s136_detentions")
    end = f.months[-1]
    first = min(history) if history else f.months[0]
    years = list(range(fy_start_year(first), fy_start_year(end) + 1))
    rows: list[tuple[str, tuple[str, ...]]] = []
    for i, name in enumerate(FY_MONTHS):
        cells = []
        for y in years:
            m = add_months(date(y, 4, 1), i)
            if m > end or m < first:
                cells.append("")  # not yet happened, or before records began
            elif m in history:
                cells.append(f.format("s136_detentions", history[m]))
            else:
                cells.append("–")  # no records that month: missing, not zero
        rows.append((name, tuple(cells)))
    totals = _fy_values(f, "s136_detentions")
    averages = _fy_values(f, "s136_detentions_monthly_average")
    avg = "s136_detentions_monthly_average"
    rows.append(("Total", tuple(f.format("s136_detentions", totals.get(y)) for y in years)))
    rows.append(("Average a month", tuple(f.format(avg, averages.get(y)) for y in years)))
    partial = fy_start_year(end)
    note = (
        f"{_fy_short(partial)} is to {end:%B %Y}. A dash marks a month with no records "
        "(missing, not zero)."
    )
    return TableSpec(
        caption="Section 136 detentions by month and financial year",
        stub_header="F/Y Total Sec 136 detentions",
        columns=tuple(_fy_short(y) for y in years),
        rows=tuple(rows),
        total_rows=2,
        id="t-s136",
        note=note,
        compact=True,
    )


def mental_health(f: Figures, profile: ForceProfile) -> Section:
    """s.136 detentions: record months, financial-year averages, the grid and the history chart."""
    history = f.history("s136_detentions")
    found = narrative.find_record(history, f.months)
    marked = list(found.months) if found else []
    record = narrative.describe_record(found) if found else None
    fy_avg = _fy_values(f, "s136_detentions_monthly_average")
    current = fy_start_year(f.months[-1])
    past = [(f"FY{y}/{(y + 1) % 100:02d}", fy_avg[y]) for y in sorted(fy_avg) if y < current][-3:]
    fytd_total = f.value("s136_detentions", "fytd")
    fytd_avg = f.value("s136_detentions_monthly_average", "fytd")
    per_month = narrative.per_month_phrase(fytd_avg, "detentions")
    fytd_sentence = None
    if per_month and not is_suppressed(fytd_total):
        total = "" if fytd_total is None else f"{f.fmt('s136_detentions', 'fytd')} detentions, "
        fytd_sentence = (
            f"Over the financial year to date ({_fytd_words(f)}) there have been {total}"
            f"{per_month}."
        )
    sec = Section("mental-health", "Mental Health and Section 136 (s.136) Detentions")
    sec = sec.add_paragraphs(
        [
            "The table below shows the volume of s.136 detentions since the force started "
            "recording." + (f" {record}" if record else ""),
            narrative.averages_sentence("detentions", past),
            fytd_sentence,
            _compare_period(
                f, "s136_detentions", f"The number of s.136 detentions in {_period_words(f)}"
            ),
        ]
    )
    sec = sec.add_table(s136_grid(f))
    shown = {m: v for m, v in history.items() if not is_suppressed(v)}
    if shown:
        first, last = min(history), max(history)
        hi = max(shown, key=lambda m: shown[m])
        alt_text = (
            f"Monthly s.136 detentions from {first:%B %Y} to {last:%B %Y}; the highest was "
            f"{narrative.plain(history[hi])} in {hi:%B %Y}."
        )
        label = ""
        reference = None
        if found and record:
            low = history[marked[-1]]
            since = found.since
            alt_text += f" {record.rstrip('.')}, at {narrative.plain(low)} a month"
            if since is not None:
                alt_text += f" ({since:%B %Y}: {narrative.plain(history[since])})"
                reference = (since, f"{since:%B %Y}: {narrative.plain(history[since])}")
            alt_text += "."
            label = f"{narrative.months_phrase(marked)}: {narrative.plain(low)}"
        sec = sec.add_chart(
            charts.history_with_records(
                f"s.136 detentions a month, {first:%B %Y} to {last:%B %Y}",
                history,
                marked,
                y_title="Detentions",
                alt_text=alt_text,
                chart_id="c-s136",
                record_label=label,
                reference=reference,
            )
        )
    return sec
