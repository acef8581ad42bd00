"""The default synth output reproduces the board report: ingest it, run the measures, compare
with seed_figures.csv read from disk. Also: the records look like a real control room's.

One generation at the seed's full size (about 600,000 records) is shared by the module.
"""

from __future__ import annotations

import csv
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest

from forcestat.ingest import ingest_paths
from forcestat.measures import evaluate
from forcestat.store import Store
from forcestat.synth import default_targets_path, generate, load_targets
from forcestat.workflows.speedwatch import load_policy, process

pytestmark = pytest.mark.slow

POLICE_UK_CATEGORIES = {
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
}


@pytest.fixture(scope="module")
def kent(tmp_path_factory):
    """Default synth output ingested into a fresh store: (store, load results, calibration)."""
    out = tmp_path_factory.mktemp("kent")
    result = generate(out, seed=0, measure="files")
    store = Store.open(":memory:")
    loads = ingest_paths(store, [out / "records"])
    # Speedwatch letters, visits and DVLA referrals are what the workflow decides
    process(store, load_policy(None))
    yield store, loads, json.loads(result.calibration_path.read_text())
    store.close()


def printed(value: float, decimals: int) -> str:
    """How a figure prints: half rounds up, at the published number of decimals."""
    q = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP))


def published_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def check_every_figure(store: Store, calibration: dict, rows: list[dict[str, str]]) -> None:
    """Each published figure prints as published, or calibration.json says why not."""
    targets = {t.period_text: t.period for t in load_targets()}
    listed = {(e["measure"], e["period"]): e for e in calibration["targets"]}
    values = {}
    for text in {r["period"] for r in rows if targets[r["period"]] is not None}:
        keys = [r["measure"] for r in rows if r["period"] == text]
        keys = [k for k in keys if listed[(k, text)]["status"] != "from profile"]
        df = evaluate(store, keys, targets[text], comparisons=False)
        values.update({(m, text): v for m, v in zip(df["measure"], df["value"], strict=True)})
    unmet = []
    for row in rows:
        text = row["value"]
        decimals = 0 if row["unit"] == "seconds" else len(text.split(".")[1]) if "." in text else 0
        entry = listed[(row["measure"], row["period"])]
        if entry["status"] in ("from profile", "not a record figure"):
            assert entry["why"], row
            continue
        value = values[(row["measure"], row["period"])]
        if f"'over {text}'" in row["note"] and value >= float(text):
            assert entry["status"] == "met", (row, entry)  # "over 70": 72 is right
        elif printed(value, decimals) == printed(float(text), decimals):
            assert entry["status"] == "met", (row, entry)
        else:
            unmet.append(row["measure"])
            assert entry["status"] == "missed" and entry["why"], (row, value, entry)
            assert entry["achieved"] == pytest.approx(value, abs=1e-3)
    # the only misses are the published inconsistencies and derived figures
    assert sorted(unmet) == sorted(
        [
            "s136_detentions",  # FY2018/19: months sum to 1774, not the printed 1775
            "s136_detentions_monthly_average",  # FY2019/20: 170.83 printed truncated as 170
            "letters_sent_monthly_average",  # 3,500 a month contradicts 9,097 year to date
            # 33.49% to July holds with 38.77% to October only if April-July had half the
            # calls: that history is not invented (calibration.json's "implausible" says so)
            "calls_101_pct_not_answered",
        ]
    )


def test_ingest_reads_and_loads_every_record(kent):
    _, loads, _ = kent
    assert {r.kind for r in loads} >= {"calls", "staffing", "s136_detentions", "crimes"}
    for r in loads:
        assert r.loaded == r.read and r.quarantined == 0, r.as_dict()


def test_every_seed_figure_is_reproduced_or_explained(kent, seed_figures):
    store, _, calibration = kent
    check_every_figure(store, calibration, published_rows(seed_figures))


def test_every_packaged_figure_is_reproduced_or_explained(kent):
    store, _, calibration = kent
    check_every_figure(store, calibration, published_rows(default_targets_path()))


def test_calibration_explains_the_published_inconsistencies(kent):
    _, _, calibration = kent
    by = {(e["measure"], e["period"]): e for e in calibration["targets"]}
    fy1819 = by[("s136_detentions", "FY2018/19")]
    assert fy1819["achieved"] == fy1819["target"] - 1 and "months win" in fy1819["why"]
    assert (
        "contradicts letters_sent"
        in by[("letters_sent_monthly_average", "last 6 months to 2022-10")]["why"]
    )
    assert by[("districts", "2022-10")]["status"] == "from profile"
    assert any(c["subject"] == "cpv_coastal" for c in calibration["choices"])
    (implausible,) = calibration["implausible"]
    assert (
        "101" in implausible
        and "33.49%" in implausible
        and "No such history was invented" in implausible
    )
    missed = by[("calls_101_pct_not_answered", "FY2022/23 to 2022-07")]
    assert missed["status"] == "missed" and "implausible history" in missed["why"]


