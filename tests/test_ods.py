"""OpenDocument spreadsheets (.ods) are read as the workbook they are (validator/readers/ods.py).

tests/fixtures/ods/fenxi-zfb_2023.ods was made by LibreOffice 7.4 from the shipped report
(``soffice --headless --convert-to ods tests/fixtures/reports/fenxi-zfb_2023.xlsx``): read, it is
the same submission as that workbook. Edited copies of it cover what an .ods may hold, and
hostile ones the package's and content.xml's limits.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from validator import api
from validator.errors import UnusableInput
from validator.readers import load, ods
from validator.values import EXCEL_CELL_LIMIT, CellError, Uncalculated

from conftest import REPORTS, ROOT, run_cli

FIXTURE = ROOT / "tests" / "fixtures" / "ods" / "fenxi-zfb_2023.ods"
SOURCE = REPORTS / "fenxi-zfb_2023.xlsx"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def typed_values(path: Path) -> list[tuple[str, str, str]]:
    sub = load(path)
    return [(k, type(v).__name__, repr(v)) for k, v in sub.values.items()]


def edited(dst: Path, change, src: Path = FIXTURE, parts: dict | None = None) -> Path:
    """A copy of the package with content.xml changed (``str -> str``); the mimetype stays first
    and stored, as ODF requires."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "content.xml":
                data = change(data.decode("utf-8")).encode("utf-8")
            if parts and info.filename in parts:
                data = parts[info.filename]
            kind = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            zout.writestr(zipfile.ZipInfo(info.filename, info.date_time), data, compress_type=kind)
    return dst


def cell(text: str, after: str, new: str) -> str:
    """Replace the first table cell after the text `after` with `new`."""
    at = text.index(after)
    start = text.index("<table:table-cell", at + len(after))
    tag_end = text.index(">", start) + 1
    end = tag_end if text[tag_end - 2] == "/" else text.index("</table:table-cell>", start) + len("</table:table-cell>")
    return text[:start] + new + text[end:]


def test_the_libreoffice_copy_reads_as_the_workbook_it_was_made_from():
    assert typed_values(FIXTURE) == typed_values(SOURCE)
    sub = load(FIXTURE)
    assert sub.kind == ods.KIND and not sub.kind.typed and sub.kind.annotatable
    assert sub.explanations == load(SOURCE).explanations
    result = run_cli("check", FIXTURE)
    assert result.code == 0 and "校验通过" in result.out, result.err


def test_check_and_export_give_what_the_workbook_gives(tmp_path):
    for source in (FIXTURE, SOURCE):
        assert run_cli("export", source, "-o", tmp_path / f"{source.suffix[1:]}.json").code == 0
    from_ods, from_xlsx = (json.loads((tmp_path / n).read_text(encoding="utf-8")) for n in ("ods.json", "xlsx.json"))
    assert from_ods["validation"]["findings"] == from_xlsx["validation"]["findings"]
    from_ods.pop("validation"), from_xlsx.pop("validation")
    assert from_ods == from_xlsx


@pytest.mark.parametrize("name", ["表格.ods", "表格.xlsx", "表格", "报告.json"])
def test_an_ods_is_read_whatever_it_is_called(tmp_path, name):
    path = tmp_path / name
    shutil.copyfile(FIXTURE, path)
    assert typed_values(path) == typed_values(SOURCE)


