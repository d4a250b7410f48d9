"""A published report's Word file (.docx) as text lines for :func:`validator.importer.text.read_lines`.

The document body is read in order, paragraphs and tables interleaved, as Word shows it: one
line per paragraph (a manual line break ends a line too) and one ``cell | cell | …`` line per
table row with each physical cell once. python-docx repeats a merged cell in every grid slot it
covers; the reader counts a table's figures, so a repeated merged value would be counted twice.
Here a horizontally merged cell (``w:gridSpan``) is one ``w:tc`` and a vertically merged one
appears only in its first row (``w:vMerge="continue"`` cells are skipped), as a web page's
``colspan``/``rowspan`` cells do. Paragraphs inside a cell are joined by a space, so two
figures in one cell stay two tokens and make the table unread instead of one wrong number.
An empty cell in a row's figure places is marked for the reader (see
:func:`validator.importer.text.mark_table`), which counts it as an empty cell read as 0 and reported.

Before python-docx opens the file, the zip is checked from outside with the limits of
:mod:`validator.workbook.zipsafe` (size, parts, compression ratio, DTDs), and an old binary
``.doc`` or a password-protected file is named as such. Each line keeps where it came from
(paragraph, or table, row and column) for the provenance file.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import struct
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

from validator.errors import UnusableInput
from validator.importer.html import decode_html, read_page
from validator.importer.source import read_bytes
from validator.importer.text import BLANK_MARKS, EMPTY_CELL, Imported, mark_table, read_lines, report_blanks
from validator.workbook.cfb import OLE_MAGIC, compound_file_names
from validator.workbook.zipsafe import DAMAGED, Package, check_package

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
SKIPPED = frozenset({MC_FALLBACK, f"{W}moveFrom"})
"""Text stored twice: a text box's ``mc:Fallback`` copy, and text moved with changes tracked
(its old place, ``w:moveFrom``; deleted text is ``w:delText`` and never read)."""
MAX_DOCX_BYTES = 50 * 1024 * 1024
"""The file itself: a report with a few photos is a few MB."""
MAX_BODY_BYTES = 16 * 1024 * 1024
"""``word/document.xml`` uncompressed; a real report's is 0.1–1 MB. python-docx keeps the whole
tree in memory (some 10× the XML), so this bounds memory, not only time."""
DOC_MSG = (
    "这是旧版 Word 文档（.doc），无法直接读取。请在 Word 或 WPS 中打开后“另存为” .docx 再导入，"
    "或用 LibreOffice 转换：soffice --headless --convert-to docx {name}"
)
ENCRYPTED_MSG = "Word 文档设置了打开密码，请在 Word 或 WPS 中取消密码后另存为 .docx 再导入"
CONTAINERS = frozenset({f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}smartTag"})


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a line came from: a paragraph, or a table row and its cells' grid columns."""

    paragraph: int | None = None
    table: int | None = None
    row: int | None = None
    columns: tuple[int, ...] = ()
    shown: str = ""
    """The row as printed (an empty cell empty, not the mark the reader was given)."""

    def __str__(self) -> str:
        if self.table is None:
            return f"第 {self.paragraph} 段"
        return f"第 {self.table} 个表格第 {self.row} 行"


def read_docx(path: Path) -> Imported:
    """The tables of a published report in a Word file; exit 2 when it is not a usable one."""
    if check_docx_file(path) == "html":
        return _read_web_page(path)
    lines, places = docx_lines(path)
    imported = read_lines(lines, path.name)
    imported.figures = _with_places(imported, lines, places)
    report_blanks(imported)
    return imported


