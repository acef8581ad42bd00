"""What is due, and sending it: one e-mail to the school's key adult per child at an incident.

Children's details are special category data. :func:`due` and :func:`send` need the
``safeguarding`` role and write every read to the audit log (counts, never names). A child
with no known school, or whose school has no key adult e-mail or no term dates, goes on the
exceptions list for a person to handle; nothing is sent for it.
"""

from __future__ import annotations

import smtplib
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from importlib import resources
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

from ...errors import AccessError, InputError
from ...store import Store
from .. import audit
from ..audit import now_utc
from .deadline import SchoolCalendar, Term, parse_inset

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
SAFEGUARDING = "safeguarding"


@dataclass(frozen=True)
class EncompassPolicy:
    start: time = time(9, 0)
    sender: str = "operation.encompass@police.example"
    subject: str = "Operation Encompass notification"
    retention_months: int = 24


def load_encompass_policy(path: str | Path | None) -> EncompassPolicy:
    """The packaged defaults, overridden by ``path``'s keys."""
    default = Path(str(resources.files("forcestat") / "data" / "encompass_policy.toml"))
    data = tomllib.loads(default.read_text("utf-8"))
    if path is not None:
        try:
            own = tomllib.loads(Path(path).read_text("utf-8"))
        except FileNotFoundError:
            raise InputError(f"no policy file at {path}") from None
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"policy file {path} is not valid TOML: {e}") from None
        for k, v in own.items():
            if k not in data or not isinstance(v, dict):
                raise InputError(f"policy file {path}: unknown section [{k}]")
            data[k] = {**data[k], **v}
    try:
        start = time.fromisoformat(str(data["school_day"]["start"]))
        months = int(data["retention"]["months"])
    except (ValueError, KeyError) as e:
        raise InputError(f"encompass policy: {e}") from None
    return EncompassPolicy(start, str(data["email"]["from"]), str(data["email"]["subject"]), months)


def require_safeguarding(role: str | None) -> None:
    if role != SAFEGUARDING:
        raise AccessError(
            f"children's details need the {SAFEGUARDING!r} role (asked as {role or 'no role'!r})"
        )


@dataclass
class Notice:
    """One notification due: a child present at an incident, for their school's key adult."""

    incident_id: str
    child_id: str
    child_name: str
    date_of_birth: date | None
    school_id: str | None
    school_name: str | None
    key_adult_email: str | None
    district: str | None
    occurred_at: datetime
    reported_at: datetime
    due_at: datetime | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DueList:
    due: list[Notice] = field(default_factory=list)
    exceptions: list[Notice] = field(default_factory=list)


def _calendars(store: Store, start: time) -> dict[str, SchoolCalendar]:
    """Each school's calendar: its own terms, else its local authority's."""
    terms = store.rows(
        "SELECT school_id, local_authority, starts_on, ends_on, inset_days FROM school_terms"
    )
    by_school: dict[str, list[Term]] = {}
    by_la: dict[str, list[Term]] = {}
    for school, la, a, b, inset in terms:
        t = Term(a, b, parse_inset(inset))
        if school:
            by_school.setdefault(school, []).append(t)
        elif la:
            by_la.setdefault(la, []).append(t)
    out = {}
    for school, la in store.rows("SELECT school_id, local_authority FROM schools"):
        own = by_school.get(school) or by_la.get(la or "", [])
        out[school] = SchoolCalendar(own, start)
    return out


def _pending(store: Store) -> list[Notice]:
    rows = store.rows(
        """SELECT ic.incident_id, ic.child_id, c.name, c.date_of_birth, c.school_id, s.name,
                  s.key_adult_email, coalesce(i.district, s.district), i.occurred_at,
                  i.reported_at, s.school_id IS NOT NULL
           FROM incident_children ic
           JOIN da_incidents i ON i.incident_id = ic.incident_id
           JOIN children c ON c.child_id = ic.child_id
           LEFT JOIN schools s ON s.school_id = c.school_id
           WHERE ic.present
             AND NOT EXISTS (SELECT 1 FROM encompass_notices n
                             WHERE n.incident_id = ic.incident_id AND n.child_id = ic.child_id)
           ORDER BY i.reported_at, ic.incident_id, ic.child_id"""
    )
    out = []
    for *fields, known_school in rows:
        n = Notice(*fields)
        if not n.school_id:
            n.problem = "no known school"
        elif not known_school:
            n.problem = f"school {n.school_id} is not on the schools list"
        elif not n.key_adult_email:
            n.problem = "the school has no key adult e-mail address"
        out.append(n)
    return out


