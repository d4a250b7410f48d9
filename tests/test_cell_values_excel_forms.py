"""Cell values in the forms Excel, LibreOffice and scripts store them: float noise, ``_xHHHH_``
escapes, formulas without a cached result, odd names and kinds, numbers typed as text, dates.

Each case edits a copy of a real report's workbook the way Excel, LibreOffice or a script
leaves it (the stored XML where the exact form matters) and runs the command line on it, or
feeds the Excel button's step (``submission_from_grids``) the values xlwings hands over.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from validator.engine import validate
from validator.formats import get_format
from validator.jsonio import report_to_model
from validator.values import decode_ooxml, encode_ooxml
from validator.workbook.read import read_grids, split_ref, submission_from_grids

from conftest import REPORTS, run_cli, sha256
from support.hostile_files import rebuild, worksheet_part

FENXI = REPORTS / "fenxi-zfb_2023.xlsx"
SOURCE_JSON = REPORTS / "fenxi-zfb_2023.source.json"
FMT = get_format()


def _set_xml(tmp_path, sheet: str, ref: str, cell_xml: bytes, name: str = "edited.xlsx"):
    """A copy of 汾西 with one cell's stored XML replaced (style kept)."""

    def edit(xml: bytes) -> bytes:
        pattern = rb'<c r="%s"( s="\d+")?[^>]*?(/>|>.*?</c>)' % ref.encode()
        assert re.search(pattern, xml, re.S), ref
        return re.sub(
            pattern, lambda m: b'<c r="%s"%s' % (ref.encode(), m.group(1) or b"") + cell_xml, xml, count=1, flags=re.S
        )

    return rebuild(FENXI, tmp_path / name, {worksheet_part(sheet): edit})


def _check(path) -> tuple[int, list[dict]]:
    result = run_cli("check", "--json", path)
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)["findings"]


def _export(path, tmp_path, *extra) -> dict:
    out = tmp_path / "out.json"
    result = run_cli("export", path, "-o", out, *extra)
    assert result.code == 0, result.err
    return json.loads(out.read_text("utf-8"))


# --------------------------------------------------------------------------- floats


@pytest.mark.parametrize(
    "formula,stored,shown",
    [
        ("75412.09/10000", "7.541208999999999", "7.541209"),
        ("1.1+2.2", "3.3000000000000003", "3.3"),
        ("0.1+0.2", "0.30000000000000004", "0.3"),
    ],
)
def test_a_fee_excel_computed_is_read_as_excel_shows_it(tmp_path, formula, stored, shown):
    path = _set_xml(tmp_path, "表二", "B14", b"><f>%s</f><v>%s</v></c>" % (formula.encode(), stored.encode()))
    assert _check(path) == (0, [])
    assert _export(path, tmp_path)["proactive"]["fees"]["amount_wan_yuan"] == shown


def test_a_count_stored_with_float_noise_is_the_count_excel_shows(tmp_path):
    path = _set_xml(tmp_path, "表三", "D4", b"><f>0.1*30</f><v>3.0000000000000004</v></c>")
    assert _check(path) == (0, [])
    assert _export(path, tmp_path)["applications"]["new"]["natural_person"] == 3


def test_the_button_path_reads_floats_as_excel_shows_them():
    """xlwings hands the button every number as a float; the same step the button runs."""
    fmt, grids = read_grids(FENXI)
    row, col = split_ref("B14")
    grids["表二"][row][col] = 1.1 + 2.2
    row, col = split_ref("D4")
    grids["表三"][row][col] = 0.1 * 30  # 3.0000000000000004
    submission = submission_from_grids(fmt, grids, FENXI.name)
    report = validate(submission)
    assert report.findings == []
    model = report_to_model(submission, report)
    assert model.proactive.fees.amount_wan_yuan == Decimal("3.3")
    assert model.applications.new.natural_person == 3


