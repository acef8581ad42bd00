"""Check a file of published figures for internal inconsistencies.

The file has the seed's reference-figure columns ``section,measure,period,value,unit,note``.
Nothing here needs records: every check compares published figures with each other, at the
precision they were printed to (``1.16`` is checked as anything in [1.155, 1.165)).

Checks, each giving a :class:`Finding` when it fails:

* totals against their parts (an FY total against its 12 published months);
* percentages against their published counts, and which definition fits (reported as a note);
* received = answered + not answered;
* averages against totals ("170 a month" against 2,050 in 12 months is 170.8: it matches only
  by truncation, not by rounding);
* subsets that cannot exceed their whole (letters sent <= detections over the limit, CPV roles
  <= all CPVs, a 6-month average x 6 <= the total of a longer period containing it);
* pairs of year-to-date percentages, solved for the unpublished months, with the implied range.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from ..errors import ForcestatError, InputError
from ..periods import Period, add_months, fy_start_year, fytd, parse_period

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Figure:
    """One published figure with its period placed (``period`` is None when it cannot be)."""

    line: int
    section: str
    measure: str
    period_text: str
    value: float
    text: str  # the value as printed, for its precision
    unit: str
    note: str
    period: Period | None
    assumed: str | None = None  # how a free-text period was read

    @property
    def span(self) -> Period:
        """The placed period (only for figures whose period could be placed)."""
        assert self.period is not None, f"{self.where} has no placed period"
        return self.period

    @property
    def decimals(self) -> int:
        return len(self.text.split(".")[1]) if "." in self.text else 0

    @property
    def half_unit(self) -> float:
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def where(self) -> str:
        return f"{self.measure} {self.period_text}"


@dataclass(frozen=True)
class Finding:
    """One inconsistency between published figures, in plain words."""

    kind: str
    measure: str
    period: str
    message: str
    severity: Severity = "error"


@dataclass
class PublishedReport:
    """Everything check-published found in a file."""

    path: str
    figures: list[Figure]
    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unchecked: list[tuple[Figure, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "figures": len(self.figures),
            "findings": [asdict(f) for f in self.findings],
            "passed": self.passed,
            "notes": self.notes,
            "not_checked": [
                {"line": f.line, "measure": f.measure, "period": f.period_text, "reason": r}
                for f, r in self.unchecked
            ],
        }

    def as_text(self) -> str:
        out = [f"{self.path}: {len(self.figures)} figures, {len(self.findings)} inconsistencies"]
        for f in self.findings:
            out.append(f"  [{f.severity}] {f.measure} {f.period}: {f.message}")
        if self.notes:
            out.append("Definitions the figures fit:")
            out += [f"  {n}" for n in self.notes]
        out.append(f"Checks passed: {len(self.passed)}")
        out += [f"  ok: {p}" for p in self.passed]
        if self.unchecked:
            out.append(f"Not checked: {len(self.unchecked)}")
            out += [f"  {f.where} (line {f.line}): {r}" for f, r in self.unchecked]
        return "\n".join(out)


# -- reading ------------------------------------------------------------------------------------


def place_period(text: str, latest: date | None) -> tuple[Period | None, str | None]:
    """A period for a published period text, and how a free-text one was read.

    Reads every :func:`~forcestat.periods.parse_period` form plus "to 2022-10" (the financial
    year to that month), "last 6 months to 2022-10" and "2022 to date" (January to the latest
    month named anywhere in the file). Returns (None, None) for text it cannot place.
    """
    t = text.strip()
    try:
        return parse_period(t), None
    except ForcestatError:
        pass
    if m := re.fullmatch(r"to (\d{4}-\d{2})", t, re.I):
        to = parse_period(m[1]).start
        return fytd(to), f"read as the financial year to {m[1]}"
    if m := re.fullmatch(r"last (\d+) months? to (\d{4}-\d{2})", t, re.I):
        end = add_months(parse_period(m[2]).start, 1)
        p = Period(add_months(end, -int(m[1])), end, "range")
        return p, f"read as {p.label}"
    if (m := re.fullmatch(r"(\d{4}) to date", t, re.I)) and latest is not None:
        if latest.year == int(m[1]):
            p = Period(date(int(m[1]), 1, 1), add_months(latest, 1), "range")
            return p, f"read as {p.label} (January to the latest month in the file)"
    return None, None


def read_figures(path: str | Path) -> list[Figure]:
    """Figures from a CSV with columns section, measure, period, value, unit, note."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no such file: {p}")
    try:
        with p.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"{p} is not a UTF-8 CSV of published figures: {e}") from None
    need = {"measure", "period", "value"}
    if rows and not need <= set(rows[0]):
        raise InputError(f"{p} needs columns {', '.join(sorted(need))} (found {list(rows[0])})")
    months = []
    for r in rows:
        if mo := re.search(r"(\d{4}-\d{2})(?!-\d)", r.get("period") or ""):
            months.append(date(int(mo[1][:4]), int(mo[1][5:]), 1))
    latest = max(months) if months else None
    figures = []
    for i, r in enumerate(rows, start=2):
        text = (r.get("value") or "").strip().replace(",", "")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        period, assumed = place_period(r.get("period") or "", latest)
        figures.append(
            Figure(
                i,
                (r.get("section") or "").strip(),
                (r.get("measure") or "").strip(),
                (r.get("period") or "").strip(),
                value,
                text,
                (r.get("unit") or "").strip(),
                (r.get("note") or "").strip(),
                period,
                assumed,
            )
        )
    return figures


