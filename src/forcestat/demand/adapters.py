"""Adapters from published call-centre data to forcestat's tables.

* :func:`read_anonymous_bank`: the Technion "Anonymous Bank" per-call files (one row per
  call, tab-separated; used by Brown et al., 2005) as records in the ``calls`` schema,
  read through the shipped mapping file ``anonymous-bank.toml``.
* :func:`read_decc_phone`: hourly 911 / administrative-line statistics (answered within
  10/15/20/40/60/120/>120 s and abandoned) as one row per hour and line.

Both read their columns by name, not position, so other months or weeks of the same
sources load the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..safe import to_csv

if TYPE_CHECKING:
    from ..ingest.mapping import Mapping


def read_anonymous_bank(
    path: str | Path, *, channel: str = "101", source_tz: str = "Asia/Jerusalem"
) -> pd.DataFrame:
    """Calls that reached the agents' queue, in the ``calls`` schema (naive UTC).

    Read through the shipped mapping file ``anonymous-bank.toml`` (which says what counts as
    arrival, answer and end, and why VRU hang-ups and PHANTOM calls are left out) into an
    in-memory store, so the rows are exactly those ``forcestat ingest FILE --map
    anonymous-bank`` loads. ``channel`` and ``source_tz`` override the mapping's.
    """
    from ..ingest import ingest_file
    from ..store import Store

    mapping = bank_mapping(channel, source_tz)
    with Store.open(":memory:") as store:
        try:
            ingest_file(store, path, mapping=mapping)
        except SchemaError as e:
            raise SchemaError(f"{path}: not an Anonymous Bank call file ({e})") from None
        out = store.duck.execute(
            "SELECT call_id, channel, arrived_at, answered_at, ended_at, district, agent_id, "
            "priority FROM calls ORDER BY arrived_at, _line"
        ).df()
    for c in ("arrived_at", "answered_at", "ended_at"):
        out[c] = pd.to_datetime(out[c])
    out["district"] = None
    return out.reset_index(drop=True)


#: the shipped mapping :func:`read_anonymous_bank` reads with
BANK_MAPPING = "anonymous-bank"


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def bank_mapping(channel: str = "101", source_tz: str = "Asia/Jerusalem") -> Mapping:
    """The shipped Anonymous Bank mapping with its channel and time zone set."""
    from ..ingest.mapping import load_mapping

    mapping = load_mapping(BANK_MAPPING)
    return replace(
        mapping,
        timezone=source_tz,
        expressions={**mapping.expressions, "channel": _sql_text(channel)},
    )


_BUCKET = re.compile(r"^(?P<line>[A-Za-z0-9]+)_(?P<edge>\d+)$")


def read_decc_phone(paths: str | Path | Iterable[str | Path]) -> pd.DataFrame:
    """Hourly phone statistics, one row per hour and line (911 -> channel "999", ADM ->
    "101"): offered, answered, abandoned, answered within each published bucket, and the
    answered-within-10 s share of answered calls (the Home Office definition).

    Buckets are read from the header (``<LINE>_<seconds>``): the largest edge is "more
    than the one before it", as published (``911_121`` counts calls answered after 120 s).
    """
    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not files:
        raise SchemaError("no DECC phone files given")
    frames = []
    for f in sorted(files):
        raw = pd.read_csv(f, dtype=str)
        raw.columns = [c.strip() for c in raw.columns]
        if "DateTime" not in raw.columns:
            raise SchemaError(f"{f}: not a DECC phone file (no DateTime column)")
        text = raw["DateTime"].str.strip()
        start = pd.to_datetime(text, format="%m/%d/%Y %H:%M", errors="coerce")
        if start.isna().any():  # another export's format (seconds, ISO): infer it per value
            start = start.fillna(pd.to_datetime(text[start.isna()], format="mixed"))
        for line, channel in (("911", "999"), ("ADM", "101")):
            frames.append(_decc_line(raw, start, line, channel, f))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["channel", "hour_start"], kind="stable").reset_index(drop=True)


def _decc_line(
    raw: pd.DataFrame, start: pd.Series, line: str, channel: str, f: Path
) -> pd.DataFrame:
    edges = sorted(
        int(m["edge"]) for c in raw.columns if (m := _BUCKET.match(c)) and m["line"] == line
    )
    needed = [f"{line}_AB", f"{line}_T"]
    if not edges or any(c not in raw.columns for c in needed):
        raise SchemaError(f"{f}: no {line}_<seconds>, {line}_AB and {line}_T columns")

    def num(c: str) -> np.ndarray:
        return pd.to_numeric(raw[c], errors="coerce").fillna(0).to_numpy(dtype=np.int64)

    buckets = {e: num(f"{line}_{e}") for e in edges}
    answered = sum(buckets.values())
    abandoned = num(f"{line}_AB")
    within_10 = sum(v for e, v in buckets.items() if e <= 10)
    d = pd.DataFrame(
        {
            "hour_start": start,
            "channel": channel,
            "line": line,
            "offered": num(f"{line}_T"),
            "answered": answered,
            "abandoned": abandoned,
            "answered_within_10s": within_10,
        }
    )
    for e in edges[:-1]:
        d[f"answered_le_{e}s"] = buckets[e]
    d[f"answered_gt_{edges[-2] if len(edges) > 1 else edges[-1]}s"] = buckets[edges[-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        d["pct_answered_within_10s"] = np.where(answered > 0, 100 * within_10 / answered, np.nan)
        d["pct_abandoned"] = np.where(d["offered"] > 0, 100 * abandoned / d["offered"], np.nan)
    published = f"{line}_PCT_10"
    if published in raw.columns:
        d["published_pct_within_10s"] = 100 * pd.to_numeric(raw[published], errors="coerce")
    return d


def write_calls_csv(calls: pd.DataFrame, path: str | Path) -> Path:
    """Write calls (naive UTC) as a CSV that ``forcestat ingest`` reads: timestamps in ISO
    8601 with an explicit ``+00:00`` offset, so they are not taken as London local time."""
    out = calls.copy()
    for c in ("arrived_at", "answered_at", "ended_at"):
        ts = pd.to_datetime(out[c])
        out[c] = ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00").where(ts.notna(), "")
    if "priority" in out:
        out["priority"] = pd.to_numeric(out["priority"], errors="coerce").astype("Int64")
    cols = ["call_id", "channel", "arrived_at", "answered_at", "ended_at", "district", "agent_id",
            "priority"]  # fmt: skip
    out = out[[c for c in cols if c in out.columns]]
    p = Path(path)
    to_csv(out, p)
    return p


def load_calls_into(store: object, calls: pd.DataFrame, folder: str | Path) -> list[object]:
    """Ingest calls into a store through forcestat's own ingest (validated, deduplicated):
    the table is written to ``folder/calls.csv`` first."""
    from ..ingest import ingest_paths

    f = write_calls_csv(calls, Path(folder) / "calls.csv")
    return list(ingest_paths(store, [f], kind="calls"))  # type: ignore[arg-type]


#: CAD call-reception values that are calls on each line (911 -> 999; the ten-digit
#: non-emergency number -> 101); officer, radio and CAD-to-CAD incidents are not calls.
CAD_RECEPTION = {"999": ("E-911", "Cell Phone", "911 Center"), "101": ("Phone",)}


def read_cad_handling(paths: str | Path | Iterable[str | Path]) -> dict[str, float]:
    """Mean call-handling seconds per line from DECC CAD incident files: ``Phone_Time``
    (call answered to phone stop) of incidents received on that line, zeros left out."""
    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    frames = []
    for f in files:
        raw = pd.read_csv(f, dtype=str)
        raw.columns = [c.strip() for c in raw.columns]
        if not {"Phone_Time", "Call_Reception"} <= set(raw.columns):
            raise SchemaError(f"{f}: not a DECC CAD file (no Phone_Time and Call_Reception)")
        frames.append(raw[["Phone_Time", "Call_Reception"]])
    if not frames:
        raise SchemaError("no DECC CAD files given")
    d = pd.concat(frames, ignore_index=True)
    t = pd.to_numeric(d["Phone_Time"], errors="coerce")
    out = {}
    for ch, kinds in CAD_RECEPTION.items():
        sel = d["Call_Reception"].str.strip().isin(kinds) & (t > 0)
        if not sel.any():
            raise SchemaError(f"the CAD files have no {ch} calls with a Phone_Time")
        out[ch] = float(t[sel].mean())
    return out
