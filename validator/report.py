"""A validation report is data: findings plus counts, rendered alike to a terminal, JSON or a sheet."""

from __future__ import annotations

from collections.abc import Iterable
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

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.cells)

    @property
    def severity_zh(self) -> str:
        return SEVERITY_ZH[self.severity]

    def as_dict(self) -> dict:
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
        return f"{head}：错误 {len(self.errors)} 个，提示 {len(self.warnings)} 个"

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "format": self.format,
            "valid": self.valid,
            "stats": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "explained_warnings": sum(1 for f in self.warnings if f.explanation),
                "rules_run": self.rules_run,
                "cells_checked": self.cells_checked,
            },
            "summary": self.summary_zh(),
            "findings": [f.as_dict() for f in self.findings],
        }

    def render_text(self, width: int = 100) -> str:
        """A plain table for the terminal, errors first."""
        lines = [f"{self.source}：{self.summary_zh()}"]
        ordered = sorted(self.findings, key=lambda f: f.severity != "error")
        for i, f in enumerate(ordered, 1):
            where = "、".join(c.ref for c in f.cells[:3]) + ("…" if len(f.cells) > 3 else "")
            lines.append(f"{i:>3}. [{f.severity_zh}] {f.rule:<16} {where}")
            lines.append(f"     {f.message}")
            if f.explanation:
                lines.append(f"     情况说明：{f.explanation}")
        return "\n".join(lines)

    def sheet_rows(self, explanations: Iterable[Explanation] = ()) -> list[SheetRow]:
        """The 校验结果 sheet as data: one row per finding, then staff notes no finding matches.

        Columns as :data:`validator.results.COLUMNS` — both workbook writers (openpyxl for files,
        xlwings inside Excel) render exactly these rows.
        """
        rows = []
        for i, f in enumerate(self.findings, 1):
            values = results.row(number=i, rule=f.rule, severity=f.severity_zh, scope=f.scope,
                                 where="、".join(c.ref for c in f.cells), message=f.message,
                                 expected=_sheet_value(f.expected), actual=_sheet_value(f.actual),
                                 explanation=f.explanation or "", keys=",".join(f.keys))
            rows.append(SheetRow(values, f.severity, f.cells[0].ref if f.cells else None))
        matched = {(f.rule, f.keys) for f in self.findings}
        for e in explanations:
            if (e.rule, e.keys) not in matched and e.text.strip():
                rows.append(SheetRow(results.row(rule=e.rule, message=ORPHAN_NOTE, explanation=e.text,
                                                 keys=",".join(e.keys)), None, None))
        return rows


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
    """The cell note on a flagged cell: every finding on it, rule id first."""
    return "\n".join(f"【{f.severity_zh} {f.rule}】{f.message}" for f in findings)


def worst(findings: Iterable[Finding]) -> str:
    return "error" if any(f.severity == "error" for f in findings) else "warning"


def findings_by_cell(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        for c in f.cells:
            out.setdefault(c.ref, []).append(f)
    return out
