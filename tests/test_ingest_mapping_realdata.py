"""Shipped mapping files on the real data in ../shared (skipped where it is absent).

* Anonymous Bank: the mapping gives, call for call, the rows of the pandas adapter it
  replaced (kept below as the reference).
* DECC hourly 911 statistics: the loaded hours agree with the published figures.
* DECC CAD incidents: every row is loaded, quarantined or filtered.
* police.uk, City of London: the whole folder gives a complete crime report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forcestat.errors import SchemaError
from forcestat.ingest import ingest_each, ingest_paths
from forcestat.ingest.mapping import load_mapping
from forcestat.store import Store

pytestmark = pytest.mark.shared


# -- the adapter the bank mapping replaced, as it was (the reference) -------------------------
BANK_COLUMNS = ("call_id", "date", "vru_exit", "q_start", "q_exit", "q_time", "outcome",
                "ser_start", "ser_exit", "ser_time", "server")  # fmt: skip


def _clock(date: pd.Series, clock: pd.Series) -> pd.Series:
    """Date (YYMMDD) plus a H:MM:SS clock time as a timestamp."""
    d = pd.to_datetime(date.astype(str).str.zfill(6), format="%y%m%d")
    return d + pd.to_timedelta(clock.astype(str).str.strip())


def reference_bank_calls(
    path: str | Path, *, channel: str = "101", source_tz: str = "Asia/Jerusalem"
) -> pd.DataFrame:
    """Calls that reached the agents' queue, in the ``calls`` schema (naive UTC).

    A call enters the queue when it leaves the voice-response unit (``vru_exit``); it is
    answered at ``ser_start`` (outcome AGENT) or abandoned at ``q_exit`` (outcome HANG after
    queueing). Calls that hung up inside the voice-response unit (HANG with no queue time)
    never reached an agent and are left out, as are PHANTOM calls (untraceable). Clock times
    that run past midnight roll into the next day. ``agent_id`` is the serving agent
    (NO_SERVER becomes empty).
    """
    raw = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    raw.columns = [c.strip().lower() for c in raw.columns]
    missing = [c for c in BANK_COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaError(f"{path}: not an Anonymous Bank call file (missing {', '.join(missing)})")
    outcome = raw["outcome"].str.strip().str.upper()
    q_time = pd.to_numeric(raw["q_time"], errors="coerce").fillna(0)
    served = outcome == "AGENT"
    keep = served | ((outcome == "HANG") & (q_time > 0))
    r = raw[keep].reset_index(drop=True)
    served = served[keep].reset_index(drop=True)
    arrived = _clock(r["date"], r["vru_exit"])
    q_start = _clock(r["date"], r["q_start"])
    queued = pd.to_numeric(r["q_time"], errors="coerce").fillna(0) > 0
    arrived = arrived.where(~queued, q_start)

    def after(ts: pd.Series) -> pd.Series:
        # clock times after midnight belong to the next day
        return ts.where(ts >= arrived - pd.Timedelta(hours=1), ts + pd.Timedelta(days=1))

    q_exit = after(_clock(r["date"], r["q_exit"]))
    # 0:00:00 is the file's "not recorded": a served call with no service clock (about 50 a
    # month) was answered when it left the queue (or the VRU, if it never queued); read as a
    # clock time it would roll to the next midnight, a wait of up to 15 hours
    no_service_clock = r["ser_start"].str.strip().isin(("0:00:00", "00:00:00", ""))
    left_queue = q_exit.where(queued, arrived)
    ser_start = after(_clock(r["date"], r["ser_start"])).where(~no_service_clock, left_queue)
    ser_exit = after(_clock(r["date"], r["ser_exit"])).where(~no_service_clock, ser_start)
    # the VRU and queue clocks disagree by a second now and then: never answer before arrival
    answered = ser_start.where(served).clip(lower=arrived)
    ended = ser_exit.where(served, q_exit)
    ended = ended.where(ended >= answered.fillna(arrived), answered.fillna(arrived))
    server = r["server"].str.strip()
    line_id = r["vru+line"].str.strip() if "vru+line" in r else pd.Series("", index=r.index)
    out = pd.DataFrame(
        {
            # call_id repeats across days and VRU lines: only the triple identifies a call
            "call_id": "BANK-"
            + r["date"].str.strip()
            + "-"
            + line_id
            + "-"
            + r["call_id"].str.strip(),
            "channel": channel,
            "arrived_at": _to_utc(arrived, source_tz),
            "answered_at": _to_utc(answered, source_tz),
            "ended_at": _to_utc(ended, source_tz),
            "district": None,
            "agent_id": server.where(served & (server != "NO_SERVER")),
            "priority": _bank_priority(r),
        }
    )
    return out.sort_values("arrived_at", kind="stable").reset_index(drop=True)


def _bank_priority(r: pd.DataFrame) -> pd.Series:
    """The bank's service class: 1 for high-priority customers (``priority`` 2), served
    first, 0 for regular ones (0 and 1); None where the file has no ``priority`` column."""
    if "priority" not in r:
        return pd.Series(None, index=r.index, dtype="object")
    p = pd.to_numeric(r["priority"], errors="coerce")
    return (p >= 2).astype("Int64").where(p.notna())


def _to_utc(ts: pd.Series, tz: str) -> pd.Series:
    # the clock-change hours: a repeated hour is read as standard time, a skipped one moves on
    return (
        ts.dt.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
        .dt.tz_convert("UTC")
        .dt.tz_localize(None)
    )


def _bank_file(shared):
    files = sorted((shared / "data" / "anonymous-bank-callcenter").glob("*.tsv"))
    if not files:
        pytest.skip("no Anonymous Bank file in ../shared")
    return files[0]


def test_bank_mapping_gives_the_adapters_rows(store, shared):
    f = _bank_file(shared)
    [r] = ingest_paths(store, [f], mapping=load_mapping("anonymous-bank"))
    assert r.read == r.loaded + r.quarantined + r.skipped_duplicates + r.filtered
    assert r.quarantined == 0
    got = store.duck.execute(
        "SELECT call_id, channel, arrived_at, answered_at, ended_at, agent_id, priority FROM calls"
    ).df()
    want = reference_bank_calls(f)
    assert len(got) == len(want) == r.loaded
    got = got.set_index("call_id").loc[want["call_id"]].reset_index()
    # the bank's service class is stored in the calls' priority column (1 = high, served first)
    assert set(got["priority"].dropna().unique()) == {0, 1}
    for c in ("channel", "arrived_at", "answered_at", "ended_at", "agent_id", "priority"):
        a, b = want[c].reset_index(drop=True), got[c]
        same = (a == b) | (a.isna() & b.isna())
        assert same.all(), (c, pd.DataFrame({"want": a[~same], "got": b[~same]}).head())
    # the adapter reads through the mapping, priority class included
    from forcestat.demand.adapters import read_anonymous_bank

    adapter = read_anonymous_bank(f).set_index("call_id").loc[want["call_id"]]
    assert (adapter["priority"].to_numpy() == want["priority"].astype(float).to_numpy()).all()


def _decc(shared, pattern):
    files = sorted((shared / "data" / "decc-911-cad-phone").glob(pattern))
    if not files:
        pytest.skip(f"no DECC {pattern} files in ../shared")
    return files


def test_911_mapping_agrees_with_the_published_hourly_statistics(store, shared):
    files = _decc(shared, "phone_week*.csv")
    results = ingest_paths(store, files, mapping=load_mapping("decc-911-phone"))
    assert sum(r.loaded for r in results) == 168 * len(files)
    got = store.duck.execute(
        "SELECT sum(offered), sum(abandoned), sum(answered), sum(answered_within_10s) "
        "FROM call_intervals WHERE channel = '999'"
    ).fetchone()
    published = pd.concat([pd.read_csv(f) for f in files])
    assert got[0] == published["911_T"].sum()
    assert got[1] == published["911_AB"].sum()
    assert got[0] == got[1] + got[2]  # the file's total is answered + abandoned
    # each hour's answered-within-10 s share against the published 911_PCT_10
    hours = store.duck.execute(
        "SELECT answered_within_10s / answered FROM call_intervals "
        "WHERE channel = '999' AND answered > 0 ORDER BY interval_start"
    ).fetchall()
    pct = published[published["911_T"] > published["911_AB"]]["911_PCT_10"].tolist()
    assert [round(h[0], 4) for h in hours] == pytest.approx(pct, abs=1e-4)


def test_cad_mapping_accounts_for_every_incident(store, shared):
    files = _decc(shared, "cad_week*.csv")
    results = ingest_paths(store, files, mapping=load_mapping("decc-cad-calls"))
    for r in results:
        assert r.read == r.loaded + r.quarantined + r.skipped_duplicates + r.filtered
    assert sum(r.filtered for r in results) > 0
    channels = dict(store.duck.execute("SELECT channel, count(*) FROM calls GROUP BY 1").fetchall())
    assert set(channels) == {"999", "101"}
    reception = pd.concat([pd.read_csv(f, usecols=["Call_Reception"]) for f in files])
    assert (
        sum(r.filtered for r in results)
        == (~reception["Call_Reception"].isin(["E-911", "Phone"])).sum()
    )


def test_city_of_london_police_uk_folder_gives_a_complete_crime_report(shared, tmp_path):
    from forcestat.report import prepare_report, write_report

    folder = shared / "data" / "police-uk-city-of-london"
    if not folder.is_dir():
        pytest.skip("no police.uk files in ../shared")
    with Store.open(tmp_path / "col.duckdb") as store:
        results = ingest_each(store, [folder])
        assert {r.status for r in results} == {"loaded"}
        assert {r.kind for r in results} == {"policeuk_street", "policeuk_stop_search"}
        report = prepare_report(store, "FY2020/21")
        assert report.force == "City of London Police"
        assert [s.id for s in report.sections] == ["policeuk"]
        paths = write_report(store, "FY2020/21", tmp_path / "report", formats=["html"])
    html = paths["html"].read_text("utf-8")
    assert "Kent" not in html and "Medway" not in html
    assert "Stop and search" in html and "Crimes by type" in html