def due(
    store: Store,
    role: str | None,
    policy: EncompassPolicy | None = None,
    *,
    actor: str | None = None,
) -> DueList:
    """Notifications not yet sent, with their deadlines, and the exceptions; audited."""
    require_safeguarding(role)
    policy = policy or EncompassPolicy()
    calendars = _calendars(store, policy.start)
    result = DueList()
    for n in _pending(store):
        if n.problem is None:
            cal = calendars.get(n.school_id or "")
            n.due_at = cal.deadline(n.reported_at) if cal else None
            if n.due_at is None:
                n.problem = "no term dates ahead for the school"
        (result.exceptions if n.problem else result.due).append(n)
    result.due.sort(key=lambda x: (x.due_at, x.reported_at, x.incident_id, x.child_id))
    audit.record(
        store,
        "read",
        "encompass_children",
        {"due": len(result.due), "exceptions": len(result.exceptions)},
        actor=actor,
        role=role,
    )
    return result


# -- sending ------------------------------------------------------------------------------------
@dataclass
class SendResult:
    sent: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # incident, child, why
    exceptions: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": len(self.failed), "exceptions": self.exceptions}


def _connect(url: str) -> smtplib.SMTP:
    u = urlparse(url)
    if u.scheme not in ("smtp", "smtps", "smtp+starttls") or not u.hostname:
        raise InputError(
            f"--smtp must be smtp://host:port (or smtps://, smtp+starttls://), not {url!r}"
        )
    try:
        if u.scheme == "smtps":
            server: smtplib.SMTP = smtplib.SMTP_SSL(u.hostname, u.port or 465, timeout=30)
        else:
            server = smtplib.SMTP(u.hostname, u.port or 25, timeout=30)
            if u.scheme == "smtp+starttls":
                server.starttls()
        if u.username:
            server.login(unquote(u.username), unquote(u.password or ""))
    except (OSError, smtplib.SMTPException) as e:
        raise InputError(f"cannot reach the SMTP server {u.hostname}:{u.port}: {e}") from None
    return server


def _local(t: datetime) -> str:
    return f"{t.replace(tzinfo=UTC).astimezone(LONDON):%A %-d %B %Y at %H:%M}"


