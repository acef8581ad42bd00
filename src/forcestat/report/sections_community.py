"""Builders for the Special Constabulary and volunteers, and Community Speedwatch sections."""

from __future__ import annotations

from datetime import date, timedelta

from ..measures.relations import identity_of
from ..periods import add_months
from . import charts, narrative
from .figures import Figures
from .profile import ForceProfile
from .sections import _period_words
from .spec import Section, TableSpec
from .suppress import WITHHELD, is_suppressed

_CPV = identity_of("community_policing_volunteers")
_SPEEDWATCH = (
    "vehicles_detected_over_limit",
    "speedwatch_distinct_vehicles",
    "letters_sent",
    "addresses_attended_4th_detection",
    "drivers_5_plus_detections",
    "sorn_vehicles_to_dvla",
    "untaxed_vehicles_to_dvla",
)

#: The measures this module's sections read, by scope (see figures.SCOPES).
READS: dict[str, tuple[str, ...]] = {
    "month": ("letters_sent",),
    "period": ("special_constable_hours",),
    "fytd": ("specials_accepted_into_regular_force",),
    "at_date": (
        "specials_in_process_to_regular_force",
        "cpv_roles",
        "cpv_deployed",
        "special_constables",
        "special_constables_independent",
        "police_support_volunteers",
        "community_policing_volunteers",
        *(_CPV.parts if _CPV else ()),
    ),
    "ytd": _SPEEDWATCH,
    "last6": ("letters_sent_monthly_average",),
}

# -- 3. special constabulary and volunteers ------------------------------------------------------
#: rows shown only when the store holds their records (applications, CPV duties)
_OPTIONAL = frozenset({"specials_in_process_to_regular_force", "cpv_deployed"})
VOLUNTEER_ROWS = (
    ("Special Constables", "special_constables", "at_date"),
    ("Of whom independent", "special_constables_independent", "at_date"),
    ("Hours of policing by Special Constables", "special_constable_hours", "period"),
    ("Specials accepted into the regular force", "specials_accepted_into_regular_force", "fytd"),
    (
        "Specials in process to join the regular force",
        "specials_in_process_to_regular_force",
        "at_date",
    ),
    ("Police Support Volunteers", "police_support_volunteers", "at_date"),
    ("Community Policing Volunteers", "community_policing_volunteers", "at_date"),
    ("Of whom deployed (a duty in the last 90 days)", "cpv_deployed", "at_date"),
)


