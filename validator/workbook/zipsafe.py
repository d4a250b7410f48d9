"""Looking at an untrusted workbook from outside, before openpyxl sees it.

Size, what kind of file it is (the compound-file sniffer in :mod:`validator.workbook.cfb`),
and the zip's central directory, whose declared sizes bound everything ``zipfile`` will ever
decompress. The limits below are far above any real workbook: the template's largest part is
about 36 KB and all its parts together about 120 KB. XML is parsed by openpyxl through
defusedxml (a runtime dependency): DTDs with entities, external entities and the like are
refused, never expanded; :func:`is_unsafe_xml` recognises that refusal.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from validator.errors import UnusableInput
from validator.workbook.cfb import ENCRYPTED_MSG, OLE_MAGIC, compound_file_message

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
_DTD_SCAN_BYTES = 64 * 1024
_ODS_MSG = "OpenDocument 表格的结构不规范（第一个部件不是 mimetype），请在 LibreOffice 或 WPS 中重新保存"
_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SI_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")
UNSAFE_XML_MSG = "含有不安全的 XML 内容（DTD 或实体声明），已拒绝读取；请在 Excel 中重新保存，或联系报送单位"


def _zip_directory_size(fh, file_size: int) -> tuple[int, int] | None:
    """(entries, central-directory bytes) from the end record (and its ZIP64 record), or None."""
    tail_len = min(file_size, 22 + 0xFFFF)
    fh.seek(file_size - tail_len)
    tail = fh.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + 22 > len(tail):
        return None
    entries, cd_size = struct.unpack_from("<HI", tail, pos + 10)
    if pos >= 20 and tail[pos - 20 : pos - 16] == b"PK\x06\x07":
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


def unsafe_part_where(path: Path) -> str:
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
            "（填好的报告通常不到 1 MB）；文件可能是恶意构造的，已拒绝读取",
            where=where,
            code="too-large",
        )
    count = sum(1 for _ in _SI_TAG.finditer(z.read(info)))
    if count > MAX_SHARED_STRINGS:
        raise UnusableInput(
            f"共享字符串表有 {count:,} 条文字，超过上限 {MAX_SHARED_STRINGS:,} 条（填好的报告通常只有几千条）；"
            "文件可能是恶意构造的，已拒绝读取",
            where=where,
            code="too-large",
        )


@dataclass(frozen=True)
class Package:
    """A kind of zip package (a workbook, a Word document): the words of its refusals and its
    limits, so every package is checked by the one :func:`check_package`."""

    noun: str
    """“工作簿” / “文档”."""
    file: str
    """What the file should be, as in “不是完整的 .xlsx 工作簿”."""
    app: str
    encrypted: str
    """What to do about a password (appended to “…中的部件被加密；”)."""
    unsafe_xml: str
    usual_parts: str
    """How many parts a real one has, for the message about a strange zip directory."""
    usual_part_size: str = ""
    usual_total: str = ""
    damaged_hint: str = ""
    """What to do with a damaged file, appended to its message (with its “；”)."""
    foreign_code: str = "not-xlsx"
    """The code for parts compressed in a way the application never uses."""
    part_limits: tuple[tuple[str, int], ...] = ()
    """Parts with a lower limit than :data:`MAX_PART_BYTES` (uncompressed bytes)."""
    where: Callable[[str, zipfile.ZipFile, str], str] = lambda name, z, part: f"{name} {part}"
    """Where a part is, for staff (a workbook names the sheet)."""
    first: Callable[[zipfile.ZipFile, str], None] | None = None
    """Checked as soon as the zip is open (a workbook: is it an OpenDocument file?)."""
    last: Callable[[zipfile.ZipFile, str], None] | None = None
    """Checked after the parts (a workbook: its shared-strings table)."""


def check_package(path: Path, kind: Package) -> None:
    """Refuse zip bombs and oddities from the central directory, before anything is inflated;
    a damaged zip is refused in `kind`'s words."""
    try:
        _check_package(path, kind)
    except UnusableInput:
        raise
    except MemoryError:
        raise UnusableInput("文件过大，内存不足，无法读取", where=path.name, code="too-large") from None
    except DAMAGED:
        raise UnusableInput(
            f"文件已损坏或不是完整的 {kind.file}{kind.damaged_hint}",
            where=path.name,
            code="damaged",
        ) from None


