"""Checks on output paths before any work is done: one clear line instead of a traceback
after minutes of computing."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def check_output_file(path: Path) -> Path:
    """A file forcestat may write: not a folder, in a folder that exists."""
    if path.is_dir():
        raise InputError(f"--out {path} is a folder: name a file to write")
    parent = path.parent
    if not parent.is_dir():
        what = "is a file, not a folder" if parent.exists() else "does not exist"
        raise InputError(f"cannot write {path}: {parent} {what}")
    return path


def check_output_dir(path: Path) -> Path:
    """A folder forcestat may write into (created if missing): not an existing file, and its
    parent folder exists."""
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {path} is a file: name a folder to write into")
    parent = path.parent
    if not path.exists() and not parent.is_dir():
        what = "is a file, not a folder" if parent.exists() else "does not exist"
        raise InputError(f"cannot create {path}: {parent} {what}")
    return path
