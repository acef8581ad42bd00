"""Measure synth output with the measures engine itself: there is no second implementation.

:func:`measure_files` evaluates the catalogue over the written files as they lie (DuckDB views
over ``read_parquet``/``read_csv``, typed and given the derived columns ingest would add), fast
at any ``--scale``; :func:`measure_in_store` does what a user does (``forcestat ingest
DIR/records`` into a fresh store, then ``forcestat measures``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..errors import ForcestatError
from ..schema import get_kind
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


def file_views(files: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per record kind over its written file, typed as the
    store types it and with the kind's derived columns (``month``, queue and talk times)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, path in files.items():
        try:
            kind = get_kind(name)
        except ForcestatError:
            continue  # a file of no record kind the measures read
        where = str(path).replace("'", "''")
        reader = (
            f"read_parquet('{where}')"
            if path.suffix == ".parquet"
            else f"read_csv('{where}', all_varchar = true, header = true)"
        )
        present = {str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()}
        typed = ", ".join(
            f'CAST("{c.name}" AS {c.sql_type}) AS "{c.name}"'
            if c.name in present
            else f'CAST(NULL AS {c.sql_type}) AS "{c.name}"'
            for c in kind.columns
        )
        derived = "".join(f', {d.sql} AS "{d.name}"' for d in kind.derived_columns)
        con.execute(
            f'CREATE VIEW "{kind.name}" AS SELECT *{derived} FROM (SELECT {typed} FROM {reader})'
        )
    return con


#: The record kinds the Speedwatch workflow reads: its outcomes are decided, not written.
SPEEDWATCH_KINDS = (
    "speedwatch_sites",
    "speedwatch_sessions",
    "speedwatch_detections",
    "vehicle_keepers",
)


def measure_files(files: dict[str, Path], targets: Targets) -> dict[tuple[str, str], float | None]:
    """The catalogue's value of each target's measure, evaluated over the written files.

    Measures over tables a workflow makes (Speedwatch letters, visits and DVLA referrals are
    what its ladder decides) are evaluated on a scratch store holding just the Speedwatch files,
    processed with the default policy.
    """
    import ibis

    from ..measures import CATALOGUE

    con = file_views(files)
    views = {str(r[0]) for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}

    def direct(t: Target) -> bool:
        m = CATALOGUE.get(t.measure)
        return m is None or set(m.source.tables) <= views

    try:
        out = evaluate_targets(ibis.duckdb.from_connection(con), [t for t in targets if direct(t)])
    finally:
        con.close()
    rest = [t for t in targets if not direct(t)]
    if rest and "speedwatch_detections" in files:
        from ..ingest import ingest_paths
        from ..workflows.speedwatch import load_policy, process

        with Store.open(":memory:") as store:
            ingest_paths(store, [files[k] for k in SPEEDWATCH_KINDS if k in files])
            process(store, load_policy(None))
            out |= evaluate_targets(store, rest)
    return out


def evaluate_targets(store: Any, targets: Iterable[Target]) -> dict[tuple[str, str], float | None]:
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
