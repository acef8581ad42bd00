"""Letters to registered keepers: one PDF each, one merged PDF for printing, a manifest CSV.

``write_letters`` takes every letter the ladder decided and no batch has printed yet, renders
them all as one HTML document (WeasyPrint lays it out once), writes the merged PDF and then
each letter's own pages as its own PDF, and only then marks the letters printed in that
batch: a failure part-way marks nothing, and a letter is never printed in two batches.
``write_letters(..., batch=N)`` prints batch N again (a lost print run) without marking
anything.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from ...errors import InputError
from ...safe import csv_row
from ...store import Store
from .. import audit
from ..audit import now_utc
from .policy import LETTERS, Policy

LONDON = ZoneInfo("Europe/London")
MANIFEST_COLUMNS = (
    "reference",
    "batch_id",
    "step",
    "sighting_number",
    "vrm",
    "keeper_name",
    "address",
    "postcode",
    "site",
    "detected_at",
    "speed_mph",
    "limit_mph",
    "file",
)
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


@dataclass
class LetterBatch:
    """What ``write_letters`` wrote."""

    batch_id: int | None
    letters: int = 0
    merged: Path | None = None
    manifest: Path | None = None
    files: list[Path] = field(default_factory=list)
    reprint: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "letters": self.letters,
            "merged": str(self.merged) if self.merged else None,
            "manifest": str(self.manifest) if self.manifest else None,
            "reprint": self.reprint,
        }


def vrm_shown(vrm: str) -> str:
    """A mark as printed on a number plate: current-format marks have a space after the
    age identifier (AB12CDE -> AB12 CDE); older marks split letters from digits."""
    if re.fullmatch("[A-Z]{2}[0-9]{2}[A-Z]{3}", vrm):
        return f"{vrm[:4]} {vrm[4:]}"
    m = re.fullmatch("([A-Z]{1,3})([0-9]{1,4})([A-Z]?)", vrm)
    if m and m.group(3):  # suffix ABC123D -> ABC 123D
        return f"{m.group(1)} {m.group(2)}{m.group(3)}"
    m = re.fullmatch("([A-Z][0-9]{1,3})([A-Z]{3})", vrm)  # prefix A123BCD -> A123 BCD
    if m:
        return f"{m.group(1)} {m.group(2)}"
    return vrm


def _letters_query(batch: int | None) -> tuple[str, list[Any]]:
    steps = ", ".join(f"'{s}'" for s in LETTERS)
    which = "o.letter_batch = ?" if batch is not None else "o.printed_at IS NULL"
    sql = f"""
        SELECT o.detection_id, o.outcome, o.sighting_number, o.vrm, k.keeper_name, k.address,
               k.postcode, coalesce(s.name, o.site_id) AS site, s.road, o.detected_at,
               o.speed_mph, o.limit_mph
        FROM speedwatch_outcomes o
        JOIN vehicle_keepers k ON k.vrm = o.vrm AND k.looked_up_at = o.keeper_looked_up_at
        LEFT JOIN (SELECT site_id, any_value(name) AS name, any_value(road) AS road
                   FROM speedwatch_sites GROUP BY site_id) s ON s.site_id = o.site_id
        WHERE o.outcome IN ({steps}) AND {which}
        QUALIFY row_number() OVER (PARTITION BY o.detection_id ORDER BY k._load_id DESC) = 1
        ORDER BY o.detected_at, o.detection_id"""
    return sql, [batch] if batch is not None else []


def _letter(row: tuple[Any, ...]) -> dict[str, Any]:
    ref, step, n, vrm, name, address, postcode, site, road, t, speed, limit = row
    local = t.replace(tzinfo=ZoneInfo("UTC")).astimezone(LONDON)
    lines = [p.strip() for p in str(address or "").split(",") if p.strip()]
    return {
        "reference": ref,
        "step": step,
        "sighting_number": int(n),
        "ordinal": ORDINALS.get(int(n), f"{int(n)}th"),
        "vrm": vrm,
        "vrm_shown": vrm_shown(vrm),
        "keeper_name": name,
        "address": address,
        "address_lines": lines,
        "postcode": postcode,
        "site": f"{site}, {road}" if road and road not in str(site) else site,
        "when": f"{local:%A %-d %B %Y} at {local:%H:%M}",
        "detected_at": local.isoformat(timespec="minutes"),
        "speed": f"{speed:g}",
        "limit": int(limit),
    }


def render_html(
    letters: list[dict[str, Any]], policy: Policy, force: str, batch_id: int, printed: datetime
) -> str:
    """The batch as one HTML document, one ``section.letter`` per letter (values escaped)."""
    env = Environment(
        loader=PackageLoader("forcestat.workflows", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    return env.get_template("speedwatch_letter.html.j2").render(
        letters=letters,
        text=policy.letters,
        force=force,
        batch_id=batch_id,
        window=policy.window_months,
        printed_on=f"{printed:%-d %B %Y}",
    )


def _force_name(profile: str | Path | None) -> str:
    from ...report.profile import load_profile

    return load_profile(profile).name


def write_letters(
    store: Store,
    policy: Policy,
    out_dir: str | Path,
    *,
    profile: str | Path | None = None,
    batch: int | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> LetterBatch:
    """Write the letters not yet printed (or batch ``batch`` again) into ``out_dir``."""
    import weasyprint

    at = now or now_utc()
    out = Path(out_dir)
    blocked = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise InputError(f"cannot write letters to {out}: {blocked} is a file")
    con = store.duck
    sql, args = _letters_query(batch)
    if limit is not None:
        if limit < 1:
            raise InputError(f"--limit must be at least 1, not {limit}")
        sql += f" LIMIT {int(limit)}"
    rows = con.execute(sql, args).fetchall()
    if batch is not None and not rows:
        raise InputError(f"no letter batch {batch} (see `forcestat speedwatch batches`)")
    if not rows:
        return LetterBatch(None)
    if batch is None:
        row = con.execute(
            "SELECT coalesce(max(batch_id), 0) + 1 FROM speedwatch_letter_batches"
        ).fetchone()
        batch_id = int(row[0]) if row else 1
    else:
        batch_id = batch
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot write letters to {out}: {e}") from None
    letters = [_letter(r) for r in rows]
    html = render_html(letters, policy, _force_name(profile), batch_id, at)
    doc = weasyprint.HTML(string=html).render()
    stem = f"speedwatch-letters-batch-{batch_id:04d}"
    result = LetterBatch(batch_id, len(letters), reprint=batch is not None)
    result.merged = out / f"{stem}.pdf"
    doc.write_pdf(str(result.merged))
    for letter, pages in zip(letters, _pages_per_letter(doc, len(letters)), strict=True):
        path = out / f"letter-{_safe(letter['reference'])}.pdf"
        doc.copy(pages).write_pdf(str(path))
        letter["file"] = path.name
        result.files.append(path)
    result.manifest = out / f"{stem}-manifest.csv"
    with result.manifest.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, MANIFEST_COLUMNS, extrasaction="ignore")
        w.writeheader()
        for letter in letters:
            w.writerow(
                csv_row(
                    {
                        **letter,
                        "batch_id": batch_id,
                        "speed_mph": letter["speed"],
                        "limit_mph": letter["limit"],
                    }
                )
            )
    _mark_printed(store, letters, batch_id, at, out, reprint=batch is not None)
    return result


def _safe(ref: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", ref)


def _pages_per_letter(doc: Any, n: int) -> list[list[Any]]:
    """Each letter's pages: a letter starts on the page holding its reference bookmark."""
    starts = [i for i, p in enumerate(doc.pages) if p.bookmarks]
    if len(starts) != n:  # each letter is one page by design; fall back to that
        starts = list(range(n))
    ends = [*starts[1:], len(doc.pages)]
    return [doc.pages[a:b] for a, b in zip(starts, ends, strict=True)]


