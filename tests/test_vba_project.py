"""The VBA project writer, checked against tools that share no code with it.

* oletools' ``decompress_stream`` is the reference [MS-OVBA] decompressor: our compressor
  must round-trip through it, and our decompressor must agree with it, also on streams that
  Excel itself wrote (``tests/fixtures/vba/excel365_quickstart.xlsm``) and that Aspose.Cells
  wrote (xlwings' ``quickstart_standalone.xlsm``, which xlwings ships to Excel users).
* olefile parses the compound file with ``raise_defects=DEFECT_INCORRECT``: anything the
  [MS-CFB] spec calls an error fails the test.
* oletools' ``VBA_Project``/``VBA_Parser`` read the ``dir`` and ``PROJECT`` streams in strict
  mode and return the module source, which must equal what we stored byte for byte.
"""

from __future__ import annotations

import io
import logging
import random
import re
import struct
import sys
import zipfile
from pathlib import Path

import olefile
import pytest
import xlsxwriter
import xlwings
from oletools.olevba import VBA_Parser, VBA_Project, decompress_stream

from addin.ovba import VbaModule, build_vba_project
from addin.ovba.cfb import write_compound_file
from addin.ovba.compression import compress, decompress
from addin.ovba.project import PROJECT_ID

from support.ovba import BLACK, EXCEL_WRITTEN_XLSM, RED, assert_red_black_trees, decrypt, subtree

XLWINGS_DIR = Path(xlwings.__file__).parent
XLWINGS_BAS = XLWINGS_DIR / "xlwings.bas"
#: Not written by Excel: xlwings' build script rewrites it with Aspose.Cells (see fixtures/vba/README.md).
ASPOSE_WRITTEN_XLSM = XLWINGS_DIR / "quickstart_standalone.xlsm"

MAIN_SOURCE = (
    'Attribute VB_Name = "Main"\n'
    "Option Explicit\n"
    "\n"
    "Sub Validate()\n"
    '    RunPython "import xxgk_addin; xxgk_addin.validate()"\n'
    "End Sub\n"
    "\r\n"  # mixed line endings on purpose: all must come out as CRLF
    "Sub ExportJson()\r"
    '    RunPython "import xxgk_addin; xxgk_addin.export_json()"\r'
    "End Sub\n"
)
THISWORKBOOK_SOURCE = "Option Explicit\n\nPrivate Sub Workbook_Open()\nEnd Sub\n"
SHEET1_SOURCE = "Option Explicit\n"

