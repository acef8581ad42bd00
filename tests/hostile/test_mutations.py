"""Valid files, mutated at random (bytes flipped, rows cut, quotes unbalanced): ingest still
ends in exit 0 or 2 with no traceback, accounts for every record, and a refused file leaves
the store exactly as it was."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fixtures.ingest.examples import calls, csv_text
from forcestat.errors import InputError
from forcestat.ingest import ingest_each
from forcestat.store import Store

VALID_CSV = csv_text(calls(12)).encode()
VALID_JSONL = "".join(json.dumps(r) + "\n" for r in calls(12)).encode()


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    suffix, data = draw(st.sampled_from([(".csv", VALID_CSV), (".jsonl", VALID_JSONL)]))
    b = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut_row", "quote", "truncate", "insert", "newline"]))
        if not b:
            break
        i = draw(st.integers(0, len(b) - 1))
        if op == "flip":
            b[i] = draw(st.integers(0, 255))
        elif op == "cut_row":
            lines = bytes(b).split(b"\n")
            j = draw(st.integers(0, len(lines) - 1))
            b = bytearray(b"\n".join(lines[:j] + lines[j + 1 :]))
        elif op == "quote":
            b[i:i] = b'"'
        elif op == "truncate":
            b = b[:i]
        elif op == "insert":
            b[i:i] = draw(st.binary(min_size=1, max_size=8))
        else:
            b[i:i] = draw(st.sampled_from([b"\r", b"\n", b"\r\n", b",", b"{", b"\x00"]))
    return suffix, bytes(b)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated())
# found in CI: quotes around the whole file make its header one field holding every line, and
# the refusal quoted it with its newlines
@example(case=(".csv", b'"' + VALID_CSV.rstrip(b"\n") + b'"\n'))
def test_mutated_file_is_loaded_or_refused_whole(case, tmp_path_factory):
    suffix, data = case
    d = tmp_path_factory.mktemp("mut")
    path = d / f"calls{suffix}"
    path.write_bytes(data)
    with Store.open(d / "s.duckdb") as store:
        before = store.checksums()
        try:
            results = ingest_each(store, [path])
        except InputError:  # refused before any file could be looked at (e.g. folder empty)
            results = []
        after = store.checksums()
    for r in results:
        if r.status == "loaded":
            assert r.read == r.loaded + r.quarantined + r.skipped_duplicates
        else:
            assert r.error and "\n" not in r.error.strip()
    if not any(r.status == "loaded" for r in results):
        assert after == before
