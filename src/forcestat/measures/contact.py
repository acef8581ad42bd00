"""Contact measures: 999 and 101 calls, digital contacts, online crime reports, live chats."""

from __future__ import annotations

from typing import Any

from .base import Count, Expr, Mean, Measure, Ratio, Split, table

CALLS = table("calls", text="one row per call on 999 or 101")
ANSWERED = Expr("answered", lambda t: t.answered_at.notnull(), "the call was answered")
NOT_ANSWERED = Expr("not_answered", lambda t: t.answered_at.isnull(), "the call was not answered")


US = 1_000_000  # microseconds in a second


def microseconds(stored: str, later: str, earlier: str) -> Any:
    """Whole microseconds from one timestamp column to another (null if either is null).

    The store computes this at ingest as the derived column ``stored`` (see the record kind);
    a table without it (a store opened read-only before it was upgraded, another backend) gets
    it computed from the timestamps. Integers are summed and compared far faster than fractional
    seconds; the engine scales sums back to seconds (``Expr.scale``).
    """

    def build(t: Any) -> Any:
        if stored in t.columns:
            return t[stored]
        return t[later].delta(t[earlier], unit="microsecond")

    return build


QUEUE = Expr(
    "queue_us",
    microseconds("queue_us", "answered_at", "arrived_at"),
    "the queue time, answered_at - arrived_at",
    scale=1 / US,
    null_unless=ANSWERED,
)
TALK = Expr(
    "talk_us",
    microseconds("talk_us", "ended_at", "answered_at"),
    "the talk time, ended_at - answered_at",
    scale=1 / US,
    null_unless=ANSWERED,
)
# Unanswered calls have no queue time, so each band holds answered calls only.
UNDER_10 = Expr(
    "queue_under_10s", lambda t: QUEUE(t) < 10 * US, "answered with a queue time < 10 s"
)
FROM_10_TO_60 = Expr(
    "queue_10_to_60s",
    lambda t: (QUEUE(t) >= 10 * US) & (QUEUE(t) < 60 * US),
    "answered with a queue time of 10 s or more and under 60 s",
)
OVER_60 = Expr(
    "queue_60s_plus", lambda t: QUEUE(t) >= 60 * US, "answered with a queue time of 60 s or more"
)


#: The figures of a telephone channel a board table shows, in order: ``calls_<channel>_<part>``.
CALL_PARTS = (
    "received",
    "answered",
    "not_answered",
    "pct_not_answered",
    "avg_queue_seconds",
    "avg_talk_seconds",
)
CHANNELS = ("999", "101")


def call_keys(channel: str) -> tuple[str, ...]:
    """The keys of :data:`CALL_PARTS` for one channel (``calls_999_received``, ...)."""
    return tuple(f"calls_{channel}_{part}" for part in CALL_PARTS)


def call_measures(ch: str) -> list[Measure]:
    """The figures the board reports for one telephone channel."""
    base: dict[str, Any] = {"family": "contact", "source": CALLS, "slice": (("channel", ch),)}
    p = f"calls_{ch}"
    arrived = f"{ch} calls whose arrived_at falls in the period (Europe/London month)"
    return [
        Measure(
            f"{p}_received",
            f"{ch} calls received",
            "count",
            aggregate=Count(),
            definition=f"Number of {arrived}.",
            **base,
        ),
        Measure(
            f"{p}_answered",
            f"{ch} calls answered",
            "count",
            aggregate=Count(ANSWERED),
            good="up",
            definition=f"Number of {arrived} that were answered (answered_at is set).",
            **base,
        ),
        Measure(
            f"{p}_not_answered",
            f"{ch} calls not answered",
            "count",
            aggregate=Count(NOT_ANSWERED),
            good="down",
            definition=f"Number of {arrived} that were never answered: received minus answered"
            " (abandoned by the caller or ended before answer).",
            **base,
        ),
        Measure(
            f"{p}_pct_not_answered",
            f"{ch} calls not answered (%)",
            "percent",
            aggregate=Ratio(Count(NOT_ANSWERED), Count()),
            good="down",
            decimals=2,
            benchmark=f"{p}_pct_not_answered" if ch == "999" else None,
            definition=f"100 x {ch} calls not answered / {ch} calls received, over {arrived}."
            " Published to 2 decimal places.",
            **base,
        ),
        Measure(
            f"{p}_avg_queue_seconds",
            f"{ch} average time to answer",
            "seconds",
            aggregate=Mean(QUEUE, ANSWERED),
            good="down",
            definition=f"Mean of answered_at - arrived_at in seconds over the ANSWERED {ch} calls"
            " that arrived in the period; unanswered calls are not included. Published as whole"
            " seconds (minutes and seconds).",
            **base,
        ),
        Measure(
            f"{p}_avg_talk_seconds",
            f"{ch} average talk time",
            "seconds",
            aggregate=Mean(TALK, ANSWERED),
            definition=f"Mean of ended_at - answered_at in seconds over the answered {ch} calls"
            " that arrived in the period.",
            **base,
        ),
        Measure(
            f"{p}_pct_answered_within_10s",
            f"{ch} calls answered within 10 seconds (%)",
            "percent",
            aggregate=Ratio(Count(UNDER_10), Count(ANSWERED)),
            good="up",
            decimals=2,
            benchmark=f"{p}_pct_answered_within_10s" if ch == "999" else None,
            definition=f"The Home Office definition: 100 x answered {ch} calls with a queue time"
            f" under 10 seconds / answered {ch} calls, over {arrived}.",
            **base,
        ),
        Measure(
            f"{p}_answered_under_10s",
            f"{ch} calls answered in under 10 seconds",
            "count",
            aggregate=Count(UNDER_10),
            good="up",
            definition=f"Answer-time band: answered {ch} calls with queue time < 10 s.",
            **base,
        ),
        Measure(
            f"{p}_answered_10_to_60s",
            f"{ch} calls answered in 10 to 60 seconds",
            "count",
            aggregate=Count(FROM_10_TO_60),
            definition=f"Answer-time band: answered {ch} calls with 10 s <= queue time < 60 s.",
            **base,
        ),
        Measure(
            f"{p}_answered_60s_plus",
            f"{ch} calls answered after 60 seconds or more",
            "count",
            aggregate=Count(OVER_60),
            good="down",
            definition=f"Answer-time band: answered {ch} calls with queue time >= 60 s. The three"
            " bands sum to the calls answered.",
            **base,
        ),
    ]


