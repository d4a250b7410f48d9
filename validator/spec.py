"""The vocabulary a report format is described in.

A format (国办公开办函〔2021〕30号, the 2019 试行 layout, …) is pure data built from these records:
which sheets the workbook has, which cells hold which figure (by a stable key), which
labels stand where, which rules apply and which arithmetic relations they state. The
template builder (with its live-check formulas), the reader, the JSON model, the rule
engine, the error localiser and the docs all read the same records, so a new format version
is a new data module, not new code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal

CellKind = Literal["count", "signed", "money", "text", "longtext", "year", "date", "choice"]
"""``signed``: a whole number that may be negative (the 2019 format's 本年增/减)."""
FIGURE_KINDS = ("count", "signed", "money")
Severity = Literal["error", "warning"]
Scope = Literal["表内", "表间", "历年", "文本", "基本信息"]

SEVERITY_ZH: dict[str, str] = {"error": "错误", "warning": "提示"}
SEVERITY_FROM_ZH: dict[str, str] = {v: k for k, v in SEVERITY_ZH.items()}

_REF = re.compile(r"^([A-Z]{1,3})([1-9][0-9]*)$")


@lru_cache(maxsize=4096)
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


Op = Literal["==", "<=", ">="]


@dataclass(frozen=True)
class Relation:
    """One arithmetic relation between figure cells: ``Σ left  op  Σ right``.

    Written once, it gives the ``linear`` check, the error localiser's equations and
    constraints, the template's live formula (when ``live``) and the test strategy of valid
    reports. A key written ``-key`` is subtracted (本年制发 − 本年废止). Findings show Σ left as
    the figure expected and Σ right as the figure found, so the side a clerk fills in by hand
    (a 总计) goes on the right.
    """

    left: tuple[str, ...]
    op: Op
    right: tuple[str, ...]
    what: str
    """The group in words (a row, a column), for messages: ``{what}``."""
    blame: tuple[str, ...] = ()
    """The cells a finding names, the first giving ``{label}``; default: the right side's."""
    live: str | None = None
    """The cell, on the sheet of the relation's cells, that shows the relation in the template."""
    names: tuple[str, str] = ("", "")
    """What the live formula calls the two sides (``各列之和``, ``总计``)."""

    @property
    def terms(self) -> tuple[tuple[str, int], ...]:
        """(key, coefficient) of ``Σ left − Σ right``, in written order."""
        return tuple(
            (k.removeprefix("-"), (-1 if k.startswith("-") else 1) * side)
            for keys, side in ((self.left, 1), (self.right, -1))
            for k in keys
        )

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k for k, _c in self.terms))

    @cached_property
    def sides(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(added, subtracted) keys of the left side, then of the right: how a check sums them."""

        def split(keys: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
            return tuple(k for k in keys if not k.startswith("-")), tuple(k[1:] for k in keys if k.startswith("-"))

        return (*split(self.left), *split(self.right))

    @property
    def named(self) -> tuple[str, ...]:
        return self.blame or tuple(k.removeprefix("-") for k in self.right)

    @property
    def total(self) -> str | None:
        """The one cell an equality adds several others into (a 总计), if it is one."""
        if self.op == "==" and len(self.right) == 1 and len(self.left) > 1 and not self.right[0].startswith("-"):
            return self.right[0]
        return None

    def holds(self, left: object, right: object) -> bool:
        if self.op == "==":
            return left == right
        return left <= right if self.op == "<=" else left >= right  # type: ignore[operator]


@dataclass(frozen=True)
class Example:
    """A case for a rule's documentation and test: the format's :attr:`FormatSpec.example`
    report with `changes` applied (figure cells not named are 0), and whether the rule fires."""

    changes: dict = field(hash=False, compare=False)
    fires: bool = True
    last_year: dict | None = field(default=None, hash=False, compare=False)
    """Changes to the example report given as last year's (``--last-year``; its year is one less)."""
    workbook: bool = False
    """Read from a workbook, for rules about what only a spreadsheet can hold or print (numbers
    typed as text, a part too long for its printed cell)."""


def fires(changes: dict, **kw: object) -> Example:
    return Example(changes, True, **kw)  # type: ignore[arg-type]


def passes(changes: dict, **kw: object) -> Example:
    return Example(changes, False, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rule:
    """A consistency rule as data.

    `check` names a function in :mod:`validator.checks`; `params` are its arguments (cell
    keys, groups). `message` is a ``str.format`` template in Chinese; the check supplies
    ``{label}``, ``{expected}``, ``{actual}`` and any other fields it documents. An
    arithmetic rule states its `relations` (check ``linear``); `examples` show it firing and
    passing (tests/test_rule_examples.py runs every one).
    """

    id: str
    severity: Severity
    scope: Scope
    title: str
    message: str
    check: str
    params: dict = field(default_factory=dict, hash=False, compare=False)
    relations: tuple[Relation, ...] = field(default=(), hash=False, compare=False)
    examples: tuple[Example, ...] = field(default=(), hash=False, compare=False)


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
    rules: tuple[Rule, ...]
    """The live checks and 可能填错 marks of the template are derived from their relations
    (:func:`validator.formats.live.live_checks`, :func:`~validator.formats.live.live_marks`)."""
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
    example: dict = field(default_factory=dict, hash=False, compare=False)
    """A report every rule passes, without its figures (all 0): the base of :attr:`Rule.examples`."""

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
