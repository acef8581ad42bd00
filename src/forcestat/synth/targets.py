"""Read and check a targets file: the published figures synth calibrates its records to.

A targets file has the columns of ``seed_figures.csv``: ``section, measure, period, value, unit,
note``. Periods may be any form :func:`forcestat.periods.parse_period` reads, plus the board's
narrative forms:

- ``to 2022-10``: the financial year to that month (FY2022/23 to 2022-10);
- ``2022 to date``: the calendar year to the last month the targets file covers;
- ``last 6 months to 2022-10``: the six months ending with that month;
- ``national``: a national benchmark, not a figure of the force's records.

An unknown measure, an unreadable period or an impossible value (a negative count, a percentage
outside 0..100, answered calls above received) raises :class:`~forcestat.errors.TargetsError`
before anything is written.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from pathlib import Path

from ..errors import PeriodError, TargetsError
from ..measures.contact import CHANNELS
from ..measures.relations import identities, identity_of, units, within
from ..periods import Period, add_months, fytd, month_range, parse_period

#: Every measure a targets file may name, with the unit it is given in: the catalogue's
#: measures, the national benchmark and the force profile's neighbourhood figures.
KNOWN_MEASURES: dict[str, str] = {
    **units(),
    "benchmark_999_pct_not_answered": "percent",
    "districts": "count",
}

#: Measures that come from the force profile, not from records (school officers and the
#: schools they cover are counted from school_officer_assignments).
PROFILE_MEASURES = frozenset({"districts"})

#: Units whose values scale with --scale (volumes); percentages and averages of times do not.
SCALED_UNITS = frozenset({"count", "hours", "count/month"})

REQUIRED_COLUMNS = ("section", "measure", "period", "value", "unit", "note")


@dataclass(frozen=True)
class Target:
    """One published figure: a measure over a period, with the value to reproduce."""

    section: str
    measure: str
    period_text: str
    value: float
    unit: str
    note: str
    period: Period | None
    published: float
    text: str = ""
    line: int = 0

    @property
    def is_month(self) -> bool:
        return self.period is not None and self.period.grain == "month"

    @property
    def decimals(self) -> int:
        """Decimals the figure is printed to (1.16 -> 2, 3.0 -> 1, 255 -> 0)."""
        text = self.value_text
        return len(text.split(".")[1]) if "." in text else 0

    @property
    def value_text(self) -> str:
        """The value as printed in the file (so 3.0 keeps its one decimal)."""
        if self.text:
            return self.text
        return str(int(self.published)) if self.published.is_integer() else repr(self.published)


@dataclass(frozen=True)
class Targets:
    """The figures of one targets file, with look-ups by measure and period."""

    items: tuple[Target, ...]
    source: str
    scale: float = 1.0

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def of(self, measure: str) -> list[Target]:
        return [t for t in self.items if t.measure == measure]

    def monthly(self, measure: str) -> dict[date, Target]:
        """Month-grain targets of ``measure`` keyed by the month's first day."""
        return {t.period.start: t for t in self.of(measure) if t.is_month and t.period}

    def get(self, measure: str, period_text: str) -> Target | None:
        for t in self.of(measure):
            if t.period_text == period_text:
                return t
        return None

    def has_any(self, *measures: str) -> bool:
        return any(t.measure in measures for t in self.items)

    def scaled(self, scale: float) -> Targets:
        """The targets for a force ``scale`` times this size: volumes scaled and rounded."""
        if scale == 1.0:
            return self
        out = []
        for t in self.items:
            if t.unit in SCALED_UNITS and t.period is not None:
                v = t.value * scale
                v = round(v, 1) if t.unit == "count/month" else float(round(v))
                out.append(replace(t, value=v))
            else:
                out.append(t)
        out = _consistent_totals(out, scale)
        return Targets(tuple(_consistent_calls(out, scale)), self.source, scale)


