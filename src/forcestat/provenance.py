"""Whether a store holds synthetic records, recorded in the store itself.

``forcestat synth`` writes ``records/synthetic.json`` beside the record files it makes (the
generator, its seed, and which figures were fitted to published values and which invented).
``forcestat ingest`` finds that marker above any file it loads and records it in the store's
``store_facts`` table, so a report made from the store later -- by anyone, from anywhere --
knows its figures are synthetic and says so on every page.

>>> from forcestat.store import Store
>>> with Store.open(":memory:") as s:
...     before = is_synthetic(s)
...     mark_synthetic(s, {"generator": "forcestat synth", "seed": 0})
...     after = is_synthetic(s), synthetic_manifest(s)["seed"]
>>> before, after
(False, (True, 0))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The file synth writes beside its records; ingest looks for it in the file's folders.
MARKER = "synthetic.json"
SYNTHETIC_KEY = "synthetic"

DDL = "CREATE TABLE IF NOT EXISTS store_facts (key VARCHAR PRIMARY KEY, value VARCHAR)"


def _duck(store: Any) -> Any:
    return getattr(store, "duck", None)


def _has_table(duck: Any) -> bool:
    row = duck.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_facts'"
    ).fetchone()
    return bool(row and row[0])


def mark_synthetic(store: Any, manifest: dict[str, Any]) -> None:
    """Record in ``store`` that it holds synthetic records described by ``manifest``."""
    duck = _duck(store)
    duck.execute(DDL)
    duck.execute(
        "INSERT OR REPLACE INTO store_facts VALUES (?, ?)",
        [SYNTHETIC_KEY, json.dumps(manifest, sort_keys=True, default=str)],
    )


def synthetic_manifest(store: Any) -> dict[str, Any] | None:
    """The manifest of the synthetic records ``store`` holds, or None for real records.

    A store made by an older forcestat (no ``store_facts`` table) or any other Ibis backend
    reads as real: nothing recorded says otherwise.
    """
    duck = _duck(store)
    if duck is None or not _has_table(duck):
        return None
    row = duck.execute("SELECT value FROM store_facts WHERE key = ?", [SYNTHETIC_KEY]).fetchone()
    if not row:
        return None
    try:
        doc = json.loads(row[0])
    except (TypeError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def is_synthetic(store: Any) -> bool:
    """True when ``store`` holds records that ``forcestat synth`` generated."""
    return synthetic_manifest(store) is not None


def find_marker(path: Path, root: Path | None = None) -> Path | None:
    """The synth marker in ``path``'s folder or a folder above it (up to ``root``), if any."""
    here = path if path.is_dir() else path.parent
    stop = (root if root is not None else here).resolve()
    for folder in (here.resolve(), *here.resolve().parents):
        marker = folder / MARKER
        if marker.is_file():
            return marker
        if folder == stop or folder.parent == folder:
            break
    return None


def read_marker(marker: Path) -> dict[str, Any]:
    """The manifest in a marker file (an unreadable one still says "synthetic")."""
    try:
        doc = json.loads(marker.read_text("utf-8"))
    except (OSError, ValueError):
        return {"generator": "unknown (unreadable synthetic.json)"}
    return doc if isinstance(doc, dict) else {}
