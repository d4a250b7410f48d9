"""The xlsx reader's fast path: a filled workbook's cells read straight from its XML, without
building openpyxl's workbook (the ``xlsx-fast`` accelerator, :mod:`validator.accel`).

:func:`read_grids_fast` gives exactly what the openpyxl reader in :mod:`validator.workbook.read`
gives (the same :class:`~validator.spec.FormatSpec`, the same grids, every value of the same type),
or None as soon as anything is not plainly what Excel, WPS, LibreOffice and ``xxgk`` write: a DTD,
a parse error, another encoding, a cell type or attribute it does not know, a part or relationship
not where it should be, anything openpyxl's checks refuse, a sheet it cannot find, no format
marker, any exception. None sends the caller to openpyxl, which then gives its own values or its
own message, so a file is refused with the same words either way; only the common case skips
openpyxl's workbook model (its stylesheet, defined names and descriptors cost some 20 ms a file,
and the receiving office reads dozens). tests/test_workbook_fastread.py compares both paths on
the repository's workbooks, on filled ones edited with every kind of value, on LibreOffice's
copies and on random mutations.

Where values come from, openpyxl's steps are mirrored (``worksheet/_reader.py``, ``_read_only.py``
and ``reader/strings.py`` of 3.1): each needed sheet's rows up to the first row past the ones the
format uses, every cell in them, the shared strings. Everything else openpyxl's read-only load
checks is checked by openpyxl's own code, once per distinct content (the package's content types,
workbook part and relationships, styles, document properties, each sheet's relationships, and
every element of a sheet outside its rows: views, validations, print settings…): files made from
one template mostly repeat these, so a repeat costs a dictionary look-up.

The XML parser is lxml's, hardened: no DTD loaded, no entity resolved, no network, no huge trees;
:func:`~validator.workbook.zipsafe.check_workbook_file` has already bounded every part. It follows
XML 1.0's fifth edition, which allows names openpyxl's parser (expat, the fourth edition's name
characters) refuses: a part with a character outside ASCII is also given to expat, and one expat
refuses goes to openpyxl, which gives its verdict.

openpyxl is pinned below 3.2: the package-level parts are checked by its internals
(``_find_workbook_part``, ``WorkbookParser``, ``WorkSheetParser`` on a sheet of the non-data elements).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from validator.formats import get_format, known_formats
from validator.readers.base import SAFE_XML
from validator.spec import FormatSpec, column_number, split_ref
from validator.values import CellError, Uncalculated, decode_ooxml
from validator.workbook.grids import Grid, place, sheet_extent
from validator.workbook.preserve import rels_part

MAX_FAST_PART_BYTES = 8 * 1024 * 1024
"""A part larger than this (a sheet of a million rows) goes to openpyxl's streaming parser."""

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _V, _F, _IS = (_MAIN + t for t in ("row", "c", "v", "f", "is"))
_SI, _T, _R, _RPH, _PHONETIC_PR = (_MAIN + t for t in ("si", "t", "r", "rPh", "phoneticPr"))
_STYLES_PART = "xl/styles.xml"
_PROPERTIES_PARTS = ("docProps/core.xml", "docProps/custom.xml")
_COORD = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_CELL_TYPES = frozenset(("n", "s", "b", "str", "e", "inlineStr"))


class _Unsure(Exception):
    """Not the plain shape: openpyxl decides."""


def read_grids_fast(path: Path, fmt: FormatSpec | None) -> tuple[FormatSpec, dict[str, Grid]] | None:
    """The reader's (format, grids), or None for openpyxl to read the file (see the module doc)."""
    try:
        with zipfile.ZipFile(path) as z, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's checks warn about odd parts; not for staff
            return _Book(z).grids(fmt)
    except Exception:  # anything at all: openpyxl reads it and says what is wrong
        return None


@cache
def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(**SAFE_XML)


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
    if not data.isascii() and not _expat_takes(data):
        raise _Unsure("expat refuses it")
    return root


def _expat_takes(data: bytes) -> bool:
    """Whether expat, the parser openpyxl reads with, takes the part: lxml follows XML 1.0's
    fifth edition and takes names expat refuses (a name with a character outside ASCII, which
    no part Excel, WPS or LibreOffice writes has). Parsed in C, with nothing built."""
    from xml.parsers import expat

    try:
        expat.ParserCreate(namespace_separator="}").Parse(data, True)
    except expat.ExpatError:
        return False
    return True


def _plain_attrs(el: Any, allowed: frozenset[str] = frozenset()) -> None:
    """openpyxl passes an element's un-namespaced attributes to a constructor: unknown ones fail there."""
    if any(not k.startswith("{") and k not in allowed for k in el.attrib):
        raise _Unsure(f"attribute on {el.tag}")


def _cast_number(value: str) -> int | float:
    """openpyxl's ``_cast_number``."""
    if "." in value or "E" in value or "e" in value:
        return float(value)
    return int(value)


_CACHED_PART_BYTES = 128 * 1024
"""Verdicts on larger parts are not kept (a cache of hostile parts would hold their bytes)."""


