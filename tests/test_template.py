"""The committed template is exactly what the builder makes from the format data.

Like XlsxWriter's own tests, the comparison is part by part (each XML file in the zip), so a
failure names the part that drifted instead of saying "bytes differ".
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from validator.formats.live import live_checks, live_marks
from validator.spec import split_ref
from validator.values import MAX_COUNT
from validator.workbook import styles
from validator.workbook.build import template_bytes

from conftest import TEMPLATE


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_two_builds_are_byte_identical(fmt):
    assert template_bytes(fmt) == template_bytes(fmt)


def test_committed_template_matches_a_fresh_build_part_by_part(fmt):
    fresh, committed = _parts(template_bytes(fmt)), _parts(TEMPLATE.read_bytes())
    assert sorted(fresh) == sorted(committed), "the set of parts differs: run `uv run xxgk template`"
    for name in fresh:
        assert fresh[name] == committed[name], f"part {name} differs: run `uv run xxgk template`"
    assert template_bytes(fmt) == TEMPLATE.read_bytes()


@pytest.fixture(scope="module")
def wb():
    return openpyxl.load_workbook(TEMPLATE)


def test_sheets_in_order(wb, fmt):
    assert wb.sheetnames == [s.name for s in fmt.sheets]


def test_every_label_at_its_place(wb, fmt):
    for label in fmt.labels:
        assert wb[label.sheet][label.ref].value == label.text, f"{label.sheet}!{label.ref}"


def test_merged_headers_follow_the_format(wb, fmt):
    for label in fmt.labels:
        if label.merge_to:
            assert f"{label.ref}:{label.merge_to}" in {str(r) for r in wb[label.sheet].merged_cells.ranges}


def test_official_table3_layout(wb):
    ws = wb["表三"]
    assert ws["A1"].value == "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    assert [ws.cell(3, c).value for c in range(5, 10)] == [
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
    ]
    assert ws["A4"].value == "一、本年新收政府信息公开申请数量"
    assert ws["A6"].value == "三、本年度办理结果"
    assert ws["B27"].value == "（七）总计"
    assert ws["C25"].value == "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"
    assert ws["A28"].value == "四、结转下年度继续办理"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:C3", "D1:J1", "D2:D3", "E2:I2", "J2:J3", "A6:A27", "B8:B15", "B16:B18", "B19:B23", "B24:B26"} <= merged


def test_input_cells_unlocked_shaded_named_and_validated(wb, fmt):
    names = wb.defined_names
    for cell in (*fmt.cells, *fmt.baseline_cells):
        c = wb[cell.sheet][cell.ref]
        assert c.protection.locked is False, cell.a1
        assert c.fill.fgColor.rgb == "FF" + styles.INPUT_FILL[1:], cell.a1
        dest = list(names[cell.defined_name].destinations)
        row, col = split_ref(cell.ref)
        assert dest == [(cell.sheet, f"${openpyxl.utils.get_column_letter(col + 1)}${row + 1}")]
        if cell.kind in ("count", "money", "year", "date", "choice"):
            ws = wb[cell.sheet]
            kinds = [dv.type for dv in ws.data_validations.dataValidation if cell.ref in dv.sqref]
            expected = {"count": "whole", "year": "whole", "money": "decimal", "date": "date", "choice": "list"}
            assert kinds == [expected[cell.kind]], cell.a1


def test_count_validation_rejects_negatives(wb):
    dv = next(dv for dv in wb["表三"].data_validations.dataValidation if "D4" in dv.sqref)
    assert dv.type == "whole" and dv.operator in (None, "between")  # between is the default
    assert (dv.formula1, dv.formula2) == ("0", str(MAX_COUNT))
    assert dv.showErrorMessage and "非负整数" in dv.error


def test_labels_and_checks_are_locked_and_sheets_protected(wb, fmt):
    for label in fmt.labels:
        assert wb[label.sheet][label.ref].protection.locked is not False
    for sheet in fmt.sheets:
        assert wb[sheet.name].protection.sheet is True


def test_print_setup_a4(wb, fmt):
    from validator.workbook.build import PORTRAIT_WIDTH, _grows, _print_width, _text_rows

    for sheet in fmt.sheets:
        ws = wb[sheet.name]
        assert ws.page_setup.paperSize == 9
        wide = sheet.landscape or _print_width(sheet) > PORTRAIT_WIDTH  # too wide for portrait at 100 %
        assert ws.page_setup.orientation == ("landscape" if wide else "portrait")
        if _text_rows(fmt, sheet):  # 文字部分: at 100 %, a part per page (fit-to-page drops page breaks)
            assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
            continue
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default, left out of the file
        tall = ws.page_setup.fitToHeight
        assert (1 if tall is None else tall) == (0 if _grows(fmt, sheet) else 1), sheet.name  # tables: one page
    assert wb[fmt.results_sheet].print_title_rows == f"$1:${fmt.results_header_row}"  # repeated on every page


def test_live_checks_have_formulas_and_conditional_formats(wb, fmt):
    def rules_at(ws, ref):
        return [r for rng in ws.conditional_formatting for r in rng.rules if ref in rng.sqref]

    for check in live_checks(fmt):
        ws = wb[check.sheet]
        assert ws[check.ref].value == check.formula
        assert any(r.formula == [check.bad_when.lstrip("=")] for r in rules_at(ws, check.ref)), check.ref
    for mark in live_marks(fmt):
        rules = [r for rng in wb[mark.sheet].conditional_formatting for r in rng.rules if str(rng.sqref) == mark.ref]
        assert any(r.formula == [mark.when.lstrip("=")] for r in rules), mark.ref
    # every row and column of 表三, the balance of each column and each 表四 group is checked live
    checks = {(c.sheet, c.ref) for c in live_checks(fmt)}
    assert {("表三", f"K{r}") for r in range(4, 29)} <= checks
    assert {("表三", f"{c}{r}") for c in "DEFGHIJ" for r in (29, 30)} <= checks
    assert {("表四", "E6"), ("表四", "J6"), ("表四", "O6")} <= checks
    # no total turns red for a check it fails: a correct total beside a wrong part would be blamed
    totals = {("表三", f"J{r}") for r in range(4, 29)} | {("表四", "E4")}
    for sheet, ref in totals:
        assert not [r for r in rules_at(wb[sheet], ref) if "NOT(" in (r.formula or [""])[0]], ref


def test_template_marks_its_format(wb, fmt):
    sheet, ref = fmt.marker_cell
    assert wb[sheet][ref].value == fmt.id
    sheet, ref = fmt.version_cell
    assert wb[sheet][ref].value == fmt.template_version
