"""The annotated copy (`xxgk check X --annotate OUT`) and `fill` output are workbooks staff keep
working in: they must read exactly like their source, keep what the user put in them, stay
editable where staff type, and be a file Excel opens (.xlsx content in .xlsx, macros in .xlsm).

Fixtures are made here from the real reports: formulas with cached results and drawing parts are
written into the package the way Excel writes them (tests/test_libreoffice_annotate.py does the
same with files LibreOffice computed and saved).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

from validator.formats import get_format
from validator.workbook import styles

from conftest import REPORTS, run_cli, sha256
from support.annotated import (
    EXPLAIN_COL,
    R_NS,
    content_type,
    parts,
    rels_of,
    sheet_part,
    with_drawing,
    write_parts,
)

FMT = get_format()
MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def with_formula_totals(source: Path, target: Path) -> Path:
    """表三's 总计 column as =SUM(D:I) and the 机关名称 as a text formula, each with the cached
    result Excel stores beside it."""
    wb = openpyxl.load_workbook(source)
    ws = wb["表三"]
    totals = {}
    for row in range(4, 29):
        totals[f"J{row}"] = sum(ws.cell(row, col).value for col in range(4, 10))
        ws[f"J{row}"] = f"=SUM(D{row}:I{row})"
    sheet, ref = FMT.cell("body.name").sheet, FMT.cell("body.name").ref
    name = wb[sheet][ref].value
    wb[sheet][ref] = f'="{name[:2]}"&"{name[2:]}"'
    buffer = io.BytesIO()
    wb.save(buffer)
    content = parts(io.BytesIO(buffer.getvalue()))
    part = sheet_part(content, "表三")
    xml = content[part].decode()
    for ref_, total in totals.items():
        xml, n = re.subn(rf'(<c r="{ref_}"[^>]*>)(<f>[^<]*</f>)<v\s*/>', rf"\g<1>\g<2><v>{total}</v>", xml)
        assert n == 1, ref_
    content[part] = xml.encode()
    part = sheet_part(content, sheet)
    xml, n = re.subn(
        rf'<c r="{ref}"([^>]*)>(<f>[^<]*</f>)<v\s*/>',
        rf'<c r="{ref}"\1 t="str">\2<v>{name}</v>',
        content[part].decode(),
    )
    assert n == 1
    content[part] = xml.encode()
    write_parts(target, content)
    return target


def check_json(path: Path) -> tuple[int, dict]:
    result = run_cli("check", path, "--json")
    report = json.loads(result.out)
    report.pop("source")
    return result.code, report


def annotate(source: Path, out: Path, code: int | None = None):
    result = run_cli("check", source, "--annotate", out)
    if code is not None:
        assert result.code == code, result.err
    return result


@pytest.fixture
def broken(workbook_copy) -> Path:
    """Huai'an with a wrong 表四 total: findings on 表四, 表三, 封面 (1 错误, 2 提示)."""
    path = workbook_copy("huaian-shi_2024")
    wb = openpyxl.load_workbook(path)
    wb["表四"]["E4"] = 350
    wb.save(path)
    return path


# --------------------------------------------------------------------------- editable where staff type


def _result_rows(ws) -> list[int]:
    return [r for r in range(FMT.results_header_row + 1, ws.max_row + 1) if ws.cell(r, 2).value]


def test_explanation_cells_of_the_annotated_copy_are_unlocked(broken, tmp_path):
    out = tmp_path / "marked.xlsx"
    annotate(broken, out, 1)
    ws = openpyxl.load_workbook(out)["校验结果"]
    assert ws.protection.sheet is True
    rows = _result_rows(ws)
    assert len(rows) == 3
    for row in rows:
        assert ws.cell(row, EXPLAIN_COL).protection.locked is False, row  # staff type their 情况说明 here
        # the findings themselves stay protected against slips
        assert all(ws.cell(row, col).protection.locked is True for col in (1, 2, 3, 4, 5, 6, 7, 8, 10)), row


def test_explanation_cells_of_fill_output_are_unlocked(tmp_path):
    out = tmp_path / "filled.xlsx"
    result = run_cli("fill", REPORTS / "huaian-shi_2024.source.json", "-o", out)
    assert result.code == 0, result.err
    ws = openpyxl.load_workbook(out)["校验结果"]
    rows = _result_rows(ws)
    assert rows and ws.protection.sheet is True
    assert [ws.cell(r, EXPLAIN_COL).protection.locked for r in rows] == [False] * len(rows)


