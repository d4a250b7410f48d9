"""The template's own checks, derived from the rules' relations: what a clerk without macros
(WPS, 信创 machines) sees while typing.

Each relation with ``live`` set becomes a formula in its check cell that states the
discrepancy and never names a culprit (``不平：各列之和 3，总计 2``): a wrong part makes a correct
total disagree with it, so an ``应为`` beside the total would send the clerk to the wrong cell.
The culprit is pointed at by a conditional format on each input cell instead: it is marked
可能填错 when every live equality through it fails by the same difference (its share of each:
a single typo sits where its row check and its column check cross), the corrected figure is
not negative and, for a cell in one relation only, no other cell of that relation would
explain it as well. That is :mod:`validator.localize`'s single-cell answer, computed by the
spreadsheet program.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from validator.spec import CellSpec, FormatSpec, Relation, Severity, col_letter, split_ref

TEXT_IN_CHECK = "含文本，无法核对"
"""What a live check shows when a cell it adds up holds text. Excel's SUM skips text, so “3”
typed as text would make the check disagree with this tool, which reads the 3 and warns
(VAL-TEXT); the template paints text in figure cells orange, so sheet and tool agree the cell
needs fixing and neither shows a wrong sum."""
BLANK = "未填写"
"""What a live check shows while some of its cells are empty (never 正确 beside a blank)."""
OK = "正确"
_EXCEL_OP = {"==": "=", "<=": "<=", ">=": ">="}
_FAILS = {"==": "，", "<=": " 大于", ">=": " 小于"}


@dataclass(frozen=True)
class LiveCheck:
    """A formula that recomputes a relation in Excel/WPS/LibreOffice without Python.

    Derived from a :class:`~validator.spec.Relation` with ``live`` set (:func:`live_checks`):
    `formula` states the discrepancy in Chinese (it never names a culprit); `bad_when` is the
    conditional-format formula that paints the check cell when the relation fails.
    """

    sheet: str
    ref: str
    formula: str
    bad_when: str
    severity: Severity = "error"
    initial: object = ""
    """The formula's result on the empty template (cached so viewers without recalculation agree)."""
    longest: str = ""
    """The longest verdict it shows for figures up to five digits: what its cell must print."""


@dataclass(frozen=True)
class LiveMark:
    """A conditional format on input cells (`ref`, a cell or a run down a column): shown as
    可能填错 when `when` holds for the cell (every live relation through it fails by the same
    difference, the cell's share of it); `when` is written for the run's first cell."""

    sheet: str
    ref: str
    when: str


@dataclass(frozen=True)
class _Shown:
    """One relation as formula pieces: each side's sum, all its cells, how many."""

    left: str
    right: str
    every: str
    count: int

    def share(self, coef: int) -> str | None:
        """How much too high a cell with this coefficient is if it alone breaks the relation."""
        if coef == 1:
            return f"{self.left}-{_paren(self.right)}"
        if coef == -1:
            return f"{self.right}-{_paren(self.left)}"
        return None


def _shown(rel: Relation, at: dict[str, CellSpec]) -> _Shown:
    return _Shown(_side(rel.left, at), _side(rel.right, at), _areas(rel.keys, at), len(rel.keys))


@lru_cache(maxsize=8)
def live_checks(fmt: FormatSpec) -> tuple[LiveCheck, ...]:
    """One formula per relation with ``live`` set, in rule order (worked out when a template is
    built or read, not each time a format is: a check needs none of it)."""
    at = {c.key: c for c in fmt.cells}
    out = []
    for rule in fmt.rules:
        for rel in rule.relations:
            if rel.live is None:
                continue
            f = _shown(rel, at)
            left, right, every, n = f.left, f.right, f.every, f.count
            holds = f"{left}{_EXCEL_OP[rel.op]}{right}"
            said = f'"{_prefix(rel)}{rel.names[0]} "&{_paren(left)}&"{_FAILS[rel.op]}{rel.names[1]} "&{_paren(right)}'
            out.append(
                LiveCheck(
                    at[rel.keys[0]].sheet,
                    rel.live,
                    f'=IF(COUNTA({every})=0,"",IF(COUNTA({every})<{n},"{BLANK}",'
                    f'IF(COUNT({every})<{n},"{TEXT_IN_CHECK}",IF({holds},"{OK}",{said}))))',
                    bad_when=f"=AND(COUNT({every})={n},NOT({holds}))",
                    severity=rule.severity,
                    longest=f"{_prefix(rel)}{rel.names[0]} 00000{_FAILS[rel.op]}{rel.names[1]} 00000",
                )
            )
    return tuple(out)


def _prefix(rel: Relation) -> str:
    return "不平：" if rel.op == "==" else "不符："


