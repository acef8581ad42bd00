"""Measure definitions in plain words for the board's annex.

The catalogue's definitions are exact and written for analysts: they name record columns
(``arrived_at``, ``joined_on <= D``) and sometimes say why a formula was chosen. The board
reads the same definitions with the column names turned into words and the analysts' asides
(sentences about how the formula was checked) left out. The measure's key stays in its own
column, so an analyst can still find the exact definition.

>>> plain_definition("Calls whose arrived_at falls in the period (answered_at is set).")
'Calls whose arrival time falls in the period (they have an answer time).'
"""

from __future__ import annotations

import re

#: Exact phrases first (longest first), then column names.
PHRASES = (
    ("joined_on <= D and (left_on empty or left_on > D)",
     "joined on or before D and not left by D"),
    ("independent = true and independent_from empty or on or before D",
     "on independent patrol by D"),
    ("left_to_regular_force = true", "who left to join the regular force"),
    ("(answered_at is set)", "(they have an answer time)"),
    ("answered_at is set", "they have an answer time"),
    ("Mean of answered_at - arrived_at", "Mean of the time from arrival to answer"),
    ("Mean of ended_at - answered_at", "Mean of the time from answer to end"),
    ("speed_mph > limit_mph", "speed over the limit"),
    ("ANSWERED", "answered"),
)  # fmt: skip
COLUMNS = {
    "arrived_at": "arrival time",
    "answered_at": "answer time",
    "ended_at": "end time",
    "accepted_at": "time accepted",
    "received_at": "time received",
    "recorded_at": "time recorded",
    "requested_at": "time requested",
    "submitted_at": "time submitted",
    "detected_at": "time detected",
    "detained_at": "time of detention",
    "duty_date": "date of duty",
    "left_on": "leaving date",
    "joined_on": "joining date",
    "tax_status": "tax status",
    "volunteer_duties.hours": "hours of duty",
    "crime_type": "crime type",
    "lsoa_code": "small area (LSOA)",
    "falls_within": "force area",
}
#: Sentences written for analysts, not the board (how a formula was checked).
#: A sentence ends at a full stop followed by a space or the end ("3.6%" goes on).
ASIDES = re.compile(
    r"\s*(?:[^.]|\.(?=\S))*\b(seed|csv|fit)\b(?:[^.]|\.(?=\S))*\.(?=\s|$)", re.IGNORECASE
)


def plain_definition(text: str) -> str:
    """``text`` with record column names in words and analysts' asides left out."""
    out = ASIDES.sub("", text)
    for phrase, words in PHRASES:
        out = out.replace(phrase, words)
    for column, words in sorted(COLUMNS.items(), key=lambda kv: -len(kv[0])):
        out = re.sub(rf"\b{re.escape(column)}\b", words, out)
    # any other snake_case name reads as words
    out = re.sub(r"\b([a-z]+(?:_[a-z0-9]+)+)\b", lambda m: m.group(1).replace("_", " "), out)
    return out.strip()
