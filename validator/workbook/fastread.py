"""The cells of a filled workbook read straight from its XML, without building openpyxl's workbook.

:func:`read_grids_fast` gives exactly what the openpyxl reader in :mod:`validator.workbook.read`
gives (the same :class:`~validator.spec.FormatSpec`, the same grids, every value of the same type),
or None as soon as anything is not plainly what Excel, WPS, LibreOffice and ``xxgk`` write: a DTD,
a parse error, another encoding, a cell type or attribute it does not know, a part or relationship
not where it should be, a sheet it cannot find, no format marker, any exception. None sends the
caller to openpyxl, which then gives its own values or its own message, so a file is refused with
the same words either way; only the common case skips openpyxl's workbook model (its stylesheet,
defined names and descriptors cost some 20 ms a file, and the receiving office reads dozens).
Same pattern as :mod:`validator.jsonfast`; tests/test_workbook_fastread.py compares both paths on
the repository's workbooks, on filled ones edited with every kind of value, on LibreOffice's
copies and on random mutations.

What openpyxl does is mirrored step by step (``openpyxl/reader/excel.py``, ``reader/workbook.py``,
``reader/strings.py``, ``styles/stylesheet.py``, ``worksheet/_reader.py`` and ``_read_only.py``
of 3.1): the workbook part from the content types, sheets through the workbook's relationships,
the shared strings, which cell styles are dates, each needed sheet's rows up to the first row past
the ones the format uses. Parts holding no values (theme, document properties, print settings,
fonts) are not validated the way openpyxl's descriptors validate them: a workbook openpyxl would
refuse only for such a part is read here.

The XML parser is lxml's, hardened: no DTD loaded, no entity resolved, no network, no huge trees;
:func:`~validator.workbook.zipsafe.check_workbook_file` has already bounded every part.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from validator.formats import get_format, known_formats
from validator.spec import FormatSpec, split_ref
from validator.values import CellError, Uncalculated, decode_ooxml
from validator.workbook.grids import Grid, sheet_extent

ENABLED = True
"""Off, every workbook goes through openpyxl (the tests compare both ways)."""

MAX_FAST_PART_BYTES = 8 * 1024 * 1024
"""A part larger than this (a sheet of a million rows) goes to openpyxl's streaming parser."""

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_ROW, _CELL, _V, _F, _IS = (_MAIN + t for t in ("row", "c", "v", "f", "is"))
_SI, _T, _R, _RPH, _PHONETIC_PR = (_MAIN + t for t in ("si", "t", "r", "rPh", "phoneticPr"))
_XLTM = "application/vnd.ms-excel.template.macroEnabled.main+xml"
_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_XLTX = "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_STYLES_PART = "xl/styles.xml"
_PROPERTIES_PARTS = ("docProps/core.xml", "docProps/custom.xml")
_COORD = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_DIMENSION = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}(:[A-Z]{1,3}[1-9][0-9]{0,6})?")
_CELL_TYPES = frozenset(("n", "s", "b", "str", "e", "inlineStr"))
_SHEET_STATES = frozenset((None, "visible", "hidden", "veryHidden"))
_REL_ATTRS = frozenset(("Id", "Type", "Target", "TargetMode"))


class _Unsure(Exception):
    """Not the plain shape: openpyxl decides."""


def read_grids_fast(path: Path, fmt: FormatSpec | None) -> tuple[FormatSpec, dict[str, Grid]] | None:
    """The reader's (format, grids), or None for openpyxl to read the file (see the module doc)."""
    if not ENABLED:
        return None
    try:
        with zipfile.ZipFile(path) as z:
            return _Book(z).grids(fmt)
    except Exception:  # anything at all: openpyxl reads it and says what is wrong
        return None


@cache
def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


@cache
def _openpyxl() -> Any:
    """openpyxl's pure helpers (date formats, serial dates); imported once, when first needed."""
    from openpyxl.styles import numbers
    from openpyxl.utils import datetime

    return numbers, datetime


