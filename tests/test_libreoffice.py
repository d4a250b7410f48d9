"""The template in real LibreOffice: it opens, and its live checks flag wrong totals.

The venv interpreter cannot ``import uno``, so one helper script (tests/support/lo_driver.py) runs
under the system python3, starts one headless soffice for this whole module, loads every
workbook below, applies edits, calls ``calculateAll()``, reads cells and conditional formats,
and exports each workbook to HTML. LibreOffice's HTML export writes the background a cell
*shows* (conditional formatting applied), which is how the red/yellow fills are checked.

Skipped when soffice or python3-uno is missing -- except with ``CI=true``, where that fails.
"""

from __future__ import annotations

import os
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from validator.formats.live import BLANK, TEXT_IN_CHECK, live_checks, live_marks
from validator.workbook.styles import ERROR_FILL, SUSPECT_FILL, WARNING_FILL

from conftest import REPORT_NAMES, REPORTS, TEMPLATE
from support.libreoffice import require_libreoffice, run_driver

pytestmark = pytest.mark.libreoffice

DRIVER_TIMEOUT = 120  # s, the whole module's LibreOffice session
T3, T4, T2 = "表三", "表四", "表二"
CF_FILLS = {ERROR_FILL.upper(), WARNING_FILL.upper(), SUSPECT_FILL.upper()}


