"""What a sheet looks like on paper: LibreOffice converts to PDF, poppler reads it back.

``pdftotext -bbox-layout`` gives every word with its box, grouped into blocks (a cell's text is
one block), so a test can find a cell's whole text however the columns beside it wrap, and
can tell when two words are printed on top of each other.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

TOOLS = ("soffice", "pdftotext", "pdfinfo", "fc-list")


def require_print_tools() -> None:
    """Skip when LibreOffice, poppler or the fonts are missing; under ``CI=true`` fail."""
    reason = None
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed"
    elif "carlito" not in subprocess.run(["fc-list"], capture_output=True, text=True).stdout.lower():
        reason = "font Carlito (fonts-crosextra-carlito) not installed"
    elif not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip():
        reason = "no CJK font installed (fonts-wqy-microhei or fonts-noto-cjk)"
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true, so the print tests must run, but: {reason}")
    pytest.skip(reason)


def to_pdf(sources: list[Path], out_dir: Path) -> list[Path]:
    """Each workbook as LibreOffice prints it (one soffice run for all)."""
    from support.rendering import soffice_convert

    soffice_convert(sources, "pdf", out_dir)
    pdfs = [out_dir / f"{s.stem}.pdf" for s in sources]
    missing = [p.name for p in pdfs if not p.exists()]
    assert not missing, f"LibreOffice wrote no {missing}"
    return pdfs


def flat(text: str) -> str:
    """Text without any whitespace: a cell's lines as pdftotext reads them, joined."""
    return "".join(str(text).split())


def page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")[: page_count(pdf)]


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Pages:\s+(\d+)", info)
    assert found, info
    return int(found.group(1))


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclass(frozen=True)
class Line:
    page: int
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words)


_NUM = r'"([\d.]+)"'
_WORD = re.compile(rf"<word xMin={_NUM} yMin={_NUM} xMax={_NUM} yMax={_NUM}>(.*?)</word>")


def lines(pdf: Path) -> list[Line]:
    """Every printed line with its words' boxes (a cell's wrapped text is several lines)."""
    layout = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    out = []
    for n, page in enumerate(layout.split("<page ")[1:], 1):
        for line in page.split("<line ")[1:]:
            words = tuple(
                Word(n, float(a), float(b), float(c), float(d), html.unescape(t))
                for a, b, c, d, t in _WORD.findall(line)
            )
            if words:
                out.append(Line(n, words))
    return out


def printed(text: str, found: list[Line]) -> bool:
    """`text` printed whole in one left-aligned cell: its first line starts a word somewhere
    (perhaps indented), each next line starts at the cell's left edge just below, and each
    line of the cell is the start of what is printed from that edge rightwards on its baseline
    (pdftotext runs the lines of cells side by side together, so the cell to the right follows
    it there; where its first characters happen to continue the text, a shorter line is tried)."""
    want = flat(text)
    words = [w for line in found for w in line.words]

    def line_from(page: int, x: float, y: float) -> str:
        on = sorted((w for w in words if w.page == page and abs(w.y0 - y) < 2 and w.x0 > x - 0.5), key=lambda w: w.x0)
        return "".join(flat(w.text) for w in on)

    def rest_printed(page: int, lo: float, hi: float, y: float, rest: str) -> bool:
        if not rest:
            return True
        below = [w for w in words if w.page == page and lo - 0.5 < w.x0 < hi + 0.5 and w.y0 > y + 2]
        if not below:
            return False
        nxt = min(below, key=lambda w: w.y0)
        seg = line_from(page, nxt.x0, nxt.y0)
        n = next((i for i, (a, b) in enumerate(zip(seg, rest)) if a != b), min(len(seg), len(rest)))
        return any(rest_printed(page, nxt.x0, nxt.x0, nxt.y0, rest[k:]) for k in range(n, max(n - 4, 0), -1))

    for start in words:
        head = flat(start.text)
        if not head or not (want.startswith(head) or head.startswith(want)):
            continue
        seg = line_from(start.page, start.x0, start.y0)
        n = next((i for i, (a, b) in enumerate(zip(seg, want)) if a != b), min(len(seg), len(want)))
        for k in range(n, max(n - 4, 0), -1):
            if rest_printed(start.page, start.x0 - INDENT, start.x0, start.y0, want[k:]):
                return True
    return False


INDENT = 20.0
"""How far left of a cell's first word its next lines may start (two full-width spaces)."""


def overlapping(found: list[Line], tolerance: float = 3.0) -> list[tuple[Word, Word]]:
    """Pairs of words whose boxes overlap by more than `tolerance` points both ways: lines
    printed on top of each other (a row too low for its wrapped text), or a cell's text run
    into the next. (A cell's own lines overlap by a point or so: their boxes include the
    glyphs' full height.)"""
    pairs = []
    pages: dict[int, list[Word]] = {}
    for line in found:
        pages.setdefault(line.page, []).extend(line.words)
    for words in pages.values():
        words.sort(key=lambda w: w.x0)
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                if b.x0 >= a.x1 - tolerance:
                    break
                if min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance:
                    pairs.append((a, b))
    return pairs
