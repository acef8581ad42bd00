"""What a file holds, counted without its parser: bytes, lines, records, encoding.

Ingest checks the parser against these counts before it commits: a record the parser could
not deliver is never dropped in silence. Everything here runs at C speed (``bytes.count``,
NumPy over 8 MiB chunks); Python never loops over records.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
>>> _ = p.write_bytes(b'id,note\\n1,"two\\nlines"\\n\\n2,x\\n')
>>> c = count_csv(p, ord(","))
>>> (c.records, c.lines, c.blank)
(2, 5, 1)
"""

from __future__ import annotations

import codecs
import hashlib
import mmap
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

CHUNK = 8 * 1024 * 1024
QUOTE, LF, CR = ord('"'), ord("\n"), ord("\r")
UTF8_BOM = codecs.BOM_UTF8


@dataclass
class Counted:
    """A file's physical make-up. ``records`` excludes the header line (CSV) and blank lines;
    ``longest`` is the byte length of the longest record (header included)."""

    sha256: str
    size: int
    lines: int
    records: int
    blank: int
    longest: int
    #: the quote was still open at the end of the file: everything after it is one record
    open_quote: bool = False


def newline_byte(head: bytes) -> int:
    """The byte that ends lines: LF, or CR for a file with classic Mac line endings."""
    return CR if LF not in head and CR in head else LF


def count_csv(path: Path, delimiter: int, header: bool = True) -> Counted:
    """Records of a CSV file: line ends outside double quotes, blank lines apart.

    A quote is counted as opening or closing wherever it stands (RFC 4180; a doubled quote
    toggles twice), so the count is the parser's if the file is well-formed and an
    independent figure if not. An unterminated quote makes the rest of the file one record,
    flagged ``open_quote``."""
    h = hashlib.sha256()
    size = lines = records = blank = 0
    longest = 0
    inside = False
    last_end = -1  # offset of the last record end seen
    last_byte = LF
    nl: int | None = None
    with path.open("rb") as fh:
        offset = 0
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            if nl is None:
                nl = newline_byte(chunk[: 1 << 20])
            size += len(chunk)
            lines += chunk.count(bytes([nl]))
            last_byte = chunk[-1]
            a = np.frombuffer(chunk, dtype=np.uint8)
            ends = np.flatnonzero(a == nl)
            if QUOTE in chunk:
                quotes = np.flatnonzero(a == QUOTE)
                before = np.searchsorted(quotes, ends) + int(inside)
                ends = ends[before % 2 == 0]
                inside = bool((len(quotes) + int(inside)) % 2)
            if len(ends):
                starts = np.empty_like(ends)
                starts[0] = last_end + 1 - offset
                starts[1:] = ends[:-1] + 1
                length = ends - starts
                if nl == LF:  # a CR before the LF belongs to the line end
                    prev = a[np.maximum(ends - 1, 0)]
                    length = length - ((prev == CR) & (length > 0))
                empty = int(np.count_nonzero(length == 0))
                blank += empty
                records += len(ends) - empty
                longest = max(longest, int(length.max()))
                last_end = offset + int(ends[-1])
            offset += len(chunk)
    tail = size - last_end - 1
    if tail > 0:  # a last record without a line end
        longest = max(longest, tail)
        records += 1
    if last_byte != (nl or LF) and size:
        lines += 1
    if header and records:
        records -= 1
    return Counted(h.hexdigest(), size, lines, records, blank, longest, open_quote=inside)


def line_starts(path: Path) -> tuple[bytes | mmap.mmap, np.ndarray]:
    """The file's bytes (memory-mapped) and the offset where each line starts (after a
    UTF-8 BOM on line 1), for a zero-copy Arrow column of lines."""
    if path.stat().st_size == 0:
        return b"", np.zeros(0, np.int64)
    with path.open("rb") as fh:
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    a = np.frombuffer(buf, dtype=np.uint8)
    nl = newline_byte(bytes(a[: 1 << 20]))
    first = len(UTF8_BOM) if bytes(a[:3]) == UTF8_BOM else 0
    after = np.flatnonzero(a == nl).astype(np.int64) + 1
    starts = np.concatenate([[first], after[after < len(a)]]).astype(np.int64)
    return buf, starts


