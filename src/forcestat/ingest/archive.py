"""Archives as downloaded: a .zip of data files (police.uk's ``YYYY-MM/`` folders) ingested
without unpacking by hand.

:func:`unpacked` turns a list of paths into (file to read, name to record) pairs: a plain file
is itself; each data file inside a .zip is copied into a temporary folder that lives as long
as the ``with`` block and is named ``archive.zip/folder/file.csv`` in load_log, quarantine and
results. Members are read in name order; anything that is not a data file (and any name that
would escape the folder) is passed over.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from ..errors import SchemaError
from .readers import DATA_SUFFIXES

ARCHIVE_SUFFIXES = (".zip",)


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in ARCHIVE_SUFFIXES


@contextmanager
def unpacked(files: list[Path]) -> Iterator[list[tuple[Path, str]]]:
    """``(path to read, label)`` for every file, archives opened into a temporary folder."""
    if not any(is_archive(f) for f in files):
        yield [(f, str(f)) for f in files]
        return
    with tempfile.TemporaryDirectory(prefix="forcestat-zip-") as tmp:
        out: list[tuple[Path, str]] = []
        for n, f in enumerate(files):
            if not is_archive(f):
                out.append((f, str(f)))
                continue
            out.extend(_extract(f, Path(tmp) / str(n)))
        yield out


def _extract(archive: Path, into: Path) -> list[tuple[Path, str]]:
    try:
        with zipfile.ZipFile(archive) as z:
            members = sorted(
                (m for m in z.infolist() if not m.is_dir() and _safe_data_name(m.filename)),
                key=lambda m: m.filename,
            )
            if not members:
                raise SchemaError(
                    f"{archive}: archive holds no data files ({', '.join(DATA_SUFFIXES)})"
                )
            out = []
            for m in members:
                target = into.joinpath(*PurePosixPath(m.filename).parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(m) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 4 * 1024 * 1024)
                out.append((target, f"{archive}/{m.filename}"))
            return out
    except (zipfile.BadZipFile, OSError) as e:
        raise SchemaError(f"{archive}: cannot read as a zip archive: {e}") from None


def _safe_data_name(name: str) -> bool:
    p = PurePosixPath(name)
    return (
        p.suffix.lower() in DATA_SUFFIXES
        and not p.is_absolute()
        and ".." not in p.parts
        and not p.name.startswith(".")
        and "__MACOSX" not in p.parts
    )