def _xml(data: bytes) -> Any:
    """The root of a part that is plain UTF-8 XML 1.0 without a DTD, or :class:`_Unsure`."""
    from lxml import etree

    if len(data) > MAX_FAST_PART_BYTES or data.startswith((b"\xfe\xff", b"\xff\xfe")):
        raise _Unsure("size or UTF-16")
    root = etree.fromstring(data, _parser())
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.encoding.upper() != "UTF-8" or info.xml_version != "1.0":
        raise _Unsure("declaration")
    return root


def _plain_attrs(el: Any, allowed: frozenset[str] = frozenset()) -> None:
    """openpyxl passes an element's un-namespaced attributes to a constructor: unknown ones fail there."""
    if any(not k.startswith("{") and k not in allowed for k in el.attrib):
        raise _Unsure(f"attribute on {el.tag}")


def _cast_number(value: str) -> int | float:
    """openpyxl's ``_cast_number``."""
    if "." in value or "E" in value or "e" in value:
        return float(value)
    return int(value)


class _Book:
    """One open package: the parts openpyxl's read-only load reads, resolved as it resolves them."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self.z = z
        self.names = set(z.namelist())
        workbook_part, strings_part = self._content_types()
        self.epoch, self.sheets = self._workbook(workbook_part)
        self.strings = self._shared_strings(strings_part) if strings_part is not None else []
        self.date_styles, self.timedelta_styles = self._styles()
        for part in _PROPERTIES_PARTS:
            if part in self.names:
                self._read(part)  # openpyxl parses them: damaged XML there is its refusal to word
        self.roots: dict[str, Any] = {}

    def _read(self, name: str) -> Any:
        info = self.z.getinfo(name)
        if info.file_size > MAX_FAST_PART_BYTES:
            raise _Unsure("large part")
        return _xml(self.z.read(info))

    def _content_types(self) -> tuple[str, str | None]:
        """The workbook part (an Override of a workbook type, in openpyxl's order) and the
        shared-strings part, as ``Manifest.find`` picks them."""
        root = self._read("[Content_Types].xml")
        overrides = []
        for el in root:
            if el.tag == _CT + "Override":
                _plain_attrs(el, frozenset(("PartName", "ContentType")))
                overrides.append((el.get("PartName"), el.get("ContentType")))
            elif el.tag == _CT + "Default":
                _plain_attrs(el, frozenset(("Extension", "ContentType")))
            else:
                raise _Unsure("content types")

        def find(kind: str) -> str | None:
            part = next((name for name, ct in overrides if ct == kind), None)
            if part is not None and (not part.startswith("/") or part[1:] not in self.names):
                raise _Unsure(f"part {part}")
            return None if part is None else part[1:]

        workbook = next((p for p in map(find, (_XLTM, _XLTX, _XLSM, _XLSX)) if p is not None), None)
        if workbook is None:
            raise _Unsure("no workbook override")
        return workbook, find(_SHARED_STRINGS)

    def _workbook(self, part: str) -> tuple[Any, list[tuple[str, str]]]:
        """The date epoch and (sheet name, part) of each worksheet openpyxl lists, in order."""
        root = self._read(part)
        if root.tag != _MAIN + "workbook":
            raise _Unsure("workbook root")
        props = root.findall(_MAIN + "workbookPr")
        sheets_el = root.findall(_MAIN + "sheets")
        if len(props) > 1 or len(sheets_el) != 1:
            raise _Unsure("workbook children")
        date1904 = props[0].get("date1904") if props else None
        datetime = _openpyxl()[1]
        is1904 = date1904 is not None and date1904 not in ("false", "f", "0") and bool(date1904)
        epoch = datetime.CALENDAR_MAC_1904 if is1904 else datetime.WINDOWS_EPOCH
        rels = self._relationships(posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels"))
        sheets: list[tuple[str, str]] = []
        for el in sheets_el[0]:
            _plain_attrs(el, frozenset(("name", "sheetId", "state")))
            if el.tag != _MAIN + "sheet" or el.get("name") is None or el.get("state") not in _SHEET_STATES:
                raise _Unsure("sheet element")
            int(el.get("sheetId"))
            rid = el.get(_REL + "id")
            if not rid:
                continue  # openpyxl warns and skips it
            kind, target = rels[rid]
            if target not in self.names:
                continue  # openpyxl skips it as well
            if "worksheet" not in kind or "chartsheet" in kind:
                raise _Unsure(f"sheet relationship {kind}")
            sheet_rels = posixpath.join(posixpath.dirname(target), "_rels", posixpath.basename(target) + ".rels")
            if sheet_rels in self.names:
                self._relationships(sheet_rels)
            sheets.append((el.get("name"), target))
        names = [name for name, _ in sheets]
        if len(set(names)) != len(names):
            raise _Unsure("duplicate sheet names")
        return epoch, sheets

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id -> (type, target) of a relationships part, targets resolved as ``get_dependents`` does."""
        root = self._read(part)
        if root.tag != _PKG_REL + "Relationships":
            raise _Unsure("relationships root")
        folder = posixpath.dirname(part)
        parent = posixpath.split(folder)[0]
        out: dict[str, tuple[str, str]] = {}
        for el in root:
            _plain_attrs(el, _REL_ATTRS)
            rid, kind, target = el.get("Id"), el.get("Type"), el.get("Target")
            if el.tag != _PKG_REL + "Relationship" or not rid or rid in out or kind is None or target is None:
                raise _Unsure("relationship")
            if el.get("TargetMode") != "External":
                target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(parent, target))
            out[rid] = (kind, target)
        return out

    def _shared_strings(self, part: str) -> list[str]:
        """``read_string_table``: each ``<si>``'s text, runs joined, phonetic runs left out."""
        root = self._read(part)
        if root.tag != _MAIN + "sst":
            raise _Unsure("sst root")
        items = [el for el in root if el.tag == _SI]
        if sum(1 for _ in root.iter(_SI)) != len(items):
            raise _Unsure("nested si")
        return [_text(el).replace("x005F_", "") for el in items]

    def _styles(self) -> tuple[frozenset[int], frozenset[int]]:
        """Which cell style ids (``s``) are date and which duration formats, as
        ``Stylesheet._normalise_numbers`` finds them."""
        if _STYLES_PART not in self.names:
            return frozenset(), frozenset()
        root = self._read(_STYLES_PART)
        if root.tag != _MAIN + "styleSheet":
            raise _Unsure("styles root")
        numbers = _openpyxl()[0]
        fmts, xfs = root.findall(_MAIN + "numFmts"), root.findall(_MAIN + "cellXfs")
        if len(fmts) > 1 or len(xfs) != 1 or len(xfs[0]) == 0:
            raise _Unsure("styles")
        for el in (*fmts, *xfs):
            _plain_attrs(el, frozenset(("count",)))
            int(el.get("count", 0))
        custom: dict[int, str] = {}
        for el in fmts[0] if fmts else ():
            _plain_attrs(el, frozenset(("numFmtId", "formatCode")))
            code = el.get("formatCode")
            if el.tag != _MAIN + "numFmt" or code is None:
                raise _Unsure("numFmt")
            custom[int(el.get("numFmtId"))] = code
        dates, durations = set(), set()
        for index, el in enumerate(xfs[0]):
            if el.tag != _MAIN + "xf":
                raise _Unsure("xf")
            fmt_id = _xf_number_format(el)
            code = custom[fmt_id] if fmt_id in custom else numbers.builtin_format_code(fmt_id)
            if numbers.is_date_format(code):
                dates.add(index)
            if numbers.is_timedelta_format(code):
                durations.add(index)
        return frozenset(dates), frozenset(durations)

    def grids(self, fmt: FormatSpec | None) -> tuple[FormatSpec, dict[str, Grid]]:
        parts = dict(self.sheets)
        fmt = fmt or self._detect(parts)
        if any(s.name not in parts for s in fmt.sheets):
            raise _Unsure("missing sheet")  # openpyxl's path words the message
        return fmt, {sheet: self._grid(parts[sheet], rows, cols) for sheet, (rows, cols) in sheet_extent(fmt).items()}

    def _detect(self, parts: dict[str, str]) -> FormatSpec:
        """``_detect_format``: the marker as openpyxl's plain parser gives it (no decoding)."""
        for fmt_id in known_formats():
            fmt = get_format(fmt_id)
            sheet, ref = fmt.marker_cell
            if sheet not in parts:
                continue
            row, col = split_ref(ref)
            marker = self._marker(parts[sheet], row + 1, col + 1)
            if isinstance(marker, str) and marker.strip() == fmt.id:
                return fmt
        raise _Unsure("no marker")

    def _marker(self, part: str, row: int, col: int) -> object:
        """``iter_rows(min_row=row, max_row=row, ...)``: the first row element numbered ``row``
        before any row past it, its last cell in column ``col``."""
        for index, cells in self._rows(part):
            if index > row:
                break
            if index == row:
                value = None
                for column, raw, _value in cells:
                    if column == col:
                        value = raw
                return value
        return None

    def _grid(self, part: str, rows: int, cols: int) -> Grid:
        """``_sheet_grid``: the values of the first ``rows`` × ``cols`` cells."""
        grid: Grid = []
        for index, cells in self._rows(part):
            if index > rows:
                break
            if index < 1:
                continue
            for column, _raw, value in cells:
                if 1 <= column <= cols:
                    place(grid, index, column, value, cols)
        return grid

    def _sheet(self, part: str) -> Any:
        root = self.roots.get(part)
        if root is None:
            root = self.roots[part] = self._read(part)
            _check_sheet(root)
        return root

    def _rows(self, part: str):
        """(row number, [(column, openpyxl's value, this tool's value)]) of each row element,
        numbered as ``WorkSheetParser.parse_row`` numbers them."""
        sheet_data = self._sheet(part).find(_MAIN + "sheetData")
        counter = 0
        for row in sheet_data if sheet_data is not None else ():
            r = row.get("r")
            counter = _row_number(r) if r is not None else counter + 1
            yield counter, self._cells(row, counter)

    def _cells(self, row: Any, index: int) -> list[tuple[int, object, object]]:
        out = []
        column = 0
        for c in row:
            if c.tag != _CELL:
                raise _Unsure("row child")
            ref = c.get("r")
            if ref:
                column = _ref_column(ref)
            else:
                column += 1
            raw, kind = self._raw(c)
            out.append((column, raw, _ours(c, raw, kind)))
        return out

    def _raw(self, c: Any) -> tuple[object, str]:
        """``WorkSheetParser.parse_cell`` (data only): the value and the data type it settles on."""
        kind = c.get("t", "n")
        if kind not in _CELL_TYPES:
            raise _Unsure(f"cell type {kind}")
        style: Any = c.get("s", 0)
        if style:
            style = int(style)
        value: Any = None if kind == "inlineStr" else (c.findtext(_V, None) or None)
        if value is not None:
            if kind == "n":
                value = _cast_number(value)
                if style in self.date_styles:
                    try:
                        value = _openpyxl()[1].from_excel(value, self.epoch, timedelta=style in self.timedelta_styles)
                    except (OverflowError, ValueError):
                        return "#VALUE!", "e"
            elif kind == "s":
                value = self.strings[int(value)]
            elif kind == "b":
                value = bool(int(value))
            elif kind == "str":
                kind = "s"
        elif kind == "inlineStr":
            child = c.find(_IS)
            if child is not None:
                kind = "s"
                value = _text(child)
        return value, kind


