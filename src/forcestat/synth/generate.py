"""``generate``: write a force's synthetic records calibrated to a targets file.

Writes ``out_dir/records/<kind>.<format>`` (one file per record kind, what ``forcestat ingest``
reads), ``out_dir/calibration.json`` and ``out_dir/force_profile.toml``.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from itertools import islice
from pathlib import Path

import duckdb

from .. import __version__
from ..errors import ForcestatError, InputError
from ..measures.contact import call_keys
from . import calls as calls_mod
from .calibrate import CalibrationLog, write_calibration
from .context import implausible_histories, invented_entries, with_context
from .manifest import write_manifest
from .plan import plan_channel
from .targets import Targets, default_targets_path, load_targets
from .verify import measure_files, measure_in_store
from .writer import FORMATS, RecordWriter

#: progress(step, done, total): called as each unit of work finishes.
Progress = Callable[[str, int, int], None]


@dataclass
class SynthResult:
    """What ``generate`` wrote."""

    out_dir: Path
    records_dir: Path
    files: dict[str, Path]
    rows: dict[str, int]
    calibration_path: Path
    calibration: dict
    profile_path: Path | None
    seconds: float
    seed: int
    scale: float
    fmt: str
    notes: list[str] = field(default_factory=list)
    #: seconds spent generating and writing records (``seconds`` adds measuring them)
    write_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def missed(self) -> list[dict]:
        return [e for e in self.calibration["targets"] if e["status"] == "missed"]


def generate(
    out_dir: str | Path,
    targets: str | Path | Targets | None = None,
    seed: int = 0,
    scale: float = 1.0,
    progress: Progress | None = None,
    fmt: str = "parquet",
    measure: str = "auto",
    context: bool | None = None,
) -> SynthResult:
    """Write synthetic records whose figures reproduce ``targets`` (default: the seed figures).

    Parameters
    ----------
    out_dir
        Folder to write into; ``records/`` inside it is replaced.
    targets
        A targets file (seed_figures.csv format), already-loaded :class:`Targets`, or None for
        the packaged seed figures. Records are written only for what the targets cover.
    seed
        Same seed, same bytes.
    scale
        Volume multiplier: counts are scaled and rounded, percentages and mean times kept.
    progress
        Callback ``progress(step, done, total)``.
    fmt
        ``parquet`` (default) or ``csv``.
    measure
        Where calibration.json's achieved values come from: ``files`` or ``auto`` (the
        measures engine over DuckDB views of the written files: fast at any scale), ``store``
        (ingest the records into a temporary in-memory store first, as a user would) or
        ``none``. Either way the figures are the catalogue's own, from one engine.
    context
        Invent the twelve months before the published ones so that they follow the seed's
        words (999 calls rising, 101 falling year on year, ...; see
        :mod:`forcestat.synth.context`). None (the default) does so for the packaged seed
        figures only: another targets file's words are not known.

    Raises
    ------
    TargetsError
        The targets file is invalid; nothing is written.
    """
    t0 = time.perf_counter()
    if scale <= 0:
        raise InputError(f"--scale must be positive, not {scale}")
    if measure not in ("auto", "store", "files", "none"):
        raise InputError(f"measure must be auto, store, files or none, not {measure!r}")
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    base = targets if isinstance(targets, Targets) else load_targets(targets)
    tg = base.scaled(scale)
    if context is None:
        context = Path(base.source).resolve() == default_targets_path().resolve()
    gen = with_context(tg) if context else tg
    implausible = implausible_histories(tg)
    out = Path(out_dir)
    records = out / "records"
    if records.exists():
        shutil.rmtree(records)
    log, side_log = CalibrationLog(), CalibrationLog()
    writer = RecordWriter(records, fmt)
    call_months = [(ch, plan) for ch in ("999", "101") for plan in plan_channel(gen, ch, log)]
    steps = _steps(gen, seed, side_log, writer)
    ticker = _Ticker(progress, len(call_months) + len(steps))
    generated: set[str] = set()
    try:
        # everything but calls runs beside them, on its own thread and its own log (merged
        # after, calls first, so calibration.json does not depend on timing)
        with ThreadPoolExecutor(max_workers=1) as side:
            others = side.submit(_run_steps, steps, ticker)
            generated |= _write_calls(writer, call_months, seed, scale, ticker)
            generated |= others.result()
        ticker.finish("done")
    finally:
        files = writer.close()
    log.merge(side_log)
    for t, why in implausible:
        log.explain(t, why)
    total = ticker.total
    report = ticker.report
    write_seconds = time.perf_counter() - t0
    profile = _copy_profile(out, log)
    report("measuring what was written", total, total)
    achieved, source = _achieved(files, records, tg, measure, sum(writer.rows.values()))
    meta = {
        "generator": f"forcestat synth {__version__}",
        "seed": seed,
        "scale": scale,
        "format": fmt,
        "targets_file": base.source,
        "achieved_from": source,
        "force_profile": str(profile) if profile else None,
        "rows": dict(writer.rows),
        "invented": invented_entries(gen),
        "implausible": [why for _, why in implausible],
    }
    doc = write_calibration(out / "calibration.json", tg, achieved, generated, log, meta)
    write_manifest(records, doc, Path(base.source).name)
    return SynthResult(
        out_dir=out,
        records_dir=records,
        files=files,
        rows=dict(writer.rows),
        calibration_path=out / "calibration.json",
        calibration=doc,
        profile_path=profile,
        seconds=time.perf_counter() - t0,
        seed=seed,
        scale=scale,
        fmt=fmt,
        notes=list(log.notes),
        write_seconds=write_seconds,
    )


def _steps(tg: Targets, seed: int, log: CalibrationLog, writer: RecordWriter):
    """The non-call generation steps the targets call for: (name, callable -> measures)."""
    from . import contact, crime, encompass, neighbourhood, speedwatch, volunteers

    steps: list[tuple[str, Callable[[], set[str]]]] = []
    if tg.has_any("s136_detentions"):
        steps.append(("s.136 detentions", lambda: _s136(writer, tg, seed, log)))
    steps += contact.steps(writer, tg, seed, log)
    steps += crime.steps(writer, tg, seed, log)
    steps += volunteers.steps(writer, tg, seed, log)
    steps += speedwatch.steps(writer, tg, seed, log)
    steps += neighbourhood.steps(writer, tg, seed, log)
    steps += encompass.steps(writer, tg, seed, log)
    return steps


class _Ticker:
    """Progress shared by the threads: counts finished steps, reports the one starting."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.report: Progress = progress or (lambda step, done, total: None)
        self.total = total
        self.done = 0
        self._lock = threading.Lock()

    def start(self, step: str) -> None:
        with self._lock:
            self.report(step, self.done, self.total)

    def finished(self) -> None:
        with self._lock:
            self.done += 1

    def finish(self, step: str) -> None:
        self.report(step, self.total, self.total)


