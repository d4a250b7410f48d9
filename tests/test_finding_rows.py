"""One listing of findings for every face: the terminal, the 校验结果 sheet, collect's 问题清单 and
the check page list the same findings in the same order with the same numbers, a consequence of a
located typo right under its root; rule ids stay in --json and 校验结果's 规则 column."""

from __future__ import annotations

import json

import openpyxl
import pytest

from validator.report import CellRef, Finding, ValidationReport, cell_list, listing
from validator.serve.app import findings_view

from conftest import run_cli


def _finding(severity: str, caused_by: int | None = None, ref: str = "表三!J4") -> Finding:
    return Finding("R", severity, "表内", (CellRef(ref, "k"),), f"{severity}{ref}", caused_by=caused_by)


def test_roots_with_errors_first_each_consequence_under_its_root():
    findings = [
        ("warning", None),  # 0
        ("error", 3),  # 1: follows 3
        ("error", None),  # 2
        ("error", None),  # 3: a located typo
        ("error", 1),  # 4: points at a consequence, not a root: listed as a root
        ("error", 9),  # 5: points nowhere: a root
        ("error", 3),  # 6: follows 3
    ]
    assert listing(findings) == [(2, None), (3, None), (1, 1), (6, 1), (4, None), (5, None), (0, None)]


def test_rows_number_the_listing_and_count_roots():
    report = ValidationReport(
        "x", "f", [_finding("warning"), _finding("error", 2), _finding("error"), _finding("error", 2)]
    )
    rows = report.rows()
    assert [(r.number, r.index, r.root.number if r.root else None) for r in rows] == [
        (1, 2, None),
        (2, 1, 1),
        (3, 3, 1),
        (4, 0, None),
    ]
    assert rows[1].follows == "第 1 条（表三!J4）的连带结果" and rows[0].follows == ""
    assert [(root.number, [c.number for c in follows]) for root, follows in report.grouped()] == [(1, [2, 3]), (4, [])]
    assert report.root_counts() == (1, 1)


def test_cell_list_names_each_sheet_once_per_run():
    cells = [CellRef(r, "k") for r in ("表三!D28", "表三!D27", "文字部分!A4", "表三!J4")]
    assert cell_list(cells) == "表三!D28、D27、文字部分!A4、表三!J4"


@pytest.mark.slow
def test_terminal_sheet_page_and_problem_list_agree(workbook_copy, tmp_path):
    """fenxi with 表三!D16 2 → 3 and no publication date: one located typo (two consequences) and
    a 提示; every face lists root, consequences, then the 提示, numbered 1 to 4."""
    path = workbook_copy("fenxi-zfb_2023")
    wb = openpyxl.load_workbook(path)
    wb["表三"]["D16"] = 3
    wb["封面"]["B7"] = None
    wb.save(path)
    report = json.loads(run_cli("check", path, "--json").out)
    findings = report["findings"]
    [root] = [i for i, f in enumerate(findings) if f.get("located")]
    follows = [f for f in findings if f.get("caused_by") == root]
    [hint] = [f for f in findings if f["severity"] == "warning"]
    assert len(follows) == 2 and len(findings) == 4
    expected = list(enumerate((f["message"] for f in (findings[root], *follows, hint)), 1))
    # the page
    page = [(f["number"], f["message"]) for root in findings_view(report) for f in (root, *root["consequences"])]
    assert page == expected
    # 校验结果 of the annotated copy
    out = tmp_path / "a.xlsx"
    assert run_cli("check", path, "--annotate", out).code == 1
    rows = [r for r in openpyxl.load_workbook(out)["校验结果"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert [(r[0], r[5].split("：", 1)[1] if r[5].startswith("　　└") else r[5]) for r in rows] == expected
    # the terminal: numbers and messages, no rule ids
    text = run_cli("check", path).out
    for n, message in expected:
        assert f"{n}. [" in text and message in text
    assert not [f["rule"] for f in findings if f"] {f['rule']}" in text]
    # collect's 问题清单
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path.rename(inbox / path.name)
    assert run_cli("collect", inbox, "-o", tmp_path / "s.xlsx", "--quiet").code == 1
    listed = list(openpyxl.load_workbook(tmp_path / "s.xlsx")["问题清单"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[7]) for r in listed] == expected