def test_a_real_fraction_is_still_a_finding(tmp_path):
    path = _set_xml(tmp_path, "表三", "D4", b"><f>10/3</f><v>3.3333333333333335</v></c>")
    code, findings = _check(path)
    assert code == 1 and [(f["rule"], f["actual"]) for f in findings] == [("VAL-INT", "3.33333333333333")]


# --------------------------------------------------------------------------- _xHHHH_


def _narrative_part_xml(text_xml: bytes) -> bytes:
    return b' t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>' % text_xml


def test_excel_escapes_in_cell_text_are_decoded(tmp_path):
    """Excel writes CR as _x000D_ and a literal "_x000D_" as _x005F_x000D_."""
    xml = "第一段_x000D_\n第二段，字面 _x005F_x000D_ 照录".encode()
    path = _set_xml(tmp_path, "文字部分", "A4", _narrative_part_xml(xml))
    overview = _export(path, tmp_path)["narrative"]["overview"]
    assert overview == "第一段\n第二段，字面 _x000D_ 照录"


def test_escapes_in_shared_strings_are_decoded(tmp_path):
    """LibreOffice and Excel keep cell text in xl/sharedStrings.xml."""
    name = "汾西县人民政府办公室"
    path = tmp_path / "sst.xlsx"
    wb = openpyxl.load_workbook(FENXI)
    assert wb["封面"]["B4"].value == name
    shutil.copyfile(FENXI, path)
    sst = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main" count="1" uniqueCount="1"><si><t>' + name.encode() + b"_x000D_</t></si></sst>"
    )

    def add_sst(z):
        z.writestr("xl/sharedStrings.xml", sst)

    def types(xml: bytes) -> bytes:
        return xml.replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )

    def rels(xml: bytes) -> bytes:
        return xml.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/sharedStrings" '
            b'Target="sharedStrings.xml"/></Relationships>',
        )

    def cover(xml: bytes) -> bytes:
        return re.sub(rb'<c r="B4"( s="\d+")?[^>]*?>.*?</c>', rb'<c r="B4"\1 t="s"><v>0</v></c>', xml, count=1)

    with zipfile.ZipFile(FENXI) as z:
        assert "xl/sharedStrings.xml" not in z.namelist()
    rebuild(
        FENXI,
        path,
        {"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels, worksheet_part("封面"): cover},
        extra=add_sst,
    )
    assert openpyxl.load_workbook(path)["封面"]["B4"].value == name + "_x000D_"  # openpyxl alone: literal
    assert _export(path, tmp_path)["body"]["name"] == name  # CR -> LF, then trimmed


def test_an_escaped_control_character_is_refused_with_the_cell(tmp_path):
    """_x0007_ decodes to BEL, which no report text may hold: exit 2 naming the cell, as for JSON."""
    path = _set_xml(tmp_path, "文字部分", "A4", _narrative_part_xml("总体_x0007_情况".encode()))
    before = sha256(path)
    result = run_cli("check", path)
    assert result.code == 2, result.out
    assert "文字部分!A4" in result.err and "控制字符 U+0007" in result.err and "Traceback" not in result.err
    assert sha256(path) == before


@pytest.mark.slow
@pytest.mark.parametrize("text", ["_x000D_", "a_x005F_x000D_b", "_x005f_X_x0041__", "结尾_x", "_x00ZZ_"])
def test_literal_escape_text_survives_fill_and_export(tmp_path, text):
    """JSON -> fill -> export is unchanged even for text that looks like an escape: the writer
    escapes the underscore (_x005F_), as Excel does, and the reader decodes it."""
    assert decode_ooxml(encode_ooxml(text)) == text
    doc = json.loads(SOURCE_JSON.read_text("utf-8"))
    doc["narrative"]["problems"] = f"问题 {text} 结束"
    doc["body"]["name"] = f"机关{text}"
    src = tmp_path / "src.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    book = tmp_path / "filled.xlsx"
    assert run_cli("fill", src, "-o", book).code == 0
    if re.search(r"_x[0-9A-Fa-f]{4}_", text):
        assert b"_x005F_" in zipfile.ZipFile(book).read(worksheet_part("文字部分"))
    back = _export(book, tmp_path, "--force")
    assert back["narrative"]["problems"] == doc["narrative"]["problems"]
    assert back["body"]["name"] == doc["body"]["name"]


# --------------------------------------------------------------------------- formula without result


@pytest.mark.parametrize("sheet,ref,rule", [("表三", "J4", "VAL-INT"), ("表二", "B14", "VAL-FEE")])
def test_a_formula_without_a_cached_result_is_its_own_finding(tmp_path, sheet, ref, rule):
    """As openpyxl or any non-calculating tool writes it: <f> and no <v>."""
    path = _set_xml(tmp_path, sheet, ref, b"><f>SUM(D4:I4)</f></c>")
    code, findings = _check(path)
    assert code == 1
    [finding] = findings
    assert (finding["rule"], finding["cells"][0]["ref"], finding["actual"]) == (rule, f"{sheet}!{ref}", "=SUM(D4:I4)")
    assert "公式没有计算结果" in finding["message"] and "请在 Excel 中打开并保存后再校验" in finding["message"]
    assert "未填写" not in finding["message"]


def test_a_formula_with_an_empty_text_result_is_an_empty_cell(tmp_path):
    """Excel's stored result of =IF(…,"",…) is an empty string, not a missing result."""
    path = _set_xml(tmp_path, "表三", "D4", b' t="str"><f>IF(1,"",1)</f><v></v></c>')
    code, findings = _check(path)
    assert code == 1 and [(f["rule"], f["message"]) for f in findings][0][0] == "VAL-EMPTY"
    assert "未填写" in findings[0]["message"]


def test_a_date_formula_without_a_result_says_so(tmp_path):
    path = _set_xml(tmp_path, "封面", "B7", b"><f>TODAY()</f></c>")
    code, findings = _check(path)
    assert code == 1
    [finding] = [f for f in findings if f["rule"] == "META-DATE"]
    assert "公式没有计算结果" in finding["message"] and finding["actual"] == "=TODAY()"


# --------------------------------------------------------------------------- names and kinds


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["noext", "报告.xlsx.1", "报告(1).xlsx.download", "报告.zip", "工作簿.json", "报告.XLSX"]
)
def test_a_workbook_is_read_whatever_it_is_called(tmp_path, name):
    path = tmp_path / name
    shutil.copyfile(FENXI, path)
    result = run_cli("check", path)
    assert result.code == 0 and "校验通过" in result.out, result.err
    assert _export(path, tmp_path) == _export(FENXI, tmp_path)


