"""The DVLA export: untaxed and SORN vehicles Speedwatch detected, each vehicle once.

Layout (``DVLA_COLUMNS``), one row per vehicle, UTF-8 CSV with a header:

``vrm``                 registration mark, upper case, no spaces
``tax_status``          ``untaxed`` or ``sorn`` (the latest referral's, if a vehicle has both)
``first_detected_on``   date (Europe/London) of the first detection referred
``last_detected_on``    date of the latest detection referred
``referrals``           referrals of this vehicle in the file
``site_id``             site of the latest detection referred
``district``            that site's district
``referred_on``         date the ladder passed the vehicle on (``forcestat speedwatch process``)

By default the file holds referrals no earlier export holds, and marks them exported;
``include_exported=True`` writes every referral again (marking nothing new).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...safe import csv_row
from ...store import Store
from .. import audit
from ..audit import now_utc

DVLA_COLUMNS = (
    "vrm",
    "tax_status",
    "first_detected_on",
    "last_detected_on",
    "referrals",
    "site_id",
    "district",
    "referred_on",
)


@dataclass
class DvlaExport:
    path: Path
    vehicles: int
    referrals: int

    def as_dict(self) -> dict[str, Any]:
        return {"file": str(self.path), "vehicles": self.vehicles, "referrals": self.referrals}


def _local_date(col: str) -> str:
    return f"CAST(timezone('Europe/London', timezone('UTC', {col})) AS DATE)"


def write_dvla(
    store: Store,
    out_file: str | Path,
    *,
    include_exported: bool = False,
    now: datetime | None = None,
) -> DvlaExport:
    """Write the DVLA CSV to ``out_file`` and mark its referrals exported."""
    at = now or now_utc()
    path = Path(out_file)
    if path.is_dir():
        raise InputError(f"{path} is a folder: give a file name, e.g. {path / 'dvla.csv'}")
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: {path.parent} is not a folder")
    which = "" if include_exported else "WHERE exported_at IS NULL"
    con = store.duck
    rows = con.execute(
        f"""SELECT vrm, arg_max(tax_status, detected_at), {_local_date("min(detected_at)")},
                   {_local_date("max(detected_at)")}, count(*), arg_max(site_id, detected_at),
                   arg_max(district, detected_at), CAST(max(referred_at) AS DATE)
            FROM speedwatch_dvla {which} GROUP BY vrm ORDER BY vrm"""
    ).fetchall()
    try:
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(DVLA_COLUMNS)
            w.writerows(csv_row(r) for r in rows)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror}") from None
    referrals = sum(int(r[4]) for r in rows)
    con.execute("BEGIN")
    try:
        if not include_exported:
            con.execute(
                "UPDATE speedwatch_dvla SET exported_at = ?, export_file = ? "
                "WHERE exported_at IS NULL",
                [at, str(path)],
            )
        audit.record(
            store,
            "export",
            "speedwatch_dvla",
            {"vehicles": len(rows), "referrals": referrals, "file": str(path)},
            at=at,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return DvlaExport(path, len(rows), referrals)
