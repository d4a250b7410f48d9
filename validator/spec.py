"""The vocabulary a report format is described in.

A format (国办公开办函〔2021〕30号, the 2019 试行 layout, …) is pure data built from these records:
which sheets the workbook has, which cells hold which figure (by a stable key), which
labels stand where, which live-check formulas sit beside the totals, and which rules
apply. The template builder, the reader, the JSON model, the rule engine and the docs all
read the same records, so a new format version is a new data module, not new code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

CellKind = Literal["count", "signed", "money", "text", "longtext", "year", "date", "choice"]
"""``signed``: a whole number that may be negative (the 2019 format's 本年增/减)."""
FIGURE_KINDS = ("count", "signed", "money")
Severity = Literal["error", "warning"]
Scope = Literal["表内", "表间", "历年", "文本", "基本信息"]

SEVERITY_ZH: dict[str, str] = {"error": "错误", "warning": "提示"}
SEVERITY_FROM_ZH: dict[str, str] = {v: k for k, v in SEVERITY_ZH.items()}

_REF = re.compile(r"^([A-Z]{1,3})([1-9][0-9]*)$")


def split_ref(ref: str) -> tuple[int, int]:
    """'J28' -> (row 27, col 9), zero-based, as XlsxWriter wants them."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(f"not an A1 cell reference: {ref!r}")
    letters, digits = m.groups()
    return int(digits) - 1, column_number(letters) - 1


def column_number(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27 (upper-case letters)."""
    col = 0
    for ch in letters:
        col = col * 26 + (ord(ch) - 64)
    return col


def col_letter(col: int) -> str:
    """Zero-based column index -> letters (0 -> 'A')."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass(frozen=True)
class CellSpec:
    """One input cell of the workbook and one field of the JSON.

    `key` is the dotted JSON path (``applications.new.natural_person``); it names the cell
    in findings, defined names, profiles and explanations alike.
    """

    key: str
    sheet: str
    ref: str
    kind: CellKind
    label: str
    """What staff call the cell, e.g. 表三 “一、本年新收…” 行 “自然人” 列."""
    merge_to: str | None = None
    """Bottom-right corner when the input spans merged cells (表二 single-value rows)."""
    required: bool = True
    choices: tuple[str, ...] = ()

    @property
    def a1(self) -> str:
        return f"{self.sheet}!{self.ref}"

    @property
    def defined_name(self) -> str:
        return self.key.replace(".", "_")


@dataclass(frozen=True)
class Label:
    """Fixed text of the official layout; the reader checks these to recognise the template."""

    sheet: str
    ref: str
    text: str
    merge_to: str | None = None
    style: Literal["title", "header", "label", "note", "subtitle"] = "label"
    checked: bool = True
    """False for help text that may be reworded between template releases."""


@dataclass(frozen=True)
class LiveCheck:
    """A formula beside a total that recomputes it in Excel/WPS/LibreOffice without Python.

    `formula` shows a short Chinese verdict; `bad_when` is the conditional-format formula
    (relative to `target`) that turns the target red when the total is wrong.
    """

    sheet: str
    ref: str
    formula: str
    target: str
    bad_when: str
    severity: Severity = "error"
    initial: object = "正确"
    """The formula's result on the empty template (cached so viewers without recalculation agree)."""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    title: str
    column_widths: tuple[tuple[str, float], ...] = ()
    row_heights: tuple[tuple[int, float], ...] = ()
    landscape: bool = True
    hidden: bool = False
    protected: bool = True
    freeze: tuple[int, int] | None = None
    """Rows and columns kept in view while scrolling (the table headers)."""


@dataclass(frozen=True)
class Rule:
    """A consistency rule as data.

    `check` names a function in :mod:`validator.checks`; `params` are its arguments (cell
    keys, groups). `message` is a ``str.format`` template in Chinese; the check supplies
    ``{label}``, ``{expected}``, ``{actual}`` and any other fields it documents.
    """

    id: str
    severity: Severity
    scope: Scope
    title: str
    message: str
    check: str
    params: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Matrix:
    """Figures keyed ``<prefix>.<row>.<column>`` (表三): documented as rows × columns."""

    title: str
    prefix: str
    rows: tuple[tuple[str, str], ...]
    """(row key, short label)."""
    columns: tuple[tuple[str, str], ...]
    """(column key, label)."""


@dataclass(frozen=True, eq=False)
class FormatSpec:
    """One report format. Compared and hashed by identity: formats are built once per process
    (see :func:`validator.formats.get_format`), and caches keyed on them must stay cheap."""

    id: str
    name: str
    template_version: int
    marker_cell: tuple[str, str]
    """(sheet, ref) holding ``id`` in every template of this format."""
    version_cell: tuple[str, str]
    status_cell: tuple[str, str]
    """Where 校验 writes its one-line verdict (passed / N errors, M warnings)."""
    status_merge_to: str | None
    """Bottom-right corner of the merged status cell (None: not merged)."""
    sheets: tuple[SheetSpec, ...]
    cells: tuple[CellSpec, ...]
    labels: tuple[Label, ...]
    live_checks: tuple[LiveCheck, ...]
    rules: tuple[Rule, ...]
    results_sheet: str
    results_header_row: int
    """1-based row of the 校验结果 header; findings start on the next row."""
    baseline_keys: tuple[str, ...]
    """Last year's figures the cross-year rules need (carried into next year's workbook)."""
    baseline_cells: tuple[CellSpec, ...]
    carry_over: tuple[tuple[str, str], ...]
    """(this year's key, last year's key) pairs that must agree, e.g. 上年结转 ← 结转下年度."""
    first_year: int = 2021
    """First report year the format applies to (template validation, META-YEAR)."""
    template: bool = True
    """False for a read-only format: reports in it are checked and imported, no template is offered."""
    matrices: tuple[Matrix, ...] = ()
    """Cells laid out as rows × columns under one key prefix, documented as a table (docs.py)."""
    notes: str = ""
    """What the format module is unsure of (shown in docs/formats)."""

    def cell(self, key: str) -> CellSpec:
        return self._by_key[key]

    @property
    def _by_key(self) -> dict[str, CellSpec]:
        cache = self.__dict__.get("_key_cache")
        if cache is None:
            cache = {c.key: c for c in (*self.cells, *self.baseline_cells)}
            object.__setattr__(self, "_key_cache", cache)
        return cache

    def figure_cells(self) -> tuple[CellSpec, ...]:
        return tuple(c for c in self.cells if c.kind in FIGURE_KINDS)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)
