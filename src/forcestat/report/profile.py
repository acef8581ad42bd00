"""The force profile: figures a board report needs that no record type holds.

A profile is a TOML file the force edits: its name, districts, school officers and the schools
they cover (now and as the board last saw them), and the benchmarks the board holds figures
against. ``load_profile(None)`` (or ``load_profile("kent")``) gives the packaged Kent profile;
a report given no profile uses :func:`neutral_profile`, which says nothing about any force
beyond its name in the records. :func:`profile_template` is the commented file
``forcestat profile init --force NAME`` writes for a force to fill in.
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
#: profiles that ship with forcestat, by the name ``--profile`` accepts
SHIPPED_PROFILES = {"kent": DEFAULT_PROFILE}
#: what a report calls a force nothing names
UNNAMED_FORCE = "Police force"


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
    if not p.exists() and str(path).lower() in SHIPPED_PROFILES:
        name = SHIPPED_PROFILES[str(path).lower()]
        text = resources.files("forcestat.data").joinpath(name).read_text("utf-8")
        return parse_profile(tomllib.loads(text), name)
    if not p.is_file():
        raise InputError(f"force profile not found: {p}")
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"force profile {p} is not valid TOML: {e}") from None
    return parse_profile(data, str(p))


def neutral_profile(name: str | None = None) -> ForceProfile:
    """The profile of a report given none: the force's name (from the records, e.g.
    police.uk's ``Falls within``) and nothing else: no districts, school officers or
    benchmarks."""
    force = name or UNNAMED_FORCE
    return ForceProfile(
        name=force,
        short_name=force,
        commissioner="Police and Crime Commissioner",
        board="Performance Board",
        districts=(),
        source="no force profile given",
    )


def profile_template(force: str) -> str:
    """A commented force profile for ``force`` to fill in (valid TOML as it stands)."""
    name = force.strip()
    if not name:
        raise InputError("profile init: --force must name the force, e.g. 'Wessex Police'")
    short = name.split()[0]
    q = _toml_string
    return f"""# Force profile for {name}: the figures a board report needs that no record holds.
# Fill it in, then write the report with:
#     forcestat report --period 2022-08..2022-10 --out report --profile THIS_FILE
# Anything left commented out is simply not reported. Nothing here is a record: the report
# states where each figure comes from ("Source: force profile").

[force]
name = {q(name)}                  # as the report's title names the force
short_name = {q(short)}           # used in running text
commissioner = "Police and Crime Commissioner"   # who the report is prepared for
board = "Performance Board"       # the board that receives it

# Districts (local policing areas) the neighbourhood section lists. Leave empty to leave
# that section out.
districts = []
# districts = ["North", "South", "East"]

# School officers and the schools they cover, as at a date; the earlier figures are what
# the board last saw (for the comparison sentence). Uncomment to report them.
[schools]
# as_at = "2022-10-31"
# officers = 12
# schools_covered = 40
# earlier_officers = 10
# earlier_schools_covered = 35

# Benchmarks the board holds figures against, one [[benchmarks]] table each. `measure` is a
# catalogue key (see `forcestat measures --list`); `scope` says which figure is compared:
# "fytd" (financial year to date), "period" or "month"; `direction` is the side of `value`
# that meets it.
# [[benchmarks]]
# measure = "calls_999_pct_answered_within_10s"
# scope = "fytd"
# value = 90.0
# direction = "above"
# label = "Home Office 999 answer-time standard"
# text = "90% of 999 calls should be answered within 10 seconds."
# source = "Home Office 999 call-answering data"
"""


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
