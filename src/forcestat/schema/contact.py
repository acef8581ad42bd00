"""Contact records: 999/101 calls, digital contacts, online crime reports, live chats, staffing."""

from __future__ import annotations

from .base import Column, Derived, RecordKind, Rule

CHANNELS = ("999", "101")
#: Longest plausible queue wait of one call (hours); a longer one is quarantined at ingest.
MAX_WAIT_HOURS = 6


def microseconds(later: str, earlier: str) -> str:
    """SQL for the whole microseconds from one timestamp column to another (NULL if either is).

    Stored as BIGINT: exact, and DuckDB sums and compares stored integers several times faster
    than it computes the difference of two timestamps or reads a stored DOUBLE."""
    return f"date_diff('microsecond', {earlier}, {later})"


calls = RecordKind(
    name="calls",
    domain="contact",
    description="One telephone call to the Force Control Room on 999 or 101.",
    columns=(
        Column("call_id", "str", description="Telephony system's call identifier"),
        Column("channel", "str", allowed=CHANNELS, description="999 (emergency) or 101"),
        Column("arrived_at", "timestamp", description="Call entered the queue"),
        Column("answered_at", "timestamp", required=False, description="Empty if not answered"),
        Column("ended_at", "timestamp", description="Call ended (answered or abandoned)"),
        Column("district", "str", required=False),
        Column("agent_id", "str", required=False, description="Call handler, when answered"),
        Column(
            "priority",
            "int",
            required=False,
            minimum=0,
            description="Service class when the telephony system queues by one (higher is "
            "answered first, FCFS within a class); empty when it does not",
        ),
    ),
    key=("call_id",),
    rules=(
        Rule(
            "answered_after_arrival",
            "answered_at IS NULL OR answered_at >= arrived_at",
            "answered_at",
            "answered_at must not be before arrived_at",
        ),
        Rule(
            "ended_after_answer",
            "answered_at IS NULL OR ended_at >= answered_at",
            "ended_at",
            "ended_at must not be before answered_at",
        ),
        Rule(
            "ended_after_arrival",
            "ended_at >= arrived_at",
            "ended_at",
            "ended_at must not be before arrived_at",
        ),
    ),
    time_column="arrived_at",
    plausible=(
        Rule(
            "implausible_duration",
            "ended_at <= arrived_at + INTERVAL 24 HOUR",
            "ended_at",
            "a call lasts at most 24 hours from arrival to end",
        ),
        # an impossible wait is a misread clock (a "0:00:00" taken as midnight), not a
        # caller: one such row doubled a month's mean patience in the demand model
        Rule(
            "implausible_wait",
            f"answered_at IS NULL OR answered_at <= arrived_at + INTERVAL {MAX_WAIT_HOURS} HOUR",
            "answered_at",
            f"a caller is answered at most {MAX_WAIT_HOURS} hours after arriving",
        ),
    ),
    derived=(
        Derived(
            "queue_us",
            "BIGINT",
            microseconds("answered_at", "arrived_at"),
            "Queue time in microseconds, answered_at - arrived_at; empty if not answered",
        ),
        Derived(
            "talk_us",
            "BIGINT",
            microseconds("ended_at", "answered_at"),
            "Talk time in microseconds, ended_at - answered_at; empty if not answered",
        ),
    ),
)

digital_contacts = RecordKind(
    name="digital_contacts",
    domain="contact",
    description="An email, social-media message or web form received by the control room.",
    columns=(
        Column("contact_id", "str"),
        Column("received_at", "timestamp"),
        Column("kind", "str", allowed=("email", "social_media", "web_form", "other")),
        Column("district", "str", required=False),
        Column("handled_at", "timestamp", required=False),
    ),
    key=("contact_id",),
    rules=(
        Rule(
            "handled_after_received",
            "handled_at IS NULL OR handled_at >= received_at",
            "handled_at",
            "handled_at must not be before received_at",
        ),
    ),
    time_column="received_at",
)

