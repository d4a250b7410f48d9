"""``xxgk import`` on PDFs: the real published PDF, our own reports rendered to PDF by
LibreOffice (blank cells, no rulings, tables across pages), and the PDFs it must refuse."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from validator.cli.program import main
from validator.formats import gb_2021_30 as gb
from validator.importer import pdf
from validator.importer.text import read_text

from support.importing import EXPECTED, PUBLISHED, expected_cells, flatten, import_report
from support.pdf_variants import SPLIT_ROW, VARIANTS, build_pdfs
from support.rendering import soffice_convert

REPORTS = Path(__file__).parent / "fixtures" / "reports"
HUAIAN = next(r for r in EXPECTED if r["file"] == "huaian-shi_2024.txt")


def _cells(out: Path) -> tuple[dict[str, object], dict]:
    data = json.loads(out.read_text(encoding="utf-8"))
    return flatten(data), json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))


def _tally(flat: dict[str, object], expected: dict[str, object]) -> tuple[int, int, int]:
    """(right, wrong, left empty) over the 200 cells of 表二/三/四."""
    right = sum(flat[k] == v for k, v in expected.items())
    empty = sum(flat[k] is None for k in expected)
    return right, len(expected) - right - empty, empty


def test_published_pdf_imports_exactly(tmp_path):
    code, out = import_report(tmp_path, PUBLISHED / "huaian-shi_2024.pdf", "--type", "政府")
    assert code == 0
    flat, provenance = _cells(out)
    expected = expected_cells(HUAIAN)
    assert {k: flat[k] for k in expected} == expected
    assert flat["body.name"] == "淮安市人民政府" and flat["year"] == 2024
    assert set(provenance["cells"]) == set(expected) and provenance["unread"] == []
    fee = provenance["cells"]["proactive.fees.amount_wan_yuan"]
    assert (fee["page"], fee["value"]) == (4, "96171.6") and "96171.6" in fee["text"]
    t3 = {provenance["cells"][gb.t3_key(r[0], "total")]["page"] for r in gb.T3_ROWS}
    assert t3 == {4, 5}  # the table crosses a page break
    assert main(["check", str(out)]) == 0


def test_both_candidates_read_the_published_pdf(tmp_path):
    """Each candidate (text, ruled grid, positions) reads every cell of the real PDF, so the
    cascade's agreement is a real check and not one extractor alone."""
    from validator.importer.pdf_positions import position_lines

    pages = pdf.load_pages((PUBLISHED / "huaian-shi_2024.pdf").read_bytes(), "x")
    expected = expected_cells(HUAIAN)
    for make in (pdf.text_lines, pdf.grid_lines, position_lines):
        lines, pages_of, sources = make(pages)
        imported = pdf.read_lines(lines, "x", sources, pages_of)
        assert {k: imported.values.get(k) for k in expected} == expected, make.__name__


