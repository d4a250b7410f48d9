"""The Excel buttons' Python side, run against a real xlwings book (xlwings' remote engine).

Each test turns a workbook file into the payload an Office.js client would send (values per
sheet, notes, dates as ISO strings, errors as "#DIV/0!"), builds ``xw.Book(json=...)`` from
it, runs the entry point and asserts on the actions xlwings would apply in Excel. The
remote engine is used for tests only (XLWINGS_LICENSE_KEY=noncommercial).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import openpyxl
import pytest

from conftest import EXAMPLE, REPORTS, ROOT, run_cli
from support.remote_excel import actions, edit_cells, remote_book

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
xw = pytest.importorskip("xlwings")

from addin import excel  # noqa: E402
from validator.formats import get_format  # noqa: E402
from validator.workbook import styles  # noqa: E402

FMT = get_format()
SHEET_POS = {s.name: i for i, s in enumerate(FMT.sheets)}


def at(sheet: str, ref: str) -> dict:
    from validator.spec import split_ref

    row, col = split_ref(ref)
    return {"sheet_position": SHEET_POS[sheet], "start_row": row, "start_column": col}


def _where(action: dict) -> dict:
    return {k: action[k] for k in ("sheet_position", "start_row", "start_column")}


def test_validate_clean_example_writes_status_and_no_marks():
    book = remote_book(EXAMPLE)
    report = excel.validate(book)
    assert report is not None and report.valid and report.findings == []
    assert not actions(book, "addNote") and not actions(book, "alert")
    colors = actions(book, "setRangeColor")
    assert colors and {tuple(a["args"]) for a in colors} <= {(styles.INPUT_FILL,)}
    status = [a for a in actions(book, "setValues") if _where(a) == at("封面", "B13")]
    assert status[0]["values"][0][0].startswith("校验通过：没有发现问题（")


@pytest.mark.slow
def test_validate_says_when_a_part_is_too_long_to_print_from_the_sheet(workbook_copy):
    path = workbook_copy("fenxi-zfb_2023")
    edit_cells(path, {"文字部分!A4": "本年度" * 1000})
    book = remote_book(path)
    report = excel.validate(book)
    assert report.valid  # a 提示
    [hint] = [f for f in report.warnings if f.rule == "TXT-LONG"]
    assert hint.cells[0].ref == "文字部分!A4" and "xxgk render" in hint.message
    [rows] = [a for a in actions(book, "setValues") if _where(a) == at("校验结果", "A4")]
    assert [r[1] for r in rows["values"]] == ["TXT-LONG"]


def test_validate_flags_a_wrong_total_with_colour_note_and_results_row(workbook_copy):
    path = workbook_copy("huaian-shi_2024")
    edit_cells(path, {"表四!E4": 350})
    book = remote_book(path)
    report = excel.validate(book)
    assert not report.valid
    red = [a for a in actions(book, "setRangeColor") if a["args"] == [styles.ERROR_FILL]]
    assert at("表四", "E4") in [_where(a) for a in red]
    [note] = [a for a in actions(book, "addNote") if a["args"][0] == "$E$4"]
    assert _where(note) == at("表四", "E4")
    assert note["args"][1].startswith("【错误】") and "应为 351" in note["args"][1]
    # 校验结果: exactly the rows `xxgk check --annotate` writes, one setValues call
    rows = [a for a in actions(book, "setValues") if _where(a) == at("校验结果", "A4")]
    assert len(rows) == 1
    # the narrative's 351 is the figure the table should hold: no TXT-T3 against the typo
    assert [r[1] for r in rows[0]["values"]] == ["T4-SUM-REVIEW", "DATE-DEADLINE", "SEC6-FEE-T3"]
    assert rows[0]["values"][0][4:8] == ["表四!E4", report.errors[0].message, 351, 350]
    links = actions(book, "addHyperlink")
    assert ["#'表四'!E4", "表四!E4", "转到该单元格"] in [a["args"] for a in links]
    # the rows just written are fitted to their text (an annotated copy's fixed heights go)
    assert [a["args"] for a in actions(book, "setAutofit") if _where(a) == at("校验结果", "A4")] == [["rows"]]
    status = [a for a in actions(book, "setValues") if _where(a) == at("封面", "B13")]
    assert status[0]["values"][0][0].startswith("校验未通过：错误 1 个，提示 2 个")


@pytest.mark.slow
def test_the_button_paints_the_located_cell_not_its_consequences(workbook_copy):
    """表三!J4 3→4 fails its row and the 总计 column's balance: only J4 turns red, with its note."""
    path = workbook_copy("fenxi-zfb_2023")
    edit_cells(path, {"表三!J4": 4})
    book = remote_book(path)
    report = excel.validate(book)
    assert [f.cells[0].ref for f in report.findings if f.located] == ["表三!J4"]
    assert any(f.caused_by is not None for f in report.findings)
    red = [
        _where(a)
        for a in actions(book, "setRangeColor")
        if a["args"] == [styles.ERROR_FILL] and a["sheet_position"] != SHEET_POS["校验结果"]
    ]
    assert red == [at("表三", "J4")]
    notes = [a for a in actions(book, "addNote")]
    assert [_where(a) for a in notes] == [at("表三", "J4")] and "最可能填错：应为 3，现为 4" in notes[0]["args"][1]


