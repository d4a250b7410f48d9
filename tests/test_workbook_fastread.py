"""The xlsx reader's fast path (validator/readers/xlsx/fast.py, the ``xlsx-fast`` accelerator)
reads exactly what openpyxl reads.

Every workbook the repository has, filled workbooks edited to hold every kind of value (through
openpyxl, and cell by cell in the XML: cached formula results, errors, inline and rich text,
phonetic runs, dates under both epochs, cells and rows without numbers), LibreOffice's copies and
random mutations are read both ways: the fast reader gives the same format and the same grids,
every value of the same type, or it gives None and openpyxl decides. A whole ``collect`` of such
workbooks gives the same result JSON with the fast reader on and off, and a file openpyxl refuses
is refused with the same words.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from validator import accel
from validator.collect.result import dumps_result, result_dict
from validator.collect.run import Options, collect
from validator.errors import UnusableInput
from validator.formats import get_format
from validator.readers import xlsx as xlsx_reader
from validator.readers.xlsx import fast as fastread
from validator.spec import column_number
from validator.workbook import read as wbread

from conftest import EXAMPLE, REPORT_NAMES, REPORTS, ROOT, TEMPLATE, run_cli

FMT = get_format()
SCALE = max(1, int(os.environ.get("XXGK_FUZZ_SCALE", "1")))
"""More examples for a longer session, as in tests/test_fuzz.py."""
FENXI = REPORTS / "fenxi-zfb_2023.xlsx"
REPO_WORKBOOKS = sorted(
    [*REPORTS.glob("*.xlsx"), *(ROOT / "xlsx_templates").glob("*.xls*"), *(ROOT / "examples").glob("*.xls*")]
    + [*(ROOT / "tests" / "fixtures").rglob("*.xlsm")]
)
OURS = [p for p in REPO_WORKBOOKS if "collect" not in p.name and "quickstart" not in p.name]
"""Workbooks this tool wrote as filing templates: the fast reader must take them all."""
INPUTS = [(c.sheet, c.ref) for c in FMT.cells]


def typed(value: object) -> object:
    """Values with their exact type (1 and 1.0 and True differ; so do 0.0 and -0.0)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, repr(value))


def via_openpyxl(path: Path) -> tuple:
    """What read_grids gives with the fast reader off: grids, or the refusal (code, where, message)."""
    try:
        with accel.plain("xlsx-fast"):
            fmt, grids = xlsx_reader.read_grids(path)
    except UnusableInput as exc:
        return ("refused", exc.code, exc.where, str(exc))
    return ("read", fmt.id, typed(grids))


def via_fast(path: Path) -> tuple | None:
    """The fast reader alone (after the checks read_grids makes first), or None when it passes."""
    try:
        wbread.check_workbook_file(path)
    except UnusableInput:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as read_grids
        result = fastread.read_grids_fast(path, None)
    if result is None:
        return None
    fmt, grids = result
    return ("read", fmt.id, typed(grids))


def assert_same(path: Path, *, taken: bool | None = None) -> tuple:
    """The fast reader's grids are openpyxl's (or it passes); read_grids answers the same either way."""
    plain = via_openpyxl(path)
    fast = via_fast(path)
    if fast is not None:
        assert fast == plain
    if taken is not None:
        assert (fast is not None) is taken, plain[:2]
    outcome = via_openpyxl_on(path)
    assert outcome == plain
    return plain


def via_openpyxl_on(path: Path) -> tuple:
    """read_grids as callers call it (fast reader on)."""
    try:
        fmt, grids = xlsx_reader.read_grids(path)
    except UnusableInput as exc:
        return ("refused", exc.code, exc.where, str(exc))
    return ("read", fmt.id, typed(grids))


def rebuild(src: Path, dst: Path, edits: dict) -> Path:
    """A copy of the package with parts edited (``part: bytes -> bytes``) or replaced (bytes)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            edit = edits.get(info.filename)
            if edit is not None:
                data = edit(data) if callable(edit) else edit
            zout.writestr(info.filename, data)
    return dst


def sheet_part(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as z:
        return dict(fastread._Book(z).sheets)[sheet]


def set_cell(xml: bytes, ref: str, attrs: str, inner: str) -> bytes:
    """Replace the cell ``ref`` of a sheet's XML (which must be there) with ``<c r=ref s=… attrs>inner</c>``."""
    pattern = re.compile(rb'<c r="%s"(?P<attrs>[^>]*?)(?:/>|>.*?</c>)' % ref.encode(), re.S)
    match = pattern.search(xml)
    assert match, ref
    style = re.search(rb's="\d+"', match.group("attrs"))
    new = b'<c r="%s" %s %s>%s</c>' % (ref.encode(), style.group() if style else b"", attrs.encode(), inner.encode())
    return xml[: match.start()] + new + xml[match.end() :]