def _pingtan(where: str = "pingtan_2021.txt"):
    return read_text((PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8"), where)


def test_candidates_that_disagree_leave_the_cell_null_and_reported():
    one, other = _pingtan(), _pingtan()
    fee = "proactive.fees.amount_wan_yuan"
    other.values[fee] = "24252.3"  # no rule can tell which is right
    chosen = pdf.choose([("text", one), ("grid", other)], "x")
    assert fee not in chosen.values and fee not in {f.key for f in chosen.figures}
    assert chosen.values["proactive.licensing.decisions"] == 2293
    [clash] = chosen.unread
    assert clash["table"] == "表二" and clash["keys"] == [fee] and "候选结果不一致" in clash["reason"]


def test_the_rules_choose_between_candidates():
    one, other = _pingtan(), _pingtan()
    key = gb.t4_key("review", "total")
    other.values[key] = 4  # breaks 表四's sum: this candidate misread
    chosen = pdf.choose([("grid", other), ("text", one)], "x")
    assert chosen.values[key] == one.values[key] != 4 and chosen.unread == []


def test_more_cells_read_wins_over_fewer():
    one, other = _pingtan(), _pingtan()
    t3 = [gb.t3_key(r[0], c) for r in gb.T3_ROWS for c, _ in gb.T3_COLUMNS]
    for key in t3:
        del one.values[key]
    one.unread.append({"table": "表三", "reason": "少", "keys": t3})
    chosen = pdf.choose([("text", one), ("grid", other)], "x")
    assert all(chosen.values[k] == other.values[k] for k in t3) and chosen.unread == []


def _scan(src: Path, dst: Path) -> None:
    """An image-only copy of a PDF (each page rendered to a picture), like a scanned report."""
    import pypdfium2 as pdfium

    doc, scan = pdfium.PdfDocument(src), pdfium.PdfDocument.new()
    for page in doc:
        width, height = page.get_size()
        image = pdfium.PdfImage.new(scan)
        image.set_bitmap(page.render(scale=0.5))
        image.set_matrix(pdfium.PdfMatrix().scale(width, height))
        new = scan.new_page(width, height)
        new.insert_obj(image)
        new.gen_content()
    scan.save(dst)


def _only_pages(src: Path, dst: Path, pages: list[int]) -> None:
    import pypdfium2 as pdfium

    new = pdfium.PdfDocument.new()
    new.import_pages(pdfium.PdfDocument(src), pages)
    new.save(dst)


def _refused(tmp_path: Path, capsys, src: Path) -> str:
    capsys.readouterr()
    code, out = import_report(tmp_path, src)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert not out.exists() and not out.with_suffix(".provenance.json").exists()
    return err


def test_image_only_pdf_refused_with_what_to_do(tmp_path, capsys):
    src = tmp_path / "scan.pdf"
    _scan(PUBLISHED / "huaian-shi_2024.pdf", src)
    err = _refused(tmp_path, capsys, src)
    assert "没有可读取的文字" in err and "OCR" in err and "Word 或网页原文" in err


def test_pdf_without_the_tables_is_not_a_report(tmp_path, capsys):
    src = tmp_path / "narrative.pdf"
    _only_pages(PUBLISHED / "huaian-shi_2024.pdf", src, [0, 1])
    assert "不是政府信息公开工作年度报告" in _refused(tmp_path, capsys, src)


@pytest.mark.parametrize(
    ("name", "damage", "message"),
    [
        ("truncated.pdf", lambda b: b[: len(b) // 2], "PDF 文件不完整"),
        ("garbage.pdf", lambda b: b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", "PDF 文件已损坏"),
        ("text.pdf", lambda b: "这不是 PDF".encode(), "不是 PDF 文件"),
        ("tail.pdf", lambda b: b[:9] + bytes(len(b) - 9), "PDF 文件不完整"),
    ],
)
def test_damaged_pdf_refused(tmp_path, capsys, name, damage, message):
    src = tmp_path / name
    src.write_bytes(damage((PUBLISHED / "huaian-shi_2024.pdf").read_bytes()))
    assert message in _refused(tmp_path, capsys, src)


def test_too_much_text_refused_before_reading_it(tmp_path, capsys, monkeypatch):
    """The character budget is checked from pdfium's count of a page, before its characters
    are read one by one."""
    monkeypatch.setattr(pdf, "MAX_CHARS", 100)  # less than the first page holds
    monkeypatch.setattr(pdf, "Char", None)  # reading a character would fail
    assert "文字超过 100 个字符" in _refused(tmp_path, capsys, PUBLISHED / "huaian-shi_2024.pdf")


@pytest.mark.slow
def test_mangled_pdfs_never_crash():
    """Seeded byte damage to the real PDF: each either imports or is refused (exit 2)."""
    import random

    from validator.errors import UnusableInput

    data = (PUBLISHED / "huaian-shi_2024.pdf").read_bytes()
    rng = random.Random(10)
    outcomes = set()
    for _ in range(25):
        mangled = bytearray(data)
        for _ in range(rng.choice([1, 20, 400])):
            mangled[rng.randrange(len(mangled))] = rng.randrange(256)
        try:
            pdf.read_pdf(bytes(mangled), "x.pdf")
            outcomes.add("read")
        except UnusableInput:
            outcomes.add("refused")
    assert outcomes == {"read", "refused"}


def test_encrypted_pdf_refused(tmp_path, capsys, monkeypatch):
    """pdfium answers a PDF with an open password by a password error; without a tool here to
    write such a file, the answer is simulated where pdfium gives it."""
    import pypdfium2 as pdfium

    def locked(*_args, **_kwargs):
        raise pdfium.PdfiumError("Failed to load document (PDFium: Incorrect password error).")

    monkeypatch.setattr(pdfium, "PdfDocument", locked)
    assert "PDF 设置了打开密码" in _refused(tmp_path, capsys, PUBLISHED / "huaian-shi_2024.pdf")


# --- our own reports rendered to PDF by LibreOffice ------------------------------------------


@pytest.fixture(scope="module")
def rendered_pdfs(tmp_path_factory) -> dict[tuple[str, str], Path]:
    from support.rendering import require_tools

    require_tools("soffice")
    return build_pdfs(tmp_path_factory.mktemp("pdfs"))


CASES = [(r["file"].removesuffix(".txt"), v) for r in EXPECTED for v in VARIANTS]


@pytest.mark.libreoffice
def test_real_encrypted_pdf_refused(tmp_path, capsys, rendered_pdfs):
    """A PDF with an open password, written by LibreOffice."""
    docx_path = rendered_pdfs["pingtan_2021", "plain"].with_suffix(".docx")
    options = '{"EncryptFile":{"type":"boolean","value":"true"},"DocumentOpenPassword":{"type":"string","value":"x"}}'
    soffice_convert([docx_path], f"pdf:writer_pdf_Export:{options}", tmp_path, timeout=300)
    locked = tmp_path / docx_path.with_suffix(".pdf").name
    assert "PDF 设置了打开密码" in _refused(tmp_path, capsys, locked)


@pytest.mark.libreoffice
def test_published_arithmetic_error_imported_as_published_and_flagged(tmp_path, capsys, rendered_pdfs):
    """（七）总计 printed one too high: every candidate reads it so, the import keeps it, and
    ``check`` flags that cell."""
    code, out = import_report(tmp_path, rendered_pdfs["huaian-shi_2024", "wrong-total"], "--type", "政府")
    flat, provenance = _cells(out)
    key = gb.t3_key("results_total", "total")
    expected = expected_cells(HUAIAN)
    assert code == 0 and provenance["unread"] == []
    assert flat[key] == expected[key] + 1
    assert {k: flat[k] for k in expected if k != key} == {k: v for k, v in expected.items() if k != key}
    capsys.readouterr()
    assert main(["check", str(out), "--json"]) == 1
    errors = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["severity"] == "error"]
    assert errors and all(key in [c["key"] for c in f["cells"]] for f in errors)


# Cells read per case (of 200); the rest must be left empty and reported. fenxi's 表四 and
# some 表二 rows are all zero: printed blank and without rulings nothing shows where they are
# (表二's rows are read one by one, so the rows that show their figures are kept).
READ = {("fenxi-zfb_2023", "blank-noborder"): 181}


@pytest.mark.libreoffice
@pytest.mark.parametrize(("name", "variant"), CASES, ids=[f"{n}-{v}" for n, v in CASES])
def test_rendered_pdf_never_a_wrong_cell(tmp_path, capsys, rendered_pdfs, name, variant):
    """0 wrong cells in every variant; blank cells read as 0 and reported; what cannot be
    placed is left empty and listed as unread."""
    report = next(r for r in EXPECTED if r["file"] == f"{name}.txt")
    expected = expected_cells(report)
    capsys.readouterr()
    code, out = import_report(tmp_path, rendered_pdfs[name, variant], "--type", "政府")
    printed = capsys.readouterr().out
    flat, provenance = _cells(out)
    right, wrong, empty = _tally(flat, expected)
    assert (right, wrong, empty) == (READ.get((name, variant), 200), 0, 200 - READ.get((name, variant), 200))
    assert code == (1 if empty else 0)
    assert {k for k in expected if flat[k] is None} <= {k for u in provenance["unread"] for k in u["keys"]}
    assert all(c["page"] >= 1 for c in provenance["cells"].values())
    blanks = [k for k, c in provenance["cells"].items() if c.get("blank")]
    assert all(expected[k] in (0, "0") for k in blanks)
    if variant.startswith("blank"):
        zeros = sum(v in (0, "0") for k, v in expected.items() if flat[k] is not None)
        per_table = [int(n) for n in re.findall(r"有 (\d+) 个空白单元格", printed)]
        assert len(blanks) == zeros > 0 and sum(per_table) == zeros
        assert {(provenance["cells"][k]["raw"], provenance["cells"][k]["form"]) for k in blanks} == {("", "empty")}
        assert not [c["text"] for c in provenance["cells"].values() if "\ue000" in c["text"] or "空" in c["text"]]
        first = provenance["cells"][blanks[0]]
        assert f"第 {first['page']} 页第 {first['line']} 行" in printed
    else:
        assert blanks == []
    if not empty:
        assert main(["check", str(out)]) == 0
    if "split" in variant:  # the tall row really broke across a page
        pages = pdf.load_pages(rendered_pdfs[name, variant].read_bytes(), "x")
        first = next(p.number for p in pages if SPLIT_ROW in p.text)
        assert any("（本行跨页）" in p.text for p in pages if p.number > first)


def test_cli_import_stays_light_for_pdf():
    probe = (
        "import sys, validator.cli; print(any(m.startswith(('pypdfium2', 'validator.importer')) for m in sys.modules))"
    )
    import sys

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_pdf_read_in_memory_is_the_file_read(tmp_path):
    """`read_document` on a .pdf goes through the PDF cascade (not the text reader)."""
    from validator.importer.document import read_document

    imported = read_document(PUBLISHED / "huaian-shi_2024.pdf")
    assert imported.pages and all(f.page for f in imported.figures)


def test_published_pdf_keeps_narrative_parts(tmp_path):
    """The cascade chooses the tables cell by cell; the narrative parts, title and import
    提示 still come from the reading-order text (a choice among table readings must not drop
    them). The parts start and end as in the published text version of the same report."""
    code, out = import_report(tmp_path, PUBLISHED / "huaian-shi_2024.pdf", "--type", "政府")
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    (tmp_path / "txt").mkdir()
    code, out_txt = import_report(tmp_path / "txt", PUBLISHED / "huaian-shi_2024.txt", "--type", "政府")
    text = json.loads(out_txt.read_text(encoding="utf-8"))["narrative"]
    for part in ("overview", "problems", "other_matters"):
        got = data["narrative"][part]
        assert len(got) > 40, part
        want = re.sub(r"\s+", "", text[part])
        assert re.sub(r"\s+", "", got)[:20] == want[:20] and re.sub(r"\s+", "", got)[-10:] == want[-10:], part
    provenance = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))
    assert set(provenance["parts"]) >= {"narrative.overview", "narrative.problems", "narrative.other_matters"}


# --------------------------------------------------------------------------- resource bounds


def test_path_object_bomb_refused_before_pdfium_loads_the_page(tmp_path, capsys, monkeypatch):
    """Millions of tiny paths in an 82 KB file made pdfium build every path object (850 MB,
    SIGABRT under a memory cap) before any limit applied. The content is now counted on the
    file's bytes first: refused (exit 2) without loading a page."""
    from support.pdfmake import pdf as make_pdf
    from support.pdfmake import text_page

    src = tmp_path / "paths.pdf"
    src.write_bytes(make_pdf([text_page() + b"0 0 m 1 0 l S\n" * 400_000]))
    assert src.stat().st_size < 100_000
    monkeypatch.setattr(pdf, "_page", None)  # loading a page would fail
    assert "页面内容过大" in _refused(tmp_path, capsys, src)


def test_many_pages_of_rulings_refused(tmp_path, capsys):
    from support.pdfmake import pdf as make_pdf
    from support.pdfmake import text_page

    page = text_page() + b"".join(b"10 %d m 500 %d l S\n" % (i % 800, i % 800) for i in range(2_000))
    src = tmp_path / "rulings.pdf"
    src.write_bytes(make_pdf([page] * 200))
    assert "页面内容过大" in _refused(tmp_path, capsys, src)


@pytest.mark.slow
def test_compressed_content_counted_only_up_to_the_limit(monkeypatch):
    """A content stream that inflates far beyond the limit is decompressed only up to it."""
    from validator.errors import UnusableInput

    from support.pdfmake import pdf as make_pdf

    monkeypatch.setattr(pdf, "MAX_CONTENT", 1_000_000)
    data = make_pdf([b"%" + b" " * 200_000_000 + b"\n"])  # 200 MB of spaces: about 200 KB compressed
    inflated = []
    real = __import__("zlib").decompressobj

    class Counting:
        def __init__(self):
            self.inner = real()

        def decompress(self, data, limit):
            out = self.inner.decompress(data, limit)
            inflated.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr("zlib.decompressobj", Counting)
    with pytest.raises(UnusableInput) as info:
        pdf._check_content(data, "x.pdf")
    assert info.value.code == "too-large" and sum(inflated) < 3_000_000


def test_a_report_sized_pdf_passes_the_content_check():
    data = (PUBLISHED / "huaian-shi_2024.pdf").read_bytes()
    pdf._check_content(data, "x.pdf")  # no exception: 0.2 MB of content, 700 paths
