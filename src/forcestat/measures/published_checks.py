"""The checks check-published runs. Each takes (published figures, report, used line numbers).

Relations between figures come from the catalogue's definitions: which figures are sums of
events (so months add up to a year), which percentage is which count over which, which figure
is a subset of which.
"""

from __future__ import annotations

from collections.abc import Callable

from ..periods import Period
from ..schema.volunteers import CPV_ROLES
from .base import Count, Sum
from .catalogue import CATALOGUE
from .published import Figure, Finding, Published, PublishedReport, Severity
from .records import period_name

Check = Callable[["Published", "PublishedReport", set[int]], None]


def fit(computed: float, fig: Figure) -> str | None:
    """'rounding' when the printed figure is ``computed`` rounded, 'truncation' when it is
    only ``computed`` cut short, None when neither."""
    if abs(computed - fig.value) <= fig.half_unit + 1e-9:
        return "rounding"
    step = 10 ** (-fig.decimals)
    if fig.value - 1e-9 <= computed < fig.value + step - 1e-9:
        return "truncation"
    return None


def num(x: float, d: int = 0) -> str:
    return f"{x:,.{d}f}"


def _finding(kind: str, fig: Figure, message: str, severity: Severity = "error") -> Finding:
    return Finding(kind, fig.measure, fig.period_text, message, severity)


def _is_event_count(key: str) -> bool:
    m = CATALOGUE.get(key)
    return m is not None and isinstance(m.aggregate, Count | Sum) and m.unit in ("count", "hours")


# -- totals against parts -------------------------------------------------------------------------
def check_totals(pub: Published, report: PublishedReport, used: set[int]) -> None:
    """A multi-month total of an event count against the published months inside it."""
    for f in pub.figures:
        assert f.period is not None
        if f.period.n_months < 2 or not _is_event_count(f.measure):
            continue
        parts = pub.monthly(f.measure, f.period)
        if not parts:
            continue
        total = sum(p.value for p in parts)
        used.update([f.line, *(p.line for p in parts)])
        # counts are whole numbers, exact; hours may each have been rounded when printed
        exact = f.unit != "hours"
        tolerance = 0.0 if exact else sum(p.half_unit for p in parts) + f.half_unit
        if abs(total - f.value) <= tolerance + 1e-9:
            report.passed.append(f"{f.where}: {num(f.value)} = sum of its {len(parts)} months")
            continue
        report.findings.append(
            _finding(
                "total",
                f,
                f"published total {num(f.value)} differs from the sum of its {len(parts)} "
                f"published months, {num(total)} (difference {num(f.value - total)})",
            )
        )


# -- received = answered + not answered -----------------------------------------------------------
def check_identities(pub: Published, report: PublishedReport, used: set[int]) -> None:
    for ch in ("999", "101"):
        for f in pub.of(f"calls_{ch}_received"):
            assert f.period is not None
            a = pub.get(f"calls_{ch}_answered", f.period)
            n = pub.get(f"calls_{ch}_not_answered", f.period)
            if a is None or n is None:
                continue
            used.update([f.line, a.line, n.line])
            if a.value + n.value == f.value:
                report.passed.append(
                    f"{f.where}: received {num(f.value)} = answered {num(a.value)}"
                    f" + not answered {num(n.value)}"
                )
            else:
                report.findings.append(
                    _finding(
                        "identity",
                        f,
                        f"received {num(f.value)} is not answered {num(a.value)} + not answered"
                        f" {num(n.value)} = {num(a.value + n.value)}",
                    )
                )


# -- percentages against counts, and which definition fits ----------------------------------------
Formula = tuple[str, Callable[[dict[str, float]], float]]


def _share(part: str, whole: str) -> Callable[[dict[str, float]], float]:
    return lambda v: 100 * v[part] / v[whole]


def _ratio_definitions() -> dict[str, tuple[tuple[str, ...], list[Formula]]]:
    """pct measure -> (count measures it uses, [catalogue formula, plausible alternatives])."""
    out: dict[str, tuple[tuple[str, ...], list[Formula]]] = {}
    for ch in ("999", "101"):
        na, rec, ans = (f"calls_{ch}_{x}" for x in ("not_answered", "received", "answered"))
        out[f"calls_{ch}_pct_not_answered"] = (
            (na, rec, ans),
            [
                ("not answered / received", _share(na, rec)),
                ("not answered / answered", _share(na, ans)),
            ],
        )
    out["cancelled_crime_pct"] = (
        ("cancelled_crime", "recorded_crime"),
        [
            (
                "cancelled / (recorded + cancelled)",
                lambda v: 100 * v["cancelled_crime"] / (v["recorded_crime"] + v["cancelled_crime"]),
            ),
            ("cancelled / recorded", lambda v: 100 * v["cancelled_crime"] / v["recorded_crime"]),
        ],
    )
    return out


