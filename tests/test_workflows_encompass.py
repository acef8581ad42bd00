"""Operation Encompass: deadlines around weekends, bank holidays, term ends and INSET days;
the safeguarding role and audit; sending through a real SMTP server on 127.0.0.1, twice."""

from __future__ import annotations

import json
import socket
from datetime import date, datetime, time
from email import message_from_string

import pytest
from aiosmtpd.controller import Controller

from forcestat.errors import AccessError
from forcestat.ingest.anystore import ingest_paths
from forcestat.measures import value_of
from forcestat.store import open_store
from forcestat.workflows import audit
from forcestat.workflows.encompass import SchoolCalendar, Term, due, is_bank_holiday, send

AUTUMN_2022 = Term(date(2022, 9, 5), date(2022, 10, 21), (date(2022, 10, 3),))
SPRING_2022 = Term(date(2022, 4, 25), date(2022, 5, 27))
CAL = SchoolCalendar([SPRING_2022, AUTUMN_2022])


def utc(text: str) -> datetime:
    """A London wall-clock time as the naive UTC the store keeps (all examples are BST)."""
    t = datetime.fromisoformat(text)
    return t.replace(hour=t.hour - 1) if t.hour >= 1 else t


@pytest.mark.parametrize(
    ("reported", "deadline"),
    [
        # 08:59 on a school day: 09:00 that day; 09:00 and 09:01: the next school day
        ("2022-09-14 08:59", "2022-09-14 09:00"),
        ("2022-09-14 09:00", "2022-09-15 09:00"),
        ("2022-09-14 09:01", "2022-09-15 09:00"),
        # Friday evening: Monday
        ("2022-09-23 18:00", "2022-09-26 09:00"),
        # Saturday: Monday; but Monday 19 September 2022 was the Queen's funeral, so Tuesday
        ("2022-09-24 11:00", "2022-09-26 09:00"),
        ("2022-09-17 11:00", "2022-09-20 09:00"),
        # Friday 30 Sept: Monday 3 Oct is an INSET day, so Tuesday
        ("2022-09-30 17:00", "2022-10-04 09:00"),
        # last day of term, afternoon: the first day of the next term we know of
        ("2022-05-27 15:00", "2022-09-05 09:00"),
        # Friday 29 April: Monday 2 May is the early May bank holiday
        ("2022-04-29 20:00", "2022-05-03 09:00"),
        # in the summer holiday: first day of autumn term
        ("2022-08-10 10:00", "2022-09-05 09:00"),
    ],
)
def test_deadline_is_the_next_school_day_start(reported, deadline):
    assert CAL.deadline(utc(reported)) == utc(deadline)


def test_bank_holidays_are_england_and_wales():
    assert is_bank_holiday(date(2022, 5, 2))  # early May
    assert is_bank_holiday(date(2022, 9, 19))  # the Queen's funeral
    assert not is_bank_holiday(date(2022, 3, 17))  # St Patrick's Day: Northern Ireland only
    assert not is_bank_holiday(date(2022, 8, 1))  # Scottish summer holiday only


def test_gmt_dates_keep_nine_oclock_local():
    cal = SchoolCalendar([Term(date(2022, 10, 31), date(2022, 12, 16))])
    # Monday 31 October 2022 is GMT: 09:00 London is 09:00 UTC
    assert cal.deadline(datetime(2022, 10, 30, 20, 0)) == datetime(2022, 10, 31, 9, 0)


def test_no_term_ahead_has_no_deadline():
    assert SchoolCalendar([SPRING_2022]).deadline(utc("2022-06-01 10:00")) is None


def test_a_different_school_day_start():
    cal = SchoolCalendar([AUTUMN_2022], start=time(8, 30))
    assert cal.deadline(utc("2022-09-14 08:29")) == utc("2022-09-14 08:30")


# -- the workflow on a store -------------------------------------------------------------------
FILES = {
    "schools.csv": """school_id,name,district,phase,key_adult_email,local_authority
SCH1,Hillview Primary,Ashford,primary,dsl@hillview.example,Kent
SCH2,Seaview Academy,Dover,secondary,,Kent
""",
    "terms.csv": """term_id,school_id,local_authority,starts_on,ends_on,inset_days
T1,,Kent,2022-09-05,2022-10-21,2022-10-03
""",
    "incidents.csv": """incident_id,occurred_at,reported_at,district
I1,2022-09-14T22:00:00+01:00,2022-09-14T22:30:00+01:00,Ashford
I2,2022-09-30T16:00:00+01:00,2022-09-30T17:00:00+01:00,Dover
""",
    "children.csv": """child_id,name,date_of_birth,school_id
C1,Amy Pupil,2014-03-01,SCH1
C2,Ben Pupil,2012-06-02,
C3,Cal Pupil,2010-01-03,SCH2
C4,Dee Sibling,2015-07-04,SCH1
""",
    "links.csv": """incident_id,child_id,present
I1,C1,true
I1,C2,true
I2,C3,true
I2,C4,false
""",
}


