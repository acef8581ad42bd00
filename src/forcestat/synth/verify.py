"""Measure synth output the way a user will: ingest into a fresh store, evaluate the catalogue.

This is the check that matters (``forcestat ingest DIR/records`` then ``forcestat measures``);
:mod:`forcestat.synth.achieved` measures the files directly and is used where ingesting would
take too long (very large ``--scale``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store import Store
from .targets import Target, Targets


@dataclass
class StoreCheck:
    """Ingest results and the catalogue's value for every target."""

    loads: list[Any]
    achieved: dict[tuple[str, str], float | None]

    @property
    def read(self) -> int:
        return sum(r.read for r in self.loads)

    @property
    def loaded(self) -> int:
        return sum(r.loaded for r in self.loads)

    @property
    def quarantined(self) -> int:
        return sum(r.quarantined for r in self.loads)


def measure_in_store(
    records_dir: Path, targets: Targets, db: str | Path = ":memory:"
) -> StoreCheck:
    """Ingest ``records_dir`` into a fresh store and evaluate every target's measure."""
    from ..ingest import ingest_paths
    from ..workflows.speedwatch import load_policy, process

    with Store.open(db) as store:
        loads = ingest_paths(store, [records_dir])
        # Speedwatch letters, visits and DVLA referrals are what the workflow decides
        process(store, load_policy(None))
        return StoreCheck(loads, evaluate_targets(store, targets))


def evaluate_targets(store: Store, targets: Targets) -> dict[tuple[str, str], float | None]:
    """The catalogue's value of each target's measure over the target's period."""
    from ..measures import CATALOGUE, evaluate

    by_period: dict[Any, list[Target]] = defaultdict(list)
    for t in targets:
        if t.period is not None and t.measure in CATALOGUE:
            by_period[t.period].append(t)
    out: dict[tuple[str, str], float | None] = {}
    for period, ts in by_period.items():
        keys = sorted({t.measure for t in ts})
        df = evaluate(store, keys, period, grain="total", comparisons=False)
        values = {row.measure: row.value for row in df.itertuples()}
        for t in ts:
            v = values.get(t.measure)
            out[(t.measure, t.period_text)] = None if v is None or v != v else float(v)
    return out
