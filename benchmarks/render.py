"""``xxgk render`` speed per report: print figures, assert nothing.

    uv run python benchmarks/render.py [--runs N]

For each shipped report (tests/fixtures/reports/*.source.json), the CPU time of writing the
Word document (median of N runs) the way the renderer does it (each table's cells taken once)
and the way it did before (python-docx's ``table.cell()`` for every cell, which rebuilds the
table's cell grid on each call: tests/support/docx_reference.py writes the same document that
way), the web page for comparison, and the floor: python-docx creating and saving an empty
document. CPU time, because a shared machine stretches wall time.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
REPORTS = ROOT / "tests" / "fixtures" / "reports"

from validator.formats import get_format  # noqa: E402
from validator.render.document import build_document  # noqa: E402
from validator.render.docx import render_docx  # noqa: E402
from validator.render.html import render_html  # noqa: E402

from support.docx_reference import reference_tables  # noqa: E402


def _cpu(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def _empty_docx() -> None:
    from docx import Document

    Document().save(io.BytesIO())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    fmt = get_format()
    floor = _cpu(_empty_docx, runs)
    print("| report | .docx before (table.cell per cell) | .docx now (cells taken once) | speed-up | .html |")
    print("|---|---|---|---|---|")
    for path in sorted(REPORTS.glob("*.source.json")):
        doc = build_document(fmt, path.read_bytes())
        render_docx(doc)  # imports and caches outside the timing
        with reference_tables():
            before = _cpu(partial(render_docx, doc), max(3, runs // 2))
        now = _cpu(partial(render_docx, doc), runs)
        html = _cpu(partial(render_html, doc), runs)
        name = path.name.removesuffix(".source.json")
        print(f"| {name} | {before:.3f} s | {now:.3f} s | {before / now:.1f}x | {html * 1000:.0f} ms |")
    print(f"floor: python-docx creating and saving an empty document: {floor * 1000:.0f} ms CPU")


if __name__ == "__main__":
    main()