online_crime_reports = RecordKind(
    name="online_crime_reports",
    domain="contact",
    description="A 'Report a Crime' online submission.",
    columns=(
        Column("report_id", "str"),
        Column("submitted_at", "timestamp"),
        Column("crime_type", "str"),
        Column("district", "str", required=False),
    ),
    key=("report_id",),
    time_column="submitted_at",
)

chats = RecordKind(
    name="chats",
    domain="contact",
    description="A live-chat conversation; accepted_at is empty when the person left first.",
    columns=(
        Column("chat_id", "str"),
        Column("requested_at", "timestamp"),
        Column("accepted_at", "timestamp", required=False),
        Column("ended_at", "timestamp"),
        Column("operator_id", "str", required=False),
    ),
    key=("chat_id",),
    rules=(
        Rule(
            "accepted_after_request",
            "accepted_at IS NULL OR accepted_at >= requested_at",
            "accepted_at",
            "accepted_at must not be before requested_at",
        ),
        Rule(
            "ended_after_accept",
            "accepted_at IS NULL OR ended_at >= accepted_at",
            "ended_at",
            "ended_at must not be before accepted_at",
        ),
        Rule(
            "ended_after_request",
            "ended_at >= requested_at",
            "ended_at",
            "ended_at must not be before requested_at",
        ),
    ),
    time_column="requested_at",
    plausible=(
        Rule(
            "implausible_duration",
            "ended_at <= requested_at + INTERVAL 24 HOUR",
            "ended_at",
            "a chat lasts at most 24 hours from request to end",
        ),
    ),
    derived=(
        Derived(
            "wait_us",
            "BIGINT",
            microseconds("accepted_at", "requested_at"),
            "Wait in microseconds, accepted_at - requested_at; empty if not accepted",
        ),
    ),
)

staffing = RecordKind(
    name="staffing",
    domain="contact",
    description="Call handlers on duty for one channel in one interval (for the demand model).",
    columns=(
        Column("interval_start", "timestamp"),
        Column("interval_minutes", "int", minimum=1, maximum=1440),
        Column("channel", "str", allowed=(*CHANNELS, "chat", "digital")),
        Column("agents", "float", minimum=0),
    ),
    key=("interval_start", "channel"),
    time_column="interval_start",
    plausible=(
        Rule(
            "implausible_count",
            "agents <= 10000",
            "agents",
            "at most 10,000 agents on duty in one interval",
        ),
    ),
)

call_intervals = RecordKind(
    name="call_intervals",
    domain="contact",
    description=(
        "A telephony system's published statistics for one line in one interval (typically "
        "an hour): calls offered, answered, abandoned and answered within 10 seconds."
    ),
    columns=(
        Column("interval_start", "timestamp"),
        Column("interval_minutes", "int", minimum=1, maximum=1440),
        Column("channel", "str", allowed=CHANNELS, description="999 (emergency) or 101"),
        Column("offered", "int", description="Calls presented to the line"),
        Column("answered", "int"),
        Column("abandoned", "int", description="Caller hung up before an answer"),
        Column(
            "answered_within_10s",
            "int",
            required=False,
            minimum=0,
            description="Answered within 10 seconds (the Home Office 999 standard)",
        ),
    ),
    key=("interval_start", "channel"),
    rules=(
        Rule(
            "counts_not_negative",
            "offered >= 0 AND answered >= 0 AND abandoned >= 0",
            "offered",
            "offered, answered and abandoned must not be negative",
        ),
        Rule(
            "offered_covers_outcomes",
            "answered + abandoned <= offered",
            "offered",
            "answered + abandoned must not exceed offered",
        ),
        Rule(
            "within_10s_answered",
            "answered_within_10s IS NULL OR answered_within_10s <= answered",
            "answered_within_10s",
            "answered_within_10s must not exceed answered",
        ),
    ),
    time_column="interval_start",
)

KINDS = (calls, digital_contacts, online_crime_reports, chats, staffing, call_intervals)