# --------------------------------------------------------------------------- HTML export
class _SheetTables(HTMLParser):
    """LibreOffice's 'HTML (StarCalc)' export -> {sheet: {"A1": {"bg": "#RRGGBB"|None, "text": str}}}.

    Each sheet is one <table> (starting at A1) after ``<h1>Sheet n: <em>name</em></h1>``;
    merged cells come as colspan/rowspan and are keyed by their top-left cell.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sheets: dict[str, dict[str, dict]] = {}
        self._in_h1 = self._in_em = False
        self._heading = ""
        self._sheet: str | None = None
        self._grid: dict | None = None
        self._row = 0
        self._col = 0
        self._taken: set[tuple[int, int]] = set()
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h1":
            self._in_h1, self._heading, self._sheet = True, "", None
        elif tag == "em" and self._in_h1:
            self._in_em = True
        elif tag == "table" and self._sheet is not None:
            self._grid = self.sheets.setdefault(self._sheet, {})
            self._row, self._taken = 0, set()
        elif tag == "tr" and self._grid is not None:
            self._row += 1
            self._col = 1
        elif tag == "td" and self._grid is not None:
            while (self._row, self._col) in self._taken:
                self._col += 1
            span_c, span_r = int(a.get("colspan") or 1), int(a.get("rowspan") or 1)
            for r in range(self._row, self._row + span_r):
                for c in range(self._col, self._col + span_c):
                    self._taken.add((r, c))
            bg = a.get("bgcolor")
            self._cell = {"bg": bg.upper() if bg else None, "text": ""}
            self._grid[f"{get_column_letter(self._col)}{self._row}"] = self._cell
            self._col += span_c

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False
        elif tag == "em":
            self._in_em = False
        elif tag == "td":
            self._cell = None
        elif tag == "table":
            self._grid, self._sheet = None, None

    def handle_data(self, data):
        if self._in_em:
            self._heading += data
            self._sheet = self._heading.strip()
        if self._cell is not None:
            self._cell["text"] += data


def parse_html(path: Path) -> dict[str, dict[str, dict]]:
    parser = _SheetTables()
    parser.feed(Path(path).read_text(encoding="utf-8", errors="replace"))
    return parser.sheets


def static_fills(path: Path) -> dict[str, dict[str, str]]:
    """Solid fills stored in the file itself (`xxgk check` paints findings into the workbook)."""
    out: dict[str, dict[str, str]] = {}
    for ws in openpyxl.load_workbook(path):
        for row in ws.iter_rows():
            for c in row:
                if c.fill.patternType == "solid" and isinstance(c.fill.fgColor.rgb, str):
                    out.setdefault(ws.title, {})[c.coordinate] = f"#{c.fill.fgColor.rgb[-6:].upper()}"
    return out


def cf_cells(res: dict, sheet: str, fill: str) -> set[str]:
    """Cells LibreOffice paints `fill` although the file stores another (or no) fill: CF at work."""
    stored = res["static_fills"].get(sheet, {})
    return {
        ref
        for ref, cell in res["html_cells"][sheet].items()
        if cell["bg"] == fill.upper() and stored.get(ref) != cell["bg"]
    }


# --------------------------------------------------------------------------- the session
def _t3_row_sum(ws, row: int) -> int:
    return sum(int(ws[f"{c}{row}"].value or 0) for c in "DEFGHI")


@pytest.fixture(scope="module")
def lo(tmp_path_factory, fmt):
    """Run every workbook through one LibreOffice; returns the driver's answer + parsed HTML."""
    require_libreoffice()
    work = tmp_path_factory.mktemp("lo")
    check_cells = [[c.sheet, c.ref] for c in live_checks(fmt)]
    anchors = {(m.sheet, m.ref.split(":")[0]) for m in live_marks(fmt)}  # where each mark's formula is written
    targets = sorted({(c.sheet, c.ref) for c in live_checks(fmt)} | anchors)

    def copy(src: Path, name: str) -> str:
        dst = work / f"{name}.xlsx"  # never open the committed files themselves (lock files)
        shutil.copyfile(src, dst)
        return str(dst)

    jobs = [
        {"name": "template", "file": copy(TEMPLATE, "template"), "read": check_cells, "cf": [list(t) for t in targets]}
    ]
    for name in REPORT_NAMES:
        jobs.append({"name": name, "file": copy(REPORTS / f"{name}.xlsx", name), "read": check_cells})

    # fenxi: 表三 J4 (一、本年新收·总计) one too high, edited inside LibreOffice;
    # and 表二 行政规范性文件 本年制发 30 (废止 0, 现行有效 20): 现行有效 < 制发 − 废止 is a warning (yellow).
    fenxi = openpyxl.load_workbook(REPORTS / "fenxi-zfb_2023.xlsx")[T3]
    jobs.append(
        {
            "name": "fenxi-bad",
            "file": copy(REPORTS / "fenxi-zfb_2023.xlsx", "fenxi-bad"),
            "set": [[T3, "J4", _t3_row_sum(fenxi, 4) + 1], [T2, "B4", 30]],
            "read": check_cells + [[T3, "J4"], [T2, "B4"]],
        }
    )
    # huaian: 表四 行政复议·总计 (E4) one too high, 表三 （七）总计·总计 (J27) one too high.
    huaian = openpyxl.load_workbook(REPORTS / "huaian-shi_2024.xlsx")
    t4 = huaian[T4]
    jobs.append(
        {
            "name": "huaian-bad",
            "file": copy(REPORTS / "huaian-shi_2024.xlsx", "huaian-bad"),
            "set": [[T4, "E4", sum(t4[f"{c}4"].value for c in "ABCD") + 1], [T3, "J27", huaian[T3]["J27"].value + 1]],
            "read": check_cells,
        }
    )
    # pingtan: a wrong *part* (D4 自然人 +1) saved into the file with openpyxl before loading,
    # as when a colleague's edited workbook is opened.
    wb = openpyxl.load_workbook(REPORTS / "pingtan_2021.xlsx")
    wb[T3]["D4"] = wb[T3]["D4"].value + 1
    saved = work / "pingtan-bad.xlsx"
    wb.save(saved)
    jobs.append({"name": "pingtan-bad", "file": str(saved), "read": check_cells})

    # the empty template typed into as a user would: no calculateAll(), only LibreOffice's autocalc
    jobs.append(
        {
            "name": "template-typed",
            "file": copy(TEMPLATE, "template-typed"),
            "recalc": False,
            "set": [[T3, "J4", 1], [T4, "O4", 2]],
            "read": check_cells,
        }
    )

    # a cell emptied: its row and its column say 未填写, never 正确 beside a blank
    jobs.append(
        {
            "name": "fenxi-blank",
            "file": copy(REPORTS / "fenxi-zfb_2023.xlsx", "fenxi-blank"),
            "set": [[T3, "D16", None]],
            "read": check_cells,
        }
    )

    # numbers typed as text (表三 D4 "3", 表四 A4 "0"), as LibreOffice stores a typed-in
    # string; the result is saved too, so `xxgk check` judges the very file the sheet judged.
    jobs.append(
        {
            "name": "fenxi-text",
            "file": copy(REPORTS / "fenxi-zfb_2023.xlsx", "fenxi-text"),
            "set": [[T3, "D4", "3"], [T4, "A4", "0"]],
            "read": check_cells + [[T3, "D4"], [T4, "A4"]],
            "store": [{"file": str(work / "fenxi-text-saved.xlsx"), "filter": "Calc MS Excel 2007 XML"}],
        }
    )

    for job in jobs:
        job["html"] = str(work / f"{job['name']}.html")

    answer = run_driver(work, jobs, DRIVER_TIMEOUT)
    for job in jobs:
        res = answer["jobs"][job["name"]]
        res["html_cells"] = parse_html(Path(res["html"]))
        res["static_fills"] = static_fills(Path(job["file"]))
    answer["work"] = work
    answer["sources"] = {
        "fenxi": openpyxl.load_workbook(REPORTS / "fenxi-zfb_2023.xlsx"),
        "huaian": huaian,
        "pingtan": openpyxl.load_workbook(saved),
    }
    print(f"\n{answer.get('soffice')}: {len(jobs)} workbooks", file=sys.stderr)
    return answer


