"""OpenDocument spreadsheets (.ods: LibreOffice's own format, also saved by WPS): read as a workbook.

The package is looked at from outside first, with the limits of :mod:`validator.workbook.zipsafe`
and its own (:data:`MAX_CONTENT_BYTES`; an encrypted package, a DTD anywhere are refused). Then
``content.xml`` is read once, as a stream (lxml: no DTD loaded, no entity resolved, no network),
and only the cells the format uses are kept: a row or cell repeated a million times
(``number-rows-repeated``, ``number-columns-repeated``) costs nothing, and a text made of
repeated spaces stops at the cell limit. The grids are what the xlsx reader gives for the same
report (numbers as openpyxl reads them, dates as datetimes, formula errors as
:class:`~validator.values.CellError`, a formula without a result as
:class:`~validator.values.Uncalculated`), so :func:`~validator.workbook.grids.submission_from_grids`
and every check treat an .ods as the workbook it is.

``check --annotate`` writes an .xlsx copy (this tool writes no .ods): the template filled with
the file's contents, marked, with its 校验结果, read back to prove it reads the same.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator.errors import UnusableInput
from validator.formats import get_format, known_formats
from validator.readers import xlsx
from validator.readers.base import EXACT, NAME, SAFE_XML, Reader
from validator.spec import col_letter
from validator.submission import InputKind, Submission
from validator.values import EXCEL_CELL_LIMIT, CellError, Uncalculated

if TYPE_CHECKING:
    import zipfile

    from validator.report import ValidationReport
    from validator.spec import FormatSpec
    from validator.workbook.grids import Grid

KIND = InputKind("ods", annotatable=True, sheets=True)
SUFFIXES = (".ods",)
MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MAX_BYTES = 50 * 1024 * 1024
"""The file itself, as for an .xlsx."""
MAX_CONTENT_BYTES = 16 * 1024 * 1024
"""``content.xml``, uncompressed: every cell and text of every sheet. LibreOffice writes a filled
report's in under 1 MB (repeated rows and cells are written once, with a count)."""
ANNOTATE_NOTE = (
    "原文件是 OpenDocument 表格（.ods），标注副本是按本工具模板填入其内容的 .xlsx："
    "原文件中单元格以外的内容（格式、批注、其他工作表）没有带入"
)

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
T_TABLE, T_ROW, T_CELL, T_COVERED = (
    f"{{{_TABLE}}}{t}" for t in ("table", "table-row", "table-cell", "covered-table-cell")
)
A_NAME, A_ROWS, A_COLS, A_FORMULA = (
    f"{{{_TABLE}}}{a}" for a in ("name", "number-rows-repeated", "number-columns-repeated", "formula")
)
A_TYPE, A_VALUE, A_DATE, A_TIME, A_BOOLEAN, A_STRING = (
    f"{{{_OFFICE}}}{a}" for a in ("value-type", "value", "date-value", "time-value", "boolean-value", "string-value")
)
A_CALC_TYPE = f"{{{_CALCEXT}}}value-type"
P, H, S, TAB, LINE_BREAK = (f"{{{_TEXT}}}{t}" for t in ("p", "h", "s", "tab", "line-break"))
A_SPACES = f"{{{_TEXT}}}c"
_TEXT_NS = f"{{{_TEXT}}}"
_TIME = r"-?P(?:(\d+)D)?T(\d+)H(\d+)M(\d+(?:\.\d+)?)S"


def sniff(head: bytes, name: str) -> int:
    """An OpenDocument package starts with its ``mimetype`` part, stored: the kind is at byte 38."""
    if head.startswith(b"PK\x03\x04") and head[30:38] == b"mimetype" and head[38:].startswith(MIMETYPE):
        return EXACT
    return NAME if name.lower().endswith(SUFFIXES) else 0


