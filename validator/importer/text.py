"""Read the tables of a published report from its text (.txt/.md).

Tables are found by the official section headings and first row label of the format data
(``gb_2021_30``), never by position in the file. Inside a table the figures are read in
reading order: a published table has a fixed number of cells (表二 10, 表三 175, 表四 15),
so the numbers after its first label are its cells, whatever the line layout (one cell per
line, ``label | v | v`` rows, ``pdftotext -layout`` columns, rows split over lines). Labels,
typos in them and page numbers (``-3-``) are not numbers and are skipped. When a table does
not hold exactly its count of numbers, none of its cells is guessed: all stay null and the
table is listed as unread, so ``xxgk check`` on the result flags them. A blank cell
(``/``, ``—``, an empty ``|`` cell) keeps its place, reads as 0 and is marked ``blank``; a
表三 with （六）其他处理 as one row keeps the other rows and leaves the three sub-rows null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from validator.errors import UnusableInput
from validator.formats import gb_2021_30 as gb
from validator.formats import get_format
from validator.spec import FormatSpec

NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")
BLANK_MARKS = frozenset({"/", "／", "-", "－", "—", "——", "空"})
ORDINAL = re.compile(r"^[一二三四五六七八九十]+、")
TITLE = re.compile(r"^(?P<body>.*?)\s*(?P<year>(?:19|20)\d\d)\s*年度?\s*政府信息公开工作年度报告$")


@dataclass(frozen=True)
class Figure:
    """One imported cell with where it came from (1-based line, the line as published; for a
    PDF the page, and the line counted on that page)."""

    key: str
    value: int | str
    line: int
    text: str
    blank: bool = False
    page: int | None = None
    place: str | None = None
    """Where in a structured document (a Word file's paragraph, or table, row and column)."""


@dataclass
class Imported:
    """What a published text gave: cells by key, provenance, and the tables not read."""

    values: dict[str, object] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    unread: list[dict[str, object]] = field(default_factory=list)
    body: str | None = None
    year: int | None = None
    sources: list[int] | None = None
    pages: list[int] | None = None

    def line(self, index: int) -> int:
        """The 1-based line in the original file of line `index` of the text read."""
        return self.sources[index] if self.sources else index + 1

    def page(self, index: int) -> int | None:
        """The 1-based PDF page of line `index` (None for other documents)."""
        return self.pages[index] if self.pages else None

    def lines_text(self, first: int, last: int) -> str:
        """``第 a–b 行`` for messages; across PDF pages ``第 p 页第 a 行–第 q 页第 b 行``."""
        if not self.pages or self.page(first) == self.page(last):
            on = f"第 {self.page(first)} 页" if self.pages else ""
            return f"{on}第 {self.line(first)}–{self.line(last)} 行"
        return f"第 {self.page(first)} 页第 {self.line(first)} 行–第 {self.page(last)} 页第 {self.line(last)} 行"


def _fmt() -> FormatSpec:
    return get_format(gb.FORMAT_ID)


def _sheet_title(sheet: str) -> str:
    return next(s.title for s in _fmt().sheets if s.name == sheet)


def _t2_keys() -> list[str]:
    keys: list[str] = []
    for _caption, _headers, rows, leaves, _kind in gb.T2_BLOCKS:
        for _label, base in rows:
            keys.extend(f"{base}.{leaf}" for leaf in leaves)
    return keys


def _t3_keys() -> list[str]:
    return [gb.t3_key(row[0], col) for row in gb.T3_ROWS for col, _ in gb.T3_COLUMNS]


def _t4_keys() -> list[str]:
    return [gb.t4_key(g, leaf) for g, *_ in gb.T4_GROUPS for leaf, _ in gb.T4_LEAVES]


def _problems_heading() -> str:
    return next(lb.text for lb in _fmt().labels if lb.text.startswith("五、"))


def _bare(text: str) -> str:
    return ORDINAL.sub("", re.sub(r"\s+", "", text))


def _find(lines: list[str], label: str, start: int = 0, whole: bool = True) -> int | None:
    """Index of the first line from `start` that is the label (ordinal optional), or holds it."""
    want = _bare(label)
    for i in range(start, len(lines)):
        got = _bare(lines[i])
        if (got == want) if whole else (want in got):
            return i
    return None


def _cells(line: str) -> list[str]:
    """The line's cells: ``|`` columns (Markdown borders dropped) or whitespace-separated runs."""
    text = line.strip()
    if "|" not in text and "｜" not in text:
        return text.split()
    cells = [c.strip() for c in re.split(r"[|｜]", text)]
    if text[0] in "|｜" and text[-1] in "|｜" and len(cells) > 2:
        cells = cells[1:-1]
    return cells


def _numbers(lines: list[str], start: int, end: int) -> list[tuple[str, int, bool]]:
    """(number, line index, was blank) in reading order. A blank table cell (``/``, ``—``, or
    an empty ``|`` cell after the row's first figure) counts as a cell so the others keep their
    places; it is read as 0 and reported."""
    found = []
    for i in range(start, end):
        seen_figure = False
        for cell in _cells(lines[i]):
            for token in cell.split() or [""]:
                if NUMBER.match(token):
                    found.append((token.replace(",", ""), i, False))
                    seen_figure = True
                elif token in BLANK_MARKS or (token == "" and seen_figure):
                    found.append(("0", i, True))
                    seen_figure = True
    return found


def _value(token: str, money: bool) -> int | str | None:
    if money:
        return token
    return int(token) if token.isdigit() else None


def _read_table(
    out: Imported, lines: list[str], name: str, keys: list[str], span: tuple[int, int], money: frozenset[str]
) -> None:
    numbers: list[tuple[str, int, bool] | None] = list(_numbers(lines, *span))
    if name == "表三" and len(numbers) == len(keys) - 2 * len(gb.T3_COLUMNS) and _one_row_other(lines, span):
        numbers = _other_handling_one_row(out, numbers)
    if len(numbers) != len(keys):
        reason = f"{name}应有 {len(keys)} 个数字，{out.lines_text(span[0], span[1] - 1)}读到 {len(numbers)} 个，未导入（请核对原文）"
        out.unread.append({"table": name, "reason": reason, "keys": keys})
        return
    for key, number in zip(keys, numbers):
        if number is not None:
            _store(out, lines, name, key, number, key in money)


def _store(out: Imported, lines: list[str], name: str, key: str, number: tuple[str, int, bool], money: bool) -> None:
    token, i, blank = number
    value = _value(token, money)
    if value is None:
        out.unread.append({"table": name, "reason": f"第 {out.line(i)} 行的“{token}”不是件数", "keys": [key]})
        return
    out.values[key] = value
    out.figures.append(Figure(key, value, out.line(i), lines[i].rstrip("\n"), blank, out.page(i)))


def _line_of(out: Imported, numbers: list[tuple[str, int, bool] | None]) -> int:
    return next(out.line(n[1]) for n in numbers if n is not None)


def _one_row_other(lines: list[str], span: tuple[int, int]) -> bool:
    """Whether the table has a （六）其他处理 row but none of its sub-items' labels."""
    group = _bare(next(r[2] or "" for r in gb.T3_ROWS if r[0].startswith("other_handling.")))
    items = [_bare(r[3] or "") for r in gb.T3_ROWS if r[0].startswith("other_handling.")]
    subs = [item[2:10] for item in items if len(item) > 10]
    region = "".join(_bare(line) for line in lines[span[0] : span[1]])
    return group[3:] in region and not any(sub in region for sub in subs)


def _other_handling_one_row(
    out: Imported, numbers: list[tuple[str, int, bool] | None]
) -> list[tuple[str, int, bool] | None]:
    """表三 printed with （六）其他处理 as one row (older layout): its three sub-rows cannot be
    told apart, so they stay null and the published row is reported; the rest keep places."""
    width = len(gb.T3_COLUMNS)
    rows = [r[0] for r in gb.T3_ROWS]
    first = next(i for i, r in enumerate(gb.T3_ROWS) if r[0].startswith("other_handling."))
    start = first * width
    merged = numbers[start : start + width]
    keys = [gb.t3_key(r, c) for r in rows[first : first + 3] for c, _ in gb.T3_COLUMNS]
    shown = "、".join(n[0] for n in merged if n is not None)
    out.unread.append(
        {
            "table": "表三",
            "reason": f"“（六）其他处理”只有一行合计（第 {_line_of(out, merged)} 行：{shown}），无法分到三个子项，未导入",
            "keys": keys,
        }
    )
    padded: list[tuple[str, int, bool] | None] = [*numbers[:start], *([None] * (3 * width))]
    return padded + numbers[start + width :]


def _title(out: Imported, lines: list[str], limit: int) -> None:
    for i in range(min(limit, len(lines))):
        m = TITLE.match(lines[i].strip())
        if not m:
            continue
        out.year = int(m.group("year"))
        body = m.group("body").strip()
        if not body:
            before = [s.strip() for s in lines[:i] if s.strip() and not s.startswith("source:")]
            if before and len(before[-1]) <= 40 and not re.search(r"\d", before[-1]):
                body = before[-1]
        out.body = body or None
        return


def read_text(text: str, where: str) -> Imported:
    """The tables 二、三、四 of a published report's text; exit 2 when none is found."""
    return read_lines(text.splitlines(), where)


def read_lines(
    lines: list[str], where: str, sources: list[int] | None = None, pages: list[int] | None = None
) -> Imported:
    """As :func:`read_text` for lines already split; `sources` gives each line's line number in
    the original file (a web page's row, a PDF page's line) and `pages` its PDF page, for
    messages and provenance."""
    t2 = _find(lines, _sheet_title(gb.T2))
    t3 = _find(lines, _sheet_title(gb.T3), (t2 or 0) + 1)
    t4 = _find(lines, _sheet_title(gb.T4), (t3 or 0) + 1)
    if t2 is None or t3 is None or t4 is None:
        missing = [
            s
            for s, at in ((gb.T2, t2), (gb.T3, t3), (gb.T4, t4))
            if at is None  # names the first missing heading
        ]
        heading = _sheet_title(missing[0])
        raise UnusableInput(
            f"不是政府信息公开工作年度报告（2021年格式）：找不到“{heading}”一节", where=where, code="unusable-input"
        )
    first_row = _find(lines, gb.T3_ROWS[0][1], t3 + 1, whole=False)
    end = _find(lines, _problems_heading(), t4 + 1, whole=False)
    out = Imported(sources=sources, pages=pages)
    _title(out, lines, t2)
    money = frozenset(c.key for c in _fmt().cells if c.kind == "money")
    _read_table(out, lines, "表二", _t2_keys(), (t2 + 1, t3), money)
    t3_start = first_row if first_row is not None and first_row < t4 else t3 + 1
    _read_table(out, lines, "表三", _t3_keys(), (t3_start, t4), money)
    _read_table(out, lines, "表四", _t4_keys(), (t4 + 1, end if end is not None else len(lines)), money)
    return out