@pytest.mark.slow
def test_marked_input_cells_stay_unlocked_and_staff_shading_is_kept(broken, tmp_path):
    wb = openpyxl.load_workbook(broken)
    green = openpyxl.styles.PatternFill("solid", fgColor="FF00FF00")
    wb["表二"]["B10"].fill = green  # staff's own colour on a cell nothing flags
    wb.save(broken)
    out = tmp_path / "marked.xlsx"
    annotate(broken, out, 1)
    marked = openpyxl.load_workbook(out)
    assert marked["表四"]["E4"].fill.fgColor.rgb == "FF" + styles.ERROR_FILL[1:]
    for spec in (*FMT.cells, *FMT.baseline_cells):
        assert marked[spec.sheet][spec.ref].protection.locked is False, spec.a1
    assert marked["表二"]["B10"].fill.fgColor.rgb == "FF00FF00"
    # a second run on the fixed copy removes our mark but not staff's colour
    marked["表四"]["E4"] = 351
    marked.save(out)
    again = tmp_path / "again.xlsx"
    annotate(out, again, 0)
    clean = openpyxl.load_workbook(again)
    assert clean["表四"]["E4"].fill.fgColor.rgb == "FF" + styles.INPUT_FILL[1:]
    assert clean["表二"]["B10"].fill.fgColor.rgb == "FF00FF00"


# --------------------------------------------------------------------------- reads like its source


@pytest.mark.slow
def test_formula_totals_keep_their_results_and_the_copy_checks_like_its_source(tmp_path):
    source = with_formula_totals(REPORTS / "fenxi-zfb_2023.xlsx", tmp_path / "sum.xlsx")
    code, report = check_json(source)
    assert code == 0 and report["valid"]
    out = tmp_path / "sum_marked.xlsx"
    annotate(source, out, 0)
    assert check_json(out) == (code, report)
    copy = openpyxl.load_workbook(out)
    assert copy["表三"]["J4"].value == "=SUM(D4:I4)"  # staff's formulas stay formulas
    values = openpyxl.load_workbook(out, data_only=True)
    assert values["表三"]["J28"].value == openpyxl.load_workbook(source, data_only=True)["表三"]["J28"].value
    name = FMT.cell("body.name")
    assert values[name.sheet][name.ref].value == "汾西县人民政府办公室"


@pytest.mark.slow
def test_formula_totals_with_findings_give_the_same_findings_in_the_copy(tmp_path):
    source = with_formula_totals(REPORTS / "fenxi-zfb_2023.xlsx", tmp_path / "sum.xlsx")
    wb = openpyxl.load_workbook(source)
    wb["文字部分"]["A8"] = "本年度无其他事项。"  # a 提示 (SEC6-FEE)
    wb["表四"]["E4"] = 9  # and a 错误
    wb.save(tmp_path / "plain.xlsx")
    content, edited = parts(source), parts(tmp_path / "plain.xlsx")
    for sheet in ("文字部分", "表四"):
        content[sheet_part(content, sheet)] = edited[sheet_part(edited, sheet)]
    content["xl/sharedStrings.xml"] = edited.get("xl/sharedStrings.xml", b"")
    if not content["xl/sharedStrings.xml"]:
        del content["xl/sharedStrings.xml"]
    write_parts(source, content)
    code, report = check_json(source)
    assert code == 1 and {f["rule"] for f in report["findings"]} >= {"SEC6-FEE", "T4-SUM-REVIEW"}
    out = tmp_path / "marked.xlsx"
    annotate(source, out, 1)
    assert check_json(out) == (code, report)


def test_a_copy_that_would_read_differently_is_not_written(tmp_path, monkeypatch):
    from validator.workbook import preserve

    source = with_formula_totals(REPORTS / "fenxi-zfb_2023.xlsx", tmp_path / "sum.xlsx")
    monkeypatch.setattr(preserve, "restore", lambda data, *a: data)  # openpyxl's copy as it is: no results
    out = tmp_path / "marked.xlsx"
    result = annotate(source, out, 2)
    assert "校验通过" in result.out  # the findings of the source are shown all the same
    assert "读数与原文件不同" in result.err and "表三!J4" in result.err, result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sum.xlsx"]


# --------------------------------------------------------------------------- the kind follows the name


@pytest.fixture
def filled_xlsm(tmp_path, fmt) -> Path:
    from addin.build import xlsm_bytes

    path = tmp_path / "report.xlsm"
    path.write_bytes(xlsm_bytes(fmt))
    source = openpyxl.load_workbook(REPORTS / "fenxi-zfb_2023.xlsx")
    wb = openpyxl.load_workbook(path, keep_vba=True)
    for cell in fmt.cells:
        wb[cell.sheet][cell.ref] = source[cell.sheet][cell.ref].value
    wb.save(path)
    return path


@pytest.mark.slow
def test_a_macro_workbook_annotated_to_xlsx_is_a_real_xlsx(filled_xlsm, tmp_path):
    out = tmp_path / "marked.xlsx"
    result = annotate(filled_xlsm, out, 0)
    content = parts(out)
    assert content_type(content, "xl/workbook.xml") == MAIN_CT
    assert not [n for n in content if "vba" in n.lower()]
    assert b"macroEnabled" not in content["[Content_Types].xml"] and b"vbaProject" not in content["[Content_Types].xml"]
    assert "不含宏" in result.err and ".xlsm" in result.err
    ws = openpyxl.load_workbook(out)["校验结果"]
    assert any("不含宏" in str(ws.cell(r, 6).value) for r in range(4, ws.max_row + 1))
    assert check_json(out) == check_json(filled_xlsm)


