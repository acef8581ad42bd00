"""calibration.json: every target with the value achieved and, where not met, why.

"Met" means the figure prints as published: counts exactly, percentages to the printed decimals,
seconds rounded half up to the whole second. Achieved values are measured from the written
record files by the measures engine (see :mod:`forcestat.synth.verify`), never taken from the
generator's intentions.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from .targets import PROFILE_MEASURES, Target, Targets

#: Figures the board derives from others: reported, with their relationship, never forced.
CONSEQUENCES = {
    "s136_detentions_monthly_average": "the period's detentions divided by its months",
    "s136_record_low": "the lowest monthly count of the period, compared with earlier months",
    "cancelled_crime_pct": "cancelled / (recorded + cancelled) of the month's counts",
    "cancelled_crime_pct_average": "mean of the monthly cancelled percentages",
    "letters_sent_monthly_average": "letters sent in the period divided by its months",
}


def rounds_to(achieved: float, target: float, decimals: int) -> bool:
    """Whether ``achieved`` prints as ``target`` at ``decimals`` places (half rounds up)."""
    q = Decimal(1).scaleb(-decimals)
    printed = Decimal(repr(float(achieved))).quantize(q, rounding=ROUND_HALF_UP)
    return printed == Decimal(repr(float(target))).quantize(q, rounding=ROUND_HALF_UP)


def is_met(t: Target, achieved: float | None, scale: float = 1.0) -> bool:
    """Whether ``achieved`` prints as the target.

    A monthly average at ``scale`` is compared, scaled back, with the published average: it
    derives from months that were each scaled and rounded, so scaling its print would not do.
    """
    if achieved is None:
        return False
    if f"'over {t.value_text}'" in t.note:
        return achieved >= t.value  # published as "over 105": any figure above it is right
    if t.unit == "count/month" and scale != 1.0:
        return rounds_to(achieved / scale, t.published, t.decimals)
    if t.unit == "seconds":
        return rounds_to(achieved, t.value, 0)
    return rounds_to(achieved, t.value, t.decimals)


@dataclass
class CalibrationLog:
    """What the generator chose and why, gathered while it plans each domain."""

    choices: list[dict[str, str]] = field(default_factory=list)
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def choose(self, subject: str, what: str) -> None:
        self.choices.append({"subject": subject, "choice": what})

    def explain(self, t: Target, why: str) -> None:
        key = (t.measure, t.period_text)
        self.reasons[key] = (self.reasons[key] + "; " + why) if key in self.reasons else why

    def note(self, text: str) -> None:
        self.notes.append(text)

    def merge(self, other: CalibrationLog) -> None:
        """Append another log's choices, reasons and notes after this one's."""
        self.choices += other.choices
        self.notes += other.notes
        for key, why in other.reasons.items():
            self.reasons[key] = f"{self.reasons[key]}; {why}" if key in self.reasons else why


def entry(
    t: Target, achieved: float | None, log: CalibrationLog, generated: bool, scale: float = 1.0
) -> dict:
    """One target's line of calibration.json."""
    out: dict = {
        "section": t.section,
        "measure": t.measure,
        "period": t.period_text,
        "target": t.value,
        "unit": t.unit,
    }
    if t.value != t.published:
        out["published"] = t.published
    reason = log.reasons.get((t.measure, t.period_text))
    if t.measure in PROFILE_MEASURES:
        out.update(status="from profile", achieved=achieved)
        out["why"] = (
            "a neighbourhood figure of the force profile (force_profile.toml), not records"
            + ("" if achieved is None else f"; the profile gives {achieved:g}")
        )
        return out
    if t.period is None:
        out.update(status="not a record figure", achieved=None)
        out["why"] = reason or f"'{t.period_text}' figure: a benchmark, not a figure of records"
        return out
    if not generated:
        out.update(status="not generated", achieved=None, why=reason or "no records written")
        return out
    out["achieved"] = None if achieved is None else round(float(achieved), 4)
    met = is_met(t, achieved, scale)
    out["status"] = "met" if met else "missed"
    if t.measure in CONSEQUENCES:
        out["derived"] = CONSEQUENCES[t.measure]
    if reason:
        out["why"] = reason
    elif not met and t.measure in CONSEQUENCES and achieved is not None:
        out["why"] = _consequence_reason(t, achieved)
    elif not met:
        out["why"] = "not reproduced; no reason recorded (a generator defect)"
    return out


def _consequence_reason(t: Target, achieved: float) -> str:
    """Why a derived figure differs: it follows from figures that were held."""
    scale = 10**t.decimals
    how = CONSEQUENCES[t.measure]
    if t.value == t.published and math.floor(achieved * scale + 1e-9) / scale == t.value:
        return (
            f"derived ({how}) from figures that are reproduced: {achieved:.2f}, which the "
            f"publication printed truncated as {t.value_text}"
        )
    return f"derived ({how}) from figures that are reproduced, giving {achieved:.2f}"


def profile_figures(targets: Targets, profile: str | None) -> dict[tuple[str, str], float]:
    """The neighbourhood figures the copied force profile gives (the number of districts)."""
    if not profile:
        return {}
    with open(profile, "rb") as fh:
        doc = tomllib.load(fh)
    districts = len(doc.get("force", {}).get("districts", []))
    return {
        (t.measure, t.period_text): float(districts)
        for t in targets
        if t.measure == "districts" and districts
    }


def write_calibration(
    path: Path,
    targets: Targets,
    achieved: dict[tuple[str, str], float | None],
    generated: set[str],
    log: CalibrationLog,
    meta: dict,
) -> dict:
    """Write calibration.json and return its content."""
    achieved = {**achieved, **profile_figures(targets, meta.get("force_profile"))}
    entries = [
        entry(
            t, achieved.get((t.measure, t.period_text)), log, t.measure in generated, targets.scale
        )
        for t in targets
    ]
    statuses: dict[str, int] = {}
    for e in entries:
        statuses[e["status"]] = statuses.get(e["status"], 0) + 1
    doc = {
        **meta,
        "summary": {"targets": len(entries), **statuses},
        "targets": entries,
        "choices": log.choices,
        "notes": log.notes,
    }
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    return doc
