"""Hostile input: every submission is untrusted on the receiving side.

Each case ends with exit code 2 (or, where the data is intact, a normal result), a Chinese
message naming the file and, where possible, the sheet, part or JSON path; no traceback;
bounded work and memory; the input file unchanged. The hostile files are built here, in
tmp_path; the big ones are streamed (a 2 GB sheet is a few MB on disk). Cases already covered
by test_input_errors.py are not repeated.

No test here measures time (CI is a busy shared machine): work is bounded by instrumentation
instead -- the parser is replaced by one that fails if called (refused before parsing), or the
rows the sheet parser yields are counted. ``benchmarks/hostile.py`` prints the timings.
The bombs run the CLI in a child process so its peak memory (VmHWM) can be measured.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings' remote engine, tests only

import json
import re
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from addin.ovba.cfb import write_compound_file
from validator.formats import get_format
from validator.workbook import read as wbread

from conftest import TEMPLATE, run_cli, sha256
from support.hostile_files import (
    FENXI,
    MB,
    SOURCE_JSON,
    SST_HEAD,
    Measured,
    billion_laughs,
    encrypted_workbook,
    million_rows,
    old_xls,
    rebuild,
    run_measured,
    shared_strings,
    sheet_bomb,
    worksheet_part,
    write_streamed,
)

FMT = get_format()


# --------------------------------------------------------------------------- helpers


def assert_unusable(path, *needles, args=("check",)) -> str:
    """Exit 2, no traceback, every needle in the message, input unchanged."""
    before = sha256(path)
    result = run_cli(*args, path)
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err + result.out
    for needle in (Path(path).name, *needles):
        assert needle in result.err, result.err
    assert sha256(path) == before
    return result.err


@pytest.fixture
def no_openpyxl(monkeypatch):
    """openpyxl's loader replaced by one that fails: proves a refusal happens before parsing."""
    import openpyxl as real

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called: the file was not refused up front")

    monkeypatch.setattr(real, "load_workbook", refuse)


@pytest.fixture
def no_json_parser(monkeypatch):
    """The JSON parser replaced by one that fails: proves a refusal happens before parsing."""
    from validator import jsonio

    def refuse(*args, **kwargs):
        raise AssertionError("the JSON was parsed: the file was not refused up front")

    monkeypatch.setattr(jsonio, "parse_json_bytes", refuse)


@pytest.fixture
def parsed_rows(monkeypatch) -> list[int]:
    """Counts the rows openpyxl's sheet parser yields (the reader's only per-row work)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    counts: list[int] = []
    original = WorkSheetParser.parse_row

    def counting(self, row):
        counts.append(1)
        return original(self, row)

    monkeypatch.setattr(WorkSheetParser, "parse_row", counting)
    return counts


def assert_refused_measured(path, *needles, tmp_path, max_rss_mb=400.0) -> Measured:
    before = sha256(path)
    m = run_measured("check", path, tmp_path=tmp_path)
    assert m.code == 2, (m.out, m.err)
    assert "Traceback" not in m.err + m.out
    for needle in (Path(path).name, *needles):
        assert needle in m.err, m.err
    assert m.max_rss_mb < max_rss_mb, m
    assert sha256(path) == before
    return m


def set_cd_size(path: Path, part: str, size: int) -> None:
    """Forge the uncompressed size the central directory declares for one part."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + name_len]) == name:
            struct.pack_into("<I", data, pos + 24, size)
            path.write_bytes(bytes(data))
            return
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(part)


# --------------------------------------------------------------------------- not a workbook