def _package():
    from validator.workbook.zipsafe import Package  # lazy: off the check path

    return Package(
        noun="表格",
        file=".ods 表格",
        app="LibreOffice",
        encrypted="请在 LibreOffice 或 WPS 中取消密码后另存为 .xlsx",
        unsafe_xml="含有不安全的 XML 内容（DTD 或实体声明），已拒绝读取；请在 LibreOffice 中重新保存，或联系报送单位",
        usual_parts="LibreOffice 保存的表格只有约 15 个部件",
        usual_part_size="（填好的报告的 content.xml 不到 1 MB）",
        part_limits=(("content.xml", MAX_CONTENT_BYTES),),
        first=_spreadsheet_only,
        last=_not_encrypted,
    )


def _spreadsheet_only(z: zipfile.ZipFile, name: str) -> None:
    try:
        info = z.getinfo("mimetype")
        kind = z.read(info).strip() if info.file_size <= 200 else b""
    except KeyError:
        kind = b""
    if kind != MIMETYPE:
        raise UnusableInput(
            "不是 OpenDocument 表格（.ods），也不是 Excel 工作簿；请在 LibreOffice 或 WPS 中另存为 .xlsx",
            where=name,
            code="not-xlsx",
        )
    if "content.xml" not in z.namelist():
        raise UnusableInput("文件已损坏或不是完整的 .ods 表格（没有 content.xml）", where=name, code="damaged")


def _not_encrypted(z: zipfile.ZipFile, name: str) -> None:
    """ODF encrypts parts itself (the zip entries look plain): its manifest says so."""
    try:
        info = z.getinfo("META-INF/manifest.xml")
    except KeyError:
        return
    if info.file_size <= 1024 * 1024 and b"encryption-data" in z.read(info):
        raise UnusableInput(
            "设置了打开密码，请在 LibreOffice 或 WPS 中取消密码后另存为 .xlsx", where=name, code="encrypted"
        )


def read_grids(path: Path) -> tuple[FormatSpec, dict[str, Grid]]:
    """The grids of the cells any known format uses, then the format the marker names."""
    import zipfile

    from validator.workbook.zipsafe import check_package  # lazy: off the check path

    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise UnusableInput(
            f"文件过大（{path.stat().st_size // 1024 // 1024} MB），表格不应超过 50 MB",
            where=path.name,
            code="too-large",
        )
    check_package(path, _package())
    extent = _extent()
    try:
        with zipfile.ZipFile(path) as z, z.open("content.xml") as stream:
            grids = _Grids(extent, path.name).read(stream)
    except UnusableInput:
        raise
    except MemoryError:
        raise UnusableInput("文件过大，内存不足，无法读取", where=path.name, code="too-large") from None
    except Exception as exc:  # lxml's XMLSyntaxError, zlib's error, a bad number…: all damage
        raise UnusableInput(
            f"文件已损坏或不是完整的 .ods 表格（{type(exc).__name__}）",
            where=f"{path.name} content.xml",
            code="damaged",
        ) from None
    return _detect(grids, path.name), grids


def read(path: Path, data: bytes | None = None) -> Submission:
    from validator.workbook.grids import submission_from_grids  # lazy: off the check path

    fmt, grids = read_grids(path)
    return submission_from_grids(
        fmt, {s.name: grids.get(s.name, []) for s in fmt.sheets if s.name in grids}, path.name, KIND
    )


def annotate(source: Path, submission: Submission, report: ValidationReport, out: Path) -> list[str]:
    """An .xlsx: the template filled with the file's contents, marked, read back by the xlsx reader."""
    from validator.workbook.write import fill_workbook  # lazy: loads openpyxl

    if Path(out).suffix.lower() != ".xlsx":
        raise UnusableInput(
            "OpenDocument 表格的标注副本存为 .xlsx（按本工具模板填入原表格的内容）；请把输出文件名改为 .xlsx",
            where=str(out),
            code="bad-argument",
        )
    fill_workbook(submission, report, out, read_back=xlsx.read)
    return [ANNOTATE_NOTE]


