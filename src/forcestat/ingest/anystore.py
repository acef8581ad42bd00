"""Ingest and quarantine for whichever store ``--db`` names (DuckDB file or PostgreSQL).

The commands call these; each hands over to the store's own loader. A Spark store is read
from a Parquet lake and cannot be written: load DuckDB or PostgreSQL, then ``export-lake``.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from typing import Any

from ..errors import InputError
from .load import LoadResult, Progress, data_files, resolve
from .load import ingest_each as ingest_each_duckdb
from .load import ingest_paths as ingest_duckdb
from .mapping import Mapping
from .quarantine import list_quarantine, quarantine_summary
from .validate import Window


def _backend(store: Any) -> str:
    return str(getattr(store, "backend", "duckdb"))


def ingest_paths(
    store: Any,
    paths: Iterable[str | PathLike[str]],
    kind: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> list[LoadResult]:
    """Ingest files into a DuckDB or PostgreSQL store with the same guarantees."""
    backend = _backend(store)
    if backend == "postgres":
        from .postgres import ingest_paths as ingest_postgres

        return ingest_postgres(store, paths, kind=kind, replace=replace, progress=progress)
    if backend != "duckdb":
        raise InputError(
            f"a {backend} store is read-only: ingest into a DuckDB file or PostgreSQL, then "
            "write the lake with `forcestat export-lake`"
        )
    return ingest_duckdb(store, paths, kind=kind, replace=replace, progress=progress)


def ingest_each(
    store: Any,
    paths: Iterable[str | PathLike[str]],
    kind: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
    window: Window | None = None,
    mapping: Mapping | None = None,
) -> list[LoadResult]:
    """As :func:`ingest_paths`, but every file's outcome is returned (a refused file has
    ``status`` 'refused' and its ``error``) instead of the first refusal being raised.
    A mapping file (``mapping``) loads into a DuckDB store."""
    backend = _backend(store)
    if backend == "duckdb":
        return ingest_each_duckdb(store, paths, kind, replace, progress, window, mapping=mapping)
    if mapping is not None:
        raise InputError(
            "mapping files load into a DuckDB store; load there, then copy to this store"
        )
    if backend != "postgres":
        return ingest_paths(store, paths, kind, replace, progress)  # raises: read-only store
    from ..store import Store
    from .postgres import ingest_file as ingest_postgres

    files = data_files(paths)
    checks: list[str | None] = []
    with Store.open(":memory:") as probe:
        for f in files:
            try:
                resolve(probe.duck, f, kind, check_only=True)
                checks.append(None)
            except InputError as e:
                checks.append(str(e))
    if any(checks):
        out = []
        for f, why in zip(files, checks, strict=True):
            r = LoadResult.refused(str(f), why or "not loaded: another file was refused")
            r.status = "refused" if why else "not_loaded"
            out.append(r)
        return out
    results = []
    for i, f in enumerate(files, start=1):
        try:
            results.append(ingest_postgres(store, f, kind=kind, replace=replace))
        except InputError as e:
            results.append(LoadResult.refused(str(f), str(e)))
        if progress is not None:
            progress(i, len(files), str(f))
    return results


def quarantined_rows(
    store: Any, limit: int | None = 100, kind: str | None = None, load_id: int | None = None
) -> list[dict[str, Any]]:
    """:func:`~forcestat.ingest.quarantine.list_quarantine` on any store."""
    if _backend(store) == "duckdb":
        return list_quarantine(store, limit=limit, kind=kind, load_id=load_id)
    t = store.table("quarantine")
    if kind is not None:
        t = t.filter(t.kind == kind)
    if load_id is not None:
        t = t.filter(t.load_id == load_id)
    t = t.order_by([t.load_id.desc(), t.file, t.line])
    if limit is not None:
        t = t.limit(int(limit))
    cols = ["load_id", "file", "kind", "line", "column", "rule", "reason", "raw"]
    frame = t.select(*cols).execute()
    return [
        {c: (None if v != v else v) for c, v in row.items()}  # NaN (a NULL) back to None
        for row in frame.astype(object).to_dict("records")
    ]


def quarantine_counts(store: Any) -> list[dict[str, Any]]:
    """:func:`~forcestat.ingest.quarantine.quarantine_summary` on any store."""
    if _backend(store) == "duckdb":
        return quarantine_summary(store)
    import ibis

    t = store.table("quarantine")
    frame = (
        t.group_by(["kind", "rule"])
        .aggregate(n=t.count())
        .order_by([ibis.desc("n"), "kind", "rule"])
        .execute()
    )
    return [
        {"kind": r["kind"], "rule": r["rule"], "rows": int(r["n"])}
        for r in frame.to_dict("records")
    ]