@pytest.mark.parametrize("name", ["加密.xlsx", "加密.xls", "加密"])
def test_a_password_protected_workbook(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(encrypted_workbook())
    assert wbread.compound_file_names(path) >= {"EncryptionInfo", "EncryptedPackage"}
    assert_unusable(path, "设置了打开密码，请在 Excel 中取消密码后另存为 .xlsx")  # told by content, any name


@pytest.mark.parametrize("name", ["旧表.xls", "改了扩展名.xlsx"])
def test_an_old_xls_workbook(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(old_xls())
    err = assert_unusable(path, "这是旧版 .xls 文件，请在 Excel 中另存为 .xlsx")
    assert "密码" not in err


@pytest.mark.parametrize("damage", ["directory-beyond-end", "directory-loop", "bad-sector-size", "fat-too-big"])
def test_a_damaged_compound_file_gets_the_generic_message(tmp_path, damage):
    data = bytearray(old_xls())
    if damage == "directory-beyond-end":
        struct.pack_into("<I", data, 48, 10_000)
    elif damage == "directory-loop":  # the directory sector's FAT entry points at itself
        first_dir = struct.unpack_from("<I", data, 48)[0]
        first_fat = struct.unpack_from("<I", data, 76)[0]
        struct.pack_into("<I", data, 512 * (first_fat + 1) + 4 * first_dir, first_dir)
    elif damage == "bad-sector-size":
        struct.pack_into("<H", data, 30, 7)
    else:
        struct.pack_into("<I", data, 44, 0xFFFFFF)
    path = tmp_path / "坏.xls"
    path.write_bytes(bytes(data))
    assert_unusable(path, "这是旧版 .xls 文件或设置了打开密码的工作簿")


def test_a_word_document_renamed_xlsx(tmp_path):
    path = tmp_path / "文件.xlsx"
    path.write_bytes(write_compound_file({"WordDocument": bytes(600), "1Table": bytes(100)}))
    assert_unusable(path, "旧版 .xls 文件或设置了打开密码的工作簿")


def test_a_zip_whose_parts_are_encrypted(tmp_path):
    path = rebuild(FENXI, tmp_path / "zip加密.xlsx")
    data = bytearray(path.read_bytes())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # set the "encrypted" flag on every entry in the central directory
        struct.pack_into("<H", data, pos + 8, struct.unpack_from("<H", data, pos + 8)[0] | 1)
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))
    assert_unusable(path, "部件被加密", "设置了打开密码")


def test_a_zip_with_a_compression_excel_never_uses(tmp_path):
    path = tmp_path / "bzip2.xlsx"
    with zipfile.ZipFile(FENXI) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    assert_unusable(path, "压缩方式", "不是 Excel 保存的 .xlsx")


@pytest.mark.parametrize("case", ["malformed-xml", "bad-shared-string", "bad-number", "bad-ref"])
def test_damaged_sheet_xml_is_reported_not_crashed(tmp_path, case):
    part = worksheet_part("封面")
    if case == "malformed-xml":
        # inside the rows the reader reads (the cover's colour key follows them)
        edit = lambda x: x.replace(b"</row>", b"</row><row><c></row>", 1)  # noqa: E731
    elif case == "bad-shared-string":
        edit = lambda x: re.sub(rb'<c r="B4" [^>]*>.*?</c>', b'<c r="B4" t="s"><v>99999</v></c>', x)  # noqa: E731
    elif case == "bad-number":
        edit = lambda x: re.sub(rb'<c r="B6" s="(\d+)"[^>]*>.*?</c>', rb'<c r="B6" s="\1" t="n"><v>abc</v></c>', x)  # noqa: E731
    else:
        edit = lambda x: re.sub(rb'<c r="B4" (s="\d+")', rb'<c r="ZZZZZ4" \1', x, count=1)  # noqa: E731
    path = rebuild(FENXI, tmp_path / f"{case}.xlsx", {part: edit})
    assert zipfile.ZipFile(path).read(part) != zipfile.ZipFile(FENXI).read(part)
    assert_unusable(path, "损坏")


def test_a_date_serial_no_calendar_can_hold_is_a_finding(tmp_path):
    """openpyxl turns the overflow into #VALUE!; the date rule reports it on the cell."""
    edit = lambda x: re.sub(rb'<c r="B7" s="(\d+)"[^>]*>.*?</c>', rb'<c r="B7" s="\1"><v>1e300</v></c>', x)  # noqa: E731
    path = rebuild(FENXI, tmp_path / "date.xlsx", {worksheet_part("封面"): edit})
    result = run_cli("check", "--json", path)
    assert result.code == 1, result.err
    assert [(f["rule"], f["cells"][0]["ref"]) for f in json.loads(result.out)["findings"]] == [("META-DATE", "封面!B7")]


