"""Generate docs/measures.md from the catalogue (a test checks the file is up to date).

Run ``python -m forcestat.measures.docs docs/measures.md`` after changing a measure.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .base import (
    Count,
    Distinct,
    Expr,
    GroupsWithAtLeast,
    Headcount,
    Mean,
    Median,
    OfMonths,
    Ratio,
    Sum,
)
from .benchmarks import load_benchmarks
from .catalogue import CATALOGUE, FAMILIES

INTRO = """# Measures

<!-- Generated from the catalogue by `python -m forcestat.measures.docs docs/measures.md`;
     tests/test_measures_engine.py fails when this file is out of date. Do not edit by hand. -->

Every figure of the board report is one entry in `forcestat.measures.CATALOGUE`, computed from
records by `forcestat measures` (CLI) or `forcestat.measures.evaluate` (Python) for any period:
a month (`2022-08`), a financial quarter (`FY2022/23 Q2`), a financial year (`FY2022/23`), a
year to date (`FY2022/23 to 2022-10`), a range (`2022-08..2022-10`), rolling 12 months
(`R12 2022-10`) or a single day (`2022-10-31`): a day counts the records of that Europe/London
day (a headcount is taken on it); figures defined by month (a monthly average) say so and have
no value for a day. Periods read and print for every year from 1 to 9999.

Conventions that hold for every measure:

- A record belongs to the Europe/London calendar month of its time column (the store's `month`
  column), so a call at 23:30 UTC on 31 March 2022 (00:30 BST, 1 April) is an April call.
- Values are plain numbers in the measure's unit: percentages as 31.97 (not 0.3197),
  durations in seconds. Tables print them as people read them: `35,634`, `1.16%`, `5m 49s`.
- A period outside the stored span of a measure's source table has no value (`n/a`, with the
  reason in the `note` column), not zero. police.uk figures are missing for any month without a
  police.uk file. A store with no records of a measure's kind gives `n/a`, never 0.
- Each value comes with the previous period (the month before; for a year to date, the year to
  date a month shorter), the same period last year, the change and % change, a significance
  flag on counts (exact Poisson test; two-proportion test for percentages of counts; XmR
  process limits for monthly series in the NHS "Making Data Count" manner), a record
  ("lowest since February 2015 (58)") and, where one exists, a benchmark status.
- A change of a percentage is in percentage points (`+0.81pp`; `change_unit` is `pp` in CSV
  and JSON), never a % change of a percentage.
- Only periods that do not overlap are tested: a year to date against the year to date a month
  shorter shares its months, so it gets no test, and the note says why. Averages (queue and
  talk times), sums of hours and headcounts are "not tested", with the reason in the note.
- `significant` is about the change on the previous period (p < 0.05); `significance_note`
  gives both tests and, for a month with at least 12 months before it, where it sits on an XmR
  chart of up to 24 earlier months (mean +/- 2.66 x mean moving range; a special cause is a
  month outside the limits, 7 months in a row on one side of the mean, or 7 months each
  higher or lower than the last).
- Records name the last period that was lower (higher), and need at least 12 earlier months
  (or 2 earlier years) to be stated; a tie with the lowest is a "joint" record.

## Using them

```console
$ forcestat measures --period 2022-08..2022-10 --grain month --measure calls_999_received
$ forcestat measures --period "FY2022/23 to 2022-10" --measure contact --format csv
$ forcestat measures --period 2022-08..2022-10 --measure policeuk_crimes --by crime_type
$ forcestat measures --period 2022-08..2022-10 -m policeuk_crimes --by lsoa_code --grain month
$ forcestat measures --period 2022-08 --all        # also the measures with no data, and why
$ forcestat measures --list
$ forcestat check-published published.csv     # exit 1 when figures contradict each other
```

