"""Sentences generated from figures and their comparisons, in a board paper's register.

Every function takes plain values (numbers, dates, the comparison fields ``evaluate`` returns)
and says only what they support:

* a change the engine tested and did **not** flag significant is "broadly stable";
* sentences run in time order: the earlier figure comes first;
* verbs do not depend on whether the subject is singular or plural ("rose", "fell", "held",
  "stood"), so a generated subject never reads "Detentions ... was";
* a count that moved by a factor of more than 1.8 against the previous period is not
  narrated as a change: such a jump usually means the records are incomplete, not that demand
  moved (see :func:`implausible_change`);
* a change it flagged is a rise or a fall, and the direction always follows the sign;
* a change no test applied to (``significant is None``, e.g. a headcount) is stated as the
  two numbers with its direction, without "significantly" or "improved";
* a record ("the lowest since February 2015") is claimed only when the history shows it;
* a missing figure produces no sentence at all (``None``), never a zero;
* a figure withheld from the public edition is said in words ("fewer than 5"), and no direction
  or record is claimed from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .suppress import is_suppressed, say

Formatter = Callable[[float], str]


def plain(v: float) -> str:
    """A whole number with thousands separators: 23973 -> '23,973' (a withheld figure in
    words: 'fewer than 5')."""
    return say(v, lambda x: f"{round_half_up(x):,}")


def round_half_up(v: float, places: int = 0) -> int | float:
    """Round as a reader expects (94.5 -> 95), not to even as Python's round does."""
    q = Decimal(1).scaleb(-places)
    d = Decimal(str(v)).quantize(q, rounding=ROUND_HALF_UP)
    return int(d) if places == 0 else float(d)


