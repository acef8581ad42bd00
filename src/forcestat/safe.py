"""Text that came from records or users, made safe for where it goes.

Terminals: a file name, header or quarantined value may hold Rich markup (``[/]``) or
control characters (an ANSI escape that repaints the screen). forcestat prints such text with
markup off and control characters made visible:

>>> visible("a\\x1b[31mred\\x07")
'a\\\\x1b[31mred\\\\x07'
>>> visible("two\\nlines")
'two\\\\nlines'

Spreadsheets: a CSV cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is run as a formula by Excel and LibreOffice (``=HYPERLINK(...)``). Every CSV forcestat
writes passes its text cells through :func:`csv_cell`, which prefixes such a cell with an
apostrophe (the OWASP advice); numbers are left alone:

>>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("-1"), csv_cell(-1), csv_cell("Bexley")
('\\'=HYPERLINK("http://x")', "'-1", -1, 'Bexley')
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def visible(text: object) -> str:
    """``text`` as one line with every control character written as an escape."""
    return _CONTROL.sub(lambda m: _NAMED.get(m[0], f"\\x{ord(m[0]):02x}"), str(text))


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will show, not run: text starting like a formula gets a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(row: Any) -> Any:
    """A CSV row (a sequence, or a dict for DictWriter) with every cell :func:`csv_cell`.

    >>> csv_row(["AB12CDE", "=1+1", 3]), csv_row({"vrm": "@SUM(A1)"})
    (['AB12CDE', "'=1+1", 3], {'vrm': "'@SUM(A1)"})
    """
    if isinstance(row, dict):
        return {k: csv_cell(v) for k, v in row.items()}
    return [csv_cell(v) for v in row]


def csv_frame(df: Any) -> Any:
    """A copy of a pandas DataFrame whose text cells (and column names) are :func:`csv_cell`."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) in ("string", "str"):
            out[c] = out[c].map(csv_cell)
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out


def to_csv(df: Any, path: Any = None, **kwargs: Any) -> Any:
    """``df.to_csv`` with formula-like text neutralised; returns the text when path is None."""
    return csv_frame(df).to_csv(path, index=False, **kwargs)