```python
from forcestat.measures import evaluate, series, breakdown
df = evaluate(store, ["s136_detentions"], "2022-08..2022-10", grain="month")
monthly = series(store, "calls_101_pct_not_answered", "2021-04", "2022-10")
by_type = breakdown(store, "policeuk_crimes", "2022-08..2022-10", "crime_type")
```

## How they are computed

Each source table costs one aggregate query grouped by month (and by the columns measures
slice it by, such as the channel): the 20 call measures for any number of periods are one
scan of `calls`. Periods, their comparisons and the history behind records are sums of those
monthly partial aggregates. Distinct counts, "vehicles with 4 or more detections" and
headcounts at a date cannot be summed across months and cost one query per period.

## Adding a measure

Add a `Measure` to the family module in `src/forcestat/measures/` (for example
`crime.py`): a key, a label, a unit, the source table, an aggregate (`Count`, `Sum`, `Mean`,
`Ratio`, `OfMonths`, `Distinct`, `GroupsWithAtLeast`, `Headcount`, `Median`) over named Ibis
expressions, and its definition in words. Then regenerate this page with
`python -m forcestat.measures.docs docs/measures.md`. No engine code changes.

## Relations and disclosure control

`forcestat.measures.relations` answers, for any measure, what its value is and how it relates
to others. Nothing in it is a list kept by hand: it reads each measure's aggregate, and the
*splits* each family states once (`Split(whole, parts)`: answered and not answered calls are
every call; the queue-time bands are the answered calls; every CPV has exactly one role).

- **Kind and unit**: count, sum, mean, ratio, monthly mean/min/max, distinct count, groups
  with at least n rows, headcount at a date. Counts and sums add up over months; the rest do
  not.
- **What a figure reveals**: a ratio's numerator and denominator (as sums of measures:
  `cancelled_crime_pct`'s base is `recorded_crime + cancelled_crime`), a mean's count, the
  total behind a monthly mean. Found by matching aggregates, so a new ratio such as
  100 x abandoned / all chats is known to reveal `live_chats_abandoned` and `live_chats`
  without anyone saying so.
- **Identities**: `whole = sum of parts` wherever a split's parts are all measures
  (`calls_999_received = calls_999_answered + calls_999_not_answered`, the CPVs = the ten
  roles). **Subsets**: a part is at most its whole (letters sent of over-limit detections,
  independent specials of specials, vehicles seen 5 or more times of those seen 4).

Each measure below lists its relations. Suppression, `check-published`, the report's figure
collection and synth's targets ask this module.

**Disclosure control** (`forcestat.measures.disclosure.protect`, used by the report's public
edition and available to any public output) takes every figure an output prints, including the
comparison periods beside them, and:

1. marks each count from 1 to 4 `<5` (zero is published);
2. withholds (`[c]`) each ratio or monthly average that reveals a withheld or small count, and
   each mean over 1 to 4 records;
3. audits the result: all printed figures become one set of linear relations (a range is the
   sum of its months, the identities and subsets above, a printed percentage `r` to d places
   bounds `numerator / denominator` within half a unit of the last place, a monthly average
   bounds its total); `<5` means 1 to 4 and `[c]` on a count means 5 or more (it is never
   given to a smaller count). For every withheld count, the HiGHS LP solver (`highspy`) finds the
   smallest and largest value a reader could work out;
4. withholds one more related figure (a ratio or average first, then a related count, then a
   total containing it) while a `<5` cell can be narrowed below "1 to 4", and audits again,
   until none can or nothing related is left to withhold.

The documented protection interval: no withheld count may be pinned to less than 1 wide (two
whole values at least); the report refuses to publish if the audit finds one. Where every
figure of a relation is small (three months of 1, 1 and 2 under a total of 4, all `<5`) a month
stays within 1 to 2: protected, though narrower than its mark. The interval is
the LP relaxation (counts need not be whole numbers), which can only be wider than what whole
numbers allow; the property tests check small cases by counting.

## Checking published figures