def check_docx_file(path: Path) -> str:
    """``"docx"``, or ``"html"`` for a web page saved with a Word name (as many sites offer
    their “Word” download); refuses before parsing: missing, empty, huge, old .doc, RTF,
    encrypted, not a zip, zip bomb."""
    where = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            start = fh.read(4096)
            head = start[:8]
    except OSError:
        raise UnusableInput("文件不存在或无法读取", where=where, code="not-found") from None
    if size == 0:
        raise UnusableInput("文件是空的", where=where, code="empty")
    if size > MAX_DOCX_BYTES:
        raise UnusableInput(
            f"文件过大（{size // 1024 // 1024} MB），超过上限 {MAX_DOCX_BYTES // 1024 // 1024} MB，不像年度报告",
            where=where,
            code="too-large",
        )
    if head == OLE_MAGIC:
        try:
            names = {n.casefold() for n in compound_file_names(path)}
        except (ValueError, OSError, struct.error):
            names = set()
        if {"encryptedpackage", "encryptioninfo"} & names:
            raise UnusableInput(ENCRYPTED_MSG, where=where, code="encrypted")
        raise UnusableInput(DOC_MSG.format(name=shlex.quote(where)), where=where, code="doc")
    if not head.startswith(b"PK"):
        return _not_a_zip(start, where)
    check_package(path, _word_package())  # the zip checks every package gets, in a Word document's words
    return "docx"


def _not_a_zip(start: bytes, where: str) -> str:
    """A Word-named file that is no .docx: a web page (read as one), RTF, a web archive."""
    text = start.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<") and (b"<html" in text or b"<table" in text or b"<!doctype html" in text):
        return "html"
    save_as = "请在 Word 或 WPS 中打开后“另存为” .docx 再导入"
    if text.startswith(b"{\\rtf"):
        raise UnusableInput(f"这是 RTF 格式的文件，不是 .docx；{save_as}", where=where, code="doc")
    if text.startswith(b"mime-version:") or b"multipart/related" in text[:1024]:
        raise UnusableInput(f"这是网页存档（.mht）格式的文件，不是 .docx；{save_as}", where=where, code="doc")
    if where.lower().endswith(".doc"):
        raise UnusableInput(DOC_MSG.format(name=shlex.quote(where)), where=where, code="doc")
    raise UnusableInput("不是 Word 文档（.docx）：文件内容不是 .docx 格式", where=where, code="unusable-input")


def _read_web_page(path: Path) -> Imported:
    """A web page with a Word name, read as the web page it is."""
    text = decode_html(read_bytes(path))
    if text is None:
        raise UnusableInput("网页的文字编码无法识别（应为 UTF-8 或 GBK/GB18030）", where=path.name, code="bad-encoding")
    return read_page(text, path.name)


@cache
def _word_package():
    """A Word document's words for :func:`~validator.workbook.zipsafe.check_package`, and its own
    limit for the body part."""
    return Package(
        noun="文档",
        file=".docx 文档",
        app="Word",
        encrypted=ENCRYPTED_MSG,
        unsafe_xml="含有不安全的 XML 内容（DTD 或实体声明），已拒绝读取；请在 Word 或 WPS 中重新保存",
        usual_parts="Word 文档通常只有几十个部件",
        damaged_hint="；请在 Word 或 WPS 中打开后重新保存",
        foreign_code="damaged",
        part_limits=(("word/document.xml", MAX_BODY_BYTES),),
    )


def _open(path: Path):
    """python-docx's document; exit 2 when the zip is not a Word document or is damaged."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, *DAMAGED):
        kind = _package_kind(path)
        if kind:
            raise UnusableInput(
                f"这是{kind}，不是 Word 文档（.docx）", where=path.name, code="unusable-input"
            ) from None
        raise UnusableInput(
            "文件已损坏或不是 Word 文档（.docx）；请在 Word 或 WPS 中打开后重新保存",
            where=path.name,
            code="damaged",
        ) from None


def _package_kind(path: Path) -> str | None:
    """Best effort, for the message: what other kind of zip package this is."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError):
        return None
    if "xl/workbook.xml" in names:
        return " Excel 工作簿（请用 xxgk check 检查工作簿）"
    if "ppt/presentation.xml" in names:
        return " PowerPoint 演示文稿"
    if "mimetype" in names:
        return " OpenDocument 文档（请在 WPS 或 LibreOffice 中另存为 .docx）"
    return None