def _total(store: Store, key: str, period: str) -> float:
    df = evaluate(store, [key], period, grain="total", comparisons=False)
    return float(df["value"].iloc[0])


def test_synth_follows_the_seeds_words(kent):
    """Directional statements of the board report hold in the records, not just its numbers."""
    store, _, calibration = kent
    now, before, year = "2022-08..2022-10", "2022-05..2022-07", "2021-08..2021-10"
    # "the volume of emergency calls continues to rise"
    assert _total(store, "calls_999_received", now) > _total(store, "calls_999_received", before)
    assert _total(store, "calls_999_received", now) > _total(store, "calls_999_received", year)
    # 101 calls "continue to decrease year on year"
    assert _total(store, "calls_101_received", now) < _total(store, "calls_101_received", year)
    # digital contact, online reports and live chat continue to grow
    for key in ("digital_contacts", "online_crime_reports", "live_chats"):
        assert _total(store, key, now) > _total(store, key, before) > 0
        assert _total(store, key, now) > _total(store, key, year) > 0
    # the IMU's comparison: an average increase of 235 a month on the previous period
    assert _total(store, "recorded_crime", now) - _total(store, "recorded_crime", before) == 705
    # cancelled crime "showing minor reduction of 0.17%"
    drop = _total(store, "cancelled_crime_pct_average", before) - _total(
        store, "cancelled_crime_pct_average", now
    )
    assert 0.1 < drop < 0.25
    # "Recorded crime peaked in the summer and is decreasing now"
    monthly = evaluate(store, ["recorded_crime"], "2021-11..2022-10", grain="month")
    peak = str(monthly.loc[monthly["value"].idxmax(), "period"])
    assert peak in ("2022-06", "2022-07", "2022-08")
    # "The Special Constabulary reduced in number over this reporting period"
    assert _total(store, "special_constables", "2022-07-31") > _total(
        store, "special_constables", "2022-10-31"
    )
    # over 70 CPVs in 9 roles; Coastal is a future strand with recruits only
    cpv = store.duck.sql(
        "SELECT role, count(*) FROM volunteers WHERE kind = 'cpv' AND joined_on <= DATE "
        "'2022-10-31' AND (left_on IS NULL OR left_on > DATE '2022-10-31') GROUP BY role"
    ).fetchall()
    in_post = dict(cpv)
    assert len(in_post) == 9 and "coastal" not in in_post and sum(in_post.values()) > 70
    recruits = store.duck.sql(
        "SELECT count(*) FROM volunteers WHERE role = 'coastal' AND joined_on > DATE '2022-10-31'"
    ).fetchone()
    assert recruits is not None and recruits[0] > 0
    # every invented figure is listed with the words it follows, none as published
    assert calibration["invented"] and all(e["follows"] for e in calibration["invented"])
    published = {(e["measure"], e["period"]) for e in calibration["targets"]}
    assert not published & {(e["measure"], e["period"]) for e in calibration["invented"]}


def test_the_figures_in_the_seeds_notes_come_from_records_too(kent, seed_figures):
    """ "12 accepted, 16 in process", "over 70 in 9 roles; over 50 deployed", "29 officers
    covering 106 schools (earlier: 28 officers across 68 schools)": measures, not words. Every
    number is read from seed_figures.csv, its value or its note."""
    store, _, _ = kent
    seed = {r["measure"]: r for r in published_rows(seed_figures)}

    def numbers(measure: str) -> list[int]:
        return [int(n) for n in re.findall(r"\d+", seed[measure]["note"])]

    def value(measure: str) -> int:
        return int(seed[measure]["value"])

    accepted = "specials_accepted_into_regular_force"
    (in_process,) = numbers(accepted)
    assert _total(store, accepted, "FY2022/23 to 2022-10") == value(accepted)
    assert _total(store, "specials_in_process_to_regular_force", "2022-10-31") == in_process
    _over_70, roles, deployed = numbers("community_policing_volunteers")
    assert _total(store, "cpv_roles", "2022-10-31") == roles
    assert _total(store, "cpv_deployed", "2022-10-31") > deployed
    schools, officers_before, schools_before = numbers("school_officers")
    assert _total(store, "school_officers", "2022-10-31") == value("school_officers")
    assert _total(store, "schools_covered", "2022-10-31") == schools
    assert _total(store, "school_officers", "2022-07-31") == officers_before
    assert _total(store, "schools_covered", "2022-07-31") == schools_before