DOCUMENT_ATTRIBUTES = (
    'Attribute VB_Name = "{name}"\r\n'
    'Attribute VB_Base = "{base}"\r\n'
    "Attribute VB_GlobalNameSpace = False\r\n"
    "Attribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = True\r\n"
    "Attribute VB_Exposed = True\r\n"
    "Attribute VB_TemplateDerived = False\r\n"
    "Attribute VB_Customizable = True\r\n"
)
REFERENCES = [
    (
        "stdole",
        rb"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation",
    ),
    (
        "Office",
        rb"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files"
        rb"\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
]
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"


def _random_bytes(size: int, seed: int = 2021) -> bytes:
    return random.Random(seed).randbytes(size)


# ---------------------------------------------------------------------------- compression

COMPRESSION_CASES = {
    "empty": b"",
    "one byte": b"A",
    "exactly 4096 bytes of text": (b"Sub A()\r\n    x = 1\r\nEnd Sub\r\n" * 200)[:4096],
    "4097 bytes of text": (b"Sub A()\r\n    x = 1\r\nEnd Sub\r\n" * 200)[:4097],
    "4096 identical bytes": b"\x00" * 4096,
    "12289 identical bytes": b"=" * 12289,
    "random 100": _random_bytes(100),
    "random 3000": _random_bytes(3000),
    "ascii text": " ".join(f"line {i}: the quick brown fox" for i in range(2000)).encode(),
    "xlwings.bas": XLWINGS_BAS.read_bytes(),
}


@pytest.mark.parametrize("data", COMPRESSION_CASES.values(), ids=COMPRESSION_CASES.keys())
def test_compress_round_trips_through_oletools(data: bytes) -> None:
    packed = compress(data)
    assert decompress_stream(bytearray(packed)) == data
    assert decompress(packed) == data


@pytest.mark.parametrize("size", [4096, 4097, 8192, 4096 + 4000])
def test_incompressible_chunks_are_refused_never_stored_raw(size: int) -> None:
    # A raw chunk is valid MS-OVBA, but no Excel-made project has one and Excel is reported to
    # drop such modules; a short one would also be zero-padded, changing the text.
    with pytest.raises(ValueError, match="chunk at offset 0 does not compress"):
        compress(_random_bytes(size))


def test_long_matches_use_the_full_copy_token_length() -> None:
    # 4096 zeros = one literal + one copy token (offset 1, length 4095), the longest a token
    # can be at that position: 4 offset bits, 12 length bits. This is where ms-ovba 0.0.1 broke.
    flag_byte, literal = b"\x02", b"\x00"
    token = struct.pack("<H", (1 - 1) << 12 | (4095 - 3))
    payload = flag_byte + literal + token
    header = struct.pack("<H", 0x8000 | 0x3000 | (2 + len(payload) - 3))  # compressed, size - 3
    assert compress(bytes(4096)) == b"\x01" + header + payload


def _lines_executed(function, call) -> int:
    """Lines of ``function`` executed during ``call()``: a measure of work that no load can skew."""
    code, count = function.__code__, 0

    def local(frame, event, _arg):
        nonlocal count
        count += event == "line"
        return local

    sys.settrace(lambda frame, _event, _arg: local if frame.f_code is code else None)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def test_xlwings_bas_compresses_in_linear_work_and_well() -> None:
    # Timing lives in benchmarks/bench_vba.py. Here the work is counted: the match search
    # executes about 12.5 lines per input byte; comparing every earlier position in the
    # 4096-byte window (the naive search) would take thousands.
    from addin.ovba import compression

    data = XLWINGS_BAS.read_bytes()
    packed: list[bytes] = []
    lines = _lines_executed(compression._compress_chunk, lambda: packed.append(compress(data)))
    assert lines < 20 * len(data), f"{lines / len(data):.1f} lines per byte"
    assert len(packed[0]) < len(data) / 2


def _streams_written_by(xlsm: Path) -> dict[str, bytes]:
    """The compressed dir stream and module sources of a real .xlsm (past any performance cache)."""
    with zipfile.ZipFile(xlsm) as z:
        ole = olefile.OleFileIO(z.read("xl/vbaProject.bin"))
    project = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=True)
    streams = {"dir": ole.openstream("VBA/dir").read()}
    for _path, _filename, _code in project.parse_modules():
        module = project.modules[-1]
        streams[module.name] = ole.openstream(module.code_path).read()[module.textoffset :]
    return streams


FOREIGN_STREAMS = {
    f"{writer}:{name}": packed
    for writer, xlsm in (("excel", EXCEL_WRITTEN_XLSM), ("aspose", ASPOSE_WRITTEN_XLSM))
    for name, packed in _streams_written_by(xlsm).items()
}


@pytest.mark.parametrize("name", sorted(FOREIGN_STREAMS))
def test_decompress_agrees_with_oletools_on_streams_written_by_excel_and_aspose(name: str) -> None:
    packed = FOREIGN_STREAMS[name]
    assert decompress(packed) == decompress_stream(bytearray(packed))


def test_decompress_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="signature"):
        decompress(b"\x02\x00")
    with pytest.raises(ValueError, match="before its chunk"):
        # a chunk whose first token is a copy token: nothing to copy from yet
        decompress(b"\x01" + struct.pack("<H", 0xB000 | 2) + b"\x01" + b"\x00\x00")


# ------------------------------------------------------------------------- compound file


def _open(data: bytes) -> olefile.OleFileIO:
    return olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)


def test_compound_file_streams_read_back_through_olefile() -> None:
    tree = {
        "Small": b"abc" * 10,
        "Empty": b"",
        "Store": {
            "JustUnderCutoff": _random_bytes(4095, 1),  # mini stream
            "AtCutoff": _random_bytes(4096, 2),  # regular sectors
            "Big": _random_bytes(70_000, 3),
            "Inner": {"Deep": b"x"},
        },
        "EmptyStore": {},
    }
    ole = _open(write_compound_file(tree))
    paths = {"/".join(p) for p in ole.listdir(streams=True, storages=True)}
    assert paths == {
        "Small",
        "Empty",
        "Store",
        "Store/JustUnderCutoff",
        "Store/AtCutoff",
        "Store/Big",
        "Store/Inner",
        "Store/Inner/Deep",
        "EmptyStore",
    }
    assert ole.openstream("Small").read() == tree["Small"]
    assert ole.openstream("Empty").read() == b""
    for name in ("JustUnderCutoff", "AtCutoff", "Big"):
        assert ole.openstream(f"Store/{name}").read() == tree["Store"][name]
    assert ole.openstream("Store/Inner/Deep").read() == b"x"
    assert ole.get_type("EmptyStore") == olefile.STGTY_STORAGE


