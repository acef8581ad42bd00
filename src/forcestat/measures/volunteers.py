"""Volunteer measures: special constables, police support volunteers (PSV), community policing
volunteers (CPV). Headcounts are taken at the period's last day."""

from __future__ import annotations

from typing import Any

from ..schema.volunteers import CPV_ROLES
from .base import Count, Expr, Headcount, Measure, Source, Split, Sum, table

VOLUNTEERS = table("volunteers")
SPECIAL = Expr("kind_special", lambda t: t.kind == "special", "kind is 'special'")
PSV = Expr("kind_psv", lambda t: t.kind == "psv", "kind is 'psv'")
CPV = Expr("kind_cpv", lambda t: t.kind == "cpv", "kind is 'cpv'")
INDEPENDENT = Expr(
    "independent", lambda t: t.independent.fill_null(False), "independent patrol status"
)
ACCEPTED = Expr("status_accepted", lambda t: t.status == "accepted", "status is 'accepted'")
DECIDED_MONTH = Expr("decided_on_month", lambda t: t.decided_on.truncate("M"), "month decided")
APPLICATIONS_BY_DECISION = table(
    "regular_force_applications",
    month=DECIDED_MONTH,
    text="regular_force_applications, by month of decided_on",
)
APPLICATIONS = table("regular_force_applications")
ROLE = Expr("role_or_other", lambda t: t.role.fill_null("other"), "role (empty: 'other')")
VOLUNTEER = Expr("volunteer_id", lambda t: t.volunteer_id, "volunteer_id")
#: a community policing volunteer is deployed at D with a duty in the DEPLOYED_DAYS to D
DEPLOYED_DAYS = 90


def _cpv_duties(con):  # type: ignore[no-untyped-def]
    """Each CPV duty, current from its day for DEPLOYED_DAYS (or until the volunteer left)."""
    import ibis  # lazily: the catalogue loads without Ibis (the CLI's help stays light)

    duties = con.table("volunteer_duties")
    people = con.table("volunteers")
    people = people.filter(people.kind == "cpv").select("volunteer_id", "left_on")
    t = duties.inner_join(people, "volunteer_id")
    ends = t.duty_date + ibis.interval(days=DEPLOYED_DAYS)
    return t.mutate(
        deployed_until=ibis.ifelse(t.left_on.notnull() & (t.left_on < ends), t.left_on, ends)
    )


CPV_DUTIES = Source(
    "volunteer_duties_of_cpvs",
    ("volunteer_duties", "volunteers"),
    _cpv_duties,
    text=f"volunteer_duties of community policing volunteers, each current {DEPLOYED_DAYS} days",
)


def _specials_duties(con):  # type: ignore[no-untyped-def]
    duties = con.table("volunteer_duties")
    specials = con.table("volunteers")
    specials = specials.filter(specials.kind == "special").select("volunteer_id")
    return duties.semi_join(specials, "volunteer_id")


SPECIALS_DUTIES = Source(
    "volunteer_duties_of_specials",
    ("volunteer_duties", "volunteers"),
    _specials_duties,
    text="volunteer_duties rows of special constables",
)
HOURS = Expr("hours", lambda t: t.hours, "hours of duty")


def _duties_with_roles(con):  # type: ignore[no-untyped-def]
    duties = con.table("volunteer_duties")
    people = con.table("volunteers")
    # one row per volunteer; min() rather than distinct(keep="first"), which has no defined
    # order and compiles to FIRST(), a function PostgreSQL lacks
    people = people.group_by("volunteer_id").aggregate(
        kind=people.kind.min(), role=people.role.min()
    )
    return duties.left_join(people, "volunteer_id")


DUTIES = Source(
    "volunteer_duties_with_roles",
    ("volunteer_duties", "volunteers"),
    _duties_with_roles,
    text="volunteer_duties, with each volunteer's kind and role",
)
_v: dict[str, Any] = {"family": "volunteers", "source": VOLUNTEERS}
_at = "at the period's last day D: joined_on <= D and (left_on empty or left_on > D)"


def _role(role: str) -> Expr:
    if role == "other":  # every CPV has exactly one role: 'other' takes the rest
        named = [r for r in CPV_ROLES if r != "other"]
        return Expr(
            "role_other",
            lambda t: t.role.isnull() | ~t.role.isin(named),
            f"role is 'other', empty or none of {', '.join(repr(r) for r in named)}",
        )
    return Expr(f"role_{role}", lambda t: t.role == role, f"role is '{role}'")


