"""A validation report is data: findings plus counts, rendered alike to a terminal, JSON or a sheet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from validator import results
from validator.spec import SEVERITY_ZH

if TYPE_CHECKING:
    from validator.submission import Explanation

ORPHAN_NOTE = "（此前填写的情况说明，本次校验未再出现对应提示）"


@dataclass(frozen=True)
class CellRef:
    ref: str
    """``表三!J28``"""
    key: str
    """``applications.carried_forward.total``"""


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    """``error`` (错误, blocks export) or ``warning`` (提示, may be explained)."""
    scope: str
    cells: tuple[CellRef, ...]
    message: str
    expected: object = None
    actual: object = None
    explanation: str | None = None
    """What staff wrote in 校验结果 for this 提示, if anything."""
    caused_by: int | None = None
    """Index (in the report's findings) of the located error this failing sum follows from:
    kept for the record, not painted, shown under its cause."""
    located: bool = False
    """The most likely wrong cell, found by error localisation (:mod:`validator.localize`)."""
    alternatives: tuple[tuple[CellRef, object], ...] = ()
    """Other cells that would explain the same failing sums, with the value each should hold."""
    marked: tuple[CellRef, ...] | None = None
    """The cells to paint when not `cells` (TXT-T3 marks the narrative, not the table cell
    it compares with; `cells` stay the table's, so 情况说明 filed under them still match)."""

    @property
    def shown_cells(self) -> tuple[CellRef, ...]:
        """Where the finding points staff: the marked cells first, then the others."""
        return tuple(dict.fromkeys((*(self.marked or ()), *self.cells)))

    @property
    def marked_cells(self) -> tuple[CellRef, ...]:
        if self.caused_by is not None:
            return ()
        return self.cells if self.marked is None else self.marked

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.cells)

    @property
    def severity_zh(self) -> str:
        return SEVERITY_ZH[self.severity]

    def as_dict(self, localisation: bool = True) -> dict:
        """The finding as JSON; `localisation` False leaves out ``located``/``alternatives``/
        ``caused_by`` (the exported report's schema records findings without them)."""
        out = {
            "rule": self.rule,
            "severity": self.severity,
            "scope": self.scope,
            "cells": [{"ref": c.ref, "key": c.key} for c in self.cells],
            "expected": _plain(self.expected),
            "actual": _plain(self.actual),
            "message": self.message,
        }
        if self.explanation:
            out["explanation"] = self.explanation
        if not localisation:
            return out
        if self.located:
            out["located"] = True
        if self.alternatives:
            out["alternatives"] = [{"ref": c.ref, "key": c.key, "expected": _plain(v)} for c, v in self.alternatives]
        if self.caused_by is not None:
            out["caused_by"] = self.caused_by
        return out


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass
class ValidationReport:
    source: str
    format: str
    findings: list[Finding] = field(default_factory=list)
    rules_run: int = 0
    cells_checked: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        return 0 if self.valid else 1

    def summary_zh(self) -> str:
        if not self.findings:
            return "校验通过：没有发现问题"
        head = "校验通过" if self.valid else "校验未通过"
        follow = sum(1 for f in self.errors if f.caused_by is not None)
        note = f"（其中 {follow} 个是已定位填错的连带结果）" if follow else ""
        return f"{head}：错误 {len(self.errors)} 个{note}，提示 {len(self.warnings)} 个"

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "format": self.format,
            "valid": self.valid,
            "stats": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "explained_warnings": sum(1 for f in self.warnings if f.explanation),
                "consequences": sum(1 for f in self.findings if f.caused_by is not None),
                "rules_run": self.rules_run,
                "cells_checked": self.cells_checked,
            },
            "summary": self.summary_zh(),
            "findings": [f.as_dict() for f in self.findings],
        }

    def rows(self) -> list[FindingRow]:
        """The findings as every face lists them (terminal, 校验结果, collect's sheets, the page):
        see :func:`listing`."""
        out: list[FindingRow] = []
        for i, root in listing([(f.severity, f.caused_by) for f in self.findings]):
            out.append(FindingRow(len(out) + 1, i, self.findings[i], None if root is None else out[root]))
        return out

    def grouped(self) -> list[tuple[FindingRow, list[FindingRow]]]:
        """:meth:`rows` as (root, its consequences)."""
        out: list[tuple[FindingRow, list[FindingRow]]] = []
        for row in self.rows():
            if row.root is None:
                out.append((row, []))
            else:
                out[-1][1].append(row)
        return out

    def root_counts(self) -> tuple[int, int]:
        """(错误, 提示) counted by cause: a consequence of a located typo is not counted again."""
        roots = [
            self.findings[i] for i, root in listing([(f.severity, f.caused_by) for f in self.findings]) if root is None
        ]
        errors = sum(1 for f in roots if f.severity == "error")
        return errors, len(roots) - errors

    def render_text(self, width: int = 100) -> str:
        """A plain list for the terminal, in :meth:`rows` order; many blank cells of one sheet
        make one line."""
        lines = [f"{self.source}：{self.summary_zh()}"]
        rows = self.rows()
        blanks = _blank_groups(self.findings)
        said: set[str] = set()
        for row in rows:
            f = row.finding
            if _grouped(f, blanks):
                sheet = row.sheet
                if sheet not in said:
                    said.add(sheet)
                    numbers = [r.number for r in rows if _grouped(r.finding, blanks) and r.sheet == sheet]
                    lines.append(
                        f"{_ranges(numbers):>5}. [{f.severity_zh}] {sheet} 尚有 {blanks[sheet]} 个单元格未填写"
                        "（没有数据请填 0；逐格清单见 --annotate 另存副本的“校验结果”表或 --json 输出）"
                    )
                continue
            pad = "     " if row.root is not None else ""
            where = cell_list(f.shown_cells[:3]) + ("…" if len(f.shown_cells) > 3 else "")
            lines.append(f"{pad}{row.number:>5}. [{f.severity_zh}] {where}")
            if row.root is not None:
                lines.append(f"{pad}       （第 {row.root.number} 条的连带结果，改正该格后即成立）{f.message}")
            else:
                lines.append(f"       {f.message}")
            if f.explanation:
                lines.append(f"{pad}       情况说明：{f.explanation}")
        return "\n".join(lines)

    def sheet_rows(self, explanations: Iterable[Explanation] = ()) -> list[SheetRow]:
        """The 校验结果 sheet as data: one row per finding in :meth:`rows` order, then staff notes
        no finding matches.

        Columns as :data:`validator.results.COLUMNS` — both workbook writers (openpyxl for files,
        xlwings inside Excel) render exactly these rows.
        """
        rows = []
        for r in self.rows():
            f = r.finding
            message = f.message if r.root is None else f"　　└ 第 {r.root.number} 条的连带结果：{f.message}"
            values = results.row(
                number=r.number,
                rule=f.rule,
                severity=f.severity_zh,
                scope=f.scope,
                where=r.where,
                message=message,
                expected=_sheet_value(f.expected),
                actual=_sheet_value(f.actual),
                explanation=f.explanation or "",
                keys=",".join(f.keys),
            )
            rows.append(SheetRow(values, f.severity, f.shown_cells[0].ref if f.shown_cells else None))
        matched = {(f.rule, f.keys) for f in self.findings}
        for e in explanations:
            if (e.rule, e.keys) not in matched and e.text.strip():
                rows.append(
                    SheetRow(
                        results.row(rule=e.rule, message=ORPHAN_NOTE, explanation=e.text, keys=",".join(e.keys)),
                        None,
                        None,
                    )
                )
        return rows


