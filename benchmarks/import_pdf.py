"""Accuracy and speed of ``xxgk import`` on PDFs: print figures, assert nothing.

    uv run python benchmarks/import_pdf.py

Cases: the real published PDF (tests/fixtures/published/huaian-shi_2024.pdf) and our three
fixture reports rendered to .docx, changed (zeros left blank, rulings removed, a row broken
across pages, （七）总计 printed one too high) and converted by LibreOffice (as
tests/test_import_pdf.py builds them). For each: cells right / wrong / left empty of the 200
table cells against expected.json as printed, the import time (the whole cascade, best of 3)
and the floor: opening the file with the same library (pypdfium2) and reading every page's
text. :func:`pdf_figures` returns the rows for another benchmark to print.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from support.importing import EXPECTED, PUBLISHED, expected_cells  # noqa: E402
from support.pdf_variants import build_pdfs  # noqa: E402


def _best(fn, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _floor(data: bytes) -> None:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    for page in doc:
        textpage = page.get_textpage()
        textpage.get_text_range()
        textpage.close()
        page.close()
    doc.close()


def _as_published(report: dict, variant: str) -> dict[str, object]:
    """The cells as the PDF prints them: ``wrong-total`` prints 表三's （七）总计 one too high on
    purpose (a published arithmetic error, imported as published and flagged by ``check``)."""
    from validator.formats import gb_2021_30 as gb

    expected = expected_cells(report)
    if variant == "wrong-total":
        key = gb.t3_key("results_total", "total")
        expected[key] = int(str(expected[key])) + 1
    return expected


def _case(label: str, path: Path, expected: dict[str, object]) -> dict[str, object]:
    from validator.importer.pdf import read_pdf

    data = path.read_bytes()
    imported = read_pdf(data, path.name)
    right = sum(imported.values.get(k) == v for k, v in expected.items())
    empty = sum(imported.values.get(k) is None for k in expected)
    return {
        "case": label,
        "right": right,
        "wrong": len(expected) - right - empty,
        "empty": empty,
        "blank_as_0": sum(f.blank for f in imported.figures),
        "seconds": _best(lambda: read_pdf(data, path.name)),
        "floor_seconds": _best(lambda: _floor(data)),
    }


def pdf_figures(work: Path) -> list[dict[str, object]]:
    """One row per PDF case (needs LibreOffice for the rendered cases)."""
    huaian = next(r for r in EXPECTED if r["file"] == "huaian-shi_2024.txt")
    rows = [_case("huaian-shi_2024.pdf（原件）", PUBLISHED / "huaian-shi_2024.pdf", expected_cells(huaian))]
    for (name, variant), path in sorted(build_pdfs(work).items()):
        report = next(r for r in EXPECTED if r["file"] == f"{name}.txt")
        rows.append(_case(f"{name} {variant}", path, _as_published(report, variant)))
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        rows = pdf_figures(Path(work))
    print(f"{'case':36} {'right':>5} {'wrong':>5} {'empty':>5} {'blank→0':>7} {'import ms':>9} {'floor ms':>8}")
    for r in rows:
        print(
            f"{r['case']:36} {r['right']:>5} {r['wrong']:>5} {r['empty']:>5} {r['blank_as_0']:>7} "
            f"{r['seconds'] * 1000:>9.1f} {r['floor_seconds'] * 1000:>8.1f}"
        )
    total = sum(int(r["right"]) + int(r["wrong"]) + int(r["empty"]) for r in rows)
    read = sum(int(r["right"]) + int(r["wrong"]) for r in rows)
    wrong = sum(int(r["wrong"]) for r in rows)
    print(f"cells read {read}/{total} ({100 * read / total:.1f} %), wrong {wrong}")


if __name__ == "__main__":
    main()
