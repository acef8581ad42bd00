"""End to end from records: synth's seed-calibrated records -> ingest -> the board report.

The records are calibrated to the seed report's published figures, so the report written from
them must carry the seed's tables and the facts of its sentences, here computed rather than
typed.
"""

from __future__ import annotations

import csv
import re
from importlib import resources

import pytest
from lxml import html as lxml_html

from forcestat.ingest import ingest_paths
from forcestat.measures import CATALOGUE, format_value
from forcestat.report import write_report
from forcestat.store import Store
from forcestat.synth import generate

MONTH_LABELS = {"2022-08": 0, "2022-09": 1, "2022-10": 2}
ROWS = {
    "calls_{ch}_received": "Calls Received",
    "calls_{ch}_answered": "Calls Answered",
    "calls_{ch}_not_answered": "Calls Not Answered",
    "calls_{ch}_pct_not_answered": "% Not Answered",
    "calls_{ch}_avg_queue_seconds": "Average Queuing Time",
    "calls_{ch}_avg_talk_seconds": "Average Talk Time",
}


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    generate(folder, seed=0, measure="none")
    with Store.open(":memory:") as store:
        ingest_paths(store, [folder / "records"])
        paths = write_report(
            store, "2022-08..2022-10", folder / "report", formats=["html"], profile="kent"
        )
        text = paths["html"].read_text("utf-8")
    return lxml_html.fromstring(text)


def published() -> list[dict[str, str]]:
    text = resources.files("forcestat").joinpath("data/seed_figures.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def paragraphs(doc) -> str:
    return " ".join(" ".join(p.text_content().split()) for p in doc.xpath("//main//p"))


def test_the_seed_sentences_are_written_from_records(seed_report):
    text = paragraphs(seed_report)
    assert (
        "The overall financial year calls attrition is 1.37%, which remains within the "
        "aspirational national benchmark of 2%." in text
    )
    assert "September and October 2022 were the lowest months on record since February 2015" in text
    assert "an average of 78 detentions a month" in text


@pytest.mark.parametrize("channel", ["999", "101"])
def test_call_tables_reproduce_the_seed(seed_report, channel):
    (t,) = seed_report.xpath(f'//div[@id="t-calls-{channel}"]//table')
    cells = {
        tr.xpath("./th")[0].text_content().strip(): [
            td.text_content().strip() for td in tr.xpath("./td")
        ]
        for tr in t.xpath("./tbody/tr")
    }
    for row in published():
        for pattern, label in ROWS.items():
            key = pattern.format(ch=channel)
            if row["measure"] == key and row["period"] in MONTH_LABELS:
                m = CATALOGUE[key]
                want = format_value(float(row["value"]), m.unit, m.decimals or None)
                assert cells[label][MONTH_LABELS[row["period"]]] == want, (key, row["period"])


def test_s136_grid_reproduces_the_seed_months(seed_report):
    (t,) = seed_report.xpath('//div[@id="t-s136"]//table')
    header = [th.text_content().strip() for th in t.xpath("./thead//th")][1:]
    grid = {
        tr.xpath("./th")[0].text_content().strip(): [
            td.text_content().strip() for td in tr.xpath("./td")
        ]
        for tr in t.xpath("./tbody/tr")
    }
    for row in published():
        if row["measure"] != "s136_detentions" or not re.fullmatch(r"\d{4}-\d{2}", row["period"]):
            continue
        year, month = map(int, row["period"].split("-"))
        fy = year if month >= 4 else year - 1
        column = header.index(f"FY {fy % 100:02d}/{(fy + 1) % 100:02d}")
        name = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][
            month - 1
        ]
        assert grid[name][column] == f"{int(row['value']):,}", row["period"]
