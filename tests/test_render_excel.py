"""The 生成报告 button's Python side (xlwings' remote engine), like the 导出JSON button's tests."""

from __future__ import annotations

import os

import docx
import pytest

from conftest import REPORTS, ROOT, run_cli

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # the remote engine, for tests only
xw = pytest.importorskip("xlwings")

from addin import excel  # noqa: E402
from addin.build import BUTTONS  # noqa: E402

from support.remote_excel import actions, edit_cells, remote_book  # noqa: E402


def tables_text(path) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in docx.Document(path).tables]


@pytest.mark.slow
def test_the_button_writes_the_same_docx_as_the_cli(tmp_path):
    book = remote_book(REPORTS / "pingtan_2021.xlsx")
    target = excel.render_report(book, folder=tmp_path)
    assert target is not None and target.name == "平潭综合实验区2021年政府信息公开工作年度报告.docx"
    cli_out = tmp_path / "cli.docx"
    assert run_cli("render", REPORTS / "pingtan_2021.xlsx", "-o", cli_out).code == 0
    assert tables_text(target) == tables_text(cli_out)
    assert [p.text for p in docx.Document(target).paragraphs] == [p.text for p in docx.Document(cli_out).paragraphs]
    [alert] = actions(book, "alert")
    assert alert["args"][0] == f"已生成报告：{target}"


def test_the_button_refuses_while_errors_remain(workbook_copy, tmp_path):
    path = workbook_copy()
    edit_cells(path, {"表三!J4": 4})
    book = remote_book(path)
    assert excel.render_report(book, folder=tmp_path) is None
    assert list(tmp_path.glob("*.docx")) == []
    [alert] = actions(book, "alert")
    assert (
        alert["args"][0].startswith("存在 2 个错误（其中 1 个是已定位填错的连带结果），未生成报告")
        and "表三!J4" in alert["args"][0]
    )


def test_the_button_refuses_while_narrative_is_missing(workbook_copy, tmp_path):
    path = workbook_copy()
    edit_cells(path, {"文字部分!A8": None})
    book = remote_book(path)
    assert excel.render_report(book, folder=tmp_path) is None
    assert list(tmp_path.glob("*.docx")) == []
    [alert] = actions(book, "alert")
    assert "六、其他需要报告的事项" in alert["args"][0] and "未生成" in alert["args"][0]
    assert "--draft" not in alert["args"][0]  # no command-line options in a message box


def test_the_macro_and_button_exist():
    main = (ROOT / "addin" / "vba" / "Main.bas").read_text(encoding="ascii")
    assert "Sub RenderReport()" in main and "b.render_report()" in main
    assert ("RenderReport", "生成报告") in BUTTONS
