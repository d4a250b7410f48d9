"""The roster (名单): who is expected to report, from a .csv or .xlsx the office keeps anyway.

Columns are found by their header text, in any order: 机关名称 (required), 机关类型,
统一社会信用代码, 行政区划代码, 报送截止日期, and for the board's 催报 list 联系人 and
联系电话. A CSV may be UTF-8 (with or without BOM) or
GB18030 (what Excel on Chinese Windows saves). Anything unusable is exit code 2 with the row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from validator.collect.bodies import Identity, code_key, name_key
from validator.credit_code import problem
from validator.errors import UnusableInput
from validator.values import display, to_date, to_text
from validator.workbook.read import check_workbook_file

HEADERS = {
    "name": ("机关名称", "单位名称", "名称", "机关", "单位"),
    "type": ("机关类型", "类型", "单位类型"),
    "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码"),
    "region_code": ("行政区划代码", "区划代码"),
    "deadline": ("报送截止日期", "截止日期", "报送期限", "截止时间"),
    "contact": ("联系人",),
    "phone": ("联系电话", "电话", "手机"),
}
SAVE_AS_CSV = "请在 Excel 或 WPS 中打开名单，另存为“CSV UTF-8（逗号分隔）”后再用"
MAX_ROSTER_ROWS = 100_000
MAX_ROSTER_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class RosterEntry:
    identity: Identity
    deadline: dt.date | None
    row: int
    contact: str = ""
    """联系人 and 联系电话 (optional columns), for the 催报 list."""
    phone: str = ""


def load_roster(path: str | Path) -> list[RosterEntry]:
    path = Path(path)
    try:
        if not path.is_file():
            raise UnusableInput("名单文件不存在", where=str(path))
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise UnusableInput("名单文件过大（超过 20 MB）", where=path.name)
    except OSError as exc:
        raise UnusableInput(f"无法读取名单：{exc.strerror or exc}", where=str(path)) from None
    rows = _xlsx_rows(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path)
    return _entries(rows, path.name)


def _csv_rows(path: Path) -> list[list[object]]:
    import csv
    import io

    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:200]:
        raise UnusableInput(
            f"名单是 UTF-16 编码的文本（Excel 的“Unicode 文本”），不是 CSV；{SAVE_AS_CSV}", where=path.name
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnusableInput(f"名单不是 UTF-8 或 GB18030 编码的 CSV 文件；{SAVE_AS_CSV}", where=path.name)
    try:
        rows: list[list[object]] = [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
        return rows[: MAX_ROSTER_ROWS + 2]
    except csv.Error as exc:
        raise UnusableInput(f"名单 CSV 格式有误（{exc}）", where=path.name) from None


def _xlsx_rows(path: Path) -> list[list[object]]:
    import warnings

    import openpyxl

    check_workbook_file(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                ws = wb.worksheets[0]
                return [list(r) for r in ws.iter_rows(max_row=MAX_ROSTER_ROWS + 2, max_col=30, values_only=True)]
            finally:
                wb.close()
    except UnusableInput:
        raise
    except Exception:
        raise UnusableInput(
            "名单工作簿无法读取（文件可能已损坏）；请在 Excel 或 WPS 中打开后另存为 .xlsx，或另存为 CSV（UTF-8）",
            where=path.name,
        ) from None


def _text(value: object) -> str:
    return to_text(value).strip()


_SCIENTIFIC = re.compile(r"[0-9](\.[0-9]+)?E\+?[0-9]+", re.IGNORECASE)


def _credit_code(raw: object, number: int, where: str) -> str:
    """The row's 统一社会信用代码, checked (GB 32100: 18 characters, its check character): a
    typo here would leave the body that did report as 未报送 and its file as 不在名单."""
    row = f"名单第 {number} 行统一社会信用代码"
    excel = "；请把这一列的单元格格式设为“文本”后重新填写"
    text = _text(raw)
    if isinstance(raw, float) or _SCIENTIFIC.fullmatch(text):
        raise UnusableInput(f"{row}被 Excel 存成了数字（{display(raw)}），超过 15 位的部分已经丢失{excel}", where=where)
    if not text:
        return ""
    why = problem(code_key(text))
    if why is None:
        return text
    hint = ""
    if code_key(text).isdigit() and code_key(text).endswith("0"):
        hint = f"；全是数字的代码在 Excel 中会被当作数字，末几位变成 0{excel}"
    raise UnusableInput(f"{row}“{text}”{why}{hint}", where=where)


def _columns(header: list[object], where: str) -> dict[str, int]:
    found: dict[str, int] = {}
    normalized = [name_key(_text(h)) for h in header]
    for field, names in HEADERS.items():
        for name in names:
            if name in normalized:
                found[field] = normalized.index(name)
                break
    if "name" not in found:
        raise UnusableInput(
            f"名单第一行应为表头，且有“机关名称”一列（现为：{'、'.join(_text(h) for h in header if _text(h)) or '空白'}）",
            where=where,
        )
    return found


def _entries(rows: list[list[object]], where: str) -> list[RosterEntry]:
    rows = [r for r in rows]
    while rows and not any(_text(v) for v in rows[0]):
        rows.pop(0)
    if not rows:
        raise UnusableInput("名单是空的", where=where)
    if len(rows) > MAX_ROSTER_ROWS + 1:
        raise UnusableInput(f"名单超过 {MAX_ROSTER_ROWS} 行", where=where)
    cols = _columns(rows[0], where)
    out: list[RosterEntry] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], 2):

        def cell(field: str) -> object:
            i = cols.get(field)
            return row[i] if i is not None and i < len(row) else None  # noqa: B023 (called in this iteration)

        name = _text(cell("name"))
        if not name:
            if any(_text(v) for v in row):
                raise UnusableInput(f"名单第 {number} 行没有填写机关名称", where=where)
            continue
        body_type = _text(cell("type"))
        if body_type and body_type not in ("政府", "部门", "乡镇"):
            raise UnusableInput(f"名单第 {number} 行机关类型应为“政府”“部门”或“乡镇”，现为“{body_type}”", where=where)
        raw_deadline = cell("deadline")
        deadline = None
        if raw_deadline not in (None, "") and _text(raw_deadline):
            deadline = to_date(raw_deadline)
            if deadline is None:
                raise UnusableInput(
                    f"名单第 {number} 行报送截止日期无法识别（现为“{_text(raw_deadline)}”，应如 2024-01-20）",
                    where=where,
                )
        credit = _credit_code(cell("credit_code"), number, where)
        identity = Identity(name, body_type, _text(cell("region_code")), credit)
        key = f"{identity.credit_code}|{identity.region_code}|{identity.key}"
        if key in seen:
            raise UnusableInput(f"名单第 {number} 行与第 {seen[key]} 行是同一机关（{name}）", where=where)
        seen[key] = number
        out.append(RosterEntry(identity, deadline, number, _text(cell("contact")), _text(cell("phone"))))
    return out
