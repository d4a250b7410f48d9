"""The annotated copy and `fill` output in real LibreOffice (helpers in tests/support/libreoffice.py).

Two sessions: the first makes a source the way staff would, totals typed as ``=SUM(D:I)`` and
computed and saved by LibreOffice; the second opens what ``xxgk`` wrote from it and from the
other fixtures: are the 情况说明 cells editable (``CellProtection.IsLocked``), are the formula
results there, are the picture and the text box still on the sheet, are the buttons of an
annotated .xlsm still bound to their macros?

Skipped when soffice or python3-uno is missing -- except with ``CI=true``, where that fails.
"""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest

from addin.build import BUTTONS, button_sheets, xlsm_bytes
from validator.formats import get_format
from validator.spec import col_letter

from conftest import REPORTS, run_cli
from support.annotated import EXPLAIN_COL, with_drawing
from support.libreoffice import require_libreoffice, run_driver

BUTTON_SHEETS = button_sheets(get_format())

pytestmark = pytest.mark.libreoffice

DRIVER_TIMEOUT = 90  # s, per session
TOTALS = [f"J{r}" for r in range(4, 29)]
RESULT_ROWS = range(4, 8)  # four findings in the broken Huai'an copy
INPUTS = [("表四", "E4"), ("表三", "D4"), ("封面", "B4")]


def _check(path) -> tuple[int, dict]:
    result = run_cli("check", path, "--json")
    report = json.loads(result.out)
    report.pop("source")
    return result.code, report


@pytest.fixture(scope="module")
def lo(tmp_path_factory, fmt):
    require_libreoffice()
    work = tmp_path_factory.mktemp("lo-annotate")
    example = work / "example.xlsx"
    shutil.copyfile(REPORTS / "fenxi-zfb_2023.xlsx", example)
    summed = work / "sum.xlsx"
    made = run_driver(
        work / "s1",
        [
            {
                "name": "sum",
                "file": str(example),
                "set": [["表三", ref, f"=SUM(D{ref[1:]}:I{ref[1:]})"] for ref in TOTALS],
                "store": [{"file": str(summed), "filter": "Calc MS Excel 2007 XML"}],
            }
        ],
        DRIVER_TIMEOUT,
    )
    assert made["jobs"]["sum"]["stored"] == [str(summed)]

    files = {"sum": summed}
    broken = work / "broken.xlsx"
    shutil.copyfile(REPORTS / "huaian-shi_2024.xlsx", broken)
    wb = openpyxl.load_workbook(broken)
    wb["表四"]["E4"] = 350
    wb.save(broken)
    with_drawing(broken, work / "drawn.xlsx")
    macro = work / "report.xlsm"
    macro.write_bytes(xlsm_bytes(fmt))
    for name, source, out in (
        ("sum_marked", summed, "sum_marked.xlsx"),
        ("marked", work / "drawn.xlsx", "marked.xlsx"),
        ("xlsm_marked", macro, "marked.xlsm"),
    ):
        files[name] = work / out
        run_cli("check", source, "--annotate", files[name])
        assert files[name].exists(), name
    files["filled"] = work / "filled.xlsx"
    assert run_cli("fill", REPORTS / "huaian-shi_2024.source.json", "-o", files["filled"]).code == 0

    explain = [["校验结果", f"{col_letter(EXPLAIN_COL - 1)}{r}"] for r in RESULT_ROWS]
    jobs = [
        {
            "name": "sum_marked",
            "file": str(files["sum_marked"]),
            "recalc": False,
            "read": [["表三", ref] for ref in TOTALS],
        },
        {
            "name": "marked",
            "file": str(files["marked"]),
            "recalc": False,
            "interactions": True,
            "controls": True,
            "locked": [*explain, ["校验结果", "B4"], *INPUTS],
        },
        {"name": "filled", "file": str(files["filled"]), "recalc": False, "locked": explain[:2]},
        {
            "name": "xlsm_marked",
            "file": str(files["xlsm_marked"]),
            "recalc": False,
            "interactions": True,
            "controls": True,
        },
    ]
    answer = run_driver(work / "s2", jobs, DRIVER_TIMEOUT)
    answer["files"] = files
    return answer


def test_totals_computed_by_libreoffice_check_the_same_in_the_annotated_copy(lo):
    files = lo["files"]
    source = _check(files["sum"])
    assert source[0] == 0, source
    assert _check(files["sum_marked"]) == source
    values = lo["jobs"]["sum_marked"]["values"]
    expected = openpyxl.load_workbook(files["sum"], data_only=True)["表三"]
    for ref in TOTALS:  # the copy shows the results without recalculating, and keeps the formulas
        cell = values[f"表三!{ref}"]
        assert cell["formula"] == f"=SUM(D{ref[1:]}:I{ref[1:]})"
        assert (cell["kind"], cell["value"]) == ("number", expected[ref].value), ref


def test_explanation_cells_are_unlocked_and_the_rest_protected(lo):
    res = lo["jobs"]["marked"]
    assert res["interactions"] == [] and res["protected"]["校验结果"] is True
    locked = res["locked"]
    for row in RESULT_ROWS:
        assert locked[f"校验结果!{col_letter(EXPLAIN_COL - 1)}{row}"] is False, row
    assert locked["校验结果!B4"] is True
    for sheet, ref in INPUTS:  # E4 is flagged: marked and still editable
        assert locked[f"{sheet}!{ref}"] is False, ref


def test_explanation_cells_of_fill_output_are_unlocked(lo):
    res = lo["jobs"]["filled"]
    assert res["protected"]["校验结果"] is True
    assert set(res["locked"].values()) == {False}


def test_picture_and_text_box_are_still_on_the_sheet(lo):
    shapes = [
        s
        for s in lo["jobs"]["marked"]["controls"]["封面"]["shapes"]
        if s["type"] != "com.sun.star.drawing.CaptionShape"
    ]  # the cell notes we added
    assert [s["type"] for s in shapes] == [
        "com.sun.star.drawing.GraphicObjectShape",
        "com.sun.star.drawing.CustomShape",
    ]
    assert shapes[1]["text"] == "盖章处"


def test_annotated_xlsm_keeps_its_buttons(lo):
    res = lo["jobs"]["xlsm_marked"]
    assert res["interactions"] == []
    for sheet in BUTTON_SHEETS:
        labels = [
            s["label"] for s in res["controls"][sheet]["shapes"] if s["type"] == "com.sun.star.drawing.ControlShape"
        ]
        assert labels == [caption for _, caption in BUTTONS], sheet
