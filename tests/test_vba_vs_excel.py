"""Our VBA project next to one that Microsoft Excel wrote, record by record.

The reference is ``fixtures/vba/excel365_quickstart.xlsm`` (Excel 365, from the pinned xlwings
wheel; see ``fixtures/vba/README.md``). We build a project with the same modules in the same
order and compare the ``dir`` stream record by record, the ``PROJECT`` stream line by line, the
``PROJECTwm`` stream byte for byte and every module's stored text. Where Excel's bytes may differ,
the tables below say why and what ours must be instead; any other difference fails, so a change
that drifts away from what Excel writes is caught here.

The template's own project (``addin.build``) is then held to the same standard: its document
modules carry exactly Excel's attribute headers, every compressed chunk is a compressed (not raw)
chunk, and every compound-file directory tree is a valid red-black tree.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile

import olefile
import pytest
from oletools.olevba import decompress_stream

from addin.build import xlsm_bytes
from addin.ovba import VbaModule, build_vba_project

from support.ovba import EXCEL_WRITTEN_XLSM, assert_red_black_trees, decrypt

Records = list[tuple[int, bytes]]

#: dir records whose value Excel chooses freely, with the value [MS-OVBA] makes us write.
FREE_VALUES = {
    0x0009: "PROJECTVERSION: any value (2.3.4.2.1.11); Excel's major version is random",
    0x0013: "PROJECTCOOKIE: MUST be 0xFFFF on write (2.3.4.2.3.1); Excel's is random",
    0x0031: "MODULEOFFSET: ours is 0, no performance cache (2.3.4.1); Excel's points past its cache",
    0x002C: "MODULECOOKIE: MUST be 0xFFFF on write (2.3.4.2.3.2.7); Excel's is random",
}
OURS_FOR_FREE_VALUES = {
    0x0009: struct.pack("<IH", 1, 0),
    0x0013: b"\xff\xff",
    0x0031: bytes(4),
    0x002C: b"\xff\xff",
}
#: Written by Excel 365 only. Excel 2007/2010, EPPlus and Aspose leave it out, and older readers
#: fail on it (EPPlus #436), so ours leaves it out too.
EXCEL_365_ONLY = {0x004A}
REFERENCE_IDS = {0x0016, 0x003E, 0x000D, 0x000E, 0x002F, 0x0030, 0x0033}
WORKSPACE_VALUE = re.compile(r"-?\d+, -?\d+, -?\d+, -?\d+, [A-Z]")


def _ole(xlsm: bytes) -> olefile.OleFileIO:
    with zipfile.ZipFile(io.BytesIO(xlsm)) as z:
        project = z.read("xl/vbaProject.bin")
    return olefile.OleFileIO(io.BytesIO(project), raise_defects=olefile.DEFECT_INCORRECT)


def _dir_records(ole: olefile.OleFileIO) -> Records:
    """The decompressed dir stream as (id, payload) records, parsed to its last byte."""
    data = decompress_stream(bytearray(ole.openstream("VBA/dir").read()))
    records, pos = [], 0
    while pos < len(data):
        record_id, size = struct.unpack_from("<HI", data, pos)
        pos += 6
        if record_id == 0x0009:  # PROJECTVERSION: "size" 4, then 6 bytes (u32 major, u16 minor)
            size = 6
        records.append((record_id, bytes(data[pos : pos + size])))
        pos += size
    assert pos == len(data) and records[-1] == (0x0010, b""), "dir stream must end with its terminator"
    return records


def _sections(records: Records) -> tuple[Records, Records, Records, list[Records]]:
    """Project information, references, PROJECTMODULES + PROJECTCOOKIE, then each module."""
    first_ref = next(i for i, (rid, _) in enumerate(records) if rid in REFERENCE_IDS)
    modules_at = next(i for i, (rid, _) in enumerate(records) if rid == 0x000F)
    info, refs, head = records[:first_ref], records[first_ref:modules_at], records[modules_at : modules_at + 2]
    modules, current = [], []
    for record in records[modules_at + 2 : -1]:
        current.append(record)
        if record[0] == 0x002B:
            modules.append(current)
            current = []
    assert not current
    return info, refs, head, modules


def _module_text(ole: olefile.OleFileIO, module: Records) -> str:
    fields = dict(module)
    name = fields[0x001A].decode("cp1252")
    (offset,) = struct.unpack("<I", fields[0x0031])
    stream = ole.openstream(f"VBA/{name}").read()[offset:]
    return bytes(decompress_stream(bytearray(stream))).decode("cp1252")


def _as_our_module(ole: olefile.OleFileIO, module: Records) -> VbaModule:
    """The VbaModule that should reproduce one of Excel's modules: same name, kind and code."""
    fields = dict(module)
    name, text = fields[0x0019].decode("cp1252"), _module_text(ole, module)
    if 0x0021 in fields:
        return VbaModule(name, text, "standard")
    header, code = re.match(r"((?:Attribute VB_\w+ = .*\r\n)+)(.*)", text, re.S).groups()
    base = "workbook" if "{00020819-" in header else "worksheet"
    return VbaModule(name, code, "document", base)