def value(res: dict, sheet: str, ref: str):
    """A cell as LibreOffice computed it: str for text, float for numbers, None if empty."""
    cell = res["values"][f"{sheet}!{ref}"]
    assert cell["kind"] != "error", f"{sheet}!{ref} is an error in LibreOffice: {cell}"
    return cell["value"]


def expected_ok(check):
    """What a check shows when nothing is wrong (warnings: all three 表二 figures present)."""
    return "正确"  # the same word in 表二, 表三 and 表四


# --------------------------------------------------------------------------- a. template
def test_template_opens_with_every_sheet(lo, fmt):
    res = lo["jobs"]["template"]
    assert res["sheets"] == [s.name for s in fmt.sheets]
    assert res["protected"] == {s.name: s.protected for s in fmt.sheets}


def test_template_checks_show_initial_values_after_recalc(lo, fmt):
    res = lo["jobs"]["template"]
    assert len(live_checks(fmt)) == 2 + 25 + 2 * 7 + 3
    for check in live_checks(fmt):
        cell = res["values"][f"{check.sheet}!{check.ref}"]
        # LibreOffice imported the very formula (it shows ';' as the argument separator)
        assert cell["formula"].replace(";", ",") == check.formula, check
        expected_kind = "number" if isinstance(check.initial, (int, float)) else "text"
        assert (cell["kind"], cell["value"]) == (expected_kind, check.initial), (check, cell)


# --------------------------------------------------------------------------- b. verdicts
@pytest.mark.parametrize("name", REPORT_NAMES)
def test_correct_report_checks_all_pass(lo, fmt, name):
    res = lo["jobs"][name]
    for check in live_checks(fmt):
        assert value(res, check.sheet, check.ref) == expected_ok(check), (name, check.ref)


def test_wrong_table3_total_flagged(lo, fmt):
    res = lo["jobs"]["fenxi-bad"]
    true = _t3_row_sum(lo["sources"]["fenxi"][T3], 4)
    assert true == 3
    assert value(res, T3, "J4") == true + 1
    assert value(res, T3, "K4") == f"不平：各列之和 {true}，总计 {true + 1}"  # the discrepancy, no culprit
    assert value(res, T3, "J30") == "不平：一＋二 4，（七）＋四 3"  # 一＋二－（七）－四 no longer balances
    wrong = {(T3, "K4"), (T3, "J30"), (T2, "E4")}
    for check in live_checks(fmt):
        if (check.sheet, check.ref) not in wrong:
            assert value(res, check.sheet, check.ref) == expected_ok(check), check.ref


def test_table2_warning_shown(lo):
    res = lo["jobs"]["fenxi-bad"]  # B4 制发 30, C4 废止 0, D4 现行有效 20
    assert value(res, T2, "E4") == "不符：制发减废止 30 大于现行有效 20"
    assert value(res, T2, "E3") == "正确"


