"""The Speedwatch policy: thresholds, the rolling window, the ladder of actions, exemptions.

``load_policy(None)`` gives the packaged defaults (``data/speedwatch_policy.toml``); a force's
own file overrides any key it gives.

>>> p = load_policy(None)
>>> [p.threshold(limit) for limit in (20, 30, 40, 50, 60, 70)]
[25.0, 35.0, 46.0, 57.0, 68.0, 79.0]
>>> [p.action(n) for n in (1, 3, 4, 5, 9)]
['letter1', 'letter3', 'visit', 'referral', 'referral']
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ...errors import InputError

LETTERS = ("letter1", "letter2", "letter3")
ACTIONS = (*LETTERS, "visit", "referral")
TAX_STATUSES = ("sorn", "untaxed")


@dataclass(frozen=True)
class LetterText:
    """What every letter prints besides the force's name."""

    unit: str = "Community Speedwatch"
    return_address: str = ""
    contact: str = ""
    signatory: str = "Community Speedwatch Coordinator"


@dataclass(frozen=True)
class Policy:
    """A force's Speedwatch policy (see ``data/speedwatch_policy.toml`` for each field)."""

    thresholds: dict[int, float] = field(default_factory=dict)
    other_percent: float = 10
    other_extra_mph: float = 2
    window_months: int = 12
    steps: tuple[str, ...] = ACTIONS
    exempt: frozenset[str] = frozenset()
    dvla_statuses: tuple[str, ...] = TAX_STATUSES
    letters: LetterText = LetterText()
    source: str = ""

    def threshold(self, limit_mph: int) -> float:
        """The speed at or above which a detection on a ``limit_mph`` road is a sighting."""
        if limit_mph in self.thresholds:
            return self.thresholds[limit_mph]
        # integer hundredths: 50 * 1.1 + 2 is 57.000000000000007 in floating point
        hundredths = round(limit_mph * (100 + self.other_percent) + 100 * self.other_extra_mph)
        return float(-(-hundredths // 100))

    def threshold_sql(self, limit: str = "limit_mph") -> str:
        """SQL computing :meth:`threshold` for column ``limit``."""
        listed = " ".join(f"WHEN {k} THEN {float(v)!r}" for k, v in sorted(self.thresholds.items()))
        other = (
            f"CAST(ceil(round({limit} * {100 + self.other_percent!r} + "
            f"{100 * self.other_extra_mph!r}) / 100.0) AS DOUBLE)"
        )
        return f"(CASE {limit} {listed} ELSE {other} END)" if listed else other

    def action(self, sighting_number: int) -> str:
        """What the ``sighting_number``-th sighting in the window leads to."""
        return self.steps[min(sighting_number, len(self.steps)) - 1]

    def as_json(self) -> str:
        d = asdict(self)
        d["exempt"] = sorted(self.exempt)
        return json.dumps(d, sort_keys=True, default=str)


def default_policy_path() -> Path:
    return Path(str(resources.files("forcestat") / "data" / "speedwatch_policy.toml"))


def normalise_vrm(mark: str) -> str:
    """A registration mark as the store keeps it: upper case, no spaces."""
    return "".join(mark.split()).upper()


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no policy file at {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"policy file {path} is not valid TOML: {e}") from None


def load_policy(path: str | Path | None) -> Policy:
    """The packaged default policy, overridden by the keys of ``path`` (if given)."""
    data = _read(default_policy_path())
    source = str(default_policy_path())
    if path is not None:
        own = _read(Path(path))
        unknown = set(own) - set(data)
        if unknown:
            raise InputError(
                f"policy file {path}: unknown section(s) {', '.join(sorted(unknown))}; "
                f"expected {', '.join(sorted(data))}"
            )
        for section, values in own.items():
            if not isinstance(values, dict):
                raise InputError(f"policy file {path}: [{section}] must be a table")
            data[section] = values if section == "thresholds" else {**data[section], **values}
        source = str(path)
    return _build(data, source)


def _build(d: dict[str, Any], source: str) -> Policy:
    where = f"policy {source}"
    try:
        thresholds = {int(k): float(v) for k, v in d["thresholds"].items()}
        other = d["other_limits"]
        ladder = d["ladder"]
        steps = tuple(str(s) for s in ladder["steps"])
        window = int(ladder["window_months"])
        exempt = frozenset(normalise_vrm(str(m)) for m in d["exempt"]["marks"])
        statuses = tuple(str(s) for s in d["dvla"]["statuses"])
        letters = LetterText(**{k: str(v) for k, v in d["letters"].items()})
        percent, extra = float(other["percent"]), float(other["extra_mph"])
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"{where}: {e.__class__.__name__} {e}") from None
    bad = [s for s in steps if s not in ACTIONS]
    if not steps or bad:
        raise InputError(f"{where}: ladder steps must be among {', '.join(ACTIONS)}; got {bad}")
    if window < 1:
        raise InputError(f"{where}: window_months must be at least 1, not {window}")
    if any(v <= 0 for v in thresholds.values()) or percent < 0 or extra < 0:
        raise InputError(f"{where}: thresholds must be positive")
    if set(statuses) - set(TAX_STATUSES):
        raise InputError(f"{where}: dvla statuses must be among {', '.join(TAX_STATUSES)}")
    return Policy(thresholds, percent, extra, window, steps, exempt, statuses, letters, source)
