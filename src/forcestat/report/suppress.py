"""Statistical disclosure control for the public edition of the report.

The project's privacy rule: record-level data never reaches a public output, and public
figures suppress cells under 5. :func:`suppress_figures` is one pure function over the evaluated
figures, applied before any section is built, so the HTML, the PDF made from it and the Word
file all show the same protected figures:

1. **Primary suppression**: every count from 1 to 4 becomes :data:`UNDER_FIVE` (printed
   ``<5``, said "fewer than 5"). Zero is published: a zero is an absence, not a small group of
   people (ONS and Home Office tables print 0 too).
2. **Secondary suppression**: where a published total is the sum of published parts (999 calls
   received = answered + not answered, live chats = answered + abandoned, Community Policing
   Volunteers = the roles, a period or financial-year total = its months; a whole and a part
   of it, such as Special Constables and those independent, count as a whole = part + the
   rest), a suppressed part
   could be worked out by subtraction. So the smallest other non-zero part is withheld too
   (:data:`WITHHELD`, printed ``[c]`` as in ONS tables), until every such group hides either
   nothing or at least two cells, one of them not small; only when no part is left to withhold
   is the total itself withheld. A total counts as published wherever the report uses it,
   even only in a sentence or behind a percentage.
3. **Derived figures**: a percentage whose numerator or denominator is withheld, a per-month
   average of a withheld total, and an average time over fewer than 5 calls or chats are
   withheld too, since each gives the small count back (a percentage times its base; an
   average over 1 to 4 calls describes those calls).

Suppressed values are NaN-valued floats, so no arithmetic done on them downstream (a maximum,
a change, a chart) can bring the true figure back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..periods import parse_period

if TYPE_CHECKING:  # figures imports this module; only its type is needed here
    from .figures import Figures
    from .spec import Block, Report, Section

THRESHOLD = 5
NOTICE = "Public edition: counts under 5 suppressed"
SYMBOLS_NOTE = (
    "<5: a count from 1 to 4, suppressed. [c]: withheld so that a suppressed count cannot be "
    "worked out from the other figures."
)

Key = tuple[str, str]  # (measure, period label): the same figure under any scope


class Suppressed(float):
    """A figure withheld from the public edition: a NaN that knows how it is printed."""

    mark: str
    words: str

    def __new__(cls, mark: str, words: str) -> Suppressed:
        obj = super().__new__(cls, math.nan)
        obj.mark, obj.words = mark, words
        return obj

    def __repr__(self) -> str:
        return f"Suppressed({self.mark!r})"


#: A count from 1 to 4 (primary suppression).
UNDER_FIVE = Suppressed("<5", "fewer than 5")
#: A figure withheld so a suppressed count cannot be recovered (secondary or derived).
WITHHELD = Suppressed("[c]", "not published")


def is_suppressed(value: Any) -> bool:
    """True for :data:`UNDER_FIVE` and :data:`WITHHELD`."""
    return isinstance(value, Suppressed)


def is_small(value: float | None, unit: str) -> bool:
    """A count from 1 to 4 (zero and missing figures are not suppressed)."""
    if value is None or unit != "count" or math.isnan(value):
        return False
    return 0 < value < THRESHOLD


# -- how figures relate ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Relations:
    """Sum groups (total, parts) and derived figures (figure, its source counts) by measure."""

    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: a percentage or a per-month average: withheld when any source is (it gives them back)
    reveals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: an average time over a count: withheld when that count is under 5
    means: dict[str, str] = field(default_factory=dict)
    #: an average of a monthly percentage over the period's months
    monthly_means: dict[str, str] = field(default_factory=dict)
    #: (whole, part): both published, their difference is a count a reader can work out
    nested: tuple[tuple[str, str], ...] = ()


def relations(measures: Iterable[str]) -> Relations:
    """The relations between the report's measures (``cpv_*`` roles as found)."""
    reveals: dict[str, tuple[str, ...]] = {
        "cancelled_crime_pct": ("cancelled_crime", "recorded_crime"),
        "s136_detentions_monthly_average": ("s136_detentions",),
        "letters_sent_monthly_average": ("letters_sent",),
    }
    means = {"live_chats_avg_wait_seconds": "live_chats_answered"}
    sums: list[tuple[str, tuple[str, ...]]] = [
        ("live_chats", ("live_chats_answered", "live_chats_abandoned")),
        ("community_policing_volunteers", tuple(sorted(m for m in measures if m[:4] == "cpv_"))),
    ]
    for ch in ("999", "101"):
        p = f"calls_{ch}_"
        sums.append((p + "received", (p + "answered", p + "not_answered")))
        reveals[p + "pct_not_answered"] = (p + "not_answered", p + "received")
        reveals[p + "pct_answered_within_10s"] = (p + "answered_under_10s", p + "answered")
        means[p + "avg_queue_seconds"] = p + "answered"
        means[p + "avg_talk_seconds"] = p + "answered"
    nested = (
        ("special_constables", "special_constables_independent"),
        ("vehicles_detected_over_limit", "letters_sent"),
        ("speedwatch_distinct_vehicles", "addresses_attended_4th_detection"),
        ("addresses_attended_4th_detection", "drivers_5_plus_detections"),
    )
    return Relations(
        tuple(sums),
        reveals,
        means,
        {"cancelled_crime_pct_average": "cancelled_crime_pct"},
        nested,
    )


