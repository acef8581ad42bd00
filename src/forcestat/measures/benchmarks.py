"""The benchmark registry (``data/benchmarks.toml``): thresholds with their sources."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal


@dataclass(frozen=True)
class Benchmark:
    """A threshold a measure is judged against, and where it comes from."""

    key: str
    measure: str
    value: float
    comparison: Literal["at_most", "at_least"]
    label: str
    source: str

    def status(self, value: float | None) -> str | None:
        """'met' or 'not met' for a value, None when there is no value."""
        if value is None:
            return None
        ok = value <= self.value if self.comparison == "at_most" else value >= self.value
        return "met" if ok else "not met"


@cache
def load_benchmarks() -> dict[str, Benchmark]:
    """Every benchmark in the registry shipped with forcestat, by key."""
    text = resources.files("forcestat").joinpath("data/benchmarks.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    return {
        key: Benchmark(
            key=key,
            measure=b["measure"],
            value=float(b["value"]),
            comparison=b["comparison"],
            label=b["label"],
            source=" ".join(b["source"].split()),
        )
        for key, b in raw.items()
    }
