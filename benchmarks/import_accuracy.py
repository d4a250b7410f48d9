"""Import accuracy and speed: print figures, assert nothing (issue 10's measured accuracy).

    uv run python benchmarks/import_accuracy.py [--repeat N] [--no-libreoffice]

Cases:
- the shared published reports as published (``tests/fixtures/published/*.txt``, and any
  ``*.pdf`` there once the PDF importer exists), against ``published/expected.json``;
- harder cases made from the same three reports (``tests/fixtures/reports/*.xlsx``): our own
  renderer's web page (also without its embedded data block) and Word file, the Word file with zeros printed blank, label variants
  (规范性文件, the typo 2.其他法律行政止公开) and a header split over two rows; LibreOffice's
  Word file of the web page; and, when the PDF importer exists, LibreOffice's PDF of the Word
  file (tables split across pages), with rows allowed to break at a page end, with narrow
  wrapped columns, and with zeros blank. A form whose importer is missing is skipped with a
  line saying so.

Per case: cells right / wrong / left empty (of 200), and the import time (``read_document``,
best of N) against the floor of opening the file with the same library (html.parser for a web
page, python-docx for Word, pypdfium2 for PDF, reading the text for .txt).

Then the adversarial kinds (``benchmarks/adversarial.py``): the three reports and ``--random``
random valid ones with rows shuffled, 表二 in the 第二十条 order, labels on their own lines,
tables in fragments, stray numbers, a figure, a label missing or mistyped…, in three text
layouts, Markdown, HTML, Word and (with LibreOffice) PDF: cells right / wrong / unread per kind.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
PUBLISHED = ROOT / "tests" / "fixtures" / "published"
REPORTS = ROOT / "tests" / "fixtures" / "reports"
NAMES = ("fenxi-zfb_2023", "huaian-shi_2024", "pingtan_2021")
LABEL_VARIANTS = {"行政规范性文件": "规范性文件", "2.其他法律行政法规禁止公开": "2.其他法律行政止公开"}
HALVES = {
    "法人或其他组织": ("法人或其", "他组织"),
    "未经复议直接起诉": ("未经复议", "直接起诉"),
    "复议后起诉": ("复议后", "起诉"),
}
MONEY = "proactive.fees.amount_wan_yuan"


# --------------------------------------------------------------------------- expected values


def expected_cells(report: dict) -> dict[str, object]:
    """expected.json's hand-checked values under our JSON keys (counts int, 万元 as text)."""
    from validator.formats import gb_2021_30 as gb

    groups = {"复议": "review", "直接起诉": "litigation_direct", "复议后起诉": "litigation_after_review"}
    leaves = {"维持": "upheld", "纠正": "corrected", "其他": "other", "尚未审结": "pending", "总计": "total"}
    cells: dict[str, object] = {}
    for (label, values), (row, *_rest) in zip(report["table3"].items(), gb.T3_ROWS, strict=True):
        del label
        for (col, _), value in zip(gb.T3_COLUMNS, values, strict=True):
            cells[gb.t3_key(row, col)] = value
    for name, value in report["table4"].items():
        group, leaf = name.split("_")
        cells[gb.t4_key(groups[group], leaves[leaf])] = value
    t2 = report["table2"]
    for label, base in (("规章", "rules"), ("行政规范性文件", "normative_documents")):
        for leaf, value in zip(("issued", "repealed", "in_force"), t2[label], strict=True):
            cells[f"proactive.{base}.{leaf}"] = value
    for label, base in (("行政许可", "licensing"), ("行政处罚", "penalties"), ("行政强制", "coercive_measures")):
        cells[f"proactive.{base}.decisions"] = t2[label]
    cells[MONEY] = t2["行政事业性收费_万元"]
    return cells


def score(values: dict[str, object], expected: dict[str, object]) -> tuple[int, int, int]:
    right = wrong = empty = 0
    for key, want in expected.items():
        got = values.get(key)
        if isinstance(got, Decimal):  # 万元 from a page's data block; the JSON written is the same text
            got = str(got)
        if got is None:
            empty += 1
        elif got == want and type(got) is type(want):
            right += 1
        else:
            wrong += 1
    return right, wrong, empty


# --------------------------------------------------------------------------- timing


def best_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def floor_of(path: Path) -> tuple[str, Callable[[], object]] | None:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        import validator.importer.html as page

        if "lxml" in Path(page.__file__).read_text(encoding="utf-8"):  # the library the importer uses
            import lxml.html

            return "lxml.html", lambda: lxml.html.document_fromstring(path.read_bytes())
        from html.parser import HTMLParser

        def parse_html() -> None:
            parser = HTMLParser()
            parser.feed(path.read_bytes().decode("utf-8"))
            parser.close()

        return "html.parser", parse_html
    if suffix == ".docx":
        import docx

        return "python-docx", lambda: docx.Document(str(path))
    if suffix == ".pdf":
        if importlib.util.find_spec("pypdfium2") is None:
            return None
        import pypdfium2

        def pdf_text() -> None:
            pdf = pypdfium2.PdfDocument(str(path))
            for page in pdf:
                page.get_textpage().get_text_range()
            pdf.close()

        return "pypdfium2 text", pdf_text
    return "read text", lambda: path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- making the cases