# --------------------------------------------------------------------------- workbooks to read


def openpyxl_edited(dst: Path, epoch1904: bool = False) -> Path:
    """The example report saved by openpyxl with every kind of value in input cells (shared
    strings, rich text, dates with date formats, durations, errors, formulas without a result)."""
    wb = openpyxl.load_workbook(FENXI)
    if epoch1904:
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    t3 = wb["表三"]
    values = [
        7,
        -3,
        10**15,
        2**70,
        1.5,
        1e20,
        -0.0,
        1e-7,
        0.1 + 0.2,
        True,
        False,
        "",
        "  前后空格 ",
        "甲_x000D_乙",
        "_x005F_x000D_",
        "=1+2",
        "#N/A",
        "#DIV/0!",
        dt.datetime(2023, 1, 5, 12, 30, 15),
        dt.date(2023, 1, 5),
        dt.time(12, 30, 15),
        dt.timedelta(hours=30, minutes=1),
        CellRichText([TextBlock(InlineFont(b=True), "粗"), "体"]),
        "123",
    ]
    refs = [ref for sheet, ref in INPUTS if sheet == "表三"]
    for ref, value in zip(refs, values, strict=False):
        t3[ref] = value
        if isinstance(value, dt.timedelta):
            t3[ref].number_format = "[h]:mm:ss"
        elif isinstance(value, dt.time):
            t3[ref].number_format = "h:mm:ss"
    wb["封面"]["B7"] = dt.date(2024, 1, 20)
    wb["文字部分"]["A2"] = CellRichText(["第一段", TextBlock(InlineFont(i=True, sz=12), "斜体")])
    wb.save(dst)
    return dst


XML_CELLS = [
    ("", "<v>12</v>"),
    ("", "<v>1.5</v>"),
    ("", "<v>1E+20</v>"),
    ("", "<v>-0</v>"),
    ("", "<v> 7 </v>"),
    ("", "<v></v>"),
    ("", "<f>1+2</f><v>3</v>"),
    ("", "<f>1+2</f>"),
    ("", "<f> SUM(D4:D5) </f>"),
    ("", "<f/>"),
    ('t="str"', "<f>A1</f><v></v>"),
    ('t="str"', "<f>A1</f><v>x_x000D_y</v>"),
    ('t="str"', "<f>A1</f>"),
    ('t="b"', "<v>1</v>"),
    ('t="b"', "<v>0</v>"),
    ('t="b"', "<f>TRUE()</f><v>2</v>"),
    ('t="e"', "<v>#N/A</v>"),
    ('t="e"', "<f>1/0</f><v>#DIV/0!</v>"),
    ('t="inlineStr"', "<is><t>内联</t></is>"),
    ('t="inlineStr"', '<is><t xml:space="preserve"> 空格 </t></is>'),
    ('t="inlineStr"', '<is><r><rPr><b/><sz val="11"/></rPr><t>粗</t></r><r><t>体</t></r></is>'),
    (
        't="inlineStr"',
        '<is><t>甲</t><rPh sb="0" eb="1"><t>jia</t></rPh><phoneticPr fontId="1" type="noConversion"/></is>',
    ),
    ('t="inlineStr"', "<is><t>一</t><t>二</t></is>"),
    ('t="inlineStr"', ""),
    ('t="inlineStr"', "<is></is>"),
    ('t="n"', "<v>44927</v>"),
]


def xml_edited(dst: Path) -> Path:
    """The example report with cells of every shape written into the sheet XML."""
    part = sheet_part(FENXI, "表三")
    refs = [ref for sheet, ref in INPUTS if sheet == "表三"]

    def edit(xml: bytes) -> bytes:
        for ref, (attrs, inner) in zip(refs, XML_CELLS, strict=False):
            xml = set_cell(xml, ref, attrs, inner)
        return xml

    return rebuild(FENXI, dst, {part: edit})


