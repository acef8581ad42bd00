"""Synth's Operation Encompass records: every school with terms ahead, every child due a
notification unless the records say why not, and the demo's scheduled sending gives the board
report's Encompass figures."""

from __future__ import annotations

from datetime import date

from forcestat.demo import send_encompass_as_scheduled
from forcestat.ingest import ingest_paths
from forcestat.measures import value_of
from forcestat.store import Store
from forcestat.synth import generate
from forcestat.synth.encompass import school_terms
from forcestat.workflows.encompass import due

TARGETS = """section,measure,period,value,unit,note
crime,recorded_crime,2022-09,900,count,
crime,recorded_crime,2022-10,800,count,
"""


def test_terms_are_six_a_year_starting_on_weekdays_with_an_inset_day():
    terms = school_terms(2022, 2022, "Kent")
    assert len(terms) == 6
    assert all(t["starts_on"].weekday() < 5 and t["ends_on"] > t["starts_on"] for t in terms)
    assert terms[0]["starts_on"] == date(2022, 9, 1) and terms[0]["inset_days"] == "2022-09-01"
    ordered = [(t["starts_on"], t["ends_on"]) for t in terms]
    assert all(a[1] < b[0] for a, b in zip(ordered, ordered[1:], strict=False))  # no overlap


def test_synth_encompass_records_load_and_the_demo_sends_them(tmp_path):
    (tmp_path / "targets.csv").write_text(TARGETS)
    generate(tmp_path / "out", targets=tmp_path / "targets.csv", measure="none")
    with Store.open(tmp_path / "s.duckdb") as store:
        loads = {r.kind: r for r in ingest_paths(store, [tmp_path / "out" / "records"])}
        for kind in ("schools", "school_terms", "da_incidents", "children", "incident_children"):
            assert loads[kind].loaded > 0 and loads[kind].quarantined == 0, kind
        queue = due(store, "safeguarding", actor="test")
        assert queue.due  # children present at incidents, with a school and a deadline
        problems = {n.problem for n in queue.exceptions}
        assert problems <= {"no known school", "the school has no key adult e-mail address"}
        sent = send_encompass_as_scheduled(store)
        assert sent == len(queue.due)
        assert value_of(store, "encompass_notifications", "2022-09..2022-10") == sent
        in_time = value_of(store, "encompass_pct_before_deadline", "2022-09..2022-10")
        assert in_time is not None and 80 < in_time <= 100  # after 07:00 on a school day: late
        assert send_encompass_as_scheduled(store) == 0  # twice sends nothing new
