"""Pages of a printed report, read back with ``pdftotext -layout``: what a reader sees at the
top and the foot of each page. Used on LibreOffice's PDF of the .docx and Chromium's print of
the web page alike."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from validator.formats import get_format
from validator.render.document import TABLE_SHEETS
from validator.render.layout import TableGrid, table_grid

PAGE_NUMBER = re.compile(r"^[—-]\s*\d+\s*[—-]$")
HEADINGS = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)
TABLE_HEADINGS = dict(zip(TABLE_SHEETS, HEADINGS[1:4]))


def pages(pdf: Path) -> list[list[str]]:
    """Each page's text lines top to bottom, stripped, blank lines and the page number left out."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = [
        [ln.strip() for ln in page.splitlines() if ln.strip() and not PAGE_NUMBER.match(ln.strip())]
        for page in text.split("\f")
    ]
    while out and not out[-1]:
        out.pop()
    return out


def grids() -> dict[str, TableGrid]:
    fmt = get_format()
    return {sheet: table_grid(fmt, sheet) for sheet in TABLE_SHEETS}


def head_texts() -> tuple[list[str], list[str]]:
    """Every text that heads something (section headings, table captions, header cells), and
    the tables' row labels."""
    heads, labels = list(HEADINGS), []
    for sheet, grid in grids().items():
        heads.append(f"{sheet}　{TABLE_HEADINGS[sheet][2:]}")
        for row in grid.rows:
            heads += [c.text for c in row if c.header]
            labels += [c.text for c in row if not c.header and not c.key]
    return heads, labels


def is_head_line(line: str, heads: list[str], labels: list[str]) -> bool:
    """A line made only of heading, caption or header-cell text (pieces of them, as wrapped),
    with no figure: nothing it heads is on the line. A piece that could as well be the wrapped
    end of a row label (``申请``) does not make a head line by itself."""
    words = line.split()
    if re.search(r"\d", line) or not all(any(w in h for h in heads) for w in words):
        return False
    return any(not any(w in lab for lab in labels) for w in words)


def stranded(pdf_pages: list[list[str]]) -> list[str]:
    """What a page leaves alone at its foot: a heading or a table head as a page's last line,
    or a table's heading with fewer than two of its figure rows (all, when it has fewer) on
    its page. Empty when the printout is right."""
    heads, labels = head_texts()
    found = []
    for n, lines in enumerate(pdf_pages[:-1], start=1):
        if lines and is_head_line(lines[-1], heads, labels):
            found.append(f"page {n} ends with a heading or table head: {lines[-1]}")
    for sheet, grid in grids().items():
        heading = TABLE_HEADINGS[sheet]
        need = min(2, grid.n_rows - grid.head_rows)
        for n, lines in enumerate(pdf_pages, start=1):
            if heading in lines:
                below = lines[lines.index(heading) + 1 :]
                rows = sum(1 for ln in below if re.search(r"\d", ln))
                if rows < need:
                    found.append(f"page {n}: {heading} with {rows} figure row(s) under it")
                break
        else:
            found.append(f"{heading} not printed")
    return found


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def line_boxes(pdf: Path, page: int) -> tuple[float, list[tuple[str, float, float, float]]]:
    """The page's width and its text lines as (text without spaces, xMin, xMax, height), from
    ``pdftotext -bbox-layout``."""
    from lxml import etree

    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        check=True,
    ).stdout
    root = etree.fromstring(xml)
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    (page_el,) = root.xpath("//x:page", namespaces=ns)
    lines = []
    for line in page_el.xpath(".//x:line", namespaces=ns):
        text = "".join(w.text or "" for w in line.xpath("x:word", namespaces=ns))
        box = [float(line.get(k)) for k in ("xMin", "xMax", "yMin", "yMax")]
        lines.append((text, box[0], box[1], box[3] - box[2]))
    return float(page_el.get("width")), lines


def signature_placement(pdf: Path, page: int, signed: list[str]) -> list[str]:
    """How the 落款 sits on its page; empty when right: each line in the right half, the lines
    ending together, within three characters of the text's right edge (GB/T 9704 右空二字)."""
    width, lines = line_boxes(pdf, page)
    boxes = [next((b for b in lines if b[0] == squeeze(s)), None) for s in signed]
    if None in boxes:
        return [f"落款 {signed} not on page {page}: {[b[0] for b in lines]}"]
    right = max(b[2] for b in lines if not PAGE_NUMBER.match(b[0]))
    problems = []
    for text, x0, x1, height in boxes:  # type: ignore[misc]
        if x0 < width / 2:
            problems.append(f"{text} starts left of the middle ({x0:.0f} of {width:.0f})")
        if not 0 <= right - x1 <= 3 * height:
            problems.append(f"{text} ends {right - x1:.0f} pt from the text's right edge")
    if max(b[2] for b in boxes) - min(b[2] for b in boxes) > 2:  # type: ignore[index]
        problems.append("the 落款 lines do not end together")
    return problems
