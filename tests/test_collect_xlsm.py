"""The receiving office's macro workbook (xxgk-collect-….xlsm) and its button's Python side.

Tested like the filing workbook: the VBA project read back by oletools/olefile, the button
bound to its macro in the drawing part and in real LibreOffice, and the Python the button
runs (addin/collect_button.py) on a book of xlwings' remote engine against the realistic
inbox of tests/test_collect.py.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import zipfile

import olefile
import openpyxl
import pytest
from oletools.olevba import VBA_Parser

from conftest import ROOT, run_cli
from support.inbox import Inbox

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
xw = pytest.importorskip("xlwings")

from addin import collect_button  # noqa: E402
from addin.build import XLWINGS_CONF, xlwings_bas  # noqa: E402
from addin.collect_build import COLLECT_XLSM_NAME, collect_xlsm_bytes  # noqa: E402
from addin.collect_button import (  # noqa: E402
    CAPTION,
    INBOX_CELL,
    LABELS,
    MACRO,
    OUTPUT_CELL,
    RESULT_CELL,
    ROSTER_CELL,
    SHEET,
    TIME_CELL,
)
from validator.spec import split_ref  # noqa: E402

XLSM = ROOT / "xlsx_templates" / COLLECT_XLSM_NAME.format(format_id="gb-2021-30")
COLLECT_BAS = ROOT / "addin" / "vba" / "Collect.bas"


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.fixture(scope="module")
def built() -> bytes:
    return collect_xlsm_bytes()


# --------------------------------------------------------------------------- the workbook
def test_two_builds_are_byte_identical(built):
    assert collect_xlsm_bytes() == built


def test_committed_workbook_matches_a_fresh_build(built):
    fresh, committed = _parts(built), _parts(XLSM.read_bytes())
    assert sorted(fresh) == sorted(committed), "run `uv run xxgk template -o xlsx_templates`"
    for name in fresh:
        assert fresh[name] == committed[name], f"part {name} differs: run `uv run xxgk template -o xlsx_templates`"


@pytest.mark.slow
def test_template_command_writes_it(tmp_path):
    result = run_cli("template", "-o", tmp_path)
    assert result.code == 0, result.err
    assert (tmp_path / XLSM.name).read_bytes() == XLSM.read_bytes()
    assert f"已生成模板：{tmp_path / XLSM.name}" in result.out


def test_vba_project_opens_in_strict_olefile(built):
    ole = olefile.OleFileIO(io.BytesIO(_parts(built)["xl/vbaProject.bin"]), raise_defects=olefile.DEFECT_INCORRECT)
    streams = {"/".join(s) for s in ole.listdir()}
    assert {
        "PROJECT",
        "PROJECTwm",
        "VBA/_VBA_PROJECT",
        "VBA/dir",
        "VBA/Collect",
        "VBA/xlwings",
        "VBA/ThisWorkbook",
        "VBA/Sheet1",
        "VBA/Sheet2",
    } <= streams
    assert "VBA/Main" not in streams  # the filing buttons' macros are not in this workbook


def test_oletools_reads_back_the_modules_byte_for_byte(built, tmp_path):
    path = tmp_path / "c.xlsm"
    path.write_bytes(built)
    modules = {name: code for _f, _s, name, code in VBA_Parser(str(path)).extract_macros()}
    crlf = lambda s: s.replace("\r\n", "\n").replace("\n", "\r\n")  # noqa: E731 - VBA stores CRLF
    assert modules["Collect.bas"] == crlf(COLLECT_BAS.read_text(encoding="ascii"))
    assert modules["xlwings.bas"] == crlf(xlwings_bas())
    assert {"ThisWorkbook.cls", "Sheet1.cls", "Sheet2.cls"} <= set(modules)


def test_the_macro_uses_the_cells_the_python_side_reads():
    """Collect.bas writes the chosen paths where collect_button reads them, titles its dialogs
    with the sheet's labels and calls collect_button.collect_folder."""
    src = COLLECT_BAS.read_text(encoding="ascii")
    assert re.search(rf"^Sub {MACRO}\(\)$", src, re.M)
    assert f'ws.Range("{INBOX_CELL}").Value = folder' in src
    assert f'ws.Range("{ROSTER_CELL}").Value = roster' in src
    label_of = {v: k for k, v in LABELS.items()}
    assert f'.Title = ws.Range("{label_of["收件文件夹"]}").Value' in src
    assert f'ws.Range("{label_of["单位名单（可选）"]}").Value)' in src
    assert "Set ws = ThisWorkbook.Worksheets(1)" in src
    assert "__import__('addin.collect_button').collect_button; b.collect_folder()" in src


