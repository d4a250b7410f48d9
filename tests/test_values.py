"""Cell content is turned into numbers strictly, cell by cell, on real workbooks.

汾西 表三!D4 (本年新收·自然人) holds 3. Each case writes another spelling of a value into that
cell of a copy of the real workbook and runs `xxgk check --json` on it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import openpyxl
import pytest

from validator.values import CellError, Problem, Uncalculated, to_count, to_money

from conftest import run_cli

KEY = "applications.new.natural_person"


def _check_with(path, sheet, ref, value, data_type=None):
    wb = openpyxl.load_workbook(path)
    cell = wb[sheet][ref]
    cell.value = value
    if data_type:
        cell.data_type = data_type
    wb.save(path)
    result = run_cli("check", path, "--json")
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)


THREES = [3, 3.0, 3.0000000000000004, "3", "３", " 3 ", "3.0", "\u00a03\u00a0", "3\n", "３．０", "\u30003"]


@pytest.mark.slow
@pytest.mark.parametrize("value", THREES, ids=[repr(v) for v in THREES])
def test_spellings_of_three_are_three(workbook_copy, tmp_path, value):
    """A number cell passes silently; text that is plainly 3 is read as 3 with one 提示 (VAL-TEXT):
    Excel's SUM and the sheet's live checks skip text (the template marks such cells too)."""
    path = workbook_copy()
    code, report = _check_with(path, "表三", "D4", value)
    assert code == 0
    if isinstance(value, str):
        [finding] = report["findings"]
        assert (finding["rule"], finding["severity"], finding["cells"]) == (
            "VAL-TEXT",
            "warning",
            [{"ref": "表三!D4", "key": KEY}],
        )
        assert "文本格式的数字" in finding["message"]
    else:
        assert report["findings"] == []
    out = tmp_path / "out.json"
    assert run_cli("export", path, "-o", out).code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["applications"]["new"]["natural_person"] == 3


BAD = [
    ("3件", "VAL-INT", "3件", "不要带单位"),
    ("三", "VAL-INT", "三", "阿拉伯数字"),
    ("/", "VAL-EMPTY", "/", "没有数据请填 0"),
    ("—", "VAL-EMPTY", "—", "没有数据请填 0"),
    ("-", "VAL-EMPTY", "-", "没有数据请填 0"),
    (None, "VAL-EMPTY", "", "未填写"),
    ("  ", "VAL-EMPTY", "", "未填写"),
    (3.5, "VAL-INT", "3.5", "不能有小数"),
    (-1, "VAL-INT", "-1", "不能为负数"),
    ("-1", "VAL-INT", "-1", "不能为负数"),
    (dt.datetime(2024, 1, 3), "VAL-INT", "2024-01-03", "日期格式"),
    (True, "VAL-INT", "TRUE", "逻辑值"),
    # never guessed: each of these used to be read as a number
    ("3\n5", "VAL-INT", "3\n5", "数字中间有空格或换行"),
    ("1 2", "VAL-INT", "1 2", "数字中间有空格或换行"),
    ("1\u20092", "VAL-INT", "1\u20092", "数字中间有空格或换行"),
    ("3¹", "VAL-INT", "3¹", "含有“¹”"),
    ("②", "VAL-INT", "②", "含有“②”"),
    ("٣", "VAL-INT", "٣", "请用普通阿拉伯数字 0–9 填写"),
    ("३", "VAL-INT", "३", "请用普通阿拉伯数字 0–9 填写"),
    ("1.000", "VAL-INT", "1.000", "看不出是小数还是千位分隔"),
    ("1,23", "VAL-INT", "1,23", "千位分隔符的位置不对"),
    ("3\u200b", "VAL-INT", "3\u200b", "零宽空格 U+200B"),
]


@pytest.mark.parametrize("value,rule,actual,hint", BAD, ids=[repr(b[0]) for b in BAD])
def test_bad_values_are_findings_on_that_cell(workbook_copy, value, rule, actual, hint):
    path = workbook_copy()
    code, report = _check_with(path, "表三", "D4", value)
    assert code == 1
    findings = report["findings"]
    assert [(f["rule"], f["cells"]) for f in findings] == [(rule, [{"ref": "表三!D4", "key": KEY}])]
    assert findings[0]["actual"] == actual
    assert hint in findings[0]["message"] and "表三" in findings[0]["message"]


def test_a_control_character_in_a_figure_is_refused_naming_the_cell(workbook_copy):
    """Excel's escape for BEL, decoded: like control characters in any cell, it cannot go into the
    JSON (not even as a forced export's unreadable text), so the workbook is refused with the cell."""
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表三"]["D4"].value = "3_x0007_"
    wb.save(path)
    result = run_cli("check", path, "--json")
    assert result.code == 2
    assert "表三!D4" in result.err and "控制字符" in result.err
    assert json.loads(result.out)["error"]["code"] == "bad-text"


def test_formula_error_is_a_finding(workbook_copy):
    path = workbook_copy()
    code, report = _check_with(path, "表三", "D4", "#DIV/0!", data_type="e")
    assert code == 1
    [finding] = report["findings"]
    assert (finding["rule"], finding["actual"]) == ("VAL-INT", "#DIV/0!")
    assert "公式出错" in finding["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "value,rule", [("1.5万元", "VAL-FEE"), (-2, "VAL-FEE"), ("/", "VAL-EMPTY"), ("abc", "VAL-FEE")]
)
def test_bad_fee_values(workbook_copy, value, rule):
    path = workbook_copy()
    code, report = _check_with(path, "表二", "B14", value)
    assert code == 1
    assert [(f["rule"], f["cells"][0]["ref"]) for f in report["findings"]] == [(rule, "表二!B14")]


def test_fee_keeps_exact_decimals(workbook_copy, tmp_path):
    path = workbook_copy("pingtan_2021")
    out = tmp_path / "p.json"
    assert run_cli("export", path, "-o", out).code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["proactive"]["fees"]["amount_wan_yuan"] == "24252.311082"


@pytest.mark.parametrize(
    "raw,expected",
    [
        (0, 0),
        ("0", 0),
        ("1,234", 1234),
        ("1，234", 1234),
        ("1,234,567", 1234567),
        ("１２", 12),
        (7.0, 7),
        (Decimal("5"), 5),
        ("12\n", 12),
        ("3.00", 3),
        (3.0000000000000004, 3),
        (2.9999999999999996, 3),
        (0.1 + 0.2 - 0.3 + 7, 7),
    ],
)
def test_to_count_accepts(raw, expected):
    assert to_count(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "1,23",
        "1e3",
        "0x10",
        "二十",
        "十二件",
        float("nan"),
        float("inf"),
        10**15,
        CellError("#REF!"),
        dt.date(2024, 1, 1),
        dt.time(1, 2),
        "1.000",
        "1.234",
        "3.5",
        "+3",
        "(3)",
        "３ ５",
        "⑩",
        "Ⅲ",
        "𝟑",
        "3.0000000000000004",
        3.000000000001,
        Uncalculated("1+2"),
        "3\x1f",
        "\x0b3",
        "3\x0c",
    ],
)
def test_to_count_rejects(raw):
    assert isinstance(to_count(raw), Problem)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("0", Decimal(0)),
        (0.5, Decimal("0.5")),
        ("0.50", Decimal("0.5")),
        (96171.6, Decimal("96171.6")),
        ("1,000.25", Decimal("1000.25")),
        (100, Decimal(100)),
        ("１.５", Decimal("1.5")),
        ("１．５", Decimal("1.5")),
        ("1.000", Decimal(1)),
        (-0.0, Decimal(0)),
        # floats as Excel shows them (15 significant digits)
        (75412.09 / 10000, Decimal("7.541209")),
        (1.1 + 2.2, Decimal("3.3")),
        (0.1 + 0.2, Decimal("0.3")),
        (1 / 3, Decimal("0.333333333333333")),
        (123456789012.34, Decimal("123456789012.34")),
    ],
)
def test_to_money_accepts(raw, expected):
    value = to_money(raw)
    assert value == expected and str(value) == str(expected)


@pytest.mark.parametrize(
    "raw,hint",
    [
        ("1 000", "数字中间有空格"),
        ("3\u200b", "零宽空格 U+200B"),
        ("²", "含有“²”"),
        ("1,000,00", "千位分隔符"),
        ("100元", "单位已是万元"),
        ("1.2.3", ""),
        (Uncalculated("A1/10000"), "公式没有计算结果"),
    ],
)
def test_to_money_rejects_with_a_reason(raw, hint):
    problem = to_money(raw)
    assert isinstance(problem, Problem) and problem.rule == "VAL-FEE" and hint in problem.hint