def test_json_named_otherwise_is_still_json(tmp_path):
    path = tmp_path / "报告.txt"
    shutil.copyfile(SOURCE_JSON, path)
    assert run_cli("check", path).code == 0


# --------------------------------------------------------------------------- text numbers


def test_a_text_number_is_read_and_flagged(workbook_copy, tmp_path):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表三"]["D4"].value = "3"
    wb["表三"]["D4"].data_type = "s"
    wb.save(path)
    code, findings = _check(path)
    assert code == 0
    assert [(f["rule"], f["severity"], f["cells"][0]["ref"]) for f in findings] == [("VAL-TEXT", "warning", "表三!D4")]
    assert _export(path, tmp_path)["applications"]["new"]["natural_person"] == 3


def test_json_figures_are_never_text_findings(tmp_path):
    """A fee is a string in the JSON by design: VAL-TEXT concerns cells only."""
    code, findings = _check(SOURCE_JSON)
    assert code == 0 and findings == []


def test_the_template_marks_text_in_every_figure_cell(fmt):
    """Conditional format =ISTEXT(top-left) over every count and money cell (yellow, as a 提示)."""
    from conftest import TEMPLATE

    wb = openpyxl.load_workbook(TEMPLATE)
    covered: set[tuple[str, str]] = set()
    for cell in (*fmt.cells, *fmt.baseline_cells):
        if cell.kind not in ("count", "money"):
            continue
        for rng in wb[cell.sheet].conditional_formatting:
            if cell.ref in rng.sqref and any(r.formula and r.formula[0].startswith("ISTEXT(") for r in rng.rules):
                covered.add((cell.sheet, cell.ref))
    expected = {(c.sheet, c.ref) for c in (*fmt.cells, *fmt.baseline_cells) if c.kind in ("count", "money")}
    assert covered == expected and len(expected) > 200