def docx_lines(path: Path) -> tuple[list[str], list[Place]]:
    """The document body as text lines in reading order and, for each, where it came from.
    Hidden text (``w:vanish``, directly or by a style) is not read: a reader does not see it."""
    document = _open(path)
    body = document.element.body
    if body is None:
        body = []
    hidden = _hidden_styles(document)
    lines: list[str] = []
    places: list[Place] = []
    counts = {"p": 0, "tbl": 0}
    for el in _blocks(body):
        if el.tag == f"{W}p":
            counts["p"] += 1
            for text in _paragraph_lines(el, hidden):
                lines.append(text)
                places.append(Place(paragraph=counts["p"]))
        else:
            counts["tbl"] += 1
            for r, (cells, columns, shown) in enumerate(_table_rows(el, hidden), start=1):
                if any(cells):
                    lines.append(" | ".join(cells))
                    places.append(Place(None, counts["tbl"], r, columns, " | ".join(shown)))
    return lines, places


def _hidden_styles(document) -> frozenset[str]:
    """Ids of the styles whose run properties hide text (``w:vanish``), through ``basedOn``."""
    try:
        root = document.styles.element
    except (KeyError, AttributeError, ValueError):
        return frozenset()
    own: dict[str, bool | None] = {}
    parent: dict[str, str] = {}
    for style in root.iter(f"{W}style"):
        sid = style.get(f"{W}styleId") or ""
        own[sid] = _vanish(style.find(f"{W}rPr"))
        based = style.find(f"{W}basedOn")
        if based is not None:
            parent[sid] = based.get(f"{W}val") or ""
    hidden = set()
    for sid in own:
        seen: set[str] = set()
        at: str | None = sid
        while at is not None and at not in seen and own.get(at) is None:
            seen.add(at)
            at = parent.get(at)
        if at is not None and own.get(at):
            hidden.add(sid)
    return frozenset(hidden)


def _vanish(rpr) -> bool | None:
    """True / False when the run properties say hidden / shown, None when they say nothing."""
    if rpr is None:
        return None
    el = rpr.find(f"{W}vanish")
    if el is None:
        return None
    return (el.get(f"{W}val") or "true").lower() not in ("0", "false", "off")


def _is_hidden(el, hidden: frozenset[str]) -> bool:
    """Whether a text element's run is hidden: its own ``w:vanish``, its character style, or
    its paragraph's style."""
    run = el.getparent()
    while run is not None and run.tag != f"{W}r":
        run = run.getparent()
    if run is None:
        return False
    rpr = run.find(f"{W}rPr")
    direct = _vanish(rpr)
    if direct is not None:
        return direct
    style = rpr.find(f"{W}rStyle") if rpr is not None else None
    if style is not None and (style.get(f"{W}val") or "") in hidden:
        return True
    p = run.getparent()
    while p is not None and p.tag != f"{W}p":
        p = p.getparent()
    pstyle = p.find(f"{W}pPr/{W}pStyle") if p is not None else None
    return pstyle is not None and (pstyle.get(f"{W}val") or "") in hidden


def _blocks(parent):
    """Paragraphs and tables in document order, looking inside content controls."""
    for el in parent:
        if el.tag in (f"{W}p", f"{W}tbl"):
            yield el
        elif el.tag in CONTAINERS:
            yield from _blocks(el)


def _paragraph_lines(p, hidden: frozenset[str] = frozenset()) -> list[str]:
    """The paragraph's text, split at manual line breaks; runs joined as Word shows them
    (hidden runs left out)."""
    parts: list[str] = []
    twice = any(True for _ in p.iter(*SKIPPED))
    vanish = any(True for _ in p.iter(f"{W}vanish")) or bool(hidden)
    for el in p.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"):
        if twice and _in_skipped(el):
            continue
        if vanish and _is_hidden(el, hidden):
            continue
        if el.tag == f"{W}t":
            parts.append(el.text or "")
        elif el.tag == f"{W}tab":
            parts.append(" ")
        else:
            parts.append("\n")
    return [line for raw in "".join(parts).split("\n") if (line := re.sub(r"\s+", " ", raw).strip())]


