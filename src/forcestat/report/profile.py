"""The force profile: figures a board report needs that no record type holds.

A profile is a TOML file the force edits: its name, districts, school officers and the schools
they cover (now and as the board last saw them), and the benchmarks the board holds figures
against. ``load_profile(None)`` gives the packaged Kent profile.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError

DEFAULT_PROFILE = "kent_profile.toml"


@dataclass(frozen=True)
class Benchmark:
    """A standard a measure is held against, e.g. 999 attrition below 2%."""

    measure: str
    value: float
    direction: str  # "below" or "above": the side of ``value`` that meets the benchmark
    label: str
    text: str
    source: str
    scope: str = "fytd"

    def met(self, observed: float) -> bool:
        """Whether ``observed`` meets the benchmark (on the benchmark itself counts as met)."""
        return observed <= self.value if self.direction == "below" else observed >= self.value


@dataclass(frozen=True)
class ForceProfile:
    """What the report says about the force beyond its records."""

    name: str
    short_name: str
    commissioner: str
    board: str
    districts: tuple[str, ...]
    school_officers: int | None = None
    schools_covered: int | None = None
    earlier_school_officers: int | None = None
    earlier_schools_covered: int | None = None
    schools_as_at: str | None = None
    benchmarks: tuple[Benchmark, ...] = field(default_factory=tuple)
    source: str = ""

    def benchmark_for(self, measure: str) -> Benchmark | None:
        """The first benchmark registered for ``measure``, if any."""
        return next((b for b in self.benchmarks if b.measure == measure), None)


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise InputError(f"force profile {where}: missing required key {key!r}")
    return table[key]


def _optional_int(table: dict[str, Any], key: str, where: str) -> int | None:
    v = table.get(key)
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise InputError(f"force profile {where}: {key} must be a whole number >= 0, got {v!r}")
    return v


def _benchmark(raw: dict[str, Any], i: int, where: str) -> Benchmark:
    at = f"{where} [[benchmarks]] #{i + 1}"
    direction = raw.get("direction", "below")
    if direction not in ("below", "above"):
        raise InputError(f"force profile {at}: direction must be 'below' or 'above'")
    try:
        value = float(_require(raw, "value", at))
    except (TypeError, ValueError):
        raise InputError(f"force profile {at}: value must be a number") from None
    return Benchmark(
        measure=str(_require(raw, "measure", at)),
        value=value,
        direction=direction,
        label=str(raw.get("label", "benchmark")),
        text=str(raw.get("text", "")),
        source=str(raw.get("source", "")),
        scope=str(raw.get("scope", "fytd")),
    )


def parse_profile(data: dict[str, Any], where: str = "<profile>") -> ForceProfile:
    """Build a :class:`ForceProfile` from parsed TOML, with errors naming the bad key."""
    force = _require(data, "force", where)
    schools = data.get("schools", {})
    districts = force.get("districts", [])
    if not isinstance(districts, list) or not all(isinstance(d, str) for d in districts):
        raise InputError(f"force profile {where}: force.districts must be a list of names")
    name = str(_require(force, "name", f"{where} [force]"))
    return ForceProfile(
        name=name,
        short_name=str(force.get("short_name", name)),
        commissioner=str(force.get("commissioner", "Police and Crime Commissioner")),
        board=str(force.get("board", "Performance and Delivery Board")),
        districts=tuple(districts),
        school_officers=_optional_int(schools, "officers", where),
        schools_covered=_optional_int(schools, "schools_covered", where),
        earlier_school_officers=_optional_int(schools, "earlier_officers", where),
        earlier_schools_covered=_optional_int(schools, "earlier_schools_covered", where),
        schools_as_at=str(schools["as_at"]) if "as_at" in schools else None,
        benchmarks=tuple(_benchmark(b, i, where) for i, b in enumerate(data.get("benchmarks", []))),
        source=where,
    )


def default_profile_text() -> str:
    """The packaged Kent profile, as TOML text (synth copies it beside its records)."""
    return resources.files("forcestat.data").joinpath(DEFAULT_PROFILE).read_text("utf-8")


def load_profile(path: str | os.PathLike[str] | None = None) -> ForceProfile:
    """Read a force profile TOML file; ``None`` gives the packaged Kent profile.

    Parameters
    ----------
    path
        A TOML file laid out like ``forcestat/data/kent_profile.toml``.

    Raises
    ------
    InputError
        If the file is missing, is not TOML, or lacks a required key.
    """
    if path is None:
        return parse_profile(tomllib.loads(default_profile_text()), DEFAULT_PROFILE)
    p = Path(path)
    if not p.is_file():
        raise InputError(f"force profile not found: {p}")
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"force profile {p} is not valid TOML: {e}") from None
    return parse_profile(data, str(p))
