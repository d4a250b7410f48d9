"""Each rule fires on a deliberately broken copy of a real report, and not on the real reports.

Breaking one cell usually breaks more than one sum (a cell sits in a row and a column), so
each case lists every 错误 rule it must raise and pins the rule under test to its cell and
expected value.
"""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from validator.formats import get_format

from conftest import REPORT_NAMES, REPORTS, run_cli

ARITHMETIC = ("VAL-", "T2-", "T3-", "T4-")


def _edit(path, edits: dict[str, object]) -> None:
    wb = openpyxl.load_workbook(path)
    for where, value in edits.items():
        sheet, ref = where.split("!")
        cell = wb[sheet][ref]
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
    wb.save(path)


def _check(*args) -> tuple[int, list[dict]]:
    result = run_cli("check", *args, "--json")
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)["findings"]


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_real_reports_pass_every_arithmetic_rule(name):
    code, findings = _check(REPORTS / f"{name}.xlsx")
    assert code == 0
    assert [f for f in findings if f["rule"].startswith(ARITHMETIC)] == []
    assert [f for f in findings if f["severity"] == "error"] == []


BROKEN = [
    # (report, {cell: new value}, rule under test, its cell, expected, actual, all 错误 rules raised)
    ("fenxi-zfb_2023", {"表三!J4": 4}, "T3-COL-TOTAL", "表三!J4", 3, 4, {"T3-COL-TOTAL", "T3-BALANCE"}),
    (
        "huaian-shi_2024",
        {"表三!D27": 2900},
        "T3-RESULT-SUM",
        "表三!D27",
        2932,
        2900,
        {"T3-RESULT-SUM", "T3-COL-TOTAL", "T3-BALANCE"},
    ),
    ("huaian-shi_2024", {"表三!D28": 104}, "T3-BALANCE", "表三!D28", 3035, 3036, {"T3-BALANCE", "T3-COL-TOTAL"}),
    ("huaian-shi_2024", {"表四!A4": 73}, "T4-SUM-REVIEW", "表四!E4", 352, 351, {"T4-SUM-REVIEW"}),
    ("huaian-shi_2024", {"表四!J4": 27}, "T4-SUM-LIT-DIRECT", "表四!J4", 26, 27, {"T4-SUM-LIT-DIRECT"}),
    ("pingtan_2021", {"表四!O4": 1}, "T4-SUM-LIT-AFTER", "表四!O4", 0, 1, {"T4-SUM-LIT-AFTER"}),
    ("pingtan_2021", {"表三!I28": "3件"}, "VAL-INT", "表三!I28", None, "3件", {"VAL-INT"}),
    ("fenxi-zfb_2023", {"表二!C3": "/"}, "VAL-EMPTY", "表二!C3", None, "/", {"VAL-EMPTY"}),
    ("fenxi-zfb_2023", {"表二!B14": "-3"}, "VAL-FEE", "表二!B14", None, "-3", {"VAL-FEE"}),
    ("fenxi-zfb_2023", {"封面!B4": None}, "META-BODY", "封面!B4", None, "", {"META-BODY"}),
    ("fenxi-zfb_2023", {"封面!B5": "事业单位"}, "META-TYPE", "封面!B5", "政府、部门、乡镇", "事业单位", {"META-TYPE"}),
    ("fenxi-zfb_2023", {"封面!B6": 2019}, "META-YEAR", "封面!B6", None, "2019", {"META-YEAR"}),
    (
        "fenxi-zfb_2023",
        {"封面!B7": dt.datetime(2023, 12, 20)},
        "META-DATE",
        "封面!B7",
        "2024-01-01 或以后",
        "2023-12-20",
        {"META-DATE"},
    ),
    ("fenxi-zfb_2023", {"封面!B7": "下个月"}, "META-DATE", "封面!B7", None, "下个月", {"META-DATE"}),
]


@pytest.mark.parametrize("name,edits,rule,ref,expected,actual,errors", BROKEN, ids=[f"{b[2]}:{b[3]}" for b in BROKEN])
def test_broken_copy_fires_the_rule(workbook_copy, name, edits, rule, ref, expected, actual, errors):
    path = workbook_copy(name)
    _edit(path, edits)
    code, findings = _check(path)
    assert code == 1
    assert {f["rule"] for f in findings if f["severity"] == "error"} == errors
    hit = [f for f in findings if f["rule"] == rule and f["cells"][0]["ref"] == ref]
    assert len(hit) == 1, findings
    assert (hit[0]["expected"], hit[0]["actual"]) == (expected, actual)
    assert hit[0]["message"] and hit[0]["cells"][0]["key"]


