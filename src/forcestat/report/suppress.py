"""Statistical disclosure control for the public edition of the report.

The project's privacy rule: record-level data never reaches a public output, and public
figures suppress counts under 5. :func:`suppress_figures` is one pure function over the evaluated
figures, applied before any section is built, so the HTML, the PDF made from it and the Word
file all show the same protected figures.

What to withhold is decided by :func:`forcestat.measures.disclosure.protect` over EVERY figure
the report can print: each evaluated value, and each comparison period's value beside it (a
previous period, the same period last year), in every scope (months, the period, financial
years, the year to date, headcounts at a date). Its relations come from the catalogue
(:mod:`forcestat.measures.relations`): a period is the sum of its months, ``received = answered
+ not answered``, the CPV roles add up to the CPVs, a percentage gives back its counts. Its
interval audit (the HiGHS LP solver) proves that no withheld count can be worked out
beyond what its mark says; secondary suppression repeats until it holds. See
docs/measures.md, "Relations and disclosure control".

Marks: :data:`UNDER_FIVE` (``<5``, said "fewer than 5") is a count from 1 to 4;
:data:`WITHHELD` (``[c]``) is a count of 5 or more, or a ratio or average, withheld so that a
suppressed count cannot be worked out. Zero is published: an absence, not a small group of
people (ONS and Home Office tables print 0 too).

Suppressed values are NaN-valued floats, so no arithmetic done on them downstream (a maximum,
a change, a chart) can bring the true figure back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import ForcestatError
from ..measures import disclosure
from ..measures.disclosure import Protection, protect

if TYPE_CHECKING:  # figures imports this module; only its type is needed here
    from .figures import Figures
    from .spec import Block, Report, Section

THRESHOLD = disclosure.THRESHOLD
NOTICE = "Public edition: counts under 5 suppressed"
SYMBOLS_NOTE = (
    "<5: a count from 1 to 4, suppressed. [c]: withheld so that a suppressed count cannot be "
    "worked out from the other figures (a count of 5 or more, or a figure derived from counts)."
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


# -- deciding what to withhold ---------------------------------------------------------------------
_COMPARISONS = (
    ("period", "value"),
    ("previous_period", "previous_value"),
    ("last_year_period", "last_year_value"),
)


#: The scopes whose previous period's value the report prints ("201 (190 in May to July)",
#: "down from 38 a month earlier"). The public edition blanks every other comparison value, so
#: nothing is printed that the audit did not see.
COMPARED_SCOPES = ("period", "at_date")


def _shown_comparisons(frame: pd.DataFrame, value_col: str) -> pd.Series:
    """Which rows' comparison value ``value_col`` the public edition may print."""
    if value_col == "value" or "scope" not in frame:
        return pd.Series(True, index=frame.index)
    if value_col == "previous_value":
        return frame["scope"].isin(COMPARED_SCOPES)
    return pd.Series(False, index=frame.index)


def printed_cells(frame: pd.DataFrame) -> list[tuple[str, str, float]]:
    """Every figure an evaluated frame can put in print: each row's value and the comparison
    periods' values the report prints beside it, as ``(measure, period label, value)``."""
    out: list[tuple[str, str, float]] = []
    for period_col, value_col in _COMPARISONS:
        if period_col not in frame or value_col not in frame:
            continue
        shown = _shown_comparisons(frame, value_col)
        cols = zip(frame["measure"], frame[period_col], frame[value_col], shown, strict=True)
        for m, label, v, ok in cols:
            x = _num(v)
            if ok and x is not None and label is not None and not pd.isna(label):
                out.append((str(m), str(label), x))
    return out


def protection(frame: pd.DataFrame) -> Protection:
    """The disclosure decision and audit for every figure of an evaluated frame."""
    return protect(printed_cells(frame))


def suppression(frame: pd.DataFrame, units: dict[str, str] | None = None) -> dict[Key, Suppressed]:
    """Which figures of an evaluated frame the public edition withholds, and how.

    ``units`` is accepted for callers of the earlier signature; units come from the catalogue.
    """
    marks = protection(frame).marks
    return {
        k: UNDER_FIVE if mark == disclosure.UNDER_FIVE else WITHHELD for k, mark in marks.items()
    }


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
    before |= ~_shown_comparisons(out, "previous_value")
    year_ago = hidden(out["measure"], out["last_year_period"], out["last_year_value"])
    year_ago |= ~_shown_comparisons(out, "last_year_value")
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
    if figures.frame.empty:
        return replace(figures, public=True)
    decided = protection(figures.frame)
    if not decided.audit.holds:  # nothing printed was left to withhold: publish nothing wrong
        worst = decided.audit.failures[0]
        raise ForcestatError(
            f"disclosure audit failed for {worst.key[0]} {worst.key[1]}: {worst.why}"
        )
    status: dict[Key, Suppressed] = {
        k: UNDER_FIVE if mark == disclosure.UNDER_FIVE else WITHHELD
        for k, mark in decided.marks.items()
    }
    frame = _blank_frame(figures.frame, status, units)
    return replace(figures, frame=frame, suppressed=status, public=True, audit=decided.audit)


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
    "printed_cells",
    "protection",
    "public_report",
    "say",
    "suppress_figures",
    "suppression",
]
