"""``xxgk import 报告.docx``: Word documents made by our renderer and by LibreOffice, read back
cell by cell against the hand-checked values of ``tests/fixtures/reports/expected.json``.

What is published must be what was submitted: ``xxgk render`` makes the .docx of each fixture
report, the importer reads it, and every one of the 200 cells must equal the expected value.
The variants are edits of that document the way real publishers vary it (zeros printed blank,
label variants and typos, a header split over two rows, merged figure cells).
"""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest

from addin.ovba.cfb import write_compound_file
from validator.formats import gb_2021_30 as gb

from conftest import REPORT_NAMES, REPORTS, run_cli
from support.importing import flatten
from support.rendering import expected_figures, require_tools

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from import_accuracy import HALVES, LABEL_VARIANTS, physical_cells, set_text  # noqa: E402
from import_accuracy import docx_variant as edit  # noqa: E402

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MONEY = "proactive.fees.amount_wan_yuan"


@pytest.fixture(scope="module")
def expected() -> dict[str, dict]:
    data = json.loads((REPORTS / "expected.json").read_text(encoding="utf-8"))
    return {r["file"].rsplit(".", 1)[0]: r for r in data["reports"]}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """Each fixture report as our renderer publishes it (.docx and .html), made once."""
    out = tmp_path_factory.mktemp("rendered")
    paths = {}
    for name in REPORT_NAMES:
        for suffix in (".docx", ".html"):
            path = out / f"{name}{suffix}"
            result = run_cli("render", REPORTS / f"{name}.xlsx", "-o", path)
            assert result.code == 0, result.err
        paths[name] = out / f"{name}.docx"
    return paths


def import_docx(tmp_path: Path, src: Path, *extra: str):
    """(exit code, flat JSON, provenance, stdout+stderr) of ``xxgk import``."""
    out = tmp_path / "imported.json"
    result = run_cli("import", src, "-o", out, "--type", "政府", *extra)
    if result.code == 2:
        return result.code, {}, {}, result.out + result.err
    data = flatten(json.loads(out.read_text(encoding="utf-8")))
    provenance = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))
    return result.code, data, provenance, result.out + result.err


def wrong_cells(data: dict, exp: dict) -> dict[str, tuple[object, str]]:
    """Cells whose imported value differs from the hand-checked one (counts as int, 万元 as text)."""
    out = {}
    for key, want in expected_figures(exp).items():
        got = data.get(key)
        ok = got == want if key == MONEY else (isinstance(got, int) and str(got) == want)
        if not ok:
            out[key] = (got, want)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", REPORT_NAMES)
def test_rendered_docx_imports_every_cell(tmp_path, rendered, expected, name):
    code, data, provenance, _ = import_docx(tmp_path, rendered[name])
    assert code == 0
    assert len(expected_figures(expected[name])) == 200
    assert wrong_cells(data, expected[name]) == {}
    assert data["body.name"] == expected[name]["body"]
    assert data["year"] == expected[name]["year"]
    assert provenance["unread"] == []
    assert run_cli("check", tmp_path / "imported.json").code == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_figure_names_the_word_cell_it_came_from(tmp_path, rendered, name):
    """The provenance's table/row/column is the grid cell (python-docx's coordinates) holding
    exactly the imported figure."""
    code, _data, provenance, _ = import_docx(tmp_path, rendered[name])
    assert code == 0
    tables = docx.Document(str(rendered[name])).tables
    assert len(provenance["cells"]) == 200
    for key, cell in provenance["cells"].items():
        m = re.fullmatch(r"第 (\d+) 个表格第 (\d+) 行第 (\d+) 列", cell["place"])
        assert m, (key, cell)
        t, r, c = (int(g) for g in m.groups())
        assert tables[t - 1].cell(r - 1, c - 1).text == str(cell["value"]), key


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_zeros_printed_blank_read_as_zero_and_reported(tmp_path, rendered, expected, name):
    """Every 0 printed as an empty cell, 表四's whole figure row too in fenxi-zfb_2023."""
    cleared: list[tuple[int, int]] = []

    def blank_zeros(document) -> None:
        for t, table in enumerate(document.tables):
            for cell in physical_cells(table):
                if cell.text == "0":
                    set_text(cell, "")
                    cleared.append((t, id(cell._tc)))

    src = edit(rendered[name], tmp_path / "blank.docx", blank_zeros)
    code, data, provenance, out = import_docx(tmp_path, src)
    assert code == 0
    assert wrong_cells(data, expected[name]) == {}
    blanks = {k for k, c in provenance["cells"].items() if c.get("blank")}
    zeros = {k for k, v in expected_figures(expected[name]).items() if v == "0"}
    assert len(cleared) == len(zeros) > 100
    assert blanks == zeros
    assert not [c["text"] for c in provenance["cells"].values() if "空" in c["text"]]  # rows as printed
    per_table = [int(n) for n in re.findall(r"有 (\d+) 个空白单元格", out)]
    assert sum(per_table) == len(zeros) and "第 2 个表格第 5 行、" in out  # rows named as in Word
    assert provenance["unread"] == []


