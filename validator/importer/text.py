"""Read the tables of a published report from its text (.txt/.md) and the lines other readers
make of web pages, Word files and PDFs.

Tables are found by the official section headings of the format data (``gb_2021_30``), never
by position in the file, and each table is read row by row by its labels
(:mod:`validator.importer.rows`): a figure goes only where its row's label puts it, a row that
cannot be placed with certainty is left null with its reason, and a table with some certain
rows keeps them. Page numbers, footnote marks, dates and notes inside a table are skipped and
listed. A blank cell (``/``, ``—``, an empty ``|`` cell) keeps its place, reads as 0 and is
marked ``blank`` — except a total printed blank whose parts do not add to 0, left unread. A
表三 with （六）其他处理 as one row keeps the other rows; its sub-rows are 0 only in the columns
where that row is 0 (``IMPORT-DEDUCED``).

The narrative parts 一、五、六 are kept verbatim, found by the words of their headings (so a
renumbered or retitled part is found, and 表四 ends where 五 or 六 starts). The publication date
is the header's 发布时间, else the 落款 date at the end (said in a 提示). A report in the 2019
试行 format (its 表二 labels) is refused naming that format before any table is read.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from validator.errors import UnusableInput
from validator.formats import gb_2021_30 as gb
from validator.formats import get_format
from validator.formats.gb_2019_60 import FORMAT_ID as OLD_FORMAT_ID
from validator.importer import rows
from validator.importer.labels import tables
from validator.spec import FormatSpec
from validator.submission import text_problem
from validator.values import to_date

EMPTY_CELL = rows.EMPTY_CELL
"""What a reader that knows a table's cells (a web page's, a Word file's) writes for an empty
cell where a figure belongs (see :func:`mark_blanks`): counted as an empty cell read as 0
(``form`` ``empty``, ``raw`` empty) and never shown (dropped from the row's text and from the
narrative). A private-use character, so no printed text is taken for it."""
BLANK_MARKS = rows.BLANK_MARKS
mark_blanks = rows.mark_blanks
ORDINAL = re.compile(r"^[一二三四五六七八九十]+、")
TITLE = re.compile(r"^(?P<body>.*?)\s*(?P<year>(?:19|20)\d\d)\s*年度?\s*政府信息公开工作年度报告$")


@dataclass(frozen=True)
class Figure:
    """One imported cell with where it came from (1-based line, the line as published; for a
    PDF the page, and the line counted on that page; for a Word file the place), the
    cell's own text as published (`raw`) and what it was (`form`): ``number``, ``empty`` (an
    empty cell) or ``mark`` (``/``, ``—``…); the last two are read as 0 and marked `blank`."""

    key: str
    value: int | str
    line: int
    text: str
    blank: bool = False
    raw: str = ""
    form: str = "number"
    page: int | None = None
    place: str | None = None
    """Where in a structured document (a Word file's paragraph, or table, row and column)."""
    cell: int | None = None
    """Which ``|`` cell of its line the figure sat in (a table row's cell), for the place."""


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
    parts: dict[str, dict[str, object]] = field(default_factory=dict)
    """Narrative parts found (key → heading as published, first and last line) and the line
    the publication date was read from."""
    findings: list[dict[str, object]] = field(default_factory=list)
    """Import 提示 (``severity`` ``warning``): blank cells read as 0, parts not found."""
    exact: object = None
    """The :class:`~validator.submission.Submission` a page's own data block (our rendered
    report's ``xxgk-report-data``) gave, read exactly; None when read from the tables."""
    skipped: list[dict[str, object]] = field(default_factory=list)
    """Numbers inside a table that no cell took: page numbers, footnote marks, dates, a lone
    number no row can take… each with its line and the rule that skipped it."""

    def line(self, index: int) -> int:
        """The 1-based line in the original file of line `index` of the text read."""
        return self.sources[index] if self.sources else index + 1

    def page(self, index: int) -> int | None:
        """The 1-based PDF page of line `index` (None for other documents)."""
        return self.pages[index] if self.pages else None

    def at(self, index: int) -> dict[str, int]:
        """Where line `index` is, for provenance: ``{"line": n}``, in a PDF with its page."""
        page = self.page(index)
        return {"page": page, "line": self.line(index)} if page is not None else {"line": self.line(index)}

    def line_text(self, index: int) -> str:
        """``第 a 行`` for messages (``第 p 页第 a 行`` in a PDF)."""
        return f"第 {self.page(index)} 页第 {self.line(index)} 行" if self.pages else f"第 {self.line(index)} 行"

    def lines_text(self, first: int, last: int) -> str:
        """``第 a–b 行`` for messages; across PDF pages ``第 p 页第 a 行–第 q 页第 b 行``; a
        range of one line (or none) names that line."""
        if last <= first:
            return self.line_text(first)
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
    for _caption, _headers, block, leaves, _kind in gb.T2_BLOCKS:
        for _label, base in block:
            keys.extend(f"{base}.{leaf}" for leaf in leaves)
    return keys


def _t3_keys() -> list[str]:
    return [gb.t3_key(row[0], col) for row in gb.T3_ROWS for col, _ in gb.T3_COLUMNS]


def _t4_keys() -> list[str]:
    return [gb.t4_key(g, leaf) for g, *_ in gb.T4_GROUPS for leaf, _ in gb.T4_LEAVES]


def _bare(text: str) -> str:
    return ORDINAL.sub("", re.sub(r"\s+", "", text))


def _find(lines: list[str], label: str, start: int = 0) -> int | None:
    """Index of the first line from `start` that is the label (ordinal optional)."""
    want = _bare(label)
    return next((i for i in range(start, len(lines)) if _bare(lines[i]) == want), None)


SECTION_WORDS = {
    gb.T2: (("主动公开",),),
    gb.T3: (("申请",), ("收到", "处理")),
    gb.T4: (("复议",), ("诉讼",)),
}
"""Words a section heading of the table must hold when it is not the official title word for
word (“…申请的情况”, 2019's “因政府信息公开工作被申请行政复议、提起行政诉讼情况”): each group
needs one of its words, and the heading must end in 情况."""


def _section(lines: list[str], sheet: str, start: int) -> int | None:
    """The line of a table's section heading: the official title (ordinal optional), else a
    short numbered heading line with the section's words (numbered, so that a sub-heading of
    part 一 such as “（一）主动公开情况” is never taken for 表二)."""
    exact = _find(lines, _sheet_title(sheet), start)
    if exact is not None:
        return exact
    for i in range(start, len(lines)):
        text = re.sub(r"[\s#*]+", "", lines[i]).rstrip("：:")
        title = ORDINAL.sub("", text)
        if title == text or len(text) > 32 or not title.endswith("情况") or "|" in text or "｜" in text:
            continue
        if all(any(w in title for w in group) for group in SECTION_WORDS[sheet]):
            return i
    return None


def _all_labels(cells: list[str]) -> bool:
    """A header row: every cell filled with words, none a figure."""
    return bool(cells) and all(c and not rows.figure_like(c) for c in cells)


def mark_table(table: list[list[str]]) -> list[list[str]]:
    """:func:`mark_blanks` for each row of a table, whose physical cells are known, plus its
    last row when every cell of it is empty and the row above is a header (表四 with every
    figure printed blank): that row is all figure places."""
    marked = [mark_blanks(cells) for cells in table]
    if len(table) > 1 and table[-1] and not any(table[-1]) and _all_labels(table[-2]):
        marked[-1] = [EMPTY_CELL] * len(table[-1])
    return marked


def _value(token: str, money: bool) -> int | str | None:
    if token.endswith("万元"):
        return token.removesuffix("万元") if money else None
    if money:
        return token
    return int(token) if token.isdigit() else None


def _resolve(out: Imported, text: str) -> str:
    """A reader's message with its line marks (``{at:i}``, ``{span:i:j}``) as staff read them."""
    text = re.sub(r"\{at:(\d+)\}", lambda m: out.line_text(int(m.group(1))), text)
    return re.sub(r"\{span:(\d+):(\d+)\}", lambda m: out.lines_text(int(m.group(1)), int(m.group(2))), text)


def _read_table(out: Imported, lines: list[str], table: rows.Table, span: tuple[int, int], heading: int) -> None:
    """One table read row by row (:mod:`validator.importer.rows`) into `out`."""
    name = table.name
    got = rows.read_table(lines, span, table)
    keys = [k for row in table.rows for k in row.cells]
    if got.whole is not None:  # nothing read, for one reason
        out.unread.append(
            {"table": name, "reason": f"{name}（{out.line_text(heading)}起）{_resolve(out, got.whole)}", "keys": keys}
        )
    else:
        part = "一栏" if table.family else "一行"
        shared: dict[str, list[tuple[rows.Row, tuple[str, ...]]]] = {}
        for row, why, missing in got.unread:  # rows left for one reason are listed together
            shared.setdefault(_resolve(out, why), []).append((row, missing))
        for why, group in shared.items():
            names = "".join(f"“{row.name}”" for row, _m in group)
            out.unread.append(
                {
                    "table": name,
                    "reason": f"{name}{names}{part if len(group) == 1 else '各' + part[1]}{why}",
                    "keys": [k for _row, missing in group for k in missing],
                }
            )
    for key in keys:
        fig = got.figures.get(key) or got.deduced.get(key)
        if fig is not None:
            _store(out, lines, name, key, fig, any(key in row.money for row in table.rows))
    if got.deduced:
        columns = dict.fromkeys(k.rsplit(".", 1)[1] for k in got.deduced)
        names = "、".join(n for col, n in gb.T3_COLUMNS if col in columns)
        out.findings.append(
            {
                "rule": "IMPORT-DEDUCED",
                "severity": "warning",
                "message": f"{name}“（六）其他处理”只印一行合计（{_resolve(out, '{at:' + str(got.deduced_from) + '}')}），"
                f"其中为 0 的“{names}”列，三个子项必为 0（件数不为负），已填 0（共 {len(got.deduced)} 格），请核对原文",
                "keys": list(got.deduced),
            }
        )
    for sk in got.skipped:
        out.skipped.append(
            {
                "table": name,
                **({"page": out.page(sk.at)} if out.pages else {}),
                "line": out.line(sk.at),
                "text": sk.text,
                "rule": sk.rule,
                "reason": rows.STRAY_RULES[sk.rule],
            }
        )


def _blank_totals(out: Imported) -> None:
    """A total printed blank is 0 only when its parts add up to 0: otherwise it may be a figure
    the publisher left out, so it stays unread with the parts' sum quoted."""
    by_key = {f.key: f for f in out.figures}
    dropped: set[str] = set()
    in_tables = set(table_keys())
    sums = [  # the format's "total = sum of parts" relations within a table
        (relation.right[0], relation.left)
        for rule in _fmt().rules
        for relation in rule.relations
        if relation.op == "=="
        and len(relation.right) == 1
        and {*relation.left, *relation.right} <= in_tables  # a "-key" (subtracted) is never in it
    ]
    for total_key, part_keys in sums:
        total = by_key.get(total_key)
        parts = [by_key.get(k) for k in part_keys]
        if total is None or not total.blank or any(p is None for p in parts):
            continue
        added = sum(int(p.value) for p in parts if p is not None)
        if added == 0 or total.key in dropped:
            continue
        dropped.add(total.key)
        label = _fmt().cell(total.key).label or total.key
        out.unread.append(
            {
                "table": next(name for name, keys in _table_keys() if total.key in keys),
                "reason": f"“{label}”印为空白（{_row_of(total)}），而各项之和为 {added}，可能是漏印的数字，未按 0 导入",
                "keys": [total.key],
            }
        )
    if dropped:
        out.figures = [f for f in out.figures if f.key not in dropped]
        for key in dropped:
            out.values.pop(key, None)


def _table_keys() -> tuple[tuple[str, list[str]], ...]:
    return (("表二", _t2_keys()), ("表三", _t3_keys()), ("表四", _t4_keys()))


def table_keys() -> list[str]:
    """Every cell key of 表二, 表三 and 表四, in order."""
    return [k for _name, keys in _table_keys() for k in keys]


def _row_of(f: Figure) -> str:
    """Where a figure's row is, for staff: a Word table's row, a PDF page's line, a line."""
    if f.place:
        return re.sub(r"第 \d+ 列$", "", f.place)
    return f"第 {f.page} 页第 {f.line} 行" if f.page else f"第 {f.line} 行"


def report_blanks(out: Imported) -> None:
    """One 提示 per table listing the blank cells read as 0: a blank may mean 0 or "not
    applicable", and only the body that published it can say which. Run again after the
    figures' places change (a Word file's rows), it replaces its earlier findings."""
    out.findings[:] = [f for f in out.findings if f["rule"] != "IMPORT-BLANK"]
    for name, keys in _table_keys():
        wanted = frozenset(keys)
        blanks = [f for f in out.figures if f.blank and f.key in wanted]
        if not blanks:
            continue
        where = "、".join(dict.fromkeys(_row_of(f) for f in blanks))
        out.findings.append(
            {
                "rule": "IMPORT-BLANK",
                "severity": "warning",
                "message": f"{name}有 {len(blanks)} 个空白单元格（空、“/”或“—”）按 0 导入（{where}），请核对原文",
                "keys": [f.key for f in blanks],
            }
        )


def _store(out: Imported, lines: list[str], name: str, key: str, fig: rows.Fig, money: bool) -> None:
    value = _value(fig.token, money)
    if value is None:
        out.unread.append({"table": name, "reason": f"{out.line_text(fig.at)}的“{fig.raw}”不是件数", "keys": [key]})
        return
    out.values[key] = value
    text = lines[fig.at].rstrip("\n").replace(EMPTY_CELL, "")
    out.figures.append(
        Figure(
            key,
            value,
            out.line(fig.at),
            text,
            fig.blank,
            fig.raw,
            fig.form,
            out.page(fig.at),
            cell=fig.cell,
        )
    )


PUBLISHED_ON = re.compile(
    r"(?:发布时间|发布日期|公开日期|发文日期)\s*[:：]?\s*((?:19|20)\d\d\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?)"
)


def _published_on(out: Imported, lines: list[str], limit: int) -> None:
    """The publication date a page's header states (发布时间：2022-02-08 16:34), never the
    signature date at the end (that is when it was written, not published)."""
    for i in range(min(limit, len(lines))):
        m = PUBLISHED_ON.search(lines[i])
        date = to_date(re.sub(r"[年月/.]", "-", m.group(1).replace("日", "")).replace(" ", "")) if m else None
        if date is not None:
            out.values["published_on"] = date.isoformat()
            out.parts["published_on"] = {**out.at(i), "text": lines[i].strip()}
            return


CN_DIGITS = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0, "O": 0}
SIGNED = re.compile(
    r"^(?P<y>(?:19|20)\d\d|[〇零○ＯO一二三四五六七八九]{4})\s*年\s*(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})\s*月"
    r"\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*日$"
)


