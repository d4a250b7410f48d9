"""The macro template (.xlsm) in real LibreOffice: its VBA project, its buttons, a macro that runs.

Same mechanism and policy as tests/test_libreoffice.py (helpers in tests/support/libreoffice.py): one helper
script, tests/support/lo_driver.py, runs under the system python3, starts one headless soffice for this
whole module and loads two builds of the .xlsm:

* ``xlsm``: exactly what ``xxgk template`` ships (``xlsm_bytes(fmt)``). LibreOffice must load it
  without asking anything, import the VBA project as Basic library ``VBAProject`` with every
  module, and bind each button to its macro.
* ``selftest``: the same build without xlwings.bas (LibreOffice Basic cannot compile it, and one
  module that does not compile makes every macro of the project silently do nothing) plus the
  test-only module ``tests/fixtures/vba/SelfTest.bas``. Its ``WriteMarker`` is run inside
  LibreOffice; the proof is the cell value, read live and from the document LibreOffice saves.

Skipped when soffice or python3-uno is missing -- except with ``CI=true``, where that fails.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import openpyxl
import pytest

from addin.build import BUTTONS, button_sheets, xlsm_bytes, xlwings_bas
from addin.ovba.project import VbaModule
from validator.formats import get_format

from conftest import FIXTURES, ROOT
from support.libreoffice import require_libreoffice, run_driver

BUTTON_SHEETS = button_sheets(get_format())

pytestmark = pytest.mark.libreoffice

DRIVER_TIMEOUT = 90  # s, the whole module's LibreOffice session
SELFTEST_BAS = FIXTURES / "vba" / "SelfTest.bas"
MARKER_SHEET, MARKER_CELL, MARKER = "封面", "B8", "macro ran"
MODULE_NORMAL, MODULE_DOCUMENT = 1, 4  # com.sun.star.script.ModuleType


def script_url(module: str, macro: str) -> str:
    return f"vnd.sun.star.script:VBAProject.{module}.{macro}?language=Basic&location=document"


MAIN_URLS = [script_url("Main", macro) for macro, _ in BUTTONS]
WRITE_MARKER = script_url("SelfTest", "WriteMarker")


def document_modules(fmt) -> set[str]:
    return {"ThisWorkbook", *(f"Sheet{i}" for i in range(1, len(fmt.sheets) + 2))}


def vba_body(source: str) -> list[str]:
    """Module text without ``Attribute`` lines and LibreOffice's own VBA-mode header lines."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [
        ln
        for ln in lines
        if not ln.startswith("Attribute ")
        and ln not in ("Rem Attribute VBA_ModuleType=VBAModule", "Option VBASupport 1")
    ]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


# --------------------------------------------------------------------------- the session
@pytest.fixture(scope="module")
def lo(tmp_path_factory, fmt):
    require_libreoffice()
    work = tmp_path_factory.mktemp("lo-xlsm")
    selftest_src = SELFTEST_BAS.read_text(encoding="ascii")
    shipped = work / "xxgk-template.xlsm"
    shipped.write_bytes(xlsm_bytes(fmt))
    selftest = work / "selftest.xlsm"
    selftest.write_bytes(xlsm_bytes(fmt, with_xlwings=False, extra=(VbaModule("SelfTest", selftest_src, "standard"),)))
    saved = work / "selftest-saved.xlsx"
    jobs = [
        {
            "name": "xlsm",
            "file": str(shipped),
            "recalc": False,
            "interactions": True,
            "basic": True,
            "controls": True,
            "scripts": MAIN_URLS,
        },
        {
            "name": "selftest",
            "file": str(selftest),
            "recalc": False,
            "interactions": True,
            "basic": True,
            "scripts": [*MAIN_URLS, WRITE_MARKER],
            "invoke": [WRITE_MARKER],
            "read": [[MARKER_SHEET, MARKER_CELL]],
            "store": [{"file": str(saved), "filter": "Calc MS Excel 2007 XML"}],
        },
    ]
    answer = run_driver(work, jobs, DRIVER_TIMEOUT)
    answer["files"] = {"xlsm": shipped, "selftest": selftest, "saved": saved}
    answer["selftest_src"] = selftest_src
    print(
        f"\n{answer.get('soffice')}: {len(jobs)} macro workbooks; soffice log: {answer['log'].strip()!r}",
        file=sys.stderr,
    )
    return answer


# --------------------------------------------------------------------------- 1. the shipped .xlsm
def test_xlsm_loads_without_any_question(lo, fmt):
    res = lo["jobs"]["xlsm"]
    assert res["interactions"] == []  # no format warning, no macro-security or repair prompt
    assert res["sheets"] == [s.name for s in fmt.sheets] + ["xlwings.conf"]
    assert {n: res["protected"][n] for n in res["sheets"][:-1]} == {s.name: s.protected for s in fmt.sheets}


def test_vba_project_imported_with_every_module(lo, fmt):
    basic = lo["jobs"]["xlsm"]["basic"]
    assert basic["vba_compat"] is True
    assert "VBAProject" in basic["libraries"]
    modules = basic["modules"]["VBAProject"]
    assert set(modules) == {"Main", "xlwings"} | document_modules(fmt)
    assert {m: info["type"] for m, info in modules.items()} == {
        **{m: MODULE_DOCUMENT for m in document_modules(fmt)},
        "Main": MODULE_NORMAL,
        "xlwings": MODULE_NORMAL,
    }
    # the sheets are bound to their document modules (XlsxWriter set_vba_name)
    codenames = lo["jobs"]["xlsm"]["codenames"]
    assert codenames == {name: f"Sheet{i}" for i, name in enumerate(lo["jobs"]["xlsm"]["sheets"], 1)}