def shared_strings(src: Path, dst: Path) -> Path:
    """The workbook with its inline strings moved into a shared-strings table, as Excel keeps
    text (``x005F_`` and phonetic runs there too, which openpyxl treats apart)."""
    table: list[bytes] = [
        "<t>x005F_x000D_ 与 _x005F_x000D_</t>".encode(),
        '<t>甲</t><rPh sb="0" eb="1"><t>jia</t></rPh>'.encode(),
    ]
    inline = re.compile(rb'(<c r="[A-Z]+\d+"[^>]*?) t="inlineStr"([^>]*)><is>(.*?)</is></c>', re.S)

    def to_shared(m: re.Match) -> bytes:
        table.append(m.group(3))
        return m.group(1) + b' t="s"' + m.group(2) + b"><v>%d</v></c>" % (len(table) - 1)

    with zipfile.ZipFile(src) as z:
        parts = {
            name: inline.sub(to_shared, z.read(name)) for name in z.namelist() if name.startswith("xl/worksheets/")
        }
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="%s" count="%d" uniqueCount="%d">'
        % (main, len(table), len(table))
        + b"".join(b"<si>%s</si>" % t for t in table)
        + b"</sst>"
    )
    rel = (
        b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        b'Target="sharedStrings.xml"/></Relationships>'
    )
    parts["xl/_rels/workbook.xml.rels"] = lambda x: x.replace(b"</Relationships>", rel)
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    parts["[Content_Types].xml"] = lambda x: x.replace(b"</Types>", override)
    rebuild(src, dst, parts)
    with zipfile.ZipFile(dst, "a") as z:
        z.writestr("xl/sharedStrings.xml", parts["xl/sharedStrings.xml"])
    return dst


def unnumbered(dst: Path) -> Path:
    """Rows and cells without their ``r`` numbers wherever they follow the previous one (openpyxl
    then counts them), as some writers leave them out."""

    def strip_cells(row: re.Match) -> bytes:
        column = 0

        def cell(m: re.Match) -> bytes:
            nonlocal column
            index = column_number(m.group(2).decode())
            keep = index != column + 1
            column = index
            return m.group() if keep else m.group(1)

        return re.sub(rb'(<c) r="([A-Z]+)\d+"', cell, row.group())

    def edit(xml: bytes) -> bytes:
        number = 0

        def row(m: re.Match) -> bytes:
            nonlocal number
            index = int(m.group(1))
            keep = index != number + 1
            number = index
            text = strip_cells(m)
            return text if keep else re.sub(rb'<row r="\d+"', b"<row", text, count=1)

        return re.sub(rb'<row r="(\d+)"[^>]*>.*?</row>', row, xml, flags=re.S)

    return rebuild(FENXI, dst, {sheet_part(FENXI, s.name): edit for s in FMT.sheets})


# --------------------------------------------------------------------------- the same grids


@pytest.mark.slow
@pytest.mark.parametrize("path", REPO_WORKBOOKS, ids=lambda p: p.name)
def test_every_workbook_in_the_repository(path):
    assert_same(path, taken=True if path in OURS else None)


@pytest.mark.slow
def test_openpyxl_saved_workbook_with_every_kind_of_value(tmp_path):
    path = openpyxl_edited(tmp_path / "openpyxl.xlsx")
    plain = assert_same(path, taken=True)
    kinds = {v[0] for row in plain[2]["表三"] for v in row}
    assert {"int", "float", "bool", "str", "CellError", "Uncalculated", "datetime", "time", "timedelta"} <= kinds


@pytest.mark.slow
def test_openpyxl_saved_workbook_in_the_1904_calendar(tmp_path):
    path = openpyxl_edited(tmp_path / "1904.xlsx", epoch1904=True)
    assert b'date1904="1"' in zipfile.ZipFile(path).read("xl/workbook.xml")
    assert_same(path, taken=True)


def test_cells_of_every_shape(tmp_path):
    path = xml_edited(tmp_path / "cells.xlsx")
    plain = assert_same(path, taken=True)
    kinds = {v[0] for row in plain[2]["表三"] for v in row}
    assert {"int", "float", "bool", "str", "CellError", "Uncalculated", "NoneType"} <= kinds


@pytest.mark.slow
@pytest.mark.parametrize("source", ["fill", "openpyxl", "cells"])
def test_text_in_a_shared_strings_table(tmp_path, source):
    src = {
        "fill": lambda: FENXI,
        "openpyxl": lambda: openpyxl_edited(tmp_path / "o.xlsx"),
        "cells": lambda: xml_edited(tmp_path / "c.xlsx"),
    }[source]()
    path = shared_strings(src, tmp_path / "sst.xlsx")
    assert b"<is>" not in zipfile.ZipFile(path).read(sheet_part(path, "表三"))
    plain = assert_same(path, taken=True)
    assert plain == via_openpyxl(src) or source != "fill"