def _check_package(path: Path, kind: Package) -> None:
    name = path.name
    mb = lambda n: f"{n / MiB:,.0f} MB"  # noqa: E731
    bomb = "文件可能是恶意构造的“压缩炸弹”，已拒绝读取"
    with path.open("rb") as fh:
        directory = _zip_directory_size(fh, path.stat().st_size)
    if directory is not None:
        entries, cd_size = directory
        if entries > MAX_ZIP_PARTS or cd_size > MAX_ZIP_DIRECTORY_BYTES:
            raise UnusableInput(
                f"压缩包目录异常（{entries} 个部件，目录 {cd_size} 字节），{kind.usual_parts}；"
                "文件可能是恶意构造的，已拒绝读取",
                where=name,
                code="too-large",
            )
    limits = dict(kind.part_limits)
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        if kind.first is not None:
            kind.first(z, name)
        if len(infos) > MAX_ZIP_PARTS:
            raise UnusableInput(
                f"压缩包中有 {len(infos)} 个部件，超过上限 {MAX_ZIP_PARTS}；已拒绝读取", where=name, code="too-large"
            )
        total = 0
        for info in infos:
            part = info.filename
            if info.flag_bits & 0x1:
                raise UnusableInput(
                    f"{kind.noun}中的部件被加密；{kind.encrypted}", where=f"{name} {part}", code="encrypted"
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UnusableInput(
                    f"部件使用了 {kind.app} 不用的压缩方式（{info.compress_type}），"
                    f"不是 {kind.app} 保存的 {kind.file.split()[0]}",
                    where=f"{name} {part}",
                    code=kind.foreign_code,
                )
            limit = limits.get(part, MAX_PART_BYTES)
            if info.file_size > limit:
                raise UnusableInput(
                    f"部件解压后有 {mb(info.file_size)}，超过上限 {mb(limit)}{kind.usual_part_size}；{bomb}",
                    where=kind.where(name, z, part),
                    code="too-large",
                )
            xml = part.lower().endswith(_XML_SUFFIXES)
            if xml and info.file_size > MiB and info.file_size > MAX_XML_RATIO * max(info.compress_size, 1):
                raise UnusableInput(
                    f"部件的压缩比异常（{info.file_size // max(info.compress_size, 1)}:1，上限 {MAX_XML_RATIO}:1）；{bomb}",
                    where=kind.where(name, z, part),
                    code="too-large",
                )
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise UnusableInput(
                f"{kind.noun}解压后共 {mb(total)}，超过上限 {mb(MAX_TOTAL_BYTES)}{kind.usual_total}；{bomb}",
                where=name,
                code="too-large",
            )
        for info in infos:
            if info.filename.lower().endswith(_XML_SUFFIXES) and _has_dtd(z, info):
                raise UnusableInput(kind.unsafe_xml, where=kind.where(name, z, info.filename), code="unsafe-xml")
        if kind.last is not None:
            kind.last(z, name)


_XML_SUFFIXES = (".xml", ".rels", ".vml")


def _refuse_odf(z: zipfile.ZipFile, name: str) -> None:
    """An OpenDocument package that reached the workbook reader: a document that is not a
    spreadsheet, or a spreadsheet the .ods reader did not recognise by its first part."""
    odf = _odf_kind(z)
    if odf and odf.endswith("spreadsheet"):
        raise UnusableInput(_ODS_MSG, where=name, code="damaged")
    if odf:
        raise UnusableInput("这是 OpenDocument 文档（如 .odt），不是表格", where=name, code="not-xlsx")


DAMAGED_HINT = "；请在 Excel 或 WPS 中打开，另存为 .xlsx 后再试（邮件附件请重新下载）"
"""What staff can do about a damaged workbook (the error's class name stays out of the message)."""

WORKBOOK = Package(
    noun="工作簿",
    file=".xlsx 工作簿",
    app="Excel",
    encrypted=ENCRYPTED_MSG,
    unsafe_xml=UNSAFE_XML_MSG,
    usual_parts="填报模板只有约 20 个部件",
    usual_part_size="（填报模板的部件不到 1 MB）",
    usual_total="（填报模板约 0.1 MB）",
    damaged_hint=DAMAGED_HINT,
    where=_part_where,
    first=_refuse_odf,
    last=_check_shared_strings,
)


DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    KeyError,
    OSError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    EOFError,
    ArithmeticError,
    zlib.error,
    SyntaxError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    LookupError,
)
"""What a damaged file makes zipfile, zlib, ElementTree (ParseError is a SyntaxError) or openpyxl raise."""


def is_unsafe_xml(exc: BaseException | None) -> bool:
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
    if head == OLE_MAGIC:
        message, code = compound_file_message(path)
        raise UnusableInput(message, where=name, code=code)
    if not head.startswith(b"PK"):
        raise UnusableInput("不是 Excel 工作簿（.xlsx）文件", where=name, code="not-xlsx")
    check_package(path, WORKBOOK)


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
                    where=_part_where(path.name, z, biggest.filename),
                    code="too-large",
                )
    except UnusableInput:
        raise
    except DAMAGED:
        raise UnusableInput(
            f"文件已损坏或不是完整的 .xlsx 工作簿{DAMAGED_HINT}", where=path.name, code="damaged"
        ) from None
