"""A report for any force: the profile it is given or none, and only what the records hold.

A store holding only a made-up force's police.uk files (tests/fixtures/policeuk/) gives a
short report with one section, named after the force the records name, and nothing about
Kent or any other force.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from forcestat.cli import app
from forcestat.errors import InputError
from forcestat.ingest import ingest_paths
from forcestat.report import prepare_report, write_report
from forcestat.report.profile import load_profile
from forcestat.store import Store

runner = CliRunner()
FIX = Path(__file__).parent / "fixtures"
PERIOD = "2023-02"
KENT_WORDS = ("Kent", "Medway", "Maidstone", "Ashford", "Tunbridge", "School Officers")


@pytest.fixture(scope="module")
def puk_store():
    s = Store.open(":memory:")
    ingest_paths(s, [FIX / "policeuk"])
    yield s
    s.close()


@pytest.fixture(scope="module")
def puk_html(puk_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("puk")
    return write_report(puk_store, PERIOD, out, formats=["html"])["html"].read_text("utf-8")


def test_a_police_uk_only_store_gives_one_section_named_from_the_records(puk_store):
    report = prepare_report(puk_store, PERIOD)
    assert report.force == "Borsetshire Police"
    assert [s.id for s in report.sections] == ["policeuk"]
    captions = [t.caption for t in report.sections[0].tables]
    assert "Crimes by type (police.uk)" in captions
    assert "Outcomes recorded in the period, by category (police.uk)" in captions
    assert "Searches by legislation (police.uk)" in captions


def test_no_other_forces_name_district_or_figure_appears(puk_html):
    for word in KENT_WORDS:
        assert word not in puk_html, word


def test_sections_without_records_are_listed_once_in_the_coverage_appendix(puk_store):
    report = prepare_report(puk_store, PERIOD)
    text = " ".join(p for s in report.all_sections for p in s.paragraphs)
    assert text.count("Force Control Room") == 1
    assert "Investigation Management Unit (crimes)" in text
    [coverage] = [s for s in report.appendix if s.id == "coverage"]
    kinds = {label for t in coverage.tables for label in t.row_labels}
    assert kinds == {"policeuk_street", "policeuk_outcomes", "policeuk_stop_search"}


def test_the_police_uk_section_has_its_figures(puk_store):
    [sec] = prepare_report(puk_store, PERIOD).sections
    text = " ".join(sec.paragraphs)
    assert "3 crimes and 1 anti-social behaviour incidents for Borsetshire Police" in text
    assert "66.7% have an outcome of a charge or summons" in text
    assert "33.3%" in text  # searches with the outcome linked to the object
    by_type = next(t for t in sec.tables if t.id == "t-policeuk-types")
    assert dict(by_type.rows)["Burglary"] == ("1", "33.3%")


def test_the_public_edition_suppresses_small_police_uk_counts(puk_store):
    [sec] = prepare_report(puk_store, PERIOD, public=True).sections
    by_type = next(t for t in sec.tables if t.id == "t-policeuk-types")
    assert {cells[0] for _, cells in by_type.rows} == {"<5"}
    assert "fewer than 5 crimes" in " ".join(sec.paragraphs)


def test_a_given_profile_is_used(puk_store):
    report = prepare_report(puk_store, PERIOD, profile=FIX / "report" / "other_force.toml")
    assert report.force == "Wessex Constabulary"
    assert report.sections[0].id == "neighbourhood"  # the profile describes districts
    assert report.sections[-1].id == "policeuk"


def test_kent_only_when_asked_for(puk_store):
    assert load_profile("kent").name == "Kent Police"
    report = prepare_report(puk_store, PERIOD, profile="kent")
    assert report.force == "Kent Police"


def test_profile_init_writes_a_commented_profile_that_loads(tmp_path):
    out = tmp_path / "wessex.toml"
    res = runner.invoke(app, ["profile", "init", "--force", "Wessex Police", "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert text.count("\n#") > 10  # commented, to fill in
    profile = load_profile(out)
    assert (profile.name, profile.districts, profile.benchmarks) == ("Wessex Police", (), ())
    again = runner.invoke(app, ["profile", "init", "--force", "Wessex", "--out", str(out)])
    assert isinstance(again.exception, InputError) and "exists" in str(again.exception)
    assert load_profile(out).name == "Wessex Police"  # not overwritten


def test_profile_init_escapes_the_name(tmp_path):
    out = tmp_path / "p.toml"
    res = runner.invoke(app, ["profile", "init", "--force", 'The "Odd" Force', "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert load_profile(out).name == 'The "Odd" Force'


def test_without_a_summary_the_contents_open_the_paper(puk_html):
    # the contents follow the executive summary; a store with no headline measure has none
    assert puk_html.index('class="contents"') < puk_html.index('<section id="policeuk"')