def test_rows_and_cells_without_numbers(tmp_path):
    path = unnumbered(tmp_path / "unnumbered.xlsx")
    xml = zipfile.ZipFile(path).read(sheet_part(path, "表三"))
    assert xml.count(b'<row r="') < xml.count(b"<row") / 2
    assert xml.count(b'<c r="') < len(re.findall(rb"<c[ >/]", xml)) / 2
    assert_same(path, taken=True)


def test_a_date_style_on_a_number_no_calendar_holds(tmp_path):
    """openpyxl turns the overflow into #VALUE!, read as a formula error."""
    part = sheet_part(FENXI, "封面")
    path = rebuild(
        FENXI,
        tmp_path / "date.xlsx",
        {part: lambda x: re.sub(rb'(<c r="B7" s="\d+")[^>]*?(/>|>.*?</c>)', rb"\1><v>1e300</v></c>", x)},
    )
    plain = assert_same(path, taken=True)
    assert plain[2]["封面"][6][1] == ("CellError", "'#VALUE!'")


@pytest.mark.slow
def test_results_rows_are_read_as_far_as_they_go_and_no_further(tmp_path):
    """校验结果 is not padded to 5,000 rows; a note past MAX_RESULT_ROWS is still not read."""
    last = FMT.results_header_row + wbread.MAX_RESULT_ROWS
    part = sheet_part(FENXI, FMT.results_sheet)

    def edit(xml: bytes) -> bytes:
        rows = b"".join(
            b'<row r="%d"><c r="B%d" t="inlineStr"><is><t>T3-SUM</t></is></c><c r="I%d" t="inlineStr"><is><t>note %d</t></is></c></row>'
            % (r, r, r, r)
            for r in (FMT.results_header_row + 2, last, last + 1)
        )
        return xml.replace(b"</sheetData>", rows + b"</sheetData>")

    path = rebuild(FENXI, tmp_path / "notes.xlsx", {part: edit})
    plain = assert_same(path, taken=True)
    assert len(plain[2][FMT.results_sheet]) == last
    fmt, grids = xlsx_reader.read_grids(path)
    notes = wbread.read_explanations(fmt, grids[FMT.results_sheet])
    assert [n.text for n in notes] == [f"note {FMT.results_header_row + 2}\nnote {last}"]
    fmt, grids = xlsx_reader.read_grids(FENXI)
    assert len(grids[FMT.results_sheet]) < 100


# --------------------------------------------------------------------------- what goes to openpyxl


