"""The 校验结果 sheet's layout, described once.

The template builder (headers, widths, hidden key column), the openpyxl writer (``--annotate``,
``fill``), the xlwings writer (the 校验 button) and the reader of staff's 情况说明 all take
column positions from here, so the ten columns cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResultColumn:
    name: str
    header: str
    width: float


COLUMNS = (
    ResultColumn("number", "序号", 6),
    ResultColumn("rule", "规则", 16),
    ResultColumn("severity", "级别", 6),
    ResultColumn("scope", "范围", 8),
    ResultColumn("where", "位置", 22),
    ResultColumn("message", "问题", 50),
    ResultColumn("expected", "应为", 10),
    ResultColumn("actual", "现为", 10),
    ResultColumn("explanation", "情况说明（可对“提示”填写解释）", 40),
    ResultColumn("keys", "键", 30),
)
WIDTH = len(COLUMNS)
SUMMARY_CELL = "A2"
"""The one-line summary above the header."""
_INDEX = {c.name: i for i, c in enumerate(COLUMNS)}
HIDDEN = ("keys",)
"""Columns the template hides: the cell keys that tie a row (and its 情况说明) to its finding."""
EDITABLE = ("explanation",)
"""Columns staff type into (unlocked on the protected sheet)."""


def column(name: str) -> int:
    """1-based column number (openpyxl, xlwings)."""
    return _INDEX[name] + 1


def index(name: str) -> int:
    """0-based position in a row of values."""
    return _INDEX[name]


def row(**values: object) -> list[object]:
    """A row of values by column name; columns not named are empty."""
    unknown = set(values) - set(_INDEX)
    if unknown:
        raise KeyError(", ".join(sorted(unknown)))
    return [values.get(c.name, "") for c in COLUMNS]
