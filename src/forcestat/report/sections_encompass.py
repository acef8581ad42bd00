"""The Operation Encompass section: schools told before the next school day, month by month.

Figures come from what ``forcestat encompass send`` recorded. They are about children, so in
the public edition a count under 5 is suppressed like every count, and the share sent in time,
the median lead time and late notifications are withheld with it (each would give a small
count back).
"""

from __future__ import annotations

from . import narrative
from .figures import Figures
from .profile import ForceProfile
from .spec import Section, TableSpec
from .suppress import WITHHELD, is_suppressed

ENCOMPASS_ROWS = (
    ("Notifications to schools", "encompass_notifications"),
    ("Sent before the school day began (%)", "encompass_pct_before_deadline"),
    ("Median time to spare (hours)", "encompass_median_lead_hours"),
    ("Sent late", "encompass_late_notifications"),
)
BASE = "encompass_notifications"

#: The measures this module's sections read, by scope (see figures.SCOPES).
READS: dict[str, tuple[str, ...]] = {
    "period": tuple(key for _, key in ENCOMPASS_ROWS),
    "enc_month": tuple(key for _, key in ENCOMPASS_ROWS),
}


def _cell(f: Figures, key: str, scope: str, label: str | None = None) -> str:
    """A figure as printed; the derived ones are withheld with a suppressed base count."""
    if key != BASE and is_suppressed(f.value(BASE, scope, label)):
        return f.format(key, WITHHELD)
    return f.fmt(key, scope, label)


def encompass(f: Figures, profile: ForceProfile) -> Section:
    """Operation Encompass notifications, in time or late, by month and for the period."""
    sec = Section("encompass", "Operation Encompass")
    total = f.value(BASE, "period")
    if total is None:
        return sec.add_paragraph(
            "No Operation Encompass notifications sent through forcestat are held for "
            f"{narrative.span_phrase(f.months[0], f.months[-1])}."
        )
    labels = [f"{m:%Y-%m}" for m in f.months]
    columns = (*[f"{m:%b %Y}" for m in f.months], "Period")
    rows = tuple(
        (name, (*(_cell(f, key, "enc_month", lab) for lab in labels), _cell(f, key, "period")))
        for name, key in ENCOMPASS_ROWS
    )
    sec = sec.add_paragraph(
        "Schools are told of every domestic abuse incident at which one of their pupils was "
        "present before the start of the next school day (Operation Encompass), so that a key "
        "adult can support the child. Weekends, bank holidays, school holidays and INSET days "
        "are not school days."
    )
    if not is_suppressed(total):
        sec = sec.add_paragraph(
            f"{f.fmt(BASE, 'period')} notifications were sent in "
            f"{narrative.span_phrase(f.months[0], f.months[-1])}; "
            f"{_cell(f, 'encompass_pct_before_deadline', 'period')} reached the school before "
            "the school day began."
        )
    return sec.add_table(
        TableSpec(
            caption="Operation Encompass notifications to schools",
            stub_header="Operation Encompass",
            columns=columns,
            rows=rows,
            id="t-encompass",
        )
    )
