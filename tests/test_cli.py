"""The main job end to end: check, export, annotate, fill, schema — on the real reports."""

from __future__ import annotations

import json
import subprocess
import sys

import openpyxl
import pytest

from validator.formats import get_format
from validator.workbook import styles

from conftest import EXAMPLE, REPORT_NAMES, REPORTS, ROOT, run_cli, sha256, t3_row_key


def _t3_value(doc: dict, label: str) -> list:
    from validator.formats.gb_2021_30 import T3_COLUMNS

    node = doc["applications"]
    for part in t3_row_key(label).split("."):
        node = node[part]
    return [node[c] for c, _ in T3_COLUMNS]


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_export_equals_the_hand_checked_figures(tmp_path, name, expected_reports):
    out = tmp_path / f"{name}.json"
    result = run_cli("export", REPORTS / f"{name}.xlsx", "-o", out)
    assert result.code == 0, result.err
    doc = json.loads(out.read_text(encoding="utf-8"))
    exp = expected_reports[name]
    assert doc["body"]["name"] == exp["body"] and doc["year"] == exp["year"]
    if "published" in exp:
        assert doc["published_on"] == exp["published"]
    for label, values in exp["table3"].items():
        assert _t3_value(doc, label) == values, label
    groups = {"复议": "review", "直接起诉": "litigation_direct", "复议后起诉": "litigation_after_review"}
    leaves = {"维持": "upheld", "纠正": "corrected", "其他": "other", "尚未审结": "pending", "总计": "total"}
    for label, value in exp["table4"].items():
        g, leaf = label.split("_")
        assert doc["review_litigation"][groups[g]][leaves[leaf]] == value, label
    p, t2 = doc["proactive"], exp["table2"]
    assert [p["rules"][k] for k in ("issued", "repealed", "in_force")] == t2["规章"]
    assert [p["normative_documents"][k] for k in ("issued", "repealed", "in_force")] == t2["行政规范性文件"]
    assert (p["licensing"]["decisions"], p["penalties"]["decisions"], p["coercive_measures"]["decisions"]) == (
        t2["行政许可"],
        t2["行政处罚"],
        t2["行政强制"],
    )
    assert p["fees"]["amount_wan_yuan"] == t2["行政事业性收费_万元"]
    assert doc["validation"]["valid"] is True and doc["validation"]["errors"] == 0


def test_the_example_checks_clean_and_its_committed_json_is_current(tmp_path):
    result = run_cli("check", EXAMPLE)
    assert result.code == 0 and "没有发现问题" in result.out
    out = tmp_path / "example.json"
    assert run_cli("export", EXAMPLE, "-o", out).code == 0
    assert out.read_bytes() == (ROOT / "examples" / "fenxi-zfb_2023.json").read_bytes()


def test_export_refuses_while_errors_remain_and_force_marks_invalid(workbook_copy, tmp_path):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表三"]["J4"] = 4
    wb.save(path)
    out = tmp_path / "x.json"
    refused = run_cli("export", path, "-o", out)
    assert refused.code == 1 and not out.exists()
    assert "未导出" in refused.err and "表三!J4 最可能填错" in refused.err
    assert "T3-COL-TOTAL" not in refused.err  # plain words: rule ids stay in --json and 校验结果
    forced = run_cli("export", path, "-o", out, "--force")
    assert forced.code == 1 and "未通过校验" in forced.out
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["validation"]["valid"] is False and doc["validation"]["errors"] == 2
    assert doc["applications"]["new"]["total"] == 4


def test_forced_export_writes_null_for_unreadable_cells_and_keeps_the_text_in_findings(workbook_copy, tmp_path):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表三"]["D4"] = "3件"
    wb.save(path)
    out = tmp_path / "x.json"
    assert run_cli("export", path, "-o", out, "--force").code == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["applications"]["new"]["natural_person"] is None
    [finding] = doc["validation"]["findings"]
    assert (finding["rule"], finding["actual"]) == ("VAL-INT", "3件")


