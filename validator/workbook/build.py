"""Build the fill-in template (.xlsx) from the format data with XlsxWriter.

Everything in the template comes from :class:`~validator.spec.FormatSpec`: labels and merged
headers, input cells (unlocked, shaded, validated, named), live-check formulas with
conditional formatting, print setup. Two builds are byte-identical, so the committed
template can be compared with a fresh build.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from validator import __version__, results, textfit
from validator.formats.live import live_checks, live_marks
from validator.spec import FIGURE_KINDS, CellSpec, FormatSpec, SheetSpec, col_letter, split_ref
from validator.values import MAX_COUNT
from validator.workbook import styles

BUILD_TIME = dt.datetime(2021, 9, 29, 0, 0, 0)
"""Fixed document timestamp (the day 30号 was published): keeps builds byte-identical."""


Extension = Callable[[Any, dict[str, Any]], None]
"""Called with the XlsxWriter workbook and its sheets before closing: how ``addin`` adds the
VBA project, buttons and the xlwings.conf sheet without this core knowing about Excel macros."""


def template_bytes(fmt: FormatSpec, extend: Extension | None = None) -> bytes:
    buffer = io.BytesIO()
    build_template(fmt, buffer, extend)
    return buffer.getvalue()


def build_template(fmt: FormatSpec, target: str | Path | io.BytesIO, extend: Extension | None = None) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(target if isinstance(target, io.BytesIO) else str(target), {"in_memory": True})
    wb.set_properties(
        {
            "title": "政府信息公开工作年度报告 数据填报模板",
            "subject": fmt.name,
            "author": "xxgk-report",
            "company": "",
            "comments": f"format={fmt.id}; template={fmt.template_version}; generator=xxgk-report {__version__}",
            "created": BUILD_TIME,
        }
    )
    wb.set_custom_property("xxgk_format", fmt.id)
    wb.set_custom_property("xxgk_template_version", str(fmt.template_version))
    f = styles.xlsxwriter_formats(wb)
    sheets = {spec.name: _add_sheet(wb, spec, _grows(fmt, spec), _text_rows(fmt, spec)) for spec in fmt.sheets}
    sheets[fmt.results_sheet].repeat_rows(0, fmt.results_header_row - 1)

    fixed = {(s.name, r - 1) for s in fmt.sheets for r, _h in s.row_heights}
    for (sheet, row), height in label_row_heights(fmt).items():
        if (sheet, row) not in fixed:  # set with the sheet
            sheets[sheet].set_row(row, height)
    for (sheet, row), height in _live_check_heights(fmt).items():
        sheets[sheet].set_row(row, height)
    for label in fmt.labels:
        ws = sheets[label.sheet]
        fmt_ = f[label.style]
        if label.merge_to:
            ws.merge_range(f"{label.ref}:{label.merge_to}", label.text, fmt_)
        else:
            ws.write_string(label.ref, label.text, fmt_)

    for cell in (*fmt.cells, *fmt.baseline_cells):
        _input_cell(wb, sheets[cell.sheet], cell, f)
    _validations(fmt, sheets)

    for check in live_checks(fmt):
        ws = sheets[check.sheet]
        ws.write_formula(check.ref, check.formula, f["check"], check.initial)
        bad = f["bad"] if check.severity == "error" else f["doubtful"]
        ws.conditional_format(check.ref, {"type": "formula", "criteria": check.bad_when, "format": bad})
    for mark in live_marks(fmt):
        sheets[mark.sheet].conditional_format(
            mark.ref, {"type": "formula", "criteria": mark.when, "format": f["suspect"]}
        )

    _text_marks(fmt, sheets, f)
    _legend(fmt, sheets[fmt.sheets[0].name], f)

    for sheet, ref in (fmt.marker_cell, fmt.version_cell):
        value = fmt.id if (sheet, ref) == fmt.marker_cell else fmt.template_version
        sheets[sheet].write(ref, value, f["fixed"])
    sheet, ref = fmt.status_cell
    if fmt.status_merge_to:
        sheets[sheet].merge_range(f"{ref}:{fmt.status_merge_to}", "未校验", f["fixed"])
    else:
        sheets[sheet].write_string(ref, "未校验", f["fixed"])
    _results_columns(sheets[fmt.results_sheet], f)
    sheets[fmt.sheets[0].name].activate()
    if extend is not None:
        extend(wb, sheets)
    wb.close()


def _results_columns(ws, f: dict) -> None:
    """校验结果: the 情况说明 column unlocked for staff, the key column hidden, the others
    wrapped at the top (what the Excel button writes there wraps, and Excel fits the row)."""
    for i, c in enumerate(results.COLUMNS):
        letter = col_letter(i)
        if c.name in results.EDITABLE:
            ws.set_column(f"{letter}:{letter}", c.width, f["explain"])
        elif c.name in results.HIDDEN:
            ws.set_column(f"{letter}:{letter}", c.width, None, {"hidden": True})
        else:
            ws.set_column(f"{letter}:{letter}", c.width, f["result"])
    ws.write_blank(results.SUMMARY_CELL, None, f["summary"])  # one line across the columns, not wrapped in A


def label_row_heights(fmt: FormatSpec) -> dict[tuple[str, int], float]:
    """(sheet, 0-based row) -> height, for every row of the format's sheets that needs one: the
    sheets' own row heights, and one-row labels that wrap (XlsxWriter cannot autofit). The
    template and the 汇总 workbook's tables take their heights from here."""
    widths = {s.name: dict(s.column_widths) for s in fmt.sheets}
    needed: dict[tuple[str, int], float] = {}
    for label in fmt.labels:
        top, left = split_ref(label.ref)
        bottom, right = split_ref(label.merge_to or label.ref)
        if bottom != top:
            continue
        width = sum(widths[label.sheet].get(col_letter(c), textfit.DEFAULT_WIDTH) for c in range(left, right + 1))
        if textfit.line_count(label.text, width) > 1:
            key = (label.sheet, top)
            needed[key] = max(needed.get(key, 0), textfit.row_height(label.text, width))
    needed.update({(s.name, r - 1): h for s in fmt.sheets for r, h in s.row_heights})
    return needed


