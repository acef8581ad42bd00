"""Every command turns bad input into one line on stderr and exit code 2, never a traceback.

The commands are found by walking the CLI, so a command added later is covered by the generic
cases (an unknown option, an empty or missing ``--db``, an unreadable ``--period``, an ``--out``
inside a file) without anyone editing this test.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest
import typer

from forcestat.cli import app, main
from forcestat.store import Store

#: seconds a bad-argument run may take before it is taken to have started real work
LIMIT = 60


def leaf_commands() -> list[tuple[tuple[str, ...], set[str]]]:
    """(path, option names) of every runnable command, e.g. (("demand", "staff"), {"--db"})."""
    out = []

    def walk(cmd, path):  # type: ignore[no-untyped-def]
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, (*path, name))
            return
        names = {o for p in cmd.params for o in getattr(p, "opts", ())}
        out.append((path, names))

    walk(typer.main.get_command(app), ())
    return out


COMMANDS = leaf_commands()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``forcestat argv`` in this process; (exit code, stdout, stderr)."""

    def too_long(*_: object) -> None:
        raise TimeoutError(f"forcestat {' '.join(argv)} ran past {LIMIT}s on bad input")

    old_argv, old_handler = sys.argv, signal.signal(signal.SIGALRM, too_long)
    sys.argv = ["forcestat", *argv]
    signal.alarm(LIMIT)
    code = 0
    try:
        main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old_handler)
        sys.argv = old_argv
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("bad")
    a_file = d / "a_file.txt"
    a_file.write_text("not a folder\n")
    store = d / "store.duckdb"
    Store.open(store).close()
    return {
        "file": str(a_file),
        "store": str(store),
        "missing_store": str(d / "no" / "such" / "store.duckdb"),
        "in_a_file": str(a_file / "out"),
    }


def generic_cases(names: set[str], places: dict[str, str]) -> list[tuple[str, list[str]]]:
    cases = [("unknown option", ["--no-such-option"])]
    db = ["--db", places["store"]] if "--db" in names else []
    if "--db" in names:
        cases += [
            ("empty --db", ["--db", ""]),
            ("--db in a missing folder", ["--db", places["missing_store"]]),
            ("--db that is a folder", ["--db", str(Path(places["file"]).parent)]),
        ]
    if "--period" in names:
        for bad in ("10000-01", "0000-01", "9999-12-31", "2022-13", "[/]x\x1b[2J"):
            cases.append((f"--period {bad!r}", [*db, "--period", bad]))
    if "--out" in names:
        cases.append(("--out inside a file", [*db, "--out", places["in_a_file"]]))
    return cases


def all_cases() -> list[tuple[tuple[str, ...], str, str]]:
    return [
        (path, desc, "|".join(f"{n}" for n in sorted(names)))
        for path, names in COMMANDS
        for desc, _ in generic_cases(names, {k: "" for k in ("store", "missing_store", "file")})
    ]


@pytest.mark.parametrize(
    "path, names",
    [pytest.param(p, n, id=" ".join(p)) for p, n in COMMANDS],
)
def test_bad_arguments_give_one_line_and_exit_2(
    path: tuple[str, ...],
    names: set[str],
    places: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    for desc, args in generic_cases(names, places):
        code, _out, err = run([*path, *args], capsys)
        lines = [x for x in err.splitlines() if x.strip()]
        where = f"forcestat {' '.join(path)} with {desc}"
        assert "Traceback" not in err, f"{where}: traceback\n{err}"
        assert code == 2, f"{where}: exit {code}\n{err}"
        assert len(lines) == 1, f"{where}: {len(lines)} lines on stderr\n{err}"
        assert "\x1b" not in err, f"{where}: a control character reached the terminal"


SPECIFIC = [
    # (argv, what it must mention)
    (["measures", "--db", "{store}", "--period", "2022-08", "--format", "xml"], "format"),
    (["measures", "--db", "{store}", "--period", "2022-08", "--grain", "week"], "grain"),
    (["measures", "--db", "{store}", "--period", "2022-08", "--format", "parquet"], "--out"),
    (["measures", "--db", "{store}", "--period", "2022-08", "-m", "no_such_measure"], "no_such"),
    (["measures", "--db", "{store}", "--period", "2022-08", "--out", "{file}/x.csv"], "file"),
    (["measures", "--db", "{file}", "--period", "2022-08"], "store"),
    (["status", "--db", "{missing_store}"], "does not exist"),
    (["quarantine", "--db", "{missing_store}"], "does not exist"),
    (["status", "--db", "{file}"], "not a valid DuckDB database"),
    (["report", "--db", "{store}", "--period", "2022-08", "--out", "{file}"], "is a file"),
    (["report", "--db", "{store}", "--period", "2022-08", "--out", "x", "--format", "odt"], "odt"),
    (["synth", "--out", "{file}"], "is a file"),
    (["synth", "--out", "{in_a_file}"], "is a file"),
    (["demo", "--out", "{file}"], "is a file"),
    (["demo", "--period", "2022-08..2022-01"], "ends before"),
    (["ingest", "--db", "{store}", "{missing_store}"], "store.duckdb"),
    (["check-published", "{missing_store}"], "store.duckdb"),
]


@pytest.mark.parametrize("argv, mentions", SPECIFIC, ids=[" ".join(a[:3]) for a, _ in SPECIFIC])
def test_specific_bad_arguments(
    argv: list[str], mentions: str, places: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.format(**places) for a in argv]
    code, _out, err = run(args, capsys)
    assert "Traceback" not in err
    assert code == 2, err
    assert len([x for x in err.splitlines() if x.strip()]) == 1, err
    assert mentions in err


def test_read_only_commands_never_create_a_store(
    places: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    typo = tmp_path / "forcestat.duckbd"
    for cmd in (["status"], ["quarantine"], ["measures", "--period", "2022-08"]):
        code, _out, err = run([*cmd, "--db", str(typo)], capsys)
        assert code == 2, err
        assert "no store" in err
    assert not typo.exists()


def test_markup_and_escapes_in_user_text_are_shown_not_obeyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rich markup and an ANSI escape in a file name and a quarantined value: ingest and
    quarantine print them as text."""
    name = tmp_path / "calls [red] \x1b[2J.csv"
    name.write_text(
        "call_id,channel,arrived_at,ended_at\n"
        "c1,999,[/]not a time\x1b[2J,2022-08-01T10:00:00\n"
        "c2,999,2022-08-01T10:00:00,2022-08-01T10:05:00\n"
    )
    db = str(tmp_path / "s.duckdb")
    code, out, err = run(["ingest", str(name), "--db", db], capsys)
    assert code in (0, 2), err
    assert "Traceback" not in err and "\x1b" not in out + err
    code, out, err = run(["quarantine", "--db", db], capsys)
    assert code == 0, err
    assert "\x1b" not in out
    assert "[/]" in out  # shown as text


def test_a_store_from_a_newer_forcestat_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "future.duckdb"
    with Store.open(db) as s:
        s.duck.execute("UPDATE forcestat_meta SET value = '999' WHERE key = 'store_format'")
    before = db.read_bytes()
    for cmd in (["status"], ["quarantine"], ["measures", "--period", "2022-08"]):
        code, _out, err = run([*cmd, "--db", str(db)], capsys)
        assert code == 2, err
        assert "newer forcestat" in err and len(err.strip().splitlines()) == 1
    assert db.read_bytes() == before
