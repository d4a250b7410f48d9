"""The season's two printed lists (XlsxWriter, A4): the 报送码 list handed to the bodies and
the 催报 list of bodies still to chase. Every text is written as text (a name shaped like a
formula stays a name)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

FONT = "宋体"


@dataclass(frozen=True)
class CodeLine:
    name: str
    code: str


@dataclass(frozen=True)
class ReminderLine:
    name: str
    status: str
    deadline: str
    overdue_days: int
    latest: str
    reason: str
    contact: str
    phone: str


def _workbook(buffer: io.BytesIO):
    import xlsxwriter

    return xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )


def _formats(wb) -> dict:
    base = {"font_name": FONT, "font_size": 11, "valign": "vcenter", "text_wrap": True, "border": 1}
    return {
        "title": wb.add_format({"font_name": FONT, "font_size": 16, "bold": True}),
        "note": wb.add_format({"font_name": FONT, "font_size": 10, "text_wrap": True, "valign": "top"}),
        "header": wb.add_format({**base, "bold": True, "bg_color": "#D9D9D9", "align": "center"}),
        "text": wb.add_format(base),
        "code": wb.add_format(
            {**base, "font_name": "Consolas", "font_size": 13, "bold": True, "align": "center", "text_wrap": False}
        ),
        "small": wb.add_format({**base, "font_size": 9}),
        "number": wb.add_format({**base, "align": "center"}),
    }


def _a4(ws, landscape: bool, header_row: int, title: str) -> None:
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.hide_gridlines(2)  # only the table's own borders, on screen and on paper
    ws.set_footer(f"&C{title}　第 &P 页，共 &N 页")


def codes_workbook(lines: Sequence[CodeLine], url: str, year: int | None) -> bytes:
    """One row per body: 单位, 报送码, 报送网址; A4 portrait, the header repeated on every page."""
    buffer = io.BytesIO()
    wb = _workbook(buffer)
    f = _formats(wb)
    ws = wb.add_worksheet("报送码")
    title = f"{year} 年度政府信息公开工作年度报告 报送码" if year else "政府信息公开工作年度报告 报送码"
    ws.write_string(0, 0, title, f["title"])
    ws.merge_range(
        1,
        0,
        1,
        2,
        "每个单位一个报送码，只能报送本单位的报告。请裁开分发，妥善保管；重新发放后原码作废。"
        "在报送网址输入报送码即可上传报告、查看审核意见。",
        f["note"],
    )
    ws.set_row(1, 40)
    for col, (text, width) in enumerate((("单位", 30), ("报送码", 36), ("报送网址", 30))):
        ws.set_column(col, col, width)
        ws.write_string(2, col, text, f["header"])
    for row, line in enumerate(lines, 3):
        ws.set_row(row, 36)
        ws.write_string(row, 0, line.name, f["text"])
        ws.write_string(row, 1, line.code, f["code"])
        ws.write_string(row, 2, url, f["small"])
    _a4(ws, landscape=False, header_row=2, title="报送码")
    wb.close()
    return buffer.getvalue()


REMINDER_HEADERS = (
    ("序号", 6),
    ("单位", 30),
    ("情况", 22),
    ("截止日期", 12),
    ("逾期天数", 9),
    ("最近一版", 21),
    ("退回原因", 40),
    ("联系人", 10),
    ("联系电话", 15),
)


def reminders_workbook(lines: Sequence[ReminderLine], year: int | None, today: str) -> bytes:
    """催报: one row per body still to chase; A4 landscape; 联系人/联系电话 when the roster has them."""
    buffer = io.BytesIO()
    wb = _workbook(buffer)
    f = _formats(wb)
    ws = wb.add_worksheet("催报名单")
    contacts = any(line.contact or line.phone for line in lines)
    headers = REMINDER_HEADERS if contacts else REMINDER_HEADERS[:-2]
    title = f"{year} 年度政府信息公开工作年度报告 催报名单" if year else "政府信息公开工作年度报告 催报名单"
    ws.write_string(0, 0, title, f["title"])
    note = f"截至 {today}：未报送、已退回未重新报送的单位（共 {len(lines)} 个）"
    ws.merge_range(1, 0, 1, len(headers) - 1, note, f["note"])
    ws.set_row(1, 20)
    for col, (text, width) in enumerate(headers):
        ws.set_column(col, col, width)
        ws.write_string(2, col, text, f["header"])
    for row, line in enumerate(lines, 3):
        values: list = [
            row - 2,
            line.name,
            line.status,
            line.deadline,
            line.overdue_days or "",
            line.latest,
            line.reason,
        ]
        if contacts:
            values += [line.contact, line.phone]
        lines_needed = max(1, len(line.reason) // 22 + 1, len(line.name) // 16 + 1)
        ws.set_row(row, 18 * min(lines_needed, 8))
        for col, value in enumerate(values):
            if isinstance(value, int):
                ws.write_number(row, col, value, f["number"])
            else:
                ws.write_string(row, col, value, f["text"])
    _a4(ws, landscape=True, header_row=2, title="催报名单")
    wb.close()
    return buffer.getvalue()