def test_figures_text_dates_errors_and_formulas_as_the_xlsx_reader_gives_them(tmp_path):
    def change(text: str) -> str:
        text = cell(
            text,
            "<text:p>一、本年新收政府信息公开申请数量</text:p>",
            '<table:table-cell office:value-type="string"><text:p>3件</text:p></table:table-cell>',
        )
        text = cell(
            text,
            "<text:p>二、上年结转政府信息公开申请数量</text:p>",
            '<table:table-cell office:value-type="float" office:value="1.5"><text:p>1.5</text:p></table:table-cell>',
        )
        text = cell(
            text,
            "<text:p>发布日期</text:p>",
            '<table:table-cell office:value-type="date" office:date-value="2024-01-29T09:30:00"><text:p>x</text:p></table:table-cell>',
        )
        text = cell(
            text,
            "<text:p>行政区划代码（选填）</text:p>",
            '<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>',
        )
        text = cell(text, "<text:p>统一社会信用代码（选填）</text:p>", '<table:table-cell table:formula="of:=[.B4]"/>')
        return text

    sub = load(edited(tmp_path / "e.ods", change))
    values = sub.values
    assert values["applications.new.natural_person"] == "3件"
    assert values["applications.carried_in.natural_person"] == 1.5
    assert repr(values["published_on"]) == "datetime.datetime(2024, 1, 29, 9, 30)"
    assert isinstance(values["body.region_code"], CellError) and values["body.region_code"] == "#DIV/0!"
    assert values["body.credit_code"] == Uncalculated("[.B4]")
    findings = api.check(sub).report.findings
    assert {f.rule for f in findings} >= {"VAL-INT", "META-DATE"}


def test_paragraphs_spaces_and_line_breaks_make_the_text(tmp_path):
    paragraphs = (
        '<table:table-cell office:value-type="string"><text:p>第一段<text:s text:c="3"/>'
        '<text:span text:style-name="T1">加粗</text:span><text:line-break/>换行</text:p>'
        "<office:annotation><text:p>批注不是内容</text:p></office:annotation>"
        "<text:p>第二段<text:tab/>完</text:p></table:table-cell>"
    )

    def change(text: str) -> str:  # the cell under the heading 一、总体情况 (文字部分!A4)
        row = text.index("<table:table-row", text.index("<text:p>一、总体情况</text:p>"))
        return text[:row] + cell(text[row:], "<table:table-row", paragraphs)

    sub = load(edited(tmp_path / "p.ods", change))
    assert sub.values["narrative.overview"] == "第一段   加粗\n换行\n第二段\t完"


def test_a_row_repeated_keeps_its_values_within_the_sheet(tmp_path):
    """``number-rows-repeated`` on a row with values: each copy is a row of the same values (a
    producer may write identical rows once, with a count)."""

    def change(text: str) -> str:
        at = text.index("<text:p>一、本年新收政府信息公开申请数量</text:p>")
        row = text.rindex("<table:table-row ", 0, at)
        end = text.index("</table:table-row>", at) + len("</table:table-row>")
        next_end = text.index("</table:table-row>", end) + len("</table:table-row>")
        repeated = text[row:end].replace("<table:table-row ", '<table:table-row table:number-rows-repeated="2" ', 1)
        return text[:row] + repeated + text[next_end:]

    _, grids = ods.read_grids(edited(tmp_path / "r.ods", change))
    _, plain = ods.read_grids(FIXTURE)
    table = grids["表三"]
    assert table[4] == table[3] == plain["表三"][3]  # row 5 is row 4 again
    assert table[5:] == plain["表三"][5:]  # and the rows after are where they were


def test_annotate_writes_an_xlsx_copy_that_reads_the_same(tmp_path):
    def change(text: str) -> str:  # 本年新收 自然人 3 → 4: the totals disagree
        return cell(
            text,
            "<text:p>一、本年新收政府信息公开申请数量</text:p>",
            '<table:table-cell office:value-type="float" office:value="4"><text:p>4</text:p></table:table-cell>',
        )

    source = edited(tmp_path / "错.ods", change)
    out = tmp_path / "标注.xlsx"
    result = run_cli("check", source, "--annotate", out)
    assert result.code == 1, result.err
    assert "OpenDocument 表格" in result.err and "标注副本是按本工具模板填入其内容的 .xlsx" in result.err
    assert load(out).values == load(source).values
    wb = openpyxl.load_workbook(out)
    assert wb["表三"]["D4"].comment is not None  # the wrong cell is marked
    assert "错误" in str(wb["封面"]["B13"].value)
    assert source.read_bytes() == edited(tmp_path / "again.ods", change).read_bytes()  # the source untouched

    refused = run_cli("check", source, "--annotate", tmp_path / "标注.ods", "--json")
    assert refused.code == 2 and json.loads(refused.out)["error"]["code"] == "bad-argument"
    assert not (tmp_path / "标注.ods").exists()


