"""Property tests: any mix of valid and corrupted rows, in any CSV dialect, is fully accounted
for (read = loaded + quarantined + skipped_duplicates), each corruption is quarantined under
its rule and line, and every valid row is stored unchanged."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forcestat.errors import SchemaError
from forcestat.ingest import ingest_file
from forcestat.store import Store

LONDON = ZoneInfo("Europe/London")
HEADER = ["call_id", "channel", "arrived_at", "answered_at", "ended_at", "district"]

#: corruption -> the rule its row must be quarantined under
CORRUPTIONS = {
    "impossible_date": "invalid_timestamp",
    "unparseable_date": "invalid_timestamp",
    "missing_channel": "missing_required",
    "missing_arrival": "missing_required",
    "disallowed_channel": "not_allowed",
    "reversed_times": "answered_after_arrival",
    "ended_before_arrival": "ended_after_arrival",
    "stray_quote": "malformed_csv",
    "latin1_bytes": "invalid_encoding",
}


def utc_of(local: datetime) -> datetime:
    """London wall clock to UTC, the changeover hour read as GMT (docs/ingest.md)."""
    a = local.replace(tzinfo=LONDON, fold=0).astimezone(UTC).replace(tzinfo=None)
    b = local.replace(tzinfo=LONDON, fold=1).astimezone(UTC).replace(tzinfo=None)
    return local if a != b else a


@st.composite
def valid_call(draw, i):
    arrived = datetime(2021, 1, 1) + timedelta(minutes=draw(st.integers(0, 3 * 365 * 24 * 60)))
    arrived += timedelta(seconds=draw(st.integers(0, 59)))
    answered = arrived + timedelta(seconds=draw(st.integers(0, 900)))
    ended = answered + timedelta(seconds=draw(st.integers(0, 3600)))
    has_answer = draw(st.booleans())
    with_offset = draw(st.booleans())
    district = draw(
        st.sampled_from(
            ["Ashford", "Dover", "Canterbury, City", 'The "Weald"', "line one\nline two", ""]
        )
    )

    def text(t: datetime) -> str:
        if with_offset:  # an instant, written with its UTC offset
            return t.replace(tzinfo=UTC).isoformat()
        return t.isoformat(sep=" ")

    if not with_offset:  # the wall-clock text, and what it means in UTC
        utc = {k: utc_of(v) for k, v in (("a", arrived), ("n", answered), ("e", ended))}
        if not (utc["a"] <= utc["n"] <= utc["e"]):  # changeover hour reordered them: skip
            with_offset = True
    expected = {
        "call_id": f"C{i}",
        "channel": draw(st.sampled_from(["999", "101"])),
        "arrived_at": arrived if with_offset else utc_of(arrived),
        "answered_at": (answered if with_offset else utc_of(answered)) if has_answer else None,
        "ended_at": ended if with_offset else utc_of(ended),
        "district": district or None,
    }
    fields = {
        "call_id": f"C{i}",
        "channel": expected["channel"],
        "arrived_at": text(arrived),
        "answered_at": text(answered) if has_answer else "",
        "ended_at": text(ended),
        "district": district,
    }
    return fields, expected


def corrupt(fields: dict[str, str], how: str) -> dict[str, str]:
    f = dict(fields)
    if how == "impossible_date":
        f["arrived_at"] = "2022-02-30 10:00:00"
    elif how == "unparseable_date":
        f["arrived_at"] = "next Tuesday"
    elif how == "missing_channel":
        f["channel"] = ""
    elif how == "missing_arrival":
        f["arrived_at"] = ""
    elif how == "disallowed_channel":
        f["channel"] = "112"
    elif how == "reversed_times":
        f["arrived_at"], f["answered_at"], f["ended_at"] = (
            "2022-08-01T10:00:00Z",
            "2022-08-01T09:00:00Z",
            "2022-08-01T11:00:00Z",
        )
    elif how == "ended_before_arrival":
        f["arrived_at"], f["answered_at"], f["ended_at"] = (
            "2022-08-01T10:00:00Z",
            "",
            "2022-08-01T09:00:00Z",
        )
    return f


@st.composite
def call_file(draw):
    """A list of (kind, fields, expected) rows plus a CSV dialect."""
    rows = []
    n = draw(st.integers(0, 25))
    for i in range(n):
        fields, expected = draw(valid_call(i))
        what = draw(st.sampled_from(["valid"] * 4 + sorted(CORRUPTIONS) + ["dup", "conflict"]))
        if what in CORRUPTIONS:
            rows.append((what, corrupt(fields, what), None))
        elif what in ("dup", "conflict") and any(r[0] == "valid" for r in rows):
            original = draw(st.sampled_from([r for r in rows if r[0] == "valid"]))
            if what == "dup":
                rows.append(("dup", dict(original[1]), original[2]))
            else:
                other = {**original[1], "district": original[1]["district"] + " (amended)"}
                rows.append(("conflict", other, None))
        else:
            rows.append(("valid", fields, expected))
    dialect = {
        "delimiter": draw(st.sampled_from([",", "\t", ";", "|"])),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "bom": draw(st.booleans()),
    }
    return rows, dialect


def render(rows, dialect) -> bytes:
    d, nl = dialect["delimiter"], dialect["newline"]

    def line(values: list[str]) -> str:
        buf = io.StringIO()
        csv.writer(buf, delimiter=d, lineterminator=nl).writerow(values)
        return buf.getvalue()

    out = [("\ufeff" if dialect["bom"] else "").encode() + line(HEADER).encode()]
    for what, fields, _ in rows:
        values = [fields[h] for h in HEADER]
        if what == "stray_quote":  # a quote closed mid-field: '"Ash"ford'
            text = d.join([*values[:5], '"Ash"ford']) + nl
            out.append(text.encode())
        elif what == "latin1_bytes":
            out.append(line([*values[:5], "Caf\u00e9 district"]).encode("latin-1"))
        else:
            out.append(line(values).encode())
    return b"".join(out)


def expected_outcome(rows):
    """(loaded rows by line, quarantine rules by line, skipped count) the rules promise."""
    keys = Counter()
    variants: dict[str, set] = {}
    for what, fields, _ in rows:
        if what in ("valid", "dup", "conflict"):
            keys[fields["call_id"]] += 1
            variants.setdefault(fields["call_id"], set()).add(tuple(fields.values()))
    loaded, quarantined, skipped, seen = {}, {}, 0, set()
    # every record, loaded or quarantined, is numbered by the physical line it starts on
    next_line = 2
    for what, fields, expected in rows:
        line = next_line
        rendered_alone = what in ("stray_quote", "latin1_bytes")  # their district is replaced
        next_line += 1 + (0 if rendered_alone else fields["district"].count("\n"))
        key = fields["call_id"]
        if what in CORRUPTIONS:
            quarantined[line] = CORRUPTIONS[what]
        elif len(variants[key]) > 1:
            quarantined[line] = "duplicate_key"
        elif key in seen:
            skipped += 1
        else:
            seen.add(key)
            loaded[line] = expected
    return loaded, quarantined, skipped


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call_file())
def test_every_row_is_accounted_for_and_valid_rows_load_unchanged(tmp_path_factory, case):
    rows, dialect = case
    path = tmp_path_factory.mktemp("prop") / "calls.csv"
    path.write_bytes(render(rows, dialect))
    loaded, quarantined, skipped = expected_outcome(rows)
    with Store.open(":memory:") as store:
        result = ingest_file(store, path)
        assert result.read == len(rows)
        assert result.read == result.loaded + result.quarantined + result.skipped_duplicates
        assert (result.loaded, result.quarantined, result.skipped_duplicates) == (
            len(loaded),
            len(quarantined),
            skipped,
        )
        got_q = store.duck.execute("SELECT line, rule FROM quarantine ORDER BY line").fetchall()
        assert dict(got_q) == quarantined
        stored = store.duck.execute(
            f"SELECT _line, {', '.join(HEADER)} FROM calls ORDER BY _line"
        ).fetchall()
        assert {r[0]: dict(zip(HEADER, r[1:], strict=True)) for r in stored} == loaded
        again = ingest_file(store, path)
        # a reload of the same file loads and quarantines nothing: every row is a duplicate
        assert (again.loaded, again.quarantined, again.skipped_duplicates) == (0, 0, again.read)
        assert store.duck.execute("SELECT count(*) FROM quarantine").fetchone()[0] == len(got_q)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n"])
def test_empty_files_are_refused_and_change_nothing(tmp_path, content):
    path = tmp_path / "calls.csv"
    path.write_bytes(content)
    with Store.open(":memory:") as store:
        with pytest.raises(SchemaError, match="empty"):
            ingest_file(store, path)
        assert store.duck.execute("SELECT count(*) FROM load_log").fetchone() == (0,)
