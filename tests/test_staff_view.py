"""What staff see on paper and on screen: the colour key, warnings apart from input cells,
natural 自动核对 wording, and a short answer for a blank workbook."""

from __future__ import annotations

import json

import openpyxl
import pytest

from validator.formats import get_format
from validator.formats.live import live_checks
from validator.workbook import styles

from conftest import REPORTS, run_cli


def test_warning_colour_differs_from_input_and_error_and_the_cover_explains_all_three(tmp_path):
    assert len({styles.INPUT_FILL, styles.ERROR_FILL, styles.WARNING_FILL}) == 3
    assert styles.WARNING_FILL not in styles.OLD_WARNING_FILLS
    assert run_cli("template", "-o", tmp_path).code == 0
    cover = openpyxl.load_workbook(tmp_path / "xxgk-template-gb-2021-30.xlsx")["封面"]
    key = {}
    for row in cover.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(("浅黄色", "红色", "橙色", "紫色")):
                key[cell.value[:2]] = cover.cell(cell.row, 1).fill.fgColor.rgb
    assert key == {
        "浅黄": "FF" + styles.INPUT_FILL[1:],
        "红色": "FF" + styles.ERROR_FILL[1:],
        "橙色": "FF" + styles.WARNING_FILL[1:],
        "紫色": "FF" + styles.SUSPECT_FILL[1:],
    }
    assert len({styles.INPUT_FILL, styles.ERROR_FILL, styles.WARNING_FILL, styles.SUSPECT_FILL}) == 4


def test_live_checks_say_correct_or_state_the_discrepancy_and_nothing_on_an_empty_table():
    fmt = get_format()
    for check in live_checks(fmt):
        assert check.initial == "", check.ref  # the empty template claims nothing
        assert '"正确"' in check.formula and "正常" not in check.formula, check.ref
        assert "应为" not in check.formula and ('"不平：' in check.formula or '"不符：' in check.formula), check.ref
    headers = [lb.text for lb in fmt.labels if lb.text.startswith("自动核对")]
    assert "自动核对" in headers and not any(h.endswith("应为") for h in headers)
    notes = [lb for lb in fmt.labels if lb.text.startswith("紫色格：可能填错")]
    assert {lb.sheet for lb in notes} == {"表三", "表四"}  # the marks are explained where they show


@pytest.mark.slow
def test_a_blank_workbook_gets_a_short_grouped_answer(tmp_path):
    assert run_cli("template", "-o", tmp_path).code == 0
    blank = tmp_path / "xxgk-template-gb-2021-30.xlsx"
    result = run_cli("check", blank, "--annotate", tmp_path / "marked.xlsx")
    assert result.code == 1
    lines = result.out.splitlines()
    assert (
        "11–185. [错误] 表三 尚有 175 个单元格未填写（没有数据请填 0；逐格清单见 --annotate 另存副本的“校验结果”表或 --json 输出）"
        in lines
    )
    assert (
        " 1–10. [错误] 表二 尚有 10 个单元格未填写（没有数据请填 0；逐格清单见 --annotate 另存副本的“校验结果”表或 --json 输出）"
        in lines
    )
    assert "VAL-EMPTY" not in result.out and len(lines) < 30
    findings = json.loads(run_cli("check", blank, "--json").out)["findings"]
    assert sum(f["rule"] == "VAL-EMPTY" for f in findings) == 200  # the full list stays in JSON
    rows = openpyxl.load_workbook(tmp_path / "marked.xlsx")["校验结果"].iter_rows(min_row=4, values_only=True)
    assert sum(r[1] == "VAL-EMPTY" for r in rows) == 200  # … and in 校验结果


def test_a_few_blank_cells_are_still_listed_one_by_one(workbook_copy):
    path = workbook_copy("pingtan_2021")
    wb = openpyxl.load_workbook(path)
    wb["表三"]["D4"] = None
    wb.save(path)
    out = run_cli("check", path).out
    assert "[错误] 表三!D4" in out and "尚有" not in out
    assert "VAL-EMPTY" not in out  # rule ids stay in --json and 校验结果's 规则 column


@pytest.mark.slow
def test_example_and_fixtures_print_the_same_status_as_a_fresh_check():
    for path in REPORTS.glob("*.xlsx"):
        status = openpyxl.load_workbook(path)["封面"]["B13"].value
        assert status == run_cli("check", path).out.splitlines()[0].split("：", 1)[1], path.name