ROLES = {role: _role(role) for role in CPV_ROLES}

#: Every community policing volunteer has one role: the roles add up to the CPVs.
SPLITS = (Split(CPV, tuple(ROLES.values())),)


MEASURES = [
    Measure(
        "special_constables",
        "Special constables",
        "count",
        aggregate=Headcount(SPECIAL),
        good="up",
        definition=f"Headcount of special constables (kind 'special') {_at}.",
        **_v,
    ),
    Measure(
        "special_constables_independent",
        "Special constables with independent patrol status",
        "count",
        aggregate=Headcount(SPECIAL & INDEPENDENT, since=("joined_on", "independent_from")),
        good="up",
        definition=f"Special constables on strength {_at}, with independent = true and"
        " independent_from empty or on or before D.",
        **_v,
    ),
    Measure(
        "special_constable_hours",
        "Special constable hours",
        "hours",
        family="volunteers",
        source=SPECIALS_DUTIES,
        aggregate=Sum(HOURS),
        good="up",
        definition="Sum of volunteer_duties.hours with duty_date in the period, for volunteers"
        " of kind 'special'.",
    ),
    Measure(
        "volunteer_hours",
        "Hours given by special constables and volunteers",
        "hours",
        family="volunteers",
        source=DUTIES,
        aggregate=Sum(HOURS),
        good="up",
        breakdowns=("activity", "kind", "role", "district"),
        definition="Sum of volunteer_duties.hours with duty_date in the period, every kind of"
        " volunteer; break it down by activity, kind (special, psv, cpv), role or district.",
    ),
    Measure(
        "specials_accepted_into_regular_force",
        "Specials accepted into the regular force",
        "count",
        family="volunteers",
        source=APPLICATIONS_BY_DECISION,
        aggregate=Count(ACCEPTED),
        good="up",
        coverage="always",
        definition="regular_force_applications with status 'accepted' whose decided_on falls"
        " in the period (the board's 'to 2022-10' reads as FY2022/23 to 2022-10).",
    ),
    Measure(
        "specials_in_process_to_regular_force",
        "Specials in process to join the regular force",
        "count",
        family="volunteers",
        source=APPLICATIONS,
        aggregate=Headcount(since=("applied_on",), until="decided_on"),
        good="up",
        definition="regular_force_applications in process at the period's last day D:"
        " applied_on <= D and decided_on empty or after D (whatever was decided later).",
    ),
    Measure(
        "police_support_volunteers",
        "Police support volunteers",
        "count",
        aggregate=Headcount(PSV),
        good="up",
        definition=f"Headcount of police support volunteers (kind 'psv') {_at}.",
        **_v,
    ),
    Measure(
        "community_policing_volunteers",
        "Community policing volunteers",
        "count",
        aggregate=Headcount(CPV),
        good="up",
        definition=f"Headcount of community policing volunteers (kind 'cpv') {_at}.",
        **_v,
    ),
    Measure(
        "cpv_roles",
        "Community policing volunteer roles",
        "count",
        aggregate=Headcount(CPV, value=ROLE),
        definition=f"Distinct roles of the community policing volunteers on strength {_at}"
        " (an empty role counts as 'other').",
        **_v,
    ),
    Measure(
        "cpv_deployed",
        "Community policing volunteers deployed",
        "count",
        family="volunteers",
        source=CPV_DUTIES,
        aggregate=Headcount(since=("duty_date",), until="deployed_until", value=VOLUNTEER),
        good="up",
        definition="Distinct community policing volunteers with a volunteer_duties row in the"
        f" {DEPLOYED_DAYS} days to the period's last day D (D - {DEPLOYED_DAYS - 1} to D), who"
        " had not left by D.",
    ),
    *[
        Measure(
            f"cpv_{role}",
            f"Community policing volunteers: {role.replace('_', ' ')}",
            "count",
            aggregate=Headcount(CPV & ROLES[role]),
            definition=f"Headcount of community policing volunteers whose {ROLES[role].text}"
            f" {_at}. The roles add up to community_policing_volunteers.",
            **_v,
        )
        for role in CPV_ROLES
    ],
]
