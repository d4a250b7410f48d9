"""What changed between two versions of a body's report: cell by cell (sheet!A1, label, old →
new) in the format's order, and each narrative part as changed or unchanged with a text diff.

Cells are compared in their canonical form (:func:`validator.collect.inbox.canonical`), so the
same report as JSON and as a workbook shows no difference (3 and 3.0, a date cell and its text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from validator.collect.inbox import canonical
from validator.submission import Submission

EXPLANATIONS = "explanations"


@dataclass(frozen=True)
class CellChange:
    ref: str
    label: str
    old: str
    new: str
    key: str

    def as_dict(self) -> dict:
        return {"ref": self.ref, "label": self.label, "old": self.old, "new": self.new, "key": self.key}


@dataclass(frozen=True)
class Segment:
    op: str
    """``equal``, ``delete`` (only in the old text) or ``insert`` (only in the new one)."""
    text: str


@dataclass
class NarrativeChange:
    key: str
    ref: str
    label: str
    changed: bool
    segments: list[Segment] = field(default_factory=list)
    """The text diff (empty when unchanged)."""

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "ref": self.ref,
            "label": self.label,
            "changed": self.changed,
            "diff": [{"op": s.op, "text": s.text} for s in self.segments],
        }


@dataclass
class Diff:
    old_version: int
    new_version: int
    cells: list[CellChange]
    narrative: list[NarrativeChange]

    def as_dict(self) -> dict:
        return {
            "from": self.old_version,
            "to": self.new_version,
            "cells": [c.as_dict() for c in self.cells],
            "narrative": [n.as_dict() for n in self.narrative],
        }


def diff(old: Submission, new: Submission, old_version: int, new_version: int) -> Diff:
    before, after = canonical(old)[0], canonical(new)[0]
    cells_by_key = {c.key: c for fmt in (new.format, old.format) for c in (*fmt.cells, *fmt.baseline_cells)}
    order = list(dict.fromkeys([*after, *before]))
    changes: list[CellChange] = []
    narrative: list[NarrativeChange] = []
    for key in order:
        a, b = before.get(key, ""), after.get(key, "")
        cell = cells_by_key.get(key)
        if key == EXPLANATIONS:
            if a != b:
                narrative.append(NarrativeChange(key, "校验结果", "情况说明", True, text_diff(_notes(a), _notes(b))))
            continue
        if cell is None:
            continue
        if cell.kind == "longtext":
            narrative.append(NarrativeChange(key, cell.a1, cell.label, a != b, text_diff(a, b) if a != b else []))
        elif a != b:
            changes.append(CellChange(cell.a1, cell.label, a.lstrip("?"), b.lstrip("?"), key))
    return Diff(old_version, new_version, changes, narrative)


def _notes(text: str) -> str:
    """The canonical 情况说明 (JSON of [rule, keys, text]) as lines to read."""
    import json

    if not text:
        return ""
    return "\n".join(f"{', '.join(keys)}：{note}" for _, keys, note in json.loads(text))


_SENTENCE = re.compile(r"[^。！？；\n]*[。！？；\n]?")


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s]


def text_diff(old: str, new: str) -> list[Segment]:
    """Sentence by sentence, then character by character inside a replaced stretch (Chinese has
    no spaces between words, so a character diff of whole parts would match stray characters)."""
    a, b = _sentences(old), _sentences(new)
    out: list[Segment] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            _add(out, "equal", left)
        elif op == "replace" and len(left) + len(right) <= 4000:
            for cop, c1, c2, d1, d2 in SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
                if cop == "equal":
                    _add(out, "equal", left[c1:c2])
                else:
                    _add(out, "delete", left[c1:c2])
                    _add(out, "insert", right[d1:d2])
        else:
            _add(out, "delete", left)
            _add(out, "insert", right)
    return out


def _add(out: list[Segment], op: str, text: str) -> None:
    if not text:
        return
    if out and out[-1].op == op:
        out[-1] = Segment(op, out[-1].text + text)
    else:
        out.append(Segment(op, text))
