"""Definitions in the board paper: record columns in words, analysts' asides left out whole."""

from forcestat.measures import CATALOGUE
from forcestat.report.plain import plain_definition


def test_an_aside_with_decimals_goes_whole():
    text = (
        "100 x cancelled / (recorded + cancelled), by month of recorded_at. This is the formula"
        " the seed's figures fit (582 of 15,652 + 582 = 3.6%); cancelled / recorded would give"
        " 3.7%. Published to 1 decimal place."
    )
    assert plain_definition(text) == (
        "100 x cancelled / (recorded + cancelled), by month of time recorded."
        " Published to 1 decimal place."
    )


def test_no_definition_is_left_with_a_broken_sentence():
    for key, m in CATALOGUE.items():
        out = plain_definition(m.definition or "")
        assert ".6%" not in out and not out.startswith("."), key
        assert "seed" not in out.lower(), key