@lru_cache(maxsize=8)
def live_marks(fmt: FormatSpec) -> tuple[LiveMark, ...]:
    """The 可能填错 condition of every input cell in a live equality of an 错误 rule."""
    at = {c.key: c for c in fmt.cells}
    equalities = [
        r for rule in fmt.rules if rule.severity == "error" for r in rule.relations if r.live and r.op == "=="
    ]
    shown = {id(rel): _shown(rel, at) for rel in equalities}
    coefs = {id(rel): _coefs(rel) for rel in equalities}
    through: dict[str, list[Relation]] = {}
    for rel in equalities:
        for key in rel.keys:
            through.setdefault(key, []).append(rel)
    out = []
    for key, rels in through.items():
        shares = [shown[id(rel)].share(coefs[id(rel)][key]) for rel in rels]
        if None in shares:
            continue  # a cell counted twice in one relation: no single share to compare
        first = shares[0]
        ref = at[key].ref
        when = [f"COUNT({shown[id(rel)].every})={shown[id(rel)].count}" for rel in rels]
        when += [f"{first}<>0", *(f"{first}={other}" for other in shares[1:]), f"{ref}-({first})>=0"]
        if len(rels) == 1:  # alone in its relation: marked only if no cell of it explains it as well
            rel = rels[0]
            for other in rel.keys:
                share = shown[id(rel)].share(coefs[id(rel)][other])
                if other != key and len(through[other]) == 1 and share is not None:
                    when.append(f"{at[other].ref}-({share})<0")
        out.append(LiveMark(at[key].sheet, ref, "=AND(" + ",".join(when) + ")"))
    return _columns(out)


_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")


def _columns(marks: list[LiveMark]) -> tuple[LiveMark, ...]:
    """Marks of cells one below the other whose formulas differ only by that shift, as one
    conditional format over the run (the 表三 result rows: one per column, not one per cell):
    the references that move with the cell stay relative, the others get a ``$`` row."""
    out: list[LiveMark] = []
    run: list[tuple[LiveMark, int, int]] = []  # (mark, row, col) below each other
    fixed: list[bool] = []

    def close() -> None:
        if not run:
            return
        (first, _row, col), last_row = run[0], run[-1][1]
        if len(run) == 1:
            out.append(first)
            return
        refs = iter(fixed)
        when = _REF.sub(lambda m: f"{m.group(1)}${m.group(2)}" if next(refs) else m.group(0), first.when)
        out.append(LiveMark(first.sheet, f"{first.ref}:{col_letter(col)}{last_row + 1}", when))

    for mark in sorted(marks, key=lambda m: (m.sheet, split_ref(m.ref)[1], split_ref(m.ref)[0])):
        row, col = split_ref(mark.ref)
        if run and run[0][0].sheet == mark.sheet and run[-1][2] == col and run[-1][1] == row - 1:
            shift = _shift(run[0][0].when, mark.when, row - run[0][1], fixed if len(run) > 1 else None)
            if shift is not None:
                fixed = shift
                run.append((mark, row, col))
                continue
        close()
        run, fixed = [(mark, row, col)], []
    close()
    return tuple(out)


def _shift(first: str, other: str, rows: int, fixed: list[bool] | None) -> list[bool] | None:
    """For each reference of `first`, whether it stays put in `other` (True) or moves down by
    `rows` (False); None if `other` is not `first` so shifted (or breaks the pattern so far)."""
    if _REF.sub("#", first) != _REF.sub("#", other):
        return None
    out = []
    for a, b in zip(_REF.finditer(first), _REF.finditer(other)):
        if a.group(1) != b.group(1):
            return None
        moved = int(b.group(2)) - int(a.group(2))
        if moved not in (0, rows):
            return None
        out.append(moved == 0)
    return out if fixed is None or out == fixed else None


def _coefs(rel: Relation) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, c in rel.terms:
        out[key] = out.get(key, 0) + c
    return out


def _side(keys: tuple[str, ...], at: dict[str, CellSpec]) -> str:
    plus = [k for k in keys if not k.startswith("-")]
    minus = [k[1:] for k in keys if k.startswith("-")]
    expr = _sum(plus, at) if plus else "0"
    return f"{expr}-{_paren(_sum(minus, at))}" if minus else expr


def _sum(keys: list[str], at: dict[str, CellSpec]) -> str:
    return at[keys[0]].ref if len(keys) == 1 else f"SUM({_areas(tuple(keys), at)})"


def _paren(expr: str) -> str:
    return f"({expr})" if "-" in expr or "+" in expr else expr


def _areas(keys: tuple[str, ...], at: dict[str, CellSpec]) -> str:
    """The cells as few rectangular ranges as adjacent runs allow (``D4:I4``, ``D6:D26``)."""
    points = sorted({split_ref(at[k].ref) for k in keys})
    runs: list[list[int]] = []  # [row, first col, last col]
    for row, col in points:
        if runs and runs[-1][0] == row and runs[-1][2] == col - 1:
            runs[-1][2] = col
        else:
            runs.append([row, col, col])
    blocks: list[list[int]] = []  # [first row, last row, first col, last col]
    for row, first, last in sorted(runs, key=lambda r: (r[1], r[2], r[0])):
        if blocks and blocks[-1][2:] == [first, last] and blocks[-1][1] == row - 1:
            blocks[-1][1] = row
        else:
            blocks.append([row, row, first, last])
    blocks.sort()
    out = []
    for top, bottom, first, last in blocks:
        a = f"{col_letter(first)}{top + 1}"
        b = f"{col_letter(last)}{bottom + 1}"
        out.append(a if a == b else f"{a}:{b}")
    return ",".join(out)
