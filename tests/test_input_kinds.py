"""Input kinds in one registry (validator/readers): which reader a file goes to, what each can do.

A reader claims a file by its first bytes before any reader claims it by its name; the kinds'
capabilities (typed values, annotatable) replace every test of where a submission came from;
the web page's file pickers and upload cap come from the registry.

WPS 表格's own format (.et) is refused with what to do. No WPS is installed here, so the .et
fixture is built honestly from what WPS says of the format (its .et is compatible with .xls):
an OLE compound file, written by this project's own compound-file writer (addin/ovba/cfb.py),
holding a ``Workbook`` stream that starts with a BIFF8 beginning-of-file record, as an .xls does.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from addin.ovba.cfb import write_compound_file
from validator import api, readers
from validator.errors import CODES, UnusableInput
from validator.readers import CONTENT, EXACT, NAME, READERS, reader_for
from validator.submission import CELLS

from conftest import EXAMPLE, REPORTS, ROOT, run_cli

ODS = ROOT / "tests" / "fixtures" / "ods" / "fenxi-zfb_2023.ods"


def biff8_compound_file() -> bytes:
    """An OLE compound file with a ``Workbook`` stream: a BIFF8 BOF record (workbook globals),
    then EOF — the layout of an .xls, which WPS's .et follows."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0x000100C1, 0x00000406)
    eof = struct.pack("<HH", 0x000A, 0)
    return write_compound_file({"Workbook": bof + eof})


def _refusal(path: Path) -> tuple[str, str]:
    result = run_cli("check", path, "--json")
    assert result.code == 2, result.out
    error = json.loads(result.out)["error"]
    return error["code"], error["message"]