def test_wrong_table4_and_seventh_total_flagged(lo, fmt):
    res = lo["jobs"]["huaian-bad"]
    src = lo["sources"]["huaian"]
    t4_sum = sum(src[T4][f"{c}4"].value for c in "ABCD")
    assert t4_sum == 351
    assert value(res, T4, "E6") == f"不平：各项之和 {t4_sum}，总计 {t4_sum + 1}"
    assert value(res, T4, "J6") == value(res, T4, "O6") == "正确"
    j27 = src[T3]["J27"].value  # （七）总计·总计 3050, set to 3051
    assert value(res, T3, "K27") == f"不平：各列之和 {j27}，总计 {j27 + 1}"  # row: 自然人…其他 still sum to 3050
    assert value(res, T3, "J29") == f"不平：各项之和 {j27}，（七） {j27 + 1}"  # column: （一）…（六） still 3050
    one_two = src[T3]["J4"].value + src[T3]["J5"].value
    assert value(res, T3, "J30") == f"不平：一＋二 {one_two}，（七）＋四 {one_two + 1}"
    assert value(res, T3, "D29") == "正确" and value(res, T3, "D30") == "正确"
    wrong = {(T4, "E6"), (T3, "K27"), (T3, "J29"), (T3, "J30")}
    for check in live_checks(fmt):
        if (check.sheet, check.ref) not in wrong:
            assert value(res, check.sheet, check.ref) == expected_ok(check), check.ref


def test_wrong_part_saved_in_file_flagged(lo, fmt):
    res = lo["jobs"]["pingtan-bad"]
    ws = lo["sources"]["pingtan"][T3]  # the file as loaded: D4 = 65, J4 still 70
    true = _t3_row_sum(ws, 4)
    assert (true, ws["J4"].value) == (71, 70)
    assert value(res, T3, "K4") == f"不平：各列之和 {true}，总计 70"
    assert value(res, T3, "D30").startswith("不平：一＋二 ")
    assert value(res, T3, "J30") == "正确"


def test_typing_a_wrong_total_updates_checks_without_manual_recalc(lo, fmt):
    res = lo["jobs"]["template-typed"]  # empty template; J4 = 1 and O4 = 2 typed in
    assert value(res, T3, "K4") == BLANK  # the rest of the row is still blank: never 正确 beside it
    assert value(res, T3, "J30") == BLANK  # the 总计 column's balance: J5, J27, J28 blank
    assert value(res, T4, "O6") == BLANK
    for sheet in (T3, T4):
        assert cf_cells(res, sheet, ERROR_FILL) == cf_cells(res, sheet, SUSPECT_FILL) == set()
    typed = {(T3, "K4"), (T3, "J30"), (T4, "O6")}
    for check in live_checks(fmt):
        if (check.sheet, check.ref) not in typed:
            assert value(res, check.sheet, check.ref) == check.initial, check.ref


def test_a_blank_cell_is_said_to_be_blank_in_its_row_and_column(lo, fmt):
    res = lo["jobs"]["fenxi-blank"]
    blank = {(T3, "K16"), (T3, "D29")}  # row （四）1 and column 自然人's （一）…（六）
    for check in live_checks(fmt):
        assert value(res, check.sheet, check.ref) == (BLANK if (check.sheet, check.ref) in blank else "正确"), check.ref
    assert cf_cells(res, T3, ERROR_FILL) == cf_cells(res, T3, SUSPECT_FILL) == set()


# --------------------------------------------------------------------------- c. conditional formats
def test_conditional_formats_imported(lo, fmt):
    cf = lo["jobs"]["template"]["cf"]
    wanted = [
        (c.sheet, c.ref, c.bad_when, ERROR_FILL if c.severity == "error" else WARNING_FILL) for c in live_checks(fmt)
    ]
    wanted += [(m.sheet, m.ref.split(":")[0], m.when, SUSPECT_FILL) for m in live_marks(fmt)]
    for sheet, ref, when, fill in wanted:
        entries = cf[f"{sheet}!{ref}"]
        [entry] = [e for e in entries if e["operator"] == "FORMULA" and e["formula1"].replace(";", ",") == when[1:]]
        assert entry["back_color"] == fill.upper(), entry
    assert "SUM(D4:I4)" in cf[f"{T3}!J4"][0]["formula1"]