def _extent() -> dict[str, tuple[int, int]]:
    """Rows and columns of each sheet any known format uses (the format is told by its marker)."""
    from validator.workbook.grids import sheet_extent  # lazy: off the check path

    out: dict[str, tuple[int, int]] = {}
    for fmt_id in known_formats():
        for sheet, (rows, cols) in sheet_extent(get_format(fmt_id)).items():
            r, c = out.get(sheet, (0, 0))
            out[sheet] = (max(r, rows), max(c, cols))
    return out


def _detect(grids: dict[str, Grid], name: str) -> FormatSpec:
    """The format whose marker cell holds its id; the words of the xlsx reader otherwise."""
    from validator.workbook.grids import cell_value, detect_format  # lazy: off the check path

    fmt = detect_format(lambda sheet, ref: cell_value(grids[sheet], ref) if sheet in grids else None)
    if fmt is not None:
        return fmt

    for fmt_id in known_formats():
        sheet, ref = get_format(fmt_id).marker_cell
        marker = cell_value(grids[sheet], ref) if sheet in grids else None
        if isinstance(marker, str) and marker.strip().startswith("gb-"):
            raise UnusableInput(
                f"这是“{marker.strip()}”格式的模板，本工具只认识 {'、'.join(known_formats())}",
                where=f"{name} {sheet}!{ref}",
                code="unknown-format",
            )
    raise UnusableInput(
        "不是本工具的填报模板（封面没有格式标记）；请用 xxgk template 生成的模板填写，或用 xxgk fill 从 JSON 生成工作簿",
        where=name,
        code="not-template",
    )


class _Grids:
    """``content.xml`` read as a stream: each sheet's rows and cells counted with their repeats,
    the values of the cells within the extent kept, everything else cleared as soon as read."""

    def __init__(self, extent: dict[str, tuple[int, int]], name: str) -> None:
        self.extent = extent
        self.name = name
        self.grids: dict[str, Grid] = {}

    def read(self, stream: Any) -> dict[str, Grid]:
        from lxml import etree

        from validator.workbook.grids import place  # lazy: off the check path

        events = etree.iterparse(stream, events=("start", "end"), **SAFE_XML)
        sheet: str | None = None
        grid: Grid = []
        rows = cols = row = column = 0
        first = True
        for event, el in events:
            if first:
                first = False
                info = el.getroottree().docinfo
                if info.doctype or info.internalDTD is not None:
                    from validator.workbook.zipsafe import UNSAFE_XML_MSG  # lazy: off the check path

                    raise UnusableInput(UNSAFE_XML_MSG, where=f"{self.name} content.xml", code="unsafe-xml")
            tag = el.tag
            if event == "start":
                if tag == T_TABLE:
                    sheet = el.get(A_NAME)
                    rows, cols = self.extent.get(sheet, (0, 0)) if sheet is not None else (0, 0)
                    grid, row = [], 0
                    if sheet is not None and sheet in self.extent and sheet not in self.grids:
                        self.grids[sheet] = grid
                    else:
                        rows = cols = 0  # a sheet no format uses, or a second of the same name: counted, not kept
                elif tag == T_ROW:
                    column = 0
                continue
            if tag in (T_CELL, T_COVERED):
                repeat = _count(el.get(A_COLS))
                if row < rows and column < cols and tag == T_CELL:
                    value = self._value(el, sheet, row, column)
                    if value is not None:
                        for c in range(column, min(column + repeat, cols)):
                            place(grid, row + 1, c + 1, value, cols)
                column += repeat
                _clear(el)
            elif tag == T_ROW:
                repeat = _count(el.get(A_ROWS))
                if repeat > 1 and row < len(grid):  # a row of values repeated: as many copies as the extent holds
                    for r in range(row + 1, min(row + repeat, rows)):
                        for c, value in enumerate(grid[row]):
                            if value is not None:
                                place(grid, r + 1, c + 1, value, cols)
                row += repeat
                _clear(el)
            elif tag == T_TABLE:
                sheet = None
                _clear(el)
        return self.grids

    def _value(self, el: Any, sheet: str | None, row: int, column: int) -> object:
        """The cell's value as the xlsx reader gives it for the same cell."""
        kind = el.get(A_TYPE)
        if el.get(A_CALC_TYPE) == "error":
            return CellError(self._text(el, sheet, row, column) or "#VALUE!")
        if kind is None:
            formula = el.get(A_FORMULA)
            if formula is not None:
                return Uncalculated(formula.split(":", 1)[-1].lstrip("="))
            text = self._text(el, sheet, row, column)
            return text or None
        if kind in ("float", "percentage", "currency"):
            return _number(el.get(A_VALUE, ""))
        if kind == "date":
            return dt.datetime.fromisoformat(el.get(A_DATE, ""))
        if kind == "time":
            return _time(el.get(A_TIME, ""))
        if kind == "boolean":
            return el.get(A_BOOLEAN, "").lower() == "true"
        if kind == "string":
            value = el.get(A_STRING)
            return value if value is not None else self._text(el, sheet, row, column)
        raise ValueError(f"value type {kind}")

    def _text(self, el: Any, sheet: str | None, row: int, column: int) -> str:
        """The cell's paragraphs, one line each; a comment (``office:annotation``) is not its text."""
        text = _Text()
        try:
            for child in el:
                if child.tag in (P, H):
                    if text.parts:
                        text.add("\n")
                    _inline(child, text)
        except _TooLong:
            raise UnusableInput(
                f"单元格中的文字超过单元格上限 {EXCEL_CELL_LIMIT} 字，无法保存到 JSON 或工作簿",
                where=f"{self.name} {sheet}!{col_letter(column)}{row + 1}",
                code="bad-text",
            ) from None
        return "".join(text.parts)