def _ours(c: Any, value: object, kind: str) -> object:
    """``CellParser.parse_cell``'s change to openpyxl's value: errors marked, escapes decoded,
    a formula without a stored result kept as :class:`Uncalculated`."""
    if isinstance(value, str):
        return CellError(value) if kind == "e" else decode_ooxml(value)
    if value is None:
        formula = c.find(_F)
        if formula is not None and not (kind == "str" and c.find(_V) is not None):
            return Uncalculated((formula.text or "").strip())
    return value


def _check_sheet(root: Any) -> None:
    """Rows only where openpyxl's parser finds them: children of the one ``sheetData``; and a
    ``<dimension>`` (which openpyxl's size probe parses) of the plain form."""
    if root.tag != _MAIN + "worksheet":
        raise _Unsure("worksheet root")
    data = root.findall(_MAIN + "sheetData")
    if len(data) > 1 or sum(1 for _ in root.iter(_ROW)) != (len(data[0]) if data else 0):
        raise _Unsure("rows outside sheetData")
    for el in root.iter(_MAIN + "dimension"):
        if el.getparent() is not root or not _DIMENSION.fullmatch(el.get("ref") or ""):
            raise _Unsure("dimension")


_XF_IDS = ("numFmtId", "fontId", "fillId", "borderId", "xfId")
_XF_FLAGS = (
    "quotePrefix",
    "pivotButton",
    *(f"apply{k}" for k in ("NumberFormat", "Font", "Fill", "Border", "Alignment", "Protection")),
)
_XF_CHILDREN = {_MAIN + "alignment": ("styles", "Alignment"), _MAIN + "protection": ("styles", "Protection")}


