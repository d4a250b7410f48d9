"""The 汇总 workbook for the receiving office (XlsxWriter, streamed row by row).

Sheets: 报送情况 (one row per body and per unreadable file, coloured by status, linked to
its problems), 问题清单 (every finding, autofilter and frozen header), 汇总 and 汇总-政府/部门/
乡镇 (表二/表三/表四 in the official layout, laid out from the format's own labels and cell
positions), 分单位明细 (one row per body, every figure a column headed by its official label).
Streaming (``constant_memory``) keeps 10,000 bodies × 230 figures within a few MB, so every
sheet is written strictly top to bottom.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from pathlib import Path

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
    Totals,
)
from validator.formats.live import live_checks
from validator.spec import split_ref

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
    ("序号", 6),
    ("机关名称", 30),
    ("机关类型", 8),
    ("行政区划代码", 13),
    ("状态", 10),
    ("其他情况", 16),
    ("文件", 34),
    ("错误", 6),
    ("提示", 6),
    ("主要问题", 60),
    ("问题清单", 10),
)
FINDING_HEADERS = (
    ("机关名称", 28),
    ("文件", 28),
    ("规则", 16),
    ("级别", 6),
    ("范围", 8),
    ("单元格", 16),
    ("问题", 60),
    ("应为", 12),
    ("现为", 12),
    ("情况说明", 36),
)
DETAIL_FIXED = (("机关名称", 30), ("机关类型", 8), ("行政区划代码", 13), ("状态", 10), ("计入汇总", 8), ("文件", 30))
FIRST_PROBLEMS = 3


def write_collect_workbook(result: CollectResult, out: str | Path) -> None:
    from validator.fileio import atomic_write

    atomic_write(out, lambda tmp: _write(result, tmp))


def _write(result: CollectResult, path: str) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        path,
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    try:
        f = _formats(wb)
        summary = wb.add_worksheet(SUMMARY_SHEET)
        findings = wb.add_worksheet(FINDINGS_SHEET)
        totals = [(group, wb.add_worksheet(_totals_name(group))) for group in result.totals]
        detail = wb.add_worksheet(DETAIL_SHEET)
        first_rows = _write_findings(findings, result, f)
        _write_summary(summary, result, f, first_rows)
        for group, ws in totals:
            _write_totals(ws, result, group, result.totals[group], f)
        _write_detail(detail, result, f)
    finally:
        with _fast_deflate():
            wb.close()


@contextmanager
def _fast_deflate() -> Iterator[None]:
    """XlsxWriter zips at zlib's default level 6: for the 67 MB of 分单位明细 XML of 10,000 bodies
    that took a tenth of a collect run. Level 1 takes a third of the time for a file a quarter
    larger (6 MB instead of 5). XlsxWriter names ``ZipFile`` in its module; if that changes,
    this does nothing."""
    from zipfile import ZipFile

    import xlsxwriter.workbook as xw

    if getattr(xw, "ZipFile", None) is not ZipFile:
        yield
        return
    xw.ZipFile = partial(ZipFile, compresslevel=1)  # type: ignore[misc]
    try:
        yield
    finally:
        xw.ZipFile = ZipFile  # type: ignore[misc]


def _totals_name(group: str) -> str:
    return "汇总" if group == TOTAL else f"汇总-{group}"


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
        "caption": fmt(bold=True, font_size=11),
    }
    for status, colour in STATUS_COLOURS.items():
        out[status] = fmt(border=1, bold=True, align="center", valign="top", fg_color=colour, pattern=1)
    return out


def _page(ws, header_rows: int, landscape: bool = True) -> None:
    ws.set_paper(9)  # A4
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if header_rows:
        ws.repeat_rows(header_rows - 1)


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
    for col, (text, width) in enumerate(headers):
        ws.set_column(col, col, width)
        _text(ws, row, col, text, fmt)


def _versions(body: Body):
    return body.versions or body.wrong_year


def _write_findings(ws, result: CollectResult, f: dict) -> dict[int, int]:
    """问题清单; returns each body's first row (by id) for the links from 报送情况."""
    _header(ws, 0, FINDING_HEADERS, f["header"])
    ws.freeze_panes(1, 0)
    _page(ws, 1)
    row = 1
    first: dict[int, int] = {}
    for body in result.bodies:
        start = row
        for item in _versions(body):
            if item.report is None:
                continue
            for finding in item.report.findings:
                values = (
                    body.name,
                    item.rel,
                    finding.rule,
                    finding.severity_zh,
                    finding.scope,
                    "、".join(c.ref for c in finding.cells),
                    finding.message,
                    _shown(finding.expected),
                    _shown(finding.actual),
                    finding.explanation or "",
                )
                _row(ws, row, values, f, severity=finding.severity)
                row += 1
        for d in body.differences:
            shown = " ／ ".join(f"{v.rel}：{val or '（空白）'}" for v, val in zip(body.versions, d.values))
            _row(
                ws,
                row,
                (
                    body.name,
                    "、".join(v.rel for v in body.versions),
                    DUPLICATE,
                    "错误",
                    "重复报送",
                    d.label,
                    f"内容不同的两份报告：{shown}",
                    "",
                    "",
                    "",
                ),
                f,
                severity="error",
            )
            row += 1
        if body.last_year_note:
            _row(
                ws,
                row,
                (body.name, "", "上年报告", "提示", "历年", "", body.last_year_note, "", "", ""),
                f,
                severity="warning",
            )
            row += 1
        if row > start:
            first[id(body)] = start
    for item in result.unreadable:
        _row(ws, row, ("", item.rel, UNREADABLE, "错误", "文件", "", item.error, "", "", ""), f, severity="error")
        row += 1
    ws.autofilter(0, 0, max(row - 1, 1), len(FINDING_HEADERS) - 1)
    return first


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _row(ws, row: int, values, f: dict, severity: str | None = None) -> None:
    for col, value in enumerate(values):
        fmt = f["text"]
        if col == 3 and severity:
            fmt = f[FAILED] if severity == "error" else f[WARNED]
        _text(ws, row, col, value, fmt)


