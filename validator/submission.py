"""A report as it arrives, before any judgement: raw cell content by key.

Both sources produce one: the workbook reader (values exactly as the cells hold them) and
the JSON loader (already typed). The rule engine reads only this, so the Excel button, the
command line and the receiving office check with the same code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache

from validator.spec import FormatSpec

EXCEL_CELL_LIMIT = 32767
"""Characters one cell holds, counted in UTF-16 units as Excel counts them (an emoji is two).
Every text the tool may write into a cell is held to it, whichever way it arrived, so
``check``, ``export`` and ``fill`` agree; nothing is ever truncated."""
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters no worksheet (XML 1.0) can hold."""


def excel_length(text: str) -> int:
    """Length as Excel counts it: UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def quoted(text: str, limit: int = 40) -> str:
    """Text for a message with invisible characters escaped (\\u0001), shortened."""
    shown = json.dumps(text[:limit], ensure_ascii=False)[1:-1]
    return shown + ("…" if len(text) > limit else "")


def text_problem(text: str) -> str | None:
    """Why `text` cannot go into a worksheet cell, or None: the one test for JSON and workbooks."""
    units = len(text) if len(text) * 2 <= EXCEL_CELL_LIMIT else excel_length(text)
    if units > EXCEL_CELL_LIMIT:
        return f"共 {units} 字（按 Excel 计数），超过单元格上限 {EXCEL_CELL_LIMIT} 字"
    bad = CONTROL.search(text)
    if bad:
        return f"文字中含有不可见的控制字符（第 {bad.start() + 1} 个字符，{quoted(bad.group())}）"
    return None


@cache
def _known(fmt: FormatSpec) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(r.id for r in fmt.rules), frozenset(c.key for c in (*fmt.cells, *fmt.baseline_cells))


def unknown_rule(fmt: FormatSpec, rule: str) -> str | None:
    if rule not in _known(fmt)[0]:
        return f"本格式没有编号为“{quoted(rule)}”的规则"
    return None


def unknown_key(fmt: FormatSpec, key: str) -> str | None:
    if key not in _known(fmt)[1]:
        return f"本格式没有单元格键“{quoted(key)}”（键见 xxgk rules --markdown --keys）"
    return None


def explanation_problem(fmt: FormatSpec, rule: str, keys: tuple[str, ...], text: str) -> str | None:
    """Why an explanation cannot be kept (unknown rule or cell key, text no cell can hold), or None.

    The JSON model and the workbook path (engine) both ask this, so neither ``check`` nor
    ``fill`` accepts what the other refuses."""
    problem = unknown_rule(fmt, rule)
    for key in keys:
        problem = problem or unknown_key(fmt, key)
    return problem or text_problem(text)


@dataclass(frozen=True)
class Explanation:
    """Staff's note on a 提示: which rule, which cells, and why the figure stands."""

    rule: str
    keys: tuple[str, ...]
    text: str


@dataclass
class Submission:
    format: FormatSpec
    values: dict[str, object]
    """Raw content per cell key, including ``last_year.*`` baseline cells."""
    source: str = ""
    explanations: list[Explanation] = field(default_factory=list)
    origin: str = "workbook"
    """``workbook`` or ``json``: where the values were read from."""
    aggregate_of: tuple[str, ...] = ()
    """The bodies whose reports this one sums, when ``xxgk collect --aggregate`` made it (the
    mark travels with the report: its JSON's ``aggregate``, its workbook's hidden 汇总来源
    sheet), so a later collect of an inbox holding those bodies never sums it again."""

    def raw(self, key: str) -> object:
        return self.values.get(key)

    def has_baseline(self) -> bool:
        return any(self.values.get(c.key) not in (None, "") for c in self.format.baseline_cells)
