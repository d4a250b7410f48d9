"""Read one table of a published report row by row, each figure placed by its row's label.

A line of the table (a text line, or one table row of a web page, Word file or ruled PDF) is
split into figures and words. The words name a row when they hold its label (see
:mod:`validator.importer.labels`); a line holding a row's label and figures is a *tied* row,
and its label alone decides which official row the figures fill, wherever it is printed.

Text that other tools made (PDF → Markdown converters, LLM pipelines) moves labels onto their
own line, before or after their figures. Such a label and the figures next to it are tied when
the whole table reads one way (each label before its figures, or each after), and left unread
when both readings fit.

Figures with no label of their own fill a row by reading order only when every row whose
label was found stands in official order and the unlabeled figures sit between two such rows
leaving exactly one place for them (and whatever words they carry could be that row's label).
Everything else is left unread (null) row by row, each row with its reason; a table with some
certain rows keeps them. Page numbers, footnote marks, dates, captions and notes inside a table
are skipped, and so is a lone number no row can take; each skipped number is listed with the
rule that skipped it. 表四's rows are its three column groups: besides rows with their own
label, a heading block naming the groups (行政复议 | 行政诉讼: 未经复议直接起诉, 复议后起诉)
followed by the 15 figures is read in the order the headings give, when every heading agrees.

The only figures made rather than read are forced by arithmetic: （六）其他处理 printed as one
row with 0 in a column makes its three sub-rows 0 in that column (figures are never negative);
they are marked ``deduced`` and named in an ``IMPORT-DEDUCED`` 提示. A total printed blank
whose parts do not add up to 0 is not taken as 0: it stays unread, the sum quoted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

from validator.importer.labels import Row, Table, fragment_rows, is_neutral, norm

NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")
WITH_UNIT = re.compile(r"^(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)万元$")
BLANK_MARKS = frozenset({"/", "／", "-", "－", "—", "——", "空"})
EMPTY_CELL = "\ue000"
MAX_LINE = 20_000
"""Characters in one line of a table: a real row has a few hundred."""
MAX_REGION = 400_000
"""Characters between a table's heading and the next: a real table has a few thousand. Bounds
the work (and the memory) a hostile text can make the reader spend on one table."""
SUPERSCRIPTS = "¹²³⁰⁴⁵⁶⁷⁸⁹"

STRAY = re.compile(
    r"(?P<date>(?:19|20)\d\d\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|(?:19|20)\d\d\s*年度?"
    r"|(?:19|20)\d\d\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}\s*日?)"
    r"|(?P<page>第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|共\s*\d{1,4}\s*页"
    r"|[-－—–]\d{1,4}[-－—–]|\d{1,4}\s*/\s*\d{1,4}\s*页)"
    rf"|(?P<footnote>\[\^?\d{{1,2}}\]|\^\d{{1,2}}|[{SUPERSCRIPTS}]+|[①-⑳]|注\s*\d{{1,2}}|※\s*\d{{0,2}})"
    r"|(?P<caption>第\s*\d{1,2}\s*条(?:\s*第?\s*[（(]\s*\d{1,2}\s*[)）]\s*项)?|附?表\s*[0-9](?![0-9.,])(?:\s*[（(]续[)）])?)"
)
"""What a table's lines hold besides labels and figures: dates, page numbers, footnote marks and
captions with digits. Matched on the line before it is split, so ``第 3 页`` is one mark."""
WHOLE_LINE = re.compile(
    r"^\s*(?:[-－—–]\s*\d{1,4}\s*[-－—–]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})\s*$"
)
NOTE = re.compile(r"^\s*(?:[*＊※]?\s*(?:注|说明|备注|资料来源|数据来源)\s*\d{0,2}\s*[:：]|\[\^\d{1,2}\]\s*:)")
STRAY_RULES = {
    "date": "日期",
    "page": "页码",
    "footnote": "注释标记",
    "caption": "表题或条款编号",
    "note": "表下注释",
    "lone": "不属于任何一行的单个数字（如页码）",
    "unplaced": "无法确定属于哪一行的数字",
}


class Fig(NamedTuple):
    """A figure as read: its text for the value, the line index, the form (``number``,
    ``empty`` or ``mark``), the cell as published, and the ``|`` cell it sat in."""

    token: str
    at: int
    form: str
    raw: str
    cell: int | None = None

    @property
    def blank(self) -> bool:
        return self.form in ("empty", "mark")


class Tok(NamedTuple):
    kind: str  # "fig", "text" or "skip"
    text: str
    at: int
    cell: int | None
    fig: Fig | None = None
    rule: str = ""


@dataclass
class Unit:
    """A part of the table in reading order: ``T`` a label with its figures, ``L`` a label
    alone, ``F`` figures alone, ``X`` words that name no row (they keep a label from the
    figures past them), ``B`` an empty line."""

    kind: str
    at: int
    row: int | None = None
    figs: list[Fig] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    single: bool = False
    """One figure alone on its line: runs of these (a table pasted one cell per line) merge."""
    last: int = -1
    group: int | None = None
    """表三's group whose label the line holds without a sub-row's (（六）其他处理 printed as one row)."""
    mentions: list[tuple[int, int, str]] = field(default_factory=list)
    """Column headings and 表四's group headings the line names (see :func:`_mentions`)."""

    def __post_init__(self) -> None:
        if self.last < 0:
            self.last = self.at