def test_the_web_page_offers_and_annotates_ods(tmp_path):
    from validator.serve.check import ACCEPT, check_file

    assert ".ods" in ACCEPT.split(",")
    upload = tmp_path / "upload.ods"  # as the page stores an upload: the copy is written beside it
    shutil.copyfile(FIXTURE, upload)
    checked = check_file(upload, "报告.ods", annotate=True, export=True)
    assert checked.report["valid"] and checked.annotated is not None and checked.annotated.name == "报告-标注.xlsx"
    assert checked.exported is not None


def test_collect_reads_ods_beside_xlsx_and_json(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(FIXTURE, inbox / "a.ods")
    shutil.copyfile(SOURCE, inbox / "b.xlsx")
    result = run_cli("collect", inbox, "-o", tmp_path / "汇总.xlsx", "--json", tmp_path / "r.json")
    assert result.code in (0, 1), result.err
    files = {f["file"]: f for f in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["files"]}
    assert files["a.ods"]["sha256"] == files["b.xlsx"]["sha256"]  # one report, as .ods and as .xlsx


# --------------------------------------------------------------------------- hostile packages


def _code(path: Path) -> tuple[str, str]:
    with pytest.raises(UnusableInput) as refused:
        load(path)
    return refused.value.code, str(refused.value)


def test_a_cell_repeated_a_billion_times_costs_nothing(tmp_path):
    def change(text: str) -> str:
        return text.replace(
            'table:number-columns-repeated="16380"/>',
            'table:number-columns-repeated="1000000000" office:value-type="float" office:value="7"><text:p>7</text:p></table:table-cell>',
            1,
        ).replace(
            '<table:table-row table:style-name="ro1" table:number-rows-repeated="1048548">',
            '<table:table-row table:style-name="ro1" table:number-rows-repeated="2000000000">',
            1,
        )

    sub = load(edited(tmp_path / "bomb.ods", change))  # the repeats are counted, never laid out
    assert sub.values["body.name"] == load(SOURCE).values["body.name"]


def test_spaces_repeated_past_the_cell_limit_are_refused_not_laid_out(tmp_path):
    def change(text: str) -> str:
        return text.replace(
            "<text:p>汾西县人民政府办公室</text:p>", '<text:p>汾西<text:s text:c="2000000000"/>县</text:p>', 1
        )

    code, message = _code(edited(tmp_path / "spaces.ods", change))
    assert code == "bad-text" and str(EXCEL_CELL_LIMIT) in message and "封面!B4" in message


def test_a_content_part_over_its_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(ods, "MAX_CONTENT_BYTES", 100_000)
    code, message = _code(FIXTURE)
    assert code == "too-large" and "content.xml" in message


def test_a_compression_bomb_is_refused(tmp_path):
    def change(text: str) -> str:
        return text.replace("</office:spreadsheet>", "<!--" + " " * (8 * 1024 * 1024) + "--></office:spreadsheet>")

    code, message = _code(edited(tmp_path / "zipbomb.ods", change))
    assert code == "too-large" and "压缩" in message


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE x SYSTEM "http://127.0.0.1:1/dtd">',
        "<!--" + "x" * (70 * 1024) + '--><!DOCTYPE x [<!ENTITY a "a">]>',  # past the first 64 KB the scan reads
    ],
    ids=["entities", "external", "late"],
)
def test_a_dtd_in_content_is_refused(tmp_path, prolog):
    def change(text: str) -> str:
        declaration_end = text.index("?>") + 2
        return text[:declaration_end] + prolog + text[declaration_end:]

    code, _ = _code(edited(tmp_path / "dtd.ods", change))
    assert code == "unsafe-xml"


