"""Read a filled workbook into a :class:`~validator.submission.Submission`.

Reading is in two steps so the Excel button can share the second: :func:`read_grids` turns
a file into one value grid per sheet (openpyxl, read-only, cached formula results), and
:func:`submission_from_grids` checks the grids are our template of a known version and
picks every cell by the format data. The xlwings entry point builds the same grids from
``sheet.range(...).value`` and calls the second step.

Every file is untrusted (submissions travel between offices), so before openpyxl sees it
:func:`check_workbook_file` looks at it from outside: size, what kind of file it is (an old
.xls and a password-protected workbook are both OLE compound files; their directories tell
them apart), and the zip's central directory, whose declared sizes bound everything
``zipfile`` will ever decompress. The limits below are far above any real workbook: the
template's largest part is about 36 KB and all its parts together about 120 KB.
XML is parsed by openpyxl through defusedxml (a runtime dependency): DTDs with entities,
external entities and the like are refused, never expanded.
"""

from __future__ import annotations

import posixpath
import re
import struct
import unicodedata
import warnings
import zipfile
import zlib
from functools import cache
from pathlib import Path

from validator.errors import UnusableInput
from validator.formats import get_format, known_formats
from validator.spec import FormatSpec, split_ref
from validator.submission import Explanation, Submission
from validator.values import CONTROL_CHARACTERS, CellError, Uncalculated, decode_ooxml, display

Grid = list[list[object]]
MiB = 1024 * 1024
MAX_WORKBOOK_BYTES = 50 * MiB
"""The file itself."""
MAX_ZIP_PARTS = 1000
"""Parts (zip entries) in the workbook; the template has 17, a workbook saved by Excel some 25."""
MAX_ZIP_DIRECTORY_BYTES = 1 * MiB
"""The zip's central directory, checked from the end record before ``zipfile`` parses it."""
MAX_PART_BYTES = 64 * MiB
"""One part, uncompressed (the template's largest is about 36 KB)."""
MAX_TOTAL_BYTES = 128 * MiB
"""All parts together, uncompressed (the template: about 120 KB)."""
MAX_XML_RATIO = 200
"""Compression ratio of an XML part above 1 MiB; real sheets compress about 10:1."""
MAX_EDIT_SHEET_BYTES = 16 * MiB
"""Worksheet XML in a workbook loaded whole for editing (``--annotate``): openpyxl then keeps
every cell as an object (about 0.5 KB each), so 16 MB of XML is already some 300 MB of memory."""
MAX_SHARED_STRINGS_BYTES = 16 * MiB
"""The shared-strings part, uncompressed. openpyxl reads the whole table before the first cell;
a filled report (three narratives, a few thousand 校验结果 rows) needs well under 4 MB."""
MAX_SHARED_STRINGS = 100_000
"""Entries in the shared-strings table: each costs openpyxl some 10–30 µs and 150 bytes, so 3 million
tiny strings in a 10 MB file meant over a minute and 500 MB. A filled report has a few thousand."""
MAX_RESULT_ROWS = 5000
_DTD_SCAN_BYTES = 64 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MSG = "设置了打开密码，请在 Excel 中取消密码后另存为 .xlsx"
_XLS_MSG = "这是旧版 .xls 文件，请在 Excel 中另存为 .xlsx"
_ODS_MSG = "这是 OpenDocument (.ods) 文件，请在 WPS、LibreOffice 或 Excel 中另存为 .xlsx"
_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SI_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")
_UNSAFE_XML_MSG = "含有不安全的 XML 内容（DTD 或实体声明），已拒绝读取；请在 Excel 中重新保存，或联系报送单位"


def cell_value(grid: Grid, ref: str) -> object:
    row, col = split_ref(ref)
    if row < len(grid) and col < len(grid[row]):
        return grid[row][col]
    return None


