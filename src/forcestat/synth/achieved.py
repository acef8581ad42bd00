"""The figures the written record files actually give, by the fixed measure definitions.

Measured straight from the files with DuckDB (months are Europe/London months of each kind's
time column), independently of how the generator meant them to come out. The measures package
evaluates the same definitions on an ingested store; the synth tests check both agree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ..periods import Period
from .targets import Target, Targets

_TIME = {
    "calls": "arrived_at",
    "s136_detentions": "detained_at",
    "digital_contacts": "received_at",
    "online_crime_reports": "submitted_at",
    "chats": "requested_at",
    "crimes": "recorded_at",
    "speedwatch_detections": "detected_at",
}


class FileFigures:
    """Monthly building blocks read once from the record files, then any target's value."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.kinds = set(files)
        self.files = files
        self._sw: Any = None
        for kind, path in files.items():
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv_auto"
            self.con.execute(f"CREATE VIEW {kind} AS SELECT * FROM {reader}('{path}')")
        self.monthly = self._monthly()

    def close(self) -> None:
        self.con.close()
        if self._sw is not None:
            self._sw.close()

    def _month(self, col: str) -> str:
        local = f"timezone('Europe/London', CAST({col} AS TIMESTAMPTZ))"
        return f"CAST(date_trunc('month', {local}) AS DATE)"

    def _monthly(self) -> pd.DataFrame:
        parts = []
        if "calls" in self.kinds:
            parts.append(
                self.con.sql(f"""
                SELECT 'calls_' || channel AS key, {self._month("arrived_at")} AS month,
                  count(*) AS n, count(answered_at) AS answered,
                  sum(epoch(CAST(answered_at AS TIMESTAMPTZ))
                      - epoch(CAST(arrived_at AS TIMESTAMPTZ))) AS q,
                  sum(CASE WHEN answered_at IS NOT NULL
                      THEN epoch(CAST(ended_at AS TIMESTAMPTZ))
                      - epoch(CAST(answered_at AS TIMESTAMPTZ)) END) AS talk
                FROM calls GROUP BY ALL""").df()
            )
        for kind, col in _TIME.items():
            if kind in self.kinds and kind not in ("calls", "crimes", "speedwatch_detections"):
                parts.append(
                    self.con.sql(
                        f"SELECT '{kind}' AS key, {self._month(col)} AS month, count(*) AS n "
                        f"FROM {kind} GROUP BY ALL"
                    ).df()
                )
        if "crimes" in self.kinds:
            parts.append(
                self.con.sql(
                    f"SELECT status AS key, {self._month('recorded_at')} AS month, count(*) AS n "
                    "FROM crimes GROUP BY ALL"
                ).df()
            )
        if not parts:
            return pd.DataFrame(columns=["key", "month", "n", "answered", "q", "talk"])
        df = pd.concat(parts, ignore_index=True)
        df["month"] = pd.to_datetime(df["month"]).dt.date
        return df

    def _sum(self, key: str, p: Period, col: str = "n") -> float:
        d = self.monthly
        sel = (d["key"] == key) & d["month"].map(p.contains)
        return float(d.loc[sel, col].sum()) if col in d else 0.0

    def value(self, t: Target) -> float | None:
        """The value the files give for target ``t`` (None when not a record figure)."""
        if t.period is None:
            return None
        fn = _MEASURES.get(t.measure)
        if fn is None and t.measure.startswith("cpv_"):
            return self._headcount("cpv", t.period, role=t.measure[4:])
        return None if fn is None else fn(self, t.period)

    # -- calls ---------------------------------------------------------------------------
    def calls(self, ch: str, part: str, p: Period) -> float | None:
        key = f"calls_{ch}"
        n, a = self._sum(key, p), self._sum(key, p, "answered")
        if part == "received":
            return n
        if part == "answered":
            return a
        if part == "not_answered":
            return n - a
        if part == "pct_not_answered":
            return 100 * (n - a) / n if n else None
        if part == "avg_queue_seconds":
            return self._sum(key, p, "q") / a if a else None
        return self._sum(key, p, "talk") / a if a else None

    # -- simple counts -------------------------------------------------------------------
    def count(self, key: str, p: Period) -> float:
        return self._sum(key, p)

    def monthly_average(self, key: str, p: Period) -> float:
        return self._sum(key, p) / max(p.n_months, 1)

    def record_low(self, key: str, p: Period) -> float | None:
        d = self.monthly[(self.monthly["key"] == key) & self.monthly["month"].map(p.contains)]
        return float(d["n"].min()) if len(d) else None

    def cancelled_pct(self, p: Period, average: bool) -> float | None:
        pcts = []
        for m in p.months():
            mp = Period(m, _next_month(m), "month")
            r, c = self._sum("recorded", mp), self._sum("cancelled", mp)
            if r + c:
                pcts.append(100 * c / (r + c))
        if not pcts:
            return None
        if average:
            return sum(pcts) / len(pcts)
        r, c = self._sum("recorded", p), self._sum("cancelled", p)
        return 100 * c / (r + c)

    # -- volunteers ------------------------------------------------------------------------
    def _scalar(self, sql: str) -> float:
        row = self.con.sql(sql).fetchone()
        return float(row[0]) if row and row[0] is not None else 0.0

    def _headcount(self, kind: str, p: Period, role: str | None = None, extra: str = "") -> float:
        if "volunteers" not in self.kinds:
            return 0.0
        d = _last_day(p)
        where = (
            f"kind = '{kind}' AND joined_on <= DATE '{d}' "
            f"AND (left_on IS NULL OR left_on > DATE '{d}')"
        )
        if role:
            where += f" AND role = '{role}'"
        if extra:
            where += " AND " + extra.replace("{d}", str(d))
        return self._scalar(f"SELECT count(*) FROM volunteers WHERE {where}")

    def special_hours(self, p: Period) -> float:
        if "volunteer_duties" not in self.kinds:
            return 0.0
        return self._scalar(f"""
            SELECT coalesce(sum(hours), 0)
            FROM volunteer_duties d JOIN volunteers v USING (volunteer_id)
            WHERE v.kind = 'special'
              AND duty_date >= DATE '{p.start}' AND duty_date < DATE '{p.end}'
        """)

    def to_regular(self, p: Period) -> float:
        if "volunteers" not in self.kinds:
            return 0.0
        return self._scalar(f"""
            SELECT count(*) FROM volunteers WHERE kind = 'special' AND left_to_regular_force
            AND left_on >= DATE '{p.start}' AND left_on < DATE '{p.end}'""")

    # -- speedwatch -------------------------------------------------------------------------
    def speedwatch(self, key: str, p: Period) -> float | None:
        """A Speedwatch figure as the workflow gives it: the Speedwatch files ingested into a
        scratch store and processed with the default policy (letters, visits and DVLA
        referrals are what the ladder decides, not a column of the files)."""
        if "speedwatch_detections" not in self.kinds:
            return 0.0
        from ..measures import value_of

        v = value_of(self._speedwatch_store(), key, p)
        return None if v is None or v != v else float(v)

    def _speedwatch_store(self):  # type: ignore[no-untyped-def]
        if self._sw is None:
            from ..ingest import ingest_paths
            from ..store import Store
            from ..workflows.speedwatch import load_policy, process

            store = Store.open(":memory:")
            ingest_paths(store, [self.files[k] for k in SPEEDWATCH_KINDS if k in self.files])
            process(store, load_policy(None))
            self._sw = store
        return self._sw


