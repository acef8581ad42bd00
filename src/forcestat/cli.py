"""The ``forcestat`` command line: a thin Typer layer over the core.

Each area registers its commands from ``forcestat.commands.<area>``; a command parses its
arguments, makes one core call and prints the result. Domain errors become one-line messages
and exit codes (2 for bad input).
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.text import Text

from .commands import (
    backends,
    demand,
    demo,
    encompass,
    ingest,
    measures,
    report,
    retention,
    speedwatch,
    synth,
    volunteers,
    web,
)
from .errors import ForcestatError
from .safe import visible

app = typer.Typer(
    name="forcestat",
    help="Turn a police force's records into its performance-board figures.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, markup=False, highlight=False)


@app.callback()
def _root() -> None:
    """Turn a police force's records into its performance-board figures."""


for area in (
    ingest,
    measures,
    backends,
    synth,
    report,
    demand,
    demo,
    speedwatch,
    encompass,
    retention,
    volunteers,
    web,
):
    area.register(app)


def main() -> None:
    """Entry point: run the app; every failure ends as one line on stderr and an exit code.

    Bad input (a forcestat InputError, a usage error, a path that cannot be read or written)
    exits 2; a store that is missing or newer than this forcestat exits 2; anything unexpected
    exits 1 with one line (``FORCESTAT_DEBUG=1`` shows the traceback).
    """
    from .store import set_wait

    set_wait(
        notice=lambda msg: err.print(
            Text("waiting: ", style="yellow") + Text(visible(msg)), soft_wrap=True
        )
    )
    try:
        code = app(standalone_mode=False)
        # with standalone_mode=False, Click returns the code of a typer.Exit instead of exiting
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except ForcestatError as e:
        _fail(str(e), e.exit_code)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(130)
    except OSError as e:
        # an output folder that is a file, a file in a missing folder, a full disk ...
        where = f": {e.filename}" if e.filename else ""
        _fail(f"{e.strerror or e}{where}", 2)
    except Exception as e:  # noqa: BLE001 - the last line of defence against a traceback
        if hasattr(e, "format_message") and isinstance(getattr(e, "exit_code", None), int):
            # a usage error from Typer's Click (its own copy, typer._click, in Typer >= 0.26)
            ctx = getattr(e, "ctx", None)
            hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
            _fail(e.format_message() + hint, e.exit_code or 2)
        if os.environ.get("FORCESTAT_DEBUG"):
            raise
        _fail(
            f"internal error ({type(e).__name__}: {e}); please report it, with"
            " FORCESTAT_DEBUG=1 set to see the traceback",
            1,
        )


def _fail(message: str, code: int) -> None:
    """One line on stderr, control characters made visible and no markup read, then exit."""
    err.print(Text("error: ", style="bold red") + Text(visible(message)), soft_wrap=True)
    sys.exit(code)
