"""Hostile inputs for ingest, generated on the fly (nothing large is kept in the repository).

Each case writes its file(s) under a folder and says what ingest must do with them beyond
the general promise (exit 0 or 2, no traceback, read = loaded + quarantined + skipped, the
store unchanged when refused): ``expect`` maps a --json key to its value for the file, and
``rules`` lists quarantine rules that must appear.
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fixtures.ingest.examples import VALID, calls, csv_text, write_csv, write_jsonl


@dataclass
class Case:
    name: str
    make: Callable[[Path], list[Path]]
    #: exit code required (None: 0 or 2)
    exit: int | None = None
    #: --json values required of the first file's line
    expect: dict[str, object] = field(default_factory=dict)
    #: quarantine rules that must appear
    rules: tuple[str, ...] = ()
    #: SQL (over the store) that must return true afterwards
    check: str | None = None
    #: text the refusal's one line must hold
    says: str | None = None


CASES: list[Case] = []


def case(
    exit: int | None = None,
    expect: dict[str, object] | None = None,
    rules: tuple[str, ...] = (),
    check: str | None = None,
    says: str | None = None,
) -> Callable[[Callable[[Path], list[Path]]], Callable[[Path], list[Path]]]:
    def add(make: Callable[[Path], list[Path]]) -> Callable[[Path], list[Path]]:
        CASES.append(Case(make.__name__, make, exit, expect or {}, rules, check, says))
        return make

    return add


def calls_csv(n: int = 3, **kw: str) -> str:
    return csv_text(calls(n), **kw)


# -- silent loss and corruption ---------------------------------------------------------------
@case(exit=0, expect={"read": 3, "loaded": 3})
def record_of_10_mib(d: Path) -> list[Path]:
    rows = calls(3)
    rows[1]["district"] = "x" * (10 * 2**20)
    return [write_csv(d / "big-field.csv", rows)]


@case(
    exit=0,
    expect={"read": 1300, "loaded": 1300},
    check="(SELECT count(*) FROM calls WHERE answered_at IS NOT NULL AND district = 'Late') = 300",
)
def jsonl_keys_first_seen_after_line_1000(d: Path) -> list[Path]:
    rows: list[dict[str, object]] = []
    for i, r in enumerate(calls(1300)):
        r = dict(r)
        if i < 1000:
            del r["answered_at"], r["district"], r["agent_id"]
        else:
            r["district"] = "Late"
        rows.append(r)
    return [write_jsonl(d / "late-keys.jsonl", rows)]


@case(exit=0, expect={"read": 3, "loaded": 3, "quarantined": 0})
def header_of_10000_extra_columns(d: Path) -> list[Path]:
    extra = [f"extra_column_{i}" for i in range(10_000)]
    header = list(VALID["calls"]) + extra
    return [write_csv(d / "wide.csv", calls(3), header=header)]


@case(exit=0, expect={"read": 2, "loaded": 2, "quarantined": 0})
def jsonl_with_utf8_bom(d: Path) -> list[Path]:
    p = write_jsonl(d / "bom.jsonl", calls(2))
    p.write_bytes(codecs.BOM_UTF8 + p.read_bytes())
    return [p]


@case(exit=0, expect={"read": 3, "loaded": 3})
def classic_mac_cr_line_endings(d: Path) -> list[Path]:
    p = d / "cr.csv"
    p.write_bytes(calls_csv(3, newline="\r").encode())
    return [p]


@case(exit=0, expect={"read": 4, "loaded": 4})
def mixed_line_endings(d: Path) -> list[Path]:
    text = calls_csv(4)
    lines = text.split("\n")
    p = d / "mixed.csv"
    p.write_bytes(("\r\n".join(lines[:3]) + "\n" + "\n".join(lines[3:])).encode())
    return [p]


# -- accepted nonsense -------------------------------------------------------------------------
@case(
    exit=0,
    expect={"read": 5, "loaded": 1, "quarantined": 4},
    rules=("implausible_time", "implausible_offset"),
)
def years_0001_9999_10000_and_offset_25h(d: Path) -> list[Path]:
    rows = calls(5)
    for r, t in zip(
        rows[1:],
        ["0001-01-01T10:00:00", "9999-06-01T10:00:00", "10000-01-01T10:00:00"],
        strict=False,
    ):
        r.update(arrived_at=t, answered_at="", ended_at=t)
    rows[4].update(answered_at="", ended_at="2022-08-02T10:00:00+01:00")
    rows[4]["arrived_at"] = "2022-08-01T10:00:00+25:00"
    return [write_csv(d / "years.csv", rows)]


@case(exit=0, expect={"read": 2, "loaded": 1, "quarantined": 1}, rules=("implausible_count",))
def staffing_of_1e308_agents(d: Path) -> list[Path]:
    a, b = dict(VALID["staffing"]), dict(VALID["staffing"])
    b["agents"], b["channel"] = "1e308", "101"
    return [write_csv(d / "staffing.csv", [a, b])]


@case(exit=0, expect={"read": 2, "quarantined": 1}, rules=("implausible_duration",))
def call_of_three_days(d: Path) -> list[Path]:
    rows = calls(2)
    rows[1]["ended_at"] = "2022-08-04T10:04:00+01:00"
    return [write_csv(d / "long-call.csv", rows)]


@case(exit=0, expect={"read": 2, "quarantined": 1}, rules=("implausible_wait",))
def call_answered_eight_hours_after_it_arrived(d: Path) -> list[Path]:
    # the bank's "0:00:00" service clock read as midnight made waits like this one
    rows = calls(2)
    rows[1]["answered_at"] = "2022-08-01T18:00:05+01:00"
    rows[1]["ended_at"] = "2022-08-01T18:04:00+01:00"
    return [write_csv(d / "long-wait.csv", rows)]


@case(exit=2, says="repeated column names: call_id")
def parquet_with_two_call_id_columns(d: Path) -> list[Path]:
    rows = calls(2)
    arrays = [pa.array([r[c] for r in rows]) for c in VALID["calls"]]
    names = list(VALID["calls"])
    arrays.append(pa.array(["X", "Y"]))
    names.append("call_id")
    p = d / "dupe.parquet"
    pq.write_table(pa.Table.from_arrays(arrays, names=names), p)
    return [p]


@case(exit=2, says="both name call_id")
def csv_header_naming_one_column_twice_in_two_spellings(d: Path) -> list[Path]:
    header = [*VALID["calls"], "Call ID"]
    return [write_csv(d / "two-spellings.csv", calls(2), header=header)]


@case(exit=0, expect={"read": 2, "quarantined": 1}, rules=("invalid_json",))
def jsonl_object_with_a_key_twice(d: Path) -> list[Path]:
    p = write_jsonl(d / "dupe-key.jsonl", calls(1))
    row = json.dumps(calls(1, start=5)[0])[:-1] + ', "call_id": "other"}'
    with p.open("a") as fh:
        fh.write(row + "\n")
    return [p]


# -- keys ------------------------------------------------------------------------------------
@case(exit=0, expect={"read": 2, "loaded": 1, "skipped_duplicates": 1})
def key_with_a_trailing_space(d: Path) -> list[Path]:
    rows = calls(1) * 2
    rows = [dict(rows[0]), dict(rows[0])]
    rows[1]["call_id"] = rows[0]["call_id"] + " "
    return [write_csv(d / "space.csv", rows)]


# -- encodings -------------------------------------------------------------------------------
@case(
    exit=0,
    expect={"read": 3, "loaded": 2, "quarantined": 1},
    rules=("invalid_encoding",),
    check="(SELECT raw_bytes IS NOT NULL AND contains(raw, '\\xe9') FROM quarantine) "
    "AND (SELECT \"column\" NOT LIKE '__r%' FROM quarantine)",
)
def latin1_byte_in_a_row(d: Path) -> list[Path]:
    text = calls_csv(3).replace("Ashford", "Ashf\udce9rd", 1)
    p = d / "latin1.csv"
    p.write_bytes(text.encode("utf-8", "surrogateescape"))
    return [p]


def _utf16(name: str, encoding: str, bom: bytes) -> Callable[[Path], list[Path]]:
    def make(d: Path) -> list[Path]:
        p = d / f"{name}.csv"
        p.write_bytes(bom + calls_csv(3).encode(encoding))
        return [p]

    make.__name__ = name
    return make


for _name, _enc, _bom in (
    ("utf16_le_with_bom", "utf-16-le", codecs.BOM_UTF16_LE),
    ("utf16_be_with_bom", "utf-16-be", codecs.BOM_UTF16_BE),
    ("utf16_le_without_bom", "utf-16-le", b""),
    ("utf16_be_without_bom", "utf-16-be", b""),
):
    case(exit=0, expect={"read": 3, "loaded": 3})(_utf16(_name, _enc, _bom))


@case(exit=2, says="NUL byte")
def nul_in_the_header(d: Path) -> list[Path]:
    p = d / "nul.csv"
    p.write_bytes(calls_csv(2).replace("channel", "chan\x00nel", 1).encode())
    return [p]


@case(exit=2, says="not UTF-8")
def header_not_utf8(d: Path) -> list[Path]:
    p = d / "latin1-header.csv"
    text = calls_csv(2).replace("district", "distr\udce9ct", 1)
    p.write_bytes(text.encode("utf-8", "surrogateescape"))
    return [p]


# -- damaged files ---------------------------------------------------------------------------
@case()
def random_bytes_csv(d: Path) -> list[Path]:
    p = d / "random.csv"
    p.write_bytes(random.Random(1).randbytes(5000))
    return [p]


@case()
def random_bytes_jsonl(d: Path) -> list[Path]:
    p = d / "random.jsonl"
    p.write_bytes(random.Random(2).randbytes(5000))
    return [p]


@case(exit=2)
def random_bytes_parquet(d: Path) -> list[Path]:
    p = d / "random.parquet"
    p.write_bytes(random.Random(3).randbytes(5000))
    return [p]


@case(exit=2)
def truncated_parquet(d: Path) -> list[Path]:
    full = d / "full.parquet"
    pq.write_table(pa.Table.from_pylist(calls(100)), full)
    p = d / "truncated.parquet"
    p.write_bytes(full.read_bytes()[:-200])
    full.unlink()
    return [p]


@case()
def truncated_gzip_named_csv(d: Path) -> list[Path]:
    p = d / "gz.csv"
    p.write_bytes(gzip.compress(calls_csv(50).encode())[:-40])
    return [p]


@case(exit=2)
def gzip_suffix(d: Path) -> list[Path]:
    p = d / "calls.csv.gz"
    p.write_bytes(gzip.compress(calls_csv(5).encode()))
    return [p]


@case(exit=0, expect={"read": 2})
def nested_parquet_types(d: Path) -> list[Path]:
    rows = calls(2)
    table = pa.Table.from_pylist(
        [{**r, "district": {"name": "Ashford", "code": 1}, "tags": [1, 2]} for r in rows]
    )
    p = d / "nested.parquet"
    pq.write_table(table, p)
    return [p]


@case(exit=0, expect={"read": 4, "quarantined": 0, "loaded": 4})
def dst_ambiguous_and_nonexistent_london_times(d: Path) -> list[Path]:
    rows = calls(4)
    for r, t in zip(
        rows,
        ["2022-10-30 01:30:00", "2022-10-30 01:59:59", "2022-03-27 01:30:00", "2022-03-27 01:00"],
        strict=True,
    ):
        r.update(arrived_at=t, answered_at="", ended_at=t)
    return [write_csv(d / "dst.csv", rows)]


@case(exit=0, rules=("malformed_csv",))
def unterminated_quote(d: Path) -> list[Path]:
    text = calls_csv(5)
    lines = text.split("\n")
    lines[2] = lines[2].replace("Ashford", '"Ashford', 1)
    p = d / "quote.csv"
    p.write_text("\n".join(lines))
    return [p]


@case(exit=0, rules=("malformed_csv",))
def quote_in_the_middle_of_a_field(d: Path) -> list[Path]:
    text = calls_csv(3).replace("Ashford", '"Ash"ford', 1)
    p = d / "midquote.csv"
    p.write_text(text)
    return [p]


@case(exit=0, expect={"read": 6, "loaded": 5, "quarantined": 1}, rules=("malformed_csv",))
def quote_opened_in_one_row_and_closed_two_rows_later(d: Path) -> list[Path]:
    lines = calls_csv(6).split("\n")
    lines[1] = lines[1].replace("Ashford", '"Ashford', 1)
    lines[3] = lines[3].replace("Ashford", 'Ash"ford', 1)
    p = d / "quotes.csv"
    p.write_text("\n".join(lines))
    return [p]


@case(exit=0, expect={"read": 3, "loaded": 2, "quarantined": 1}, rules=("malformed_csv",))
def carriage_return_inside_a_field(d: Path) -> list[Path]:
    p = d / "cr-in-field.csv"
    p.write_text(calls_csv(3).replace("Ashford", "Ash\rford", 1))
    return [p]


@case(
    exit=0,
    expect={"read": 3, "loaded": 2, "quarantined": 1},
    check="(SELECT raw_length = 2097240 AND strlen(raw) = 65536 FROM quarantine)",
)
def broken_record_of_2_mib(d: Path) -> list[Path]:
    big = "x" * 2**20 + "\r" + "y" * (2**20 - 1)
    p = d / "big-broken.csv"
    p.write_text(calls_csv(3).replace("Ashford", big, 2).replace(big, "Ashford", 1))
    return [p]


@case(exit=2)
def empty_file(d: Path) -> list[Path]:
    p = d / "empty.csv"
    p.write_bytes(b"")
    return [p]


@case(exit=2)
def bom_only(d: Path) -> list[Path]:
    p = d / "bom-only.csv"
    p.write_bytes(codecs.BOM_UTF8)
    return [p]


@case(exit=0, expect={"read": 0})
def header_only(d: Path) -> list[Path]:
    p = d / "header.csv"
    p.write_text(",".join(VALID["calls"]) + "\n")
    return [p]


# -- folders and names -------------------------------------------------------------------------
@case(exit=2, expect={"status": "loaded", "loaded": 2})
def folder_whose_second_file_is_corrupt(d: Path) -> list[Path]:
    folder = d / "folder"
    folder.mkdir()
    write_csv(folder / "a.csv", calls(2))
    p = folder / "b.parquet"
    pq.write_table(pa.Table.from_pylist(calls(300, start=10)), p, compression="none")
    data = bytearray(p.read_bytes())
    data[4 : len(data) // 2] = b"\xff" * (len(data) // 2 - 4)  # pages broken, footer intact
    p.write_bytes(bytes(data))
    return [folder]


@case()
def folder_with_a_symlink_loop(d: Path) -> list[Path]:
    folder = d / "loop"
    folder.mkdir()
    write_csv(folder / "a.csv", calls(2))
    os.symlink(folder, folder / "again")
    os.symlink(folder / "missing.csv", folder / "broken.csv")
    return [folder]


@case(exit=2, says="not a regular file")
def fifo_named_csv(d: Path) -> list[Path]:
    p = d / "pipe.csv"
    os.mkfifo(p)
    return [p]


@case()
def folder_with_a_fifo(d: Path) -> list[Path]:
    folder = d / "withfifo"
    folder.mkdir()
    write_csv(folder / "a.csv", calls(2))
    os.mkfifo(folder / "pipe.csv")
    return [folder]


@case(exit=0, expect={"read": 2, "loaded": 2})
def file_name_with_newline_and_markup(d: Path) -> list[Path]:
    return [write_csv(d / "[bold red]x[blink]\nline2 $(rm).csv", calls(2))]


@case(exit=2)
def directory_named_csv_given_as_a_file(d: Path) -> list[Path]:
    p = d / "dir.csv"
    p.mkdir()
    return [p / "missing.csv"]