def test_check_json_report_shape(workbook_copy):
    path = workbook_copy("huaian-shi_2024")
    wb = openpyxl.load_workbook(path)
    wb["表三"]["J28"] = 100
    wb.save(path)
    result = run_cli("check", path, "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["valid"] is False and report["format"] == "gb-2021-30"
    assert report["stats"]["errors"] == 2 and report["stats"]["rules_run"] == len(get_format().rules)
    finding = next(f for f in report["findings"] if f["rule"] == "T3-COL-TOTAL")
    assert finding == {
        "rule": "T3-COL-TOTAL",
        "severity": "error",
        "scope": "表内",
        "cells": [{"ref": "表三!J28", "key": "applications.carried_forward.total"}],
        "expected": 103,
        "actual": 100,
        "located": True,
        "message": "表三!J28 最可能填错：应为 103，现为 100（表三 四、结转下年度继续办理·总计）；"
        "改正后“表三每行总计等于六类申请人之和”“表三勾稽关系：一＋二＝三（七）＋四”均成立",
    }
    balance = next(f for f in report["findings"] if f["rule"] == "T3-BALANCE")
    assert balance["caused_by"] == report["findings"].index(finding) and report["stats"]["consequences"] == 1


@pytest.mark.slow
def test_annotate_marks_cells_notes_results_and_leaves_the_input_alone(workbook_copy, tmp_path):
    path = workbook_copy("huaian-shi_2024")
    wb = openpyxl.load_workbook(path)
    wb["表四"]["E4"] = 350
    wb.save(path)
    before = sha256(path)
    out = tmp_path / "marked.xlsx"
    result = run_cli("check", path, "--annotate", out)
    assert result.code == 1 and sha256(path) == before
    marked = openpyxl.load_workbook(out)
    cell = marked["表四"]["E4"]
    assert cell.fill.fgColor.rgb == "FF" + styles.ERROR_FILL[1:]
    assert cell.comment.text.startswith("【错误】") and "应为 351" in cell.comment.text
    assert "【错误 T4-SUM-REVIEW】" not in cell.comment.text  # the rule id stays in 校验结果's 规则 column
    assert marked["表三"]["J25"].fill.fgColor.rgb == "FF" + styles.WARNING_FILL[1:]  # SEC6-FEE-T3 提示
    assert marked["表三"]["D4"].fill.fgColor.rgb == "FF" + styles.INPUT_FILL[1:]
    results = marked["校验结果"]
    rows = [[c.value for c in row] for row in results.iter_rows(min_row=4, max_col=10) if row[1].value]
    # the overview's “行政复议 351件” is the figure the table should hold: no TXT-T3
    assert [r[1] for r in rows] == ["T4-SUM-REVIEW", "DATE-DEADLINE", "SEC6-FEE-T3"]  # 错误 first
    assert rows[0][2:5] == ["错误", "表内", "表四!E4"] and rows[0][6:8] == [351, 350]
    assert results.cell(4, 5).hyperlink.location == "'表四'!E4"
    assert marked["封面"]["B13"].value == "校验未通过：错误 1 个，提示 2 个"
    assert "TXT-T3" not in cell.comment.text

    # fix the cell in the annotated copy and annotate again: the old marks are gone
    marked["表四"]["E4"] = 351
    marked.save(out)
    again = tmp_path / "again.xlsx"
    assert run_cli("check", out, "--annotate", again).code == 0
    clean = openpyxl.load_workbook(again)
    assert clean["表四"]["E4"].fill.fgColor.rgb == "FF" + styles.INPUT_FILL[1:]
    assert clean["表四"]["E4"].comment is None
    assert [c.value for c in clean["校验结果"]["B"][3:] if c.value] == ["DATE-DEADLINE", "SEC6-FEE-T3"]


@pytest.mark.slow
def test_explanations_written_in_the_results_sheet_travel_into_the_json(tmp_path):
    marked = tmp_path / "marked.xlsx"
    run_cli("check", REPORTS / "huaian-shi_2024.xlsx", "--annotate", marked)
    wb = openpyxl.load_workbook(marked)
    ws = wb["校验结果"]
    row = next(r for r in range(4, 10) if ws.cell(r, 2).value == "SEC6-FEE-T3")
    ws.cell(row, 9).value = "6 件申请均已发出收费通知，申请人逾期未缴费。"
    wb.save(marked)
    out = tmp_path / "h.json"
    assert run_cli("export", marked, "-o", out).code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["explanations"] == [
        {
            "rule": "SEC6-FEE-T3",
            "cells": ["applications.other_handling.fee_unpaid.total", "narrative.other_matters"],
            "text": "6 件申请均已发出收费通知，申请人逾期未缴费。",
        }
    ]
    [finding] = [f for f in doc["validation"]["findings"] if f["rule"] == "SEC6-FEE-T3"]
    assert finding["explanation"] == doc["explanations"][0]["text"]
    # and back: JSON -> workbook keeps the explanation in 校验结果
    filled = tmp_path / "filled.xlsx"
    assert run_cli("fill", out, "-o", filled).code == 0
    ws = openpyxl.load_workbook(filled)["校验结果"]
    rows = [(ws.cell(i, 2).value, ws.cell(i, 9).value) for i in range(4, 10) if ws.cell(i, 2).value]
    assert ("SEC6-FEE-T3", doc["explanations"][0]["text"]) in rows


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_json_to_workbook_to_json_is_lossless_for_the_real_reports(tmp_path, name):
    first, book, second = tmp_path / "a.json", tmp_path / "b.xlsx", tmp_path / "c.json"
    assert run_cli("export", REPORTS / f"{name}.xlsx", "-o", first).code == 0
    assert run_cli("fill", first, "-o", book).code == 0
    assert run_cli("export", book, "-o", second).code == 0
    assert first.read_bytes() == second.read_bytes()


def test_schema_is_published_and_current(tmp_path):
    out = tmp_path / "schema.json"
    assert run_cli("schema", "-o", out).code == 0
    committed = ROOT / "docs" / "report.schema.json"
    assert out.read_bytes() == committed.read_bytes(), "run `uv run xxgk schema -o docs/report.schema.json`"
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"format", "schema_version", "body", "year", "applications"}