def _cpv_roles(f: Figures) -> list[tuple[str, str, float]]:
    """(role name, measure, headcount) for every CPV role with anyone in it."""
    out = []
    for key in sorted(_CPV.parts if _CPV else ()):
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
            (label, (f.fmt(key, scope), bases[scope]))
            for label, key, scope in VOLUNTEER_ROWS
            # figures of records a force may not keep are left out rather than shown as n/a
            if key not in _OPTIONAL or f.value(key, scope) is not None
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
        sentence = (
            f"At the end of {f.months[-1]:%B %Y}, the Special Constabulary stood at "
            f"{f.fmt('special_constables', 'at_date')}"
        )
        if ind is not None and ind is not WITHHELD:
            sentence += (
                f", with {f.fmt('special_constables_independent', 'at_date')} of those independent"
            )
        # compared with the end of the previous period, the day the board last saw
        prev = f.value("special_constables", "at_previous")
        before = f.period.start - timedelta(days=1)
        if prev is not None and not is_suppressed(prev) and not is_suppressed(sc):
            if prev == sc:
                sentence += f" (unchanged since {before:%-d %B %Y})"
            else:
                word = "down" if sc < prev else "up"
                sentence += (
                    f" ({word} from {f.format('special_constables', prev)} at {before:%-d %B %Y})"
                )
        sec = sec.add_paragraph(sentence + ".")
    hours = f.value("special_constable_hours", "period")
    if hours is not None:
        sec = sec.add_paragraph(
            f"During {_period_words(f)} Special Constables contributed "
            f"{f.fmt('special_constable_hours', 'period')} hours of policing."
        )
    accepted = f.value("specials_accepted_into_regular_force", "fytd")
    if accepted is not None:
        in_process = f.value("specials_in_process_to_regular_force", "at_date")
        more = (
            f", and {f.fmt('specials_in_process_to_regular_force', 'at_date')} more are in process"
            if in_process is not None and in_process is not WITHHELD
            else ""
        )
        sec = sec.add_paragraph(
            "In the financial year to date, "
            f"{f.fmt('specials_accepted_into_regular_force', 'fytd')}"
            f" Special Constables have been accepted into the regular force{more}."
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
            n_roles = f.value("cpv_roles", "at_date")
            if n_roles is not None and not is_suppressed(n_roles):
                in_roles = f" in {n_roles:,.0f} different roles"
            else:
                in_roles = f" in {len(roles)} different roles" if roles else ""
            number = f.fmt("community_policing_volunteers", "at_date")
            parts.append(
                f"Community Policing Volunteers{in_roles} (their number {number}, so that no "
                "role's can be worked out)"
                if cpv is WITHHELD
                else f"{number} Community Policing Volunteers{in_roles}"
            )
        deployed = f.value("cpv_deployed", "at_date")
        tail = (
            f"; {f.fmt('cpv_deployed', 'at_date')} Community Policing Volunteers were deployed"
            " in the last 90 days"
            if cpv is not None and deployed is not None and deployed is not WITHHELD
            else ""
        )
        sec = sec.add_paragraph(
            f"There are {narrative.join_words(parts)} working with {profile.name}{tail}."
        )
    if roles:
        # with a withheld role "Canine: fewer than 5" reads better than "fewer than 5 Canine"
        name_first = any(is_suppressed(v) for _, _, v in roles)
        role_text = narrative.join_words(
            [
                f"{n}: {f.format(k, v)}" if name_first else f"{f.format(k, v)} {n}"
                for n, k, v in roles
            ]
        )
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


def _repeat_offenders(f: Figures, v: dict[str, float | None]) -> str | None:
    """Addresses attended after a 4th detection and vehicles detected 5 or more times; a
    figure withheld from the public edition is named as not published, not as a number."""
    fourth, fifth = v["addresses_attended_4th_detection"], v["drivers_5_plus_detections"]
    if fourth is None or fifth is None:
        return None
    attended = (
        "Officers attended addresses to speak to the driver after a fourth detection (the "
        "number is not published)"
        if fourth is WITHHELD
        else f"Officers attended {f.fmt('addresses_attended_4th_detection', 'ytd')} addresses "
        "to speak to the driver after a fourth detection"
    )
    if fifth is WITHHELD:
        return (
            attended + "; the number of referrals at a fifth or later detection is not published."
        )
    return (
        f"{attended}, and on {f.fmt('drivers_5_plus_detections', 'ytd')} occasions a driver "
        "exceeded the limit for a fifth time or more and was referred for enforcement."
    )


# -- 4. community speedwatch ---------------------------------------------------------------------
SPEEDWATCH_ROWS = (
    ("Vehicles detected exceeding the limit", "vehicles_detected_over_limit"),
    ("Distinct vehicles detected", "speedwatch_distinct_vehicles"),
    ("Letters sent to drivers", "letters_sent"),
    ("Addresses attended (4th detection)", "addresses_attended_4th_detection"),
    ("Referrals at a 5th or later detection", "drivers_5_plus_detections"),
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
        if v["letters_sent"] is not None and v["letters_sent"] is not WITHHELD:
            s += f", with {f.fmt('letters_sent', 'ytd')} letters sent to drivers"
        sec = sec.add_paragraph(s + ".")
    avg = f.value("letters_sent_monthly_average", "last6")
    first_of_six = add_months(f.months[-1], -5)
    if avg is not None and all(f.covered("letters_sent", m) for m in (first_of_six, f.months[-1])):
        sec = sec.add_paragraph(
            f"Over the last 6 months ({narrative.span_phrase(first_of_six, f.months[-1])}) "
            f"{narrative.per_month_phrase(avg, 'letters')} were sent to speeding drivers."
        )
    sec = sec.add_paragraph(_repeat_offenders(f, v))
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
    known = [
        (m, x)
        for m, x in zip(months, letters, strict=True)
        if x is not None and not is_suppressed(x)
    ]
    if known:
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
                    f" the most was {narrative.plain(hi[1])} in {hi[0]:%B %Y}; "
                    f"{known[-1][0]:%B %Y}: {narrative.plain(known[-1][1])}."
                ),
                chart_id="c-speedwatch",
                highlight=f.months,
            )
        )
    return sec