def _cn_number(text: str) -> int | None:
    """An Arabic or a Chinese numeral as used in dates (二〇二四, 十二, 二十九); None otherwise."""
    if text.isdigit():
        return int(text)
    if len(text) == 4 and all(ch in CN_DIGITS for ch in text):  # a year, digit by digit
        return int("".join(str(CN_DIGITS[ch]) for ch in text))
    tens, _ten, ones = text.partition("十")
    if not _ten:
        return CN_DIGITS.get(text)
    high = CN_DIGITS.get(tens, -1) if tens else 1
    low = CN_DIGITS.get(ones, -1) if ones else 0
    return high * 10 + low if high > 0 and low >= 0 else None


def _signature_date(out: Imported, lines: list[str], start: int) -> None:
    """With no 发布时间 line, the date of the 落款 (the body's name, then the date, as the last
    lines of the report) is taken as the publication date, with a 提示 naming the line: it is
    when the report was signed, usually a few days before it was published."""
    import datetime as dt

    tail = [i for i in range(start, len(lines)) if lines[i].strip() and not PAGE_MARK.match(lines[i].strip())]
    for i in reversed(tail[-4:]):
        m = SIGNED.match(re.sub(r"\s+", "", lines[i]))
        if not m:
            continue
        y, mo, d = (_cn_number(m.group(k)) for k in "ymd")
        date = to_date(f"{y}-{mo:02d}-{d:02d}") if None not in (y, mo, d) else None  # type: ignore[str-format]
        if date is None or (out.year is not None and date <= dt.date(out.year, 12, 31)):
            return
        out.values["published_on"] = date.isoformat()
        out.parts["published_on"] = {**out.at(i), "text": lines[i].strip(), "signature": True}
        out.findings.append(
            {
                "rule": "IMPORT-DATE",
                "severity": "warning",
                "message": f"原文没有“发布时间”，发布日期取自文末落款“{lines[i].strip()}”（{out.line_text(i)}）："
                "落款日期通常早于发布日期，请核对",
                "keys": ["published_on"],
            }
        )
        return


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
        body = re.sub(r"\s+", " ", body).strip()
        out.body = body if body and text_problem(body) is None else None
        out.parts["title"] = {**out.at(i), "text": lines[i].strip()}
        return


