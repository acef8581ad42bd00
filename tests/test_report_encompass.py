"""The board report's Operation Encompass section, from what the workflow sent: figures match
the engine, and the public edition suppresses small counts of children and what derives
from them."""

from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html

from fixtures.report import report_records as records
from forcestat.measures import value_of
from forcestat.report import write_report
from forcestat.store import Store


@pytest.fixture(scope="module")
def public_table(tmp_path_factory):
    store = records.build(Store.open(":memory:"))
    out = tmp_path_factory.mktemp("enc")
    written = write_report(store, "2022-08..2022-10", out, formats=("html",), public=True)
    doc = lxml_html.fromstring(written["html"].read_text("utf-8"))
    rows = {}
    for tr in doc.xpath('//div[@id="t-encompass"]//tbody/tr'):
        cells = [re.sub(r"\s+", " ", c.text_content()).strip() for c in tr.xpath("./th|./td")]
        rows[cells[0]] = cells[1:]
    yield store, rows
    store.close()


def test_section_figures_come_from_the_engine(public_table):
    store, rows = public_table
    assert value_of(store, "encompass_notifications", "2022-10") == 15
    assert rows["Notifications to schools"][2] == "15"  # October: 15, not small
    assert rows["Sent before the school day began (%)"][2] == "80.0%"  # 12 of 15 in time
    assert rows["Median time to spare (hours)"][2] == "2.0"


def test_public_edition_suppresses_small_counts_of_children(public_table):
    _, rows = public_table
    assert rows["Notifications to schools"][0] == "<5"  # 3 in August
    # what would give August's count back is withheld with it
    assert rows["Sent before the school day began (%)"][0] == "[c]"
    assert rows["Median time to spare (hours)"][0] == "[c]"
    assert rows["Sent late"][2] == "<5"