class Published:
    """Lookup of placed figures by (measure, period)."""

    def __init__(self, figures: list[Figure]) -> None:
        self.figures = [f for f in figures if f.period is not None and not math.isnan(f.value)]
        self.by_key: dict[tuple[str, Period], Figure] = {}
        for f in self.figures:
            assert f.period is not None
            self.by_key.setdefault((f.measure, f.period), f)

    def get(self, measure: str, period: Period) -> Figure | None:
        return self.by_key.get((measure, period))

    def monthly(self, measure: str, period: Period) -> list[Figure] | None:
        """The published monthly figures covering every month of ``period``, or None."""
        from ..periods import month

        out = [self.get(measure, month(m)) for m in period.months()]
        return None if any(f is None for f in out) else [f for f in out if f is not None]

    def of(self, measure: str) -> list[Figure]:
        return [f for f in self.figures if f.measure == measure]


def check_report(path: str | Path) -> PublishedReport:
    """Read a published-figures file and run every check on it."""
    from .published_checks import ALL_CHECKS
    from .published_ytd import check_ytd_implied, check_ytd_pairs

    figures = read_figures(path)
    report = PublishedReport(str(path), figures)
    pub = Published(figures)
    used: set[int] = set()
    for check in [*ALL_CHECKS, check_ytd_pairs, check_ytd_implied]:
        check(pub, report, used)
    for f in figures:
        if f.period is None:
            report.unchecked.append((f, f"cannot place period {f.period_text!r}"))
        elif math.isnan(f.value):
            report.unchecked.append((f, f"value {f.text!r} is not a number"))
        elif f.line not in used:
            report.unchecked.append((f, "no related published figure to check it against"))
    return report


def check_published(path: str | Path) -> list[Finding]:
    """Every inconsistency in a published-figures file (see :func:`check_report`)."""
    return check_report(path).findings


def unchecked_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows check-published could not check, with the reason."""
    rows: list[dict[str, Any]] = check_report(path).as_dict()["not_checked"]
    return rows


__all__ = [
    "Figure",
    "Finding",
    "Published",
    "PublishedReport",
    "check_published",
    "check_report",
    "fy_start_year",
    "place_period",
    "read_figures",
    "unchecked_rows",
]
