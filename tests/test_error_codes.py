"""Unusable input carries a machine-readable code: ``check --json`` prints it, docs/json.md lists it."""

from __future__ import annotations

import json
import re
import zipfile

import openpyxl
import pytest

from validator.errors import CODES, UnusableInput

from conftest import REPORTS, ROOT, run_cli


def _code(path) -> str:
    r = run_cli("check", path, "--json")
    assert r.code == 2, r.out
    return json.loads(r.out)["error"]["code"]


@pytest.mark.parametrize(
    "name,content,code",
    [
        ("empty.xlsx", b"", "empty"),
        ("text.xlsx", "这是一段文字".encode(), "not-xlsx"),
        ("notes.txt", b"hello", "not-xlsx"),
        ("bad.json", b'{"format": "gb-2021-30",', "bad-json"),
        ("other.json", b'{"format": "gb-2030-99"}', "unknown-format"),
    ],
)
def test_files_get_their_specific_code(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    assert _code(path) == code


def test_missing_file_and_damaged_zip(tmp_path):
    assert _code(tmp_path / "none.xlsx") == "not-found"
    data = (REPORTS / "fenxi-zfb_2023.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    assert _code(tmp_path / "cut.xlsx") == "damaged"
    with zipfile.ZipFile(tmp_path / "parts.xlsx", "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    assert _code(tmp_path / "parts.xlsx") == "damaged"


@pytest.mark.slow
@pytest.mark.parametrize(
    "edit,code",
    [
        ({"封面!B10": None}, "not-template"),
        ({"封面!B10": "gb-2030-99"}, "unknown-format"),
        ({"封面!B11": 2}, "template-version"),
        ({"表三!A4": "改动的表头"}, "layout-changed"),
        ({"封面!B4": "机关_x000B_名称"}, "bad-text"),  # how Excel stores a pasted vertical tab
    ],
)
def test_workbooks_get_their_specific_code(workbook_copy, edit, code):
    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    for where, value in edit.items():
        sheet, ref = where.split("!")
        wb[sheet][ref] = value
    wb.save(path)
    assert _code(path) == code


def test_other_workbook_is_not_a_template(tmp_path):
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便一张表"
    wb.save(path)
    assert _code(path) == "not-template"


def test_bad_profile_and_bad_argument(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text("[rules.NO-SUCH]\nenabled = false\n", encoding="utf-8")
    r = run_cli("check", ROOT / "examples" / "fenxi-zfb_2023.xlsx", "--profile", profile, "--json")
    assert r.code == 2 and json.loads(r.out)["error"]["code"] == "bad-profile"
    assert UnusableInput("x").code == "unusable-input"


def test_docs_list_every_code():
    page = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([a-z-]+)` \| ", page, re.M)
    assert set(CODES) <= set(listed)


def test_every_code_raised_is_listed():
    """A code given in the source but missing from CODES (and so from docs/json.md) would reach
    programs undocumented: every literal ``code="…"`` in validator/ is a known code."""
    used = set()
    for path in (ROOT / "validator").rglob("*.py"):
        used |= set(re.findall(r'\bcode="([a-z-]+)"', path.read_text(encoding="utf-8")))
    assert used and used <= set(CODES), used - set(CODES)
