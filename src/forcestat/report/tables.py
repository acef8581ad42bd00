"""Tables rendered with Great Tables into accessible HTML.

Cells arrive already formatted (``TableSpec``); Great Tables lays them out, with ``<th
scope="col">`` column headers and ``<th scope="row">`` row labels, and this module adds a real
``<caption>`` so a screen reader announces what the table is.
"""

from __future__ import annotations

import html
import re

import pandas as pd
from great_tables import GT, loc, style

from .spec import TableSpec

STUB = "__stub__"
KEEP_TOGETHER_ROWS = 18
_TABLE_OPEN = re.compile(r"(<table\b[^>]*>)")


def _frame(spec: TableSpec) -> pd.DataFrame:
    data: dict[str, list[str]] = {STUB: [label for label, _ in spec.rows]}
    for i, col in enumerate(spec.columns):
        data[col] = [cells[i] for _, cells in spec.rows]
    return pd.DataFrame(data)


def table_html(spec: TableSpec) -> str:
    """``spec`` as a self-contained HTML fragment (its own scoped ``<style>`` and a caption)."""
    df = _frame(spec)
    gt = (
        GT(df, rowname_col=STUB, id=spec.id or None)
        .tab_stubhead(label=spec.stub_header)
        .cols_align("right" if spec.align == "right" else "left", columns=list(spec.columns))
        .tab_options(
            # a month a column over a long period: smaller type so it fits the page
            table_font_size="7pt"
            if len(spec.columns) > 8
            else ("8.5pt" if spec.compact else "9.5pt"),
            data_row_padding="2px" if spec.compact else "4px",
            column_labels_font_weight="bold",
            column_labels_background_color="#e8edf4",
            table_border_top_color="#1d3557",
            table_border_top_width="2px",
            table_width="100%",
            stub_border_style="solid",
            container_padding_y="0px",
        )
    )
    if spec.total_rows:
        first_total = len(spec.rows) - spec.total_rows
        gt = gt.tab_style(
            style=[style.text(weight="bold"), style.fill(color="#f3f5f8")],
            locations=[
                loc.body(rows=list(range(first_total, len(spec.rows)))),
                loc.stub(rows=list(range(first_total, len(spec.rows)))),
            ],
        )
    if spec.note:
        gt = gt.tab_source_note(spec.note)
    out = gt.as_raw_html()
    if len(spec.rows) > KEEP_TOGETHER_ROWS:
        # long tables may break across pages (short ones are kept whole by the stylesheet)
        out = out.replace('class="gt_table"', 'class="gt_table fs-long"', 1)
    caption = f'<caption class="fs-caption">{html.escape(spec.caption)}</caption>'
    return _TABLE_OPEN.sub(lambda m: m.group(1) + caption, out, count=1)