def test_an_encrypted_package_is_named_so(tmp_path):
    """ODF encrypts parts itself (the zip looks plain); its manifest says so."""
    manifest = zipfile.ZipFile(FIXTURE).read("META-INF/manifest.xml")
    entry = b'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    assert entry in manifest
    manifest = manifest.replace(
        entry,
        entry[:-2] + b'><manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry>',
    )
    code, message = _code(edited(tmp_path / "locked.ods", lambda t: t, parts={"META-INF/manifest.xml": manifest}))
    assert code == "encrypted" and "密码" in message


@pytest.mark.parametrize(
    "change,code",
    [
        (lambda t: t.replace("</office:spreadsheet>", "<table:table", 1), "damaged"),
        (lambda t: t.replace('table:number-rows-repeated="1048548"', 'table:number-rows-repeated="-3"', 1), "damaged"),
        (lambda t: t.replace('office:value="2023"', 'office:value="二〇二三"', 1), "damaged"),
        (lambda t: t.replace('office:date-value="2024-01-29"', 'office:date-value="2024-13-29"', 1), "damaged"),
        (lambda t: t.replace('table:name="表三"', 'table:name="表三A"', 1), "layout-changed"),
        (lambda t: t.replace("<text:p>gb-2021-30</text:p>", "<text:p>gb-2030-99</text:p>", 1), "unknown-format"),
        (lambda t: t.replace("<text:p>gb-2021-30</text:p>", "<text:p>随便</text:p>", 1), "not-template"),
    ],
    ids=["malformed", "repeat", "number", "date", "sheet", "format", "marker"],
)
def test_damaged_and_foreign_content_is_named(tmp_path, change, code):
    assert _code(edited(tmp_path / "x.ods", change))[0] == code


def test_other_opendocument_packages(tmp_path):
    text = tmp_path / "文档.ods"
    with zipfile.ZipFile(text, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    code, message = _code(text)
    assert code == "not-xlsx" and "OpenDocument 文档" in message
    late = tmp_path / "late.ods"  # a spreadsheet whose mimetype is not the first part
    with zipfile.ZipFile(FIXTURE) as zin, zipfile.ZipFile(late, "w") as zout:
        for info in reversed(zin.infolist()):
            zout.writestr(info.filename, zin.read(info))
    code, message = _code(late)
    assert code == "damaged" and "mimetype" in message


def test_the_grid_holds_only_what_the_format_reads(tmp_path):
    """Cells far outside the format's sheets and sheets it does not use are counted, not kept."""
    from validator.readers.ods import read_grids

    def change(text: str) -> str:
        extra = '<table:table table:name="随手记"><table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>'
        return text.replace("</office:spreadsheet>", extra + "</office:spreadsheet>").replace(
            'table:number-columns-repeated="16380"/>',
            'table:number-columns-repeated="16380" office:value-type="float" office:value="9"><text:p>9</text:p></table:table-cell>',
        )

    fmt, grids = read_grids(edited(tmp_path / "wide.ods", change))
    assert "随手记" not in grids
    from validator.workbook.grids import sheet_extent

    for sheet, (rows, cols) in sheet_extent(fmt).items():
        assert len(grids[sheet]) <= rows and all(len(r) == cols for r in grids[sheet])
    assert re.search("9", repr(grids["封面"]))  # within the extent, the repeated value is kept


# --------------------------------------------------------------------------- more LibreOffice copies


@pytest.mark.libreoffice
def test_every_shipped_report_reads_the_same_as_its_libreoffice_copy(tmp_path):
    from support.libreoffice import require_libreoffice
    from support.rendering import soffice_convert

    require_libreoffice()
    wb = openpyxl.load_workbook(SOURCE)
    wb["表三"]["E4"] = "0"  # a figure typed as text
    wb["文字部分"]["A4"] = "第一行\n第二行  两个空格"
    wb["校验结果"]["I4"] = "情况说明"
    edited_source = tmp_path / "edited.xlsx"
    wb.save(edited_source)
    sources = [*sorted(REPORTS.glob("*.xlsx")), edited_source]
    soffice_convert(sources, "ods", tmp_path)
    for source in sources:
        copy = tmp_path / f"{source.stem}.ods"
        assert typed_values(copy) == typed_values(source), source.name
        assert load(copy).explanations == load(source).explanations
