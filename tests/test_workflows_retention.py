"""Retention: a dry run counts and changes nothing; applying deletes personal data past its
period, keeps the board's figures, and writes counts (never contents) to the audit log."""

from __future__ import annotations

import json
from datetime import datetime

from forcestat.ingest import ingest_paths
from forcestat.measures import value_of
from forcestat.workflows import audit
from forcestat.workflows.encompass import EncompassPolicy
from forcestat.workflows.retention import apply_retention
from forcestat.workflows.speedwatch import load_policy, process

DETECTION_HEADER = (
    "detection_id,session_id,site_id,detected_at,vrm,speed_mph,limit_mph,tax_status\n"
)
NOW = datetime(2023, 6, 1, 12, 0)  # the 12-month Speedwatch window reaches back to 2022-06-01


def load(store, tmp_path):
    files = {
        "speedwatch_detections": DETECTION_HEADER
        + """old,SE1,S1,2022-03-01T10:00:00Z,AB12CDE,40,30,untaxed
new,SE1,S1,2022-09-01T10:00:00Z,AB12CDE,40,30,taxed
""",
        "vehicle_keepers": """vrm,keeper_name,address,postcode,looked_up_at,source
AB12CDE,Alex Example,"1 Road, Town",TN1 1AA,2022-03-02T10:00:00Z,pnc
AB12CDE,Alex Example,"1 Road, Town",TN1 1AA,2022-09-02T10:00:00Z,pnc
""",
        "da_incidents": """incident_id,occurred_at,reported_at,district
I-old,2021-01-10T20:00:00Z,2021-01-10T21:00:00Z,Dover
I-new,2023-01-10T20:00:00Z,2023-01-10T21:00:00Z,Dover
""",
        "children": """child_id,name,date_of_birth,school_id
C-old,Old Child,2012-01-01,S1
C-new,New Child,2013-01-01,S1
""",
        "incident_children": """incident_id,child_id,present
I-old,C-old,true
I-new,C-new,true
""",
    }
    for kind, text in files.items():
        (tmp_path / f"{kind}.csv").write_text(text)
        (r,) = ingest_paths(store, [tmp_path / f"{kind}.csv"], kind=kind)
        assert r.quarantined == 0
    process(store, load_policy(None))
    store.duck.execute(
        "INSERT INTO encompass_notices VALUES ('I-old', 'C-old', 'S1', 'Dover', "
        "TIMESTAMP '2021-01-10 21:00', TIMESTAMP '2021-01-11 09:00', "
        "TIMESTAMP '2021-01-11 07:00', DATE '2021-01-01', 'dsl@s1.example', '<m1@x>')"
    )


def counts(store):
    q = (
        "SELECT (SELECT count(*) FROM speedwatch_detections), (SELECT count(*) FROM "
        "vehicle_keepers), (SELECT count(*) FROM da_incidents), (SELECT count(*) FROM children)"
    )
    return store.duck.execute(q).fetchone()


def test_dry_run_counts_and_changes_nothing(store, tmp_path):
    load(store, tmp_path)
    before = counts(store)
    r = apply_retention(store, load_policy(None), EncompassPolicy(), now=NOW)
    assert r.dry_run and counts(store) == before
    assert r.counts["speedwatch_detections deleted"] == 1
    assert r.counts["vehicle_keepers deleted"] == 1
    assert r.counts["da_incidents deleted"] == 1
    assert r.counts["children deleted"] == 1
    (entry,) = audit.entries(store, "retention")
    assert entry["action"] == "retention dry run"


def test_apply_deletes_past_retention_and_keeps_the_figures(store, tmp_path):
    load(store, tmp_path)
    letters_before = value_of(store, "letters_sent", "2022-03")
    r = apply_retention(store, load_policy(None), EncompassPolicy(), dry_run=False, now=NOW)
    assert counts(store) == (1, 1, 1, 1)  # only the recent detection, lookup, incident, child
    assert r.counts["speedwatch_outcomes marks removed"] == 1
    marks = store.duck.execute(
        "SELECT detection_id, vrm FROM speedwatch_outcomes ORDER BY 1"
    ).fetchall()
    assert marks == [("new", "AB12CDE"), ("old", None)]
    assert value_of(store, "letters_sent", "2022-03") == letters_before == 1
    assert value_of(store, "untaxed_vehicles_to_dvla", "2022-03") == 1
    notice = store.duck.execute("SELECT child_id, recipient FROM encompass_notices").fetchone()
    assert notice[0].startswith("retained-") and notice[1] is None
    (entry,) = audit.entries(store, "retention")
    assert entry["action"] == "delete" and "Old Child" not in entry["detail"]
    assert json.loads(entry["detail"])["counts"]["children deleted"] == 1
    # applying again deletes nothing more
    again = apply_retention(store, load_policy(None), EncompassPolicy(), dry_run=False, now=NOW)
    assert sum(again.counts.values()) == 0