def is_utf8(buf: bytes | mmap.mmap) -> bool:
    """True when all of ``buf`` is valid UTF-8 (checked in chunks, nothing kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    view = memoryview(buf)
    try:
        for i in range(0, len(view), CHUNK):
            decoder.decode(view[i : i + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        view.release()
    return True


# -- encodings -------------------------------------------------------------------------------
UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}
UTF32_BOMS = {codecs.BOM_UTF32_LE: "utf-32-le", codecs.BOM_UTF32_BE: "utf-32-be"}


def detect_encoding(head: bytes) -> tuple[str, int]:
    """(encoding, BOM length) of a text file from its first bytes: UTF-32/UTF-16 by BOM or,
    without one, by the zero bytes ASCII text has in UTF-16; else UTF-8."""
    for boms in (UTF32_BOMS, UTF16_BOMS):
        for bom, enc in boms.items():
            if head.startswith(bom):
                return enc, len(bom)
    sample = head[:4096]
    if len(sample) >= 4 and sample.count(0) >= len(sample) // 4:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > 3 * even:  # 'a\0b\0': ASCII in UTF-16 little-endian
            return "utf-16-le", 0
        if even > 3 * odd:
            return "utf-16-be", 0
    return "utf-8", 0


def transcode_to_utf8(path: Path, encoding: str, bom: int) -> Path:
    """A temporary UTF-8 copy of ``path`` (the caller deletes it); UnicodeDecodeError if
    the file is not valid ``encoding``."""
    fd, name = tempfile.mkstemp(prefix="forcestat-utf8-", suffix=path.suffix)
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            src.seek(bom)
            while chunk := src.read(CHUNK):
                dst.write(decoder.decode(chunk).encode("utf-8"))
            dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def normalise_line_ends(path: Path) -> Path:
    """A temporary copy of ``path`` with every CRLF as LF (for files that mix the two, which
    DuckDB's CSV reader refuses); the caller deletes it. Counts and line numbers are the
    same in both."""
    fd, name = tempfile.mkstemp(prefix="forcestat-lf-", suffix=path.suffix)
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            carry = b""
            while chunk := src.read(CHUNK):
                chunk = carry + chunk
                carry = b"\r" if chunk.endswith(b"\r") else b""
                if carry:
                    chunk = chunk[:-1]
                dst.write(chunk.replace(b"\r\n", b"\n"))
            dst.write(carry)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def line_at(fh: BinaryIO, pos: int, limit: int) -> tuple[str, bytes | None, int, str | None]:
    """The line starting at byte ``pos`` of ``fh`` (its line end left off), kept as
    :func:`cut` keeps it, read in chunks so that a line of any length gets its full length
    and SHA-256 without being held whole."""
    fh.seek(pos)
    chunk = fh.read(1 << 16)
    nl = bytes([newline_byte(chunk)])
    kept = bytearray()
    h = hashlib.sha256()
    length = 0
    pending = b""  # a CR held back until we know it is not the CR of a CRLF line end
    while chunk:
        end = chunk.find(nl)
        part = pending + (chunk if end < 0 else chunk[:end])
        pending = b""
        if part.endswith(b"\r"):
            part = part[:-1]
            pending = b"\r" if end < 0 else b""
        h.update(part)
        length += len(part)
        if len(kept) <= limit:
            kept += part[: limit + 1 - len(kept)]
        if end >= 0:
            break
        chunk = fh.read(CHUNK)
    text, original, _, _ = cut(bytes(kept), limit)
    return text, original, length, (h.hexdigest() if length > limit else None)


def cut(raw: bytes, limit: int) -> tuple[str, bytes | None, int, str | None]:
    """How quarantine keeps a record's original bytes: (text, bytes, length, sha256).

    ``text`` is the record decoded as UTF-8 with any other byte written ``\\xNN`` (and a
    backslash as ``\\\\``, so the escaping is reversible), cut to ``limit`` bytes; ``bytes``
    is the original when it is not valid UTF-8 or was cut, else None; ``sha256`` is given
    when the record was cut."""
    keep = raw[:limit]
    try:
        text = keep.decode("utf-8")
        exact = True
    except UnicodeDecodeError:
        text = keep.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")
        exact = False
    was_cut = len(raw) > limit
    sha = hashlib.sha256(raw).hexdigest() if was_cut else None
    return text, (None if exact and not was_cut else keep), len(raw), sha
