"""The Speedwatch ladder on hand-made sequences, idempotence of process, letters and the DVLA
export, and the seed's figures from processing synth data.

Every road here has a 30 mph limit, so the default threshold is 35 mph.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date

import pytest

from forcestat.ingest import ingest_paths
from forcestat.store import Store
from forcestat.workflows import audit
from forcestat.workflows.speedwatch import (
    load_policy,
    process,
    visits,
    vrm_shown,
    waiting,
    write_dvla,
    write_letters,
)

POLICY = load_policy(None)


def add_detections(store: Store, tmp_path, rows, name="det.csv") -> None:
    """rows: (detection_id, vrm, speed, detected_at[, tax_status]) on a 30 mph road."""
    path = tmp_path / name
    lines = ["detection_id,session_id,site_id,detected_at,vrm,speed_mph,limit_mph,tax_status"]
    for r in rows:
        det, vrm, speed, at, *tax = r
        lines.append(f"{det},SE1,S1,{at},{vrm},{speed},30,{tax[0] if tax else 'taxed'}")
    path.write_text("\n".join(lines) + "\n")
    (result,) = ingest_paths(store, [path], kind="speedwatch_detections")
    assert result.quarantined == 0, result.as_dict()


def add_keeper(store: Store, tmp_path, vrm: str, at: str = "2020-01-01T00:00:00Z") -> None:
    path = tmp_path / f"keeper-{vrm}-{at[:10]}.csv"
    path.write_text(
        "vrm,keeper_name,address,postcode,looked_up_at,source\n"
        f'{vrm},Keeper of {vrm},"1 High Street, Ashford",TN23 1AA,{at},pnc\n'
    )
    ingest_paths(store, [path], kind="vehicle_keepers")


@pytest.fixture
def sw(store, tmp_path):
    (tmp_path / "sites.csv").write_text(
        "site_id,name,district,road,limit_mph,latitude,longitude\n"
        "S1,High Street,Ashford,A28,30,51.14,0.87\n"
    )
    (tmp_path / "sessions.csv").write_text(
        "session_id,site_id,scheme,started_at,ended_at,volunteers\n"
        "SE1,S1,Ashford Speedwatch,2021-01-01T08:00:00Z,2023-12-31T09:00:00Z,3\n"
    )
    ingest_paths(store, [tmp_path / "sites.csv", tmp_path / "sessions.csv"])
    return store


def outcomes(store: Store) -> dict[str, tuple[str, int | None]]:
    rows = store.duck.execute(
        "SELECT detection_id, outcome, sighting_number FROM speedwatch_outcomes"
    ).fetchall()
    return {d: (o, n) for d, o, n in rows}


def test_threshold_edges_and_the_ladder_steps(sw, tmp_path):
    add_keeper(sw, tmp_path, "AB12CDE")
    add_detections(
        sw,
        tmp_path,
        [
            ("d0", "AB12CDE", 34.9, "2022-01-01T10:00:00Z"),  # just under 35: not a sighting
            ("d1", "AB12CDE", 35.0, "2022-01-02T10:00:00Z"),  # exactly 35: a sighting
            ("d2", "ab12 cde", 40, "2022-02-01T10:00:00Z"),  # same mark, written differently
            ("d3", "AB12CDE", 36, "2022-03-01T10:00:00Z"),
            ("d4", "AB12CDE", 36, "2022-04-01T10:00:00Z"),
            ("d5", "AB12CDE", 36, "2022-05-01T10:00:00Z"),
            ("d6", "AB12CDE", 36, "2022-06-01T10:00:00Z"),
        ],
    )
    r = process(sw, POLICY)
    assert outcomes(sw) == {
        "d0": ("below_threshold", None),
        "d1": ("letter1", 1),
        "d2": ("letter2", 2),
        "d3": ("letter3", 3),
        "d4": ("visit", 4),
        "d5": ("referral", 5),
        "d6": ("referral", 6),
    }
    assert r.actions == {"letter1": 1, "letter2": 1, "letter3": 1, "visit": 1, "referral": 2}


def test_other_limits_use_ten_percent_plus_two_rounded_up():
    assert [POLICY.threshold(x) for x in (20, 30, 40, 50, 60, 70, 15)] == [
        25,
        35,
        46,
        57,
        68,
        79,
        19,  # 15 * 1.1 + 2 = 18.5, rounded up
    ]


def test_a_fifth_sighting_after_the_window_expired_starts_again(sw, tmp_path):
    add_keeper(sw, tmp_path, "AB12CDE")
    early = [(f"e{i}", "AB12CDE", 40, f"2021-0{i}-01T10:00:00Z") for i in range(1, 5)]
    add_detections(sw, tmp_path, [*early, ("late", "AB12CDE", 40, "2022-06-01T10:00:00Z")])
    process(sw, POLICY)
    got = outcomes(sw)
    assert [got[f"e{i}"][0] for i in range(1, 5)] == ["letter1", "letter2", "letter3", "visit"]
    assert got["late"] == ("letter1", 1)  # the four 2021 sightings are over 12 months before


def test_window_edge_twelve_months_to_the_minute(sw, tmp_path):
    add_keeper(sw, tmp_path, "AB12CDE")
    add_keeper(sw, tmp_path, "XY12ABC")
    add_detections(
        sw,
        tmp_path,
        [
            ("a1", "AB12CDE", 40, "2021-06-01T10:00:00Z"),
            ("a2", "AB12CDE", 40, "2022-06-01T10:00:00Z"),  # exactly 12 months later: outside
            ("b1", "XY12ABC", 40, "2021-06-01T10:00:00Z"),
            ("b2", "XY12ABC", 40, "2022-06-01T09:59:00Z"),  # a minute inside the window
        ],
    )
    process(sw, POLICY)
    got = outcomes(sw)
    assert got["a2"] == ("letter1", 1)
    assert got["b2"] == ("letter2", 2)


def test_exempt_vehicles_get_no_action_and_are_not_counted(sw, tmp_path):
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text('[exempt]\nmarks = ["PO22 LCE"]\n')
    policy = load_policy(policy_file)
    add_keeper(sw, tmp_path, "PO22LCE")
    add_detections(sw, tmp_path, [("p1", "PO22LCE", 60, "2022-01-01T10:00:00Z", "untaxed")])
    r = process(sw, policy)
    assert outcomes(sw) == {"p1": ("exempt", None)}
    assert r.exempt == 1 and r.sightings == 0 and r.dvla == {}


def test_unknown_keepers_wait_until_a_lookup_arrives(sw, tmp_path):
    add_detections(
        sw,
        tmp_path,
        [
            ("w1", "XY12ABC", 40, "2022-01-01T10:00:00Z"),
            ("w2", "XY12ABC", 41, "2022-02-01T10:00:00Z"),
        ],
    )
    r = process(sw, POLICY)
    assert r.waiting == 2 and r.processed == 0 and outcomes(sw) == {}
    listed = waiting(sw, POLICY)
    assert [(w["vrm"], w["sightings"]) for w in listed] == [("XY12ABC", 2)]
    add_keeper(sw, tmp_path, "XY12ABC", "2022-03-01T00:00:00Z")
    r = process(sw, POLICY)
    assert r.waiting == 0
    assert outcomes(sw) == {"w1": ("letter1", 1), "w2": ("letter2", 2)}
    assert waiting(sw, POLICY) == []


def test_process_is_idempotent_and_until_holds_later_detections(sw, tmp_path):
    add_keeper(sw, tmp_path, "AB12CDE")
    add_detections(
        sw,
        tmp_path,
        [
            ("d1", "AB12CDE", 40, "2022-01-31T23:30:00Z"),  # 31 Jan in London
            ("d2", "AB12CDE", 40, "2022-06-30T23:30:00Z"),  # 1 July 00:30 BST in London
        ],
    )
    first = process(sw, POLICY, until=date(2022, 6, 30))
    assert first.processed == 1 and set(outcomes(sw)) == {"d1"}
    again = process(sw, POLICY, until=date(2022, 6, 30))
    assert again.run_id is None and again.processed == 0
    rest = process(sw, POLICY)
    assert rest.processed == 1 and outcomes(sw)["d2"] == ("letter2", 2)
    assert process(sw, POLICY).processed == 0
    n = sw.duck.execute("SELECT count(*) FROM speedwatch_outcomes").fetchone()[0]
    assert n == 2


def test_dvla_each_vehicle_once_and_export_marks_it(sw, tmp_path):
    add_detections(
        sw,
        tmp_path,
        [
            ("t1", "UN22TAX", 33, "2022-01-01T10:00:00Z", "untaxed"),  # over the limit only
            ("t2", "UN22TAX", 40, "2022-02-01T10:00:00Z", "untaxed"),
            ("s1", "SO11RNN", 40, "2022-02-01T10:00:00Z", "sorn"),
            ("n1", "NO22TAX", 29, "2022-02-01T10:00:00Z", "untaxed"),  # under the limit
        ],
    )
    r = process(sw, POLICY)
    assert r.dvla == {"untaxed": 1, "sorn": 1}
    out = tmp_path / "dvla.csv"
    e = write_dvla(sw, out)
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [(x["vrm"], x["tax_status"], x["referrals"]) for x in rows] == [
        ("SO11RNN", "sorn", "1"),
        ("UN22TAX", "untaxed", "1"),
    ]
    assert rows[1]["first_detected_on"] == "2022-01-01"
    assert e.vehicles == 2
    assert write_dvla(sw, tmp_path / "again.csv").vehicles == 0  # already exported
    assert write_dvla(sw, tmp_path / "all.csv", include_exported=True).vehicles == 2


def test_letters_are_written_once_with_a_manifest_and_audited(sw, tmp_path):
    add_keeper(sw, tmp_path, "AB12CDE")
    add_detections(
        sw,
        tmp_path,
        [
            ("d1", "AB12CDE", 40, "2022-01-01T10:00:00Z"),
            ("d2", "AB12CDE", 40, "2022-02-01T10:00:00Z"),
        ],
    )
    process(sw, POLICY)
    out = tmp_path / "letters"
    batch = write_letters(sw, POLICY, out)
    assert batch.batch_id == 1 and batch.letters == 2
    assert sorted(p.name for p in out.iterdir()) == [
        "letter-d1.pdf",
        "letter-d2.pdf",
        "speedwatch-letters-batch-0001-manifest.csv",
        "speedwatch-letters-batch-0001.pdf",
    ]
    assert all(p.read_bytes().startswith(b"%PDF") for p in out.glob("*.pdf"))
    manifest = list(csv.DictReader(batch.manifest.read_text().splitlines()))  # type: ignore[union-attr]
    assert [(m["reference"], m["step"], m["vrm"]) for m in manifest] == [
        ("d1", "letter1", "AB12CDE"),
        ("d2", "letter2", "AB12CDE"),
    ]
    # never two letters for one sighting
    assert write_letters(sw, POLICY, tmp_path / "again").letters == 0
    assert not (tmp_path / "again").exists()
    reprint = write_letters(sw, POLICY, tmp_path / "reprint", batch=1)
    assert reprint.reprint and reprint.letters == 2
    printed = sw.duck.execute(
        "SELECT count(*) FROM speedwatch_outcomes WHERE letter_batch = 1"
    ).fetchone()[0]
    assert printed == 2
    logged = audit.entries(sw, "speedwatch_letters")
    assert len(logged) == 2 and json.loads(logged[0]["detail"])["letters"] == 2
    assert "AB12CDE" not in logged[0]["detail"]  # counts, never contents


def test_letter_html_escapes_record_values(sw, tmp_path):
    from forcestat.workflows.speedwatch.letters import render_html

    letter = {
        "reference": "r1",
        "step": "letter1",
        "sighting_number": 1,
        "ordinal": "first",
        "vrm_shown": "AB12 CDE",
        "keeper_name": "<script>x</script>",
        "address_lines": ["1 <b>Road</b>"],
        "postcode": "TN1 1AA",
        "site": "High Street",
        "when": "today",
        "speed": "40",
        "limit": 30,
    }
    from datetime import datetime

    html = render_html([letter], POLICY, "Kent Police", 1, datetime(2022, 1, 1))
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    assert "&lt;b&gt;Road" in html


def test_visits_list_visits_and_referrals_with_addresses(sw, tmp_path):
    add_keeper(sw, tmp_path, "AB12CDE")
    add_detections(
        sw, tmp_path, [(f"d{i}", "AB12CDE", 40, f"2022-0{i}-01T10:00:00Z") for i in range(1, 6)]
    )
    process(sw, POLICY)
    got = visits(sw)
    assert [(v["reference"], v["action"], v["postcode"]) for v in got] == [
        ("d4", "visit", "TN23 1AA"),
        ("d5", "referral", "TN23 1AA"),
    ]
    assert audit.entries(sw, "speedwatch_visits")


@pytest.mark.parametrize(
    ("mark", "ok"),
    [
        ("AB12 CDE", True),  # current
        ("A123 BCD", True),  # prefix
        ("ABC 123D", True),  # suffix
        ("ABC 1234", True),  # dateless (Northern Ireland style)
        ("1 ABC", True),  # dateless, digits first
        ("AB12CDEF", False),  # too long
        ("AB-12!", False),
        ("12AB34", False),
    ],
)
def test_uk_mark_formats(store, tmp_path, mark, ok):
    path = tmp_path / "k.csv"
    path.write_text(
        "vrm,keeper_name,address,postcode,looked_up_at,source\n"
        f"{mark},K,1 Road,TN1 1AA,2022-01-01T00:00:00Z,pnc\n"
    )
    (r,) = ingest_paths(store, [path], kind="vehicle_keepers")
    assert (r.loaded, r.quarantined) == ((1, 0) if ok else (0, 1))


def test_marks_print_as_on_a_plate():
    assert [vrm_shown(v) for v in ("AB12CDE", "A123BCD", "ABC123D", "ABC1234")] == [
        "AB12 CDE",
        "A123 BCD",
        "ABC 123D",
        "ABC1234",
    ]


def test_bad_policy_and_bad_date_are_one_line_exit_2(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text('[ladder]\nsteps = ["letter1", "fine"]\n')
    db = tmp_path / "s.duckdb"
    for args in (
        ["speedwatch", "process", "--policy", str(bad)],
        ["speedwatch", "process", "--until", "31/10/2022"],
    ):
        p = subprocess.run(
            [
                sys.executable,
                "-c",
                "from forcestat.cli import main; main()",
                *args,
                "--db",
                str(db),
            ],
            capture_output=True,
            text=True,
        )
        assert p.returncode == 2, p.stderr
        assert "Traceback" not in p.stderr and p.stderr.strip().count("\n") <= 1


@pytest.mark.slow
def test_synth_then_process_reproduces_the_seed_speedwatch_figures(tmp_path, seed_figures):
    from forcestat.measures import value_of
    from forcestat.synth import generate, load_targets
    from forcestat.synth.targets import Targets

    keys = {
        "vehicles_detected_over_limit",
        "letters_sent",
        "addresses_attended_4th_detection",
        "drivers_5_plus_detections",
        "sorn_vehicles_to_dvla",
        "untaxed_vehicles_to_dvla",
    }
    published = [
        r for r in csv.DictReader(seed_figures.read_text().splitlines()) if r["measure"] in keys
    ]
    assert len(published) == len(keys)
    targets = load_targets()
    sw_targets = Targets(tuple(t for t in targets if t.measure in keys), targets.source)
    result = generate(tmp_path / "synth", targets=sw_targets, measure="none")
    with Store.open(tmp_path / "sw.duckdb") as s:
        ingest_paths(s, [result.records_dir])
        process(s, POLICY)
        assert process(s, POLICY).processed == 0
        by_period = {t.measure: t.period for t in sw_targets}
        for row in published:
            got = value_of(s, row["measure"], by_period[row["measure"]])
            assert got == float(row["value"]), row
