"""The 汇总 workbook for the receiving office (XlsxWriter, streamed row by row).

Sheets: 报送情况 (one row per body and per unreadable file, coloured by status, linked to
its problems), 问题清单 (every finding, autofilter and frozen header), 汇总-表二/表三/表四
(each official table laid out as in the template, its own widths and heights: 全部单位 first,
then one block per 机关类型, each block on its own page), 分单位明细 (one row per body, every
figure a column headed by its official label). Findings are listed as in the terminal and the
annotated copy (:meth:`ValidationReport.rows`): a consequence of a located typo under its root,
counted once. Rows of wrapped text get their height (no program fits a row a program wrote).
Streaming (``constant_memory``) keeps 10,000 bodies × 230 figures within a few MB, so every
sheet is written strictly top to bottom; the zip is made in memory and written in one piece.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

from validator import textfit
from validator.collect.run import (
    DUPLICATE,
    FAILED,
    LATE,
    MISSING,
    PASSED,
    TOTAL,
    UNREADABLE,
    WARNED,
    WRONG_YEAR,
    Body,
    CollectResult,
)
from validator.fileio import atomic_write
from validator.formats import get_format
from validator.formats.live import live_checks
from validator.spec import col_letter, split_ref
from validator.workbook.build import label_row_heights

STATUS_COLOURS = {
    PASSED: "#C6EFCE",
    WARNED: "#FFEB9C",
    FAILED: "#FFC7CE",
    UNREADABLE: "#FF9999",
    MISSING: "#D9D9D9",
    DUPLICATE: "#F8CBAD",
    LATE: "#FCE4D6",
    WRONG_YEAR: "#E4DFEC",
}
SUMMARY_SHEET, FINDINGS_SHEET, DETAIL_SHEET = "报送情况", "问题清单", "分单位明细"
SUMMARY_HEADERS = (
    ("序号", 5),
    ("机关名称", 22),
    ("机关类型", 9),
    ("行政区划代码", 14),
    ("状态", 9),
    ("其他情况", 12),
    ("文件", 22),
    ("错误", 5),
    ("提示", 5),
    ("主要问题", 50),
    ("问题清单", 9),
)
"""(header, width): about 160 units, a landscape A4 page at 90 %."""
FINDING_HEADERS = (
    ("机关名称", 18),
    ("文件", 18),
    ("序号", 5),
    ("规则", 15),
    ("级别", 5),
    ("范围", 6),
    ("单元格", 13),
    ("问题", 42),
    ("连带", 12),
    ("应为", 8),
    ("现为", 8),
    ("情况说明", 20),
)
DETAIL_FIXED = (("机关名称", 30), ("机关类型", 8), ("行政区划代码", 13), ("状态", 10), ("计入汇总", 8), ("文件", 30))
DETAIL_WIDTH = 14
FIRST_PROBLEMS = 3


def write_collect_workbook(result: CollectResult, out: str | Path) -> None:
    def write(tmp: str) -> None:
        buffer = _ZipBuffer()
        _write(result, buffer)
        Path(tmp).write_bytes(buffer.getvalue())

    atomic_write(out, write)


class _ZipBuffer(io.BytesIO):
    """Where XlsxWriter zips the workbook (5 MB for 10,000 bodies). It opens the zip before it
    writes each sheet's part to a temporary file; when that fails (a full disk) the zip is left
    open, and its close by the garbage collector must find this buffer open, or Python prints a
    traceback: so it is never closed (it is only memory)."""

    def close(self) -> None:
        pass


def _write(result: CollectResult, path: str | io.BytesIO) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        path,
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    try:
        fmt = get_format(result.format_id)
        f = _formats(wb)
        summary = wb.add_worksheet(SUMMARY_SHEET)
        findings = wb.add_worksheet(FINDINGS_SHEET)
        tables = [(sheet, wb.add_worksheet(totals_name(sheet.name))) for sheet in _figure_sheets(fmt)]
        detail = wb.add_worksheet(DETAIL_SHEET)
        first_rows = _write_findings(findings, result, f)
        _write_summary(summary, result, f, first_rows)
        for sheet, ws in tables:
            _write_totals(ws, result, fmt, sheet, f)
        _write_detail(detail, result, f)
    finally:
        wb.close()


def totals_name(table: str) -> str:
    """The 汇总 sheet of one official table (``汇总-表三``)."""
    return f"汇总-{table}"


def _formats(wb) -> dict:
    base = {"font_name": "宋体", "font_size": 10.5, "valign": "vcenter"}

    def fmt(**kw):
        return wb.add_format({**base, **kw})

    out = {
        "title": fmt(bold=True, font_size=14),
        "note": fmt(font_color="#595959", font_size=9.5),
        "header": fmt(bold=True, align="center", text_wrap=True, fg_color="#D9E1F2", pattern=1, border=1),
        "text": fmt(text_wrap=True, valign="top", border=1),
        "cell": fmt(border=1, valign="top"),
        "number": fmt(border=1, align="center", num_format="0"),
        "money": fmt(border=1, align="center", num_format="General"),
        "label": fmt(border=1, text_wrap=True),
        "link": fmt(border=1, font_color="#0563C1", underline=1, valign="top"),
        "caption": fmt(bold=True, font_size=11, text_wrap=True, valign="top"),
        "remark": fmt(font_color="#595959", text_wrap=True, valign="top"),
    }
    for status, colour in STATUS_COLOURS.items():
        out[status] = fmt(border=1, bold=True, align="center", valign="top", fg_color=colour, pattern=1)
    return out


def _page(ws, header_rows: int, fit_width: bool = True) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape()
    if fit_width:
        ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    if header_rows:
        ws.repeat_rows(0, header_rows - 1) if header_rows > 1 else ws.repeat_rows(0)


DEFAULT_HEIGHT = 15.0
"""A row's height when none is set (XlsxWriter's default, which LibreOffice keeps)."""


def _height(values, widths) -> float | None:
    """The height a row of wrapped text needs, or None when every cell holds one line."""
    texts = [(str(v), w) for v, w in zip(values, widths) if isinstance(v, str) and v]
    if not any(textfit.line_count(t, w) > 1 for t, w in texts):
        return None
    return max(textfit.row_height(t, w, DEFAULT_HEIGHT) for t, w in texts)


def _text(ws, row: int, col: int, value: object, fmt) -> None:
    """Always as text: a body name such as ``=1+1`` must not become a formula. XlsxWriter's
    streaming mode copies a string shaped like ``<r>…</r>`` into the XML unescaped (as rich
    text); such a text goes in as three plain rich-text runs instead, escaped, shown as typed."""
    text = "" if value is None else str(value)
    if text.startswith("<r>") and text.endswith("</r>"):
        ws.write_rich_string(row, col, text[:1], text[1:2], text[2:], fmt)
    else:
        ws.write_string(row, col, text, fmt)


def _header(ws, row: int, headers, fmt) -> None:
    """Column widths and the header row, as tall as its longest label needs."""
    height = _height([h for h, _w in headers], [w for _h, w in headers])
    if height:
        ws.set_row(row, height)
    for col, (text, width) in enumerate(headers):
        ws.set_column(col, col, width)
        _text(ws, row, col, text, fmt)


def _versions(body: Body):
    return body.versions or body.wrong_year


def _write_findings(ws, result: CollectResult, f: dict) -> dict[int, int]:
    """问题清单, each file's findings as :meth:`ValidationReport.rows` lists them (numbered as
    in its annotated copy, a consequence under its root, naming it); returns each body's
    first row (by id) for the links from 报送情况."""
    _header(ws, 0, FINDING_HEADERS, f["header"])
    ws.freeze_panes(1, 0)
    _page(ws, 1)
    widths = [w for _h, w in FINDING_HEADERS]
    row = 1

    def put(values, severity: str) -> None:
        nonlocal row
        height = _height(values, widths)
        if height:
            ws.set_row(row, height)
        _row(ws, row, values, f, severity)
        row += 1

    first: dict[int, int] = {}
    for body in result.bodies:
        start = row
        for item in _versions(body):
            if item.report is None:
                continue
            rows = item.report.rows()
            follow = Counter(r.root.number for r in rows if r.root is not None)
            for r in rows:
                finding = r.finding
                linked = r.follows or (f"另有 {follow[r.number]} 条连带结果" if follow[r.number] else "")
                values = (
                    body.name,
                    item.rel,
                    r.number,
                    finding.rule,
                    finding.severity_zh,
                    finding.scope,
                    r.where,
                    finding.message,
                    linked,
                    _shown(finding.expected),
                    _shown(finding.actual),
                    finding.explanation or "",
                )
                put(values, finding.severity)
        for d in body.differences:
            shown = " ／ ".join(f"{v.rel}：{val or '（空白）'}" for v, val in zip(body.versions, d.values))
            files = "、".join(v.rel for v in body.versions)
            put((body.name, files, "", DUPLICATE, "错误", "重复报送", d.label, f"内容不同的两份报告：{shown}"), "error")
        if body.last_year_note:
            put((body.name, "", "", "上年报告", "提示", "历年", "", body.last_year_note), "warning")
        if row > start:
            first[id(body)] = start
    for item in result.unreadable:
        put(("", item.rel, "", UNREADABLE, "错误", "文件", "", item.error or ""), "error")
    ws.autofilter(0, 0, max(row - 1, 1), len(FINDING_HEADERS) - 1)
    return first


SEVERITY_COLUMN = 4
"""级别 in 问题清单: coloured as the status it leads to."""


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _row(ws, row: int, values, f: dict, severity: str | None = None) -> None:
    values = (*values, *("",) * (len(FINDING_HEADERS) - len(values)))
    for col, value in enumerate(values):
        fmt = f["text"]
        if col == SEVERITY_COLUMN and severity:
            fmt = f[FAILED] if severity == "error" else f[WARNED]
        (_number if isinstance(value, int) else _text)(ws, row, col, value, fmt)


def _write_summary(ws, result: CollectResult, f: dict, first_rows: dict[int, int]) -> None:
    year = f"{result.year} 年度" if result.year else ""
    _text(ws, 0, 0, f"{year}政府信息公开工作年度报告 报送情况", f["title"])
    counts = "，".join(f"{k} {v}" for k, v in result.status_counts().items() if v)
    _text(
        ws,
        1,
        0,
        f"共 {len(result.items)} 个文件、{len(result.bodies)} 个单位：{counts or '没有报送文件'}。"
        "错误、提示按根源计，已定位填错的连带结果不另计（见问题清单的“连带”列）",
        f["note"],
    )
    _header(ws, 2, SUMMARY_HEADERS, f["header"])
    ws.freeze_panes(3, 2)
    _page(ws, 3)
    widths = [w for _h, w in SUMMARY_HEADERS]
    rows = RawRows(ws, f["cell"], 3, len(SUMMARY_HEADERS))
    cell, text = f["cell"], f["text"]
    for n, body in enumerate(result.bodies, 1):
        items = [i for i in _versions(body) if i.report]
        counted = [i.report.root_counts() for i in items if i.report]
        errors, warnings = sum(e for e, _w in counted), sum(w for _e, w in counted)
        others = [flag for flag in body.flags if flag != body.status]
        if body.late_days:
            others = [f"逾期 {body.late_days} 天" if x == LATE else x for x in others]
            if body.status == LATE:
                others.insert(0, f"逾期 {body.late_days} 天")
        values = [
            n,
            body.name,
            body.type,
            body.identity.region_code,
            body.status,
            "、".join(others),
            "\n".join(i.rel for i in body.items),
            errors,
            warnings,
            _first_problems(body),
            "",
        ]
        formats = [cell, text, cell, cell, f[body.status], text, text, cell, cell, text, cell]
        height = _height(values, widths)
        if id(body) in first_rows:
            if height:
                ws.set_row(rows.row, height)
            _write_linked(ws, rows.row, values, formats, first_rows[id(body)], f["link"])
            rows.row += 1
        else:
            rows.write(values, formats, height)
    for item in result.unreadable:
        values = [rows.row - 2, "", "", "", UNREADABLE, "", item.rel, 1, 0, item.error or "", ""]
        rows.write(
            values,
            [cell, text, cell, cell, f[UNREADABLE], text, text, cell, cell, text, cell],
            _height(values, widths),
        )
    ws.autofilter(2, 0, max(rows.row - 1, 3), len(SUMMARY_HEADERS) - 1)


def _write_linked(ws, row: int, values: list, formats: list, target: int, link) -> None:
    """A 报送情况 row whose last cell links to the body's first row in 问题清单 (XlsxWriter's own
    path: a hyperlink needs its relationship entry)."""
    for col, (value, fmt) in enumerate(zip(values[:-1], formats)):
        (_text if isinstance(value, str) else _number)(ws, row, col, value, fmt)
    ws.write_url(
        row,
        len(values) - 1,
        f"internal:'{FINDINGS_SHEET}'!A{target + 1}",
        link,
        string="查看",
        tip="转到问题清单中该单位的各行",
    )


def _first_problems(body: Body) -> str:
    """The first few root causes, each with how many consequences follow from it."""
    if body.status == MISSING:
        return "名单中的单位，未收到报送文件"
    lines = []
    if body.status == WRONG_YEAR:
        lines.append("；".join(f"{i.rel} 为 {i.year or '未知'} 年度" for i in body.wrong_year))
    if body.differences:
        labels = "、".join(d.label for d in body.differences[:3])
        lines.append(
            f"{len(body.versions)} 份内容不同的报告，不同之处：{labels}" + ("等" if len(body.differences) > 3 else "")
        )
    for item in _versions(body):
        if item.report is None:
            continue
        groups = item.report.grouped()
        for root, follows in groups[:FIRST_PROBLEMS]:
            more = f"（另有 {len(follows)} 条连带结果）" if follows else ""
            lines.append(f"[{root.finding.severity_zh}] {root.finding.message}{more}")
        if len(groups) > FIRST_PROBLEMS:
            lines.append(f"……共 {len(groups)} 个问题（按根源计）")
    return "\n".join(lines[: FIRST_PROBLEMS + 2])


def _figure_sheets(fmt) -> list:
    sheets = {c.sheet for c in fmt.figure_cells()}
    return [s for s in fmt.sheets if s.name in sheets]


PAGE_WIDTH = 842 - 0.8 * 72
PAGE_HEIGHT = 595 - 1.2 * 72
"""Points a landscape A4 page holds between the margins :func:`_page` sets."""


def _write_totals(ws, result: CollectResult, fmt, sheet, f: dict) -> None:
    """One official table as the template lays it out (its columns' widths, its rows' heights,
    its merged labels), once per group: 全部单位 first, then each 机关类型, each on its own
    page, printed at the scale the tallest block needs to fit one page."""
    skip = {c for s, c in _live_check_columns(fmt) if s == sheet.name}
    labels = [lb for lb in fmt.labels if lb.sheet == sheet.name and lb.style not in ("note", "title")]
    labels = [lb for lb in labels if split_ref(lb.ref)[1] not in skip]
    cells = [c for c in fmt.figure_cells() if c.sheet == sheet.name]
    spans = [(*split_ref(x.ref), *split_ref(x.merge_to or x.ref)) for x in (*labels, *cells)]
    rows, cols = max(s[2] for s in spans) + 1, max(s[3] for s in spans) + 1
    widths = dict(sheet.column_widths)
    col_widths = [widths.get(col_letter(c), textfit.DEFAULT_WIDTH) for c in range(cols)]
    heights = {r: h for (s, r), h in label_row_heights(fmt).items() if s == sheet.name and r < rows}
    year = f"{result.year} 年度" if result.year else ""
    rule = "含有错误的报告" if result.include_failed else "不含有错误、重复报送、未报送和年度不符的单位"
    writes: list[tuple] = []
    row_heights: dict[int, float] = {}
    breaks: list[int] = []
    block_heights: list[float] = []
    top = 0
    for group, totals in result.totals.items():
        if top:
            breaks.append(top)
        who = "全部单位" if group == TOTAL else f"机关类型为“{group}”的单位"
        notes = [f"{year}汇总（{who}）：计入 {len(totals.bodies)} 个单位（{rule}；名单见“{DETAIL_SHEET}”）"]
        if totals.incomplete:
            notes.append(f"注意：有 {len(totals.incomplete)} 项数字因部分单位填写有误未计入，合计不完整")
        for n, note in enumerate(notes):
            writes.append((top + n, 0, top + n, cols - 1, note, f["caption"] if n == 0 else f["remark"]))
            row_heights[top + n] = max(DEFAULT_HEIGHT, textfit.row_height(note, sum(col_widths)))
        first = top + len(notes)
        for label in labels:
            r, c = split_ref(label.ref)
            r2, c2 = split_ref(label.merge_to) if label.merge_to else (r, c)
            style = f["header"] if label.style == "header" else f["label"]
            writes.append((first + r, c, first + r2, c2, label.text, style))
        for cell in cells:
            r, c = split_ref(cell.ref)
            r2, c2 = split_ref(cell.merge_to) if cell.merge_to else (r, c)
            style = f["money"] if cell.kind == "money" else f["number"]
            writes.append((first + r, c, first + r2, c2, totals.figures.get(cell.key), style))
        row_heights.update({first + r: h for r, h in heights.items()})
        block_heights.append(sum(row_heights.get(r, DEFAULT_HEIGHT) for r in range(top, first + rows)))
        top = first + rows
    for c, width in enumerate(col_widths):
        ws.set_column(c, c, width)
    for r, height in row_heights.items():
        ws.set_row(r, height)
    width_pt = sum(_column_pixels(w) for w in col_widths) * 0.75
    scale = min(1.0, PAGE_WIDTH / width_pt, PAGE_HEIGHT / max(block_heights, default=1.0))
    _page(ws, 0, fit_width=False)
    ws.set_print_scale(max(10, int(scale * 97)))
    ws.set_h_pagebreaks(breaks)
    ws.set_header(f"&C&12{sheet.title}（{f'{result.year} 年度' if result.year else ''}汇总）")
    _stream(ws, writes)


def _column_pixels(width: float) -> int:
    """A column's width on screen and paper, as Excel and XlsxWriter count it."""
    return int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5