@pytest.fixture(scope="module")
def excel() -> olefile.OleFileIO:
    return _ole(EXCEL_WRITTEN_XLSM.read_bytes())


@pytest.fixture(scope="module")
def ours(excel: olefile.OleFileIO) -> olefile.OleFileIO:
    """Our project with Excel's modules, in Excel's order."""
    modules = [_as_our_module(excel, m) for m in _sections(_dir_records(excel))[3]]
    project = build_vba_project(modules)
    return olefile.OleFileIO(io.BytesIO(project), raise_defects=olefile.DEFECT_INCORRECT)


def test_the_reference_really_is_excel_written(excel: olefile.OleFileIO) -> None:
    # Excel compiles on save: a real _VBA_PROJECT version with a performance cache behind it,
    # and module sources starting past their caches. Aspose and our writer have neither.
    header = excel.openstream("VBA/_VBA_PROJECT").read()
    assert header[:2] == b"\xcc\x61" and header[2:4] != b"\xff\xff" and len(header) > 7
    assert all(dict(m)[0x0031] != bytes(4) for m in _sections(_dir_records(excel))[3])


def _compare(ours: Records, excel: Records, where: str) -> None:
    excel = [r for r in excel if r[0] not in EXCEL_365_ONLY]
    assert [rid for rid, _ in ours] == [rid for rid, _ in excel], f"{where}: record sequence differs"
    for (rid, mine), (_, theirs) in zip(ours, excel):
        if rid in FREE_VALUES:
            assert mine == OURS_FOR_FREE_VALUES[rid], f"{where}: record {rid:#06x} ({FREE_VALUES[rid]})"
        else:
            assert mine == theirs, f"{where}: record {rid:#06x} is {mine!r}, Excel writes {theirs!r}"


def test_dir_project_information_matches_excel_record_by_record(ours, excel) -> None:
    _compare(_sections(_dir_records(ours))[0], _sections(_dir_records(excel))[0], "project information")


def test_dir_module_records_match_excel_record_by_record(ours, excel) -> None:
    mine, theirs = _sections(_dir_records(ours)), _sections(_dir_records(excel))
    _compare(mine[2], theirs[2], "PROJECTMODULES and PROJECTCOOKIE")
    assert len(mine[3]) == len(theirs[3]) == 4
    for our_module, excel_module in zip(mine[3], theirs[3]):
        _compare(our_module, excel_module, dict(excel_module)[0x0019].decode())


def test_dir_office_reference_is_byte_identical_to_excels(ours, excel) -> None:
    # Which libraries are referenced is the author's choice (Excel's file ticks MSForms and an
    # add-in; ours stdole and Office): the shared one, Office, must be stored identically.
    def office(records: Records) -> Records:
        refs = _sections(records)[1]
        at = refs.index((0x0016, b"Office"))
        return refs[at : at + 3]

    mine = office(_dir_records(ours))
    assert [rid for rid, _ in mine] == [0x0016, 0x003E, 0x000D]
    assert mine == office(_dir_records(excel))
    assert {rid for rid, _ in _sections(_dir_records(ours))[1]} == {0x0016, 0x003E, 0x000D}