WARNINGS = [
    ("huaian-shi_2024", {"表二!B3": 20}, "T2-VALID-FLOOR", "表二!D3", 20, 11),
    ("fenxi-zfb_2023", {"封面!B7": dt.datetime(2024, 2, 15)}, "DATE-DEADLINE", "封面!B7", "2024-01-31", "2024-02-15"),
    ("fenxi-zfb_2023", {"封面!B8": "14102"}, "META-REGION", "封面!B8", None, "14102"),
    ("fenxi-zfb_2023", {"文字部分!A8": "本报告电子版可从门户网站下载。"}, "SEC6-FEE", "文字部分!A8", None, None),
    ("fenxi-zfb_2023", {"文字部分!A6": "今年工作做得很好。"}, "SEC5-CONTENT", "文字部分!A6", None, None),
    ("fenxi-zfb_2023", {"文字部分!A4": None}, "TXT-MISSING", "文字部分!A4", None, ""),
    ("fenxi-zfb_2023", {"文字部分!A6": "改进措施：" + "问题" * 1200}, "TXT-LONG", "文字部分!A6", None, None),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,edits,rule,ref,expected,actual", WARNINGS, ids=[w[2] for w in WARNINGS])
def test_warnings_fire_but_do_not_fail_the_check(workbook_copy, name, edits, rule, ref, expected, actual):
    path = workbook_copy(name)
    _edit(path, edits)
    code, findings = _check(path)
    assert code == 0
    hit = [f for f in findings if f["rule"] == rule]
    assert len(hit) == 1 and hit[0]["severity"] == "warning" and hit[0]["cells"][0]["ref"] == ref
    assert (hit[0]["expected"], hit[0]["actual"]) == (expected, actual)


def test_narrative_numbers_are_compared_with_the_tables(workbook_copy):
    path = workbook_copy("fenxi-zfb_2023")
    wb = openpyxl.load_workbook(path)
    text = wb["文字部分"]["A4"].value
    assert "共受理政府信息公开申请3件，依法办结3件" in text
    _edit(path, {"文字部分!A4": text.replace("共受理政府信息公开申请3件", "共受理政府信息公开申请5件")})
    code, findings = _check(path)
    assert code == 0  # a 提示, never an error: scopes differ in real reports
    [hit] = [f for f in findings if f["rule"] == "TXT-T3"]
    assert (hit["expected"], hit["actual"], hit["cells"][0]["ref"]) == (3, 5, "表三!J4")
    assert "受理政府信息公开申请5件" in hit["message"]


def test_fee_dropped_applications_need_a_fee_notice_statement():
    code, findings = _check(REPORTS / "huaian-shi_2024.xlsx")
    [hit] = [f for f in findings if f["rule"] == "SEC6-FEE-T3"]
    assert hit["actual"] == 6 and hit["cells"][0]["ref"] == "表三!J25"


# ----------------------------------------------------------------------------- cross-year


def _last_year(tmp_path, **changes) -> str:
    doc = json.loads((REPORTS / "fenxi-zfb_2023.source.json").read_text(encoding="utf-8"))
    doc["year"], doc["published_on"] = 2022, "2023-01-20"
    for path, value in changes.items():
        node = doc
        *parents, leaf = path.split(".")
        for p in parents:
            node = node[p]
        node[leaf] = value
    target = tmp_path / "last.json"
    target.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(target)


def test_cross_year_clean_when_figures_follow(tmp_path):
    last = _last_year(tmp_path)
    code, findings = _check(REPORTS / "fenxi-zfb_2023.xlsx", "--last-year", last)
    assert code == 0 and [f for f in findings if f["rule"].startswith("XY-")] == []


def test_carry_over_must_equal_last_years_carried_forward(tmp_path):
    last = _last_year(
        tmp_path, **{"applications.carried_forward.natural_person": 2, "applications.carried_forward.total": 2}
    )
    code, findings = _check(REPORTS / "fenxi-zfb_2023.xlsx", "--last-year", last)
    assert code == 1
    hits = {f["cells"][0]["ref"]: f for f in findings if f["rule"] == "XY-T3-CARRY"}
    assert set(hits) == {"表三!D5", "表三!J5"}
    assert (hits["表三!D5"]["expected"], hits["表三!D5"]["actual"]) == (2, 0)
    assert hits["表三!D5"]["cells"][1] == {
        "ref": "上年数据!B6",
        "key": "last_year.applications.carried_forward.natural_person",
    }


def test_in_force_follows_last_year(tmp_path):
    last = _last_year(tmp_path, **{"proactive.normative_documents.in_force": 18})
    code, findings = _check(REPORTS / "fenxi-zfb_2023.xlsx", "--last-year", last)
    assert code == 0
    [hit] = [f for f in findings if f["rule"] == "XY-T2-VALID"]
    assert (hit["cells"][0]["ref"], hit["expected"], hit["actual"]) == ("表二!D4", 18, 20)


def test_last_year_must_be_the_previous_year(tmp_path):
    last = _last_year(tmp_path, year=2021)
    code, findings = _check(REPORTS / "fenxi-zfb_2023.xlsx", "--last-year", last)
    assert code == 1 and [f["rule"] for f in findings if f["severity"] == "error"] == ["XY-YEAR"]


def test_pending_cases_from_last_year(tmp_path):
    last = _last_year(tmp_path, **{"review_litigation.review.pending": 2, "review_litigation.review.total": 2})
    code, findings = _check(REPORTS / "fenxi-zfb_2023.xlsx", "--last-year", last)
    [hit] = [f for f in findings if f["rule"] == "XY-T4-PENDING"]
    assert hit["cells"][0]["ref"] == "表四!E4" and "2 件" in hit["message"]


@pytest.mark.slow
def test_new_from_last_year_carries_figures_into_the_workbook(tmp_path):
    out = tmp_path / "next.xlsx"
    source = REPORTS / "huaian-shi_2024.source.json"
    result = run_cli("new", "--from", source, "-o", out)
    assert result.code == 0, result.err
    wb = openpyxl.load_workbook(out)
    assert wb["封面"]["B4"].value == "淮安市人民政府" and wb["封面"]["B6"].value == 2025
    assert [wb["表三"].cell(5, c).value for c in range(4, 11)] == [103, 0, 0, 0, 0, 0, 103]
    assert wb["上年数据"]["B4"].value == 2024
    assert [wb["上年数据"][f"B{r}"].value for r in range(6, 18)] == [103, 0, 0, 0, 0, 0, 103, 11, 66, 37, 1, 6]
    # the cross-year checks run from the carried-in sheet alone: change 上年结转 and XY-T3-CARRY fires
    _edit(out, {"表三!D5": 100})
    code, findings = _check(out)
    carry = [f for f in findings if f["rule"] == "XY-T3-CARRY"]
    assert [(f["cells"][0]["ref"], f["expected"], f["actual"]) for f in carry] == [("表三!D5", 103, 100)]


# ----------------------------------------------------------------------------- profiles


def test_profile_switches_rules_off_and_changes_severity(workbook_copy, tmp_path):
    path = workbook_copy("fenxi-zfb_2023")
    _edit(path, {"表三!J4": 4})
    profile = tmp_path / "local.toml"
    profile.write_text(
        '[rules.T3-BALANCE]\nseverity = "提示"\n\n[rules.T3-COL-TOTAL]\nenabled = false\n', encoding="utf-8"
    )
    code, findings = _check(path, "--profile", profile)
    assert code == 0
    assert {(f["rule"], f["severity"]) for f in findings} >= {("T3-BALANCE", "warning")}
    assert not [f for f in findings if f["rule"] == "T3-COL-TOTAL"]


def test_profile_sets_a_local_township_deadline(workbook_copy, tmp_path):
    path = workbook_copy("fenxi-zfb_2023")
    _edit(path, {"封面!B5": "乡镇"})
    assert not [f for f in _check(path)[1] if f["rule"] == "DATE-DEADLINE"]
    profile = tmp_path / "town.toml"
    profile.write_text('[deadlines]\n"乡镇" = "01-20"\n', encoding="utf-8")
    [hit] = [f for f in _check(path, "--profile", profile)[1] if f["rule"] == "DATE-DEADLINE"]
    assert hit["expected"] == "2024-01-20"


@pytest.mark.parametrize(
    "text,needle",
    [
        ("[rules.NO-SUCH]\nenabled = false\n", "NO-SUCH"),
        ('[rules.T3-BALANCE]\nseverity = "严重"\n', "严重"),
        ("not toml [", "TOML"),
    ],
)
def test_bad_profiles_are_refused_clearly(tmp_path, text, needle):
    profile = tmp_path / "bad.toml"
    profile.write_text(text, encoding="utf-8")
    result = run_cli("check", REPORTS / "fenxi-zfb_2023.xlsx", "--profile", profile)
    assert result.code == 2 and needle in result.err and "Traceback" not in result.err


def test_new_workbook_is_not_flagged_before_staff_fill_it(tmp_path):
    out = tmp_path / "next.xlsx"
    assert run_cli("new", "--from", REPORTS / "fenxi-zfb_2023.source.json", "-o", out).code == 0
    wb = openpyxl.load_workbook(out)
    assert wb["封面"]["B13"].value == "未校验"
    assert wb["校验结果"]["B4"].value is None
    assert all(wb[c.sheet][c.ref].comment is None for c in get_format().cells)
