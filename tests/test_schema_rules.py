"""Every rule in schema/ quarantines the row that breaks it, and only that row.

For each kind a valid example row (tests/fixtures/ingest/examples.py) is loaded, then changed
to break one check at a time: every cross-field Rule, every allowed-value set, every
minimum/maximum, every required column and every typed column.
"""

from __future__ import annotations

import pytest

from fixtures.ingest.examples import RULE_BREAKERS, VALID, write_csv
from forcestat.ingest import ingest_file, list_quarantine
from forcestat.schema import KINDS, RecordKind

ALL_RULES = [(k.name, r.name) for k in KINDS.values() for r in k.rules]
ALLOWED = [(k.name, c.name) for k in KINDS.values() for c in k.columns if c.allowed]
BOUNDED = [
    (k.name, c.name, bound)
    for k in KINDS.values()
    for c in k.columns
    for bound in ("minimum", "maximum")
    if getattr(c, bound) is not None
]
REQUIRED = [(k.name, c) for k in KINDS.values() for c in k.required_columns]
TYPED = [(k.name, c.name, c.type) for k in KINDS.values() for c in k.columns if c.type != "str"]
BAD_VALUE = {
    "timestamp": "2022-02-30T10:00:00",
    "date": "2022-02-30",
    "int": "1.5",
    "float": "three",
    "bool": "maybe",
}
TYPE_RULE = {
    "timestamp": "invalid_timestamp",
    "date": "invalid_date",
    "int": "invalid_integer",
    "float": "invalid_number",
    "bool": "invalid_boolean",
}


def as_named(kind: str, column: str) -> str:
    """The column as the file names it (police.uk files use their published names)."""
    published = {v: k for k, v in KINDS[kind].header_aliases.items()}
    return published.get(column, column)


def header_name(kind: RecordKind, column: str) -> str:
    """The file header that stands for ``column`` (police.uk files use published names)."""
    for published, name in kind.header_aliases.items():
        if name == column:
            return published
    return column


def load_one(store, tmp_path, kind: str, changes: dict[str, str]):
    row = {**VALID[kind], **changes}
    path = write_csv(tmp_path / f"{kind}.csv", [row])
    result = ingest_file(store, path, kind=kind)
    assert result.read == result.loaded + result.quarantined + result.skipped_duplicates == 1
    return result, list_quarantine(store)


def test_every_rule_has_an_example():
    assert sorted(RULE_BREAKERS) == sorted(ALL_RULES)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_valid_example_loads(store, tmp_path, kind):
    result, quarantined = load_one(store, tmp_path, kind, {})
    assert (result.loaded, quarantined) == (1, [])


@pytest.mark.parametrize(("kind", "rule"), ALL_RULES)
def test_cross_field_rule_quarantines(store, tmp_path, kind, rule):
    result, quarantined = load_one(store, tmp_path, kind, RULE_BREAKERS[(kind, rule)])
    assert result.quarantined == 1
    assert quarantined[0]["rule"] == rule
    rule_column = next(r.column for r in KINDS[kind].rules if r.name == rule)
    assert quarantined[0]["column"] == as_named(kind, rule_column)


@pytest.mark.parametrize(("kind", "column"), ALLOWED)
def test_value_outside_allowed_set_quarantines(store, tmp_path, kind, column):
    header = header_name(KINDS[kind], column)
    result, quarantined = load_one(store, tmp_path, kind, {header: "not-a-listed-value"})
    assert [(q["rule"], q["column"]) for q in quarantined] == [
        ("not_allowed", as_named(kind, column))
    ]
    assert "not-a-listed-value" in quarantined[0]["reason"]