def _verdict(fn: Any, *args: Any) -> Any:
    """``fn(*args)``, remembered unless a part is too large to keep."""
    size = sum(len(a) for a in args if isinstance(a, bytes))
    return fn(*args) if size <= _CACHED_PART_BYTES else fn.__wrapped__(*args)


class _Parts:
    """Parts by name, read as openpyxl reads its archive (``read`` raises KeyError for a missing one)."""

    def __init__(self, parts: dict[str, bytes | None]) -> None:
        self.parts = parts

    def read(self, name: str) -> bytes:
        data = self.parts.get(name)
        if data is None:
            raise KeyError(name)
        return data


@lru_cache(maxsize=16)
def _manifest(data: bytes) -> tuple[str, str | None]:
    """``ExcelReader.read_manifest`` and the parts it finds there: the workbook, the shared strings."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.reader.excel import SHARED_STRINGS, _find_workbook_part
    from openpyxl.xml.functions import fromstring

    package = Manifest.from_tree(fromstring(data))
    workbook = _find_workbook_part(package)
    if workbook.PartName != "/" + workbook.PartName[1:] or not any(
        o is workbook for o in package.Override
    ):  # a workbook found only through a Default content type
        raise _Unsure("workbook part")
    strings = package.find(SHARED_STRINGS)
    return workbook.PartName[1:], None if strings is None else strings.PartName[1:]


@lru_cache(maxsize=32)
def _workbook(
    part: str, data: bytes, rels: bytes | None, names: tuple[str, ...]
) -> tuple[bool, tuple[tuple[str, str], ...]]:
    """``WorkbookParser.parse``, the sheets ``read_worksheets`` keeps (name, part) and
    ``assign_names``: whether dates count from 1904, and the worksheets in order."""
    from openpyxl.reader.workbook import WorkbookParser
    from openpyxl.utils.datetime import CALENDAR_MAC_1904
    from openpyxl.workbook.defined_name import DefinedNameDict

    parser = WorkbookParser(_Parts({part: data, rels_part(part): rels}), part, keep_links=False)
    parser.parse()
    sheets = []
    for sheet, rel in parser.find_sheets():
        if rel.target not in names:
            continue
        if "chartsheet" in rel.Type or "worksheet" not in rel.Type:
            raise _Unsure(f"sheet relationship {rel.Type}")
        sheets.append((sheet.name, rel.target))

    class Sheet:
        """What ``assign_names`` touches of a read-only worksheet."""

        def __init__(self) -> None:
            self.defined_names = DefinedNameDict()

    parser.wb._sheets = [Sheet() for _ in sheets]
    parser.assign_names()
    titles = [name for name, _ in sheets]
    if len(set(titles)) != len(titles):
        raise _Unsure("duplicate sheet names")
    return parser.wb.epoch == CALENDAR_MAC_1904, tuple(sheets)


@lru_cache(maxsize=64)
def _dependents(part: str, data: bytes) -> None:
    """``get_dependents`` of a sheet's relationships (openpyxl reads them; damage there is its refusal)."""
    from openpyxl.packaging.relationship import get_dependents

    get_dependents(_Parts({part: data}), part)


@lru_cache(maxsize=16)
def _styles(data: bytes) -> tuple[frozenset[int], frozenset[int]]:
    """``apply_stylesheet``: which cell style ids (``s``) are date and which duration formats."""
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.workbook import Workbook

    wb = Workbook()
    apply_stylesheet(_Parts({_STYLES_PART: data}), wb)
    return frozenset(wb._date_formats), frozenset(wb._timedelta_formats)


@lru_cache(maxsize=64)
def _properties(part: str, data: bytes) -> None:
    """``read_properties`` and ``read_custom``."""
    from openpyxl.packaging.core import DocumentProperties
    from openpyxl.packaging.custom import CustomPropertyList
    from openpyxl.xml.functions import fromstring

    cls: Any = DocumentProperties if part == "docProps/core.xml" else CustomPropertyList
    cls.from_tree(fromstring(data))


