"""``records/synthetic.json``: the marker that tells ingest, and so every report, that the
records are synthetic, with which figures were fitted to published values and which invented.

Ingest copies it into the store (:mod:`forcestat.provenance`); the report turns it into the
calibration note ("Figures fitted to published values: ...; everything else is invented").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..provenance import MARKER


def _periods(entries: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in entries:
        out.setdefault(str(e["measure"]), []).append(str(e["period"]))
    return out


def manifest(calibration: dict[str, Any], targets_name: str) -> dict[str, Any]:
    """The marker's content, from calibration.json's document."""
    entries = calibration.get("targets", [])
    fitted = [e for e in entries if e.get("status") == "met"]
    missed = [e for e in entries if e.get("status") == "missed"]
    return {
        "synthetic": True,
        "generator": calibration.get("generator", "forcestat synth"),
        "seed": calibration.get("seed"),
        "scale": calibration.get("scale"),
        "targets_file": targets_name,
        "fitted": _periods(fitted),
        "missed": [
            {"measure": e["measure"], "period": e["period"], "why": e.get("why", "")}
            for e in missed
        ],
        "invented": calibration.get("invented", []),
        "implausible": calibration.get("implausible", []),
    }


def write_manifest(records: Path, calibration: dict[str, Any], targets_name: str) -> Path:
    """Write ``records/synthetic.json`` and return its path."""
    records.mkdir(parents=True, exist_ok=True)
    path = records / MARKER
    doc = manifest(calibration, targets_name)
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    return path