@lru_cache(maxsize=4096)
def _months(label: str) -> tuple[str, ...]:
    try:
        p = parse_period(label)
    except Exception:  # a label the periods module does not read has no months to sum
        return ()
    return () if p.grain in ("date", "month") else tuple(f"{m:%Y-%m}" for m in p.months())


def _time_sums(values: dict[Key, float], units: dict[str, str]) -> list[tuple[Key, list[Key]]]:
    """A count over several months is the sum of its months wherever those are shown."""
    out = []
    for measure, label in values:
        if units.get(measure) != "count":
            continue
        parts = [(measure, m) for m in _months(label) if (measure, m) in values]
        if len(parts) >= 2:
            out.append(((measure, label), parts))
    return out


def _secondary(
    values: dict[Key, float], status: dict[Key, Suppressed], groups: list[tuple[Key, list[Key]]]
) -> None:
    """Withhold the next-smallest part (else the total) until no group gives a part back."""
    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            present = [p for p in parts if p in values]
            if total not in values or total in status:
                continue  # the total is not shown: nothing to subtract from
            hidden = [p for p in present if p in status]
            if not hidden or (len(hidden) >= 2 and any(status[p] is WITHHELD for p in hidden)):
                continue  # the difference is shared by two cells, one of them not small
            candidates = [p for p in present if p not in status and values[p] > 0]
            if candidates:
                status[min(candidates, key=lambda k: (values[k], k))] = WITHHELD
            else:
                status[total] = WITHHELD
            changed = True


def _derived(
    values: dict[Key, float], status: dict[Key, Suppressed], units: dict[str, str], rel: Relations
) -> None:
    for measure, label in list(values):
        key = (measure, label)
        if key in status:
            continue
        v = values[key]
        sources = rel.reveals.get(measure, ())
        if any((s, label) in status for s in sources) or _implies_small(
            measure, label, v, values, units, sources
        ):
            status[key] = WITHHELD
        elif measure in rel.means and (rel.means[measure], label) in values:
            n = values[(rel.means[measure], label)]
            if 0 < n < THRESHOLD:
                status[key] = WITHHELD
        elif measure in rel.monthly_means:
            base = rel.monthly_means[measure]
            if any((base, m) in status for m in _months(label)):
                status[key] = WITHHELD


def _implies_small(
    measure: str,
    label: str,
    v: float,
    values: dict[Key, float],
    units: dict[str, str],
    sources: tuple[str, ...],
) -> bool:
    """A percentage of a shown base, or a per-month average, that gives back a count of 1-4
    (its numerator may not be shown anywhere)."""
    unit = units.get(measure, "")
    if unit == "percent" and len(sources) == 2 and (sources[1], label) in values:
        implied = v * values[(sources[1], label)] / 100
    elif unit == "count/month":
        implied = v * max(len(_months(label)), 1)
    else:
        return False
    return 0 < round(implied) < THRESHOLD


def suppression(frame: pd.DataFrame, units: dict[str, str]) -> dict[Key, Suppressed]:
    """Which figures of an evaluated frame the public edition withholds, and how."""
    values: dict[Key, float] = {}
    for measure, label, v in zip(frame["measure"], frame["period"], frame["value"], strict=True):
        if v is not None and not pd.isna(v):
            values[(str(measure), str(label))] = float(v)
    status: dict[Key, Suppressed] = {
        k: UNDER_FIVE for k, v in values.items() if is_small(v, units.get(k[0], ""))
    }
    rel = relations({m for m, _ in values})
    groups = [
        ((total, label), [(p, label) for p in parts])
        for total, parts in rel.sums
        for m, label in values
        if m == total
    ]
    groups += _time_sums(values, units)
    # a published whole minus a published part is a cell too, if only a virtual one: a small
    # difference is suppressed like any count, by withholding the part
    virtual: set[Key] = set()
    for whole, part in rel.nested:
        for m, label in list(values):
            if m != whole or (part, label) not in values:
                continue
            rest = (f"{whole} - {part}", label)
            values[rest] = values[(whole, label)] - values[(part, label)]
            virtual.add(rest)
            if is_small(values[rest], "count"):
                status[rest] = UNDER_FIVE
            groups.append(((whole, label), [(part, label), rest]))
    _secondary(values, status, groups)
    for key in virtual:
        values.pop(key)
        status.pop(key, None)
    _derived(values, status, units, rel)
    return status