class _Book:
    """One open package: the parts openpyxl's read-only load reads, resolved as it resolves them.

    The package-level parts (content types, workbook and its relationships, styles, document
    properties, each sheet's relationships) are given to openpyxl's own code, once per distinct
    content: submissions made from one template mostly share them, so this costs a dictionary
    look-up; a part seen for the first time costs what openpyxl's load costs for it."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self.z = z
        self.names = tuple(z.namelist())
        workbook_part, strings_part = _verdict(_manifest, self._bytes("[Content_Types].xml"))
        workbook_rels = rels_part(workbook_part)
        rels = self._bytes(workbook_rels) if workbook_rels in self.names else None
        date1904, sheets = _verdict(_workbook, workbook_part, self._bytes(workbook_part), rels, self.names)
        datetime = _openpyxl()[1]
        self.epoch = datetime.CALENDAR_MAC_1904 if date1904 else datetime.WINDOWS_EPOCH
        self.sheets = list(sheets)
        for _name, target in self.sheets:
            if rels_part(target) in self.names:
                _verdict(_dependents, rels_part(target), self._bytes(rels_part(target)))
        self.strings = self._shared_strings(strings_part) if strings_part is not None else []
        styles = self._bytes(_STYLES_PART) if _STYLES_PART in self.names else None
        self.date_styles, self.timedelta_styles = (
            _verdict(_styles, styles) if styles is not None else (frozenset(), frozenset())
        )
        for part in _PROPERTIES_PARTS:
            if part in self.names:
                _verdict(_properties, part, self._bytes(part))
        self.roots: dict[str, Any] = {}

    def _bytes(self, name: str) -> bytes:
        info = self.z.getinfo(name)
        if info.file_size > MAX_FAST_PART_BYTES:
            raise _Unsure("large part")
        return self.z.read(info)

    def _read(self, name: str) -> Any:
        return _xml(self._bytes(name))

    def _shared_strings(self, part: str) -> list[str]:
        """``read_string_table``: each ``<si>``'s text, runs joined, phonetic runs left out."""
        root = self._read(part)
        if root.tag != _MAIN + "sst":
            raise _Unsure("sst root")
        items = [el for el in root if el.tag == _SI]
        if sum(1 for _ in root.iter(_SI)) != len(items):
            raise _Unsure("nested si")
        return [_text(el).replace("x005F_", "") for el in items]

    def grids(self, fmt: FormatSpec | None) -> tuple[FormatSpec, dict[str, Grid]]:
        parts = dict(self.sheets)
        fmt = fmt or self._detect(parts)
        if any(s.name not in parts for s in fmt.sheets):
            raise _Unsure("missing sheet")  # openpyxl's path words the message
        grids = {sheet: self._grid(parts[sheet], rows, cols) for sheet, (rows, cols) in sheet_extent(fmt).items()}
        for part in parts.values():
            self._sheet(part)  # every sheet, the format's or not: openpyxl's load probes each
        return fmt, grids

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


_HANDLED = tuple(
    _MAIN + t
    for t in (
        *("col", "sheetProtection", "extLst", "conditionalFormatting", "legacyDrawing", "rowBreaks", "colBreaks"),
        *("customSheetViews", "printOptions", "pageMargins", "pageSetup", "headerFooter", "autoFilter"),
        *("dataValidations", "sheetPr", "sheetViews", "sheetFormatPr", "scenarios", "tableParts", "hyperlinks"),
        "mergeCells",
    )
)
"""The elements ``WorkSheetParser.parse`` builds with openpyxl's descriptors (its two tables)."""


def _check_sheet(root: Any) -> None:
    """Rows only where openpyxl's parser finds them (children of the one ``sheetData``), and every
    other element as openpyxl's parser and size probe take it (see :func:`_sheet_elements`)."""
    from lxml import etree

    if root.tag != _MAIN + "worksheet":
        raise _Unsure("worksheet root")
    data = root.findall(_MAIN + "sheetData")
    if len(data) > 1 or sum(1 for _ in root.iter(_ROW)) != (len(data[0]) if data else 0):
        raise _Unsure("rows outside sheetData")
    if data and next(data[0].iter(*_HANDLED), None) is not None:
        raise _Unsure("settings inside sheetData")
    dimensions = root.findall(_MAIN + "dimension")
    if len(dimensions) > 1 or sum(1 for _ in root.iter(_MAIN + "dimension")) != len(dimensions):
        raise _Unsure("dimension")
    others = [etree.tostring(child, with_tail=False) for child in root if child.tag != _MAIN + "sheetData"]
    new = [xml for xml in others if xml not in _GOOD_ELEMENTS]
    if new:
        if not _sheet_elements(b"".join(new)):
            raise _Unsure("sheet element")
        kept = [xml for xml in new if len(xml) <= _CACHED_PART_BYTES]
        if sum(map(len, _GOOD_ELEMENTS)) + sum(map(len, kept)) > 64 * _CACHED_PART_BYTES:
            _GOOD_ELEMENTS.clear()
        _GOOD_ELEMENTS.update(dict.fromkeys(kept))


_GOOD_ELEMENTS: dict[bytes, None] = {}
"""Children of ``<worksheet>`` openpyxl has taken (a sheet's views, validations and print settings
mostly repeat from one submission to the next)."""


def _sheet_elements(xml: bytes) -> bool:
    """Whether openpyxl's sheet parser, and its size probe, take these children of ``<worksheet>``
    (run on a sheet holding only them)."""
    import io

    from openpyxl.worksheet._reader import WorkSheetParser

    doc = b'<worksheet xmlns="%s">%s</worksheet>' % (_MAIN[1:-1].encode(), xml)
    try:
        for _ in WorkSheetParser(io.BytesIO(doc), []).parse():
            pass
        WorkSheetParser(io.BytesIO(doc), []).parse_dimensions()
    except Exception:
        return False
    return True


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
    return column_number(m.group(1))


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

    xml = etree.tostring(el, with_tail=False)
    if not (_accepted if len(xml) <= 4096 else _accepted.__wrapped__)(module, kind, xml):
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


def clear_caches() -> None:
    """Forget every verdict (benchmarks measure a file whose parts are all new)."""
    for fn in (_manifest, _workbook, _dependents, _styles, _properties, _accepted):
        fn.cache_clear()
    _GOOD_ELEMENTS.clear()