def test_unused_fat_and_minifat_entries_are_free() -> None:
    # olefile trims the MiniFAT to the used length, so read the raw sectors: [MS-CFB] 2.3/2.4
    # want every entry past the chains to be FREESECT, never 0 (which would chain to sector 0).
    data = write_compound_file({"A": b"a" * 100, "B": b"b" * 5000})
    first_minifat, n_minifat = struct.unpack_from("<II", data, 0x3C)
    (n_fat,) = struct.unpack_from("<I", data, 0x2C)
    sector = lambda index: data[512 * (index + 1) : 512 * (index + 2)]  # noqa: E731
    minifat = struct.unpack("<128I", sector(first_minifat))
    assert (n_fat, n_minifat) == (1, 1)
    assert minifat[:2] == (1, olefile.ENDOFCHAIN)  # "A": two 64-byte mini sectors
    assert set(minifat[2:]) == {olefile.FREESECT}
    (first_fat,) = struct.unpack_from("<I", data, 0x4C)  # DIFAT[0] in the header
    fat = struct.unpack("<128I", sector(first_fat))
    used = len(data) // 512 - 1
    assert fat[first_fat] == olefile.FATSECT
    assert olefile.FREESECT not in fat[:used] and set(fat[used:]) == {olefile.FREESECT}


def _height(ole: olefile.OleFileIO, sid: int) -> int:
    if sid == olefile.NOSTREAM:
        return 0
    entry = ole.direntries[sid]
    return 1 + max(_height(ole, entry.sid_left), _height(ole, entry.sid_right))


def test_directory_siblings_form_a_balanced_search_tree_in_cfb_order() -> None:
    names = ["dir", "Sheet10", "Sheet2", "ThisWorkbook", "_VBA_PROJECT", "xlwings", "Main", "a", "B"]
    ole = _open(write_compound_file({"VBA": {n: n.encode() for n in names}}))
    vba = ole.direntries[ole.root.sid_child]
    in_order = subtree(ole, vba.sid_child)
    assert in_order == sorted(names, key=lambda n: (len(n), n.upper()))
    assert in_order[:3] == ["a", "B", "dir"]  # length first, then case-insensitive
    assert _height(ole, vba.sid_child) == 4  # ceil(log2(9 + 1)): balanced
    assert_red_black_trees(ole)
    # 9 siblings: a perfect 7-node top, then 2 red nodes on the incomplete fourth level
    colours = [ole.direntries[sid].color for sid in range(len(ole.direntries)) if ole.direntries[sid]]
    assert colours.count(RED) == 2


def test_red_black_check_rejects_the_old_all_black_colouring() -> None:
    # The check must be able to fail: 9 siblings all black have black heights 3 and 4.
    data = bytearray(write_compound_file({f"S{i}": b"" for i in range(9)}))
    (dir_start,) = struct.unpack_from("<I", data, 0x30)
    for slot in range(10):
        data[512 * (dir_start + 1) + 128 * slot + 0x43] = BLACK
    with pytest.raises(AssertionError, match="black heights"):
        assert_red_black_trees(_open(bytes(data)))


@pytest.mark.slow
@pytest.mark.parametrize("start", range(0, 301, 50))
def test_every_directory_tree_is_a_valid_red_black_tree_for_0_to_300_siblings(start: int) -> None:
    for count in range(start, min(start + 50, 301)):
        names = [f"M{i:03d}" if i % 3 else f"m{i}" for i in range(count)]  # mixed lengths and case
        ole = _open(write_compound_file({"Store": {n: b"" for n in names}, **{n: b"" for n in names[: count % 7]}}))
        assert_red_black_trees(ole)
        store = ole.direntries[ole._find("Store")]
        assert sorted(subtree(ole, store.sid_child)) == sorted(names)


def test_compound_file_rejects_bad_names() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        write_compound_file({"Main": b"", "MAIN": b""})
    with pytest.raises(ValueError, match="31 characters"):
        write_compound_file({"x" * 32: b""})
    with pytest.raises(ValueError, match="may not contain"):
        write_compound_file({"a/b": b""})


def test_compound_file_refuses_to_outgrow_the_header_difat() -> None:
    # 110 FAT sectors would be needed: that takes DIFAT sectors, which this writer does not do.
    with pytest.raises(ValueError, match="FAT sectors"):
        write_compound_file({"Huge": bytes(110 * 128 * 512)})


# --------------------------------------------------------------------------- VBA project


def _modules() -> list[VbaModule]:
    return [
        VbaModule("ThisWorkbook", THISWORKBOOK_SOURCE, "document", base="workbook"),
        VbaModule("Sheet1", SHEET1_SOURCE, "document", base="worksheet"),
        VbaModule("Main", MAIN_SOURCE, "standard"),
        VbaModule("xlwings", XLWINGS_BAS.read_text("ascii"), "standard"),
    ]


