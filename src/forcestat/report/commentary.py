"""The force's own commentary: one Markdown file, one ``##`` heading per section.

The board paper's generated narrative says what the figures show; the force says what was
done, why, and what is next. Its words appear in every format beside the narrative, in a box
headed "Force commentary", so nobody mistakes them for generated text (or the reverse)::

    ## Force Control Room
    The percentage of unanswered 101 calls remains challenging. A plan is being devised ...

    - Extra call handlers from November.

    ## Mental Health and Section 136 (s.136) Detentions
    ...

A heading matches a section by its title or id, ignoring case, punctuation and any leading
number ("## 5. Force Control Room" and "## fcr" both work). A heading that matches no section
is an error naming it (exit 2); text before the first heading is an error too, since it would
belong to no section. Paragraphs and bulleted lists are kept; other Markdown (emphasis, links)
is shown as its plain text, because a board paper's commentary is words, not markup.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from markdown_it import MarkdownIt

from ..errors import InputError
from .spec import Commentary, Report, Section

ATTRIBUTION = "Force commentary: the force's own words, not generated from the figures"


@dataclass(frozen=True)
class CommentaryFile:
    """Commentary by heading, in file order: ``{heading: blocks}``."""

    source: str
    sections: tuple[tuple[str, tuple[tuple[str, str | tuple[str, ...]], ...]], ...]


def _key(text: str) -> str:
    text = re.sub(r"^\s*(appendix\s+[a-z]:|\d+\.)\s*", "", text.strip().lower())
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _inline_text(token) -> str:  # type: ignore[no-untyped-def]
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def parse_commentary(text: str, source: str = "<commentary>") -> CommentaryFile:
    """Split Markdown into (heading, blocks) pairs; errors name the file and line."""
    tokens = MarkdownIt("commonmark").parse(text)
    out: list[tuple[str, list[tuple[str, str | tuple[str, ...]]]]] = []
    items: list[str] | None = None
    i = 0
    while i < len(tokens):
        t = tokens[i]
        line = (t.map[0] + 1) if t.map else 0
        if t.type == "heading_open":
            title = _inline_text(tokens[i + 1])
            if t.tag != "h2":
                raise InputError(
                    f"{source} line {line}: use '## Section title' for each section "
                    f"(found {t.markup} {title})"
                )
            out.append((title, []))
            i += 3
            continue
        if t.type == "inline" and not out:
            raise InputError(
                f"{source} line {line}: text before the first '## Section' heading belongs "
                "to no section"
            )
        if t.type in ("bullet_list_open", "ordered_list_open"):
            items = []
        elif t.type in ("bullet_list_close", "ordered_list_close") and items is not None:
            out[-1][1].append(("ul", tuple(items)))
            items = None
        elif t.type == "inline" and tokens[i - 1].type == "paragraph_open":
            text_ = _inline_text(t)
            if items is not None:
                items.append(text_)
            elif text_:
                out[-1][1].append(("p", text_))
        i += 1
    return CommentaryFile(source, tuple((h, tuple(b)) for h, b in out))


def load_commentary(path: str | os.PathLike[str]) -> CommentaryFile:
    """Read a commentary Markdown file (a missing or unreadable file is an input error)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"commentary file not found: {p}")
    try:
        text = p.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read commentary file {p}: {e}") from None
    return parse_commentary(text, p.name)


def apply_commentary(report: Report, commentary: CommentaryFile) -> Report:
    """``report`` with each section's commentary placed beside its narrative.

    Raises
    ------
    InputError
        A heading matches no section of the report; the message names it and the headings
        that would match.
    """
    by_key: dict[str, Section] = {}
    for s in report.all_sections:
        by_key.setdefault(_key(s.title), s)
        by_key.setdefault(_key(s.id), s)
    words: dict[str, list[tuple[str, str | tuple[str, ...]]]] = {}
    for heading, blocks in commentary.sections:
        match = by_key.get(_key(heading))
        if match is None:
            known = "; ".join(s.title for s in report.sections)
            raise InputError(
                f"{commentary.source}: heading '## {heading}' matches no section of the report "
                f"(sections: {known})"
            )
        words.setdefault(match.id, []).extend(blocks)

    def place(s: Section) -> Section:
        blocks = words.get(s.id)
        if not blocks:
            return s
        return s.with_commentary(Commentary(tuple(blocks), ATTRIBUTION))

    return replace(
        report,
        sections=tuple(place(s) for s in report.sections),
        appendix=tuple(place(s) for s in report.appendix),
    )