def _norm(text: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def sheet_extent(fmt: FormatSpec) -> dict[str, tuple[int, int]]:
    """How many rows and columns of each sheet the format uses (1-based, inclusive)."""
    ext: dict[str, tuple[int, int]] = {}
    refs = [(c.sheet, c.ref) for c in (*fmt.cells, *fmt.baseline_cells)]
    refs += [(lb.sheet, lb.merge_to or lb.ref) for lb in fmt.labels]
    refs += [fmt.marker_cell, fmt.version_cell]
    for sheet, ref in refs:
        row, col = split_ref(ref)
        r, c = ext.get(sheet, (0, 0))
        ext[sheet] = (max(r, row + 1), max(c, col + 1))
    r, c = ext[fmt.results_sheet]
    ext[fmt.results_sheet] = (fmt.results_header_row + MAX_RESULT_ROWS, c)
    return ext


# --------------------------------------------------------------------------- OLE compound files


def compound_file_names(path: Path) -> set[str]:
    """The entry names in an [MS-CFB] compound file's directory (stdlib only).

    Follows the header's directory start sector through the FAT; FAT sectors come from the
    header's 109 DIFAT slots and the DIFAT chain. Raises ValueError on anything malformed;
    every loop is bounded by the file's sector count.
    """
    with path.open("rb") as fh:
        fh.seek(0, 2)
        file_size = fh.tell()
        fh.seek(0)
        header = fh.read(512)
        if len(header) < 512 or header[:8] != _OLE_MAGIC:
            raise ValueError("not a compound file")
        major, byte_order, shift = struct.unpack_from("<HHH", header, 26)
        if byte_order != 0xFFFE or (major, shift) not in ((3, 9), (4, 12)):
            raise ValueError("unsupported compound-file header")
        size = 1 << shift
        ids = size // 4
        n_fat, first_dir = struct.unpack_from("<II", header, 44)
        first_difat, n_difat = struct.unpack_from("<II", header, 68)
        n_sectors = file_size // size
        if n_fat > n_sectors:
            raise ValueError("FAT larger than the file")

        def sector(number: int) -> bytes:
            if number >= n_sectors:
                raise ValueError("sector beyond the end of the file")
            fh.seek((number + 1) * size)
            data = fh.read(size)
            if len(data) < size:
                raise ValueError("truncated sector")
            return data

        difat = list(struct.unpack_from("<109I", header, 76))
        number = first_difat
        for _ in range(min(n_difat, n_sectors)):
            if number >= 0xFFFFFFFA or len(difat) >= n_fat:
                break
            values = struct.unpack(f"<{ids}I", sector(number))
            difat += values[:-1]
            number = values[-1]
        fat_sectors = difat[:n_fat]

        def next_sector(number: int) -> int:
            index = number // ids
            if index >= len(fat_sectors):
                raise ValueError("sector outside the FAT")
            return struct.unpack_from("<I", sector(fat_sectors[index]), (number % ids) * 4)[0]

        names: set[str] = set()
        seen: set[int] = set()
        number = first_dir
        while number < 0xFFFFFFFA:
            if number in seen or len(seen) > n_sectors:
                raise ValueError("directory chain loops")
            seen.add(number)
            block = sector(number)
            for offset in range(0, size, 128):
                name_len, kind = struct.unpack_from("<HB", block, offset + 64)
                if kind in (1, 2, 5) and 2 <= name_len <= 64 and name_len % 2 == 0:
                    names.add(block[offset:offset + name_len - 2].decode("utf-16-le", "replace"))
            number = next_sector(number)
        return names


def _compound_file_message(path: Path) -> tuple[str, str]:
    """(message, code) for an OLE compound file: encrypted workbook, old .xls, or unclear."""
    try:
        names = {n.casefold() for n in compound_file_names(path)}
    except (ValueError, OSError, struct.error):
        names = set()
    if {"encryptedpackage", "encryptioninfo"} & names:
        return _ENCRYPTED_MSG, "encrypted"
    if {"workbook", "book"} & names:
        return _XLS_MSG, "xls"
    return "这是旧版 .xls 文件或设置了打开密码的工作簿；请在 Excel 中取消密码并另存为 .xlsx 后再试", "not-xlsx"


# --------------------------------------------------------------------------- zip checks


def _zip_directory_size(fh, file_size: int) -> tuple[int, int] | None:
    """(entries, central-directory bytes) from the end record (and its ZIP64 record), or None."""
    tail_len = min(file_size, 22 + 0xFFFF)
    fh.seek(file_size - tail_len)
    tail = fh.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + 22 > len(tail):
        return None
    entries, cd_size = struct.unpack_from("<HI", tail, pos + 10)
    if pos >= 20 and tail[pos - 20:pos - 16] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<Q", tail, pos - 12)
        if offset < file_size:
            fh.seek(offset)
            record = fh.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                entries, cd_size = struct.unpack_from("<QQ", record, 32)
    return entries, cd_size


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Best effort: part name -> sheet name, for messages."""
    from defusedxml.ElementTree import fromstring

    try:
        names = {i.filename: i for i in z.infolist()}
        wb_info, rels_info = names.get("xl/workbook.xml"), names.get("xl/_rels/workbook.xml.rels")
        if not wb_info or not rels_info or max(wb_info.file_size, rels_info.file_size) > 4 * MiB:
            return {}
        rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
        targets = {}
        for rel in fromstring(z.read(rels_info)):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            targets[rel.get("Id")] = target
        out = {}
        for el in fromstring(z.read(wb_info)).iter():
            if el.tag.endswith("}sheet") and el.get(rel_ns + "id") in targets:
                out[targets[el.get(rel_ns + "id")]] = el.get("name", "")
        return out
    except Exception:  # only decorates a message that is raised anyway
        return {}


def _part_where(name: str, z: zipfile.ZipFile, part: str) -> str:
    sheet = _sheet_parts(z).get(part)
    return f"{name} 工作表“{sheet}”（{part}）" if sheet else f"{name} {part}"


def _has_dtd(z: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int | None = _DTD_SCAN_BYTES) -> bool:
    """Whether the part's first ``limit`` bytes (all of it for None) declare a DTD or entity."""
    tail = b""
    read = 0
    with z.open(info) as fh:
        while limit is None or read < limit:
            block = fh.read(MiB if limit is None else limit)
            if not block:
                break
            read += len(block)
            text = tail + block.replace(b"\x00", b"")  # UTF-16 parts: ASCII markup without the zero bytes
            if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
                return True
            tail = text[-16:]
    return False


def _unsafe_part_where(path: Path) -> str:
    """Which part declares the DTD that defusedxml refused (for the message; best effort)."""
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.filename.lower().endswith((".xml", ".rels", ".vml")) and _has_dtd(z, info, None):
                    return _part_where(path.name, z, info.filename)
    except Exception:  # only decorates a message that is raised anyway
        pass
    return path.name


def _odf_kind(z: zipfile.ZipFile) -> str | None:
    """The media type an OpenDocument package declares in its first part, or None."""
    try:
        info = z.getinfo("mimetype")
    except KeyError:
        return None
    if info.file_size > 200:
        return None
    kind = z.read(info).decode("ascii", "replace").strip()
    return kind if kind.startswith("application/vnd.oasis.opendocument") else None


def _shared_strings_part(z: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The part openpyxl reads as the shared-strings table: the one [Content_Types].xml names."""
    from defusedxml.ElementTree import fromstring

    names = {i.filename: i for i in z.infolist()}
    types = names.get("[Content_Types].xml")
    if types is not None and types.file_size <= MiB:
        for el in fromstring(z.read(types)):
            if el.get("ContentType") == _SHARED_STRINGS_TYPE:
                return names.get(el.get("PartName", "").lstrip("/"))
        return None
    return names.get("xl/sharedStrings.xml")


def _check_shared_strings(z: zipfile.ZipFile, name: str) -> None:
    """Bound the table openpyxl builds before reading a single cell: its size, then its entries."""
    info = _shared_strings_part(z)
    if info is None:
        return
    where = f"{name} {info.filename}"
    if info.file_size > MAX_SHARED_STRINGS_BYTES:
        raise UnusableInput(
            f"共享字符串表解压后有 {info.file_size / MiB:,.0f} MB，超过上限 {MAX_SHARED_STRINGS_BYTES // MiB} MB"
            "（填好的报告通常不到 1 MB）；文件可能是恶意构造的，已拒绝读取", where=where, code="too-large")
    count = sum(1 for _ in _SI_TAG.finditer(z.read(info)))
    if count > MAX_SHARED_STRINGS:
        raise UnusableInput(
            f"共享字符串表有 {count:,} 条文字，超过上限 {MAX_SHARED_STRINGS:,} 条（填好的报告通常只有几千条）；"
            "文件可能是恶意构造的，已拒绝读取", where=where, code="too-large")


def _check_zip(path: Path) -> None:
    """Refuse zip bombs and oddities from the central directory, before anything is inflated."""
    name = path.name
    mb = lambda n: f"{n / MiB:,.0f} MB"  # noqa: E731
    with path.open("rb") as fh:
        directory = _zip_directory_size(fh, path.stat().st_size)
    if directory is not None:
        entries, cd_size = directory
        if entries > MAX_ZIP_PARTS or cd_size > MAX_ZIP_DIRECTORY_BYTES:
            raise UnusableInput(
                f"压缩包目录异常（{entries} 个部件，目录 {cd_size} 字节），填报模板只有约 20 个部件；"
                "文件可能是恶意构造的，已拒绝读取", where=name, code="too-large")
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        odf = _odf_kind(z)
        if odf:
            raise UnusableInput(
                _ODS_MSG if odf.endswith("spreadsheet") else "这是 OpenDocument 文档，不是 Excel 工作簿（.xlsx）",
                where=name, code="ods")
        if len(infos) > MAX_ZIP_PARTS:
            raise UnusableInput(f"压缩包中有 {len(infos)} 个部件，超过上限 {MAX_ZIP_PARTS}；已拒绝读取", where=name, code="too-large")
        total = 0
        for info in infos:
            part = info.filename
            if info.flag_bits & 0x1:
                raise UnusableInput("工作簿中的部件被加密；" + _ENCRYPTED_MSG, where=f"{name} {part}", code="encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UnusableInput(f"部件使用了 Excel 不用的压缩方式（{info.compress_type}），不是 Excel 保存的 .xlsx",
                                    where=f"{name} {part}", code="not-xlsx")
            if info.file_size > MAX_PART_BYTES:
                raise UnusableInput(
                    f"部件解压后有 {mb(info.file_size)}，超过上限 {mb(MAX_PART_BYTES)}（填报模板的部件不到 1 MB）；"
                    "文件可能是恶意构造的“压缩炸弹”，已拒绝读取", where=_part_where(name, z, part), code="too-large")
            xml = part.lower().endswith((".xml", ".rels", ".vml"))
            if xml and info.file_size > MiB and info.file_size > MAX_XML_RATIO * max(info.compress_size, 1):
                raise UnusableInput(
                    f"部件的压缩比异常（{info.file_size // max(info.compress_size, 1)}:1，上限 {MAX_XML_RATIO}:1）；"
                    "文件可能是恶意构造的“压缩炸弹”，已拒绝读取", where=_part_where(name, z, part), code="too-large")
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise UnusableInput(
                f"工作簿解压后共 {mb(total)}，超过上限 {mb(MAX_TOTAL_BYTES)}（填报模板约 0.1 MB）；"
                "文件可能是恶意构造的“压缩炸弹”，已拒绝读取", where=name, code="too-large")
        for info in infos:
            if info.filename.lower().endswith((".xml", ".rels", ".vml")) and _has_dtd(z, info):
                raise UnusableInput(_UNSAFE_XML_MSG, where=_part_where(name, z, info.filename), code="unsafe-xml")
        _check_shared_strings(z, name)


_DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, TypeError, AttributeError,
            IndexError, EOFError, ArithmeticError, zlib.error, SyntaxError, NotImplementedError, RuntimeError,
            struct.error, LookupError)
"""What a damaged file makes zipfile, zlib, ElementTree (ParseError is a SyntaxError) or openpyxl raise."""


def _is_unsafe_xml(exc: BaseException) -> bool:
    """defusedxml refused a DTD/entity, directly or wrapped (openpyxl re-raises reading
    errors as ``ValueError("Unable to read …") from exc``)."""
    from defusedxml import DefusedXmlException

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DefusedXmlException):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def check_workbook_file(path: str | Path) -> None:
    """Everything that can be checked before openpyxl opens the file; raises :class:`UnusableInput`.

    Also meant for any other code that opens a user's workbook (e.g. annotating a copy).
    """
    path = Path(path)
    name = path.name
    try:
        if not path.exists():
            raise UnusableInput("文件不存在", where=str(path), code="not-found")
        if not path.is_file():
            raise UnusableInput("不是文件", where=str(path), code="not-found")
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise UnusableInput(f"无法读取文件：{exc.strerror or exc}", where=str(path), code="not-found") from None
    if size == 0:
        raise UnusableInput("文件是空的（0 字节）", where=name, code="empty")
    if size > MAX_WORKBOOK_BYTES:
        raise UnusableInput(f"文件过大（{size // MiB} MB），填报模板不应超过 50 MB", where=name, code="too-large")
    if head == _OLE_MAGIC:
        message, code = _compound_file_message(path)
        raise UnusableInput(message, where=name, code=code)
    if not head.startswith(b"PK"):
        raise UnusableInput("不是 Excel 工作簿（.xlsx）文件", where=name, code="not-xlsx")
    try:
        _check_zip(path)
    except UnusableInput:
        raise
    except MemoryError:
        raise UnusableInput("文件过大，内存不足，无法读取", where=name, code="too-large") from None
    except _DAMAGED as exc:
        raise UnusableInput(f"文件已损坏或不是完整的 .xlsx 工作簿（{type(exc).__name__}）", where=name, code="damaged") from None


def check_editable_workbook(path: str | Path) -> None:
    """For code that loads the user's workbook whole to write a copy (``xxgk check --annotate``).

    Reading (read-only, only the rows the format uses) copes with sheets of a million rows;
    a full load does not: it builds every cell. Call after :func:`check_workbook_file`.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            sheets = [i for i in z.infolist() if i.filename.startswith("xl/worksheets/")]
            total = sum(i.file_size for i in sheets)
            if total > MAX_EDIT_SHEET_BYTES:
                biggest = max(sheets, key=lambda i: i.file_size)
                raise UnusableInput(
                    f"工作表内容过多（解压后共 {total / MiB:,.0f} MB，上限 {MAX_EDIT_SHEET_BYTES // MiB} MB），"
                    "无法另存标注；可能是整列填充了内容，请删除表格下方多余的行后再试",
                    where=_part_where(path.name, z, biggest.filename), code="too-large")
    except UnusableInput:
        raise
    except _DAMAGED as exc:
        raise UnusableInput(f"文件已损坏或不是完整的 .xlsx 工作簿（{type(exc).__name__}）", where=path.name, code="damaged") from None


def read_grids(path: str | Path, fmt: FormatSpec | None = None) -> tuple[FormatSpec, dict[str, Grid]]:
    """Open the workbook and read the cells the format uses, sheet by sheet."""
    path = Path(path)
    check_workbook_file(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's warnings about odd parts are not for staff
        return _read_grids(path, fmt)


def _read_grids(path: Path, fmt: FormatSpec | None) -> tuple[FormatSpec, dict[str, Grid]]:
    """openpyxl is given the open file, not the name: it refuses names not ending in .xlsx/.xlsm,
    and the content has been checked above whatever the file is called."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    where = path.name
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise UnusableInput(f"无法读取文件：{exc.strerror or exc}", where=where, code="not-found") from None
    with fh:
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
        except MemoryError:
            raise UnusableInput("文件过大，内存不足，无法读取", where=where, code="too-large") from None
        except (InvalidFileException, *_DAMAGED) as exc:
            if _is_unsafe_xml(exc):
                raise UnusableInput(_UNSAFE_XML_MSG, where=_unsafe_part_where(path), code="unsafe-xml") from None
            raise UnusableInput(f"文件已损坏或不是完整的 .xlsx 工作簿（{type(exc).__name__}）", where=where, code="damaged") from None
        try:
            fmt = fmt or _detect_format(wb, path.name)
            missing = [s.name for s in fmt.sheets if s.name not in wb.sheetnames]
            if missing:
                raise UnusableInput(
                    f"缺少工作表“{'”“'.join(missing)}”；这不是本工具的填报模板，或工作表被删除、改名",
                    where=path.name, code="layout-changed")
            grids: dict[str, Grid] = {}
            for sheet, (rows, cols) in sheet_extent(fmt).items():
                where = f"{path.name} 工作表“{sheet}”"
                grids[sheet] = _sheet_grid(wb, wb[sheet], rows, cols)
            return fmt, grids
        except UnusableInput:
            raise
        except MemoryError:
            raise UnusableInput("文件过大，内存不足，无法读取", where=where, code="too-large") from None
        except _DAMAGED as exc:
            if _is_unsafe_xml(exc):
                raise UnusableInput(_UNSAFE_XML_MSG, where=where, code="unsafe-xml") from None
            raise UnusableInput(f"文件已损坏，无法读取（{type(exc).__name__}）", where=where, code="damaged") from None
        finally:
            wb.close()


def _sheet_grid(wb, ws, rows: int, cols: int) -> Grid:
    """The first ``rows`` × ``cols`` cell values of a read-only sheet (rows past them are never parsed).

    Uses openpyxl's sheet parser directly (pinned < 3.2) for what its read-only cells drop:
    whether a cell without a value holds a formula (:class:`Uncalculated`)."""
    grid: Grid = [[None] * cols for _ in range(rows)]
    with ws._get_source() as src:
        parser = _parser_class()(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        for index, cells in parser.parse():
            if index > rows:
                break
            if index < 1:
                continue
            line = grid[index - 1]
            for cell in cells:
                column = cell["column"]
                if 1 <= column <= cols:
                    line[column - 1] = cell["value"]
    return grid


@cache
def _parser_class():
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class CellParser(WorkSheetParser):
        """Cell values as this tool reads them: formula errors marked, ``_xHHHH_`` escapes decoded,
        a formula without a stored result kept as :class:`Uncalculated` instead of an empty cell."""

        def parse_cell(self, element):
            cell = super().parse_cell(element)
            value = cell["value"]
            if isinstance(value, str):
                cell["value"] = CellError(value) if cell["data_type"] == "e" else decode_ooxml(value)
            elif value is None:
                formula = element.find(FORMULA_TAG)
                empty_text_result = cell["data_type"] == "str" and element.find(VALUE_TAG) is not None
                if formula is not None and not empty_text_result:
                    cell["value"] = Uncalculated((formula.text or "").strip())
            return cell

    return CellParser


def _detect_format(wb, name: str) -> FormatSpec:
    """The registered format whose marker cell holds its id. Every format is tried (their
    marker cells may differ); a marker naming a format this tool does not know is said so."""
    foreign: tuple[str, str, str] | None = None
    for fmt_id in known_formats():
        fmt = get_format(fmt_id)
        sheet, ref = fmt.marker_cell
        if sheet not in wb.sheetnames:
            continue
        row, col = split_ref(ref)
        for r in wb[sheet].iter_rows(min_row=row + 1, max_row=row + 1, min_col=col + 1, max_col=col + 1,
                                     values_only=True):
            marker = r[0].strip() if isinstance(r[0], str) else r[0]
            if marker == fmt.id:
                return fmt
            if foreign is None and isinstance(marker, str) and marker.startswith("gb-"):
                foreign = (marker, sheet, ref)
    if foreign is not None:
        marker, sheet, ref = foreign
        raise UnusableInput(f"这是“{marker}”格式的模板，本工具只认识 {'、'.join(known_formats())}",
                            where=f"{name} {sheet}!{ref}", code="unknown-format")
    raise UnusableInput(
        "不是本工具的填报模板（封面没有格式标记）；请用 xxgk template 生成的模板填写，"
        "或用 xxgk fill 从 JSON 生成工作簿", where=name, code="not-template")


def detect_format(marker_at) -> FormatSpec | None:
    """The registered format whose marker cell holds its id; ``marker_at(sheet, ref)`` reads a
    cell (None for a missing sheet). Shared by the Excel entry points."""
    for fmt_id in known_formats():
        fmt = get_format(fmt_id)
        marker = marker_at(*fmt.marker_cell)
        if isinstance(marker, str) and marker.strip() == fmt.id:
            return fmt
    return None


def submission_from_grids(fmt: FormatSpec, grids: dict[str, Grid], source: str = "") -> Submission:
    """Check the layout against the format data and pick every input cell by its key."""
    missing = [s.name for s in fmt.sheets if s.name not in grids]
    if missing:
        raise UnusableInput(f"缺少工作表“{'”“'.join(missing)}”；这不是本工具的填报模板，或工作表被删除、改名",
                            where=source, code="layout-changed")
    sheet, ref = fmt.marker_cell
    marker = cell_value(grids[sheet], ref)
    if not (isinstance(marker, str) and marker.strip() == fmt.id):
        raise UnusableInput(f"封面的格式标记为“{marker or '（空白）'}”，不是 {fmt.id}；这不是本工具的填报模板",
                            where=f"{source} {sheet}!{ref}".strip(), code="not-template")
    sheet, ref = fmt.version_cell
    version = cell_value(grids[sheet], ref)
    if not _same_version(version, fmt.template_version):
        raise UnusableInput(
            f"模板版本为“{display(version)}”，本工具读取的是第 {fmt.template_version} 版模板；"
            "请用 xxgk template 生成新模板，或用 xxgk fill 从 JSON 重新生成工作簿",
            where=f"{source} {sheet}!{ref}".strip(), code="template-version")
    wrong = []
    for label in fmt.labels:
        if not label.checked:
            continue
        found = cell_value(grids[label.sheet], label.ref)
        if _norm(found) != _norm(label.text):
            wrong.append(f"{label.sheet}!{label.ref} 应为“{label.text}”，现为“{str(found or '（空白）')[:30]}”")
    if wrong:
        more = f"\n  ……共 {len(wrong)} 处" if len(wrong) > 5 else ""
        raise UnusableInput(
            "表格结构与官方格式不一致（可能插入、删除了行列，或改动了表头文字）：\n  "
            + "\n  ".join(wrong[:5]) + more, where=source, code="layout-changed")
    values = {c.key: cell_value(grids[c.sheet], c.ref) for c in (*fmt.cells, *fmt.baseline_cells)}
    explanations = read_explanations(fmt, grids[fmt.results_sheet])
    _refuse_control_characters(fmt, values, explanations, source)
    return Submission(fmt, values, source, explanations)


def _refuse_control_characters(fmt: FormatSpec, values: dict[str, object], explanations: list[Explanation],
                               source: str) -> None:
    """Text with control characters (Excel keeps e.g. a pasted Word line break as ``_x000B_``) cannot
    go into the JSON; say which cell, as the JSON reader says which field (exit 2 both ways)."""
    texts = [(fmt.cell(key).a1, fmt.cell(key).label, value) for key, value in values.items()
             if isinstance(value, str) and fmt.cell(key).kind in ("text", "longtext", "choice")]
    texts += [(fmt.results_sheet, "情况说明", text) for e in explanations for text in (e.rule, *e.keys, e.text)]
    for where, label, text in texts:
        found = CONTROL_CHARACTERS.search(text)
        if found:
            raise UnusableInput(
                f"“{label}”中含有不可见的控制字符 U+{ord(found.group()):04X}（第 {found.start() + 1} 个字符处，"
                "常见于从 Word 等处粘贴的文字），请删除后再校验", where=f"{source} {where}".strip(), code="bad-text")


def _same_version(found: object, version: int) -> bool:
    """The version cell as a number or as text (“1” typed over the number 1 is the same version)."""
    if isinstance(found, bool):
        return False
    if isinstance(found, (int, float)):
        return found == version
    return isinstance(found, str) and found.strip() == str(version)


def read_explanations(fmt: FormatSpec, grid: Grid) -> list[Explanation]:
    """Rows of 校验结果 whose 情况说明 column staff filled in (rule in B, keys in J, text in I).

    One explanation per (rule, cells): a note shown on two findings of the same rule and cells
    comes back once; different notes for the same pair are joined line by line.
    """
    from validator import results

    texts: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    at = results.index("rule"), results.index("explanation"), results.index("keys")
    for row in grid[fmt.results_header_row:]:
        cells = [*row, *[None] * (results.WIDTH - len(row))]
        rule, text, keys = (cells[i] for i in at)
        if isinstance(rule, str) and rule.strip() and text not in (None, "") and str(text).strip():
            key_list = tuple(k.strip() for k in str(keys or "").split(",") if k.strip())
            seen = texts.setdefault((rule.strip(), key_list), [])
            if str(text) not in seen:
                seen.append(str(text))
    return [Explanation(rule, keys, "\n".join(parts)) for (rule, keys), parts in texts.items()]


def read_workbook(path: str | Path) -> Submission:
    fmt, grids = read_grids(path)
    return submission_from_grids(fmt, grids, Path(path).name)