`forcestat check-published FILE` reads figures in the `section,measure,period,value,unit,note`
format and lists, in plain words, every internal inconsistency: totals that differ from their
published months; percentages that do not match their published counts at the printed
precision (and which definition fits); received not equal to answered plus not answered;
averages that match their totals only by truncation or not at all; parts larger than their
whole; year-to-date pairs that imply implausible or impossible values for the unpublished
months, with the implied range. Figures whose period it cannot place (`national`) or that have
nothing to be checked against are listed as not checked.
"""


def _aggregate_text(agg: object) -> str:
    def w(e: Expr | None) -> str:
        return f" where {e.text}" if e is not None and e.text else ""

    if isinstance(agg, Count):
        return f"count of rows{w(agg.where)}"
    if isinstance(agg, Sum):
        return f"sum of {agg.value.text}{w(agg.where)}"
    if isinstance(agg, Mean):
        return f"mean of {agg.value.text}{w(agg.where)}"
    if isinstance(agg, Ratio):
        num, den = _aggregate_text(agg.numerator), _aggregate_text(agg.denominator)
        return f"{agg.scale:g} x ({num}) / ({den})"
    if isinstance(agg, OfMonths):
        return f"{agg.how} of the monthly values of `{agg.of}`"
    if isinstance(agg, Distinct):
        return f"distinct {agg.value.text}{w(agg.where)} (one query per period)"
    if isinstance(agg, GroupsWithAtLeast):
        return f"vehicles with at least {agg.n} rows{w(agg.where)} (one query per period)"
    if isinstance(agg, Headcount):
        return f"headcount at the period's last day{w(agg.where)} (one query per period)"
    if isinstance(agg, Median):
        return f"median of {agg.value.text}{w(agg.where)} (one query per period)"
    return type(agg).__name__


def _relation_lines(key: str) -> list[str]:
    from .relations import identities, relations_of, within

    r = relations_of(key)

    def combo(c: tuple[tuple[str, int], ...]) -> str:
        return " + ".join(f"`{k}`" if n == 1 else f"{n} x `{k}`" for k, n in c)

    out = []
    if r.kind == "ratio" and r.numerator and r.denominator:
        out.append(f"- Reveals: {combo(r.numerator)} over {combo(r.denominator)}")
    elif r.reveals:
        out.append(f"- Reveals: {', '.join(f'`{k}`' for k in r.reveals)}")
    for i in identities():
        if i.whole == key:
            out.append(f"- Identity: `{key}` = {' + '.join(f'`{p}`' for p in i.parts)}")
    wholes = [w for p, w in within() if p == key]
    if wholes:
        out.append(f"- At most: {', '.join(f'`{w}`' for w in wholes)}")
    return out


def render() -> str:
    """docs/measures.md as it should be for the current catalogue."""
    benchmarks = load_benchmarks()
    out = [INTRO]
    for family in FAMILIES:
        out.append(f"## {family.replace('_', ' ').capitalize()}\n")
        for m in (m for m in CATALOGUE.values() if m.family == family):
            out.append(f"### `{m.key}`\n")
            out.append(f"**{m.label}** ({m.unit}). {m.definition}\n")
            details = [
                f"- Source: `{', '.join(m.source.tables)}`"
                + (f" ({m.source.text})" if m.source.text not in m.source.tables else ""),
                f"- Computed as: {_aggregate_text(m.aggregate)}"
                + (f"; {', '.join(f'{c} = {v}' for c, v in m.slice)}" if m.slice else ""),
            ]
            if m.good:
                details.append(f"- Better when it goes {m.good}")
            if m.breakdowns:
                details.append(f"- Breakdowns: {', '.join(m.breakdowns)}")
            details += _relation_lines(m.key)
            if m.benchmark and m.benchmark in benchmarks:
                b = benchmarks[m.benchmark]
                details.append(f"- Benchmark: {b.label}. Source: {b.source}")
            out.append("\n".join(details) + "\n")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "docs/measures.md")
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
