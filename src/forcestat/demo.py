"""The main job end to end: seed-calibrated records -> store -> key figures -> board report.

``forcestat demo`` (and so ``make demo``) is a thin layer over :func:`run_demo`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Any

from .periods import parse_period
from .store import Store

#: The figures the demo prints: the board's headline contact, crime and s.136 measures.
KEY_MEASURES = (
    "calls_999_received",
    "calls_999_pct_not_answered",
    "calls_999_avg_queue_seconds",
    "calls_101_received",
    "calls_101_pct_not_answered",
    "calls_101_avg_queue_seconds",
    "recorded_crime",
    "cancelled_crime_pct",
    "s136_detentions",
)

Progress = Callable[[str], None]


@dataclass
class DemoResult:
    out_dir: Path
    db: Path
    loads: list[Any]
    figures: Any  # pandas.DataFrame from measures.evaluate
    report: dict[str, Path] = field(default_factory=dict)
    calibration: Path | None = None


def packaged_seed_figures() -> Path:
    """The seed board report's published figures, shipped with forcestat."""
    return Path(str(resources.files("forcestat") / "data" / "seed_figures.csv"))


#: when the demo's Operation Encompass sending runs each day (Europe/London)
ENCOMPASS_RUNS = (time(7, 0), time(12, 0), time(17, 0))


def send_encompass_as_scheduled(store: Store) -> int:
    """Send the due Operation Encompass notifications as if ``encompass send`` had run every
    day at :data:`ENCOMPASS_RUNS`, into an outbox that delivers nothing; returns how many.
    An incident reported after 07:00 on a school day is sent at noon: after its deadline."""
    from .workflows.encompass import SAFEGUARDING, Outbox, on_schedule, send

    outbox = Outbox(keep=False)
    send(
        store,
        "",
        SAFEGUARDING,
        force="Kent Police",
        actor="forcestat demo",
        transport=outbox,
        sent_at=on_schedule(ENCOMPASS_RUNS),
        record_every=1000,  # nothing is delivered, so nothing can be sent twice
    )
    return outbox.count


def run_demo(
    out_dir: str | Path,
    *,
    seed: int = 0,
    period: str = "2022-08..2022-10",
    formats: tuple[str, ...] = ("html", "pdf", "docx"),
    progress: Progress | None = None,
) -> DemoResult:
    """Build a seed-calibrated store in ``out_dir`` and write the board report from it.

    Safe to run again: synth writes identical files for the same seed and ingest skips rows
    it already holds.
    """
    from .ingest import ingest_paths
    from .measures import evaluate
    from .report import write_report
    from .synth import generate
    from .workflows.speedwatch import load_policy, process

    say = progress or (lambda _msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    p = parse_period(period)

    say("Generating seed-calibrated records")
    synth = generate(
        out, seed=seed, progress=lambda step, done, total: say(f"  synth: {step} ({done}/{total})")
    )
    db = out / "forcestat.duckdb"
    with Store.open(db) as store:
        say("Loading records into the store")
        loads = ingest_paths(
            store,
            [out / "records"],
            progress=lambda done, total, file: say(f"  ingest: {Path(file).name} ({done}/{total})"),
        )
        say("Processing Speedwatch detections (letters, visits, DVLA)")
        process(store, load_policy(None))
        say("Sending Operation Encompass notifications (simulated: nothing leaves the machine)")
        send_encompass_as_scheduled(store)
        say("Computing key figures")
        figures = evaluate(store, list(KEY_MEASURES), p, grain="month", comparisons=False)
        say("Writing the board report")
        report = write_report(
            store,
            p,
            out / "report",
            published=packaged_seed_figures(),
            profile="kent",  # the demo's records are calibrated to Kent's board report
            formats=formats,
        )
    calibration = getattr(synth, "calibration_path", None) or out / "calibration.json"
    return DemoResult(out, db, loads, figures, report, Path(calibration))