@pytest.mark.slow
def test_a_macro_workbook_annotated_to_xlsm_keeps_its_macros(filled_xlsm, tmp_path):
    out = tmp_path / "marked.xlsm"
    result = annotate(filled_xlsm, out, 0)
    content = parts(out)
    assert content_type(content, "xl/workbook.xml") == MACRO_CT
    assert content["xl/vbaProject.bin"] == parts(filled_xlsm)["xl/vbaProject.bin"]
    assert result.err == ""


def test_a_plain_workbook_is_not_annotated_to_xlsm(tmp_path):
    out = tmp_path / "marked.xlsm"
    result = annotate(REPORTS / "fenxi-zfb_2023.xlsx", out, 2)
    assert "不含宏" in result.err and ".xlsx" in result.err
    assert not out.exists()


# --------------------------------------------------------------------------- pictures and text boxes


@pytest.mark.slow
def test_pictures_and_text_boxes_are_kept(broken, tmp_path):
    wb = openpyxl.load_workbook(broken)
    wb["封面"]["B7"] = "2025-06-30"  # a DATE-DEADLINE note on 封面 too: comments and drawing on one sheet
    wb.save(broken)
    source = with_drawing(broken, tmp_path / "drawn.xlsx")
    src = parts(source)
    out = tmp_path / "marked.xlsx"
    result = annotate(source, out, 1)
    assert "注意" not in result.err
    copy = parts(out)
    part = sheet_part(copy, "封面")
    xml = copy[part].decode()
    rid = re.search(r'<drawing [^>]*r:id="([^"]+)"', xml).group(1)
    assert xml.index("<drawing ") < xml.index("<legacyDrawing")  # the order the schema demands
    rel = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*/>', copy[rels_of(part)].decode()).group(0)
    target = re.search(r'Target="/?([^"]+)"', rel).group(1)
    assert f"{R_NS}/drawing" in rel and copy[target] == src["xl/drawings/drawing1.xml"]
    media = re.search(r'Target="/?([^"]+)"', copy[rels_of(target)].decode()).group(1)
    assert copy[media] == src["xl/media/image1.png"]
    assert content_type(copy, target) == "application/vnd.openxmlformats-officedocument.drawing+xml"
    assert content_type(copy, media) == "image/png"
    assert openpyxl.load_workbook(out)["封面"]["B7"].comment is not None
    # annotating the annotated copy keeps exactly one drawing
    again = tmp_path / "again.xlsx"
    annotate(out, again, 1)
    twice = parts(again)
    assert len([n for n in twice if n.startswith("xl/drawings/drawing")]) == 1
    assert twice[sheet_part(twice, "封面")].decode().count("<drawing ") == 1


@pytest.mark.slow
def test_what_the_copy_cannot_keep_is_said_on_screen_and_in_the_results_sheet(tmp_path):
    source = with_drawing(
        REPORTS / "fenxi-zfb_2023.xlsx", tmp_path / "drawn.xlsx", sheet="表二", extra="<controls/>"
    )  # controls own shapes in the drawing: not copied
    content = parts(source)
    part = sheet_part(content, "封面")
    content[part] = content[part].replace(b"</worksheet>", f'<oleObjects xmlns:r="{R_NS}"/></worksheet>'.encode())
    write_parts(source, content)
    out = tmp_path / "marked.xlsx"
    result = annotate(source, out, 0)
    assert "表二" in result.err and "图片、文本框等图形" in result.err
    assert "封面" in result.err and "嵌入的对象" in result.err
    ws = openpyxl.load_workbook(out)["校验结果"]
    notes = [ws.cell(r, 6).value for r in range(4, ws.max_row + 1) if ws.cell(r, 3).value == "注意"]
    assert len(notes) == 2 and any("表二" in n for n in notes)
    assert check_json(out) == check_json(source)  # the note rows are not read as explanations


def test_a_drawing_of_controls_only_needs_no_note(tmp_path):
    only_controls = (
        '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        '<mc:Choice Requires="a14"/></mc:AlternateContent>'
    )
    source = with_drawing(
        REPORTS / "fenxi-zfb_2023.xlsx",
        tmp_path / "drawn.xlsx",
        sheet="表二",
        anchors=(only_controls,),
        extra="<controls/>",
    )
    result = annotate(source, tmp_path / "marked.xlsx", 0)
    assert result.err == ""


# --------------------------------------------------------------------------- findings first


def test_findings_are_shown_before_the_copy_fails_to_be_written(broken, tmp_path):
    before = sha256(broken)
    result = annotate(broken, tmp_path / "no-such-folder" / "marked.xlsx", 2)
    assert "[错误] 表四!E4" in result.out and "校验未通过" in result.out
    assert "无法写入" in result.err and "已另存" not in result.out
    assert sha256(broken) == before


def test_json_findings_are_printed_before_the_write_error(broken, tmp_path):
    result = run_cli("check", broken, "--json", "--annotate", tmp_path / "no-such-folder" / "marked.xlsx")
    assert result.code == 2
    document = json.loads(result.out)  # one JSON document: the findings and why the copy is missing
    assert document["stats"]["errors"] == 1
    assert document["error"]["code"] == "cannot-write" and "无法写入" in document["error"]["message"]
    assert "无法写入" in result.err