def _blank_frame(
    frame: pd.DataFrame, status: dict[Key, Suppressed], units: dict[str, str]
) -> pd.DataFrame:
    """The frame with every withheld value, and every comparison that would reveal one, blank."""
    out = frame.copy()

    def hidden(measures: pd.Series, labels: pd.Series, vals: pd.Series) -> pd.Series:
        return pd.Series(
            [
                (str(m), str(lab)) in status or is_small(_num(v), units.get(str(m), ""))
                for m, lab, v in zip(measures, labels, vals, strict=True)
            ],
            index=measures.index,
        )

    now = hidden(out["measure"], out["period"], out["value"])
    before = hidden(out["measure"], out["previous_period"], out["previous_value"])
    year_ago = hidden(out["measure"], out["last_year_period"], out["last_year_value"])
    nan = math.nan
    out["value"] = out["value"].astype(float).mask(now, nan)
    out["previous_value"] = out["previous_value"].astype(float).mask(before, nan)
    out["last_year_value"] = out["last_year_value"].astype(float).mask(year_ago, nan)
    for col in ("change", "pct_change"):
        out[col] = out[col].astype(float).mask(now | before, nan)
    for col in ("last_year_change", "last_year_pct_change"):
        out[col] = out[col].astype(float).mask(now | year_ago, nan)
    # the engine's record note quotes an earlier month's figure: the report finds records itself
    out["record"] = None
    return out


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def suppress_figures(figures: Figures) -> Figures:
    """The public edition's figures: small counts, and what would give them back, withheld.

    Pure: ``figures`` is left as it was. The returned :class:`Figures` answers ``value()``,
    ``monthly()`` and ``history()`` with :data:`UNDER_FIVE` or :data:`WITHHELD` for a
    withheld figure, and its frame no longer holds the true values. ``public`` is set, so the
    data-coverage appendix marks months "held" rather than printing record counts (a month's
    records of a kind add up to figures the report shows, and would give a withheld one back).
    """
    units = {str(m): figures.unit(str(m)) for m in set(figures.frame["measure"])}
    status = suppression(figures.frame, units) if not figures.frame.empty else {}
    frame = _blank_frame(figures.frame, status, units) if not figures.frame.empty else figures.frame
    return replace(figures, frame=frame, suppressed=status, public=True)


# -- prose ---------------------------------------------------------------------------------------
def say(value: float, fmt: Callable[[float], str]) -> str:
    """``value`` for a sentence: a withheld figure in words ("fewer than 5"), else ``fmt``."""
    return value.words if isinstance(value, Suppressed) else fmt(value)


def _words(text: str) -> str:
    out = text.replace(UNDER_FIVE.mark, UNDER_FIVE.words).replace(WITHHELD.mark, WITHHELD.words)
    return out[:1].upper() + out[1:]  # "fewer than 5 vehicles ..." opening a sentence


def _public_block(block: Block) -> Block:
    from .spec import ChartSpec, Paragraph, TableSpec

    if isinstance(block, Paragraph):
        return Paragraph(_words(block.text))
    if isinstance(block, ChartSpec):
        alt = _words(block.alt)
        return replace(block, alt=alt, vega_lite={**block.vega_lite, "description": alt})
    if isinstance(block, TableSpec):
        marks = {UNDER_FIVE.mark, WITHHELD.mark}
        if any(c in marks for _, cells in block.rows for c in cells):
            note = f"{block.note} {SYMBOLS_NOTE}".strip()
            return replace(block, note=note)
    return block


def _public_section(section: Section) -> Section:
    return replace(section, blocks=tuple(_public_block(b) for b in section.blocks))


def public_report(report: Report) -> Report:
    """The report as published: prose says "fewer than 5" (never the table's ``<5``), tables
    with a withheld cell explain the symbols, and the title block says what was suppressed."""
    return replace(
        report,
        notice=NOTICE,
        sections=tuple(_public_section(s) for s in report.sections),
        appendix=tuple(_public_section(s) for s in report.appendix),
    )


__all__ = [
    "NOTICE",
    "THRESHOLD",
    "UNDER_FIVE",
    "WITHHELD",
    "Suppressed",
    "is_small",
    "is_suppressed",
    "public_report",
    "relations",
    "say",
    "suppress_figures",
    "suppression",
]