def _in_skipped(el) -> bool:
    """Whether the text is a second copy (see :data:`SKIPPED`): read the shown text only."""
    parent = el.getparent()
    while parent is not None:
        if parent.tag in SKIPPED:
            return True
        parent = parent.getparent()
    return False


def _table_rows(tbl, hidden: frozenset[str] = frozenset()):
    """(cell texts for the reader, 1-based grid columns, cell texts as printed) per row, each
    physical cell once."""
    rows: list[tuple[list[str], tuple[int, ...], list[str]]] = []
    for tr in _children(tbl, f"{W}tr"):
        column = 1 + _grid_before(tr)
        cells: list[str] = []
        columns: list[int] = []
        for tc in _children(tr, f"{W}tc"):
            span, continues = _merge(tc)
            if not continues:
                cells.append(_cell_text(tc, hidden))
                columns.append(column)
            column += span
        rows.append((cells, tuple(columns), cells))
    marked = mark_table([cells for cells, _columns, _shown in rows])
    return [(m, columns, shown) for m, (_cells, columns, shown) in zip(marked, rows)]


def _children(parent, tag: str):
    for el in parent:
        if el.tag == tag:
            yield el
        elif el.tag in CONTAINERS:
            yield from _children(el, tag)


def _int_attr(el, path: str, default: int) -> int:
    found = el.find(path)
    value = found.get(f"{W}val") if found is not None else None
    return int(value) if value is not None and value.isdigit() else default


def _grid_before(tr) -> int:
    return _int_attr(tr, f"{W}trPr/{W}gridBefore", 0)


def _merge(tc) -> tuple[int, bool]:
    """(grid columns the cell spans, whether it continues a merge from above — ``vMerge``
    without ``restart`` — or from the left, the old ``hMerge``: its text is the first cell's)."""
    span, continues = 1, False
    pr = tc.find(f"{W}tcPr")
    for el in pr if pr is not None else ():
        if el.tag == f"{W}gridSpan":
            value = el.get(f"{W}val") or ""
            span = max(int(value), 1) if value.isdigit() else 1
        elif el.tag in (f"{W}vMerge", f"{W}hMerge"):
            continues = continues or el.get(f"{W}val", "continue") == "continue"
    return span, continues


def _cell_text(tc, hidden: frozenset[str] = frozenset()) -> str:
    """The cell's paragraphs (nested tables' included), whitespace removed within a paragraph
    as a web page's cell, joined by a space."""
    texts = (re.sub(r"\s+", "", " ".join(_paragraph_lines(p, hidden))) for p in tc.iter(f"{W}p"))
    return " ".join(t for t in texts if t)


def _with_places(imported: Imported, lines: list[str], places: list[Place]) -> list:
    """Each figure with its paragraph, or table, row and grid column, in ``place``. The column
    is named only when that cell holds the figure as read (or is blank for a blank figure)."""
    out = []
    for figure in imported.figures:
        i = figure.line - 1
        place = places[i]
        changes: dict[str, Any] = {"place": str(place)}
        if place.table is not None:
            changes["text"] = place.shown
            cells = lines[i].split(" | ")
            j = figure.cell
            if j is not None and j < len(place.columns) and j < len(cells) and _holds(cells[j], figure):
                changes["place"] = f"{place}第 {place.columns[j]} 列"
        out.append(dataclasses.replace(figure, **changes))
    return out


def _holds(cell: str, figure) -> bool:
    if figure.blank:
        return cell in BLANK_MARKS or cell in ("", EMPTY_CELL)
    return cell.replace(",", "") == str(figure.value)