def test_label_variants_and_typos_read_the_same(tmp_path, rendered, expected):
    name = "huaian-shi_2024"
    variants = LABEL_VARIANTS

    def relabel(document) -> None:
        done = set()
        for table in document.tables:
            for cell in physical_cells(table):
                if cell.text in variants:
                    done.add(cell.text)
                    set_text(cell, variants[cell.text])
        assert done == set(variants)

    code, data, provenance, _ = import_docx(tmp_path, edit(rendered[name], tmp_path / "v.docx", relabel))
    assert code == 0
    assert wrong_cells(data, expected[name]) == {}
    assert provenance["unread"] == []


def test_header_split_over_several_rows(tmp_path, rendered, expected):
    """表三's and 表四's second header row printed as two rows, the labels cut in half
    (法人或其 / 他组织, 未经复议 / 直接起诉), as page-width layouts do."""
    name = "fenxi-zfb_2023"
    halves = HALVES

    def split_header(document) -> None:
        for t in (1, 2):
            table = document.tables[t]
            tr = table.rows[1]._tr
            twin = copy.deepcopy(tr)
            tr.addnext(twin)
            rows = table.rows
            for first, second in zip(physical_cells_of(rows[1]), physical_cells_of(rows[2])):
                if first.text in halves:
                    set_text(first, halves[first.text][0])
                    set_text(second, halves[second.text][1])

    code, data, _provenance, _ = import_docx(tmp_path, edit(rendered[name], tmp_path / "h.docx", split_header))
    assert code == 0
    assert wrong_cells(data, expected[name]) == {}


def physical_cells_of(row):
    seen = []
    for cell in row.cells:
        if not any(cell._tc is s._tc for s in seen):
            seen.append(cell)
    return seen


def test_merged_figure_cells_are_counted_once(tmp_path, rendered, expected):
    """A figure merged over two grid slots (python-docx repeats it in each) is one cell: 表四
    with two figures merged across holds a figure too few and is left unread, and so is the
    表三 row whose figure is merged into the row below, not filled with the repeated value.
    表二 and 表三's other rows are still read."""
    name = "pingtan_2021"

    def merge(document) -> None:
        t3, t4 = document.tables[1], document.tables[2]
        for merged in (t4.cell(3, 0).merge(t4.cell(3, 1)), t3.cell(3, 3).merge(t3.cell(4, 3))):
            for extra in merged.paragraphs[1:]:  # merge() keeps both texts: one figure is left
                extra._p.getparent().remove(extra._p)

    code, data, provenance, out = import_docx(tmp_path, edit(rendered[name], tmp_path / "m.docx", merge))
    assert code == 1
    assert sorted(u["table"] for u in provenance["unread"]) == ["表三", "表四"]
    wrong = wrong_cells(data, expected[name])
    assert all(got is None for got, _ in wrong.values())
    assert {k.split(".")[0] for k in wrong} == {"applications", "review_litigation"}
    assert re.search(r"表四（第 \d+ 行起）应有 15 个数字", out) and "读到 14 个" in out
    assert re.search(r"表三“二、上年结转政府信息公开申请数量”一行第 \d+ 行读到 6 个数字，应有 7 个", out)
    assert len([k for k in wrong if k.startswith("applications.")]) == 7


def test_wrong_total_in_word_imports_as_published_and_check_flags_it(tmp_path, rendered, capsys):
    name = "pingtan_2021"

    def wrong_total(document) -> None:
        cell = document.tables[1].cell(26, 9)  # （七）总计, 总计
        assert cell.text == "69"
        set_text(cell, "70")

    code, data, _provenance, _ = import_docx(tmp_path, edit(rendered[name], tmp_path / "w.docx", wrong_total))
    assert code == 0
    key = gb.t3_key("results_total", "total")
    assert data[key] == 70
    capsys.readouterr()
    result = run_cli("check", tmp_path / "imported.json", "--json")
    assert result.code == 1
    errors = [f for f in json.loads(result.out)["findings"] if f["severity"] == "error"]
    assert any(key in [c["key"] for c in f["cells"]] for f in errors)


