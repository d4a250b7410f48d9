"""The official tables' rows as the importer looks for them: each row's label, the texts that
name it, its cells, and the texts of a table that name no row (captions, headings, groups).

Derived from the format data (``gb_2021_30``), never typed again. A row is named by a *core*
(its label without the ordinal, or for the long 表三 labels a prefix no other label has); the
two generic labels (“（七）总计”, “3.其他”) only with their ordinal. A piece of a label broken
over lines (“形，不计其他情形）”) names its row when no other label, caption or heading holds
that piece (:func:`fragment_rows`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from validator.formats import gb_2021_30 as gb
from validator.formats import get_format

QUOTES = "“”\"'‘’「」『』"
ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+\.|\([一二三四五六七八九十]+\)|\d{1,2}\.)")
GENERIC = frozenset({"总计", "其他"})
"""Cores that are also column headings: a row is named by them only with its ordinal."""
MIN_FRAGMENT = 4
CONTINUED = re.compile(r":?-{3,}:?|\(?(?:附?表[一二三四1-4]?)?\(?续表?\)?(?:表[一二三四1-4])?\)?")
"""A table continued on the next page (续表, 表三（续）) or Markdown's ``|---|`` row."""
MIN_PREFIX = 6


def norm(text: str) -> str:
    """Text as labels are compared: NFKC (full-width forms folded), no whitespace, Markdown
    emphasis or quotes, ordinal punctuation ``、．`` as ``.``."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\s*#`>_]+", "", text)
    text = text.replace("、", ".").replace("。", ".")
    return "".join(ch for ch in text if ch not in QUOTES)


@dataclass(frozen=True)
class Row:
    """One official row: its cells in column order and what names it."""

    name: str
    """The label as the official table prints it, for messages."""
    cells: tuple[str, ...]
    cores: tuple[re.Pattern[str], ...]
    full: str
    """The whole label, normalized: pieces of it name the row."""
    ordinal: str | None = None
    money: frozenset[str] = frozenset()
    group: bool = False
    """A 表三 group heading (（六）其他处理…), a row only when printed as one row."""

    @property
    def width(self) -> int:
        return len(self.cells)


@dataclass(frozen=True)
class Table:
    name: str
    rows: tuple[Row, ...]
    groups: tuple[Row, ...]
    """表三's group headings with sub-rows (see :attr:`Row.group`), each with its sub-rows' cells."""
    neutral: tuple[str, ...]
    """Normalized texts of the table that name no row: captions, headings, group labels."""
    columns: tuple[str, ...]
    """Column headings in official order (normalized): a line naming two of them in another
    order says the columns were moved."""
    cyclic: bool = False
    """表四: the five column headings repeat for each group."""
    family: str | None = None
    """表四: “行政诉讼”, the heading over two groups."""

    @property
    def widths(self) -> frozenset[int]:
        return frozenset(r.width for r in self.rows)


def _strip_ordinal(label: str) -> tuple[str, str | None]:
    text = norm(label)
    m = ORDINAL.match(text)
    if not m:
        return text, None
    return text[m.end() :], m.group(0).strip("().")


def _core_pattern(core: str, ordinal: str | None) -> re.Pattern[str]:
    if core in GENERIC and ordinal:
        if ordinal.isdigit():
            return re.compile(rf"(?:\({ordinal}\)|(?<![\d.]){ordinal}\.?){re.escape(core)}(?!法律)")
        return re.compile(rf"(?:\({ordinal}\)|{ordinal}\.){re.escape(core)}")
    return re.compile(re.escape(core))


def _prefix(core: str, others: list[str]) -> str | None:
    """The shortest prefix (at least :data:`MIN_PREFIX` characters) of a long core that no
    other text holds; None for a core short enough to be matched whole."""
    if len(core) <= 10:
        return None
    for n in range(MIN_PREFIX, len(core)):
        if not any(core[:n] in other for other in others):
            return core[:n]
    return None


Spec = tuple[str, tuple[str, ...], tuple[str, ...], frozenset[str]]
"""A row to make: its label, other names, cells and money cells."""


def _rows(specs: list[Spec], neutral: list[str]) -> list[Row]:
    """Rows from (label, extra names, cells, money cells), each core made distinctive."""
    stripped = [_strip_ordinal(label) for label, *_ in specs]
    fulls = [norm(label) for label, *_ in specs]
    rows = []
    for i, ((label, extra, cells, money), (core, ordinal)) in enumerate(zip(specs, stripped)):
        others = [f for j, f in enumerate(fulls) if j != i] + neutral
        cores = [core, *extra]
        head = core.split("(")[0]
        if head != core and len(head) >= MIN_FRAGMENT and not any(head in other for other in others):
            cores.append(head)  # “（二）部分公开” printed without its parenthesis
        prefix = _prefix(core, others)
        if prefix:
            cores.append(prefix)
        patterns = tuple(_core_pattern(c, ordinal) for c in dict.fromkeys(cores))
        rows.append(Row(label, cells, patterns, fulls[i], ordinal, money))
    return rows


@cache
def tables() -> tuple[Table, Table, Table]:
    """表二, 表三 and 表四 as the importer reads them."""
    fmt = get_format(gb.FORMAT_ID)
    money = frozenset(c.key for c in fmt.cells if c.kind == "money")
    titles = {s.name: s.title for s in fmt.sheets}

    t2_neutral = [norm(t) for t in (titles[gb.T2], "表二", "信息内容", "续表", "(续)")]
    t2_specs: list[Spec] = []
    t2_columns: tuple[str, ...] = ()
    for caption, headers, block, leaf_keys, _kind in gb.T2_BLOCKS:
        t2_neutral += [norm(caption), *(norm(h) for h in headers)]
        if len(headers) > 1:
            t2_columns = tuple(norm(h) for h in headers)
        for label, base in block:
            cells = tuple(f"{base}.{leaf}" for leaf in leaf_keys)
            extra: tuple[str, ...] = ("规范性文件",) if label == "行政规范性文件" else ()
            t2_specs.append((label, extra, cells, frozenset(c for c in cells if c in money)))
    t2 = Table("表二", tuple(_rows(t2_specs, t2_neutral)), (), tuple(t2_neutral), t2_columns)

    groups: dict[str, list[str]] = {}
    t3_neutral = [norm(t) for t in (titles[gb.T3], "表三", gb.T3_NOTE, "申请人情况", "法人或其他组织", "续表", "(续)")]
    t3_neutral += [norm(name) for _k, name in gb.T3_COLUMNS]
    t3_specs: list[Spec] = []
    for key, level1, group, sub, _short in gb.T3_ROWS:
        cells = tuple(gb.t3_key(key, col) for col, _ in gb.T3_COLUMNS)
        if group:
            t3_neutral.append(norm(level1))
        if sub:
            groups.setdefault(group or "", []).extend(cells)
        t3_specs.append((sub or group or level1, (), cells, frozenset()))
    t3_neutral += [norm(g) for g in groups]
    group_rows = tuple(
        Row(g, tuple(cells), (re.compile(re.escape(_strip_ordinal(g)[0])),), norm(g), _strip_ordinal(g)[1], group=True)
        for g, cells in groups.items()
    )
    t3_rows = tuple(_rows(t3_specs, t3_neutral))
    t3 = Table("表三", t3_rows, group_rows, tuple(t3_neutral), tuple(norm(n) for _k, n in gb.T3_COLUMNS))

    leaves = tuple(norm(name) for _k, name in gb.T4_LEAVES)
    family = next(top for _g, top, sub in gb.T4_GROUPS if sub)
    t4_neutral = [norm(t) for t in (titles[gb.T4], "表四", "续表", "(续)", family, *leaves)]
    t4_specs: list[Spec] = []
    for g, top, sub in gb.T4_GROUPS:
        cells = tuple(gb.t4_key(g, leaf) for leaf, _ in gb.T4_LEAVES)
        names: dict[str, tuple[str, ...]] = {"未经复议直接起诉": ("直接起诉", "未经复议"), "复议后起诉": ("复议后",)}
        extra = names.get(sub or "", ())
        t4_specs.append((sub or top, extra, cells, frozenset()))
    t4 = Table("表四", tuple(_rows(t4_specs, t4_neutral)), (), tuple(t4_neutral), leaves, True, norm(family))
    return t2, t3, t4


def fragment_rows(segment: str, table: Table) -> set[int] | None:
    """Which rows a piece of label names: a row's own ordinal alone (“（七）”), the rows whose
    whole label holds it, or else the one
    row whose label alone holds at least two of its four-character pieces (a label wrapped in
    a narrow cell and glued to its group's: “（三）不予公1.属于国家秘”); None when it is no
    piece of any row's label (it may be a caption, a heading or other text)."""
    if re.fullmatch(r"\([一二三四五六七八九十]+\)", segment):  # “（七）” with 总计 wrapped to the next line
        found = {i for i, row in enumerate(table.rows) if row.full.startswith(segment)}
        return found if len(found) == 1 else None
    if len(segment) < MIN_FRAGMENT:
        return None
    found = {i for i, row in enumerate(table.rows) if segment in row.full}
    if found:
        return found
    grams = _grams(table)
    hits = [grams.get(segment[i : i + MIN_FRAGMENT]) for i in range(len(segment) - MIN_FRAGMENT + 1)]
    rows = [next(iter(h)) for h in hits if h is not None and len(h) == 1]
    if len(set(rows)) == 1 and len(rows) >= 2:
        return set(rows)
    return {i for h in hits if h for i in h} or None


_GRAMS: dict[str, dict[str, frozenset[int]]] = {}


def _grams(table: Table) -> dict[str, frozenset[int]]:
    """Each four-character piece of the rows' labels → the rows holding it (pieces that a
    caption, heading or group label also holds name no row: empty). Made once per table."""
    if table.name in _GRAMS:
        return _GRAMS[table.name]
    found: dict[str, set[int]] = {}
    for i, row in enumerate(table.rows):
        for k in range(len(row.full) - MIN_FRAGMENT + 1):
            found.setdefault(row.full[k : k + MIN_FRAGMENT], set()).add(i)
    neutral = [*table.neutral, *(g.full for g in table.groups)]
    grams = {g: frozenset() if any(g in text for text in neutral) else frozenset(rows) for g, rows in found.items()}
    return _GRAMS.setdefault(table.name, grams)


def is_neutral(segment: str, table: Table) -> bool:
    """Text of the table that names no row: part of a caption, heading or group label,
    punctuation, or a mark of Markdown's table syntax."""
    if not segment or re.fullmatch(r"[\W_]+", segment) or CONTINUED.fullmatch(segment):
        return True
    if any(segment in text for text in table.neutral):
        return True
    return any(segment in g.full for g in table.groups)