def _run_steps(steps, ticker: _Ticker) -> set[str]:
    done: set[str] = set()
    for name, fn in steps:
        ticker.start(name)
        done |= fn()
        ticker.finished()
    return done


def _write_calls(writer, call_months, seed: int, scale: float, ticker: _Ticker) -> set[str]:
    """Generate call months on two threads, writing them in order as they finish.

    The heavy parts (numpy, the compiled queue, Parquet encoding) release the GIL, so a
    two-core machine generates one month while it encodes another; order keeps the bytes
    identical whatever the timing.
    """
    done: set[str] = set()
    if not call_months:
        return done
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending: deque = deque()
        jobs = iter(call_months)
        for ch, plan in islice(jobs, 2):
            pending.append((ch, plan, pool.submit(calls_mod.generate_month, seed, ch, plan, scale)))
        while pending:
            ch, plan, future = pending.popleft()
            ticker.start(f"{ch} calls {plan.month:%Y-%m}")
            month = future.result()
            for nch, nplan in islice(jobs, 1):
                pending.append(
                    (nch, nplan, pool.submit(calls_mod.generate_month, seed, nch, nplan, scale))
                )
            writer.write("calls", month.calls)
            writer.write("staffing", month.staffing)
            done |= set(call_keys(ch))
            ticker.finished()
    return done


def _achieved(files, records: Path, tg: Targets, how: str, rows: int):
    """Achieved values and a sentence saying where they came from."""
    if how == "none":
        return {}, "not measured"
    if rows == 0:
        return {}, "no records written: the targets cover no record figures"
    source = (
        "forcestat.measures.evaluate over the written record files (DuckDB views over "
        "them, typed and derived as ingest would)"
    )
    if how in ("files", "auto"):
        return measure_files(files, tg), source
    if how == "store":
        try:
            check = measure_in_store(records, tg)
        except (ImportError, ForcestatError, duckdb.Error) as e:
            raise ForcestatError(f"ingesting the records into a temporary store failed: {e}") from e
        return check.achieved, (
            f"forcestat ingest of records/ into a temporary store ({check.read:,} rows read, "
            f"{check.loaded:,} loaded, {check.quarantined:,} quarantined), then "
            "forcestat.measures.evaluate for each target's period"
        )
    raise InputError(f"measure must be auto, store, files or none, not {how!r}")


def _s136(writer, tg, seed, log) -> set[str]:
    from .mental_health import write_s136

    write_s136(writer, tg, seed, log)
    return {"s136_detentions", "s136_detentions_monthly_average", "s136_record_low"}


def _copy_profile(out: Path, log: CalibrationLog) -> Path | None:
    src = Path(str(resources.files("forcestat") / "data" / "kent_profile.toml"))
    if not src.is_file():
        log.note("src/forcestat/data/kent_profile.toml does not exist yet: no force_profile.toml")
        return None
    out.mkdir(parents=True, exist_ok=True)
    dst = out / "force_profile.toml"
    shutil.copyfile(src, dst)
    return dst