# --------------------------------------------------------------------------- messages


def _cover_edit(workbook_copy, ref, value, data_type=None):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    ws = wb["封面"]
    ws[ref].value = value
    if data_type:
        ws[ref].data_type = data_type
    wb.save(path)
    return path


@pytest.mark.slow
def test_a_publication_date_with_a_time_says_remove_the_time(workbook_copy):
    path = _cover_edit(workbook_copy, "B7", dt.datetime(2024, 1, 20, 9, 30))
    code, findings = _check(path)
    [finding] = [f for f in findings if f["rule"] == "META-DATE"]
    assert "请去掉时间" in finding["message"] and finding["actual"] == "2024-01-20 09:30"
    assert "无法识别" not in finding["message"]


def test_a_publication_date_at_midnight_is_that_date(workbook_copy, tmp_path):
    path = _cover_edit(workbook_copy, "B7", dt.datetime(2024, 1, 20, 0, 0))
    assert _check(path) == (0, [])
    assert _export(path, tmp_path)["published_on"] == "2024-01-20"


def test_template_version_typed_as_text_is_that_version(workbook_copy):
    path = _cover_edit(workbook_copy, FMT.version_cell[1], str(FMT.template_version), "s")
    assert run_cli("check", path).code == 0


def test_a_version_that_differs_is_quoted_plainly(workbook_copy):
    path = _cover_edit(workbook_copy, FMT.version_cell[1], "2", "s")
    result = run_cli("check", path)
    assert result.code == 2 and "模板版本为“2”，本工具读取的是第 1 版模板" in result.err


def test_the_format_marker_with_stray_spaces_is_recognised(workbook_copy):
    path = _cover_edit(workbook_copy, FMT.marker_cell[1], f"{FMT.id} ")
    assert run_cli("check", path).code == 0


def test_an_edited_cover_title_is_not_a_structure_change(workbook_copy):
    path = _cover_edit(workbook_copy, "A1", "某某县人民政府办公室 2023 年度报告数据")
    assert run_cli("check", path).code == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "typed,hint",
    [
        ("街道", "街道办事处请选“乡镇”"),
        ("某某镇", "请选“乡镇”"),
        ("县政府部门", "请选“部门”"),
        ("县人民政府", "请选“政府”"),
    ],
)
def test_body_type_written_otherwise_gets_the_choice_it_means(workbook_copy, typed, hint):
    path = _cover_edit(workbook_copy, "B5", typed)
    code, findings = _check(path)
    [finding] = [f for f in findings if f["rule"] == "META-TYPE"]
    assert code == 1 and hint in finding["message"] and f"现为“{typed}”" in finding["message"]


@pytest.mark.parametrize(
    "raw",
    [
        dt.datetime(2024, 1, 20, 9, 30),
        "2024-01-20 09:30:15",
        "2024/1/20 9:30",
        "2024-01-20T09:30",
        "2024年1月20日 09:30",
    ],
)
def test_a_date_with_a_time_of_day_is_told_so_whether_cell_or_text(raw):
    from validator.values import date_problem, to_date

    assert to_date(raw) is None
    assert date_problem(raw).startswith("带有时刻")


@pytest.mark.parametrize("raw", ["二〇二四年一月二十日", "2024-02-30 09:30", "09:30", "2024年1月"])
def test_other_unreadable_dates_are_not_said_to_carry_a_time(raw):
    from validator.values import date_problem

    assert date_problem(raw).startswith("无法识别")