@pytest.fixture(params=["duckdb", "postgres"])
def enc(request, tmp_path):
    """The fixture's records in an in-memory DuckDB store, or in a PostgreSQL database (the
    workflow's SQL is written once and runs on both)."""
    if request.param == "postgres":
        store = open_store(request.getfixturevalue("postgres_url"))
        request.addfinalizer(store.close)
    else:
        store = request.getfixturevalue("store")
    kinds = {
        "schools.csv": "schools",
        "terms.csv": "school_terms",
        "incidents.csv": "da_incidents",
        "children.csv": "children",
        "links.csv": "incident_children",
    }
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
        (r,) = ingest_paths(store, [tmp_path / name], kind=kinds[name])
        assert r.quarantined == 0, r.as_dict()
    return store


def test_due_needs_the_safeguarding_role_and_is_audited(enc):
    with pytest.raises(AccessError):
        due(enc, "analyst")
    with pytest.raises(AccessError):
        due(enc, None)
    listed = due(enc, "safeguarding", actor="dsl-officer")
    assert [(n.child_id, n.due_at) for n in listed.due] == [("C1", utc("2022-09-15 09:00"))]
    problems = {n.child_id: n.problem for n in listed.exceptions}
    assert problems == {
        "C2": "no known school",
        "C3": "the school has no key adult e-mail address",
    }  # C4 was not present
    (entry,) = audit.entries(enc, "encompass_children")
    assert (entry["actor"], entry["role"]) == ("dsl-officer", "safeguarding")
    assert "Amy" not in entry["detail"] and json.loads(entry["detail"])["due"] == 1


def free_port() -> int:
    for port in range(8200, 8300):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 8200-8299")


class Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp():
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", handler
    controller.stop()


def test_send_emails_the_key_adult_once_and_records_when(enc, smtp):
    url, box = smtp
    sent_at = datetime(2022, 9, 15, 7, 15)  # 08:15 BST, before 09:00
    r = send(enc, url, "safeguarding", force="Kent Police", now=sent_at)
    assert (r.sent, r.failed, r.exceptions) == (1, [], 2)
    ((to, text),) = box.messages
    assert to == ["dsl@hillview.example"]
    assert "Amy Pupil" in text and "Subject: Operation Encompass notification: Hillview" in text
    assert "Amy" not in message_from_string(text)["Subject"]  # no child's name in a subject
    again = send(enc, url, "safeguarding", now=datetime(2022, 9, 15, 8, 0))
    assert again.sent == 0 and len(box.messages) == 1
    row = enc.rows("SELECT child_id, sent_at, due_at FROM encompass_notices")
    assert row == [("C1", sent_at, utc("2022-09-15 09:00"))]
    assert value_of(enc, "encompass_notifications", "2022-09") == 1
    assert value_of(enc, "encompass_pct_before_deadline", "2022-09") == 100.0
    assert value_of(enc, "encompass_median_lead_hours", "2022-09") == 0.75
    assert value_of(enc, "encompass_late_notifications", "2022-09") == 0


def test_send_refuses_other_roles_and_bad_urls(enc, smtp):
    url, box = smtp
    with pytest.raises(AccessError):
        send(enc, url, "analyst")
    from forcestat.errors import InputError

    with pytest.raises(InputError):
        send(enc, "http://127.0.0.1:1", "safeguarding")
    assert box.messages == []


def test_cli_due_without_the_role_is_one_line_exit_2(tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.delenv("FORCESTAT_ROLE", raising=False)
    p = subprocess.run(
        [sys.executable, "-c", "from forcestat.cli import main; main()", "encompass", "due"]
        + ["--db", str(tmp_path / "s.duckdb"), "--role", "analyst"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2 and "safeguarding" in p.stderr and "Traceback" not in p.stderr


# -- a daily schedule into an outbox: how the demo sends -----------------------------------------
def test_a_scheduled_run_sends_at_the_first_run_after_the_police_knew(enc):
    from forcestat.workflows.encompass import Outbox, on_schedule

    outbox = Outbox()
    runs = (time(7, 0), time(12, 0), time(17, 0))
    result = send(enc, "", "safeguarding", transport=outbox, sent_at=on_schedule(runs))
    assert (result.sent, outbox.count) == (1, 1)
    assert outbox.messages[0]["To"] == "dsl@hillview.example"
    # I1 was reported at 22:30 BST on 14 September: the 07:00 run next morning sends it,
    # two hours before its 09:00 deadline
    ((sent, due_at),) = enc.rows("SELECT sent_at, due_at FROM encompass_notices")
    assert (sent, due_at) == (utc("2022-09-15 07:00"), utc("2022-09-15 09:00"))
    assert value_of(enc, "encompass_pct_before_deadline", "2022-09") == 100.0
    again = send(enc, "", "safeguarding", transport=outbox, sent_at=on_schedule(runs))
    assert (again.sent, outbox.count) == (0, 1)  # nothing new


def test_reported_between_the_first_run_and_nine_is_sent_late_at_noon():
    from forcestat.workflows.encompass import on_schedule

    class Reported:
        reported_at = utc("2022-09-14 07:30")

    at = on_schedule((time(7, 0), time(12, 0)))(Reported())  # type: ignore[arg-type]
    assert at == utc("2022-09-14 12:00")  # after 09:00: late
