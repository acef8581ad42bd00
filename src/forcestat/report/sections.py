"""One builder per section of the board paper, in the seed report's order.

Each builder reads evaluated figures (:class:`~forcestat.report.figures.Figures`) and the force
profile, and returns a :class:`~forcestat.report.spec.Section` with its table, chart and
narrative. No builder computes a figure; sentences come from :mod:`.narrative`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ..periods import add_months, fy_start_year, parse_period
from . import charts, narrative
from .figures import Figures, month_name
from .profile import ForceProfile
from .spec import Section, TableSpec

CALL_ROWS = (
    ("Calls Received", "received"),
    ("Calls Answered", "answered"),
    ("Calls Not Answered", "not_answered"),
    ("% Not Answered", "pct_not_answered"),
    ("Average Queuing Time", "avg_queue_seconds"),
    ("Average Talk Time", "avg_talk_seconds"),
)
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
    sentence = narrative.describe_change(
        subject,
        f.value(measure, "period"),
        r.get("previous_value"),
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
    if value is None:
        return None
    before = f.value(measure, "fytd_before") if scope == "fytd" else None
    return narrative.benchmark_sentence(
        subject,
        f.fmt(measure, scope),
        b.met(value),
        b.label,
        narrative.benchmark_text(b.value, f.unit(measure)),
        met_before=None if before is None else b.met(before),
    )


# -- 1. neighbourhood ----------------------------------------------------------------------------
def neighbourhood(f: Figures, profile: ForceProfile) -> Section:
    """Districts, and school officers with the schools they cover (from the force profile)."""
    n = len(profile.districts)
    as_at = profile.schools_as_at or f"{f.at_date:%Y-%m-%d}"
    now = f"As at {parse_period(as_at).start:%-d %B %Y}" if as_at else "Now"

    def cell(v: int | None) -> str:
        return "–" if v is None else f"{v:,}"

    table = TableSpec(
        caption="Neighbourhood policing and school officers",
        stub_header="Neighbourhood policing",
        columns=("Previously reported", now),
        rows=(
            ("Districts", ("", cell(n))),
            (
                "School Officers",
                (cell(profile.earlier_school_officers), cell(profile.school_officers)),
            ),
            (
                "Schools Covered",
                (cell(profile.earlier_schools_covered), cell(profile.schools_covered)),
            ),
        ),
        id="t-neighbourhood",
        note=f"Source: force profile ({profile.source}).",
    )
    sec = Section("neighbourhood", "Neighbourhood Policing and School Officers")
    sec = sec.add_paragraph(
        f"Each of the {n} districts is served by its own dedicated Local Policing Team and "
        f"Community Safety Unit: {narrative.join_words(list(profile.districts))}."
        if n
        else None
    )
    sec = sec.add_paragraph(_schools_sentence(profile))
    sec = sec.add_table(table)
    if profile.school_officers is not None and profile.schools_covered is not None:
        earlier = (profile.earlier_school_officers, profile.earlier_schools_covered)
        cats, vals, groups = [], [], []
        for label, before, after in (
            ("School officers", earlier[0], profile.school_officers),
            ("Schools covered", earlier[1], profile.schools_covered),
        ):
            if before is not None:
                cats.append(label)
                vals.append(before)
                groups.append("Previously reported")
            cats.append(label)
            vals.append(after)
            groups.append("Now")
        sec = sec.add_chart(
            charts.category_bars(
                "School officers and the schools they cover",
                cats,
                vals,
                x_title="Number",
                alt_text=_schools_sentence(profile) or "",
                chart_id="c-schools",
                groups=groups,
            )
        )
    return sec


def _schools_sentence(profile: ForceProfile) -> str | None:
    if profile.school_officers is None or profile.schools_covered is None:
        return None
    s = (
        f"The School Officers Team is made up of {profile.school_officers} officers covering "
        f"{profile.schools_covered} schools"
    )
    eo, es = profile.earlier_school_officers, profile.earlier_schools_covered
    if eo is not None and es is not None:
        s += f", compared with {eo} officers across {es} schools previously reported"
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
    if per_month:
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
                f, "s136_detentions", f"Detentions under s.136 over {_period_words(f)}"
            ),
        ]
    )
    sec = sec.add_table(s136_grid(f))
    if history:
        first, last = min(history), max(history)
        hi = max(history, key=lambda m: history[m])
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


# -- 3. special constabulary and volunteers ------------------------------------------------------
VOLUNTEER_ROWS = (
    ("Special Constables", "special_constables", "at_date"),
    ("Of whom independent", "special_constables_independent", "at_date"),
    ("Hours of policing by Special Constables", "special_constable_hours", "period"),
    ("Specials accepted into the regular force", "specials_accepted_into_regular_force", "fytd"),
    ("Police Support Volunteers", "police_support_volunteers", "at_date"),
    ("Community Policing Volunteers", "community_policing_volunteers", "at_date"),
)


def _cpv_roles(f: Figures) -> list[tuple[str, str, float]]:
    """(role name, measure, headcount) for every CPV role with anyone in it."""
    out = []
    for key in sorted({str(m) for m in f.frame["measure"] if str(m).startswith("cpv_")}):
        v = f.value(key, "at_date")
        if v:
            name = key.removeprefix("cpv_").replace("_", " ")
            name = "PCSO" if name == "pcso" else name.title().replace(" Unit", " Unit")
            out.append((name, key, v))
    return out


def volunteers(f: Figures, profile: ForceProfile) -> Section:
    """Special Constabulary headcount and hours, PSVs and CPVs by role."""
    bases = {
        "at_date": f"at {f.at_date:%-d %B %Y}",
        "period": _period_words(f),
        "fytd": f"financial year to {f.months[-1]:%B %Y}",
    }
    table = TableSpec(
        caption=f"Special Constabulary and volunteers, {_period_words(f)}",
        stub_header="Citizens in Policing",
        columns=("Figure", "Basis"),
        rows=tuple(
            (label, (f.fmt(key, scope), bases[scope])) for label, key, scope in VOLUNTEER_ROWS
        ),
        id="t-volunteers",
    )
    roles = _cpv_roles(f)
    sec = Section("volunteers", "Special Constabulary and Volunteers")
    sc, ind = (
        f.value("special_constables", "at_date"),
        f.value("special_constables_independent", "at_date"),
    )
    if sc is not None:
        r = f.row("special_constables", "at_date") or {}
        sentence = (
            f"At the end of {f.months[-1]:%B %Y}, the Special Constabulary stood at "
            f"{f.fmt('special_constables', 'at_date')}"
        )
        if ind is not None:
            sentence += (
                f", with {f.fmt('special_constables_independent', 'at_date')} of those independent"
            )
        prev = r.get("previous_value")
        if prev is not None and prev != sc:
            word = "down" if sc < prev else "up"
            sentence += f" ({word} from {f.format('special_constables', prev)} a month earlier)"
        sec = sec.add_paragraph(sentence + ".")
    hours = f.value("special_constable_hours", "period")
    if hours is not None:
        sec = sec.add_paragraph(
            f"During {_period_words(f)} Special Constables contributed "
            f"{f.fmt('special_constable_hours', 'period')} hours of policing."
        )
    accepted = f.value("specials_accepted_into_regular_force", "fytd")
    if accepted is not None:
        sec = sec.add_paragraph(
            "In the financial year to date, "
            f"{f.fmt('specials_accepted_into_regular_force', 'fytd')}"
            " Special Constables have been accepted into the regular force."
        )
    psv, cpv = (
        f.value("police_support_volunteers", "at_date"),
        f.value("community_policing_volunteers", "at_date"),
    )
    if psv is not None or cpv is not None:
        parts = []
        if psv is not None:
            parts.append(
                f"{f.fmt('police_support_volunteers', 'at_date')} Police Support Volunteers"
            )
        if cpv is not None:
            in_roles = f" in {len(roles)} different roles" if roles else ""
            parts.append(
                f"{f.fmt('community_policing_volunteers', 'at_date')} "
                f"Community Policing Volunteers{in_roles}"
            )
        sec = sec.add_paragraph(
            f"There are {narrative.join_words(parts)} working with {profile.name}."
        )
    if roles:
        role_text = narrative.join_words([f"{f.format(k, v)} {n}" for n, k, v in roles])
        sec = sec.add_paragraph(f"Community Policing Volunteers by role: {role_text}.")
    sec = sec.add_table(table)
    if roles:
        sec = sec.add_table(
            TableSpec(
                caption=f"Community Policing Volunteers by role, at {f.at_date:%-d %B %Y}",
                stub_header="Role",
                columns=("Volunteers",),
                rows=tuple((n, (f.format(k, v),)) for n, k, v in roles),
                id="t-cpv",
                compact=True,
            )
        )
        sec = sec.add_chart(
            charts.category_bars(
                "Community Policing Volunteers by role",
                [n for n, _, _ in roles],
                [v for _, _, v in roles],
                x_title="Volunteers",
                alt_text=f"Community Policing Volunteers by role at {f.at_date:%-d %B %Y}: "
                f"{role_text}.",
                chart_id="c-cpv",
            )
        )
    return sec


# -- 4. community speedwatch ---------------------------------------------------------------------
SPEEDWATCH_ROWS = (
    ("Vehicles detected exceeding the limit", "vehicles_detected_over_limit"),
    ("Distinct vehicles detected", "speedwatch_distinct_vehicles"),
    ("Letters sent to drivers", "letters_sent"),
    ("Addresses attended (4th detection)", "addresses_attended_4th_detection"),
    ("Vehicles detected 5 or more times", "drivers_5_plus_detections"),
    ("SORN vehicles passed to DVLA", "sorn_vehicles_to_dvla"),
    ("Untaxed vehicles passed to DVLA", "untaxed_vehicles_to_dvla"),
)


def speedwatch(f: Figures, profile: ForceProfile) -> Section:
    """Community Speedwatch over the calendar year to date, and letters by month."""
    ytd = narrative.span_phrase(date(f.months[-1].year, 1, 1), f.months[-1])
    table = TableSpec(
        caption=f"Community Speedwatch, {ytd}",
        stub_header="Community Speedwatch",
        columns=(ytd,),
        rows=tuple((label, (f.fmt(key, "ytd"),)) for label, key in SPEEDWATCH_ROWS),
        id="t-speedwatch",
    )
    sec = Section("speedwatch", "Community Speedwatch")
    v = {key: f.value(key, "ytd") for _, key in SPEEDWATCH_ROWS}
    if v["vehicles_detected_over_limit"] is not None:
        s = (
            f"So far this year ({ytd}) volunteers have detected "
            f"{f.fmt('vehicles_detected_over_limit', 'ytd')} vehicles exceeding the limit"
        )
        if v["letters_sent"] is not None:
            s += f", with {f.fmt('letters_sent', 'ytd')} letters sent to drivers"
        sec = sec.add_paragraph(s + ".")
    avg = f.value("letters_sent_monthly_average", "last6")
    first_of_six = add_months(f.months[-1], -5)
    if avg is not None and all(f.covered("letters_sent", m) for m in (first_of_six, f.months[-1])):
        sec = sec.add_paragraph(
            f"Over the last 6 months ({narrative.span_phrase(first_of_six, f.months[-1])}) "
            f"{narrative.per_month_phrase(avg, 'letters')} were sent to speeding drivers."
        )
    if (
        v["addresses_attended_4th_detection"] is not None
        and v["drivers_5_plus_detections"] is not None
    ):
        sec = sec.add_paragraph(
            f"Officers attended {f.fmt('addresses_attended_4th_detection', 'ytd')} addresses to "
            "speak to the driver after a fourth detection, and "
            f"{f.fmt('drivers_5_plus_detections', 'ytd')} vehicles exceeded the limit on 5 or "
            "more occasions."
        )
    if v["sorn_vehicles_to_dvla"] is not None and v["untaxed_vehicles_to_dvla"] is not None:
        sorn = v["sorn_vehicles_to_dvla"]
        sec = sec.add_paragraph(
            f"{f.fmt('sorn_vehicles_to_dvla', 'ytd')} "
            f"{'vehicle' if sorn == 1 else 'vehicles'} detected as SORN and "
            f"{f.fmt('untaxed_vehicles_to_dvla', 'ytd')} as untaxed "
            f"{'has' if (sorn or 0) + (v['untaxed_vehicles_to_dvla'] or 0) == 1 else 'have'} "
            "been passed to the DVLA."
        )
    sec = sec.add_table(table)
    months = f.trend_for("letters_sent")
    letters = f.monthly("letters_sent", months)
    if any(x is not None for x in letters):
        known = [(m, x) for m, x in zip(months, letters, strict=True) if x is not None]
        hi = max(known, key=lambda p: p[1])
        sec = sec.add_chart(
            charts.monthly_bars(
                "Speedwatch letters sent to drivers a month, "
                + narrative.span_phrase(months[0], months[-1]),
                months,
                letters,
                y_title="Letters",
                alt_text=(
                    f"Speedwatch letters sent a month from {months[0]:%B %Y} to {months[-1]:%B %Y};"
                    f" the most was {narrative.plain(hi[1])} in {hi[0]:%B %Y}, and "
                    f"{narrative.plain(known[-1][1])} in {known[-1][0]:%B %Y}."
                ),
                chart_id="c-speedwatch",
                highlight=f.months,
            )
        )
    return sec
