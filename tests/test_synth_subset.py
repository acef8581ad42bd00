"""Subset targets files, scale, file formats, byte-identical reruns and the CLI."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from forcestat.cli import app
from forcestat.synth import generate, load_targets
from forcestat.synth.verify import measure_in_store

SYNTH = Path(__file__).parent / "fixtures" / "synth"
CALLS_ONLY = SYNTH / "calls_999_only.csv"
SMALL_FORCE = SYNTH / "small_force.csv"


def targets_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def record_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "records").iterdir())}


def test_a_calls_only_targets_file_writes_only_calls_and_their_staffing(tmp_path):
    result = generate(tmp_path, targets=CALLS_ONLY, measure="store")
    assert sorted(result.files) == ["calls", "staffing"]
    months = {r["period"] for r in targets_of(CALLS_ONLY)}
    assert result.rows["calls"] == sum(
        int(r["value"]) for r in targets_of(CALLS_ONLY) if r["measure"] == "calls_999_received"
    )
    table = pq.read_table(result.files["calls"], columns=["channel", "arrived_at"])
    assert set(table.column("channel").to_pylist()) == {"999"}
    arrived_months = {f"{t:%Y-%m}" for t in table.column("arrived_at").to_pylist()[::500]}
    assert arrived_months <= months
    assert result.calibration["summary"] == {"targets": len(targets_of(CALLS_ONLY)), "met": 12}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    # the small force covers every record kind
    a = generate(tmp_path / "a", targets=SMALL_FORCE, seed=7, measure="none")
    b = generate(tmp_path / "b", targets=SMALL_FORCE, seed=7, measure="none")
    c = generate(tmp_path / "c", targets=SMALL_FORCE, seed=8, measure="none")
    # one file per record kind synth writes, besides its synthetic.json marker (which names
    # the seed): the contact, crime, s.136, volunteer and Speedwatch kinds at least
    kinds = {n.removesuffix(".parquet") for n in record_bytes(a.out_dir)} - {"synthetic.json"}
    assert kinds == set(a.files)
    assert {"calls", "staffing", "crimes", "s136_detentions", "volunteers"} <= kinds
    assert {"speedwatch_sites", "speedwatch_detections", "vehicle_keepers"} <= kinds
    assert record_bytes(a.out_dir) == record_bytes(b.out_dir)
    for name, data in record_bytes(c.out_dir).items():
        # this force's 101 line is so small one handler staffs it around the clock, whatever
        # the seed: its staffing is the same; every other file differs
        assert (data == record_bytes(a.out_dir)[name]) == (name == "staffing.parquet"), name
    # calibration.json too, but for the output folder it names
    strip = {"force_profile"}
    same_a = {k: v for k, v in a.calibration.items() if k not in strip}
    same_b = {k: v for k, v in b.calibration.items() if k not in strip}
    assert same_a == same_b


def test_parquet_timestamps_are_utc_microseconds(tmp_path):
    result = generate(tmp_path, targets=CALLS_ONLY, measure="none")
    schema = pq.read_schema(result.files["calls"])
    assert str(schema.field("arrived_at").type) == "timestamp[us, tz=UTC]"


def test_scale_multiplies_volumes_and_keeps_rates(tmp_path):
    result = generate(tmp_path, targets=CALLS_ONLY, scale=2.5, measure="store")
    by = {(e["measure"], e["period"]): e for e in result.calibration["targets"]}
    for row in targets_of(CALLS_ONLY):
        e = by[(row["measure"], row["period"])]
        published = float(row["value"])
        if row["unit"] == "count":
            assert e["target"] == round(published * 2.5) and e["published"] == published
            assert e["achieved"] == e["target"]
        else:
            assert e["target"] == published
        assert e["status"] == "met", e


def test_a_small_force_in_csv_ingests_cleanly_and_hits_its_figures(tmp_path):
    result = generate(tmp_path, targets=SMALL_FORCE, fmt="csv", measure="none")
    assert all(p.suffix == ".csv" for p in result.files.values())
    first = result.files["calls"].read_text().splitlines()[1]
    assert "+00:00" in first  # ISO 8601 with an explicit offset
    check = measure_in_store(result.records_dir, load_targets(SMALL_FORCE))
    assert check.read == check.loaded == result.total_rows and check.quarantined == 0
    for t in load_targets(SMALL_FORCE):
        if t.period is None or t.measure == "districts":
            continue
        achieved = check.achieved[(t.measure, t.period_text)]
        assert achieved is not None, t.measure
        if t.unit == "seconds":
            assert round(achieved) == t.value, t
        elif t.unit == "percent":
            assert round(achieved, t.decimals) == pytest.approx(t.value), t
        else:
            assert achieved == pytest.approx(t.value), t


def test_longer_periods_are_spread_over_untabled_months(tmp_path):
    result = generate(tmp_path, targets=SMALL_FORCE, measure="files")
    by = {(e["measure"], e["period"]): e for e in result.calibration["targets"]}
    fy = by[("s136_detentions", "FY2022/23")]
    assert fy["status"] == "met" and fy["achieved"] == fy["target"]
    pct = by[("calls_101_pct_not_answered", "FY2022/23 to 2023-02")]
    assert pct["status"] == "met"
    assert any(c["subject"] == "calls_101 volumes" for c in result.calibration["choices"])


def test_cli_writes_records_and_reports_the_calibration(tmp_path):
    out = tmp_path / "out"
    run = CliRunner().invoke(
        app, ["synth", "--out", str(out), "--targets", str(CALLS_ONLY), "--seed", "3", "--json"]
    )
    assert run.exit_code == 0, run.output
    summary = json.loads(run.stdout[run.stdout.index("{") :])
    assert summary["summary"]["met"] == 12
    assert (out / "records" / "calls.parquet").exists() and (out / "calibration.json").exists()


def test_cli_bad_targets_exit_2_without_writing(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-c", "from forcestat.cli import main; main()", "synth"]
        + ["--out", str(out), "--targets", str(SYNTH / "negative_count.csv")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "recorded_crime for 2022-08 is negative" in run.stderr.replace("\n", " ")
    assert not out.exists()


def test_months_given_a_rate_but_no_volume_get_a_usual_volume(tmp_path):
    targets = SYNTH / "calls_without_volumes.csv"
    result = generate(tmp_path, targets=targets, measure="store")
    assert result.calibration["summary"] == {"targets": len(targets_of(targets)), "met": 5}
    chosen = [c["subject"] for c in result.calibration["choices"]]
    assert {"calls_999 2023-01", "calls_101 2023-01", "calls_101 2023-02"} <= set(chosen)