def test_corrupted_deflate_data_is_reported(tmp_path):
    path = tmp_path / "deflate.xlsx"
    path.write_bytes(FENXI.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(worksheet_part("表三"))
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    data[start : start + 200] = bytes(200)  # zero part of the compressed stream; sizes unchanged
    path.write_bytes(bytes(data))
    assert_unusable(path, "损坏")


# --------------------------------------------------------------------------- bombs


@pytest.mark.slow
def test_a_sheet_that_expands_to_2_gb(tmp_path, no_openpyxl):
    part = worksheet_part("表三")
    path = sheet_bomb(tmp_path / "炸弹.xlsx")
    info = zipfile.ZipFile(path).getinfo(part)
    assert info.file_size > 2 * 1024 * MB and path.stat().st_size < 10 * MB, (info.file_size, path.stat().st_size)
    assert_unusable(path, "压缩炸弹", "工作表“表三”", part)  # refused from the zip directory, openpyxl never runs
    assert_refused_measured(path, "压缩炸弹", "工作表“表三”", part, tmp_path=tmp_path)


def test_a_central_directory_declaring_4_gb(tmp_path):
    part = worksheet_part("封面")
    path = rebuild(FENXI, tmp_path / "伪造.xlsx")
    set_cd_size(path, part, 0xF0000000)
    assert zipfile.ZipFile(path).getinfo(part).file_size == 0xF0000000
    assert_unusable(path, "压缩炸弹", "工作表“封面”", "3,840 MB")


def test_parts_under_the_part_limit_but_over_the_total(tmp_path, no_openpyxl):
    chunk = b"<!-- x -->" * (MB // 10)

    def add(z):
        for i in range(3):
            write_streamed(z, f"xl/media/filler{i}.bin", b"", chunk, 50, b"")

    path = rebuild(FENXI, tmp_path / "合计.xlsx", extra=add)
    assert_unusable(path, "解压后共", "超过上限")
    assert_refused_measured(path, "解压后共", "超过上限", tmp_path=tmp_path)


def test_a_shared_strings_table_of_millions_of_entries(tmp_path, no_openpyxl):
    """3 million tiny strings in a 10 MB file took openpyxl over a minute and 500 MB.
    Counted from the part's bytes and refused before openpyxl builds the table."""
    count = wbread.MAX_SHARED_STRINGS + 1
    path = shared_strings(tmp_path, "共享字符串.xlsx", b"".join(b"<si><t>%x</t></si>" % i for i in range(count)))
    assert path.stat().st_size < 2 * MB
    assert_unusable(path, "共享字符串表有 100,001 条文字", "xl/sharedStrings.xml", "已拒绝读取")
    assert_unusable(path, "共享字符串表", args=("check", "--annotate", str(tmp_path / "标注.xlsx")))
    assert not (tmp_path / "标注.xlsx").exists()


def test_a_shared_strings_table_too_large(tmp_path, no_openpyxl):
    """Long random strings: the size limit, checked from the zip directory before any counting."""
    block = os.urandom(512).hex().encode()
    n = wbread.MAX_SHARED_STRINGS_BYTES // len(block) + 10
    path = shared_strings(tmp_path, "大表.xlsx", b"".join(b"<si><t>%s</t></si>" % block[i % 7 :] for i in range(n)))
    assert_unusable(path, "共享字符串表解压后有", "超过上限 16 MB", "xl/sharedStrings.xml")


def test_the_shared_strings_part_is_found_through_the_content_types(tmp_path, no_openpyxl):
    """openpyxl reads the part [Content_Types].xml names, whatever it is called."""
    count = wbread.MAX_SHARED_STRINGS + 1
    entries = SST_HEAD + b"".join(b"<si><t>%x</t></si>" % i for i in range(count)) + b"</sst>"
    moved = "xl/strings/other.xml"

    def types(xml: bytes) -> bytes:
        return xml.replace(b'PartName="/xl/sharedStrings.xml"', f'PartName="/{moved}"'.encode())

    def rels(xml: bytes) -> bytes:
        return xml.replace(b'Target="sharedStrings.xml"', b'Target="strings/other.xml"')

    path = rebuild(
        TEMPLATE,
        tmp_path / "改名.xlsx",
        {"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels},
        skip=("xl/sharedStrings.xml",),
        extra=lambda z: z.writestr(moved, entries),
    )
    assert_unusable(path, "共享字符串表有", moved)


def test_an_xml_part_with_an_absurd_compression_ratio(tmp_path):
    part = "xl/worksheets/sheet9.xml"
    path = rebuild(
        FENXI, tmp_path / "压缩比.xlsx", extra=lambda z: write_streamed(z, part, b"<a>", b" " * MB, 20, b"</a>")
    )
    assert_unusable(path, "压缩比异常", part)


def test_too_many_parts(tmp_path):
    def add(z):
        for i in range(wbread.MAX_ZIP_PARTS + 1):
            z.writestr(f"customXml/item{i}.xml", b"<a/>")

    path = rebuild(FENXI, tmp_path / "部件.xlsx", extra=add)
    assert_unusable(path, "个部件")


def test_openpyxl_parses_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


def test_billion_laughs_in_a_sheet(tmp_path):
    part = worksheet_part("封面")
    path = rebuild(FENXI, tmp_path / "laughs.xlsx", {part: billion_laughs})
    assert b"<!ENTITY lol9" in zipfile.ZipFile(path).read(part)
    assert_refused_measured(path, "含有不安全的 XML 内容", "工作表“封面”", tmp_path=tmp_path)


def test_billion_laughs_in_shared_strings(tmp_path):
    path = rebuild(TEMPLATE, tmp_path / "sst.xlsx", {"xl/sharedStrings.xml": billion_laughs})
    assert_unusable(path, "含有不安全的 XML 内容", "xl/sharedStrings.xml")


def test_an_external_entity_in_the_workbook_part(tmp_path):
    xxe = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    path = rebuild(
        FENXI,
        tmp_path / "xxe.xlsx",
        {"xl/workbook.xml": lambda x: xxe + x.replace(b"<workbookPr />", b"<workbookPr>&x;</workbookPr>")},
    )
    assert_unusable(path, "含有不安全的 XML 内容", "xl/workbook.xml")


@pytest.mark.parametrize("part", ["sheet", "xl/sharedStrings.xml"])
def test_a_dtd_hidden_behind_a_long_comment_is_still_refused(tmp_path, part):
    """The up-front scan reads 64 KB of each part; past that, defusedxml refuses it while parsing."""
    padding = b"<!--" + b"x" * (100 * 1024) + b"-->"
    if part == "sheet":
        path = rebuild(
            FENXI, tmp_path / "hidden.xlsx", {worksheet_part("封面"): lambda x: billion_laughs(x, padding=padding)}
        )
        needles = ("含有不安全的 XML 内容", "工作表“封面”")
    else:
        path = rebuild(TEMPLATE, tmp_path / "hidden.xlsx", {part: lambda x: billion_laughs(x, padding=padding)})
        needles = ("含有不安全的 XML 内容", part)
    assert_unusable(path, *needles)


@pytest.mark.slow
@pytest.mark.parametrize(
    "sheet,keep_dimension",
    [("表三", True), ("校验结果", True), ("校验结果", False)],
    ids=["below-表三", "校验结果", "校验结果-no-dimension"],
)
def test_a_million_used_rows(tmp_path, sheet, keep_dimension, parsed_rows):
    """The reader turns only the rows the format uses into cells: the million rows below are
    never parsed row by row (without a <dimension>, openpyxl's size probe still scans the XML
    once; ``benchmarks/hostile.py`` times both)."""
    path = rebuild(FENXI, tmp_path / "百万行.xlsx", {worksheet_part(sheet): million_rows(sheet, keep_dimension)})
    size = zipfile.ZipFile(path).getinfo(worksheet_part(sheet)).file_size
    assert 40 * MB < size < wbread.MAX_PART_BYTES
    before = sha256(path)
    result = run_cli("check", path)
    assert result.code == 0 and "校验通过" in result.out, result.err
    used_rows = sum(rows for rows, _cols in wbread.sheet_extent(FMT).values())
    assert 0 < len(parsed_rows) <= used_rows + len(FMT.sheets), len(parsed_rows)
    m = run_measured("check", path, tmp_path=tmp_path)
    assert m.code == 0 and "Traceback" not in m.err, m
    assert m.max_rss_mb < 400, m
    assert sha256(path) == before


# --------------------------------------------------------------------------- tampering


def _export(path, tmp_path, name):
    out = tmp_path / name
    result = run_cli("export", path, "-o", out)
    assert result.code == 0, result.err
    return out.read_bytes()


def test_deleted_rows_in_a_table_sheet(workbook_copy):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表三"].delete_rows(12, 2)
    wb.save(path)
    assert_unusable(path, "表格结构与官方格式不一致", "表三!", "插入、删除")


def test_broken_merged_cells_leave_the_data_intact(workbook_copy, tmp_path):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    assert "A6:A27" in {str(r) for r in wb["表三"].merged_cells.ranges}
    wb["表三"].unmerge_cells("A6:A27")
    wb.save(path)
    assert "A6:A27" not in {str(r) for r in openpyxl.load_workbook(path)["表三"].merged_cells.ranges}
    assert run_cli("check", path).code == 0
    assert _export(path, tmp_path, "unmerged.json") == _export(FENXI, tmp_path, "original.json")


def test_deleted_defined_names_do_not_matter(workbook_copy, tmp_path):
    """Cells are read by position, never through the defined names."""
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    assert len(wb.defined_names) > 100
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    wb.save(path)
    names = re.findall(rb'<definedName name="([^"]+)"', zipfile.ZipFile(path).read("xl/workbook.xml"))
    assert all(n.startswith(b"_xlnm.") for n in names), names  # only print settings (校验结果's title rows)
    assert run_cli("check", path).code == 0
    assert _export(path, tmp_path, "no-names.json") == _export(FENXI, tmp_path, "original.json")


def test_unprotected_sheet_with_a_formula_and_its_cached_value(tmp_path):
    """As Excel saves it: the formula and its last result. The result is what counts."""
    part = worksheet_part("表三")

    def edit(xml: bytes) -> bytes:
        xml = re.sub(rb"<sheetProtection [^>]*/>", b"", xml)
        return re.sub(rb'<c r="D4" (s="\d+") t="n"><v>3</v></c>', rb'<c r="D4" \1><f>1+2</f><v>3</v></c>', xml)

    path = rebuild(FENXI, tmp_path / "公式.xlsx", {part: edit})
    xml = zipfile.ZipFile(path).read(part)
    assert b"<f>1+2</f>" in xml and b"sheetProtection" not in xml
    assert run_cli("check", path).code == 0
    assert _export(path, tmp_path, "formula.json") == _export(FENXI, tmp_path, "original.json")


def test_unprotected_sheet_with_a_formula_never_calculated(workbook_copy):
    """As openpyxl (or any non-calculating tool) writes it: no cached value. Reported on that
    cell as a formula without a result (open and save in Excel): never a silent 0, never 未填写."""
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    ws = wb["表三"]
    ws.protection.sheet = False
    ws["D4"] = "=1+2"
    wb.save(path)
    assert (
        b"<f>1+2</f><v></v>" in zipfile.ZipFile(path).read(worksheet_part("表三"))
        or b"<f>1+2</f><v />" in zipfile.ZipFile(path).read(worksheet_part("表三"))
        or b"<f>1+2</f>" in zipfile.ZipFile(path).read(worksheet_part("表三"))
    )
    result = run_cli("check", "--json", path)
    assert result.code == 1, result.err
    report = json.loads(result.out)
    [finding] = report["findings"]
    assert (finding["rule"], finding["cells"][0]["ref"], finding["actual"]) == ("VAL-INT", "表三!D4", "=1+2")
    assert finding["severity"] == "error" and "请在 Excel 中打开并保存后再校验" in finding["message"]


# --------------------------------------------------------------------------- JSON


def _json_file(tmp_path, replace: tuple[str, str] | None = None, edit=None, raw: bytes | None = None) -> Path:
    text = SOURCE_JSON.read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(*replace, 1)
    if edit:
        doc = json.loads(text)
        edit(doc)
        text = json.dumps(doc, ensure_ascii=False, indent=2)
    path = tmp_path / "report.json"
    path.write_bytes(raw if raw is not None else text.encode("utf-8"))
    return path


COUNT = '"total": 3\n'  # applications.new.total, the first "total" in the file
YEAR = '"year": 2023'

BAD_JSON = [
    ("count-infinity", (COUNT, '"total": Infinity\n'), ["Infinity"]),
    ("count-minus-infinity", (COUNT, '"total": -Infinity\n'), ["-Infinity"]),
    ("year-infinity", (YEAR, '"year": Infinity'), ["Infinity"]),
    ("count-1e400", (COUNT, '"total": 1e400\n'), ["applications.new.total：应为整数", "1e400"]),
    ("year-1e400", (YEAR, '"year": 1e400'), ["year：应为整数", "1e400"]),
    ("year-2.5", (YEAR, '"year": 2.5'), ["year：应为整数"]),
    ("year-true", (YEAR, '"year": true'), ["year：应为整数"]),
    ("year-string", (YEAR, '"year": "2023"'), ["year：应为整数"]),
    ("year-huge", (YEAR, '"year": 1' + "0" * 30), ["year：数字过大"]),
    ("count-2^53+1", (COUNT, f'"total": {2**53 + 1}\n'), ["applications.new.total：数字过大", "999999999999999"]),
    ("count-10^15", (COUNT, f'"total": {10**15}\n'), ["applications.new.total：数字过大"]),
    ("count-5000-digits", (COUNT, '"total": 1' + "0" * 5000 + "\n"), ["位数过多", "第 "]),
    ("count-minus-0.0", (COUNT, '"total": -0.0\n'), ["applications.new.total：应为整数", "-0.0"]),
    ("count-1.0e0", (COUNT, '"total": 1.0e0\n'), ["applications.new.total：应为整数"]),
    ("lone-surrogate", ('"name": "汾西', '"name": "\\ud800汾西'), ["body.name", "Unicode"]),
]


@pytest.mark.parametrize("replace,needles", [c[1:] for c in BAD_JSON], ids=[c[0] for c in BAD_JSON])
def test_bad_json_numbers_and_text(tmp_path, replace, needles):
    assert_unusable(_json_file(tmp_path, replace), *needles)


def test_json_minus_zero_count_is_zero(tmp_path):
    """`-0` is a JSON integer equal to 0: accepted, and the export writes 0."""
    path = _json_file(tmp_path, ('"commercial_enterprise": 0', '"commercial_enterprise": -0'))
    assert run_cli("check", path).code == 0
    out = tmp_path / "out.json"
    assert run_cli("export", path, "-o", out).code == 0
    assert json.loads(out.read_text("utf-8"))["applications"]["new"]["commercial_enterprise"] == 0
    assert not re.search(rb":\s*-0\b", out.read_bytes())


def test_json_nested_100000_deep(tmp_path):
    path = tmp_path / "deep.json"
    path.write_bytes(b'{"format": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert_unusable(path, "嵌套层数过深")


@pytest.mark.slow
def test_json_of_100_mb_is_refused_by_size_before_parsing(tmp_path, no_json_parser):
    path = tmp_path / "big.json"
    with path.open("wb") as fh:
        fh.write(b'{"format": "gb-2021-30", "narrative": {"overview": "')
        block = "很长的文字".encode() * (MB // 15)
        for _ in range(100):
            fh.write(block)
        fh.write(b'"}}')
    assert path.stat().st_size > 100 * 1000 * 1000
    assert_unusable(path, "文件过大", "50 MB")


def test_json_that_is_a_fifo_does_not_hang(tmp_path):
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    result = run_cli("check", path)
    assert result.code == 2 and "不是文件" in result.err


@pytest.mark.parametrize(
    "edit,needle",
    [
        (
            lambda d: d["applications"]["denied"]["state_secret"].update(legal_person=1),
            "applications.denied.state_secret.legal_person：不认识的字段",
        ),
        (
            lambda d: d.update(explanations=[{"rule": "TXT-T3", "cells": [], "text": "说明", "author": "x"}]),
            "explanations.0.author：不认识的字段",
        ),
        (
            lambda d: d.update(last_year={"year": 2022, "applications": {"carried_forward": {"total": 1, "extra": 2}}}),
            "last_year.applications.carried_forward.extra：不认识的字段",
        ),
        (lambda d: d["applications"].update(new=[1, 2]), "applications.new：应为 JSON 对象"),
        (lambda d: d.update(format=["gb-2021-30"]), '“format”为 ["gb-2021-30"]'),
        (lambda d: d["body"].pop("name"), "body.name：缺少此字段"),
    ],
    ids=["unknown-deep", "unknown-in-list", "unknown-in-last-year", "object-as-array", "format-array", "missing-name"],
)
def test_json_structure(tmp_path, edit, needle):
    assert_unusable(_json_file(tmp_path, edit=edit), needle)


# --------------------------------------------------------------------------- text that must never become code

FORMULA_LIKE = {
    "body.name": '=HYPERLINK("http://example.invalid","点我")',
    "narrative.overview": "+1+2 受理申请 3 件",
    "narrative.problems": "-2 问题",
    "narrative.other_matters": "@SUM(A1:A2)",
}


def test_formula_like_text_is_written_as_text_by_fill(tmp_path):
    def edit(doc):
        doc["body"]["name"] = FORMULA_LIKE["body.name"]
        for key in ("overview", "problems", "other_matters"):
            doc["narrative"][key] = FORMULA_LIKE[f"narrative.{key}"]

    src = _json_file(tmp_path, edit=edit)
    out = tmp_path / "filled.xlsx"
    result = run_cli("fill", src, "-o", out)
    assert result.code == 0, result.err
    wb = openpyxl.load_workbook(out)
    for key, text in FORMULA_LIKE.items():
        cell = wb[FMT.cell(key).sheet][FMT.cell(key).ref]
        assert cell.data_type == "s" and cell.value == text, (key, cell.data_type, cell.value)
    assert b"<f>" not in b"".join(zipfile.ZipFile(out).read(worksheet_part(s)) for s in ("封面", "文字部分"))
    back = tmp_path / "back.json"
    run_cli("export", out, "-o", back, "--force")
    doc = json.loads(back.read_text("utf-8"))
    assert doc["body"]["name"] == FORMULA_LIKE["body.name"]
    assert doc["narrative"]["other_matters"] == FORMULA_LIKE["narrative.other_matters"]


def test_formula_like_cell_text_stays_text_in_the_annotated_results(workbook_copy, tmp_path):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    cell = wb["表三"]["E4"]
    cell.value = "=1+2"
    cell.data_type = "s"  # typed as text (e.g. with a leading apostrophe in Excel)
    wb.save(path)
    out = tmp_path / "annotated.xlsx"
    result = run_cli("check", path, "--annotate", out)
    assert result.code == 1, result.err
    ws = openpyxl.load_workbook(out)[FMT.results_sheet]
    texts = [
        c
        for row in ws.iter_rows(min_row=FMT.results_header_row + 1)
        for c in row
        if isinstance(c.value, str) and "=1+2" in c.value
    ]
    assert texts and all(c.data_type == "s" for c in texts)
    assert b"<f>" not in zipfile.ZipFile(out).read(worksheet_part(FMT.results_sheet))


@pytest.mark.parametrize(
    "stem",
    [
        "../../x",
        "..\\..\\x",
        "/etc/passwd",
        "C:\\Windows\\x",
        "CON",
        "con.txt",
        "LPT1",
        "COM¹",
        "AUX .json",
        "..",
        " . ",
        "a:b*c?",
        "x\x00y",
        "名" * 300,
        "\u202e逆序",
        "\ud800",
    ],
)
def test_safe_filename_never_leaves_its_folder(tmp_path, stem):
    from validator.fileio import safe_filename

    name = safe_filename(stem, ".json")
    assert name.endswith(".json") and "/" not in name and "\\" not in name and ":" not in name
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1", "COM¹"}
    assert len(name.encode("utf-8")) <= 255 and name not in (".json", "..json")
    target = tmp_path / name
    target.write_bytes(b"{}")  # the name is usable on this file system too
    assert target.resolve().parent == tmp_path.resolve()


@pytest.mark.slow
@pytest.mark.parametrize("body", ["../../逃逸", "CON", "a/b\\c:d", "名" * 120])
def test_excel_export_stays_in_its_folder(workbook_copy, tmp_path, body):
    from addin import excel

    from support.remote_excel import remote_book

    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["封面"]["B4"] = body
    wb.save(path)
    folder = tmp_path / "out" / "inner"
    folder.mkdir(parents=True)
    target = excel.export_json(remote_book(path), folder=folder)
    assert target is not None and target.exists()
    assert target.resolve().parent == folder.resolve()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["inner"]
    assert [p.name for p in folder.iterdir()] == [target.name]
    assert json.loads(target.read_text("utf-8"))["body"]["name"] == body


@pytest.mark.slow
def test_a_million_rows_are_too_many_to_annotate(tmp_path):
    """Reading copes (above); loading the whole workbook to write an annotated copy would build
    every cell, so :func:`check_editable_workbook` refuses it with a clear message."""
    path = rebuild(FENXI, tmp_path / "百万行.xlsx", {worksheet_part("校验结果"): million_rows("校验结果", True)})
    with pytest.raises(wbread.UnusableInput) as info:
        wbread.check_editable_workbook(path)
    assert "工作表“校验结果”" in str(info.value) and "无法另存标注" in str(info.value)
    wbread.check_editable_workbook(FENXI)


@pytest.mark.parametrize("suffix", [".xlsx", ".json"])
def test_an_unreadable_input_file(tmp_path, monkeypatch, suffix):
    """No permission to read (simulated: the tests may run as root)."""
    path = tmp_path / f"locked{suffix}"
    path.write_bytes(FENXI.read_bytes() if suffix == ".xlsx" else SOURCE_JSON.read_bytes())
    real_open = os.open

    def denied(name, *args, **kwargs):
        if Path(name).name == path.name:
            raise PermissionError(13, "Permission denied")
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    result = run_cli("check", path)
    assert result.code == 2 and "无法读取文件" in result.err and "locked" in result.err, result.err


# --------------------------------------------------------------------------- known bugs (not in files this suite owns)


@pytest.mark.slow
@pytest.mark.parametrize("year", [9999, 10**10, -5])
def test_regression_year_out_of_the_calendar_in_a_workbook(workbook_copy, year):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["封面"]["B6"] = year
    wb.save(path)
    result = run_cli("check", path)
    assert result.code == 1 and "[错误] 封面!B6" in result.out and "报告年度" in result.out, result.err


def test_regression_year_9999_in_json(tmp_path):
    result = run_cli("check", _json_file(tmp_path, (YEAR, '"year": 9999')))
    assert result.code in (1, 2), result.err


@pytest.mark.slow
@pytest.mark.parametrize("cell,value", [("封面!B6", 0), ("封面!B6", 999), ("上年数据!B4", 0), ("上年数据!B4", 10**10)])
def test_regression_export_force_with_an_impossible_year(workbook_copy, tmp_path, cell, value):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    sheet, ref = cell.split("!")
    wb[sheet][ref] = value
    wb.save(path)
    out = tmp_path / "forced.json"
    result = run_cli("export", path, "-o", out, "--force")
    assert result.code == 1, result.err
    doc = json.loads(out.read_text("utf-8"))
    assert (doc["year"] if sheet == "封面" else doc["last_year"]["year"]) is None


@pytest.mark.slow
def test_json_with_a_million_explanations_is_refused_before_validation(tmp_path):
    doc = json.loads(SOURCE_JSON.read_text("utf-8"))
    doc["explanations"] = [{"rule": f"R{i}", "cells": [], "text": ""} for i in range(1_000_000)]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    assert 30 * MB < path.stat().st_size < 50 * MB
    assert_refused_measured(path, "超过 100000 个", tmp_path=tmp_path, max_rss_mb=400)


def test_json_with_too_many_cells_in_one_finding(tmp_path):
    def edit(doc):
        doc["validation"] = {
            "valid": True,
            "errors": 0,
            "warnings": 0,
            "findings": [
                {
                    "rule": "X",
                    "severity": "warning",
                    "scope": "表内",
                    "message": "m",
                    "cells": [{"ref": "表三!D4", "key": "k"}] * 5000,
                }
            ],
        }

    assert_unusable(_json_file(tmp_path, edit=edit), "validation.findings.0.cells：共 5000 项")


def test_json_with_too_many_explanations(tmp_path):
    doc = json.loads(SOURCE_JSON.read_text("utf-8"))
    doc["explanations"] = [{"rule": f"R{i}", "cells": [], "text": ""} for i in range(6000)]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert_unusable(path, "explanations：共 6000 项，超过上限 5000")


@pytest.mark.parametrize("value", [1e28, "1" + "0" * 28])
def test_regression_huge_amount_in_a_workbook(workbook_copy, value):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表二"]["B14"] = value
    wb.save(path)
    result = run_cli("check", path)
    assert result.code == 1 and "[错误] 表二!B14" in result.out, result.err


def test_regression_huge_amount_in_json(tmp_path):
    path = _json_file(tmp_path, edit=lambda d: d["proactive"]["fees"].update(amount_wan_yuan="1" + "0" * 28))
    assert_unusable(path, "proactive.fees.amount_wan_yuan")