def test_tracked_changes_read_as_shown_with_changes_accepted(tmp_path, rendered, expected):
    """Deleted text (w:delText) and the old place of moved text (w:moveFrom) are not read;
    inserted text is: a figure changed with tracking reads once, as its new value."""
    from docx.oxml import parse_xml

    name = "pingtan_2021"
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

    def track(document) -> None:
        cell = document.tables[1].cell(26, 9)  # （七）总计, 总计: 69
        p = cell.paragraphs[0]._p
        for r in p.findall(f"{W}r"):
            p.remove(r)
        for xml in (
            f'<w:del {ns} w:id="1" w:author="a"><w:r><w:delText>68</w:delText></w:r></w:del>',
            f'<w:ins {ns} w:id="2" w:author="a"><w:r><w:t>69</w:t></w:r></w:ins>',
            f'<w:moveFrom {ns} w:id="3" w:author="a"><w:r><w:t>7</w:t></w:r></w:moveFrom>',
        ):
            p.append(parse_xml(xml))

    code, data, provenance, _ = import_docx(tmp_path, edit(rendered[name], tmp_path / "t.docx", track))
    assert code == 0
    assert wrong_cells(data, expected[name]) == {}
    assert provenance["cells"][gb.t3_key("results_total", "total")]["place"] == "第 2 个表格第 27 行第 10 列"


def soffice(src: Path, to: str, out_dir: Path) -> Path:
    from support.rendering import soffice_convert

    soffice_convert([src], to, out_dir, timeout=300)
    made = out_dir / f"{src.stem}.{to.split(':')[0]}"
    assert made.exists(), f"LibreOffice wrote no {to}"
    return made


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", REPORT_NAMES)
def test_libreoffice_docx_of_the_web_page_imports_every_cell(tmp_path, rendered, expected, name):
    """The published web page opened in LibreOffice and saved as Word: other merges, other XML."""
    require_tools("soffice")
    made = soffice(rendered[name].with_suffix(".html"), "docx:MS Word 2007 XML", tmp_path)
    code, data, provenance, _ = import_docx(tmp_path, made)
    assert code == 0
    assert wrong_cells(data, expected[name]) == {}
    assert provenance["unread"] == []


@pytest.mark.libreoffice
def test_real_doc_file_is_refused_with_how_to_convert(tmp_path, rendered):
    require_tools("soffice")
    doc = soffice(rendered["pingtan_2021"], "doc:MS Word 97", tmp_path)
    code, _, _, out = import_docx(tmp_path, doc)
    assert code == 2
    assert "旧版 Word 文档（.doc）" in out and "“另存为” .docx" in out
    assert "soffice --headless --convert-to docx pingtan_2021.doc" in out


def _zip_with(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info)))
    return dst