def test_module_sources_arrive_unchanged(lo):
    modules = lo["jobs"]["xlsm"]["basic"]["modules"]["VBAProject"]
    main = (ROOT / "addin" / "vba" / "Main.bas").read_text(encoding="ascii")
    assert vba_body(modules["Main"]["source"]) == vba_body(main)
    assert vba_body(modules["xlwings"]["source"]) == vba_body(xlwings_bas())
    for macro, _ in BUTTONS:
        assert re.search(rf"^Sub {macro}\(\)$", modules["Main"]["source"], re.M), macro


def test_buttons_have_captions_and_macros(lo):
    controls = lo["jobs"]["xlsm"]["controls"]
    expected = [(caption, script_url("Main", macro)) for macro, caption in BUTTONS]
    for sheet in BUTTON_SHEETS:
        shapes = controls[sheet]["shapes"]
        assert [(s["type"], s["model"], s["label"]) for s in shapes] == [
            ("com.sun.star.drawing.ControlShape", "com.sun.star.form.OButtonModel", caption) for _, caption in BUTTONS
        ], sheet
        forms = controls[sheet]["forms"]
        assert len(forms) == 1, (sheet, forms)
        buttons = forms[0]["controls"]
        # the shapes on the draw page are the form's controls, in the same order
        assert [b["name"] for b in buttons] == [s["name"] for s in shapes], sheet
        got = []
        for b in buttons:
            assert len(b["events"]) == 1, (sheet, b)
            ev = b["events"][0]
            assert (ev["listener"], ev["method"], ev["script_type"]) == (
                "XActionListener",
                "actionPerformed",
                "Script",
            ), (sheet, ev)
            got.append((b["label"], ev["script"]))
        assert got == expected, sheet


def test_no_controls_on_other_sheets(lo):
    controls = lo["jobs"]["xlsm"]["controls"]
    for sheet, found in controls.items():
        if sheet not in BUTTON_SHEETS:
            assert found["shapes"] == [], sheet
            assert all(f["controls"] == [] for f in found["forms"]), sheet


def test_button_macros_resolve(lo):
    scripts = lo["jobs"]["xlsm"]["scripts"]
    assert scripts == {url: {"found": True, "error": None} for url in MAIN_URLS}


# --------------------------------------------------------------------------- 2. a macro runs
def test_selftest_variant_modules(lo, fmt):
    res = lo["jobs"]["selftest"]
    assert res["interactions"] == []
    modules = res["basic"]["modules"]["VBAProject"]
    assert set(modules) == {"Main", "SelfTest"} | document_modules(fmt)  # no xlwings
    main = (ROOT / "addin" / "vba" / "Main.bas").read_text(encoding="ascii")
    assert vba_body(modules["Main"]["source"]) == vba_body(main)
    assert vba_body(modules["SelfTest"]["source"]) == vba_body(lo["selftest_src"])
    # Validate & co. are there (present, not run: RunPython lives in xlwings.bas)
    assert res["scripts"] == {url: {"found": True, "error": None} for url in [*MAIN_URLS, WRITE_MARKER]}


def test_selftest_source_is_plain_vba():
    src = SELFTEST_BAS.read_text(encoding="ascii")
    assert src.startswith('Attribute VB_Name = "SelfTest"')
    assert f'Worksheets(1).Range("{MARKER_CELL}").Value = "{MARKER}"' in src


def test_marker_cell_empty_and_unlocked_before(lo):
    ws = openpyxl.load_workbook(lo["files"]["selftest"]).worksheets[0]
    assert ws.title == MARKER_SHEET
    assert ws.protection.sheet is True  # the macro writes into a protected sheet's input cell
    assert ws[MARKER_CELL].protection.locked is False
    assert ws[MARKER_CELL].value is None


def test_macro_writes_marker(lo):
    res = lo["jobs"]["selftest"]
    assert res["invoked"][WRITE_MARKER] == {"ok": True, "result": "(None, (), ())", "error": None}
    assert res["values"][f"{MARKER_SHEET}!{MARKER_CELL}"] == {
        "kind": "text",
        "value": MARKER,
        "formula": None,
        "error": 0,
    }


def test_saved_document_holds_marker(lo):
    saved = Path(lo["jobs"]["selftest"]["stored"][0])
    assert saved == lo["files"]["saved"]
    wb = openpyxl.load_workbook(saved)
    assert wb.sheetnames[0] == MARKER_SHEET
    ws = wb[MARKER_SHEET]
    assert ws[MARKER_CELL].value == MARKER
    source = openpyxl.load_workbook(lo["files"]["selftest"])[MARKER_SHEET]
    for ref in ("A8", "A1"):  # the rest of the sheet is untouched
        assert ws[ref].value == source[ref].value, ref


# --------------------------------------------------------------------------- hygiene
def test_soffice_terminated(lo):
    with pytest.raises(ProcessLookupError):
        os.killpg(lo["pgid"], 0)