CHECK_LINE_HEIGHT = 12.0
"""One line of a live check's 9-point text."""


def _live_check_heights(fmt: FormatSpec) -> dict[tuple[str, int], float]:
    """Rows of live checks whose verdict wraps in its column (表三's column checks under 9-wide
    columns): tall enough for the longest verdict, which Excel would otherwise clip to one line
    (a formula's new result never grows its row). A row with a fixed or an input height is kept."""
    widths = {s.name: dict(s.column_widths) for s in fmt.sheets}
    fixed = {(s.name, r - 1) for s in fmt.sheets for r, _h in s.row_heights}
    inputs = {(c.sheet, split_ref(c.ref)[0]) for c in (*fmt.cells, *fmt.baseline_cells)}
    labels = label_row_heights(fmt)
    out: dict[tuple[str, int], float] = {}
    for check in live_checks(fmt):
        row, col = split_ref(check.ref)
        key = (check.sheet, row)
        if key in fixed or key in inputs:
            continue
        width = widths[check.sheet].get(col_letter(col), textfit.DEFAULT_WIDTH)
        lines = -(-round(textfit.text_width(check.longest) * 9 / 10.5) // max(int(width) - 1, 1))
        if lines > 1:
            out[key] = max(out.get(key, 0), labels.get(key, 0), lines * CHECK_LINE_HEIGHT + 4)
    return out


PORTRAIT_WIDTH = 95
"""Column units an A4 portrait page holds at 100 % between 0.5-inch margins. A wider sheet
prints landscape: fit-to-width would shrink the cover to about 5 pt and LibreOffice does not
shrink the 文字部分 page at all (its text ran off the paper)."""


def _print_width(spec: SheetSpec) -> float:
    return sum(width for _col, width in spec.column_widths)


def _grows(fmt: FormatSpec, spec: SheetSpec) -> bool:
    """Sheets whose length depends on what is written (校验结果, 文字部分) may take several
    pages; the tables have a fixed size and print on one page each, header included."""
    return spec.name == fmt.results_sheet or bool(_text_rows(fmt, spec))


def _text_rows(fmt: FormatSpec, spec: SheetSpec) -> list[int]:
    """0-based rows of the sheet's 文字部分 cells (each part's heading is the row above)."""
    return sorted(split_ref(c.ref)[0] for c in fmt.cells if c.sheet == spec.name and c.kind == "longtext")


@cache
def _sheet_class() -> type:
    """A worksheet whose ``auto_rows`` (1-based numbers, as text) are written as Excel and
    LibreOffice store a row they fitted to its text: with a height, without ``customHeight``.

    A 文字部分 row is such a row, 409 pt (the most one row prints) while empty: typed text makes
    Excel, WPS and LibreOffice fit the row to it, while text a program writes (which no
    spreadsheet program fits on opening) still prints whole up to 409 pt. XlsxWriter writes
    ``customHeight`` with every height, so it is dropped here as the row tag is written (a
    class made on first use: XlsxWriter is imported lazily).
    """
    from xlsxwriter.worksheet import Worksheet

    class AutoHeightRows(Worksheet):
        auto_rows: frozenset[str] = frozenset()

        def _xml_start_tag_unencoded(self, tag, attributes=[]) -> None:  # noqa: B006 - XlsxWriter's signature
            if tag == "row" and self.auto_rows and str(attributes[0][1]) in self.auto_rows:
                attributes = [(k, v) for k, v in attributes if k != "customHeight"]
            super()._xml_start_tag_unencoded(tag, attributes)

    return AutoHeightRows


def _add_sheet(wb, spec: SheetSpec, grows: bool = False, text_rows: list[int] | None = None):
    """A sheet with its widths, heights and print setup. A sheet of 文字部分 parts prints at
    100 % with each part from a new page, so a heading never ends a page without its text
    (Excel ignores page breaks on a sheet set to fit the page)."""
    ws = wb.add_worksheet(spec.name, worksheet_class=_sheet_class())
    for col, width in spec.column_widths:
        ws.set_column(f"{col}:{col}", width)
    for row, height in spec.row_heights:
        ws.set_row(row - 1, height)
    ws.set_paper(9)  # A4
    if spec.landscape or _print_width(spec) > PORTRAIT_WIDTH:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if text_rows:
        for row in text_rows:
            ws.set_row(row, textfit.MAX_ROW_HEIGHT)
        ws.auto_rows = frozenset(str(row + 1) for row in text_rows)
        ws.set_h_pagebreaks([row - 1 for row in text_rows[1:]])
    else:
        ws.fit_to_pages(1, 0 if grows else 1)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    ws.set_header(f"&C&14{spec.title}")
    ws.set_footer("&C第 &P 页，共 &N 页")
    if spec.protected:
        ws.protect(
            "",
            {"format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True},
        )
    if spec.hidden:
        ws.hide()
    if spec.freeze:
        ws.freeze_panes(*spec.freeze)
    return ws


def _input_cell(wb, ws, cell: CellSpec, f: dict) -> None:
    style = f[f"in_{cell.kind}"]
    if cell.merge_to:
        ws.merge_range(f"{cell.ref}:{cell.merge_to}", None, style)
    else:
        ws.write_blank(cell.ref, None, style)
    sheet = cell.sheet.replace("'", "''")
    row, col = split_ref(cell.ref)
    wb.define_name(cell.defined_name, f"='{sheet}'!${col_letter(col)}${row + 1}")


def _dv(fmt: FormatSpec) -> dict[str, dict]:
    """Excel's own input checks; the year and date floors are the format's first year."""
    first = fmt.first_year
    return {
        **_DV,
        "year": {**_DV["year"], "minimum": first},
        "date": {**_DV["date"], "minimum": dt.date(first + 1, 1, 1)},
    }


_DV = {
    "count": {
        "validate": "integer",
        "criteria": "between",
        "minimum": 0,
        "maximum": MAX_COUNT,
        "error_title": "请填写件数",
        "error_message": "这里填非负整数（件数），没有数据请填 0。",
    },
    "signed": {
        "validate": "integer",
        "criteria": "between",
        "minimum": -MAX_COUNT,
        "maximum": MAX_COUNT,
        "error_title": "请填写增减数",
        "error_message": "这里填整数，减少填负数，没有变化填 0。",
    },
    "money": {
        "validate": "decimal",
        "criteria": ">=",
        "value": 0,
        "error_title": "请填写金额",
        "error_message": "这里填非负数，单位万元，可带小数；没有收费请填 0。",
    },
    "year": {
        "validate": "integer",
        "criteria": "between",
        "minimum": 2021,
        "maximum": 2100,
        "error_title": "请填写年度",
        "error_message": "填写报告所属年度的四位数字，如 2024。",
    },
    "date": {
        "validate": "date",
        "criteria": "between",
        "minimum": dt.date(2022, 1, 1),
        "maximum": dt.date(2100, 12, 31),
        "error_title": "请填写日期",
        "error_message": "填写发布日期，如 2025-01-20。",
    },
}


def _runs(cells) -> dict[tuple[str, int], list[tuple[int, int]]]:
    """(sheet, row) -> [(first col, last col)] of adjacent cells: one range instead of many."""
    cols: dict[tuple[str, int], list[int]] = defaultdict(list)
    for cell in cells:
        row, col = split_ref(cell.ref)
        cols[(cell.sheet, row)].append(col)
    out: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for key, found in cols.items():
        found.sort()
        spans = [[found[0], found[0]]]
        for col in found[1:]:
            if col == spans[-1][1] + 1:
                spans[-1][1] = col
            else:
                spans.append([col, col])
        out[key] = [(a, b) for a, b in spans]
    return out


def _legend(fmt: FormatSpec, ws, f: dict) -> None:
    """The colour key two rows below the first sheet's last label (not a label: the reader
    does not depend on it)."""
    first = fmt.sheets[0].name
    last = max(split_ref(lb.merge_to or lb.ref)[0] for lb in fmt.labels if lb.sheet == first)
    row = last + 2
    ws.write_string(row, 0, "颜色说明", f["subtitle"])
    for i, (kind, text) in enumerate(styles.LEGEND, 1):
        ws.write_string(row + i, 0, "", f[f"legend_{kind}"])
        ws.merge_range(row + i, 1, row + i, 3, text, f["label"])


def _text_marks(fmt: FormatSpec, sheets: dict, f: dict) -> None:
    """Figure cells holding text turn yellow: Excel's sums skip text, and ``xxgk check`` warns
    about it (VAL-TEXT), so the sheet shows the same cells the tool reports."""
    figures = [c for c in (*fmt.cells, *fmt.baseline_cells) if c.kind in FIGURE_KINDS]
    for (sheet, row), spans in _runs(figures).items():
        for first, last in spans:
            top_left = f"{col_letter(first)}{row + 1}"
            sheets[sheet].conditional_format(
                row, first, row, last, {"type": "formula", "criteria": f"=ISTEXT({top_left})", "format": f["doubtful"]}
            )


def _validations(fmt: FormatSpec, sheets: dict) -> None:
    """One data-validation range per run of same-kind cells in a row, to keep the file small."""
    dv = _dv(fmt)
    runs: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for cell in (*fmt.cells, *fmt.baseline_cells):
        if cell.kind in dv:
            row, col = split_ref(cell.ref)
            runs[(cell.sheet, cell.kind, row)].append(col)
        elif cell.kind == "choice":
            sheets[cell.sheet].data_validation(
                cell.ref,
                {
                    "validate": "list",
                    "source": list(cell.choices),
                    "error_title": "请从下拉列表选择",
                    "error_message": "只能选择：" + "、".join(cell.choices),
                },
            )
    for (sheet, kind, row), cols in runs.items():
        cols.sort()
        start = prev = cols[0]
        following: list[int | None] = [*cols[1:], None]
        for nxt in following:
            if nxt is not None and nxt == prev + 1:
                prev = nxt
                continue
            sheets[sheet].data_validation(row, start, row, prev, dict(dv[kind]))
            if nxt is not None:
                start = prev = nxt