def join_words(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def months_phrase(months: Sequence[date]) -> str:
    """'September and October 2022'; 'December 2021 and January 2022' across years."""
    months = sorted(months)
    if not months:
        return ""
    if len({m.year for m in months}) == 1:
        return join_words([f"{m:%B}" for m in months]) + f" {months[0].year}"
    return join_words([f"{m:%B %Y}" for m in months])


def span_phrase(first: date, last: date) -> str:
    """'August to October 2022', 'November 2021 to October 2022', or 'October 2022'."""
    if first == last:
        return f"{first:%B %Y}"
    if first.year == last.year:
        return f"{first:%B} to {last:%B %Y}"
    return f"{first:%B %Y} to {last:%B %Y}"


def capitalise(s: str) -> str:
    return s[:1].upper() + s[1:]


# -- comparisons ---------------------------------------------------------------------------------
def describe_change(
    subject: str,
    value: float | None,
    previous: float | None,
    significant: bool | None,
    fmt: Formatter = plain,
    *,
    against: str = "in the previous period",
    good: str | None = None,
) -> str | None:
    """One sentence comparing a figure with an earlier one.

    Parameters
    ----------
    subject
        What the figure is, e.g. "999 call attrition".
    value, previous
        The figure and the one it is compared with (``None`` -> no comparison is claimed).
    significant
        The engine's flag: False -> "stable"; True -> a rise or fall; None -> no test applied.
    against
        Where the earlier figure sits, with its preposition ("in the previous period",
        "at the end of July 2022").
    good
        "up" or "down" if that direction is an improvement (words it "improved/deteriorated"
        only when the change is significant).

    Examples
    --------
    >>> describe_change("Recorded crime", 44631, 43926, False)
    'Recorded crime held broadly stable, from 43,926 in the previous period to 44,631.'
    >>> describe_change("Recorded crime", 40000, 44000, True)
    'Recorded crime fell from 44,000 in the previous period to 40,000.'
    """
    if value is None:
        return None
    now = say(value, fmt)
    if previous is None:
        return f"{capitalise(subject)} stood at {now}."
    before = say(previous, fmt)
    if is_suppressed(value) or is_suppressed(previous):
        return f"{capitalise(subject)} stood at {now} ({before} {against})."
    if value == previous or now == before:
        return f"{capitalise(subject)} stood unchanged at {now} (as {against})."
    up = value > previous
    if significant is False:
        return f"{capitalise(subject)} held broadly stable, from {before} {against} to {now}."
    verb = "rose" if up else "fell"
    if significant is True:
        judged = ""
        if good in ("up", "down"):
            judged = ", an improvement" if (good == "up") == up else ", a deterioration"
        return f"{capitalise(subject)} {verb} from {before} {against} to {now}{judged}."
    return f"{capitalise(subject)} {verb} from {before} {against} to {now}."


def series_sentence(
    subject: str,
    months: Sequence[date],
    values: Sequence[float | None],
    fmt: Formatter = plain,
) -> str | None:
    """How a figure moved month by month across the period, stated as facts from the table.

    >>> from datetime import date
    >>> series_sentence("Online crime reports", [date(2022, 8, 1), date(2022, 9, 1),
    ...     date(2022, 10, 1)], [3786, 3994, 4832])
    'Online crime reports rose in each month, from 3,786 in August to 4,832 in October 2022.'
    """
    pairs = [(m, v) for m, v in zip(months, values, strict=True) if v is not None]
    if len(pairs) < 2:
        return None
    (m0, v0), (m1, v1) = pairs[0], pairs[-1]
    first = f"{m0:%B}" if m0.year == m1.year else f"{m0:%B %Y}"
    if any(is_suppressed(v) for _, v in pairs):
        # a withheld month has no direction: state each month as the table does
        each = [f"{say(v, fmt)} in {m:%B}" for m, v in pairs]
        return f"{capitalise(subject)} stood at {join_words(each)} {m1.year}."
    steps = [b[1] - a[1] for a, b in zip(pairs, pairs[1:], strict=False)]
    span = f"from {fmt(v0)} in {first} to {fmt(v1)} in {m1:%B %Y}"
    if all(s > 0 for s in steps):
        return f"{capitalise(subject)} rose in each month, {span}."
    if all(s < 0 for s in steps):
        return f"{capitalise(subject)} fell in each month, {span}."
    if all(s == 0 for s in steps):
        return f"{capitalise(subject)} stood at {fmt(v0)} in each month."
    if len(pairs) <= 4:
        # up and down: each month in time order, as the table reads
        one_year = m0.year == m1.year
        each = [
            f"{fmt(v)} in {m:%B %Y}" if (m == m1 or not one_year) else f"{fmt(v)} in {m:%B}"
            for m, v in pairs
        ]
        return f"{capitalise(subject)} stood at {join_words(each)}."
    hi = max(pairs, key=lambda p: p[1])
    lo = min(pairs, key=lambda p: p[1])
    first_, second = sorted([("a low", lo), ("a high", hi)], key=lambda x: x[1][0])
    return (
        f"{capitalise(subject)} reached {first_[0]} of {fmt(first_[1][1])} in "
        f"{first_[1][0]:%B %Y} and {second[0]} of {fmt(second[1][1])} in {second[1][0]:%B %Y}."
    )


# -- benchmarks ----------------------------------------------------------------------------------
def benchmark_text(value: float, unit: str) -> str:
    """A benchmark as a board writes it: 2.0 percent -> '2%', 90.5 -> '90.5%'."""
    s = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{s}%" if unit == "percent" else s


def benchmark_sentence(
    subject: str,
    value_text: str,
    met: bool,
    benchmark_label: str,
    benchmark_value_text: str,
    *,
    met_before: bool | None = None,
) -> str:
    """'The overall financial year calls attrition is 1.37%, which remains within the
    aspirational national benchmark of 2%'.

    "Remains" is used only when the earlier position was also within the benchmark; a figure
    outside it says so plainly.

    >>> s = benchmark_sentence("The overall financial year calls attrition", "1.37%", True,
    ...     "aspirational national benchmark", "2%", met_before=True)
    >>> s.endswith("is 1.37%, which remains within the aspirational national benchmark of 2%.")
    True
    """
    if met:
        verb = "remains" if met_before else "is"
        where = "within"
    else:
        verb = "remains" if met_before is False else "is"
        where = "outside"
    return (
        f"{capitalise(subject)} is {value_text}, which {verb} {where} the {benchmark_label} "
        f"of {benchmark_value_text}."
    )


# -- records -------------------------------------------------------------------------------------
def record_since(
    series: dict[date, float], month: date, direction: str = "low"
) -> tuple[date | None, bool]:
    """For ``month``'s value, the last earlier month that was strictly lower (or higher).

    Returns ``(that month, True)``, or ``(None, True)`` when no earlier month beats it (a record
    since records began), or ``(None, False)`` when ``month`` is not in ``series``.
    """
    if month not in series or is_suppressed(series[month]):
        return None, False
    v = series[month]
    earlier = [(m, x) for m, x in series.items() if m < month]
    # a withheld earlier month may have beaten it: count it as one, so no record is overclaimed
    beats = [m for m, x in earlier if is_suppressed(x) or (x < v if direction == "low" else x > v)]
    return (max(beats) if beats else None), True


@dataclass(frozen=True)
class Record:
    """Months of the period that set a record, and the month they are the lowest since
    (``since is None``: the lowest since records began in ``first``)."""

    months: tuple[date, ...]
    since: date | None
    first: date
    direction: str = "low"


def find_record(
    series: dict[date, float],
    months: Sequence[date],
    *,
    direction: str = "low",
    min_gap_months: int = 12,
) -> Record | None:
    """The record the period's months set, if any.

    A month counts when no month in at least ``min_gap_months`` before it beat it; months
    sharing the same "since" are grouped, and the group with the longest record leads.
    """
    if not series:
        return None
    first = min(series)
    groups: dict[date | None, list[date]] = {}
    for m in months:
        since, present = record_since(series, m, direction)
        if not present:
            continue
        gap_from = since if since is not None else first
        if (m.year - gap_from.year) * 12 + m.month - gap_from.month < min_gap_months:
            continue  # too recent a lower month, or too little history, to call it a record
        groups.setdefault(since, []).append(m)
    if not groups:
        return None
    since = min(groups, key=lambda d: d or date.min)
    return Record(tuple(groups[since]), since, first, direction)


def record_sentence(
    series: dict[date, float],
    months: Sequence[date],
    *,
    direction: str = "low",
    min_gap_months: int = 12,
) -> str | None:
    """'September and October 2022 were the lowest months on record since February 2015'.

    >>> from datetime import date
    >>> s = {date(2015, 2, 1): 58, date(2015, 10, 1): 66, date(2022, 8, 1): 73,
    ...      date(2022, 9, 1): 64, date(2022, 10, 1): 64}
    >>> record_sentence(s, [date(2022, 8, 1), date(2022, 9, 1), date(2022, 10, 1)])
    'September and October 2022 were the lowest months on record since February 2015.'
    """
    rec = find_record(series, months, direction=direction, min_gap_months=min_gap_months)
    return None if rec is None else describe_record(rec)


def describe_record(rec: Record) -> str:
    """The sentence for a :class:`Record`."""
    word = "lowest" if rec.direction == "low" else "highest"
    plural = len(rec.months) > 1
    subject = months_phrase(rec.months)
    were = "were" if plural else "was"
    noun = "months" if plural else "month"
    if rec.since is None:
        return f"{subject} {were} the {word} {noun} on record (records begin in {rec.first:%B %Y})."
    return f"{subject} {were} the {word} {noun} on record since {rec.since:%B %Y}."


# -- averages ------------------------------------------------------------------------------------
def per_month_phrase(value: float | None, noun: str) -> str | None:
    """'an average of 78 detentions a month' (whole numbers, rounded half up)."""
    if value is None or is_suppressed(value):
        return None
    return f"an average of {round_half_up(value):,} {noun} a month"


def board_number(v: float) -> str:
    """An average as a board writes it: one decimal place, none when it is whole
    (94.5 stays 94.5, 145.0 is 145, 170.83 is 170.8).

    >>> [board_number(x) for x in (94.5, 145.0, 2050 / 12, 1234.56)]
    ['94.5', '145', '170.8', '1,234.6']
    """
    r = round_half_up(v, 1)
    return f"{r:,.0f}" if float(r).is_integer() else f"{r:,.1f}"


def implausible_change(value: float | None, previous: float | None, limit: float = 1.8) -> bool:
    """Whether a count moved by more than ``limit`` times (up or down) between two periods.

    A force's volumes do not nearly halve or double from one period to the next; a jump that
    large says the records of one period are incomplete, so it is not narrated. (Real falls
    are smaller: s.136 detentions fell by 35% in a year after the new approach.)

    >>> implausible_change(81219, 40258), implausible_change(44631, 43926)
    (True, False)
    """
    if value is None or previous is None or is_suppressed(value) or is_suppressed(previous):
        return False
    if value <= 0 or previous <= 0:
        return value != previous and max(value, previous) >= 20
    ratio = value / previous
    return ratio > limit or ratio < 1 / limit


def averages_sentence(noun: str, by_label: Sequence[tuple[str, float]]) -> str | None:
    """'The average number of detentions a month in FY2019/20, FY2020/21 and FY2021/22 was
    170.8, 145.4 and 94.5 respectively.' Rounded as the board rounds (94.5 stays 94.5)."""
    if not by_label:
        return None
    labels = join_words([label for label, _ in by_label])
    values = join_words([say(v, board_number) for _, v in by_label])
    tail = " respectively" if len(by_label) > 1 else ""
    return f"The average number of {noun} a month in {labels} was {values}{tail}."