def _live_check_columns(fmt) -> set[tuple[str, int]]:
    """Columns that hold only the template's 自动核对 formulas (and their headers): a sum has
    nothing to recheck there."""
    figure_cols = {(c.sheet, split_ref(c.ref)[1]) for c in fmt.figure_cells()}
    return {(lc.sheet, split_ref(lc.ref)[1]) for lc in live_checks(fmt)} - figure_cols


def _stream(ws, writes: list[tuple]) -> None:
    """Write cells top to bottom (streaming mode drops anything written above the current row).

    A merged range is declared directly (``ws.merge``, the list XlsxWriter itself fills) and
    its other cells are written as formatted blanks in their own rows, in order.
    """
    cells: list[tuple[int, int, object, object]] = []
    for r1, c1, r2, c2, value, fmt in writes:
        cells.append((r1, c1, value, fmt))
        if (r1, c1) != (r2, c2):
            ws.merge.append([r1, c1, r2, c2])
            cells += [(r, c, None, fmt) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1) if (r, c) != (r1, c1)]
    for r, c, value, fmt in sorted(cells, key=lambda x: (x[0], x[1])):
        if value is None:
            ws.write_blank(r, c, None, fmt)
        elif isinstance(value, bool):
            _text(ws, r, c, value, fmt)
        elif isinstance(value, (int, Decimal)):
            _number(ws, r, c, value, fmt)
        else:
            _text(ws, r, c, value, fmt)


