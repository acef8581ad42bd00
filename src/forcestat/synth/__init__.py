"""Seed-calibrated synthetic records: a realistic force whose published figures are known.

``generate(out_dir, targets=None, seed=0, scale=1.0)`` writes record files that ``forcestat
ingest`` reads and whose figures, by the fixed measure definitions, print as the targets file's.
"""

from __future__ import annotations

from .generate import SynthResult, generate
from .targets import Target, Targets, default_targets_path, load_targets

__all__ = ["SynthResult", "Target", "Targets", "default_targets_path", "generate", "load_targets"]
