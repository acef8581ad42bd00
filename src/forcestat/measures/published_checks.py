"""The checks check-published runs. Each takes (published figures, report, used line numbers).

Relations between figures come from the catalogue's definitions: which figures are sums of
events (so months add up to a year), which percentage is which count over which, which figure
is a subset of which.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ..periods import Period
from .base import Count, Sum
from .catalogue import CATALOGUE
from .published import Figure, Finding, Published, PublishedReport, Severity
from .records import period_name
from .relations import identities, identity_of, relations_of, within

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


# -- whole = sum of parts (received = answered + not answered) -----------------------------------
def _names(keys: list[str]) -> dict[str, str]:
    """Short names for related keys: the words they share at the start and end dropped
    (calls_999_answered, calls_999_received -> answered, received)."""
    words = [k.split("_") for k in keys]
    if len(keys) < 2:
        return {k: k.replace("_", " ") for k in keys}
    head = len(os.path.commonprefix(words))
    tail = len(os.path.commonprefix([w[::-1] for w in words]))
    out = {}
    for k, w in zip(keys, words, strict=True):
        core = w[head : len(w) - tail] if head + tail < len(w) else w[head:] or w
        out[k] = " ".join(core or w)
    return out


def check_identities(pub: Published, report: PublishedReport, used: set[int]) -> None:
    """Every identity of the catalogue whose whole and parts are all published."""
    for ident in identities():
        name = _names([ident.whole, *ident.parts])
        for f in pub.of(ident.whole):
            assert f.period is not None
            parts = [pub.get(p, f.period) for p in ident.parts]
            if any(g is None for g in parts):
                continue
            given = [g for g in parts if g is not None]
            total = sum(g.value for g in given)
            used.update([f.line, *(g.line for g in given)])
            said = " + ".join(f"{name[g.measure]} {num(g.value)}" for g in given)
            if total == f.value:
                report.passed.append(f"{f.where}: {name[ident.whole]} {num(f.value)} = {said}")
            else:
                report.findings.append(
                    _finding(
                        "identity",
                        f,
                        f"{name[ident.whole]} {num(f.value)} is not {said} = {num(total)}",
                    )
                )


# -- percentages against counts, and which definition fits ----------------------------------------
Formula = tuple[str, Callable[[dict[str, float]], float]]


Combo = tuple[tuple[str, int], ...]


def _value_of(combo: Combo) -> Callable[[dict[str, float]], float]:
    return lambda v: sum(n * v[k] for k, n in combo)


def _label(combo: Combo, names: dict[str, str], first: Combo = ()) -> str:
    """A combination in words; terms of ``first`` last (recorded + cancelled)."""
    keys = [k for k, _ in combo if k not in dict(first)] + [k for k, _ in combo if k in dict(first)]
    text = " + ".join(names[k] for k in keys)
    return f"({text})" if len(keys) > 1 else text


def _ratio_definitions() -> dict[str, tuple[tuple[str, ...], list[Formula]]]:
    """Percentage measure -> (the counts it uses, [the catalogue's formula, the plausible
    alternative: the numerator over the rest of the denominator]), from the catalogue."""
    out: dict[str, tuple[tuple[str, ...], list[Formula]]] = {}
    for key in CATALOGUE:
        r = relations_of(key)
        if r.kind != "ratio" or r.unit != "percent" or not r.numerator or not r.denominator:
            continue
        num_, den = r.numerator, r.denominator
        rest = _rest(num_, den)
        keys = list(dict.fromkeys([k for k, _ in (*num_, *den, *rest)]))
        names = _names(keys)
        n, d = _value_of(num_), _value_of(den)
        formulas: list[Formula] = [
            (f"{_label(num_, names)} / {_label(den, names, num_)}", _share(n, d, r.scale))
        ]
        if rest:
            formulas.append(
                (
                    f"{_label(num_, names)} / {_label(rest, names)}",
                    _share(n, _value_of(rest), r.scale),
                )
            )
        out[key] = (tuple(keys), formulas)
    return out


def _rest(num_: Combo, den: Combo) -> Combo:
    """The denominator less the numerator, as measures (None when it is not one)."""
    left = dict(den)
    for k, c in num_:
        left[k] = left.get(k, 0) - c
    terms = tuple((k, c) for k, c in sorted(left.items()) if c)
    if terms and all(c > 0 for _, c in terms) and terms != den:
        return terms
    if len(den) == 1 and len(num_) == 1:  # received less not answered: answered
        ident = identity_of(den[0][0])
        if ident and len(ident.parts) == 2 and num_[0][0] in ident.parts:
            other = next(p for p in ident.parts if p != num_[0][0])
            return ((other, 1),)
    return ()


def _share(
    part: Callable[[dict[str, float]], float],
    whole: Callable[[dict[str, float]], float],
    scale: float,
) -> Callable[[dict[str, float]], float]:
    return lambda v: scale * part(v) / whole(v)


def _count_over(pub: Published, key: str, period: Period) -> tuple[float, list[Figure]] | None:
    """A count over ``period`` as published: the figure itself, or the sum of its published
    months (a two-month percentage is checked against its monthly counts)."""
    f = pub.get(key, period)
    if f is not None:
        return f.value, [f]
    months = pub.monthly(key, period) if period.n_months > 1 else None
    if months:
        return sum(g.value for g in months), months
    return None


def check_percentages(pub: Published, report: PublishedReport, used: set[int]) -> None:
    for key, (parts, formulas) in _ratio_definitions().items():
        fits: dict[str, list[str]] = {name: [] for name, _ in formulas}
        checked = []
        for f in pub.of(key):
            assert f.period is not None
            found = {p: _count_over(pub, p, f.period) for p in parts}
            values = {p: c[0] for p, c in found.items() if c is not None}
            lines = [g.line for c in found.values() if c is not None for g in c[1]]
            (name0, formula0), *_ = formulas
            try:
                computed = formula0(values)
            except (KeyError, ZeroDivisionError):
                continue
            used.update([f.line, *lines])
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
        if f.measure not in CATALOGUE:
            continue
        r = relations_of(f.measure)
        if r.kind != "monthly_mean" or r.of_months is None:
            continue
        base = r.of_months
        if not relations_of(base).adds_over_months:  # a mean of monthly percentages
            _check_mean_of_months(pub, report, used, f, base)
            continue
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
def check_subsets(pub: Published, report: PublishedReport, used: set[int]) -> None:
    """A part above its whole (the catalogue's subsets), or published parts adding up to more
    than their whole (its identities)."""
    for part, whole in within():
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
    for ident in identities():
        for w in pub.of(ident.whole):
            assert w.period is not None
            given = [g for p in ident.parts if (g := pub.get(p, w.period)) is not None]
            if len(given) < 2 or len(given) == len(ident.parts):
                continue  # the full set is an identity, checked as one
            total = sum(g.value for g in given)
            if total > w.value:
                report.findings.append(
                    _finding(
                        "subset",
                        w,
                        f"the {len(given)} published parts of {ident.whole} add up to"
                        f" {num(total)}, more than its {num(w.value)}",
                    )
                )
            else:
                report.passed.append(
                    f"{w.where}: {len(given)} published parts sum to {num(total)} <= {num(w.value)}"
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