def _never_opened(monkeypatch) -> None:
    def fail(*_a, **_k):
        raise AssertionError("python-docx opened a file that should have been refused before")

    monkeypatch.setattr(docx, "Document", fail)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("doc-bytes", "旧版 Word 文档（.doc）"),
        ("renamed-doc", "旧版 Word 文档（.doc）"),
        ("encrypted", "设置了打开密码"),
        ("truncated", "文件已损坏或不是完整的 .docx 文档"),
        ("bomb", "压缩炸弹"),
        ("dtd", "不安全的 XML 内容"),
        ("text", "不是 Word 文档"),
        ("empty", "文件是空的"),
        ("rtf", "这是 RTF 格式的文件"),
        ("mht", "这是网页存档（.mht）格式的文件"),
    ],
)
def test_unusable_word_files_exit_2_before_python_docx_opens_them(tmp_path, rendered, monkeypatch, case, message):
    good = rendered["pingtan_2021"]
    src = tmp_path / ("report.doc" if case == "doc-bytes" else "report.docx")
    if case in ("doc-bytes", "renamed-doc"):
        src.write_bytes(write_compound_file({"WordDocument": bytes(range(256)) * 20, "1Table": bytes(4096)}))
    elif case == "encrypted":
        src.write_bytes(write_compound_file({"EncryptionInfo": bytes(4096), "EncryptedPackage": bytes(8192)}))
    elif case == "truncated":
        data = good.read_bytes()
        src.write_bytes(data[: len(data) // 2])
    elif case == "bomb":
        body = zipfile.ZipFile(good).read("word/document.xml")
        huge = body.replace(b"</w:body>", b"<w:p/>" * (40 * 1024 * 1024 // 6) + b"</w:body>")
        _zip_with(good, src, {"word/document.xml": huge})
    elif case == "dtd":
        body = zipfile.ZipFile(good).read("word/document.xml")
        evil = body.replace(b"?>", b'?><!DOCTYPE d [<!ENTITY a "aaaa">]>', 1)
        _zip_with(good, src, {"word/document.xml": evil})
    elif case == "text":
        src.write_text("一、总体情况\n", encoding="utf-8")
    elif case == "rtf":
        src.write_bytes(b"{\\rtf1\\ansi\\ansicpg936 \\par}")
    elif case == "mht":
        src.write_bytes(b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="x"\r\n\r\n--x--')
    else:
        src.write_bytes(b"")
    _never_opened(monkeypatch)
    code, _, _, out = import_docx(tmp_path, src)
    assert code == 2
    assert message in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not-a-report", "不是政府信息公开工作年度报告"),
        ("workbook", "Excel 工作簿"),
        ("no-document-part", "不是 Word 文档（.docx）"),
    ],
)
def test_zip_that_is_no_report_exits_2(tmp_path, case, message):
    src = tmp_path / "x.docx"
    if case == "not-a-report":
        document = docx.Document()
        document.add_paragraph("会议纪要")
        document.add_paragraph("今天讨论了三件事。")
        document.save(str(src))
    elif case == "workbook":
        shutil.copy(REPORTS / "pingtan_2021.xlsx", src)
    else:
        with zipfile.ZipFile(src, "w") as z:
            z.writestr("hello.txt", "hi")
    code, _, _, out = import_docx(tmp_path, src)
    assert code == 2
    assert message in out
    assert "Traceback" not in out


@pytest.mark.parametrize("suffix", [".doc", ".docx"])
def test_web_page_with_a_word_name_is_read_as_the_page(tmp_path, rendered, expected, monkeypatch, suffix):
    """Many sites' “Word” download is the web page saved under a .doc name: read it as a page."""
    name = "huaian-shi_2024"
    src = tmp_path / f"下载{suffix}"
    shutil.copy(rendered[name].with_suffix(".html"), src)
    _never_opened(monkeypatch)
    code, data, provenance, _ = import_docx(tmp_path, src)
    assert code == 0
    assert wrong_cells(data, expected[name]) == {}
    assert provenance["unread"] == []


def test_command_line_does_not_import_python_docx():
    code = "import sys, validator.cli; assert 'docx' not in sys.modules, 'docx imported'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_paragraphs_and_tables_interleaved_in_body_order(rendered):
    """The reader needs each table under its heading: lines come in body order."""
    from validator.importer.docx import docx_lines

    lines, places = docx_lines(rendered["pingtan_2021"])
    heading = lines.index("四、政府信息公开行政复议、行政诉讼情况")
    assert places[heading].table is None
    assert places[heading - 1].table == 2
    assert places[heading + 1].table == 3


@pytest.mark.slow
def test_damaged_word_files_never_crash(tmp_path, rendered):
    """Seeded damage (bytes flipped, truncation, parts dropped, XML garbled): every run ends in
    exit 0, 1 or 2 with a message, never exit 3 (a bug) or a traceback."""
    import random

    src = rendered["pingtan_2021"].read_bytes()
    with zipfile.ZipFile(rendered["pingtan_2021"]) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    rng = random.Random(20261126)
    codes = []
    for n in range(40):
        kind = ("bytes", "truncate", "drop", "xml")[n % 4]
        if kind == "bytes":
            data = bytearray(src)
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == "truncate":
            data = bytearray(src[: rng.randrange(len(src))])
        else:
            changed = dict(parts)
            name = rng.choice(sorted(changed))
            if kind == "drop":
                del changed[name]
            else:
                b = bytearray(changed[name])
                for _ in range(rng.randint(1, 10)):
                    at = rng.randrange(len(b))
                    b[at : at + rng.randint(1, 8)] = bytes(
                        rng.choice(b'<>/"=w:tcpr 01') for _ in range(rng.randint(0, 8))
                    )
                changed[name] = bytes(b)
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
                for part, blob in changed.items():
                    zout.writestr(part, blob)
            data = bytearray(out.getvalue())
        path = tmp_path / f"damaged{n}.docx"
        path.write_bytes(bytes(data))
        result = run_cli("import", path, "-o", tmp_path / "out.json")
        assert result.code in (0, 1, 2), (n, kind, result.err)
        assert "Traceback" not in result.err
        codes.append(result.code)
    assert codes.count(2) >= 10  # the damage was real: most runs are refused
