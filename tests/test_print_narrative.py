"""The 文字部分 as a clerk prints it: typed text prints whole, each part's heading with its text.

The narrative rows are auto-height rows: Excel, WPS and LibreOffice fit them to what staff
type; text a program writes (which no spreadsheet program fits on opening) prints in the
row's 409 pt. A part longer than one cell prints gets the TXT-LONG 提示.
"""

from __future__ import annotations

import json
import re
import zipfile

import openpyxl
import pytest

from validator import textfit
from validator.formats import get_format

from conftest import REPORTS, run_cli
from support.printing import flat, page_texts, require_print_tools, to_pdf

FMT = get_format()
PARTS = [c for c in FMT.cells if c.kind == "longtext"]
TEXT_SHEET = PARTS[0].sheet
TITLE = next(s.title for s in FMT.sheets if s.name == TEXT_SHEET)
NARRATIVE = json.loads((REPORTS / "fenxi-zfb_2023.source.json").read_text(encoding="utf-8"))["narrative"]


def _part(key: str) -> str:
    return NARRATIVE[key.split(".", 1)[1]]


def _heading(cell) -> str:
    row = int(re.sub(r"\D", "", cell.ref)) - 1
    return next(lb.text for lb in FMT.labels if lb.sheet == cell.sheet and lb.ref == f"A{row}")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("narrative")
    assert run_cli("template", "-o", folder).code == 0
    return folder / f"xxgk-template-{FMT.id}.xlsx"


def _sheet_xml(path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="rId(\d+)"', book)
        number = next(n for s, n in sheets if s == name)
        return z.read(f"xl/worksheets/sheet{number}.xml").decode()


def test_template_narrative_rows_grow_with_what_is_typed(template):
    """Each part's row is stored as Excel stores a row it fitted: a height (409 pt, room to
    type and to print a program's text) and no customHeight, so typing fits it; each part
    after the first starts a page, heading and text together; 100 %, no fit-to-page (which
    makes Excel ignore page breaks)."""
    xml = _sheet_xml(template, TEXT_SHEET)
    rows = {int(n): tag for tag, n in re.findall(r'(<row r="(\d+)"[^>]*>)', xml)}
    text_rows = [int(re.sub(r"\D", "", c.ref)) for c in PARTS]
    for r in text_rows:
        assert 'ht="408.75"' in rows[r] and "customHeight" not in rows[r], rows[r]
    assert re.findall(r'<brk id="(\d+)"', xml) == [str(r - 2) for r in text_rows[1:]]  # above each heading
    assert "fitToPage" not in xml


@pytest.mark.libreoffice
def test_narrative_written_by_a_program_prints_whole_with_its_heading(template, tmp_path):
    """The issue's test: fenxi's parts written into the blank template with openpyxl (no
    heights set), LibreOffice → PDF: every character printed, each part on the page of its
    heading."""
    require_print_tools()
    wb = openpyxl.load_workbook(template)
    for cell in PARTS:
        wb[cell.sheet][cell.ref] = _part(cell.key)
    wb.save(tmp_path / "typed.xlsx")
    [pdf] = to_pdf([tmp_path / "typed.xlsx"], tmp_path)
    pages = [flat(p) for p in page_texts(pdf) if p.strip().startswith(TITLE)]
    assert len(pages) == len(PARTS)
    for cell, page in zip(PARTS, pages):
        assert flat(_heading(cell)) in page and flat(_part(cell.key)) in page, cell.key


@pytest.mark.libreoffice
def test_narrative_typed_in_libreoffice_fits_its_rows_and_prints_whole(template, tmp_path):
    """Typed in LibreOffice (the cells set through its API, as typing does): each row shrinks
    or grows to its text, and the printout holds every character."""
    from support.libreoffice import require_libreoffice, run_driver

    require_libreoffice()
    require_print_tools()
    typed = tmp_path / "typed-in-lo.xlsx"
    job = {
        "name": "typed",
        "file": str(template),
        "set": [[c.sheet, c.ref, _part(c.key)] for c in PARTS],
        "recalc": False,
        "store": [{"file": str(typed), "filter": "Calc MS Excel 2007 XML"}],
    }
    answer = run_driver(tmp_path, [job], 240)
    assert answer["jobs"]["typed"]["stored"] == [str(typed)]
    ws = openpyxl.load_workbook(typed)[TEXT_SHEET]
    heights = {c.key: ws.row_dimensions[int(re.sub(r"\D", "", c.ref))].height for c in PARTS}
    assert all(h < textfit.MAX_ROW_HEIGHT - 50 for h in heights.values()), heights  # fitted, not 409
    assert heights["narrative.overview"] > heights["narrative.problems"] > heights["narrative.other_matters"]
    [pdf] = to_pdf([typed], tmp_path / "pdf")
    text = flat("".join(p for p in page_texts(pdf) if p.strip().startswith(TITLE)))
    for cell in PARTS:
        assert flat(_part(cell.key)) in text, cell.key


def test_fill_sets_each_written_part_as_tall_as_its_text(tmp_path):
    source = json.loads((REPORTS / "fenxi-zfb_2023.source.json").read_text(encoding="utf-8"))
    source["narrative"]["other_matters"] = ""
    (tmp_path / "r.json").write_text(json.dumps(source, ensure_ascii=False), encoding="utf-8")
    assert run_cli("fill", tmp_path / "r.json", "-o", tmp_path / "r.xlsx").code == 0
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")[TEXT_SHEET]
    for cell in PARTS:
        row = ws.row_dimensions[int(re.sub(r"\D", "", cell.ref))]
        text = source["narrative"][cell.key.split(".", 1)[1]]
        width = textfit.cell_width(FMT, cell.sheet, cell.ref)
        assert row.height == (textfit.row_height(text, width) if text else None), cell.key


def _long(path, text: str) -> None:
    wb = openpyxl.load_workbook(path)
    wb[TEXT_SHEET][PARTS[0].ref] = text
    wb.save(path)


def test_a_part_longer_than_a_cell_prints_gets_a_hint_pointing_to_render(workbook_copy, tmp_path):
    width = textfit.cell_width(FMT, PARTS[0].sheet, PARTS[0].ref)
    fits = "办" * textfit.capacity(width)
    assert textfit.fits(fits, width) and not textfit.fits(fits + "办" * int(width // 2), width)
    path = workbook_copy()
    for text, hinted in ((fits, False), (fits + "办" * 200, True)):
        _long(path, text)
        result = run_cli("check", path, "--json")
        assert result.code == 0, result.err  # a 提示: the text itself is fine
        found = [f for f in json.loads(result.out)["findings"] if f["rule"] == "TXT-LONG"]
        assert bool(found) == hinted
    [hint] = found
    assert hint["cells"][0]["ref"] == PARTS[0].a1 and hint["severity"] == "warning"
    assert "xxgk render" in hint["message"] and f"共 {len(fits) + 200} 字" in hint["message"]
    out = run_cli("check", path).out
    assert "TXT-LONG" not in out and "xxgk render" in out  # the terminal says it in words
    # the same report as JSON has no sheet to print: no hint
    exported = tmp_path / "r.json"
    assert run_cli("export", path, "-o", exported).code == 0
    again = json.loads(run_cli("check", exported, "--json").out)["findings"]
    assert not [f for f in again if f["rule"] == "TXT-LONG"]