def _write_summary(ws, result: CollectResult, f: dict, first_rows: dict[int, int]) -> None:
    year = f"{result.year} 年度" if result.year else ""
    _text(ws, 0, 0, f"{year}政府信息公开工作年度报告 报送情况", f["title"])
    counts = "，".join(f"{k} {v}" for k, v in result.status_counts().items() if v)
    _text(
        ws, 1, 0, f"共 {len(result.items)} 个文件、{len(result.bodies)} 个单位：{counts or '没有报送文件'}", f["note"]
    )
    _header(ws, 2, SUMMARY_HEADERS, f["header"])
    ws.freeze_panes(3, 2)
    _page(ws, 3)
    rows = RawRows(ws, f["cell"], 3, len(SUMMARY_HEADERS))
    cell, text = f["cell"], f["text"]
    for n, body in enumerate(result.bodies, 1):
        items = _versions(body)
        errors = sum(len(i.report.errors) for i in items if i.report)
        warnings = sum(len(i.report.warnings) for i in items if i.report)
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
        if id(body) in first_rows:
            _write_linked(ws, rows.row, values, formats, first_rows[id(body)], f["link"])
            rows.row += 1
        else:
            rows.write(values, formats)
    for item in result.unreadable:
        rows.write(
            [rows.row - 2, "", "", "", UNREADABLE, "", item.rel, 1, 0, item.error, ""],
            [cell, text, cell, cell, f[UNREADABLE], text, text, cell, cell, text, cell],
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
        ordered = sorted(item.report.findings, key=lambda x: x.severity != "error")
        lines += [f"[{x.severity_zh}] {x.message}" for x in ordered[:FIRST_PROBLEMS]]
        if len(ordered) > FIRST_PROBLEMS:
            lines.append(f"……共 {len(ordered)} 个问题")
    return "\n".join(lines[: FIRST_PROBLEMS + 2])


def _figure_sheets(fmt) -> list:
    sheets = {c.sheet for c in fmt.figure_cells()}
    return [s for s in fmt.sheets if s.name in sheets]


def _write_totals(ws, result: CollectResult, group: str, totals: Totals, f: dict) -> None:
    """The official tables, placed from the format's labels and cell positions, stacked."""
    from validator.formats import get_format

    fmt = get_format(result.format_id)
    year = f"{result.year} 年度" if result.year else ""
    who = "全部单位" if group == TOTAL else f"机关类型为“{group}”的单位"
    rule = "含有错误的报告" if result.include_failed else "不含有错误、重复报送、未报送和年度不符的单位"
    writes: list[tuple] = [
        (0, 0, 0, 0, f"{year}汇总（{who}）", f["title"]),
        (1, 0, 1, 0, f"计入 {len(totals.bodies)} 个单位（{rule}；名单见“{DETAIL_SHEET}”）", f["note"]),
    ]
    if totals.incomplete:
        writes.append(
            (2, 0, 2, 0, f"注意：有 {len(totals.incomplete)} 项数字因部分单位填写有误未计入，合计不完整", f["note"])
        )
    offset = 4
    widths: dict[int, float] = {}
    skip = _live_check_columns(fmt)
    for sheet in _figure_sheets(fmt):
        writes.append((offset, 0, offset, 0, sheet.title, f["caption"]))
        top = offset + 1
        bottom = top
        for label in fmt.labels:
            if label.sheet != sheet.name or label.style in ("note", "title"):
                continue
            r, c = split_ref(label.ref)
            if (sheet.name, c) in skip:
                continue
            r2, c2 = split_ref(label.merge_to) if label.merge_to else (r, c)
            style = f["header"] if label.style == "header" else f["label"]
            writes.append((top + r, c, top + r2, c2, label.text, style))
            bottom = max(bottom, top + r2)
        for cell in fmt.figure_cells():
            if cell.sheet != sheet.name:
                continue
            r, c = split_ref(cell.ref)
            r2, c2 = split_ref(cell.merge_to) if cell.merge_to else (r, c)
            value = totals.figures.get(cell.key)
            writes.append((top + r, c, top + r2, c2, value, f["money"] if cell.kind == "money" else f["number"]))
            bottom = max(bottom, top + r2)
        for letter, width in sheet.column_widths:
            col = split_ref(f"{letter}1")[1]
            widths[col] = max(widths.get(col, 0), width)
        offset = bottom + 3
    for col, width in widths.items():
        ws.set_column(col, col, width)
    _page(ws, 0)
    _stream(ws, writes)


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

    def write(self, values, formats=None) -> None:
        """One row from column A: ``str`` as text, ``int``/``Decimal`` as exact figures; each
        cell in the sheet's format or in ``formats[col]``. XlsxWriter may have written the row
        before (it is flushed first); the next one may be written by either."""
        ws = self.ws
        ws._write_single_row(self.row)
        r = str(self.row + 1)
        styles = tuple(_style(f) for f in formats) if formats else None
        text = self._templated(r, values, styles)
        if text is None:
            text = self._cell_by_cell(r, values, list(styles) if styles else [self.style] * len(values))
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
    from validator.formats import get_format

    fmt = get_format(result.format_id)
    cells = fmt.figure_cells()
    headers = (*DETAIL_FIXED, *((c.label, 14) for c in cells))
    _header(ws, 0, headers, f["header"])
    ws.set_row(0, 60)
    ws.freeze_panes(1, 1)
    _page(ws, 1)
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