def check_percentages(pub: Published, report: PublishedReport, used: set[int]) -> None:
    for key, (parts, formulas) in _ratio_definitions().items():
        fits: dict[str, list[str]] = {name: [] for name, _ in formulas}
        checked = []
        for f in pub.of(key):
            assert f.period is not None
            figs = {p: pub.get(p, f.period) for p in parts}
            values = {p: g.value for p, g in figs.items() if g is not None}
            (name0, formula0), *_ = formulas
            try:
                computed = formula0(values)
            except (KeyError, ZeroDivisionError):
                continue
            used.update([f.line, *(g.line for g in figs.values() if g is not None)])
            checked.append(f)
            for name, formula in formulas:
                try:
                    if fit(formula(values), f) == "rounding":
                        fits[name].append(f.period_text)
                except (KeyError, ZeroDivisionError):
                    pass
            how = fit(computed, f)
            exact = num(computed, f.decimals + 2)
            if how == "rounding":
                report.passed.append(f"{f.where}: {f.text}% = {name0} = {exact}%")
            else:
                report.findings.append(
                    _finding(
                        "percentage",
                        f,
                        f"published {f.text}% but {name0} from the published counts is {exact}%"
                        + (" (matches only by truncation, not rounding)" if how else ""),
                        "warning" if how else "error",
                    )
                )
        if checked:
            n = len(checked)
            summary = [f"{name} fits {len(p)} of {n}" for name, p in fits.items()]
            only = [name for name, p in fits.items() if len(p) == n]
            lead = f"{key}: only {only[0]} fits every period" if len(only) == 1 else key
            report.notes.append(f"{lead} ({'; '.join(summary)})")


# -- averages against totals ----------------------------------------------------------------------
def check_averages(pub: Published, report: PublishedReport, used: set[int]) -> None:
    for f in pub.figures:
        assert f.period is not None
        if f.measure == "cancelled_crime_pct_average":
            _check_mean_of_months(pub, report, used, f, "cancelled_crime_pct")
            continue
        if not f.measure.endswith("_monthly_average"):
            continue
        base = f.measure.removesuffix("_monthly_average")
        n = f.period.n_months
        total = pub.get(base, f.period)
        parts = pub.monthly(base, f.period)
        if total is not None or parts:
            t = total.value if total is not None else sum(p.value for p in parts or [])
            src = f"{num(t)} in {n} months" if total else f"its {n} published months ({num(t)})"
            used.update([f.line] + ([total.line] if total else [p.line for p in parts or []]))
            _judge_average(report, f, t / n, src)
            continue
        _check_average_containment(pub, report, used, f, base)


def _judge_average(report: PublishedReport, f: Figure, exact: float, src: str) -> None:
    how = fit(exact, f)
    text = f"{src} gives {num(exact, max(f.decimals, 1) + 1)} a month"
    if how == "rounding":
        report.passed.append(f"{f.where}: {f.text} a month; {text}")
    elif how == "truncation":
        report.findings.append(
            _finding(
                "average",
                f,
                f"published {f.text} a month; {text}, which rounds to "
                f"{num(exact, f.decimals)}: {f.text} matches only by truncation",
                "warning",
            )
        )
    else:
        report.findings.append(_finding("average", f, f"published {f.text} a month, but {text}"))


def _check_mean_of_months(
    pub: Published, report: PublishedReport, used: set[int], f: Figure, base: str
) -> None:
    assert f.period is not None
    parts = pub.monthly(base, f.period)
    if not parts:
        return
    used.update([f.line, *(p.line for p in parts)])
    mean = sum(p.value for p in parts) / len(parts)
    _judge_average(report, f, mean, f"the mean of the {len(parts)} published monthly {base}")