def _hostile_cases() -> dict[str, tuple[str, object]]:
    """(sheet or part, edit) that the fast reader must leave to openpyxl."""
    cell = lambda ref, attrs, inner: lambda x: set_cell(x, ref, attrs, inner)  # noqa: E731
    return {
        "malformed-xml": ("封面", lambda x: x.replace(b"</row>", b"</row><row><c></row>", 1)),
        "bad-shared-string": ("封面", cell("B4", 't="s"', "<v>99999</v>")),
        "bad-number": ("封面", cell("B6", 't="n"', "<v>abc</v>")),
        "bad-boolean": ("表三", cell("D4", 't="b"', "<v>x</v>")),
        "bad-ref": ("封面", lambda x: re.sub(rb'<c r="B4" ', b'<c r="ZZZZZ4" ', x, count=1)),
        "lower-case-ref": ("封面", lambda x: re.sub(rb'<c r="B4" ', b'<c r="b4" ', x, count=1)),
        "iso-date": ("封面", cell("B7", 't="d"', "<v>2024-01-20</v>")),
        "unknown-type": ("表三", cell("D4", 't="x"', "<v>1</v>")),
        "row-number-float": ("表三", lambda x: x.replace(b'<row r="4"', b'<row r="4.0"', 1)),
        "bad-row-number": ("表三", lambda x: x.replace(b'<row r="4"', b'<row r="four"', 1)),
        "bad-font-in-rich-text": (
            "表三",
            cell("D4", 't="inlineStr"', '<is><r><rPr><sz val="abc"/></rPr><t>x</t></r></is>'),
        ),
        "attribute-on-text": ("表三", cell("D4", 't="inlineStr"', '<is foo="1"><t>x</t></is>')),
        "bad-dimension": ("表三", lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:"', x)),
        "dtd": ("表三", lambda x: b'<!DOCTYPE worksheet [<!ENTITY e "x">]>' + x),
        "dtd-behind-a-long-comment": (  # past check_workbook_file's 64 KB scan: the readers see it
            "封面",
            lambda x: (
                b"<!--"
                + b"x" * (100 * 1024)
                + b'--><!DOCTYPE worksheet [<!ENTITY e "x">]>'
                + x.replace(b"<t>", b"<t>&e;", 1)
            ),
        ),
        "marker-escaped": ("封面", cell("B10", 't="inlineStr"', "<is><t>gb_x002D_2021-30</t></is>")),
        "marker-gone": ("封面", cell("B10", 't="inlineStr"', "<is><t>gb-2099-1</t></is>")),
        "no-sheet-rels-target": ("xl/_rels/workbook.xml.rels", lambda x: x.replace(b'Target="', b'Targt="', 1)),
        "workbook-part-damaged": ("xl/workbook.xml", lambda x: x[:-20]),
        "styles-damaged": ("xl/styles.xml", lambda x: x.replace(b"<cellXfs", b"<cellXfs <", 1)),
        "xf-font-not-a-number": (
            "xl/styles.xml",
            lambda x: re.sub(rb'(<cellXfs[^>]*>\s*<xf [^>]*?)fontId="\d+"', rb'\1fontId="x"', x, count=1),
        ),
        "xf-number-format-overflow": (
            "xl/styles.xml",
            lambda x: re.sub(rb'(<cellXfs[^>]*>\s*<xf [^>]*?)numFmtId="\d+"', rb'\1numFmtId="4294967296"', x, count=1),
        ),
        "xf-bad-alignment": (
            "xl/styles.xml",
            lambda x: re.sub(
                rb"(<cellXfs[^>]*>.*?)<alignment ", rb'\1<alignment horizontal="sideways" ', x, count=1, flags=re.S
            ),
        ),
        "bad-print-titles": (
            "xl/workbook.xml",
            lambda x: re.sub(rb">[^<]*!\$1:\$3</definedName>", b">??</definedName>", x),
        ),
        "bad-sheet-view": ("表二", lambda x: x.replace(b"<sheetView ", b'<sheetView view="sideways" ', 1)),
        "bad-data-validation": ("表三", lambda x: x.replace(b'type="whole"', b'type="hole"', 1)),
        "core-damaged": ("docProps/core.xml", lambda x: x[:-5]),
        "sheet-renamed": ("xl/workbook.xml", lambda x: x.replace('name="表四"'.encode(), 'name="表4"'.encode(), 1)),
        "utf-16": ("表二", lambda x: x.decode("utf-8").encode("utf-16")),
    }


READ_BY_OPENPYXL = {"iso-date", "unknown-type", "row-number-float", "lower-case-ref", "utf-16"}
"""Odd but readable: openpyxl reads them (the fast reader leaves them to it)."""


@pytest.mark.slow
@pytest.mark.parametrize("case", list(_hostile_cases()))
def test_damaged_and_odd_workbooks_go_to_openpyxl_with_the_same_message(tmp_path, case):
    where, edit = _hostile_cases()[case]
    part = where if "/" in where else sheet_part(FENXI, where)
    path = rebuild(FENXI, tmp_path / f"{case}.xlsx", {part: edit})
    assert zipfile.ZipFile(path).read(part) != zipfile.ZipFile(FENXI).read(part)
    plain = assert_same(path, taken=False)
    assert (plain[0] == "read") is (case in READ_BY_OPENPYXL), plain[:2]


@pytest.mark.parametrize("case", ["no-sheet-rels-target", "styles-damaged", "bad-sheet-view"])
def test_openpyxl_warnings_about_a_damaged_workbook_never_reach_the_clerk(tmp_path, case):
    """A damaged package is refused (or read) in words; openpyxl's own UserWarning, which the
    fast reader's package checks used to let through to stderr, is not shown."""
    where, edit = _hostile_cases()[case]
    part = where if "/" in where else sheet_part(FENXI, where)
    path = rebuild(FENXI, tmp_path / f"{case}.xlsx", {part: edit})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        via_openpyxl_on(path)
    assert [str(w.message) for w in seen] == []


@pytest.mark.slow
def test_our_filled_workbooks_never_open_openpyxl(tmp_path, monkeypatch):
    """The fast path is really taken: with openpyxl's loader broken, our files still read."""
    paths = [
        *OURS,
        openpyxl_edited(tmp_path / "openpyxl.xlsx"),
        xml_edited(tmp_path / "cells.xlsx"),
        unnumbered(tmp_path / "unnumbered.xlsx"),
    ]
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl opened the workbook"))
    for path in paths:
        fmt, grids = xlsx_reader.read_grids(path)
        assert fmt.id == FMT.id and set(grids) == {s.name for s in FMT.sheets}
    for name in REPORT_NAMES:
        assert run_cli("check", REPORTS / f"{name}.xlsx").code in (0, 1)


# --------------------------------------------------------------------------- random mutations

_SNIPPETS = [(a, i) for a, i in XML_CELLS] + [
    ('t="s"', "<v>0</v>"),
    ('t="s"', "<v>-1</v>"),
    ('t="s"', "<v>3</v>"),
    ('t="s"', "<v>99999</v>"),
    ('t="n"', "<v>abc</v>"),
    ('t="n"', "<v>1e400</v>"),
    ('t="n"', "<v>-5</v>"),
    ('t="n"', "<v>0.75</v>"),
    ('t="b"', "<v>x</v>"),
    ('t="d"', "<v>2024-01-20</v>"),
    ('t="e"', "<v>gb-2021-30</v>"),
    ('t="inlineStr"', "<is><t>gb-2021-30</t></is>"),
    ('t="inlineStr"', "<is><t>gb_x002D_2021-30</t></is>"),
    ('t="inlineStr"', "<is><t>_x0001_</t></is>"),
    ('t="inlineStr"', '<is><r><rPr><sz val="abc"/></rPr><t>x</t></r></is>'),
    ('t="inlineStr"', '<is><rPh sb="x"><t>a</t></rPh></is>'),
    ('t="inlineStr"', '<is><phoneticPr fontId="1" type="nonsense"/></is>'),
]


@st.composite
def mutation(draw) -> tuple[bool, list, list, bool]:
    """Cells (any of the format's, the marker and version included) rewritten with a snippet and
    maybe a date or duration style; rows renumbered, duplicated or unnumbered; the 1904 calendar."""
    refs = [*INPUTS, FMT.marker_cell, FMT.version_cell, ("校验结果", "B5"), ("校验结果", "I5")]
    cells = draw(
        st.lists(
            st.tuples(st.sampled_from(refs), st.sampled_from(_SNIPPETS), st.sampled_from(["keep", "date", "duration"])),
            max_size=8,
        )
    )
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(sorted({s for s, _ in INPUTS})),
                st.integers(1, 30),
                st.sampled_from(["unnumber", "zero", "duplicate", "far", "strip-cells"]),
            ),
            max_size=3,
        )
    )
    return draw(st.booleans()), cells, rows, draw(st.booleans())