@pytest.mark.parametrize(("kind", "column"), ALLOWED)
def test_every_allowed_value_loads(store, tmp_path, kind, column):
    rk = KINDS[kind]
    allowed = rk.column(column).allowed or ()
    rows = []
    for i, value in enumerate(allowed):
        row = {**VALID[kind], header_name(rk, column): value}
        if value == "cancelled":  # rule cancelled_has_reason
            row["cancellation_reason"] = "no crime: duplicate record"
        if value == "in_process":  # rule decided_unless_in_process
            row["decided_on"] = ""
        for k in rk.key:  # distinct keys so none is a duplicate of another
            if k != column and rk.column(k).type == "str":
                row[header_name(rk, k)] = f"{row[header_name(rk, k)]}-{i}"
        rows.append(row)
    result = ingest_file(store, write_csv(tmp_path / "allowed.csv", rows), kind=kind)
    assert (result.loaded, result.quarantined) == (len(allowed), 0)


@pytest.mark.parametrize(("kind", "column", "bound"), BOUNDED)
def test_value_beyond_bound_quarantines(store, tmp_path, kind, column, bound):
    col = KINDS[kind].column(column)
    limit = getattr(col, bound)
    value = limit - 1 if bound == "minimum" else limit + 1
    text = str(int(value)) if col.type == "int" else str(value)
    header = header_name(KINDS[kind], column)
    result, quarantined = load_one(store, tmp_path, kind, {header: text})
    rule = "below_minimum" if bound == "minimum" else "above_maximum"
    assert [(q["rule"], q["column"]) for q in quarantined] == [(rule, as_named(kind, column))]


@pytest.mark.parametrize(("kind", "column", "bound"), BOUNDED)
def test_value_on_bound_loads(store, tmp_path, kind, column, bound):
    col = KINDS[kind].column(column)
    limit = getattr(col, bound)
    text = str(int(limit)) if col.type == "int" else str(limit)
    header = header_name(KINDS[kind], column)
    result, _ = load_one(store, tmp_path, kind, {header: text})
    assert result.loaded == 1


@pytest.mark.parametrize(("kind", "column"), REQUIRED)
def test_missing_required_value_quarantines(store, tmp_path, kind, column):
    header = header_name(KINDS[kind], column)
    result, quarantined = load_one(store, tmp_path, kind, {header: ""})
    assert [(q["rule"], q["column"]) for q in quarantined] == [
        ("missing_required", as_named(kind, column))
    ]


@pytest.mark.parametrize(("kind", "column", "type_"), TYPED)
def test_unreadable_value_quarantines(store, tmp_path, kind, column, type_):
    header = header_name(KINDS[kind], column)
    result, quarantined = load_one(store, tmp_path, kind, {header: BAD_VALUE[type_]})
    assert [(q["rule"], q["column"]) for q in quarantined] == [
        (TYPE_RULE[type_], as_named(kind, column))
    ]
    assert BAD_VALUE[type_] in quarantined[0]["reason"]


def test_whole_numbers_written_as_decimals_load(store, tmp_path):
    result, _ = load_one(store, tmp_path, "staffing", {"interval_minutes": "30.0"})
    assert result.loaded == 1
    assert store.duck.execute("SELECT interval_minutes FROM staffing").fetchone() == (30,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("false", False),
        ("0", False),
        ("N", False),
    ],
)
def test_boolean_spellings(store, tmp_path, text, expected):
    result, _ = load_one(store, tmp_path, "speedwatch_detections", {"letter_sent": text})
    assert result.loaded == 1
    row = store.duck.execute("SELECT letter_sent FROM speedwatch_detections").fetchone()
    assert row == (expected,)


def test_non_finite_numbers_quarantine(store, tmp_path):
    result, quarantined = load_one(store, tmp_path, "volunteer_duties", {"hours": "nan"})
    assert quarantined[0]["rule"] == "invalid_number"


def test_first_broken_check_is_reported_once(store, tmp_path):
    # channel not allowed AND answered before arrival: one quarantine row, the column check
    changes = {"channel": "112", "answered_at": "2022-08-01T09:00:00+01:00"}
    result, quarantined = load_one(store, tmp_path, "calls", changes)
    assert [q["rule"] for q in quarantined] == ["not_allowed"]