def _number(ws, row: int, col: int, value: int | Decimal, fmt) -> None:
    """Exact figures: a value beyond a double's 15 digits goes in as text rather than rounded."""
    shown = _exact(value)
    if isinstance(shown, str):
        _text(ws, row, col, shown, fmt)
    else:
        ws.write_number(row, col, shown, fmt)


def _exact(value: int | Decimal) -> int | float | str:
    """The number a cell can hold exactly, or the figure as text when a double would round it."""
    if type(value) is int and value < 10**15:
        return value
    if len(value.as_tuple().digits if isinstance(value, Decimal) else str(value)) > 15:
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    return float(value) if isinstance(value, Decimal) else value


class RawRows:
    """Rows of text and numbers written straight into a streamed (``constant_memory``) sheet.

    XlsxWriter's general path costs ~10 µs a cell; 10,000 bodies × 230 figures made 分单位明细
    most of a collect run. This writes the same XML XlsxWriter writes for ``write_string`` /
    ``write_number`` with one format (tests/test_collect_workbook.py compares the bytes), in
    one string per row. Rows must come after everything written so far.
    """

    def __init__(self, ws, fmt, first_row: int, columns: int) -> None:
        from xlsxwriter.utility import xl_col_to_name

        ws._write_single_row(first_row)  # flush the rows above (XlsxWriter keeps one pending)
        self.ws = ws
        self.row = first_row
        self.prefixes = [f'<c r="{xl_col_to_name(c)}' for c in range(columns)]
        self.style = _style(fmt)
        self.templates: dict[tuple, tuple] = {}

    def write(self, values, formats=None, height: float | None = None) -> None:
        """One row from column A: ``str`` as text, ``int``/``Decimal`` as exact figures; each
        cell in the sheet's format or in ``formats[col]``; `height` in points as ``set_row``
        takes it. XlsxWriter may have written the row before (it is flushed first); the next
        one may be written by either."""
        ws = self.ws
        ws._write_single_row(self.row)
        r = str(self.row + 1)
        styles = tuple(_style(f) for f in formats) if formats else None
        text = self._templated(r, values, styles)
        if text is None:
            text = self._cell_by_cell(r, values, list(styles) if styles else [self.style] * len(values))
        if height is not None:
            head = f'<row r="{r}">'
            text = f'<row r="{r}" ht="{int(height * 4 / 3 + 0.5) * 0.75:.16g}" customHeight="1">' + text[len(head) :]
        ws.fh.write(text)
        ws._check_dimensions(self.row, len(values) - 1)
        self.row += 1
        ws.previous_row = self.row

    def _cell_by_cell(self, r: str, values, styles: list[str]) -> str:
        parts = [f'<row r="{r}">']
        for prefix, style, value in zip(self.prefixes, styles, values):
            if type(value) is int and value < 10**15:
                parts.append(f"{prefix}{r}{style}><v>{value}</v></c>")
                continue
            if not isinstance(value, str):
                value = _exact(value)
            if isinstance(value, str):
                parts.append(f"{prefix}{r}{style}{_inline(self.ws, value)}</c>")
            else:
                parts.append(f"{prefix}{r}{style}><v>{value:.16G}</v></c>")
        parts.append("</row>")
        return "".join(parts)

    def _templated(self, r: str, values, styles: tuple[str, ...] | None) -> str | None:
        """:meth:`_cell_by_cell`'s text from a template made once per pattern of value types and
        styles (a 分单位明细 row is 6 texts and 230 figures, row after row): the row number put in,
        then the values in one ``%``; None when a value needs the general path (a figure beyond
        15 digits, another type)."""
        kinds = tuple(map(type, values))
        key = (kinds, styles)
        entry = self.templates.get(key)
        if entry is None:
            if len(self.templates) >= 16 or not set(kinds) <= {int, str, Decimal}:
                return None
            entry = self.templates[key] = self._template(kinds, styles or (self.style,) * len(values))
        template, ints, texts, amounts, width = entry
        if ints is not None and max(ints(values)) >= 10**15:
            return None
        args = list(values[:width])
        for i in texts:
            args[i] = _inline(self.ws, values[i])
        for i in amounts:
            shown = _exact(values[i])
            if isinstance(shown, str):
                return None
            args[i] = shown
        return template.replace("\0", r) % tuple(args)

    def _template(self, kinds: tuple[type, ...], styles: tuple[str, ...]) -> tuple:
        from operator import itemgetter

        parts = ['<row r="\0">']
        ints, texts, amounts = [], [], []
        for i, (prefix, style, kind) in enumerate(zip(self.prefixes, styles, kinds)):
            head = (prefix + "\0" + style).replace("%", "%%")
            if kind is int:
                ints.append(i)
                parts.append(f"{head}><v>%d</v></c>")
            elif kind is str:
                texts.append(i)
                parts.append(f"{head}%s</c>")
            else:
                amounts.append(i)
                parts.append(f"{head}><v>%.16G</v></c>")
        parts.append("</row>")
        getter = itemgetter(*ints) if len(ints) > 1 else (lambda v, i=ints[0]: (v[i],)) if ints else None
        return "".join(parts), getter, tuple(texts), tuple(amounts), len(parts) - 2