@dataclass
class Skipped:
    at: int
    text: str
    rule: str


@dataclass
class Outcome:
    """What a table gave: figures by cell key (with the row's line), rows not read with their
    reason, numbers skipped, cells deduced."""

    figures: dict[str, Fig] = field(default_factory=dict)
    unread: list[tuple[Row, str, tuple[str, ...]]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    deduced: dict[str, Fig] = field(default_factory=dict)
    deduced_from: int | None = None
    whole: str | None = None
    """Set when no row of the table could be read: one reason for the whole table."""


# --------------------------------------------------------------------------- one line


def _cells(line: str) -> list[str]:
    text = line.strip()
    if "|" not in text and "｜" not in text:
        return text.split()
    cells = [c.strip() for c in re.split(r"[|｜]", text)]
    if text[0] in "|｜" and text[-1] in "|｜" and len(cells) > 2:
        cells = cells[1:-1]
    return cells


def figure_like(cell: str) -> bool:
    tokens = cell.split()
    return bool(tokens) and all(NUMBER.match(_fold(t)) or t in BLANK_MARKS or t == EMPTY_CELL for t in tokens)


def mark_blanks(cells: list[str]) -> list[str]:
    """A table row's cells, each empty cell where a figure belongs written :data:`EMPTY_CELL`:
    after the row's last label, or anywhere in a row of figures only. An empty cell before a
    label is a header's corner or spacing, never a figure."""
    if not any(cells):
        return cells
    last_label = max((j for j, c in enumerate(cells) if c and not figure_like(c)), default=-1)
    return [c or (EMPTY_CELL if j > last_label else "") for j, c in enumerate(cells)]


def _fold(token: str) -> str:
    return unicodedata.normalize("NFKC", token).strip("*`")


def _pieces(text: str, at: int, cell: int | None) -> list[Tok]:
    """A stretch of a line (or of one ``|`` cell) as tokens, stray marks taken out first."""
    out: list[Tok] = []
    pos = 0
    for m in STRAY.finditer(text):
        out += _words(text[pos : m.start()], at, cell)
        rule = m.lastgroup or "footnote"
        out.append(Tok("skip", m.group(0), at, cell, rule=rule))
        pos = m.end()
    out += _words(text[pos:], at, cell)
    return out


def _words(text: str, at: int, cell: int | None) -> list[Tok]:
    out = []
    for word in text.split():
        folded = _fold(word)
        if NUMBER.match(folded):
            out.append(Tok("fig", word, at, cell, Fig(folded.replace(",", ""), at, "number", word, cell)))
        elif WITH_UNIT.match(folded):
            value = WITH_UNIT.match(folded).group(1).replace(",", "")  # type: ignore[union-attr]
            out.append(Tok("fig", word, at, cell, Fig(value + "万元", at, "number", word, cell)))
        elif word == EMPTY_CELL:
            out.append(Tok("fig", "", at, cell, Fig("0", at, "empty", "", cell)))
        elif word in BLANK_MARKS:
            out.append(Tok("fig", word, at, cell, Fig("0", at, "mark", word, cell)))
        else:
            out.append(Tok("text", word, at, cell))
    return out


def tokens(line: str, at: int) -> list[Tok]:
    """The line's tokens in reading order: a note line or a page number line is all skipped."""
    if NOTE.match(line) or WHOLE_LINE.match(line):
        rule = "note" if NOTE.match(line) else "page"
        return [Tok("skip", line.strip(), at, None, rule=rule)] if re.search(r"\d", line) else []
    text = re.sub(r"<br\s*/?>", " ", line)
    if "|" not in text and "｜" not in text:
        return _pieces(text, at, None)
    out: list[Tok] = []
    cells = mark_blanks(_cells(text))
    if re.fullmatch(r"[\s|｜:：\-—]*", text):
        return []
    for j, cell in enumerate(cells):
        out += _pieces(cell, at, j)
    return out


@dataclass
class _Match:
    row: int
    start: int
    end: int
    group: bool = False


_ANY: dict[str, re.Pattern[str]] = {}


def _any_core(table: Table) -> re.Pattern[str]:
    """Every core of the table in one pattern: most lines name no row, and one search says so."""
    if table.name not in _ANY:
        cores = [p.pattern for row in (*table.rows, *table.groups) for p in row.cores]
        _ANY[table.name] = re.compile("|".join(f"(?:{c})" for c in cores))
    return _ANY[table.name]


def _strong(text: str, table: Table) -> list[_Match]:
    """Where the joined words name rows (or 表三's groups), longest first, not overlapping."""
    if not _any_core(table).search(text):
        return []
    found: list[_Match] = []
    for i, row in enumerate(table.rows):
        for pattern in row.cores:
            found += [_Match(i, m.start(), m.end()) for m in pattern.finditer(text)]
    for i, group in enumerate(table.groups):
        found += [_Match(i, m.start(), m.end(), True) for m in group.cores[0].finditer(text)]
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[_Match] = []
    for m in found:
        if kept and m.start < kept[-1].end:
            if kept[-1].row == m.row and kept[-1].group == m.group:
                kept[-1].end = max(kept[-1].end, m.end)
            continue
        kept.append(m)
    return kept


def _ordinal_merge(toks: list[Tok], table: Table) -> list[Tok]:
    """A figure that is the row's own ordinal printed apart (``3 其他``) joined to its label."""
    out: list[Tok] = []
    for k, tok in enumerate(toks):
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if (
            tok.kind == "fig"
            and tok.fig is not None
            and tok.fig.form == "number"
            and len(tok.text) <= 2
            and nxt is not None
            and nxt.kind == "text"
            and nxt.cell == tok.cell
        ):
            word = norm(nxt.text)
            if any(
                row.ordinal == tok.text and any(p.match(word) or p.match(tok.text + word) for p in row.cores)
                for row in table.rows
            ):
                out.append(Tok("text", tok.text, tok.at, tok.cell))
                continue
        out.append(tok)
    return out


def line_units(line: str, at: int, table: Table, skipped: list[Skipped]) -> list[Unit]:
    """The line as units (see :class:`Unit`); its skipped marks go to `skipped`."""
    toks = _ordinal_merge(tokens(line, at), table)
    for t in toks:
        if t.kind == "skip" and any(ch.isdigit() for ch in t.text):  # ¹ and ① too
            skipped.append(Skipped(at, t.text, t.rule))
    toks = [t for t in toks if t.kind != "skip"]
    if not toks:
        return [Unit("B", at)] if not line.strip() else []
    # the words joined, each character remembering its token
    joined, owner = "", []
    for k, t in enumerate(toks):
        if t.kind == "text":
            piece = norm(t.text)
            joined += piece
            owner += [k] * len(piece)
    matches = _strong(joined, table) if joined else []
    sub_rows = [m for m in matches if not m.group]
    if sub_rows:
        matches = sub_rows
    mentions = _mentions(toks, table)
    figs = [(k, t.fig) for k, t in enumerate(toks) if t.kind == "fig" and t.fig is not None]
    if not matches:
        return [_unlabeled(toks, at, table, figs, mentions)]
    labels = [(owner[m.start], m) for m in matches]
    rows = {(m.row, m.group) for _k, m in labels}
    if len(rows) == 1:
        m = labels[0][1]
        kind = "T" if figs else "L"
        if m.group:  # a group's label alone: its figures are a row whose own label is missing or mistyped
            unit = _unlabeled(toks, at, table, figs, mentions)
            if unit.kind == "F":
                unit.group = m.row
            return [unit]
        return [Unit(kind, at, m.row, [f for _k, f in figs], mentions=mentions)]
    return _several(labels, figs, at, mentions)


def _several(labels: list[tuple[int, _Match]], figs: list[tuple[int, Fig]], at: int, mentions) -> list[Unit]:
    """A line naming several rows: each label takes the figures after it when the line starts
    with a label and ends with figures, the figures before it when it starts with figures and
    ends with a label. Otherwise (figures only between labels, or on both ends) the line says
    no more than the same labels and figures on lines of their own: it is given as such, for
    the table's reading direction to decide (:func:`_pairs`)."""
    starts: list[tuple[int, _Match]] = []
    for k, m in labels:
        if starts and starts[-1][1].row == m.row and starts[-1][1].group == m.group:
            continue
        starts.append((k, m))
    first, last = starts[0][0], starts[-1][0]
    pre = any(k < first for k, _f in figs)
    post = any(k > last for k, _f in figs)
    units: list[Unit] = []
    if post and not pre:
        bounds = [k for k, _m in starts] + [10**9]
        for (k, m), end in zip(starts, bounds[1:]):
            units.append(_labelled(m, [f for j, f in figs if k < j < end], at))
    elif pre and not post:
        bounds = [-1] + [k for k, _m in starts]
        for (k, m), begin in zip(starts, bounds):
            units.append(_labelled(m, [f for j, f in figs if begin < j < k], at))
    else:
        bounds = [-1] + [k for k, _m in starts] + [10**9]
        for n, (begin, end) in enumerate(zip(bounds, bounds[1:])):
            between = [f for j, f in figs if begin < j < end]
            if between:
                units.append(Unit("F", at, figs=between))
            if n < len(starts):
                units.append(_labelled(starts[n][1], [], at))
    if units:
        units[0].mentions = mentions
    return units


def _labelled(m: _Match, figs: list[Fig], at: int) -> Unit:
    if m.group:
        return Unit("T" if figs else "H", at, None, figs, group=m.row)
    kind = "T" if figs else "L"
    return Unit(kind, at, m.row, figs)


def _unlabeled(toks: list[Tok], at: int, table: Table, figs, mentions) -> Unit:
    """A line naming no row by a whole label: a piece of one label names it (when it names one
    row only), words that belong to no label are kept as `other`."""
    named: set[int] = set()
    other: list[str] = []
    for joined, words in _segments(toks):
        known = False
        for piece in dict.fromkeys([joined, *words]):
            rows = fragment_rows(piece, table)
            if rows is not None:
                known = known or piece == joined
                if len(rows) == 1:
                    named |= rows
        if known or is_neutral(joined, table):
            continue
        if words and all(is_neutral(w, table) or fragment_rows(w, table) is not None for w in words):
            continue  # words of headings (信息内容 本年制发件数 …) printed with wide gaps
        other.append(joined)
    figures = [f for _k, f in figs]
    if len(named) == 1:
        return Unit("T" if figures else "L", at, next(iter(named)), figures, mentions=mentions)
    if len(named) > 1:
        return Unit("X", at, figs=figures, other=["（标签片段属于几行）"], mentions=mentions)
    if figures:
        single = len(figures) == 1 and not other and toks[0].cell is None
        return Unit("F", at, figs=figures, other=other, single=single, mentions=mentions)
    return Unit("X" if other else "H", at, other=other, mentions=mentions)


def _segments(toks: list[Tok]) -> list[tuple[str, list[str]]]:
    """The words of a line as pieces, each with its words: each ``|`` cell's words joined; on
    a text line each run of words between figures joined (a layout's wide gaps split labels,
    so each word is also tried alone)."""
    out: list[tuple[str, list[str]]] = []
    run: list[str] = []
    cell: int | None = None

    def flush() -> None:
        if run:
            joined = norm("".join(run))
            if joined:
                out.append((joined, [w for w in (norm(x) for x in run) if w] if len(run) > 1 else []))
        run.clear()

    for t in toks:
        if t.kind != "text" or t.cell != cell:
            flush()
            cell = t.cell
        if t.kind == "text":
            run.append(t.text)
    flush()
    return out


def _mentions(toks: list[Tok], table: Table) -> list[tuple[int, int, str]]:
    """Column headings named on the line as (token index, official index, kind): whole words
    or cells only. For 表四 also the groups (``group``) and 行政诉讼 (``family``); a word naming
    行政复议 and 行政诉讼 at once (the table's title) says nothing of their order."""
    found = []
    for k, t in enumerate(toks):
        if t.kind != "text":
            continue
        word = norm(t.text)
        if word in table.columns:
            found.append((k, table.columns.index(word), "column"))
        if table.family is None:
            continue
        named = [(k, i, "group") for i, row in enumerate(table.rows) if any(p.search(word) for p in row.cores)]
        if table.family in word:
            named.append((k, -1, "family"))
        groups = {i for _k, i, kind in named if kind == "group"}
        if 0 in groups and (len(groups) > 1 or any(kind == "family" for *_x, kind in named)):
            continue
        found += named
    return found


# --------------------------------------------------------------------------- the table


def read_table(lines: list[str], span: tuple[int, int], table: Table) -> Outcome:
    """The table in ``lines[span[0]:span[1]]`` read row by row (see the module doc)."""
    out = Outcome()
    units: list[Unit] = []
    if sum(len(lines[i]) for i in range(*span)) > MAX_REGION:
        out.whole = f"表格所在部分超过 {MAX_REGION // 10000} 万个字符，不像年度报告的表格"
        return out
    for i in range(*span):
        if len(lines[i]) > MAX_LINE:  # no table row is this long: a pasted text, never figures
            units.append(Unit("X", i, other=["（过长的一行）"]))
            continue
        units += line_units(lines[i], i, table, out.skipped)
    units = _merge_singles(units)
    if not any(u.figs for u in units):
        out.whole = "没有读到数字（表格可能是图片或由脚本加载）"
        return out
    moved = _columns_moved(units, table)
    if moved:
        out.whole = moved
        return out
    if table.family is not None and _by_headings(units, table, out):
        return out
    _by_labels(units, table, out)
    return out


def _merge_singles(units: list[Unit]) -> list[Unit]:
    """Figures printed one per line (a table pasted one cell per line) are one run until an
    empty line or anything else."""
    out: list[Unit] = []
    for u in units:
        if u.kind == "F" and u.single and out and out[-1].kind == "F" and out[-1].single:
            out[-1].figs.append(*u.figs)
            out[-1].last = u.at
            continue
        out.append(u)
    return out


def _columns_moved(units: list[Unit], table: Table) -> str | None:
    """A line naming column headings in another order than the official table's."""
    for u in units:
        seq = [i for _k, i, kind in u.mentions if kind == "column"]
        for a, b in zip(seq, seq[1:]):
            wraps = table.cyclic and a == len(table.columns) - 1 and b == 0
            if b < a and not wraps:
                return f"{{at:{u.at}}}的栏目顺序与正式表格不同"
    return None


# ------------------------------------------------------------ 表四: a heading block, then figures


def _by_headings(units: list[Unit], table: Table, out: Outcome) -> bool:
    """表四 printed as headings naming the groups, then the figures: True when it was that
    layout (its figures placed in the headings' order, or the table left unread)."""
    first = next(n for n, u in enumerate(units) if u.figs)
    head = units[:first]
    named = {i for u in head for _k, i, kind in u.mentions if kind == "group"}
    family = any(
        kind == "family" and not any(k2 == k and kind2 == "group" for k2, _i, kind2 in u.mentions)
        for u in head
        for k, _i, kind in u.mentions
    )  # 行政诉讼 over both its groups, not 行政诉讼（复议后起诉） naming one
    if named != set(range(len(table.rows))):
        if len(named) + family < 2:
            return False  # not a heading block: each group's label comes with its figures
        lacking = "、".join(f"“{table.rows[i].name}”" for i in range(len(table.rows)) if i not in named)
        out.whole = f"栏目标题不全（没有{lacking}），无法确定各数字属于哪一栏"
        return True
    rest = units[first:]
    if any(u.kind in ("T", "L") for u in rest):
        return False
    figs = [f for u in rest for f in u.figs]
    order = _heading_order(head, table)
    span = (units[first].at, rest[-1].last)
    if order is None:
        out.whole = "栏目标题的先后顺序前后不一，无法确定各数字属于哪一栏"
        return True
    total = sum(r.width for r in table.rows)
    if len(figs) != total:
        out.whole = f"应有 {total} 个数字，{{span:{span[0]}:{span[1]}}}读到 {len(figs)} 个"
        return True
    for i in order:
        row = table.rows[i]
        for key, fig in zip(row.cells, figs[: row.width]):
            out.figures[key] = fig
        figs = figs[row.width :]
    return True


def _heading_order(head: list[Unit], table: Table) -> list[int] | None:
    """The groups' order from the headings: on one line by position; across lines only
    between the first headings of one level (行政复议 / 行政诉讼; 未经复议直接起诉 / 复议后起诉;
    a heading split over two rows is named again on the second). None when two pieces of
    evidence disagree or the order is not complete."""
    review = next(i for i, r in enumerate(table.rows) if r.name == "行政复议")
    subs = [i for i in range(len(table.rows)) if i != review]
    before: set[tuple[str, str]] = set()

    def level(kind: str, i: int) -> str:
        if kind == "family" or (kind == "group" and i != review):
            return "litigation" if kind == "family" else f"sub{i}"
        return "review"

    marks: list[tuple[int, int, str]] = []  # (unit index, token index, name)
    for n, u in enumerate(head):
        for k, i, kind in u.mentions:
            if kind == "family":
                marks.append((n, k, "litigation"))
            elif kind == "group":
                marks.append((n, k, "review" if i == review else f"sub{i}"))
    first: dict[str, tuple[int, int, str]] = {}
    for mark in marks:
        first.setdefault(mark[2], mark)
    for a in marks:
        for b in marks:
            if a is b or a[2] == b[2]:
                continue
            same_line = a[0] == b[0]
            pair = {a[2], b[2]}
            top = pair <= {"review", "litigation"} or pair == {f"sub{s}" for s in subs}
            if not same_line and not (top and first[a[2]] is a and first[b[2]] is b):
                continue
            if (a[0], a[1]) < (b[0], b[1]):
                for x in _expand(a[2], subs):
                    for y in _expand(b[2], subs):
                        if x != y:
                            before.add((x, y))
    names = ["review", *(f"sub{s}" for s in subs)]
    for x in names:
        for y in names:
            if (x, y) in before and (y, x) in before:
                return None
    if not all((x, y) in before or (y, x) in before for x in names for y in names if x < y):
        return None
    ranked = sorted(names, key=lambda x: sum((y, x) in before for y in names))
    return [review if x == "review" else int(x[3:]) for x in ranked]


def _expand(name: str, subs: list[int]) -> list[str]:
    return [f"sub{s}" for s in subs] if name == "litigation" else [name]


# ------------------------------------------------------------ rows by their labels


@dataclass
class _Claim:
    row: int
    figs: list[Fig]
    pos: int
    line: int


def _by_labels(units: list[Unit], table: Table, out: Outcome) -> None:
    seq = [u for u in units if u.kind in ("T", "L", "F", "X")]
    claims: list[_Claim] = []
    doubts: dict[int, str] = {}
    seen: dict[int, int] = {}  # row -> first position its label was found
    for n, u in enumerate(seq):
        if u.row is not None:
            seen.setdefault(u.row, n)
        if u.kind == "T" and u.row is not None:
            claims.append(_Claim(u.row, u.figs, n, u.at))
    paired, loose = _pairs(seq, table, doubts)
    claims += paired
    tied: dict[int, _Claim] = {}
    for c in claims:
        row = table.rows[c.row]
        if c.row in doubts:
            continue
        if len(c.figs) != row.width:
            doubts[c.row] = f"{{at:{c.line}}}读到 {len(c.figs)} 个数字，应有 {row.width} 个"
            continue
        if c.row in tied and [f.token for f in tied[c.row].figs] != [f.token for f in c.figs]:
            doubts[c.row] = f"标签出现两次且数字不同（{{at:{tied[c.row].line}}}、{{at:{c.line}}}）"
            continue
        tied.setdefault(c.row, c)
    for r in doubts:
        tied.pop(r, None)
    unplaced = _by_order(seq, loose, tied, seen, doubts, table, out)
    left = _one_row_groups([seq[n] for n in unplaced], tied, seen, doubts, table, out)
    out.skipped += [Skipped(f.at, f.raw or "（空白）", "unplaced") for u in left for f in u.figs]
    for r, c in tied.items():
        for key, fig in zip(table.rows[r].cells, c.figs):
            out.figures[key] = fig
    for r, row in enumerate(table.rows):
        missing = tuple(k for k in row.cells if k not in out.figures and k not in out.deduced)
        if missing:
            out.unread.append((row, doubts.get(r) or _missing_reason(r, seen), missing))
    if not out.figures and not out.deduced:
        reasons = {why for _r, why, _k in out.unread}
        out.whole = reasons.pop() if len(reasons) == 1 else None


def _missing_reason(r: int, seen: dict[int, int]) -> str:
    if r in seen:
        return "找到了标签，但旁边没有能确定属于它的数字"
    return "没有找到标签，也不能按位置确定数字"


def _pairs(seq: list[Unit], table: Table, doubts: dict[int, str]) -> tuple[list[_Claim], list[int]]:
    """Labels alone on their line tied to the figures next to them, in the direction the table
    reads (see :func:`_direction`); when the direction is not certain, only where both
    directions give the label the same figures (a label broken around its figures). Figures
    left over are returned as `loose` (their positions in `seq`)."""
    before = [(n, n + 1) for n in range(len(seq) - 1) if seq[n].kind == "L" and seq[n + 1].kind == "F"]
    after = [(n + 1, n) for n in range(len(seq) - 1) if seq[n].kind == "F" and seq[n + 1].kind == "L"]
    same = {(seq[lab].row, f) for lab, f in before} & {(seq[lab].row, f) for lab, f in after}
    direction = _direction(seq, table)
    if direction == "before":
        chosen = before
    elif direction == "after":
        chosen = after
    else:
        chosen = [(lab, f) for lab, f in before if (seq[lab].row, f) in same]
        for lab, f in before + after:
            if (seq[lab].row, f) not in same:
                row = seq[lab].row
                assert row is not None
                doubts.setdefault(row, f"标签单独成行（{{at:{seq[lab].at}}}），数字在它之前还是之后无法确定")
    used = {f for _lab, f in chosen}
    claims = []
    taken: set[int] = set()
    for lab, f in chosen:
        row = seq[lab].row
        assert row is not None
        if f in taken:
            continue
        taken.add(f)
        claims.append(_Claim(row, seq[f].figs, f, seq[f].at))
    loose = [n for n, u in enumerate(seq) if u.kind == "F" and n not in used]
    return claims, loose


def _lone(u: Unit, table: Table) -> bool:
    """A single number no row of the table can take (a page number between 表三's rows)."""
    return len(u.figs) == 1 and 1 not in table.widths


def _direction(seq: list[Unit], table: Table) -> str | None:
    """Whether the labels printed alone on their lines come before their figures or after,
    from the table's two ends: labels before when the first of them comes before any figures
    (or words we cannot read do, right before the first figures: a mistyped label) and the
    table ends with figures; after when it starts with figures and ends with a label. None
    when the ends say neither (a lone number no row can take, a page number, does not count)."""
    parts = [
        n
        for n, u in enumerate(seq)
        if u.kind == "L" or (u.kind == "F" and not _lone(u, table)) or (u.kind == "X" and not u.figs)
    ]
    kinds = [seq[n].kind for n in parts]
    core = [k for k in kinds if k != "X"]
    if not core or "L" not in core:
        return None
    starts_x = kinds[0] == "X" and len(kinds) > 1 and kinds[1] == "F"
    ends_x = kinds[-1] == "X" and len(kinds) > 1 and kinds[-2] == "F"
    if (core[0] == "L" or starts_x) and core[-1] == "F":
        return "before"
    if core[0] == "F" and (core[-1] == "L" or ends_x):
        return "after"
    return None


def _compatible(other: list[str], row: Row) -> bool:
    """Whether the words printed with unlabeled figures could be `row`'s label (a typo of it):
    most of their characters are in the label, and an ordinal they start with is the row's."""
    for word in other:
        m = re.match(r"^(?:\(?(\d{1,2}|[一二三四五六七八九十]+)[).])", word)
        if m and row.ordinal is not None and m.group(1) != row.ordinal:
            return False
        chars = [ch for ch in word[m.end() if m else 0 :] if ch.isalnum()]
        if not chars or sum(ch in row.full for ch in chars) / len(chars) < 0.6:
            return False
    return True


def _by_order(
    seq: list[Unit],
    loose: list[int],
    tied: dict[int, _Claim],
    seen: dict[int, int],
    doubts: dict[int, str],
    table: Table,
    out: Outcome,
) -> list[int]:
    """Unlabeled figures placed by reading order, only where that leaves one place for them;
    the figures left (their positions in `seq`) are returned."""
    widths = table.widths
    candidates = []
    for n in loose:
        u = seq[n]
        if len(u.figs) not in widths:
            rule = "lone" if len(u.figs) == 1 and not u.other else "unplaced"
            out.skipped += [Skipped(f.at, f.raw or "（空白）", rule) for f in u.figs]
            continue
        candidates.append(n)
    for u in seq:
        if u.kind == "X" and u.figs:
            out.skipped += [Skipped(f.at, f.raw or "（空白）", "unplaced") for f in u.figs]
    labelled = sorted((u_pos, r) for r, u_pos in seen.items())
    in_order = all(a[1] < b[1] for a, b in zip(labelled, labelled[1:]))
    anchors = sorted((c.pos, r) for r, c in tied.items())
    placed: set[int] = set()
    if in_order and all(a[1] < b[1] for a, b in zip(anchors, anchors[1:])):
        for (pa, ra), (pb, rb) in zip(anchors, anchors[1:]):
            mine = [n for n in candidates if pa < n < pb]
            places = [r for r in range(ra + 1, rb) if r not in tied]
            if not mine or len(mine) != len(places) or any(r in seen or r in doubts for r in places):
                continue
            rows = [table.rows[r] for r in places]
            if all(len(seq[n].figs) == row.width and _compatible(seq[n].other, row) for n, row in zip(mine, rows)):
                for n, r in zip(mine, places):
                    tied[r] = _Claim(r, seq[n].figs, n, seq[n].at)
                    placed.add(n)
    if not in_order:
        for r in range(len(table.rows)):
            if r not in tied and r not in doubts:
                doubts[r] = (
                    "表中各行的顺序与正式表格不同，没有标签的数字不按位置填入"
                    if r not in seen
                    else "找到了标签，但旁边没有能确定属于它的数字"
                )
    return [n for n in candidates if n not in placed]


def _one_row_groups(
    units: list[Unit],
    tied: dict[int, _Claim],
    seen: dict[int, int],
    doubts: dict[int, str],
    table: Table,
    out: Outcome,
) -> list[Unit]:
    """（六）其他处理 printed as one row (its label with figures, none of its sub-rows' labels
    in the table): its sub-rows stay unread, except a column whose figure is 0 (each sub-row
    is 0 there, figures being never negative). The units that are no such row are returned."""
    left = []
    for u in units:
        group = table.groups[u.group] if u.group is not None else None
        subs = [r for r, row in enumerate(table.rows) if group is not None and row.cells[0] in group.cells]
        if (
            group is None
            or len(subs) != 3
            or any(r in seen or r in tied for r in subs)
            or len(u.figs) != table.rows[subs[0]].width
        ):
            left.append(u)
            continue
        shown = "、".join(f.raw or "空白" for f in u.figs)
        for c, fig in enumerate(u.figs):
            if fig.form == "number" and fig.token == "0":
                for r in subs:
                    out.deduced[table.rows[r].cells[c]] = Fig("0", fig.at, "deduced", "", fig.cell)
        out.deduced_from = u.at
        for r in subs:
            doubts[r] = f"“{group.name}”只有一行合计（{{at:{u.at}}}：{shown}），无法分到三个子项"
            tied.pop(r, None)
    return left
