"""First contact: `forcestat --help` and every command's help load no heavy library.

How long start-up takes is measured in bench/startup.py (docs/benchmarks.md); this test pins
the reason it is fast: help text is answered before DuckDB, Ibis, pandas, NumPy, numba,
sqlglot, Altair or WeasyPrint is imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from forcestat import cli

HEAVY = (
    "duckdb",
    "ibis",
    "pandas",
    "numpy",
    "numba",
    "sqlglot",
    "altair",
    "weasyprint",
    "scipy",
    "great_tables",
    "docx",
    "pyarrow",
    "pydantic",
)  # Typer coerces an unset help flag through pydantic: forcestat.cli avoids it
# fmt: skip

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


def command_paths(command=None, path=()):
    """Every command and group of the full app, as the words that reach it."""
    command = command or typer.main.get_command(cli.app)
    yield list(path)
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*path, name))


def test_every_help_reads_the_same_as_from_the_full_app():
    # forcestat.cli builds only what the words reach (the cost of start-up is Typer turning
    # a hundred functions into commands); what each help says must not change
    runner = CliRunner()
    paths = list(command_paths())
    assert len(paths) > 40 and ["demand", "whatif", "surge"] in paths
    for path in paths:
        words = [*path, "--help"]
        full = runner.invoke(cli.app, words, terminal_width=100)
        pruned = runner.invoke(cli.reachable(cli.app, words), words, terminal_width=100)
        assert full.exit_code == pruned.exit_code == 0, (path, pruned.output)
        assert pruned.output == full.output, path


def test_an_unknown_command_still_gets_clicks_suggestion():
    done = subprocess.run(
        [sys.executable, "-m", "forcestat", "ingset"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "No such command 'ingset'" in done.stderr and "ingest" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_flag_is_shown_without_a_value():
    # Typer 0.29 prints "--json <bool>", as if the flag wanted a value
    done = subprocess.run(
        [sys.executable, "-m", "forcestat", "status", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert done.returncode == 0, done.stderr
    assert "--json" in done.stdout and "--db" in done.stdout
    assert "<bool>" not in done.stdout and "FILE|URL" in done.stdout


DEFERRED = """
import sys
from rich.console import Console
from forcestat.cli import _defer
_defer("rich.markdown", "Markdown")
_defer("rich.traceback", "Traceback")
from rich.markdown import Markdown
from rich.traceback import Traceback
assert "markdown_it" not in sys.modules and "pygments" not in sys.modules
console = Console(width=60, record=True, color_system=None)
console.print(Markdown("# Heading\\n\\nsome *text*"))
try:
    1 / 0
except ZeroDivisionError as e:
    console.print(Traceback.from_exception(type(e), e, e.__traceback__))
import rich.markdown
assert isinstance(Markdown("x"), rich.markdown.Markdown) and rich.markdown.Heading
print(console.export_text())
"""


def test_deferred_rich_modules_still_work_when_used():
    # help defers rich.markdown and rich.traceback; anything that does use them gets them
    done = subprocess.run(
        [sys.executable, "-c", DEFERRED], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Heading" in done.stdout and "ZeroDivisionError" in done.stdout