@pytest.mark.slow
def test_second_run_clears_old_marks_first(workbook_copy, tmp_path):
    path = workbook_copy("huaian-shi_2024")
    edit_cells(path, {"表四!E4": 350})
    marked = tmp_path / "marked.xlsx"
    assert run_cli("check", path, "--annotate", marked).code == 1  # the state a first run leaves
    book = remote_book(marked)
    excel.validate(book)
    acts = actions(book)
    deleted = [_where(a) for a in acts if a["func"] == "deleteNote"]
    assert at("表四", "E4") in deleted and at("表三", "J25") in deleted
    cleared = [a for a in acts if a["func"] == "rangeClearContents"]
    assert cleared[0]["sheet_position"] == SHEET_POS["校验结果"] and cleared[0]["row_count"] == 3
    first_note = next(i for i, a in enumerate(acts) if a["func"] == "addNote")
    assert max(i for i, a in enumerate(acts) if a["func"] in ("deleteNote", "rangeClearContents")) < first_note
    shading = [a for a in acts[:first_note] if a["func"] == "setRangeColor" and a["args"] == [styles.INPUT_FILL]]
    assert {(_where(a)["sheet_position"]) for a in shading} == {SHEET_POS[s] for s in excel.input_ranges(FMT)}
    noted = sorted((a["sheet_position"], a["args"][0]) for a in acts if a["func"] == "addNote")
    assert noted == [(0, "$B$7"), (2, "$J$25"), (3, "$E$4"), (4, "$A$8")]  # each flagged cell once, as before


@pytest.mark.slow
def test_clear_marks_restores_shading_and_empties_results(tmp_path):
    marked = tmp_path / "marked.xlsx"
    run_cli("check", REPORTS / "huaian-shi_2024.xlsx", "--annotate", marked)
    book = remote_book(marked)
    excel.clear_marks(book)
    acts = actions(book)
    assert not [a for a in acts if a["func"] in ("addNote", "alert")]
    assert {_where(a)["sheet_position"] for a in acts if a["func"] == "deleteNote"} == {
        SHEET_POS["封面"],
        SHEET_POS["表三"],
        SHEET_POS["文字部分"],
    }
    status = [a for a in acts if a["func"] == "setValues" and _where(a) == at("封面", "B13")]
    assert status[0]["values"] == [["未校验"]]


def test_export_json_equals_the_cli_export(tmp_path):
    book = remote_book(REPORTS / "pingtan_2021.xlsx")
    target = excel.export_json(book, folder=tmp_path)
    assert target is not None and target.name == "平潭综合实验区2021年政府信息公开工作年度报告.json"
    cli_out = tmp_path / "cli.json"
    assert run_cli("export", REPORTS / "pingtan_2021.xlsx", "-o", cli_out).code == 0
    assert target.read_bytes() == cli_out.read_bytes()
    [alert] = actions(book, "alert")
    assert alert["args"][0] == f"已导出：{target}"


@pytest.mark.slow
def test_export_json_carries_the_explanations_staff_wrote(tmp_path):
    marked = tmp_path / "marked.xlsx"
    run_cli("check", REPORTS / "huaian-shi_2024.xlsx", "--annotate", marked)
    wb = openpyxl.load_workbook(marked)
    wb["校验结果"]["I5"] = "6 件均已发出收费通知。"
    wb.save(marked)
    target = excel.export_json(remote_book(marked), folder=tmp_path)
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert [e["text"] for e in doc["explanations"]] == ["6 件均已发出收费通知。"]
    cli_out = tmp_path / "cli.json"
    assert run_cli("export", marked, "-o", cli_out).code == 0
    assert target.read_bytes() == cli_out.read_bytes()