@cache
def old_format_marks() -> tuple[str, ...]:
    """Labels only the 2019 试行 format (国办公开办函〔2019〕60号) has in 表二, from the two
    formats' data: a 2019 表二 label that no 2021 label contains (本年新制作数量, 上一年项目数量,
    政府集中采购 …; 规范性文件 is inside 行政规范性文件, so it is no mark)."""
    texts = [lb.text for lb in _fmt().labels] + [c.label or "" for c in _fmt().cells]
    old = get_format(OLD_FORMAT_ID)
    found = (lb.text for lb in old.labels if lb.sheet == gb.T2 and not any(lb.text in t for t in texts))
    return tuple(dict.fromkeys(found))


HEADING_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+|\d{1,2})[、.．]")
PAGE_MARK = re.compile(r"^(?:[-－—–]\s*\d{1,4}\s*[-－—–]|第\s*\d{1,4}\s*页(?:\s*[，,/]?\s*共\s*\d{1,4}\s*页)?)$")


@cache
def narrative_parts() -> tuple[tuple[str, str], ...]:
    """(key, official heading) of the narrative parts the format has (一、五、六)."""
    return tuple((c.key, c.label or c.key) for c in _fmt().cells if c.key.startswith("narrative."))


def _old_format_marks(lines: list[str], span: tuple[int, int]) -> list[str]:
    region = "".join(re.sub(r"\s+", "", line) for line in lines[span[0] : span[1]])
    return [mark for mark in old_format_marks() if mark in region]