def listing(findings: Sequence[tuple[str, int | None]]) -> list[tuple[int, int | None]]:
    """The order findings are listed in, from each one's (severity, ``caused_by``): root causes
    with 错误 first, then 提示, in the report's order, each followed by the consequences that
    follow from it. Returns (index in `findings`, position in the listing of its root or None)."""
    follows: dict[int, list[int]] = {}
    roots = []
    for i, (_severity, cause) in enumerate(findings):
        if cause is not None and cause != i and 0 <= cause < len(findings) and findings[cause][1] is None:
            follows.setdefault(cause, []).append(i)
        else:
            roots.append(i)
    roots.sort(key=lambda i: findings[i][0] != "error")
    out: list[tuple[int, int | None]] = []
    for i in roots:
        at = len(out)
        out.append((i, None))
        out += [(j, at) for j in follows.get(i, ())]
    return out


@dataclass(frozen=True)
class FindingRow:
    """One finding as the faces list it (:meth:`ValidationReport.rows`)."""

    number: int
    """Its place in the list, from 1: the same in the terminal, 校验结果, 问题清单 and the page."""
    index: int
    """Its place in ``report.findings`` (what ``caused_by`` in the JSON refers to)."""
    finding: Finding
    root: FindingRow | None = None
    """The located typo this failing sum follows from (a 连带结果), if any."""

    @property
    def where(self) -> str:
        return cell_list(self.finding.shown_cells)

    @property
    def sheet(self) -> str:
        cells = self.finding.cells
        return cells[0].ref.split("!")[0] if cells else ""

    @property
    def follows(self) -> str:
        """``第 1 条（表三!D16）的连带结果`` for a consequence, else empty."""
        if self.root is None:
            return ""
        return f"第 {self.root.number} 条（{self.root.where}）的连带结果"


def cell_list(cells: Iterable[CellRef]) -> str:
    """``表三!D28、D27、D4、文字部分!A4``: each sheet named once per run of its cells, so the
    list fits the 校验结果 sheet's 位置 column (LibreOffice does not wrap a linked cell)."""
    out, last = [], None
    for c in cells:
        sheet, _sep, a1 = c.ref.rpartition("!")
        out.append(a1 if sheet == last else c.ref)
        last = sheet
    return "、".join(out)


def _ranges(numbers: list[int]) -> str:
    """``4–9、12``: consecutive numbers as a range."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return "、".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


BLANK_RULE = "VAL-EMPTY"
BLANK_GROUP = 5
"""A sheet with this many blank figure cells gets one line in the terminal, not one per cell."""


def _blank_groups(findings: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        if f.rule == BLANK_RULE and f.cells:
            sheet = f.cells[0].ref.split("!")[0]
            counts[sheet] = counts.get(sheet, 0) + 1
    return {sheet: n for sheet, n in counts.items() if n >= BLANK_GROUP}


def _grouped(f: Finding, blanks: dict[str, int]) -> bool:
    return f.rule == BLANK_RULE and bool(f.cells) and f.cells[0].ref.split("!")[0] in blanks


@dataclass(frozen=True)
class SheetRow:
    values: list[object]
    severity: str | None
    link: str | None
    """``表三!J28``: where the row's 位置 cell links to."""


def _sheet_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    return str(value)


def note_text(findings: Iterable[Finding]) -> str:
    """The cell note on a flagged cell: every finding on it (the rule id stays in 校验结果's 规则
    column: a note is read by staff)."""
    return "\n".join(f"【{f.severity_zh}】{f.message}" for f in findings)


def worst(findings: Iterable[Finding]) -> str:
    return "error" if any(f.severity == "error" for f in findings) else "warning"


def findings_by_cell(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        for c in f.marked_cells:
            out.setdefault(c.ref, []).append(f)
    return out
