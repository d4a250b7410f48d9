"""The rendered page as people see it: headless Chromium draws the HTML, the PNG is measured.

Honest visual assertions, from the pixels (decoded with the stdlib): the page is not blank,
its text is not everywhere, and the tables are drawn as wide bordered grids — many long
horizontal rules, the longest spanning most of the page.
"""

from __future__ import annotations

import json

import pytest

from conftest import REPORTS, run_cli
from support.png import read_png
from support.rendering import require_tools, screenshot

pytestmark = pytest.mark.slow  # a headless Chromium screenshot

DARK = 140


def longest_dark_run(row: bytes) -> int:
    best = run = 0
    for v in row:
        run = run + 1 if v < DARK else 0
        best = max(best, run)
    return best


def short_report(tmp_path):
    """The 汾西 report with one-line narratives, so the three tables fit one screen."""
    doc = json.loads((REPORTS / "fenxi-zfb_2023.source.json").read_text(encoding="utf-8"))
    doc["narrative"] = {k: f"{k}：见正文。" for k in doc["narrative"]}
    path = tmp_path / "short.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_chromium_draws_text_and_full_width_tables(tmp_path):
    require_tools("chromium")
    html, png = tmp_path / "r.html", tmp_path / "r.png"
    assert run_cli("render", short_report(tmp_path), "-o", html).code == 0
    screenshot(html, png, 1000, 1800)
    width, height, rows = read_png(png.read_bytes())
    assert (width, height) == (1000, 1800)
    dark = sum(sum(1 for v in row if v < DARK) for row in rows)
    assert 0.01 < dark / (width * height) < 0.4  # ink, but not a black page
    runs = [longest_dark_run(row) for row in rows]
    rules = [y for y, n in enumerate(runs) if n > 0.6 * width]
    assert max(runs) > 0.85 * width  # a table border spans the page: the table is wider than its margins
    assert len(rules) >= 30  # 表二's 15 rules and most of 表三's, each drawn as a separate line
    text_rows = [y for y, row in enumerate(rows[: rules[0]]) if any(v < DARK for v in row)]
    assert text_rows, "title and headings above the first table"