def render(name: str, out: Path) -> Path:
    from validator.cli.program import main

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["render", str(REPORTS / f"{name}.xlsx"), "-o", str(out)])
    if code != 0:
        raise SystemExit(f"render {name} -> {out.name}: exit {code}")
    return out


def soffice(src: Path, to: str, out_dir: Path) -> Path | None:
    exe = shutil.which("soffice")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", to]
            + ["--outdir", str(out_dir), str(src)],
            check=False,
            capture_output=True,
            timeout=300,
        )
    made = out_dir / f"{src.stem}.{to.split(':')[0]}"
    return made if made.exists() else None


def physical_cells(table):
    """Each cell of a Word table once (a merged cell is one cell however many grid places it spans)."""
    seen = set()
    for row in table.rows:
        for cell in row.cells:
            if cell._tc not in seen:
                seen.add(cell._tc)
                yield cell


def set_text(cell, text: str) -> None:
    """The cell's first paragraph holds `text` alone, in its first run's formatting."""
    paragraph = cell.paragraphs[0]
    for run in paragraph.runs[1:]:
        run._r.getparent().remove(run._r)
    if paragraph.runs:
        paragraph.runs[0].text = text
    else:
        paragraph.add_run(text)


def docx_variant(src: Path, dst: Path, change: Callable[[object], None]) -> Path:
    import docx

    document = docx.Document(str(src))
    change(document)
    document.save(str(dst))
    return dst


def blank_zeros(document) -> None:
    for table in document.tables:
        for cell in physical_cells(table):
            if cell.text == "0":
                set_text(cell, "")


def relabel(document) -> None:
    for table in document.tables:
        for cell in physical_cells(table):
            if cell.text in LABEL_VARIANTS:
                set_text(cell, LABEL_VARIANTS[cell.text])


def split_header(document) -> None:
    for table in document.tables[1:3]:
        tr = table.rows[1]._tr
        tr.addnext(copy.deepcopy(tr))
        first_row, second_row = table.rows[1], table.rows[2]
        firsts = list(dict.fromkeys(c._tc for c in first_row.cells))
        seconds = list(dict.fromkeys(c._tc for c in second_row.cells))
        for a, b in zip(firsts, seconds):
            from docx.table import _Cell

            ca, cb = _Cell(a, table), _Cell(b, table)
            if ca.text in HALVES:
                set_text(cb, HALVES[ca.text][1])
                set_text(ca, HALVES[ca.text][0])


def rows_may_split(document) -> None:
    """Rows may break at a page end (our renderer forbids it, many publishers do not)."""
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for table in document.tables:
        for el in list(table._tbl.iter(f"{w}cantSplit")):
            el.getparent().remove(el)


def narrow_columns(document) -> None:
    """表三's label columns narrowed so every long label wraps over several lines."""
    from docx.shared import Cm

    table = document.tables[1]
    for row in table.rows:
        for i, cell in enumerate(row.cells[:3]):
            cell.width = Cm((0.8, 1.2, 1.6)[i])


def html_variant(src: Path, dst: Path, change: Callable[[str], str]) -> Path:
    dst.write_text(change(src.read_text(encoding="utf-8")), encoding="utf-8")
    return dst


def no_data_block(html: str) -> str:
    """The page without the JSON data block our renderer embeds: the tables must be read, as
    on a page a CMS re-typed."""
    return re.sub(r'<script type="application/json" id="xxgk-report-data">.*?</script>', "", html, flags=re.S)


def html_blank_zeros(html: str) -> str:
    return re.sub(r'(<td class="xxgk-num"[^>]*>)0(</td>)', r"\1\2", no_data_block(html))


def html_relabel(html: str) -> str:
    html = no_data_block(html)
    for old, new in LABEL_VARIANTS.items():
        html = html.replace(f">{old}<", f">{new}<")
    return html


# --------------------------------------------------------------------------- running


def run_case(label: str, path: Path, expected: dict[str, object], repeat: int) -> None:
    from validator.errors import UnusableInput
    from validator.importer.document import read_document

    try:
        imported = read_document(path)
    except UnusableInput as exc:
        print(f"{label:<50} refused (exit 2): {exc}")
        return
    right, wrong, empty = score(imported.values, expected)
    took = best_ms(lambda: read_document(path), repeat)
    floor = floor_of(path)
    floor_text = ""
    if floor is not None:
        floor_ms = best_ms(floor[1], repeat)
        floor_text = f"; floor ({floor[0]}) {floor_ms:7.1f} ms, ratio {took / max(floor_ms, 1e-6):4.1f}x"
    print(f"{label:<50} right {right:3} wrong {wrong:3} empty {empty:3} | import {took:7.1f} ms{floor_text}")