def _style(fmt) -> str:
    index = fmt._get_xf_index()
    return f'" s="{index}"' if index else '"'


def _inline(ws, text: str) -> str:
    """An inline string exactly as XlsxWriter's streaming mode writes it (but always escaped:
    a text shaped like ``<r>…</r>`` stays text, never raw XML)."""
    from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate

    if len(text) <= ws.xls_strmax // 2 and not _NEEDS_ESCAPING.search(text):  # names, files: as they are
        return f' t="inlineStr"><is><t>{text}</t></is>'
    if len(text) > ws.xls_strmax // 2 and _utf16_len(text) > ws.xls_strmax:
        text = _utf16_truncate(text, ws.xls_strmax)
    text = ws._escape_control_characters(text)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f' t="inlineStr"><is><t{space}>{ws._escape_data(text)}</t></is>'


_NEEDS_ESCAPING = re.compile(r"^\s|\s$|[\x00-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
"""What XlsxWriter would change in a text (its control-character, XML and whitespace escapes)."""


def _write_detail(ws, result: CollectResult, f: dict) -> None:
    """Too wide for one page (230 columns): printed legibly instead, landscape at 100 %, the
    header row and the 机关名称 column on every page, bodies across before down."""
    fmt = get_format(result.format_id)
    cells = fmt.figure_cells()
    headers = (*DETAIL_FIXED, *((c.label, DETAIL_WIDTH) for c in cells))
    _header(ws, 0, headers, f["header"])
    ws.freeze_panes(1, 1)
    _page(ws, 1, fit_width=False)
    ws.repeat_columns(0)
    ws.print_across()
    rows = RawRows(ws, f["cell"], 1, len(headers))
    keys = tuple(c.key for c in cells)
    for body in result.bodies:
        for item in body.versions or body.wrong_year:
            rows.write(detail_row(body, item, keys))
    ws.autofilter(0, 0, max(rows.row - 1, 1), len(headers) - 1)


def detail_row(body: Body, item, keys: tuple[str, ...]) -> list:
    """One 分单位明细 row: who, then every figure (its raw text when it is not a valid number)."""
    figures, canon = item.figures, item.canon
    values: list = [
        body.name,
        item.identity.type,
        body.identity.region_code,
        body.status,
        "是" if body.included else "否",
        item.rel,
    ]
    shown = list(map(figures.get, keys))
    if None in shown:  # a blank or unreadable figure: its text
        shown = [canon.get(k, "").lstrip("?") if v is None else v for k, v in zip(keys, shown)]
    values += shown
    return values