def test_project_stream_matches_excel_line_by_line(ours, excel) -> None:
    mine = ours.openstream("PROJECT").read().decode("cp1252").split("\r\n")
    theirs = excel.openstream("PROJECT").read().decode("cp1252").split("\r\n")
    assert len(mine) == len(theirs)
    ids = {}
    for our_line, excel_line in zip(mine, theirs):
        key, _, value = our_line.partition("=")
        excel_key, _, excel_value = excel_line.partition("=")
        assert key == excel_key, f"PROJECT line {our_line!r}, Excel has {excel_line!r}"
        if key == "ID":  # the project GUID: Excel's is random, ours fixed
            assert re.fullmatch(r'"\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}"', value)
            ids = {"ours": value.strip('"'), "excel": excel_value.strip('"')}
        elif key in ("CMG", "DPB", "GC"):  # obfuscated with a random seed: compare the plain values
            assert decrypt(value.strip('"'), ids["ours"]) == decrypt(excel_value.strip('"'), ids["excel"]), key
        elif WORKSPACE_VALUE.fullmatch(excel_value):  # editor window positions
            assert value == "0, 0, 0, 0, C"
        else:
            assert our_line == excel_line


def test_projectwm_is_byte_identical_to_excels(ours, excel) -> None:
    assert ours.openstream("PROJECTwm").read() == excel.openstream("PROJECTwm").read()


def test_every_module_text_is_identical_to_excels(ours, excel) -> None:
    for mine, theirs in zip(_sections(_dir_records(ours))[3], _sections(_dir_records(excel))[3]):
        assert _module_text(ours, mine) == _module_text(excel, theirs), dict(theirs)[0x0019]


# ------------------------------------------------------------------ the template's own project


@pytest.fixture(scope="module")
def template_project(fmt) -> olefile.OleFileIO:
    return _ole(xlsm_bytes(fmt))


def test_template_document_modules_carry_excels_attribute_headers(template_project, excel) -> None:
    excel_modules = {dict(m)[0x0019]: m for m in _sections(_dir_records(excel))[3]}
    excel_sheet = _module_text(excel, excel_modules[b"Sheet1"])
    for module in _sections(_dir_records(template_project))[3]:
        name = dict(module)[0x0019].decode()
        if name == "ThisWorkbook":
            assert _module_text(template_project, module) == _module_text(excel, excel_modules[b"ThisWorkbook"])
        elif name.startswith("Sheet"):  # Excel's Sheet1 with the name changed
            expected = excel_sheet.replace('VB_Name = "Sheet1"', f'VB_Name = "{name}"')
            assert _module_text(template_project, module) == expected, name
        else:
            assert 0x0021 in dict(module), f"{name} should be a standard module"


def _chunk_headers(container: bytes) -> list[int]:
    """The header of every chunk in an [MS-OVBA] CompressedContainer, walked by their sizes."""
    assert container[0] == 0x01
    headers, pos = [], 1
    while pos < len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        headers.append(header)
        pos += (header & 0x0FFF) + 3
    assert pos == len(container)
    return headers


def test_template_project_has_no_raw_chunks(template_project) -> None:
    containers = {"dir": template_project.openstream("VBA/dir").read()}
    for module in _sections(_dir_records(template_project))[3]:
        name = dict(module)[0x001A].decode()
        containers[name] = template_project.openstream(f"VBA/{name}").read()
    assert len(containers) == 12  # dir, ThisWorkbook, Sheet1-8, Main, xlwings
    for name, container in containers.items():
        headers = _chunk_headers(container)
        assert headers and all(h & 0x8000 for h in headers), f"{name}: a raw chunk"
        assert all(h & 0x7000 == 0x3000 for h in headers), name
    assert len(_chunk_headers(containers["xlwings"])) > 10  # the long module spans many chunks


def test_template_project_directory_trees_are_red_black(template_project) -> None:
    assert_red_black_trees(template_project)


def test_template_vba_project_header_is_the_spec_example(template_project) -> None:
    assert template_project.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")


def test_template_content_type_for_the_project_is_excels(fmt) -> None:
    def content_types(data: bytes) -> str:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.read("[Content_Types].xml").decode()

    tag = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    assert tag in content_types(EXCEL_WRITTEN_XLSM.read_bytes())
    assert tag in content_types(xlsm_bytes(fmt))


def test_fixture_is_the_documented_file() -> None:
    digest = hashlib.sha256(EXCEL_WRITTEN_XLSM.read_bytes()).hexdigest()
    assert digest == "e76e0f5b84b968c57dd233cda5bfacc1b0fc46d8c37dee40fd0ecea7bc1f4773"