def pdf_importer() -> bool:
    return importlib.util.find_spec("validator.importer.pdf") is not None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-libreoffice", action="store_true", help="skip the cases LibreOffice makes")
    ap.add_argument("--random", type=int, default=5, help="random valid reports in the adversarial kinds")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    has_pdf = pdf_importer()
    use_lo = not args.no_libreoffice and shutil.which("soffice") is not None

    print("== shared published reports (tests/fixtures/published)")
    published = json.loads((PUBLISHED / "expected.json").read_text(encoding="utf-8"))["reports"]
    for report in published:
        expected = expected_cells(report)
        for src in sorted(PUBLISHED.glob(Path(report["file"]).stem + ".*")):
            if src.suffix == ".pdf" and not has_pdf:
                print(f"{src.name:<44} skipped: no PDF importer yet (validator/importer/pdf.py)")
                continue
            if src.suffix in (".txt", ".md", ".html", ".htm", ".pdf", ".docx"):
                run_case(src.name, src, expected, args.repeat)

    print("== harder cases made from the same reports (tests/fixtures/reports/*.xlsx)")
    if not use_lo:
        print("LibreOffice cases skipped (--no-libreoffice or no soffice)")
    if not has_pdf:
        print("PDF cases skipped: no PDF importer yet (validator/importer/pdf.py)")
    fixtures = {
        r["file"].rsplit(".", 1)[0]: r for r in json.loads((REPORTS / "expected.json").read_text("utf-8"))["reports"]
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in NAMES:
            expected = expected_cells(fixtures[name])
            d = work / name
            d.mkdir()
            html = render(name, d / f"{name}.html")
            word = render(name, d / f"{name}.docx")
            cases: list[tuple[str, Path | None]] = [
                ("html (xxgk render)", html),
                ("html without its data block", html_variant(html, d / "plain.html", no_data_block)),
                ("html, zeros blank", html_variant(html, d / "blank.html", html_blank_zeros)),
                ("html, label variants", html_variant(html, d / "labels.html", html_relabel)),
                ("docx (xxgk render)", word),
                ("docx, zeros blank", docx_variant(word, d / "blank.docx", blank_zeros)),
                ("docx, label variants", docx_variant(word, d / "labels.docx", relabel)),
                ("docx, header split over two rows", docx_variant(word, d / "header.docx", split_header)),
            ]
            if use_lo:
                lo = d / "lo"
                lo.mkdir()
                cases.append(("docx (LibreOffice from the html)", soffice(html, "docx:MS Word 2007 XML", lo)))
            if use_lo and has_pdf:
                pdfs = d / "pdf"
                pdfs.mkdir()
                for label, change in (
                    ("pdf (LibreOffice from the docx)", None),
                    ("pdf, rows broken at page ends", rows_may_split),
                    ("pdf, narrow wrapped label columns", narrow_columns),
                    ("pdf, zeros blank", blank_zeros),
                ):
                    src = word if change is None else docx_variant(word, d / f"{change.__name__}.docx", change)
                    cases.append((label, soffice(src, "pdf", pdfs)))
            for label, path in cases:
                if path is None:
                    print(f"{name} {label:<46} not made (LibreOffice failed)")
                else:
                    run_case(f"{name} {label}", path, expected, args.repeat)

    adversarial_kinds(args.random, use_lo and has_pdf)


def adversarial_kinds(random_reports: int, pdf: bool) -> None:
    """Right / wrong / unread per kind of trouble over every layout and format."""
    import adversarial

    reports = adversarial.real_reports() + [adversarial.random_report(i) for i in range(random_reports)]
    forms = [*adversarial.FORMATS, *(("pdf",) if pdf else ())]
    print(f"== adversarial kinds: {len(reports)} reports (3 real, {random_reports} random) × {', '.join(forms)}")
    with tempfile.TemporaryDirectory() as tmp:
        variants = adversarial.make_variants(reports, adversarial.KINDS, forms, Path(tmp))
        if pdf:
            adversarial.to_pdf(variants)
        start = time.perf_counter()
        scored = [(v, adversarial.read(v)) for v in variants]
        took = time.perf_counter() - start
    print(f"{'kind':<26} {'right':>7} {'wrong':>6} {'unread':>7} {'read':>7}")
    for kind in adversarial.KINDS:
        right, wrong, unread = (sum(r[i] for v, r in scored if v.kind == kind) for i in range(3))
        print(f"{kind:<26} {right:>7} {wrong:>6} {unread:>7} {100 * (right + wrong) / (right + wrong + unread):>6.1f}%")
    total = [sum(r[i] for _v, r in scored) for i in range(3)]
    print(
        f"{'all':<26} {total[0]:>7} {total[1]:>6} {total[2]:>7}   ({len(scored)} documents, {1000 * took / len(scored):.1f} ms each)"
    )


if __name__ == "__main__":
    main()