def message(n: Notice, policy: EncompassPolicy, force: str) -> EmailMessage:
    """The e-mail to the key adult: the child's name and date of birth are in the body only."""
    m = EmailMessage()
    m["From"] = policy.sender
    m["To"] = n.key_adult_email or ""
    m["Subject"] = f"{policy.subject}: {n.school_name}"  # no child's name in a subject line
    m["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain="forcestat.invalid")
    dob = f"{n.date_of_birth:%-d %B %Y}" if n.date_of_birth else "not known"
    m.set_content(
        f"""Dear key adult at {n.school_name},

{force} attended a domestic abuse incident at which a pupil of your school was present.

Pupil: {n.child_name}
Date of birth: {dob}
Incident: {_local(n.occurred_at)}
Reported to the police: {_local(n.reported_at)}
Police reference: {n.incident_id}

This is an Operation Encompass notification, sent before the start of the next school day so
that the school can give the pupil the support they may need. Please treat it as
confidential safeguarding information and record it as your safeguarding policy requires.

{force} Operation Encompass
"""
    )
    return m


class Transport(Protocol):
    """Where messages go: an SMTP connection, or an :class:`Outbox`."""

    def send_message(self, msg: EmailMessage) -> Any: ...

    def quit(self) -> Any: ...


class Outbox:
    """A transport that delivers nothing: it counts the messages (and keeps them with
    ``keep``). The demo sends through one; so can a test."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self.count = 0
        self.messages: list[EmailMessage] = []

    def send_message(self, msg: EmailMessage) -> None:
        self.count += 1
        if self.keep:
            self.messages.append(msg)

    def quit(self) -> None:
        pass


def on_schedule(runs: tuple[time, ...]) -> Callable[[Notice], datetime]:
    """When a notice goes out if ``send`` runs every day at ``runs`` (Europe/London times):
    the first run at or after the police knew (naive UTC, as stored)."""
    ordered = sorted(runs)

    def sent_at(n: Notice) -> datetime:
        local = n.reported_at.replace(tzinfo=UTC).astimezone(LONDON)
        day = local.date()
        while True:
            for t in ordered:
                at = datetime.combine(day, t, LONDON)
                if at >= local:
                    return at.astimezone(UTC).replace(tzinfo=None)
            day += timedelta(days=1)

    return sent_at


def send(
    store: Store,
    smtp_url: str,
    role: str | None,
    policy: EncompassPolicy | None = None,
    *,
    force: str = "The police",
    actor: str | None = None,
    now: datetime | None = None,
    transport: Transport | None = None,
    sent_at: Callable[[Notice], datetime] | None = None,
    record_every: int = 1,
) -> SendResult:
    """Send every due notification and record when; a second run sends nothing new.

    ``transport`` replaces the SMTP connection (an :class:`Outbox`); ``sent_at`` gives the
    time each notice is recorded as sent (default ``now``): the demo replays a daily schedule
    over past incidents with :func:`on_schedule`. Each message is recorded as soon as the
    server took it (``record_every`` > 1 records that many at a time: for an outbox only).
    """
    policy = policy or EncompassPolicy()
    items = due(store, role, policy, actor=actor)
    result = SendResult(exceptions=len(items.exceptions))
    if not items.due:
        return result
    server: Transport = transport if transport is not None else _connect(smtp_url)
    pending: list[list[Any]] = []

    def record() -> None:
        if len(pending) == 1 or getattr(store, "backend", "duckdb") != "duckdb":
            for row in pending:  # PostgreSQL takes them one by one in its own SQL
                store.run(
                    "INSERT INTO encompass_notices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row
                )
        elif pending:  # many at once: one insert of a frame (executemany is row by row)
            import pandas as pd

            frame = pd.DataFrame(pending, columns=NOTICE_COLUMNS)  # noqa: F841 (DuckDB reads it)
            store.duck.execute("INSERT INTO encompass_notices SELECT * FROM frame")
        pending.clear()

    try:
        for n in items.due:
            msg = message(n, policy, force)
            try:
                server.send_message(msg)
            except (OSError, smtplib.SMTPException) as e:
                result.failed.append((n.incident_id, n.child_id, str(e)))
                continue
            sent = sent_at(n) if sent_at else (now or now_utc())
            pending.append(
                [
                    n.incident_id,
                    n.child_id,
                    n.school_id,
                    n.district,
                    n.reported_at,
                    n.due_at,
                    sent,
                    sent_month(n.reported_at),
                    n.key_adult_email,
                    msg["Message-ID"],
                ]
            )
            result.sent += 1
            if len(pending) >= record_every:
                record()
    finally:
        record()  # what the server took is recorded, even when a later message failed
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            pass
    audit.record(
        store,
        "send",
        "encompass_notices",
        {"sent": result.sent, "failed": len(result.failed)},
        actor=actor,
        role=role,
    )
    return result


NOTICE_COLUMNS = (
    "incident_id",
    "child_id",
    "school_id",
    "district",
    "reported_at",
    "due_at",
    "sent_at",
    "month",
    "recipient",
    "message_id",
)


def sent_month(reported_at: datetime) -> date:
    """The Europe/London month a notification counts in: that of the incident's report."""
    local = reported_at.replace(tzinfo=UTC).astimezone(LONDON)
    return date(local.year, local.month, 1)