def _xf_number_format(el: Any) -> int:
    """A cell format's number format id, the format checked as openpyxl's ``CellStyle`` and its
    style array (32-bit ids) check it."""
    _plain_attrs(el, frozenset((*_XF_IDS, *_XF_FLAGS)))
    for name in _XF_IDS:
        value = el.get(name)
        if value is not None and not -(2**31) <= int(value) < 2**31:
            raise _Unsure("xf id")
    for child in el:
        if child.tag not in _XF_CHILDREN:
            raise _Unsure(f"xf child {child.tag}")
        _valid(*_XF_CHILDREN[child.tag], child)
    return int(el.get("numFmtId", 0))


def _row_number(r: str) -> int:
    """``parse_row``'s row number; only the plain form (openpyxl also takes e.g. ``"2.0"``)."""
    if not r.isdigit() or not r.isascii():
        raise _Unsure("row number")
    return int(r)


@lru_cache(maxsize=65536)
def _ref_column(ref: str) -> int:
    """The column of a plain cell reference (openpyxl also takes ``$B$4``, ``b4``: they go to it)."""
    m = _COORD.fullmatch(ref)
    if m is None:
        raise _Unsure("cell reference")
    return _column_index(m.group(1))


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index


def _text(el: Any) -> str:
    """``Text.from_tree(el).content``: the last ``<t>``, then each run's last ``<t>``; phonetic
    runs and properties are validated as openpyxl validates them and left out."""
    _plain_attrs(el)
    plain: str | None = None
    runs: list[str | None] = []
    for child in el:
        tag = child.tag
        if tag == _T:
            plain = child.text
        elif tag == _R:
            runs.append(_run(child))
        elif tag == _RPH:
            _valid("cell.text", "PhoneticText", child)
        elif tag == _PHONETIC_PR:
            _valid("cell.text", "PhoneticProperties", child)
        else:
            raise _Unsure(f"text child {tag}")
    return "".join(s for s in (plain, *runs) if s is not None)