def test_template_command_writes_the_committed_template(tmp_path):
    assert run_cli("template", "-o", tmp_path).code == 0
    assert (tmp_path / "xxgk-template-gb-2021-30.xlsx").read_bytes() == (
        ROOT / "xlsx_templates" / "xxgk-template-gb-2021-30.xlsx"
    ).read_bytes()


@pytest.mark.slow
def test_python_dash_m_validator_runs_the_same_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "validator", "check", str(EXAMPLE)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0 and "没有发现问题" in proc.stdout


def test_core_import_stays_light():
    code = (
        "import sys, validator.engine, validator.formats; validator.formats.get_format(); "
        "print(sorted(m for m in ('openpyxl','xlsxwriter','pydantic','xlwings') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


@pytest.mark.parametrize("text,units", [("政" * 32768, 32768), ("🙂" * 16384, 32768)], ids=["cjk", "emoji"])
def test_fill_refuses_text_longer_than_an_excel_cell_instead_of_truncating(tmp_path, text, units):
    doc = json.loads((REPORTS / "fenxi-zfb_2023.source.json").read_text(encoding="utf-8"))
    doc["narrative"]["overview"] = text
    src, out = tmp_path / "long.json", tmp_path / "long.xlsx"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run_cli("fill", src, "-o", out)
    assert result.code == 2 and not out.exists()
    assert f"共 {units} 字" in result.err and "32767" in result.err and "文字部分!A4" in result.err
