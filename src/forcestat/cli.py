"""The ``forcestat`` command line: a thin Typer layer over the core.

Each area registers its commands from ``forcestat.commands.<area>``; a command parses its
arguments, makes one core call and prints the result. Domain errors become one-line messages
and exit codes (2 for bad input).
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from .commands import demand, demo, ingest, measures, report, synth, web
from .errors import ForcestatError

app = typer.Typer(
    name="forcestat",
    help="Turn a police force's records into its performance-board figures.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Turn a police force's records into its performance-board figures."""


for area in (ingest, measures, synth, report, demand, demo, web):
    area.register(app)


def main() -> None:
    """Entry point: run the app, turning forcestat errors into a message and an exit code."""
    try:
        code = app(standalone_mode=False)
        # with standalone_mode=False, Click returns the code of a typer.Exit instead of exiting
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except ForcestatError as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as e:
        # usage errors from Typer's Click arrive here in standalone_mode=False
        if hasattr(e, "show") and isinstance(getattr(e, "exit_code", None), int):
            e.show()
            sys.exit(e.exit_code)
        raise