def test_button_is_bound_to_the_macro(built):
    parts = _parts(built)
    rels = parts["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    vml = re.search(r'Target="\.\./drawings/(vmlDrawing\d+\.vml)"', rels).group(1)
    text = parts[f"xl/drawings/{vml}"].decode("utf-8")
    assert re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", text) == [MACRO]
    assert re.findall(r'color="#000000">([^<]+)</font>', text) == [CAPTION]


def test_sheet_labels_and_hidden_xlwings_conf(built):
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    assert wb.sheetnames == [SHEET, "xlwings.conf"]
    ws = wb[SHEET]
    assert {ref: ws[ref].value for ref in LABELS} == LABELS
    assert all(ws[ref].value is None for ref in (INBOX_CELL, ROSTER_CELL, OUTPUT_CELL, RESULT_CELL, TIME_CELL))
    conf = wb["xlwings.conf"]
    assert conf.sheet_state == "hidden"
    assert [(r[0].value, r[1].value) for r in conf.iter_rows(max_col=2)] == list(XLWINGS_CONF)


def test_excel_setup_copies_it_pointed_at_this_python(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    result = run_cli("excel-setup", "--to", tmp_path / "out")
    assert result.code == 0, result.err
    wb = openpyxl.load_workbook(tmp_path / "out" / XLSM.name, keep_vba=True)
    rows = {r[0].value: r[1].value for r in wb["xlwings.conf"].iter_rows(max_col=2)}
    assert rows["Interpreter_Win"].lower().startswith(str(sys.executable).lower().rsplit("python", 1)[0])
    assert "已复制汇总工作簿" in result.out


# --------------------------------------------------------------------------- the button's Python side
def remote_book(values: dict[str, str]):
    """The collect workbook as xlwings' remote engine sees it, with the cells the macro filled."""
    rows = max(split_ref(ref)[0] for ref in (*LABELS, *values)) + 1
    grid = [["" for _ in range(4)] for _ in range(rows)]
    for ref, text in {**LABELS, **values}.items():
        r, c = split_ref(ref)
        grid[r][c] = text
    payload = {
        "version": xw.__version__,
        "client": "Office.js",
        "book": {"name": XLSM.name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [
            {"name": SHEET, "values": grid, "notes": [], "pictures": [], "tables": []},
            {"name": "xlwings.conf", "values": [["Show Console", False]], "notes": [], "pictures": [], "tables": []},
        ],
    }
    return xw.Book(json=payload)


def written(book) -> dict[str, object]:
    out = {}
    for act in book.json()["actions"]:
        if act["func"] == "setValues":
            ref = f"{chr(ord('A') + act['start_column'])}{act['start_row'] + 1}"
            out[ref] = act["values"][0][0]
    return out


def alerts(book) -> list[str]:
    return [a["args"][0] for a in book.json()["actions"] if a["func"] == "alert"]


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    return Inbox(tmp_path_factory.mktemp("collect_xlsm"))


@pytest.mark.slow
def test_button_runs_collect_writes_the_result_and_opens_it(box):
    book = remote_book({INBOX_CELL: str(box.inbox)})
    opened = []
    out = collect_button.collect_folder(book, opener=lambda b, path: opened.append(path))
    expected = box.inbox.with_name("inbox-汇总.xlsx")
    assert out == expected and opened == [expected]
    assert alerts(book) == []
    cells = written(book)
    assert cells[OUTPUT_CELL] == str(expected)
    cli = run_cli("collect", box.inbox, "-o", box.root / "cli.xlsx", "--json", box.root / "cli.json", "--quiet")
    summary = cli.out.splitlines()[0]
    assert cells[RESULT_CELL].splitlines()[0] == summary  # the same run as `xxgk collect`
    assert "无法读取：" in cells[RESULT_CELL]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", cells[TIME_CELL])
    data = json.loads((box.root / "cli.json").read_text(encoding="utf-8"))
    ws = openpyxl.load_workbook(expected)["报送情况"]
    statuses = {r[1]: r[4] for r in ws.iter_rows(min_row=4, values_only=True) if r[1]}
    assert statuses == {b["name"]: b["status"] for b in data["bodies"]}
    assert not any(p.name.endswith("汇总.xlsx") for p in box.inbox.rglob("*"))  # the inbox is untouched


@pytest.mark.slow
def test_button_passes_the_roster(box, tmp_path):
    roster = tmp_path / "名单.csv"
    roster.write_text("名称,类型\n汾西县政府办,部门\n没报的局,部门\n", encoding="utf-8")
    book = remote_book({INBOX_CELL: str(box.inbox), ROSTER_CELL: str(roster)})
    collect_button.collect_folder(book, opener=lambda b, p: None)
    assert alerts(book) == []
    cli = run_cli("collect", box.inbox, "-o", tmp_path / "cli.xlsx", "--roster", roster, "--quiet")
    assert written(book)[RESULT_CELL].splitlines()[0] == cli.out.splitlines()[0]
    assert "未报送" in cli.out.splitlines()[0]


@pytest.mark.parametrize(
    "values,message",
    [
        ({}, "还没有选择收件文件夹"),
        ({INBOX_CELL: "/no/such/收件箱"}, "收件文件夹不存在"),
    ],
)
def test_button_explains_bad_input_in_a_message_box(values, message):
    book = remote_book(values)
    opened = []
    assert collect_button.collect_folder(book, opener=lambda b, p: opened.append(p)) is None
    (text,) = alerts(book)
    assert text.startswith("无法汇总：") and message in text
    assert opened == [] and written(book) == {}


def test_a_bug_becomes_a_message_box_not_a_traceback(box, monkeypatch):
    import validator.collect.session as session

    def broken(*_a, **_k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(session, "run_collect", broken)
    book = remote_book({INBOX_CELL: str(box.inbox)})
    assert collect_button.collect_folder(book, opener=lambda b, p: None) is None
    (text,) = alerts(book)
    assert text.startswith("内部错误（ZeroDivisionError: boom）")


def test_output_is_beside_the_inbox_never_inside(tmp_path):
    assert collect_button.output_path(tmp_path / "收件箱") == tmp_path / "收件箱-汇总.xlsx"
    with pytest.raises(Exception, match="磁盘根目录"):
        collect_button.output_path(tmp_path.anchor and type(tmp_path)(tmp_path.anchor))


# --------------------------------------------------------------------------- LibreOffice
COLLECT_URL = f"vnd.sun.star.script:VBAProject.Collect.{MACRO}?language=Basic&location=document"


@pytest.fixture(scope="module")
def lo(tmp_path_factory, built):
    from support.libreoffice import require_libreoffice, run_driver

    require_libreoffice()
    work = tmp_path_factory.mktemp("lo-collect-xlsm")
    path = work / XLSM.name
    path.write_bytes(built)
    jobs = [
        {
            "name": "collect",
            "file": str(path),
            "recalc": False,
            "interactions": True,
            "basic": True,
            "controls": True,
            "scripts": [COLLECT_URL],
            "read": [[SHEET, ref] for ref in LABELS],
        }
    ]
    return run_driver(work, jobs, 90)["jobs"]["collect"]


@pytest.mark.libreoffice
def test_libreoffice_loads_it_without_a_question_and_imports_the_project(lo):
    assert lo["interactions"] == []
    assert lo["sheets"] == [SHEET, "xlwings.conf"]
    modules = lo["basic"]["modules"]["VBAProject"]
    assert set(modules) == {"ThisWorkbook", "Sheet1", "Sheet2", "Collect", "xlwings"}
    assert re.search(rf"^Sub {MACRO}\(\)$", modules["Collect"]["source"], re.M)
    assert {ref: lo["values"][f"{SHEET}!{ref}"]["value"] for ref in LABELS} == LABELS


@pytest.mark.libreoffice
def test_libreoffice_binds_the_button_to_the_macro(lo):
    shapes = lo["controls"][SHEET]["shapes"]
    assert [(s["model"], s["label"]) for s in shapes] == [("com.sun.star.form.OButtonModel", CAPTION)]
    (form,) = lo["controls"][SHEET]["forms"]
    (button,) = form["controls"]
    (event,) = button["events"]
    assert (event["listener"], event["method"], event["script"]) == ("XActionListener", "actionPerformed", COLLECT_URL)
    assert lo["scripts"] == {COLLECT_URL: {"found": True, "error": None}}
