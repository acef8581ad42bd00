"""First contact: `forcestat --help` and every command's help load no heavy library.

How long start-up takes is measured in bench/startup.py (docs/benchmarks.md); this test pins
the reason it is fast: help text is answered before DuckDB, Ibis, pandas, NumPy, numba,
sqlglot, Altair or WeasyPrint is imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("duckdb", "ibis", "pandas", "numpy", "numba", "sqlglot", "altair", "weasyprint",
         "scipy", "great_tables", "docx", "pyarrow")  # fmt: skip

PROBE = """
import contextlib, io, json, sys
from forcestat.cli import main
args, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["forcestat", *args]
code = 0
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main()
    except SystemExit as e:
        code = e.code
heavy = [m for m in watched if m in sys.modules]
print(json.dumps({"code": code, "heavy": heavy, "chars": len(out.getvalue())}))
"""

COMMANDS = [
    [],
    ["ingest"],
    ["quarantine"],
    ["status"],
    ["measures"],
    ["report"],
    ["profile"],
    ["profile", "init"],
    ["synth"],
    ["demo"],
    ["demand"],
    ["demand", "estimate"],
    ["demand", "whatif", "surge"],
    ["export-lake"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "forcestat")
def test_help_imports_no_heavy_library(args):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([*args, "--help"]), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["code"] in (0, None) and got["chars"] > 100
    assert got["heavy"] == []
