"""Candidate ``positions`` of the PDF cascade: tables without rulings, where blank cells exist.

A table printed without rulings and with zeros left blank has too few numbers in reading
order, and no rulings to say where the cells are. Here each table row is found by its official
label (in the format's order; a label wrapped over lines, or figures on their own line, stay
one row), the columns by the x-extent of the column headings and of every figure of the table
(what overlaps is one column), and each figure goes to the column it lies in; a column with no
figure in a row is a blank cell. When the rows or columns cannot all be found, or a row's
figures are spread over several lines, the table is left as printed, for the table reader to
count (and leave unread). The output is lines for :func:`~validator.importer.text.read_lines`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from validator.formats import gb_2021_30 as gb
from validator.formats import get_format
from validator.importer.pdf_page import BLANK, NUMBERISH, Char, Page, is_page_number

T3_GROUP_HEADINGS = ("申请人情况", "法人或其他组织")
T4_GROUP_HEADINGS = ("行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉")


@dataclass
class Token:
    text: str
    x0: float
    x1: float
    chars: list[Char]


@dataclass
class Line:
    page: int
    number: int
    text: str
    tokens: list[Token]

    @property
    def figures(self) -> list[Token]:
        return [t for t in self.tokens if NUMBERISH.match(t.text)]


@dataclass
class Block:
    """One table part: its row labels (None: 表四's unlabeled row), its width, its lines."""

    rows: list[str | None]
    width: int
    start: int
    end: int
    ignore: tuple[str, ...] = ()


def _norm(text: str) -> str:
    text = re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")
    return re.sub(r"^(\d+)[、．]", r"\1.", text)


def _tokens(chars: list[Char]) -> list[Token]:
    out: list[Token] = []
    for ch in chars:
        prev = out[-1].chars[-1] if out else None
        height = max(ch.y1 - ch.y0, prev.y1 - prev.y0 if prev else 0.0, 1.0)
        if prev is None or ch.space or ch.x0 - prev.x1 > height * 0.5 or abs(ch.cy - prev.cy) > height:
            out.append(Token(ch.text, ch.x0, ch.x1, [ch]))
        else:
            last = out[-1]
            last.text += ch.text
            last.x1 = max(last.x1, ch.x1)
            last.chars.append(ch)
    return out


def page_lines(pages: list[Page]) -> list[Line]:
    """Every page's lines (as in the page's text) with their tokens, page numbers dropped."""
    lines: list[Line] = []
    for page in pages:
        texts = page.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        by_line: dict[int, list[Char]] = {}
        for ch in page.chars:
            by_line.setdefault(ch.line, []).append(ch)
        filled = [i for i, s in enumerate(texts) if s.strip()]
        edges = set(filled[:1] + filled[-1:])
        for i, text in enumerate(texts):
            if not is_page_number(text, page.number, i in edges):
                lines.append(Line(page.number, i + 1, text, _tokens(by_line.get(i, []))))
    return lines


def _find(lines: list[Line], text: str, start: int, end: int) -> int | None:
    want = re.sub(r"^[一二三四五六七八九十]+、", "", _norm(text))
    for i in range(start, end):
        got = re.sub(r"^[一二三四五六七八九十]+、", "", _norm(lines[i].text))
        if got == want:
            return i
    return None


def _starts(line: Line, label: str) -> bool:
    """Whether the row labelled `label` starts on this line (after a group label, if any)."""
    want = _norm(label)
    prefixes = [want if len(want) <= 6 else want[:5]]
    if label == "行政规范性文件":
        prefixes.append("规范性文件")
    for k in range(len(line.tokens)):
        rest = _norm("".join(t.text for t in line.tokens[k:]))
        if any(rest.startswith(p) for p in prefixes):
            return True
    return False


def _blocks(lines: list[Line]) -> list[Block] | None:
    """The table parts between the official headings, with their rows and widths."""
    fmt_titles = {s.name: s.title for s in _sheets()}
    t2 = _find(lines, fmt_titles[gb.T2], 0, len(lines))
    t3 = _find(lines, fmt_titles[gb.T3], (t2 or 0) + 1, len(lines))
    t4 = _find(lines, fmt_titles[gb.T4], (t3 or 0) + 1, len(lines))
    if t2 is None or t3 is None or t4 is None:
        return None
    end = next((i for i in range(t4 + 1, len(lines)) if _norm(lines[i].text).startswith("五、")), len(lines))
    blocks = []
    captions = [_find(lines, caption, t2 + 1, t3) for caption, *_ in gb.T2_BLOCKS]
    if all(c is not None for c in captions):  # 表二 without its captions is left as printed
        bounds = [c for c in captions if c is not None] + [t3]
        for (_c, _h, rows, leaves, _k), lo, hi in zip(gb.T2_BLOCKS, bounds, bounds[1:]):
            blocks.append(Block([label for label, _ in rows], len(leaves), lo + 1, hi))
    t3_rows: list[str | None] = [r[3] or r[2] or r[1] for r in gb.T3_ROWS]
    blocks.append(Block(t3_rows, len(gb.T3_COLUMNS), t3 + 1, t4, T3_GROUP_HEADINGS))
    blocks.append(Block([None], len(gb.T4_GROUPS) * len(gb.T4_LEAVES), t4 + 1, end, T4_GROUP_HEADINGS))
    return blocks


def _sheets():
    return get_format(gb.FORMAT_ID).sheets


def _row_starts(lines: list[Line], block: Block) -> list[int] | None:
    """The line each row starts on (its label, in the format's order)."""
    starts: list[int] = []
    at = block.start
    for label in block.rows:
        if label is None:
            at = next((i for i in range(at, block.end) if lines[i].figures), -1)
        else:
            at = next((i for i in range(at, block.end) if _starts(lines[i], label)), -1)
        if at < 0:
            return None
        starts.append(at)
        at += 1
    return starts


def _clusters(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """x ranges that overlap merged into one."""
    merged: list[list[float]] = []
    for x0, x1 in sorted(spans):
        if merged and x0 <= merged[-1][1] + 0.5:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return [(x0, x1) for x0, x1 in merged]


def _columns(lines: list[Line], block: Block, starts: list[int]) -> list[tuple[float, float]] | None:
    """The block's value columns as x ranges: centred on the column headings (or, failing
    those, on the figures), bounded half-way to the next column."""
    figures = [t for i in range(block.start, block.end) for t in lines[i].figures]
    if not figures:
        return None
    if block.width == 1:
        return [(float("-inf"), float("inf"))]
    labels = [t.x1 for i in starts for t in lines[i].tokens if not NUMBERISH.match(t.text)]
    left = max(labels, default=float("-inf"))
    heads = [
        (t.x0, t.x1)
        for i in range(block.start, starts[0])
        for t in lines[i].tokens
        if t.x0 > left and not any(g in _norm(t.text) for g in block.ignore)
    ]
    found = _clusters(heads)
    if len(found) != block.width:
        found = _clusters([(t.x0, t.x1) for t in figures])
    if len(found) != block.width:
        return None
    centres = [(x0 + x1) / 2 for x0, x1 in found]
    cuts = [(a + b) / 2 for a, b in zip(centres, centres[1:])]
    first = centres[0] - (cuts[0] - centres[0]) - 2
    last = centres[-1] + (centres[-1] - cuts[-1]) + 2
    edges = [first, *cuts, last]
    return list(zip(edges, edges[1:]))


def _row_line(
    lines: list[Line], block: Block, starts: list[int], r: int, cols: list[tuple[float, float]]
) -> str | None:
    """Row `r` as ``label | v | (empty) | …``, or None when its figures cannot be placed."""
    end = starts[r + 1] if r + 1 < len(starts) else block.end
    if block.rows[r] is None:
        end = starts[r] + 1
    holding = [i for i in range(starts[r], end) if lines[i].figures]
    if len(holding) > 1:
        return None
    cells: list[str | None] = [None] * block.width
    for token in lines[holding[0]].figures if holding else []:
        at = next((c for c, (x0, x1) in enumerate(cols) if x0 <= token.x0 and token.x1 <= x1), None)
        if at is None or cells[at] is not None:
            return None
        cells[at] = token.text.replace(",", "")
    label = block.rows[r] or ""
    return " | ".join([label, *(c if c is not None else BLANK for c in cells)]).lstrip(" |")


def _ruled(lines: list[Line], starts: list[int], pages: dict[int, Page]) -> bool:
    """Whether the block's rows are crossed by vertical rulings: a ruled table, whose cells the
    ``grid`` candidate reads from the rulings. Columns found by position would take a figure
    in a merged or short row (no ruling after it) for one column and the rest for blanks."""
    for i in starts:
        line = lines[i]
        page = pages.get(line.page)
        ys = [c.cy for t in line.tokens for c in t.chars]
        if page is None or not ys:
            continue
        y = sum(ys) / len(ys)
        if sum(1 for _x, y0, y1 in page.vrules if y0 <= y <= y1) >= 2:
            return True
    return False


def _place(lines: list[Line], block: Block, out: list[str], pages: dict[int, Page]) -> None:
    """Rewrite the block's lines in `out`: each row on its start line, figures elsewhere dropped.
    A ruled table is left as printed (see :func:`_ruled`)."""
    starts = _row_starts(lines, block)
    if starts is None or _ruled(lines, starts, pages):
        return
    cols = _columns(lines, block, starts)
    if cols is None:
        return
    rows = [_row_line(lines, block, starts, r, cols) for r in range(len(starts))]
    if any(r is None for r in rows):
        return
    for i in range(block.start, block.end):
        if lines[i].figures:
            out[i] = ""
    for at, row in zip(starts, rows):
        out[at] = row or ""


def position_lines(pages: list[Page]) -> tuple[list[str], list[int], list[int]]:
    """Candidate ``positions``: the page lines with each table row placed in its columns."""
    lines = page_lines(pages)
    out = [line.text for line in lines]
    by_number = {page.number: page for page in pages}
    for block in _blocks(lines) or []:
        _place(lines, block, out, by_number)
    return out, [line.page for line in lines], [line.number for line in lines]