class _TooLong(Exception):
    pass


class _Text:
    """A cell's text as it is put together, refused as soon as no cell could hold it (spaces
    written as a count, ``<text:s text:c="1000000000"/>``, are never laid out past that)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, piece: str) -> None:
        self.size += len(piece)
        if self.size > EXCEL_CELL_LIMIT:
            raise _TooLong
        self.parts.append(piece)


def _inline(el: Any, text: _Text) -> None:
    text.add(el.text or "")
    for child in el:
        tag = child.tag
        if tag == S:
            text.add(" " * min(_count(child.get(A_SPACES)), EXCEL_CELL_LIMIT + 1))
        elif tag == TAB:
            text.add("\t")
        elif tag == LINE_BREAK:
            text.add("\n")
        elif isinstance(tag, str) and tag.startswith(_TEXT_NS) and not tag.endswith(("}note", "}bookmark-ref")):
            _inline(child, text)  # a span, a link, a field: its text
        text.add(child.tail or "")


def _count(value: str | None) -> int:
    """A repeat count: at least 1 (a damaged count is damage)."""
    if value is None:
        return 1
    count = int(value)
    if count < 1:
        raise ValueError("repeat count")
    return count


def _number(text: str) -> int | float:
    """As openpyxl reads a number: an int unless written with a point or an exponent."""
    text = text.strip()
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


def _time(text: str) -> dt.time | dt.timedelta:
    m = re.fullmatch(_TIME, text.strip())
    if m is None:
        raise ValueError("time value")
    days, hours, minutes, seconds = int(m.group(1) or 0), int(m.group(2)), int(m.group(3)), float(m.group(4))
    span = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if text.startswith("-") or span >= dt.timedelta(days=1):
        return -span if text.startswith("-") else span
    return (dt.datetime.min + span).time()


def _clear(el: Any) -> None:
    """Free what has been read: the element's content, and the siblings before it."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


READER = Reader(KIND, "OpenDocument 表格", SUFFIXES, sniff, read, MAX_BYTES, annotate=annotate)