def _mark_printed(
    store: Store, letters: list[dict[str, Any]], batch_id: int, at: datetime, out: Path, reprint
) -> None:
    con = store.duck
    con.execute("BEGIN")
    try:
        if not reprint:
            con.execute("CREATE OR REPLACE TEMP TABLE _sw_printed (detection_id VARCHAR)")
            con.executemany(
                "INSERT INTO _sw_printed VALUES (?)", [(x["reference"],) for x in letters]
            )
            con.execute(
                """UPDATE speedwatch_outcomes SET printed_at = ?, letter_batch = ?
                   WHERE printed_at IS NULL
                     AND detection_id IN (SELECT detection_id FROM _sw_printed)""",
                [at, batch_id],
            )
            con.execute(
                "INSERT INTO speedwatch_letter_batches VALUES (?, ?, ?, ?)",
                [batch_id, at, len(letters), str(out)],
            )
            con.execute("DROP TABLE _sw_printed")
        audit.record(
            store,
            "export",
            "speedwatch_letters",
            {"batch_id": batch_id, "letters": len(letters), "reprint": reprint, "out": str(out)},
            at=at,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def batches(store: Store) -> list[dict[str, Any]]:
    """Letter batches printed so far, newest first."""
    rows = store.duck.execute(
        "SELECT batch_id, printed_at, letters, out_dir FROM speedwatch_letter_batches "
        "ORDER BY batch_id DESC"
    ).fetchall()
    return [
        dict(zip(("batch_id", "printed_at", "letters", "out_dir"), r, strict=True)) for r in rows
    ]