@pytest.mark.parametrize("name", ["报表.et", "模板.ett", "报表.ET"])
def test_a_wps_spreadsheet_is_refused_with_what_to_do(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(biff8_compound_file())
    assert path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    code, message = _refusal(path)
    assert code == "wps" and "WPS 表格文件" in message and "另存为" in message and ".xlsx" in message


def test_the_same_compound_file_named_xls_is_an_old_xls(tmp_path):
    path = tmp_path / "旧.xls"
    path.write_bytes(biff8_compound_file())
    code, message = _refusal(path)
    assert code == "xls" and "旧版 .xls" in message


def test_a_workbook_or_a_json_named_et_is_read_as_what_it_is(tmp_path):
    shutil.copyfile(REPORTS / "fenxi-zfb_2023.xlsx", tmp_path / "存为.et")
    shutil.copyfile(EXAMPLE.with_suffix(".json"), tmp_path / "导出.et")
    for name in ("存为.et", "导出.et"):
        assert run_cli("check", tmp_path / name).code == 0


def test_content_beats_name_and_name_is_the_fallback():
    pk, ole, brace = b"PK\x03\x04rest", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf \n{"
    ods_head = ODS.read_bytes()[:512]
    kind = lambda head, name: reader_for(head, name).kind.name  # noqa: E731
    assert kind(pk, "a.json") == "xlsx" and kind(brace, "a.xlsx") == "json"
    assert kind(ods_head, "a.xlsx") == "ods" and kind(pk, "a.ods") == "xlsx"
    assert kind(ole, "a.et") == "wps" and kind(ole, "a.xls") == "xlsx" and kind(pk, "a.et") == "xlsx"
    assert kind(b"", "a.ods") == "ods" and kind(b"", "a.json") == "json" and kind(b"xx", "a.xlsx") == "xlsx"
    assert reader_for(b"hello", "notes.txt") is None
    assert reader_for(b"hello", "notes.txt", published=True).kind.name == "published"
    assert reader_for(pk, "报告.docx", published=True).kind.name == "published"


def test_each_reader_declares_what_its_kind_can_do():
    names = [r.kind.name for r in READERS]
    assert len(set(names)) == len(names)
    for reader in READERS:
        assert reader.kind.annotatable == (reader.annotate is not None), reader.kind
        assert all(s.startswith(".") and s == s.lower() for s in reader.suffixes)
        assert reader.sniff(b"", "x.unknown") == 0
        for suffix in reader.suffixes:
            assert reader.sniff(b"", f"x{suffix}") == NAME
    assert EXACT > CONTENT > NAME > 0
    assert {r.kind.name for r in READERS} == {"xlsx", "ods", "json", "wps", "published"}
    assert "wps" in CODES and "ods" not in CODES


def test_the_file_pickers_offer_what_the_readers_read():
    from validator.serve.check import ACCEPT, MAX_UPLOAD_BYTES, WORKBOOKS

    assert ACCEPT.split(",") == [".xlsx", ".xlsm", ".ods", ".json"]
    assert WORKBOOKS == ".xlsx／.xlsm／.ods"
    assert MAX_UPLOAD_BYTES == max(r.max_bytes for r in READERS if not r.on_request)
    templates = ROOT / "validator" / "serve" / "templates"
    for page in ("check.html", "board.html", "submit.html", "office_body.html"):
        text = (templates / page).read_text(encoding="utf-8")
        assert 'accept="{{ accept }}"' in text and ".xlsx,.xlsm" not in text


def test_the_page_lists_the_kinds_in_its_picker(tmp_path):
    from starlette.testclient import TestClient

    from validator.serve.app import Config, create_app

    page = TestClient(create_app(Config()), base_url="http://127.0.0.1").get("/").text
    assert 'accept=".xlsx,.xlsm,.ods,.json"' in page and "（.xlsx／.xlsm／.ods）" in page


def test_annotate_asks_the_kind_not_the_file_name(tmp_path):
    checked = api.check(EXAMPLE.with_suffix(".json"))
    with pytest.raises(UnusableInput) as refused:
        api.annotate(EXAMPLE.with_suffix(".json"), checked, tmp_path / "x.xlsx")
    assert refused.value.code == "bad-argument" and "xxgk fill" in str(refused.value)
    cells = api.Checked(checked.submission, checked.report)
    cells.submission.kind = CELLS  # cell contents read by no file reader (the Excel add-in's)
    with pytest.raises(UnusableInput):
        api.annotate(EXAMPLE, cells, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.parametrize(
    "source,label",
    [(ODS, "OpenDocument 表格"), (REPORTS / "fenxi-zfb_2023.xlsx", "Excel 工作簿")],
)
def test_a_command_that_needs_a_json_says_what_it_was_given(tmp_path, source, label):
    result = run_cli("fill", source, "-o", tmp_path / "out.xlsx")
    assert result.code == 2 and f"这是 {label}" in result.err and "需要 JSON 文件" in result.err


def test_a_published_report_is_no_submission_unless_asked(tmp_path):
    page = tmp_path / "报告.html"
    page.write_text("<html><body>年度报告</body></html>", encoding="utf-8")
    code, message = _refusal(page)
    assert code == "not-xlsx" and "不支持的文件类型" in message and ".xlsx、.xlsm、.ods、.json" in message


def test_a_missing_a_folder_and_a_fifo_are_named(tmp_path):
    import os

    (tmp_path / "dir.json").mkdir()
    os.mkfifo(tmp_path / "pipe.xlsx")
    for name, needle in (("none.ods", "文件不存在"), ("dir.json", "不是文件"), ("pipe.xlsx", "不是文件")):
        code, message = _refusal(tmp_path / name)
        assert code == "not-found" and needle in message, name


def test_reading_any_kind_loads_only_its_machinery():
    """Importing the API and the registry loads no reader's machinery, and reading a JSON loads
    no zip, XML or pydantic (the CLI's entry-point scan loads zipfile on its own)."""
    code = (
        "import sys; import validator.api, validator.readers;"
        "heavy = ('zipfile', 'lxml', 'openpyxl', 'pydantic', 'validator.importer.text', 'validator.readers.xlsx.fast');"
        "print(sorted(m for m in heavy if m in sys.modules));"
        "validator.api.load(sys.argv[1]); print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE.with_suffix(".json"))], capture_output=True, text=True, cwd=ROOT
    )
    before, after = out.stdout.splitlines()
    assert before == "[]" and after == "[]", out.stderr


def test_every_kind_is_read_by_the_registry_alone():
    """Nothing else decides what kind a file is: no suffix list or magic-number test outside it."""
    roster = ROOT / "validator" / "collect" / "roster.py"  # a list of bodies, not a submission: .xlsx or CSV
    checked = [p for p in (ROOT / "validator").rglob("*.py") if "readers" not in p.parts and p != roster]
    for path in checked:
        text = path.read_text(encoding="utf-8")
        assert '(".xlsx", ".xlsm"' not in text and ".xlsx,.xlsm" not in text, path
        # capabilities, not where it came from (a version's origin, body or office, is another thing)
        assert not re.search(r'origin\s*[!=]=|origin="(json|workbook)"', text), path
    assert readers.is_published("报告.docx") and not readers.is_published("报告.xlsx")