ACCEPTED = Expr("accepted", lambda t: t.accepted_at.notnull(), "the chat was accepted")
NOT_ACCEPTED = Expr("not_accepted", lambda t: t.accepted_at.isnull(), "the chat was not accepted")
WAIT = Expr(
    "wait_us",
    microseconds("wait_us", "accepted_at", "requested_at"),
    "the wait, accepted_at - requested_at",
    scale=1 / US,
    null_unless=ACCEPTED,
)
CHATS = table("chats")
_chat: dict[str, Any] = {"family": "contact", "source": CHATS}

OTHER_CONTACT = [
    Measure(
        "digital_contacts",
        "Digital contacts",
        "count",
        family="contact",
        source=table("digital_contacts"),
        aggregate=Count(),
        definition="Emails, social-media messages and web forms received by the control room,"
        " by month of received_at.",
    ),
    Measure(
        "online_crime_reports",
        "Online crime reports",
        "count",
        family="contact",
        source=table("online_crime_reports"),
        aggregate=Count(),
        definition="'Report a Crime' online submissions, by month of submitted_at.",
    ),
    Measure(
        "live_chats",
        "Live chats",
        "count",
        aggregate=Count(),
        definition="Live-chat conversations requested in the period (month of requested_at).",
        **_chat,
    ),
    Measure(
        "live_chats_answered",
        "Live chats answered",
        "count",
        aggregate=Count(ACCEPTED),
        good="up",
        definition="Live chats requested in the period that an operator accepted (accepted_at"
        " is set).",
        **_chat,
    ),
    Measure(
        "live_chats_abandoned",
        "Live chats abandoned",
        "count",
        aggregate=Count(NOT_ACCEPTED),
        good="down",
        definition="Live chats requested in the period that no operator accepted: live chats"
        " minus live chats answered.",
        **_chat,
    ),
    Measure(
        "live_chats_pct_abandoned",
        "Live chats abandoned (%)",
        "percent",
        aggregate=Ratio(Count(NOT_ACCEPTED), Count()),
        good="down",
        decimals=1,
        definition="100 x live chats abandoned / live chats, over the chats requested in the"
        " period. Published to 1 decimal place.",
        **_chat,
    ),
    Measure(
        "live_chats_avg_wait_seconds",
        "Live chat average wait",
        "seconds",
        aggregate=Mean(WAIT, ACCEPTED),
        good="down",
        definition="Mean of accepted_at - requested_at in seconds over the accepted chats"
        " requested in the period.",
        **_chat,
    ),
]

MEASURES = [*(m for ch in CHANNELS for m in call_measures(ch)), *OTHER_CONTACT]

SPLITS = (
    Split(None, (ANSWERED, NOT_ANSWERED)),
    Split(ANSWERED, (UNDER_10, FROM_10_TO_60, OVER_60)),
    Split(None, (ACCEPTED, NOT_ACCEPTED)),
)