SPEEDWATCH_KINDS = (
    "speedwatch_sites",
    "speedwatch_sessions",
    "speedwatch_detections",
    "vehicle_keepers",
)


def _next_month(m: date) -> date:
    return (m.replace(day=28) + timedelta(days=4)).replace(day=1)


def _last_day(p: Period) -> date:
    return p.end - timedelta(days=1)


def _calls(ch: str, part: str) -> Callable[[FileFigures, Period], float | None]:
    return lambda f, p: f.calls(ch, part, p)


_MEASURES: dict[str, Callable[[FileFigures, Period], float | None]] = {
    **{
        f"calls_{ch}_{part}": _calls(ch, part)
        for ch in ("999", "101")
        for part in (
            "received",
            "answered",
            "not_answered",
            "pct_not_answered",
            "avg_queue_seconds",
            "avg_talk_seconds",
        )
    },
    "s136_detentions": lambda f, p: f.count("s136_detentions", p),
    "s136_detentions_monthly_average": lambda f, p: f.monthly_average("s136_detentions", p),
    "s136_record_low": lambda f, p: f.record_low("s136_detentions", p),
    "digital_contacts": lambda f, p: f.count("digital_contacts", p),
    "online_crime_reports": lambda f, p: f.count("online_crime_reports", p),
    "live_chats": lambda f, p: f.count("chats", p),
    "recorded_crime": lambda f, p: f.count("recorded", p),
    "cancelled_crime": lambda f, p: f.count("cancelled", p),
    "cancelled_crime_pct": lambda f, p: f.cancelled_pct(p, average=False),
    "cancelled_crime_pct_average": lambda f, p: f.cancelled_pct(p, average=True),
    "special_constables": lambda f, p: f._headcount("special", p),
    "special_constables_independent": lambda f, p: f._headcount(
        "special",
        p,
        extra="independent AND (independent_from IS NULL OR independent_from <= DATE '{d}')",
    ),
    "special_constable_hours": lambda f, p: f.special_hours(p),
    "specials_accepted_into_regular_force": lambda f, p: f.to_regular(p),
    "police_support_volunteers": lambda f, p: f._headcount("psv", p),
    "community_policing_volunteers": lambda f, p: f._headcount("cpv", p),
    "vehicles_detected_over_limit": lambda f, p: f.speedwatch("vehicles_detected_over_limit", p),
    "letters_sent": lambda f, p: f.speedwatch("letters_sent", p),
    "letters_sent_monthly_average": lambda f, p: f.speedwatch("letters_sent_monthly_average", p),
    "addresses_attended_4th_detection": lambda f, p: f.speedwatch(
        "addresses_attended_4th_detection", p
    ),
    "drivers_5_plus_detections": lambda f, p: f.speedwatch("drivers_5_plus_detections", p),
    "sorn_vehicles_to_dvla": lambda f, p: f.speedwatch("sorn_vehicles_to_dvla", p),
    "untaxed_vehicles_to_dvla": lambda f, p: f.speedwatch("untaxed_vehicles_to_dvla", p),
}


def measure_files(files: dict[str, Path], targets: Targets) -> dict[tuple[str, str], float | None]:
    """Achieved value of every target, measured from the written files."""
    figures = FileFigures(files)
    try:
        return {(t.measure, t.period_text): figures.value(t) for t in targets}
    finally:
        figures.close()