def _refuse_old_format(lines: list[str], where: str, t2: int | None, t3: int | None) -> None:
    """A 2019-format report is named as such (exit 2), never read into 2021 cells. Only 表二
    is searched when it is found (a 2021 narrative may well speak of 政府集中采购); else two
    marks anywhere are needed."""
    inside = t2 is not None and t3 is not None
    marks = _old_format_marks(lines, (t2, t3) if inside else (0, len(lines)))  # type: ignore[arg-type]
    if marks if inside else len(marks) >= 2:
        shown = "、".join(f"“{m}”" for m in marks[:3])
        raise UnusableInput(
            f"这是 2019 试行格式（国办公开办函〔2019〕60号）的年度报告（表二有{shown}），"
            "不能按 2021 年格式（国办公开办函〔2021〕30号）导入；本工具只导入 2021 年度起的报告",
            where=where,
            code="old-format",
        )


def _heading(line: str) -> str | None:
    """Which narrative part `line` heads (its key), by the words of its title, whatever its
    number (五 may be 四 when a body drops a part) or wording (…及整改措施, …及改进措施)."""
    text = re.sub(r"[\s#*]+", "", line)
    if not text or len(text) > 30 or "|" in text or "｜" in text or text[-1] in "。；;，,":
        return None
    title = HEADING_ORDINAL.sub("", text)
    if title.startswith(("总体情况", "总体概况", "概述")) and len(title) <= 8:
        return "narrative.overview"
    if ("问题" in title or "不足" in title) and any(w in title for w in ("改进", "整改", "措施", "存在")):
        return "narrative.problems"
    if "其他" in title and ("事项" in title or "需要报告" in title):
        return "narrative.other_matters"
    return None