def _check_average_containment(
    pub: Published, report: PublishedReport, used: set[int], f: Figure, base: str
) -> None:
    """A monthly average over P, times its months, against a total over a period containing
    P (cannot exceed it) or inside P (cannot be below it)."""
    assert f.period is not None
    n = f.period.n_months
    low, high = (f.value - f.half_unit) * n, (f.value + f.half_unit) * n
    for g in pub.of(base):
        assert g.period is not None
        inside = _contains(g.period, f.period)
        if inside and low > g.value:
            used.update([f.line, g.line])
            report.findings.append(
                _finding(
                    "average",
                    f,
                    f"{f.text} a month over {f.period.label} implies at least {num(low)} {base}"
                    f" in those {n} months, more than the {num(g.value)} published for"
                    f" {g.period_text} ({g.period.label}), which contains them: impossible",
                )
            )
        elif _contains(f.period, g.period) and high < g.value:
            used.update([f.line, g.line])
            report.findings.append(
                _finding(
                    "average",
                    f,
                    f"{f.text} a month over {f.period.label} implies at most {num(high)} {base},"
                    f" fewer than the {num(g.value)} published for {g.period_text} inside it",
                )
            )
        elif inside:
            used.update([f.line, g.line])
            report.passed.append(f"{f.where}: x {n} months is within {g.where}")


def _contains(outer: Period, inner: Period) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


# -- subsets that cannot exceed their whole -------------------------------------------------------
SUBSETS: list[tuple[str, str]] = [
    ("letters_sent", "vehicles_detected_over_limit"),
    ("speedwatch_distinct_vehicles", "vehicles_detected_over_limit"),
    ("addresses_attended_4th_detection", "vehicles_detected_over_limit"),
    ("drivers_5_plus_detections", "addresses_attended_4th_detection"),
    ("sorn_vehicles_to_dvla", "vehicles_detected_over_limit"),
    ("untaxed_vehicles_to_dvla", "vehicles_detected_over_limit"),
    ("special_constables_independent", "special_constables"),
    *[(f"calls_{c}_answered", f"calls_{c}_received") for c in ("999", "101")],
    *[(f"cpv_{r}", "community_policing_volunteers") for r in CPV_ROLES],
]


def check_subsets(pub: Published, report: PublishedReport, used: set[int]) -> None:
    for part, whole in SUBSETS:
        for f in pub.of(part):
            assert f.period is not None
            w = pub.get(whole, f.period)
            if w is None:
                continue
            used.update([f.line, w.line])
            if f.value > w.value:
                report.findings.append(
                    _finding(
                        "subset",
                        f,
                        f"{num(f.value)} is more than {whole} {num(w.value)}, which includes it",
                    )
                )
    for w in pub.of("community_policing_volunteers"):
        assert w.period is not None
        roles = [g for r in CPV_ROLES if (g := pub.get(f"cpv_{r}", w.period)) is not None]
        if len(roles) > 1:
            total = sum(g.value for g in roles)
            if total > w.value:
                report.findings.append(
                    _finding(
                        "subset",
                        w,
                        f"the {len(roles)} published CPV roles add up to {num(total)}, more than"
                        f" the {num(w.value)} community policing volunteers",
                    )
                )
            else:
                report.passed.append(
                    f"{w.where}: {len(roles)} CPV roles sum to {num(total)} <= {num(w.value)}"
                )


# -- record lows ----------------------------------------------------------------------------------
def check_record_low(pub: Published, report: PublishedReport, used: set[int]) -> None:
    for f in pub.of("s136_record_low"):
        assert f.period is not None
        parts = pub.monthly("s136_detentions", f.period)
        if not parts:
            continue
        used.update([f.line, *(p.line for p in parts)])
        low = min(p.value for p in parts)
        if low != f.value:
            report.findings.append(
                _finding(
                    "record",
                    f,
                    f"published low {f.text}, but the lowest published month is {num(low)}",
                )
            )
            continue
        earlier = sorted(
            (g for g in pub.of("s136_detentions") if g.period and g.period.start < f.period.start),
            key=lambda g: g.span.start,
        )
        lower = [g for g in earlier if g.value < low]
        since = ""
        if lower and lower[-1].period is not None:
            since = f", lowest since {period_name(lower[-1].period)} ({num(lower[-1].value)})"
        report.passed.append(f"{f.where}: {f.text} is the lowest month in the period{since}")


ALL_CHECKS: list[Check] = [check_totals, check_identities, check_percentages, check_averages]
ALL_CHECKS += [check_subsets, check_record_low]