_BASES: dict[str, Path] = {}


def _base(tmp_root: Path, shared: bool) -> Path:
    """The example report as written by ``xxgk fill`` (inline strings), or as openpyxl saved it
    (a duration style added) with its text moved into shared strings."""
    key = "shared" if shared else "fill"
    if key not in _BASES:
        _BASES[key] = (
            shared_strings(openpyxl_edited(tmp_root / "base-openpyxl.xlsx"), tmp_root / "base-shared.xlsx")
            if shared
            else FENXI
        )
    return _BASES[key]


def _styles(path: Path) -> tuple[list[int], list[int]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return sorted(wb._date_formats), sorted(wb._timedelta_formats)
    finally:
        wb.close()


def _mutate(base: Path, dst: Path, cells: list, rows: list, epoch1904: bool) -> Path:
    dates, durations = _styles(base)
    edits: dict[str, list] = {}
    for (sheet, ref), (attrs, inner), style in cells:
        if style == "date" and dates:
            attrs += f' s="{dates[0]}"'
        elif style == "duration" and durations:
            attrs += f' s="{durations[0]}"'
        edits.setdefault(sheet_part(base, sheet), []).append(("cell", ref, attrs, inner))
    for sheet, row, how in rows:
        edits.setdefault(sheet_part(base, sheet), []).append(("row", row, how, None))

    def editor(todo: list):
        def edit(xml: bytes) -> bytes:
            for kind, a, b, c in todo:
                if kind == "cell":
                    if re.search(rb'<c r="%s"' % a.encode(), xml):
                        if ' s="' in b:  # the drawn style replaces the cell's own
                            xml = re.sub(rb'(<c r="%s")[^>]*?(/?>)' % a.encode(), rb"\1\2", xml, count=1)
                        xml = set_cell(xml, a, b, c)
                else:
                    m = re.search(rb'<row r="%d"[^>]*>.*?</row>' % a, xml, re.S)
                    if not m:
                        continue
                    row = m.group()
                    if b == "unnumber":
                        row = re.sub(rb'<row r="\d+"', b"<row", row)
                    elif b == "zero":
                        row = re.sub(rb'<row r="\d+"', b'<row r="0"', row)
                    elif b == "duplicate":
                        row = row + row
                    elif b == "far":
                        row = re.sub(rb'<row r="\d+"', b'<row r="9000"', row)
                    else:
                        row = re.sub(rb'(<c) r="[A-Z]+\d+"', rb"\1", row)
                    xml = xml[: m.start()] + row + xml[m.end() :]
            return xml

        return edit

    parts = {part: editor(todo) for part, todo in edits.items()}
    if epoch1904:
        parts["xl/workbook.xml"] = lambda x: re.sub(
            rb"<workbookPr([^>]*?)(/?)>",
            rb'<workbookPr date1904="1"\1\2>',
            re.sub(rb' date1904="[^"]*"', b"", x),
            count=1,
        )
    return rebuild(base, dst, parts)


@pytest.mark.slow
@settings(
    max_examples=60 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(mutation())
def test_random_mutations_read_the_same(tmp_path, case):
    shared, cells, rows, epoch1904 = case
    path = _mutate(_base(tmp_path.parent, shared), tmp_path / "m.xlsx", cells, rows, epoch1904)
    assert_same(path)


_TOKENS = [
    b"",
    b"<",
    b">",
    b"/",
    b'"',
    b"=",
    b"0",
    b"9",
    b"-",
    b".",
    b"e",
    b"E",
    b" ",
    b"&amp;",
    b"&#1;",
    b"\xff",
    b"t",
    b"s",
    b"r",
]
_TOKENS += [
    b' t="e"',
    b' t="s"',
    b' t="b"',
    b' t="str"',
    b' s="0"',
    b' r="A1"',
    b"<v>1</v>",
    b"<f>1</f>",
    b"</c>",
    b"<row>",
]


@pytest.mark.slow
@settings(
    max_examples=100 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(
    st.booleans(),
    st.sampled_from(["sheet", "sheet", "sheet", "sst", "styles", "workbook"]),
    st.sampled_from([s.name for s in FMT.sheets]),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), st.sampled_from(_TOKENS)), min_size=1, max_size=4),
)
def test_random_byte_edits_read_the_same(tmp_path, shared, where, sheet, edits):
    """Bytes of a part replaced anywhere (inside cells, tags, attribute values, the table of strings)."""
    base = _base(tmp_path.parent, shared)
    part = {"sst": "xl/sharedStrings.xml", "styles": "xl/styles.xml", "workbook": "xl/workbook.xml"}.get(where)
    part = part or sheet_part(base, sheet)
    if part not in zipfile.ZipFile(base).namelist():
        return

    def edit(xml: bytes) -> bytes:
        start = xml.find(b"<sheetData") if where == "sheet" else 0
        for at, drop, token in edits:
            i = int(start + at * (len(xml) - start))
            xml = xml[:i] + token + xml[i + drop :]
        return xml

    assert_same(rebuild(base, tmp_path / "b.xlsx", {part: edit}))