def _consistent_totals(items: list[Target], scale: float) -> list[Target]:
    """Scaled monthly counts that still sum to their scaled longer-period total.

    Where a financial year's published total equals the sum of its published months, the
    months are rounded by largest remainder so the scaled months sum to the scaled total.
    """
    for total in [t for t in items if t.unit == "count" and t.period and not t.is_month]:
        assert total.period is not None
        months = set(total.period.months())
        idx = [
            i
            for i, t in enumerate(items)
            if t.measure == total.measure and t.is_month and t.period and t.period.start in months
        ]
        if len(idx) != len(months) or sum(items[i].published for i in idx) != total.published:
            continue
        raw = [items[i].published * scale for i in idx]
        base = [int(v // 1) for v in raw]
        short = int(total.value) - sum(base)
        order = sorted(range(len(idx)), key=lambda k: -(raw[k] - base[k]))
        for k in order[: max(0, short)]:
            base[k] += 1
        for i, v in zip(idx, base, strict=True):
            items[i] = replace(items[i], value=float(v))
    return items


def _consistent_calls(items: list[Target], scale: float) -> list[Target]:
    """Scaled call counts that still add up and print the published percentage where one can.

    Received is scaled and rounded; answered is the count nearest its scaled value whose
    not-answered share prints as the published percentage (when the month has one); not
    answered is what is left.
    """
    by = {(t.measure, t.period_text): i for i, t in enumerate(items)}
    for ch in CHANNELS:
        split = identity_of(f"calls_{ch}_received")
        if split is None:
            continue
        answered_key, not_answered_key = split.parts
        for t in [t for t in items if t.measure == split.whole]:
            r = int(t.value)
            i_ans = by.get((answered_key, t.period_text))
            i_na = by.get((not_answered_key, t.period_text))
            i_pct = by.get((f"calls_{ch}_pct_not_answered", t.period_text))
            if i_ans is not None:
                published_answered = items[i_ans].published
            elif i_na is not None:
                published_answered = t.published - items[i_na].published
            else:
                continue
            want = round(published_answered * scale)
            pct = items[i_pct] if i_pct is not None else None
            candidates = sorted(
                range(max(0, want - 5), min(r, want + 5) + 1), key=lambda a: abs(a - want)
            )
            answered = next(
                (
                    a
                    for a in candidates
                    if pct is None or r == 0 or _prints(100 * (r - a) / r, pct.value, pct.decimals)
                ),
                want,
            )
            if i_ans is not None:
                items[i_ans] = replace(items[i_ans], value=float(answered))
            if i_na is not None:
                items[i_na] = replace(items[i_na], value=float(r - answered))
    return items


def _prints(value: float, target: float, decimals: int) -> bool:
    from .calibrate import rounds_to

    return rounds_to(value, target, decimals)


def default_targets_path() -> Path:
    """The packaged copy of the seed's reference figures (the default calibration target)."""
    return Path(str(resources.files("forcestat") / "data" / "seed_figures.csv"))


def load_targets(path: str | Path | None = None) -> Targets:
    """Read and validate a targets file (the packaged seed figures when ``path`` is None).

    Raises
    ------
    TargetsError
        The file is missing or lacks columns, names an unknown measure, gives a period that
        cannot be read, or an impossible value.
    """
    p = Path(path) if path is not None else default_targets_path()
    if not p.is_file():
        raise TargetsError(f"targets file not found: {p}")
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise TargetsError(f"{p.name}: missing columns {', '.join(missing)}")
        raw = [(i + 2, row) for i, row in enumerate(reader)]
    if not raw:
        raise TargetsError(f"{p.name}: no targets")
    last = _last_month([row["period"].strip() for _, row in raw])
    items = tuple(_read_row(p.name, line, row, last) for line, row in raw)
    targets = Targets(items, str(p))
    _check_consistency(p.name, targets)
    return targets


def _read_row(name: str, line: int, row: dict[str, str], last: date | None) -> Target:
    where = f"{name} line {line}"
    measure = (row["measure"] or "").strip()
    if measure not in KNOWN_MEASURES:
        raise TargetsError(
            f"{where}: unknown measure {measure!r}; synth can calibrate to: "
            + ", ".join(sorted(KNOWN_MEASURES))
        )
    text = (row["value"] or "").strip().replace(",", "")
    try:
        value = float(text)
    except ValueError:
        raise TargetsError(
            f"{where}: value {row['value']!r} of {measure} is not a number"
        ) from None
    unit = (row["unit"] or "").strip() or KNOWN_MEASURES[measure]
    period_text = (row["period"] or "").strip()
    period = resolve_period(period_text, last, where)
    if value < 0:
        raise TargetsError(f"{where}: {measure} for {period_text} is negative ({text})")
    if unit == "percent" and value > 100:
        raise TargetsError(f"{where}: {measure} for {period_text} is {text}%, above 100%")
    if unit == "count" and not value.is_integer():
        raise TargetsError(
            f"{where}: {measure} for {period_text} is a count but {text} is not whole"
        )
    return Target(
        section=(row["section"] or "").strip(),
        measure=measure,
        period_text=period_text,
        value=value,
        unit=unit,
        note=(row.get("note") or "").strip(),
        period=period,
        published=value,
        text=text,
        line=line,
    )


_MONTH_RE = r"(\d{4})-(0[1-9]|1[0-2])"


def _last_month(periods: list[str]) -> date | None:
    """The last month any period of the file reaches (what '2022 to date' runs to)."""
    last: date | None = None
    for text in periods:
        for y, m in re.findall(_MONTH_RE, text):
            d = date(int(y), int(m), 1)
            last = d if last is None or d > last else last
    return last


def resolve_period(text: str, last: date | None, where: str = "") -> Period | None:
    """A targets-file period string as a :class:`Period` (None for ``national``)."""
    t = text.strip()
    if t.lower() == "national":
        return None
    if m := re.fullmatch(r"to\s+" + _MONTH_RE, t, re.I):
        return fytd(date(int(m[1]), int(m[2]), 1))
    if m := re.fullmatch(r"(\d{4})\s+to\s+date", t, re.I):
        year = int(m[1])
        if last is None or last.year != year:
            raise TargetsError(f"{where}: {t!r} needs a month of {year} elsewhere in the file")
        return month_range(date(year, 1, 1), last)
    if m := re.fullmatch(r"last\s+(\d+)\s+months?\s+to\s+" + _MONTH_RE, t, re.I):
        to = date(int(m[2]), int(m[3]), 1)
        return month_range(add_months(to, 1 - int(m[1])), to)
    try:
        return parse_period(t)
    except PeriodError as e:
        raise TargetsError(f"{where}: {e}") from None


def _short(key: str, common: str) -> str:
    return key[len(common) :] if key.startswith(common) else key


def _check_consistency(name: str, targets: Targets) -> None:
    """Parts cannot exceed their whole, and a whole's parts, all given, must add up to it
    (answered + not answered = received): the catalogue's identities and subsets."""
    value = {(t.measure, t.period_text): t.value for t in targets}
    for part, whole in within():
        for t in targets.of(part):
            w = value.get((whole, t.period_text))
            if w is not None and t.value > w:
                raise TargetsError(
                    f"{name}: {part} for {t.period_text} ({t.value:.0f}) is above {whole} ({w:.0f})"
                )
    for ident in identities():
        for t in targets.of(ident.whole):
            parts = [value.get((p, t.period_text)) for p in ident.parts]
            if any(v is None for v in parts):
                continue
            total = sum(v for v in parts if v is not None)
            if total != t.value:
                common = os.path.commonprefix([ident.whole, *ident.parts])
                said = " + ".join(
                    f"{_short(p, common).replace('_', ' ')} {v:.0f}"
                    for p, v in zip(ident.parts, parts, strict=True)
                )
                raise TargetsError(
                    f"{name}: {ident.whole} for {t.period_text}: {said} is not "
                    f"{_short(ident.whole, common).replace('_', ' ')} {t.value:.0f}"
                )
