"""The ``forcestat`` command line: a thin Typer layer over the core.

Each area registers its commands from ``forcestat.commands.<area>``; a command parses its
arguments, makes one core call and prints the result. Domain errors become one-line messages
and exit codes (2 for bad input).
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
import types
from collections.abc import Iterable
from typing import Any

import typer
from rich.console import Console
from rich.text import Text
from typer.main import get_command, get_command_name
from typer.models import CommandInfo, TyperInfo

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


def reachable(typer_app: typer.Typer, words: list[str]) -> typer.Typer:
    """A copy of ``typer_app`` holding only what the command line ``words`` can reach.

    Typer turns every registered function into a Click command (reading its signature and
    annotations) before it parses a single argument: about a hundred commands, a third of
    the time ``forcestat ingest --help`` took. So ``forcestat ingest ...`` builds only
    ``ingest``, ``forcestat demand estimate ...`` only that one command of its group, and
    the bare ``forcestat`` / ``forcestat --help`` lists the groups without building their
    commands. A word that names nothing keeps everything, so Click's own error (with its
    suggestions) is unchanged. ``typer_app`` itself is not modified.
    """
    word = words[0] if words else None
    if word is None or word in ("--help", "-h"):
        if typer_app is not app:  # a group's own help lists its commands: build them
            return typer_app
        pruned = copy.copy(typer_app)
        pruned.registered_groups = [_listed_only(g) for g in typer_app.registered_groups]
        return pruned
    for command in typer_app.registered_commands:
        if _command_name(command) == word:
            pruned = copy.copy(typer_app)
            pruned.registered_commands = [command]
            pruned.registered_groups = []
            return pruned
    for group in typer_app.registered_groups:
        if group.name == word and group.typer_instance is not None:
            inner = copy.copy(group)
            inner.typer_instance = reachable(group.typer_instance, words[1:])
            pruned = copy.copy(typer_app)
            pruned.registered_commands = []
            pruned.registered_groups = [inner]
            return pruned
    return typer_app


def _command(words: list[str]) -> Any:
    """The Click command for ``words``: :func:`reachable`'s, with help flags that need no
    coercion (Typer 0.29 coerces a flag that was not given, whose value is None, through a
    pydantic adapter: importing pydantic and scanning installed packages' entry points cost
    about a third of ``forcestat ingest --help``; a False default is a bool, taken as is),
    and flags shown without a value (Typer 0.29 prints ``--json <bool>``, which reads as if
    the flag wanted one)."""
    command = get_command(reachable(app, words))
    for c in _path(command, words):
        ctx = c.context_class(c)
        option = c.get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        for param in c.get_params(ctx):
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
    return command


def _path(command: Any, words: list[str]) -> Iterable[Any]:
    """``command`` and the subcommands ``words`` name, in order."""
    yield command
    for word in words:
        command = getattr(command, "commands", {}).get(word)
        if command is None:
            return
        yield command


def _command_name(command: CommandInfo) -> str | None:
    if command.name:
        return command.name
    return get_command_name(command.callback.__name__) if command.callback else None


def _listed_only(group: TyperInfo) -> TyperInfo:
    """``group`` with its help but none of its commands: enough for the parent's listing."""
    shell = copy.copy(group)
    if group.typer_instance is not None:
        shell.typer_instance = copy.copy(group.typer_instance)
        shell.typer_instance.registered_commands = []
        shell.typer_instance.registered_groups = []
    return shell


def _defer(module: str, *names: str) -> None:
    """Put a stand-in for ``module`` in ``sys.modules`` until something really uses it.

    Typer's help formatter imports ``rich.markdown`` (markdown-it compiles dozens of regular
    expressions) and ``rich.traceback`` at its top, for Markdown help text and pretty
    tracebacks, neither of which forcestat uses: together about a third of a help's time.
    Each class in ``names`` becomes a stand-in that builds the real class's object (and
    forwards its class methods); any other attribute loads the real module. Only help
    invocations install it (see :func:`main`).
    """
    if module in sys.modules:
        return

    def real() -> Any:
        if getattr(sys.modules.get(module), "__forcestat_stand_in__", False):
            del sys.modules[module]
        return importlib.import_module(module)

    stand_in = types.ModuleType(module)
    stand_in.__forcestat_stand_in__ = True  # type: ignore[attr-defined]

    def load_on_use(name: str) -> Any:
        if name.startswith("__"):  # the import system asks for __path__, __spec__ ...
            raise AttributeError(name)
        return getattr(real(), name)

    stand_in.__getattr__ = load_on_use  # type: ignore[method-assign]
    for name in names:

        class Deferred:
            _name = name

            def __new__(cls, *args: Any, **kwargs: Any) -> Any:
                return getattr(real(), cls._name)(*args, **kwargs)

            def __class_getitem__(cls, item: Any) -> Any:
                return getattr(real(), cls._name)[item]

        Deferred.__name__ = Deferred.__qualname__ = name
        setattr(stand_in, name, Deferred)
        Deferred.from_exception = classmethod(  # type: ignore[attr-defined]
            lambda cls, *a, **k: getattr(real(), cls._name).from_exception(*a, **k)
        )
    sys.modules[module] = stand_in


def _asks_for_help(words: list[str]) -> bool:
    return not words or "--help" in words or "-h" in words


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
    if _asks_for_help(sys.argv[1:]):
        _defer("rich.markdown", "Markdown")
        _defer("rich.traceback", "Traceback")
    try:
        code = _command(sys.argv[1:])(standalone_mode=False)
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