# --------------------------------------------------------------------------- collect, both ways


@pytest.mark.slow
def test_collect_gives_the_same_result_with_the_fast_reader_off(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in REPORT_NAMES:
        shutil.copyfile(REPORTS / f"{name}.xlsx", inbox / f"{name}.xlsx")
    openpyxl_edited(inbox / "值.xlsx")
    xml_edited(inbox / "单元格.xlsx")
    unnumbered(inbox / "无行号.xlsx")
    cases = _hostile_cases()
    for case in ("malformed-xml", "dtd", "bad-font-in-rich-text", "iso-date", "sheet-renamed"):
        where, edit = cases[case]
        rebuild(FENXI, inbox / f"{case}.xlsx", {sheet_part(FENXI, where) if "/" not in where else where: edit})
    shutil.copyfile(ROOT / "xlsx_templates" / "xxgk-collect-gb-2021-30.xlsm", inbox / "not-a-report.xlsm")
    fast = dumps_result(result_dict(collect(inbox, Options())))
    with accel.plain("xlsx-fast"):
        plain = dumps_result(result_dict(collect(inbox, Options())))
    assert fast == plain
    status = {f["file"]: f.get("status") for f in json.loads(fast)["files"]}
    refused = {
        "malformed-xml.xlsx",
        "dtd.xlsx",
        "bad-font-in-rich-text.xlsx",
        "sheet-renamed.xlsx",
        "not-a-report.xlsm",
    }
    assert {f for f, s in status.items() if s == "无法读取"} == refused


# --------------------------------------------------------------------------- LibreOffice's copies


@pytest.mark.libreoffice
def test_workbooks_saved_by_libreoffice(tmp_path):
    """LibreOffice writes shared strings, its own styles and row/cell shapes."""
    from support.libreoffice import require_libreoffice
    from support.rendering import soffice_convert

    require_libreoffice()
    sources = tmp_path / "src"
    sources.mkdir()
    for name in REPORT_NAMES:
        shutil.copyfile(REPORTS / f"{name}.xlsx", sources / f"{name}.xlsx")
    openpyxl_edited(sources / "values.xlsx")
    xml_edited(sources / "cells.xlsx")
    shutil.copyfile(TEMPLATE, sources / "template.xlsx")
    shutil.copyfile(EXAMPLE, sources / "example.xlsx")
    out = tmp_path / "lo"
    soffice_convert(sorted(sources.iterdir()), "xlsx:Calc MS Excel 2007 XML", out, timeout=300)
    converted = sorted(out.glob("*.xlsx"))
    assert len(converted) == len(list(sources.iterdir()))
    for path in converted:
        with zipfile.ZipFile(path) as z:
            assert "xl/sharedStrings.xml" in z.namelist()
        plain = assert_same(path, taken=True)
        assert plain[0] == "read", (path.name, plain)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["none", "dimension", "xml", "xml-past-the-probe"])