@pytest.fixture(scope="module")
def project() -> bytes:
    return build_vba_project(_modules())


@pytest.fixture
def olevba_warnings(caplog: pytest.LogCaptureFixture):
    """oletools' loggers are silenced by default; open them so lenient parsing cannot hide issues."""
    loggers = [logging.getLogger(name) for name in ("olevba", "olefile")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    with caplog.at_level(logging.WARNING):
        yield caplog
    for logger, level in zip(loggers, levels):
        logger.setLevel(level)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    # olevba always says this for a zipped project; it concerns p-code, which we do not write.
    ignored = "VBA stomping cannot be detected for files in memory"
    return [r.getMessage() for r in caplog.records if ignored not in r.getMessage()]


def test_stored_text_is_exactly_the_source_with_crlf_and_document_attributes() -> None:
    this_workbook, sheet1, main, xlwings_module = _modules()
    assert this_workbook.text == (
        DOCUMENT_ATTRIBUTES.format(name="ThisWorkbook", base=WORKBOOK_BASE) + THISWORKBOOK_SOURCE.replace("\n", "\r\n")
    )
    assert sheet1.text == DOCUMENT_ATTRIBUTES.format(name="Sheet1", base=WORKSHEET_BASE) + "Option Explicit\r\n"
    assert main.text == (MAIN_SOURCE.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n"))
    assert xlwings_module.text.encode("ascii") == XLWINGS_BAS.read_bytes()  # already CRLF


def test_project_opens_strictly_in_olefile_with_exactly_the_expected_streams(project: bytes) -> None:
    ole = _open(project)
    assert sorted(ole.listdir(streams=True, storages=True)) == [
        ["PROJECT"],
        ["PROJECTwm"],
        ["VBA"],
        ["VBA", "Main"],
        ["VBA", "Sheet1"],
        ["VBA", "ThisWorkbook"],
        ["VBA", "_VBA_PROJECT"],
        ["VBA", "dir"],
        ["VBA", "xlwings"],
    ]
    # Reserved1 0x61CC, Version 0xFFFF (no performance cache), Reserved2 0x00, Reserved3 0x0001:
    # byte for byte the [MS-OVBA] 3.1.1 example and what Aspose.Cells writes with version 0xFFFF.
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")
    assert (
        ole.openstream("PROJECTwm").read()
        == b"".join(
            n.encode() + b"\0" + n.encode("utf-16-le") + b"\0\0" for n in ("ThisWorkbook", "Sheet1", "Main", "xlwings")
        )
        + b"\0\0"
    )
    for module in _modules():  # module streams: compressed source from offset 0, no p-code
        stream = ole.openstream(f"VBA/{module.name}").read()
        assert decompress_stream(bytearray(stream)) == module.text.encode("cp1252")


def test_two_builds_are_byte_identical(project: bytes) -> None:
    assert build_vba_project(_modules()) == project


def test_dir_stream_parses_in_strict_oletools(project: bytes, olevba_warnings) -> None:
    vba = VBA_Project(_open(project), "", "PROJECT", "VBA/dir", relaxed=False)
    assert (vba.syskind, vba.lcid, vba.lcidinvoke, vba.codepage) == (3, 0x409, 0x409, 1252)
    assert vba.projectname == "VBAProject"
    vba.parse_project_stream()
    assert vba.module_ext == {"thisworkbook": "cls", "sheet1": "cls", "main": "bas", "xlwings": "bas"}
    list(vba.parse_modules())
    assert [(m.name, m.streamname, m.type, m.textoffset) for m in vba.modules] == [
        ("ThisWorkbook", "ThisWorkbook", 0x22, 0),
        ("Sheet1", "Sheet1", 0x22, 0),
        ("Main", "Main", 0x21, 0),
        ("xlwings", "xlwings", 0x21, 0),
    ]
    assert _warnings(olevba_warnings) == []

    dir_bytes = decompress_stream(bytearray(_open(project).openstream("VBA/dir").read()))
    for name, libid in REFERENCES:  # REFERENCENAME, then REFERENCEREGISTERED's SizeOfLibid + Libid
        assert struct.pack("<HI", 0x0016, len(name)) + name.encode() in dir_bytes
        assert struct.pack("<I", len(libid)) + libid in dir_bytes


def test_project_stream_text(project: bytes) -> None:
    text = _open(project).openstream("PROJECT").read().decode("cp1252")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert lines[:8] == [
        f'ID="{PROJECT_ID}"',
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
        "Module=Main",
        "Module=xlwings",
        'Name="VBAProject"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
    ]
    values = dict(line.split("=", 1) for line in lines[8:11])
    # ABNF lengths from [MS-OVBA] 2.3.1.15-17, then the protected values themselves.
    assert re.fullmatch(r'"[0-9A-F]{22,28}"', values["CMG"])
    assert re.fullmatch(r'"[0-9A-F]{16,}"', values["DPB"])
    assert re.fullmatch(r'"[0-9A-F]{16,22}"', values["GC"])
    assert decrypt(values["CMG"].strip('"')) == bytes(4)  # not protected
    assert decrypt(values["DPB"].strip('"')) == b"\x00"  # no password
    assert decrypt(values["GC"].strip('"')) == b"\xff"  # visible
    assert lines[11:] == [
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        "ThisWorkbook=0, 0, 0, 0, C",
        "Sheet1=0, 0, 0, 0, C",
        "Main=0, 0, 0, 0, C",
        "xlwings=0, 0, 0, 0, C",
        "",
    ]


def test_xlsm_built_by_xlsxwriter_gives_back_every_module_byte_for_byte(
    project: bytes, tmp_path: Path, olevba_warnings
) -> None:
    path = tmp_path / "macros.xlsm"
    workbook = xlsxwriter.Workbook(path)
    worksheet = workbook.add_worksheet()
    workbook.set_vba_name("ThisWorkbook")
    worksheet.set_vba_name("Sheet1")
    workbook.add_vba_project(io.BytesIO(project), is_stream=True)
    workbook.close()

    with zipfile.ZipFile(path) as z:
        assert z.read("xl/vbaProject.bin") == project
        assert b'codeName="ThisWorkbook"' in z.read("xl/workbook.xml")
        assert b'codeName="Sheet1"' in z.read("xl/worksheets/sheet1.xml")

    parser = VBA_Parser(str(path), relaxed=False)
    try:
        extracted = [(stream, filename, code) for _f, stream, filename, code in parser.extract_macros()]
    finally:
        parser.close()
    # What is compared: the str oletools returns (the raw stream decompressed, decoded with the
    # project's code page, nothing stripped) against VbaModule.text, the exact str we stored.
    expected = [(f"VBA/{m.name}", f"{m.name}.{'bas' if m.kind == 'standard' else 'cls'}", m.text) for m in _modules()]
    assert [(s, f) for s, f, _ in extracted] == [(s, f) for s, f, _ in expected]
    for (stream, _, code), (_, _, text) in zip(extracted, expected):
        assert code == text, f"{stream} differs"
    assert _warnings(olevba_warnings) == []


# ---------------------------------------------------------------------------- validation


def test_non_ascii_source_is_refused() -> None:
    source = 'Attribute VB_Name = "Main"\nSub A()\n    MsgBox "校验"\nEnd Sub\n'
    with pytest.raises(ValueError, match=r"line 3: non-ASCII character '校'"):
        VbaModule("Main", source, "standard")
    with pytest.raises(ValueError, match="non-ASCII"):
        VbaModule("ThisWorkbook", "' café\n", "document", base="workbook")


def test_module_name_collisions_are_refused() -> None:
    main = VbaModule("Main", 'Attribute VB_Name = "Main"\n', "standard")
    shouting = VbaModule("MAIN", 'Attribute VB_Name = "MAIN"\n', "standard")
    with pytest.raises(ValueError, match="collide"):
        build_vba_project([main, main])
    with pytest.raises(ValueError, match="collide"):
        build_vba_project([main, shouting])
    with pytest.raises(ValueError, match="reserved"):
        build_vba_project([VbaModule("Dir", 'Attribute VB_Name = "Dir"\n', "standard")])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "Main", "source": "Sub A()\nEnd Sub\n", "kind": "standard"}, "must start with"),
        ({"name": "Main", "source": 'Attribute VB_Name = "Other"\n', "kind": "standard"}, "must start with"),
        ({"name": "1Main", "source": "", "kind": "standard"}, "not a VBA identifier"),
        ({"name": "ThisWorkbook", "source": "", "kind": "document"}, "needs base"),
        (
            {"name": "Sheet1", "source": 'Attribute VB_Name = "Sheet1"\n', "kind": "document", "base": "worksheet"},
            "leave out the Attribute lines",
        ),
        ({"name": "Main", "source": 'Attribute VB_Name = "Main"\n', "kind": "standard", "base": "workbook"}, "no base"),
        ({"name": "Main", "source": "", "kind": "class"}, "module kind"),
    ],
)
def test_module_definitions_are_validated(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        VbaModule(**kwargs)
