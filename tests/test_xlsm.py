"""The macro template: byte-identical builds, a sound VBA project read back by independent tools,
buttons bound to the macros, xlwings' own module embedded from the pinned version."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import olefile
import openpyxl
import pytest
import xlwings
from oletools.olevba import VBA_Parser

from addin.build import BUTTONS, XLWINGS_CONF, XLWINGS_PIN, button_sheets, xlsm_bytes
from addin.setup import interpreter_for_excel
from validator.formats import get_format
from validator.workbook.build import template_bytes

from conftest import REPORTS, ROOT, run_cli

BUTTON_SHEETS = button_sheets(get_format())

XLSM = ROOT / "xlsx_templates" / "xxgk-template-gb-2021-30.xlsm"


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.fixture(scope="module")
def built(fmt) -> bytes:
    return xlsm_bytes(fmt)


def test_two_builds_are_byte_identical(fmt, built):
    assert xlsm_bytes(fmt) == built


def test_committed_xlsm_matches_a_fresh_build_part_by_part(built):
    fresh, committed = _parts(built), _parts(XLSM.read_bytes())
    assert sorted(fresh) == sorted(committed), "run `uv run xxgk template`"
    for name in fresh:
        assert fresh[name] == committed[name], f"part {name} differs: run `uv run xxgk template`"


def test_the_xlsm_shares_every_sheet_part_with_the_xlsx_template(fmt, built):
    """Same format data, same builder: only the macro parts differ."""
    plain, macro = _parts(template_bytes(fmt)), _parts(built)
    for i, _sheet in enumerate(fmt.sheets, 1):
        name = f"xl/worksheets/sheet{i}.xml"
        strip = re.compile(rb"<sheetPr[^>]*?(/>|>.*?</sheetPr>)|<legacyDrawing[^>]*/>", re.S)
        assert strip.sub(b"", plain[name]) == strip.sub(b"", macro[name]), name


def test_vba_project_opens_in_strict_olefile(built, tmp_path):
    project = _parts(built)["xl/vbaProject.bin"]
    ole = olefile.OleFileIO(io.BytesIO(project), raise_defects=olefile.DEFECT_INCORRECT)
    streams = {"/".join(s) for s in ole.listdir()}
    assert {
        "PROJECT",
        "PROJECTwm",
        "VBA/_VBA_PROJECT",
        "VBA/dir",
        "VBA/Main",
        "VBA/xlwings",
        "VBA/ThisWorkbook",
    } <= streams
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")


def test_oletools_reads_back_every_module_byte_for_byte(built, tmp_path):
    path = tmp_path / "t.xlsm"
    path.write_bytes(built)
    modules = {name: code for _f, _s, name, code in VBA_Parser(str(path)).extract_macros()}
    main = (ROOT / "addin" / "vba" / "Main.bas").read_text(encoding="ascii")
    xlwings_bas = Path(xlwings.__file__).with_name("xlwings.bas").read_text(encoding="ascii")
    crlf = lambda s: s.replace("\r\n", "\n").replace("\n", "\r\n")  # noqa: E731 - VBA stores CRLF
    assert modules["Main.bas"] == crlf(main)
    assert modules["xlwings.bas"] == crlf(xlwings_bas)
    assert {"ThisWorkbook.cls", *(f"Sheet{i}.cls" for i in range(1, 9))} <= set(modules)
    for line in ('RunPython "import importlib.util as u;', "b.validate()", "b.export_json()", "b.clear_marks()"):
        assert line in modules["Main.bas"]


def test_embedded_xlwings_is_the_pinned_version():
    assert xlwings.__version__ == XLWINGS_PIN
    text = Path(xlwings.__file__).with_name("xlwings.bas").read_text(encoding="ascii")
    assert f'XLWINGS_VERSION As String = "{XLWINGS_PIN}"' in text


def test_vba_source_is_ascii():
    for path in (ROOT / "addin" / "vba").glob("*.bas"):
        assert all(b < 128 for b in path.read_bytes()), path


def test_buttons_on_cover_and_table_sheets_are_bound_to_the_macros(fmt, built):
    parts = _parts(built)
    sheet_index = {s.name: i for i, s in enumerate(fmt.sheets, 1)}
    assert BUTTON_SHEETS == ("封面", "表二", "表三", "表四")  # derived from the format: cover + figure sheets
    for name in BUTTON_SHEETS:
        rels = parts[f"xl/worksheets/_rels/sheet{sheet_index[name]}.xml.rels"].decode()
        vml = re.search(r'Target="\.\./drawings/(vmlDrawing\d+\.vml)"', rels).group(1)
        text = parts[f"xl/drawings/{vml}"].decode("utf-8")
        macros = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", text)
        captions = re.findall(r'color="#000000">([^<]+)</font>', text)
        assert list(zip(macros, captions)) == list(BUTTONS), name


def test_hidden_xlwings_conf_sheet(built):
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    ws = wb["xlwings.conf"]
    assert ws.sheet_state == "hidden"
    assert [(r[0].value, r[1].value) for r in ws.iter_rows(max_col=2)] == list(XLWINGS_CONF)
    assert not any(k.upper() == "INTERPRETER_WIN" for k, _ in XLWINGS_CONF)  # set per user by excel-setup


@pytest.mark.slow
def test_the_xlsm_is_read_checked_and_annotated_like_the_xlsx(tmp_path, fmt, built):
    path = tmp_path / "report.xlsm"
    path.write_bytes(built)
    source = openpyxl.load_workbook(REPORTS / "fenxi-zfb_2023.xlsx")
    wb = openpyxl.load_workbook(path, keep_vba=True)
    for cell in fmt.cells:  # staff typing the 汾西 report into the macro template
        wb[cell.sheet][cell.ref] = source[cell.sheet][cell.ref].value
    wb["表三"]["J4"] = 4
    wb.save(path)
    out = tmp_path / "marked.xlsm"
    result = run_cli("check", path, "--annotate", out)
    assert result.code == 1, result.out
    assert "错误 2 个" in result.out and "表三!J4" in result.out
    assert _parts(out.read_bytes())["xl/vbaProject.bin"] == _parts(built)["xl/vbaProject.bin"]


@pytest.mark.slow
def test_excel_setup_points_the_copied_template_at_this_python_and_leaves_the_global_config_alone(
    tmp_path, monkeypatch, fmt, built
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    conf = tmp_path / "home" / ".xlwings" / "xlwings.conf"
    conf.parent.mkdir(parents=True)
    before = '"INTERPRETER_WIN","C:\\Python39\\python.exe"\n"LICENSE_KEY","keep-me"\n'
    conf.write_text(before, encoding="utf-8")
    result = run_cli("excel-setup", "--to", tmp_path / "out")
    assert result.code == 0, result.err
    # every other xlwings workbook on the PC keeps its Python
    assert conf.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in conf.parent.iterdir()) == ["xlwings.conf"]
    python = interpreter_for_excel()
    assert python in result.out and "未改动" in result.out

    copied = (tmp_path / "out" / "xxgk-template-gb-2021-30.xlsm").read_bytes()
    ws = openpyxl.load_workbook(io.BytesIO(copied), keep_vba=True)["xlwings.conf"]
    rows = [(r[0].value, r[1].value) for r in ws.iter_rows(max_col=2)]
    assert rows == [*XLWINGS_CONF, ("Interpreter_Win", python)]  # xlwings reads this sheet first
    assert ws.sheet_state == "hidden"
    assert copied == xlsm_bytes(fmt, interpreter=python)  # deterministic, like the shipped one
    fresh, shipped = _parts(copied), _parts(built)
    assert sorted(fresh) == sorted(shipped)
    # only the conf sheet and the string table differ from the shipped template: same VBA, same buttons
    assert {n for n in fresh if fresh[n] != shipped[n]} == {"xl/worksheets/sheet8.xml", "xl/sharedStrings.xml"}


def test_excel_setup_creates_no_global_config(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    assert run_cli("excel-setup", "--to", tmp_path / "out").code == 0
    assert list((tmp_path / "home").iterdir()) == []