def test_a_sheet_the_format_does_not_use(tmp_path, damage):
    """openpyxl's load looks at every sheet's start (its size probe): so does the fast reader."""
    wb = openpyxl.load_workbook(FENXI)
    wb.create_sheet("备注")["A1"] = "另加的工作表"
    wb.save(tmp_path / "extra.xlsx")
    part = sheet_part(tmp_path / "extra.xlsx", "备注")
    edit = {
        "none": lambda x: x,
        "dimension": lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A0:"', x),
        "xml": lambda x: x.replace(b"<dimension", b"<<dimension", 1),
        "xml-past-the-probe": lambda x: x.replace(b"<sheetData>", b"<sheetData><", 1),
    }[damage]
    path = rebuild(tmp_path / "extra.xlsx", tmp_path / f"{damage}.xlsx", {part: edit})
    plain = assert_same(path, taken=damage == "none")
    assert plain[0] == ("refused" if damage in ("dimension", "xml") else "read"), plain[:2]


def test_verdicts_on_large_parts_are_not_kept(tmp_path):
    """What openpyxl said of a part or element is remembered by content, but only for small ones:
    an inbox of large distinct parts does not fill the memory with their bytes."""
    big = b"<headerFooter><oddHeader>&amp;C" + b"x" * (fastread._CACHED_PART_BYTES + 1) + b"</oddHeader></headerFooter>"
    path = rebuild(
        FENXI,
        tmp_path / "big.xlsx",
        {sheet_part(FENXI, "表三"): lambda x: re.sub(rb"<headerFooter[^>]*>.*?</headerFooter>", big, x, flags=re.S)},
    )
    fastread.clear_caches()
    assert_same(path, taken=True)
    assert fastread._GOOD_ELEMENTS and max(map(len, fastread._GOOD_ELEMENTS)) <= fastread._CACHED_PART_BYTES


NAME_EDITS = {
    "element in a cell": lambda xml: xml.replace(b"</is></c>", "</is><\u2c00x/></c>".encode(), 1),
    "astral element in a cell": lambda xml: xml.replace(b"</is></c>", "</is><\U00010000x/></c>".encode(), 1),
    "attribute on a cell": lambda xml: xml.replace(b'<c r="A4"', '<c \u2c00x="1" r="A4"'.encode(), 1),
}


@pytest.mark.slow
@pytest.mark.parametrize("edit", NAME_EDITS, ids=list(NAME_EDITS))
def test_names_openpyxl_refuses_get_the_same_verdict(tmp_path, edit):
    """lxml (XML 1.0, fifth edition) takes element and attribute names expat (openpyxl's
    parser) refuses; the fast path leaves any part with such a name to openpyxl, so ``check``
    and ``check --annotate`` say the same of the file (damaged), with the fast path on or off."""
    part = sheet_part(FENXI, "表三")
    changed = rebuild(FENXI, tmp_path / "m.xlsx", {part: NAME_EDITS[edit]})
    with zipfile.ZipFile(changed) as z:
        assert z.read(part) != zipfile.ZipFile(FENXI).read(part)  # the edit took
    assert via_fast(changed) is None
    outcome = assert_same(changed, taken=False)
    assert outcome[0] == "refused" and outcome[1] == "damaged", outcome
    annotated = run_cli("check", changed, "--annotate", tmp_path / "a.xlsx")
    assert annotated.code == 2 and "损坏" in annotated.err


def test_text_and_values_outside_ascii_keep_the_fast_path(tmp_path):
    """Chinese in texts and attribute values is no name: the fast path still reads the report."""
    assert via_fast(FENXI) is not None