def test_export_json_refuses_while_errors_remain(workbook_copy, tmp_path):
    path = workbook_copy()
    edit_cells(path, {"表三!J4": 4})
    book = remote_book(path)
    assert excel.export_json(book, folder=tmp_path) is None
    assert list(tmp_path.glob("*.json")) == []
    [alert] = actions(book, "alert")
    assert alert["args"][0].startswith("存在 2 个错误（其中 1 个是已定位填错的连带结果），未导出 JSON")
    assert "表三!J4" in alert["args"][0] and alert["args"][1] == excel.TITLE
    assert "2. 表三!J28 （第 1 条的连带结果）" in alert["args"][0]


def test_failures_become_a_chinese_message_box(workbook_copy, tmp_path):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    del wb["表三"]
    wb.save(path)
    book = remote_book(path)
    assert excel.validate(book) is None
    [alert] = actions(book, "alert")
    assert "缺少工作表“表三”" in alert["args"][0] and "Traceback" not in alert["args"][0]
    assert alert["args"][1] == excel.TITLE

    foreign = tmp_path / "foreign.xlsx"
    other = openpyxl.Workbook()
    for s in FMT.sheets:
        other.create_sheet(s.name)
    other.save(foreign)
    book = remote_book(foreign)
    assert excel.validate(book) is None
    assert "不是本工具的填报模板" in actions(book, "alert")[0]["args"][0]


@pytest.mark.slow
def test_unreadable_cells_are_findings_not_crashes(workbook_copy):
    path = workbook_copy()
    edit_cells(path, {"表三!D4": "3件", "表三!E4": "#DIV/0!"})
    book = remote_book(path)
    report = excel.validate(book)
    assert [(f.rule, f.cells[0].ref, f.actual) for f in report.errors] == [
        ("VAL-INT", "表三!D4", "3件"),
        ("VAL-INT", "表三!E4", "#DIV/0!"),
    ]


@pytest.mark.slow
def test_cross_year_checks_run_from_the_carried_in_figures(tmp_path):
    book_path = tmp_path / "next.xlsx"
    assert run_cli("new", "--from", REPORTS / "huaian-shi_2024.source.json", "-o", book_path).code == 0
    edit_cells(book_path, {"表三!D5": 100})
    report = excel.validate(remote_book(book_path))
    carry = [(f.cells[0].ref, f.expected, f.actual) for f in report.findings if f.rule == "XY-T3-CARRY"]
    assert carry == [("表三!D5", 103, 100)]


@pytest.mark.slow
def test_text_that_looks_like_a_formula_is_written_as_text(workbook_copy):
    path = workbook_copy()
    marked = path.with_name("m.xlsx")
    run_cli("check", REPORTS / "huaian-shi_2024.xlsx", "--annotate", marked)
    wb = openpyxl.load_workbook(marked)
    wb["校验结果"]["I5"] = "=1+1 不是公式"
    wb["校验结果"]["I5"].data_type = "s"
    wb.save(marked)
    book = remote_book(marked)
    excel.validate(book)
    rows = [a for a in actions(book, "setValues") if _where(a) == at("校验结果", "A4")]
    assert rows[0]["values"][1][8] == "'=1+1 不是公式"


def test_entry_module_imports_no_cli_or_rendering_libraries():
    code = (
        "import sys, addin.button, addin.excel; "
        "print(sorted(m for m in ('validator.cli', 'openpyxl', 'xlsxwriter', 'pydantic', 'argparse') "
        "if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


@pytest.mark.slow
def test_a_leftover_note_is_rewritten_not_added_twice(workbook_copy, tmp_path):
    path = workbook_copy("huaian-shi_2024")
    edit_cells(path, {"表四!E4": 350})
    marked = tmp_path / "marked.xlsx"
    run_cli("check", path, "--annotate", marked)
    wb = openpyxl.load_workbook(marked)
    wb["校验结果"].delete_rows(4, 10)  # staff deleted the result rows, the notes stayed
    wb.save(marked)
    book = remote_book(marked)
    excel.validate(book)
    assert [a["args"][0] for a in actions(book, "setNoteText") if a["sheet_position"] == SHEET_POS["表四"]] == ["$E$4"]
    assert not [a for a in actions(book, "addNote") if a["sheet_position"] == SHEET_POS["表四"]]