def _calls(store: Store, where: str = "TRUE"):
    return store.duck.sql(f"""
        SELECT channel, arrived_at, answered_at, ended_at, district,
               hour(timezone('Europe/London', timezone('UTC', arrived_at))) AS hour,
               dayofweek(timezone('Europe/London', timezone('UTC', arrived_at))) AS dow,
               epoch(answered_at) - epoch(arrived_at) AS queue_s,
               epoch(ended_at) - epoch(answered_at) AS talk_s
        FROM calls WHERE {where}""").df()


def test_arrivals_follow_an_hour_of_day_profile(kent):
    calls = _calls(kent[0], "channel = '999'")
    by_hour = calls.groupby("hour").size()
    assert by_hour.max() > 2.5 * by_hour.min()  # far from uniform
    assert 10 <= by_hour.idxmax() <= 22 and by_hour.idxmin() in range(2, 8)
    calls101 = _calls(kent[0], "channel = '101'")
    by_day = calls101.groupby("dow").size()  # 0 = Sunday
    assert by_day[1] > by_day[0]  # 101 is busier on a Monday than a Sunday


def test_abandonment_is_where_the_queues_are_long(kent):
    calls = _calls(kent[0], "channel = '101'")
    calls["interval"] = calls["arrived_at"].dt.floor("15min")
    per = calls.groupby("interval").agg(
        queue=("queue_s", "mean"), abandoned=("answered_at", lambda s: s.isna().mean())
    )
    per = per.dropna()
    quartile = np.quantile(per["queue"], [0.25, 0.75])
    short = per[per["queue"] <= quartile[0]]["abandoned"].mean()
    long = per[per["queue"] >= quartile[1]]["abandoned"].mean()
    assert long > 2 * short
    assert per["queue"].corr(per["abandoned"], method="spearman") > 0.5


def test_talk_times_are_lognormal(kent):
    talk = _calls(kent[0], "answered_at IS NOT NULL")["talk_s"].to_numpy()
    logs = np.log(talk)
    skew_raw = ((talk - talk.mean()) ** 3).mean() / talk.std() ** 3
    skew_log = ((logs - logs.mean()) ** 3).mean() / logs.std() ** 3
    assert skew_raw > 1.0  # long right tail
    assert abs(skew_log) < 0.3  # symmetric once logged


def test_districts_follow_population_and_crimes_use_police_uk_categories(kent):
    store = kent[0]
    district = store.duck.sql(
        "SELECT district, count(*) n FROM calls GROUP BY 1 ORDER BY 2 DESC"
    ).df()
    assert len(district) == 13 and district["district"].iloc[0] == "Medway"
    types = store.duck.sql(
        "SELECT crime_type, count(*) n FROM crimes GROUP BY 1 ORDER BY 2 DESC"
    ).df()
    assert set(types["crime_type"]) <= POLICE_UK_CATEGORIES
    assert types["crime_type"].iloc[0] == "Violence and sexual offences"


def test_staffing_covers_every_interval_and_follows_demand(kent):
    store = kent[0]
    gaps = store.duck.sql("""
        SELECT s.channel, count(*) AS intervals,
               count(DISTINCT s.interval_start) AS distinct_starts, min(s.agents) AS fewest
        FROM staffing s GROUP BY 1""").df()
    assert set(gaps["channel"]) == {"999", "101"}
    assert (gaps["intervals"] == gaps["distinct_starts"]).all() and (gaps["fewest"] >= 1).all()
    # seven months of 15-minute intervals for each channel
    assert (gaps["intervals"] > 7 * 28 * 96).all()
    by_hour = (
        store.duck.sql("""
        SELECT hour(timezone('Europe/London', timezone('UTC', interval_start))) AS h, avg(agents) a
        FROM staffing WHERE channel = '999' GROUP BY 1""")
        .df()
        .set_index("h")["a"]
    )
    assert by_hour[18] > 1.5 * by_hour[4]


def test_queues_are_long_where_staffing_is_short_of_demand(kent):
    """Offered load per handler on duty (Erlangs per agent) drives the answered wait."""
    per = (
        kent[0]
        .duck.sql("""
        WITH c AS (
            SELECT time_bucket(INTERVAL 15 MINUTE, arrived_at) AS interval_start,
                   count(*) AS arrivals,
                   avg(epoch(answered_at) - epoch(arrived_at)) AS wait,
                   avg(epoch(ended_at) - epoch(answered_at)) AS talk
            FROM calls WHERE channel = '101' GROUP BY 1)
        SELECT c.arrivals * c.talk / 900 / s.agents AS load_per_agent, c.wait
        FROM c JOIN staffing s ON s.interval_start = c.interval_start AND s.channel = '101'
        WHERE c.wait IS NOT NULL""")
        .df()
    )
    assert len(per) > 5000
    assert per["load_per_agent"].corr(per["wait"], method="spearman") > 0.3
