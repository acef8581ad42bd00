"""Validated, atomic ingest of record files (CSV, Parquet, JSON Lines) into the store.

>>> from forcestat.store import Store
>>> from forcestat.ingest import ingest_paths
>>> with Store.open(":memory:") as store:                       # doctest: +SKIP
...     results = ingest_paths(store, ["records/"])
...     [r.as_dict() for r in results]

Every record read ends loaded, quarantined (table ``quarantine``, with the rule it broke) or
skipped as an exact duplicate; see ``docs/ingest.md``.
"""

from __future__ import annotations

from .load import LoadResult, data_files, ingest_each, ingest_file, ingest_paths
from .quarantine import list_quarantine
from .readers import DATA_SUFFIXES
from .validate import Window

__all__ = [
    "DATA_SUFFIXES",
    "LoadResult",
    "Window",
    "data_files",
    "ingest_each",
    "ingest_file",
    "ingest_paths",
    "list_quarantine",
]