def _first_heading(lines: list[str], key: str, start: int, end: int) -> int | None:
    return next((i for i in range(start, end) if _heading(lines[i]) == key), None)


def _part_lines(lines: list[str], start: int, end: int) -> list[int]:
    """A part's lines: those with text, without the page numbers (``-5-``, ``第 5 页``) of
    the printed copy."""
    return [i for i in range(start, end) if lines[i].strip() and not PAGE_MARK.match(lines[i].strip())]


def _tail_headings(lines: list[str], after: int) -> tuple[int | None, int | None]:
    """Where 五 and 六 start after 表四 (六 searched after 五 when 五 is there)."""
    problems = _first_heading(lines, "narrative.problems", after, len(lines))
    other = _first_heading(lines, "narrative.other_matters", (problems or after - 1) + 1, len(lines))
    return problems, other


SENTENCE_END = "。！？；：…”’）)!?;:"


def _width(line: str) -> int:
    """Printed width in a Chinese font: CJK characters, full-width and ambiguous ones (“”‘’)
    are two columns, a Latin letter or digit one; leading indentation counts."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in line.replace("\t", "    "))


def text_margin(lines: list[str]) -> int | None:
    """The width text was wrapped at, when it was (a PDF, or text pulled from one): most lines
    end within a few columns of one width. None for text published one paragraph per line,
    whose line widths vary freely."""
    widths = [_width(line) for line in lines if line.strip()]
    if len(widths) < 3:
        return None
    margin = Counter(widths).most_common(1)[0][0]
    near = sum(margin - 6 <= w <= margin + 8 for w in widths)
    return margin if near >= len(widths) / 2 else None


def reflow(lines: list[str], margin: int | None) -> list[str]:
    """Paragraphs from text wrapped at `margin`: a line that runs to the margin and does not
    end a sentence continues on the next line, so the two are one line. A line that ends short
    of the margin (a heading, a paragraph's last line, a signature) ends its line, and text
    without a margin is kept as it is. Only line breaks change, never a character; the lines
    come with their indentation (a paragraph's first line is indented two characters)."""
    if margin is None:
        return lines
    out: list[str] = []
    joining = False
    for line in lines:
        if joining:
            glue = " " if out[-1][-1:].isascii() and out[-1][-1:].isalpha() and line.strip()[:1].isalpha() else ""
            out[-1] += glue + line.strip()
        else:
            out.append(line)
        joining = _width(line) >= margin - 6 and not line.rstrip().endswith(tuple(SENTENCE_END))
    return out


def _read_parts(out: Imported, lines: list[str], t2: int, heads: tuple[int | None, int | None]) -> None:
    """一、五、六 kept verbatim into the narrative cells: each paragraph as published (text
    wrapped at a page margin rejoined, see :func:`reflow`), stripped of layout indentation,
    empty lines and page numbers dropped; a part not found is a 提示."""
    problems, other = heads
    found = {
        "narrative.overview": _first_heading(lines, "narrative.overview", 0, t2),
        "narrative.problems": problems,
        "narrative.other_matters": other,
    }
    ends = {
        "narrative.overview": t2,
        "narrative.problems": other if other is not None and problems is not None and other > problems else len(lines),
        "narrative.other_matters": len(lines),
    }
    spans = {key: _part_lines(lines, at + 1, ends[key]) for key, at in found.items() if at is not None}
    margin = text_margin([lines[i].replace(EMPTY_CELL, "") for kept in spans.values() for i in kept])
    for key, official in narrative_parts():
        at = found[key]
        if at is None:
            out.findings.append(
                {
                    "rule": "IMPORT-PART",
                    "severity": "warning",
                    "message": f"找不到“{official}”一节，未导入",
                    "keys": [key],
                }
            )
            continue
        kept = spans[key]
        parts = [lines[i].replace(EMPTY_CELL, "").rstrip() for i in kept]
        text = "\n".join(line.strip() for line in reflow(parts, margin))
        problem = text_problem(text)
        if problem:
            out.unread.append({"table": "文字部分", "reason": f"“{official}”{problem}，未导入", "keys": [key]})
            continue
        out.values[key] = text
        last = kept[-1] if kept else at
        out.parts[key] = {"heading": lines[at].strip(), **out.at(at), "end_line": out.line(last)}


def split_lines(text: str) -> list[str]:
    """The text's lines as an editor numbers them: only CR/LF end a line (``str.splitlines``
    also splits at the form feed ``pdftotext`` puts at each page break, which would shift
    every line number after it in the provenance)."""
    return re.split(r"\r\n|\n|\r", text)


def read_text(text: str, where: str) -> Imported:
    """The tables 二、三、四 of a published report's text; exit 2 when none is found."""
    return read_lines(split_lines(text), where)


def read_lines(
    lines: list[str], where: str, sources: list[int] | None = None, pages: list[int] | None = None
) -> Imported:
    """As :func:`read_text` for lines already split; `sources` gives each line's line number in
    the original file (a web page's row, a PDF page's line) and `pages` its PDF page, for
    messages and provenance."""
    t2 = _section(lines, gb.T2, 0)
    t3 = _section(lines, gb.T3, (t2 or 0) + 1)
    t4 = _section(lines, gb.T4, (t3 or 0) + 1)
    _refuse_old_format(lines, where, t2, t3)
    if t2 is None or t3 is None or t4 is None:
        missing = [
            s
            for s, at in ((gb.T2, t2), (gb.T3, t3), (gb.T4, t4))
            if at is None  # names the first missing heading
        ]
        heading = _sheet_title(missing[0])
        raise UnusableInput(
            f"不是政府信息公开工作年度报告（2021年格式），或文件不完整：找不到“{heading}”一节",
            where=where,
            code="not-report",
        )
    heads = _tail_headings(lines, t4 + 1)
    end = min((h for h in heads if h is not None), default=len(lines))
    out = Imported(sources=sources, pages=pages)
    _title(out, lines, t2)
    _published_on(out, lines, t2)
    table2, table3, table4 = tables()
    _read_table(out, lines, table2, (t2 + 1, t3), t2)
    _read_table(out, lines, table3, (t3 + 1, t4), t3)
    _read_table(out, lines, table4, (t4 + 1, end), t4)
    _blank_totals(out)
    report_blanks(out)
    _read_parts(out, lines, t2, heads)
    if "published_on" not in out.values:
        _signature_date(out, lines, end)
    return out
