"""What the backend tests share: a small synthetic force, the board report's scopes, the
catalogue computed over them, and the cells where two backends' tables differ.

A seed-calibrated synthetic force (2% of Kent's volumes) is written and ingested into a DuckDB
file (:func:`synth_force`, the ``synth`` fixture of tests/conftest.py); the board report's own
scopes (the months of its trend, the period, the financial year to date, the s.136 history,
headcounts at the last day, Speedwatch's calendar year) are recorded from a real report run
(:func:`report_scopes`) and evaluated with the whole catalogue over the reporting period by
month and in total (:func:`catalogue_tables`); :func:`differences` lists the cells that are
not equal: counts exactly, ratios and means to 1e-9.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from forcestat.measures import CATALOGUE, Engine, evaluate
from forcestat.periods import parse_period
from forcestat.store import Store

PERIOD = "2022-08..2022-10"
SCALE = 0.02
NUMBERS = ("value", "previous_value", "last_year_value", "change", "last_year_change")
TEXTS = ("record", "note", "previous_period", "last_year_period", "benchmark_status")
Scope = tuple[list[str] | None, str, str, bool]


def synth_force(out: Path) -> Path:
    """Write a synthetic force's records into ``out``/records and ingest them into
    ``out``/store.duckdb; ``out``/duckdb_counts.json keeps what each file's ingest reported."""
    from forcestat.ingest import ingest_paths
    from forcestat.synth import generate

    generate(out, scale=SCALE, measure="none")
    with Store.open(out / "store.duckdb") as s:
        results = ingest_paths(s, [out / "records"])
    (out / "duckdb_counts.json").write_text(json.dumps([r.as_dict() for r in results]))
    return out


def report_scopes(store: Any) -> list[Scope]:
    """(keys, period, grain, comparisons) of every evaluate call the board report makes."""
    from forcestat.report.figures import collect_figures

    calls: list[Scope] = []

    def spy(con, keys, period, grain, comparisons=True, **kw):
        calls.append((list(keys), period, grain, comparisons))
        return evaluate(con, keys, period, grain, comparisons=comparisons)

    collect_figures(store, parse_period(PERIOD), evaluate=spy)
    return calls


def catalogue_tables(con: Any, scopes: list[Scope]) -> pd.DataFrame:
    """Every scope's figures, and the whole catalogue over the period, as one frame."""
    engine = Engine(con, CATALOGUE)
    whole: list[Scope] = [(None, PERIOD, "total", True), (None, PERIOD, "month", True)]
    frames = []
    for i, (keys, period, grain, cmp) in enumerate([*whole, *scopes]):
        df = evaluate(con, keys, period, grain, comparisons=cmp, engine=engine)
        frames.append(df.assign(scope=i))
    return pd.concat(frames, ignore_index=True)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def differences(ref: pd.DataFrame, other: pd.DataFrame) -> list[str]:
    """Cells that differ: exact for counts and text, 1e-9 (relative) for other numbers."""
    assert len(ref) == len(other)
    out = []
    units = {k: m.unit for k, m in CATALOGUE.items()}
    for (_, a), (_, b) in zip(ref.iterrows(), other.iterrows(), strict=True):
        where = f"{a['measure']} {a['period']} (scope {a.get('scope')})"
        assert (a["measure"], a["period"]) == (b["measure"], b["period"]), where
        for c in NUMBERS:
            x, y = a[c], b[c]
            if _missing(x) or _missing(y):
                if _missing(x) != _missing(y):
                    out.append(f"{where} {c}: {x!r} != {y!r}")
            elif units.get(a["measure"]) == "count" and c in ("value", "previous_value"):
                if float(x) != float(y):
                    out.append(f"{where} {c}: {x!r} != {y!r}")
            elif not math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9):
                out.append(f"{where} {c}: {x!r} != {y!r}")
        for c in TEXTS:
            x, y = a[c], b[c]
            if not (_missing(x) and _missing(y)) and str(x) != str(y):
                out.append(f"{where} {c}: {x!r} != {y!r}")
    return out
