"""Developer tool: the pictures of the rendered report shown in docs/render.md (``docs/render-*.png``).

Run by hand (``uv run python tools/render_pictures.py``) after a change to the web page or the
Word layout. Uses the same tooling as the tests (tests/support/rendering.py): headless Chromium
for the HTML, LibreOffice → PDF → ``pdftoppm`` for the .docx (the page where 表三 begins).
The pictures are for people to look at; tests assert on freshly rendered files, not on these.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from validator.cli.program import main as cli  # noqa: E402

from support.rendering import docx_to_pdf, screenshot  # noqa: E402

SOURCE = ROOT / "examples" / "fenxi-zfb_2023.xlsx"
DOCS = ROOT / "docs"


def _page_of(pdf: Path, text: str) -> int:
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    return next(i + 1 for i, page in enumerate(pages) if text in page)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        html, docx = work / "report.html", work / "report.docx"
        assert cli(["render", str(SOURCE), "-o", str(html)]) == 0
        assert cli(["render", str(SOURCE), "-o", str(docx)]) == 0
        screenshot(html, DOCS / "render-html.png", 900, 2300)
        pdf = docx_to_pdf(docx, work)
        page = _page_of(pdf, "三、收到和处理政府信息公开申请情况")
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "70",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(pdf),
                str(DOCS / "render-docx"),
            ],
            check=True,
        )
    print("已生成 docs/render-html.png、docs/render-docx.png")


if __name__ == "__main__":
    main()
