"""The appendix: measure definitions, benchmarks with sources, data coverage, published checks."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd

from ..periods import add_months
from .figures import Figures, month_name
from .narrative import benchmark_text
from .plain import plain_definition
from .profile import ForceProfile
from .spec import Section, TableSpec

MISSING_MONTH = "missing"
#: a period longer than this shows months held and records in all, not a column a month
COVERAGE_MONTH_COLUMNS = 6
HELD_MONTH = "held"
# Registers (people on strength) are read as a headcount at a date, not month by month.
REGISTER_KINDS = frozenset({"volunteers"})


def definitions(f: Figures, extra: Sequence[str] = (), only_held: bool = False) -> Section:
    """Each measure the report shows, with its unit and definition from the catalogue.

    ``extra`` adds measures shown outside the figures (the police.uk section's); with
    ``only_held`` a measure whose kind holds no record is left out, as its section is."""
    shown = list(dict.fromkeys([*(str(m) for m in f.frame["measure"]), *extra]))
    rows = []
    for key in shown:
        if key.startswith("cpv_") and not f.value(key, "at_date"):
            continue  # a volunteer role nobody holds is not in the report
        if only_held and key not in extra and not f.has_records(key):
            continue
        m = f.catalogue.get(key)
        label = str(getattr(m, "label", key))
        definition = plain_definition(str(getattr(m, "definition", "")))
        rows.append((label, (key, f.unit(key), definition)))
    table = TableSpec(
        caption="Measure definitions",
        stub_header="Measure",
        columns=("Key", "Unit", "Definition"),
        rows=tuple(rows),
        id="t-definitions",
        compact=True,
        align="left",
    )
    return (
        Section("definitions", "Appendix A: Measure Definitions")
        .add_paragraph(
            "Every figure in this report is counted from individual records with the "
            "definitions below, the same way every time. Months are calendar months in UK "
            "time; the financial year runs April to March. The key is the measure's name in "
            "forcestat, where analysts find its exact definition."
        )
        .add_table(table)
    )


def _label(f: Figures, key: str) -> str:
    return str(getattr(f.catalogue.get(key), "label", None) or key)


def _registry() -> list[Any]:
    try:
        mod = importlib.import_module("forcestat.measures")
        return list(mod.load_benchmarks().values())
    except (ImportError, AttributeError):
        return []


def benchmarks(f: Figures, profile: ForceProfile) -> Section:
    """The benchmark registry (shipped with forcestat) and the force profile's own benchmarks."""
    rows: list[tuple[str, tuple[str, ...]]] = []
    registry = _registry()
    for b in registry:
        side = "at most" if b.comparison == "at_most" else "at least"
        standard = f"{side} {benchmark_text(b.value, f.unit(b.measure))}"
        rows.append((b.label, (_label(f, b.measure), standard, "national", b.source)))
    held = {(b.measure, float(b.value)) for b in registry}
    for pb in profile.benchmarks:
        if (pb.measure, pb.value) in held:
            continue  # the profile restates a registry benchmark: list it once
        side = "at most" if pb.direction == "below" else "at least"
        rows.append(
            (
                pb.label[:1].upper() + pb.label[1:],
                (
                    _label(f, pb.measure),
                    f"{side} {benchmark_text(pb.value, f.unit(pb.measure))}",
                    "the force",
                    pb.source,
                ),
            )
        )
    table = TableSpec(
        caption="Benchmarks and their sources",
        stub_header="Benchmark",
        columns=("Measure", "Standard", "Set by", "Source"),
        rows=tuple(rows),
        id="t-benchmarks",
        compact=True,
        align="left",
    )
    return Section("benchmarks", "Appendix B: Benchmarks").add_table(table)


def coverage(f: Figures, only_held: bool = False) -> Section:
    """Records per kind for each month of the period; a month with none is 'missing'.

    With ``only_held`` kinds with no record at all are left out of the table (the report
    names the sections it leaves out once, below it)."""
    months = f.months
    kinds = sorted(
        k for k in f.coverage if k not in REGISTER_KINDS and (f.coverage[k] or not only_held)
    )
    rows = []
    for kind in kinds:
        counts = f.coverage[kind]
        first = min(counts) if counts else None
        last = max(counts) if counts else None
        if len(months) > COVERAGE_MONTH_COLUMNS:
            # a long period's months would run off the page: how many are held, and the total
            held = [m for m in months if m in counts]
            total = "held" if f.public else f"{sum(counts[m] for m in held):,}"
            cells = [f"{len(held)} of {len(months)}", total if held else MISSING_MONTH]
        else:
            cells = [_count_cell(f, kind, m) for m in months]
        gaps = _gaps(counts, first, last)
        rows.append(
            (
                kind,
                (
                    f"{first:%Y-%m}" if first else MISSING_MONTH,
                    f"{last:%Y-%m}" if last else MISSING_MONTH,
                    *cells,
                    _gap_text(gaps, bool(counts)),
                ),
            )
        )
    table = TableSpec(
        caption="Data coverage: records held per month",
        stub_header="Record type",
        columns=(
            "First month",
            "Last month",
            *(
                ("Months held", "Records")
                if len(months) > COVERAGE_MONTH_COLUMNS
                else (month_name(m, short=True) for m in months)
            ),
            "Gaps",
        ),
        rows=tuple(rows),
        id="t-coverage",
        compact=True,
        note="A month with no records is shown as missing, not as zero; its figures are left "
        "blank in the report."
        + (
            " In the public edition record counts are not shown, only whether a month's "
            "records are held."
            if f.public
            else ""
        ),
    )
    sec = Section("coverage", "Appendix C: Data Coverage")
    if not kinds:
        return sec.add_paragraph("Data coverage is not available for this data source.")
    return sec.add_table(table)


def _count_cell(f: Figures, kind: str, m: date) -> str:
    if m not in f.coverage[kind]:
        return MISSING_MONTH
    # public edition: a month's record count adds up to figures the report shows, so it could
    # give a withheld one back; say only that records are held
    return HELD_MONTH if f.public else f"{f.coverage[kind][m]:,}"


def _gap_text(gaps: list[date], any_records: bool) -> str:
    if not any_records:
        return "no records held"
    if not gaps:
        return "none"
    shown = ", ".join(f"{g:%Y-%m}" for g in gaps[:6])
    return shown + (f" and {len(gaps) - 6} more" if len(gaps) > 6 else "")


def _gaps(counts: dict[date, int], first: date | None, last: date | None) -> list[date]:
    if first is None or last is None:
        return []
    out, m = [], first
    while m <= last:
        if m not in counts:
            out.append(m)
        m = add_months(m, 1)
    return out


def _finding_dicts(findings: Any) -> list[dict[str, Any]]:
    if findings is None:
        return []
    if isinstance(findings, pd.DataFrame):
        return [dict(r) for r in findings.to_dict(orient="records")]
    out = []
    for item in findings:
        if isinstance(item, dict):
            out.append(item)
        elif hasattr(item, "as_dict"):
            out.append(dict(item.as_dict()))
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            out.append(dataclasses.asdict(item))
        else:
            out.append({"finding": str(item)})
    return out


def published(findings: Any, source: str) -> Section:
    """What ``check-published`` found comparing the published figures with the records."""
    items = _finding_dicts(findings)
    sec = Section("published", "Appendix D: Check of Published Figures")
    sec = sec.add_paragraph(
        f"The published figures in {source} were checked for consistency with one another "
        "(totals against their months, percentages against their counts, averages against "
        f"their totals, year-to-date pairs). {len(items)} "
        f"{'inconsistency was' if len(items) == 1 else 'inconsistencies were'} found."
    )
    if not items:
        return sec
    keys = [k for k in items[0] if not str(k).startswith("_")]
    label_key = next((k for k in ("measure", "check", "kind") if k in keys), keys[0])
    cols = [k for k in keys if k != label_key][:5]
    rows = tuple(
        (str(it.get(label_key, "")), tuple(_cell(it.get(c)) for c in cols)) for it in items
    )
    return sec.add_table(
        TableSpec(
            caption="Inconsistencies in the published figures",
            stub_header=str(label_key).replace("_", " ").capitalize(),
            columns=tuple(str(c).replace("_", " ").capitalize() for c in cols),
            rows=rows,
            id="t-published",
            compact=True,
            align="left",
        )
    )


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return str(v)