def test_effective_fill_red_only_on_wrong_totals(lo):
    """The colours LibreOffice actually paints (HTML export applies conditional formats)."""
    bad = lo["jobs"]["fenxi-bad"]
    grid = bad["html_cells"]
    assert grid[T3]["K4"]["text"] == "不平：各列之和 3，总计 4"  # the grid maps to the right cells
    assert grid[T3]["J4"]["text"] == "4"
    assert cf_cells(bad, T3, ERROR_FILL) == {"K4", "J30"}  # the failing checks; no total is red
    assert cf_cells(bad, T3, SUSPECT_FILL) == {"J4"}  # the typo: its row and its column off by 1
    assert cf_cells(bad, T2, WARNING_FILL) == {"E4"}
    assert cf_cells(bad, T4, ERROR_FILL) == set()
    assert grid[T3]["J4"]["bg"] == SUSPECT_FILL.upper()
    assert grid[T3]["J5"]["bg"] not in CF_FILLS and grid[T3]["K5"]["bg"] not in CF_FILLS

    bad = lo["jobs"]["huaian-bad"]
    assert cf_cells(bad, T4, ERROR_FILL) == {"E6"}
    assert cf_cells(bad, T4, SUSPECT_FILL) == set()  # a 总计 too high: any of its four parts could be short
    assert cf_cells(bad, T3, ERROR_FILL) == {"K27", "J29", "J30"}
    assert cf_cells(bad, T3, SUSPECT_FILL) == {"J27"}

    bad = lo["jobs"]["pingtan-bad"]
    assert cf_cells(bad, T3, ERROR_FILL) == {"K4", "D30"}
    assert cf_cells(bad, T3, SUSPECT_FILL) == {"D4"}  # the part, not the correct 总计 J4


@pytest.mark.parametrize("name", ("template", *REPORT_NAMES))
def test_effective_fill_clean_when_correct(lo, name):
    res = lo["jobs"][name]
    assert res["html_cells"][T3]["J4"]["bg"] == "#FFF2CC"  # the input fill is there, just not red
    for sheet in res["html_cells"]:
        for fill in CF_FILLS:
            assert cf_cells(res, sheet, fill) == set(), (name, sheet, fill)


# --------------------------------------------------------------------------- hygiene
def test_soffice_terminated(lo):
    with pytest.raises(ProcessLookupError):
        os.killpg(lo["pgid"], 0)


# --------------------------------------------------------------------------- d. text numbers
def test_text_numbers_are_flagged_not_miscounted(lo, fmt):
    """Excel's SUM skips text: the checks beside a sum that includes text say so instead of a wrong discrepancy."""
    res = lo["jobs"]["fenxi-text"]
    assert res["values"][f"{T3}!D4"] == {**res["values"][f"{T3}!D4"], "kind": "text", "value": "3"}
    flagged = {(T3, "K4"), (T3, "D30"), (T4, "E6")}  # row 一 总计, column D balance, 表四 复议 总计
    for check in live_checks(fmt):
        expected = TEXT_IN_CHECK if (check.sheet, check.ref) in flagged else expected_ok(check)
        assert value(res, check.sheet, check.ref) == expected, check.ref
    assert cf_cells(res, T3, ERROR_FILL) == set() and cf_cells(res, T4, ERROR_FILL) == set()
    assert cf_cells(res, T3, WARNING_FILL) == {"D4"} and cf_cells(res, T4, WARNING_FILL) == {"A4"}


def test_the_tool_agrees_with_the_sheet_on_text_numbers(lo):
    """The file LibreOffice saved: the tool reads the numbers and warns about the same two cells."""
    import json

    from conftest import run_cli

    saved = Path(lo["work"]) / "fenxi-text-saved.xlsx"
    result = run_cli("check", "--json", saved)
    assert result.code == 0, result.err
    findings = json.loads(result.out)["findings"]
    assert sorted((f["rule"], f["cells"][0]["ref"]) for f in findings) == [
        ("VAL-TEXT", "表三!D4"),
        ("VAL-TEXT", "表四!A4"),
    ]
