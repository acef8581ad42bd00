"""Measures: every figure of the board report, defined once, computed for any period.

>>> from forcestat.measures import CATALOGUE, format_value
>>> CATALOGUE["calls_999_pct_not_answered"].unit
'percent'
>>> format_value(1.1589, "percent")
'1.16%'
"""

from __future__ import annotations

from .base import Measure
from .benchmarks import Benchmark, load_benchmarks
from .breakdown import breakdown
from .catalogue import CATALOGUE, FAMILIES, get_measure, resolve
from .engine import Engine
from .format import format_duration, format_value
from .published import Finding, PublishedReport, check_published, check_report, unchecked_rows
from .results import COLUMNS, GRAINS, evaluate, series, value_of

__all__ = [
    "CATALOGUE",
    "COLUMNS",
    "FAMILIES",
    "GRAINS",
    "Benchmark",
    "Engine",
    "Finding",
    "PublishedReport",
    "check_published",
    "check_report",
    "unchecked_rows",
    "Measure",
    "breakdown",
    "evaluate",
    "format_duration",
    "format_value",
    "get_measure",
    "load_benchmarks",
    "resolve",
    "series",
    "value_of",
]