def _run(el: Any) -> str | None:
    _plain_attrs(el)
    text = None
    for child in el:
        if child.tag == _T:
            text = child.text
        elif child.tag == _MAIN + "rPr":
            _valid("cell.text", "InlineFont", child)
        else:
            raise _Unsure(f"run child {child.tag}")
    return text


def _valid(module: str, kind: str, el: Any) -> None:
    """Run properties, phonetic parts and cell alignments are built by openpyxl's descriptors,
    which refuse odd values: ask them (once per distinct element)."""
    from lxml import etree

    if not _accepted(module, kind, etree.tostring(el, with_tail=False)):
        raise _Unsure(kind)


@lru_cache(maxsize=4096)
def _accepted(module: str, kind: str, xml: bytes) -> bool:
    import importlib

    cls: Any = getattr(importlib.import_module(f"openpyxl.{module}"), kind)
    try:
        cls.from_tree(_xml(xml))
    except Exception:
        return False
    return True


def place(grid: Grid, index: int, column: int, value: object, cols: int) -> None:
    """Put a value at 1-based (row, column), growing the grid by whole rows of ``cols`` cells only
    as far as the last row that holds a cell (校验结果 is read up to thousands of rows, but holds a
    few dozen)."""
    while len(grid) < index:
        grid.append([None] * cols)
    grid[index - 1][column - 1] = value
