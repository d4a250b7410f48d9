"""The template's own checks, what a clerk without macros (WPS, 信创) sees while typing: derived
from the rules' relations, they state a discrepancy and never blame a total, show 未填写 beside
blanks, and a 可能填错 mark (purple) sits on the cell ``xxgk check`` locates.

The sweep runs every single-cell typo of the three real reports' 表三 and 表四 (+1, −1, digits
swapped) through LibreOffice: each mark's own conditional-format formula, as LibreOffice
imported it, is recalculated after each typo."""

from __future__ import annotations

import shutil
import sys

import pytest

from validator.engine import validate
from validator.formats import get_format
from validator.formats.live import BLANK, OK, live_checks, live_marks
from validator.jsonio import load_json
from validator.spec import col_letter, split_ref
from validator.workbook.styles import SUSPECT_FILL

from conftest import REPORT_NAMES, REPORTS, ROOT
from support.libreoffice import require_libreoffice, run_driver

sys.path.insert(0, str(ROOT / "benchmarks"))
from localize import mutated, single_mutations  # noqa: E402

SWEEP_TIMEOUT = 1800  # s, the whole sweep's LibreOffice session on a slow, shared machine


def cells_of(ref: str) -> list[str]:
    """“D6:D26” → D6, D7, …, D26 (a mark's run down one column)."""
    first, _, last = ref.partition(":")
    (r0, c0), (r1, _c1) = split_ref(first), split_ref(last or first)
    return [f"{col_letter(c0)}{r + 1}" for r in range(r0, r1 + 1)]


def test_live_checks_are_the_relations_shown_live(fmt):
    live = [rel for rule in fmt.rules for rel in rule.relations if rel.live]
    assert [(c.sheet, c.ref) for c in live_checks(fmt)] == [(fmt.cell(r.keys[0]).sheet, r.live) for r in live]
    for check in live_checks(fmt):
        assert "应为" not in check.formula and f'"{BLANK}"' in check.formula and f'"{OK}"' in check.formula
    marked = [(m.sheet, ref) for m in live_marks(fmt) for ref in cells_of(m.ref)]
    assert sorted(marked) == sorted((c.sheet, c.ref) for c in fmt.figure_cells() if c.sheet in ("表三", "表四"))
    assert len(live_marks(fmt)) < len(marked) / 3  # runs down a column share one conditional format


def test_the_unable_limit_is_one_relation_not_shown_live(fmt):
    [rel] = fmt.rule("T3-UNABLE-LIMIT").relations
    assert rel.op == ">=" and rel.live is None
    assert "T3-UNABLE-LIMIT" in [r.id for r in get_format("gb-2019-60").rules]


@pytest.mark.slow
@pytest.mark.libreoffice
def test_every_single_typo_is_marked_where_the_tool_locates_it(tmp_path, fmt):
    require_libreoffice()
    marks = [(m.sheet, ref) for m in live_marks(fmt) for ref in cells_of(m.ref)]
    key_at = {(c.sheet, c.ref): c.key for c in fmt.cells}
    keys = [key_at[m] for m in marks]
    totals = {rel.total for rule in fmt.rules for rel in rule.relations if rel.total}
    jobs, typos = [], {}
    for name in REPORT_NAMES:
        sub = load_json(REPORTS / f"{name}.source.json")
        typos[name] = [(key, value) for key in keys for value in single_mutations(sub.values[key])]
        book = tmp_path / f"{name}.xlsx"
        shutil.copyfile(REPORTS / f"{name}.xlsx", book)
        edits = [[[fmt.cell(k).sheet, fmt.cell(k).ref, v]] for k, v in typos[name]]
        jobs.append(
            {
                "name": name,
                "file": str(book),
                "sweep": {"cells": [list(m) for m in marks], "fill": SUSPECT_FILL, "mutations": edits},
            }
        )
    answer = run_driver(tmp_path, jobs, SWEEP_TIMEOUT)
    unique = 0
    for name in REPORT_NAMES:
        sub = load_json(REPORTS / f"{name}.source.json")
        held = answer["jobs"][name]["sweep"]
        assert len(held) == len(typos[name])
        for (key, value), indices in zip(typos[name], held):
            marked = {keys[i] for i in indices}
            roots = [f for f in validate(mutated(sub, {key: value})).findings if f.located]
            where = (name, fmt.cell(key).a1, sub.values[key], value, sorted(fmt.cell(k).a1 for k in marked))
            if len(roots) == 1 and roots[0].keys == (key,) and not roots[0].alternatives:
                unique += 1
                assert marked == {key}, where
            assert marked <= {key}, where  # never a cell that is not the typo
            if key not in totals:
                assert not marked & totals, where
    total = sum(len(t) for t in typos.values())
    print(
        f"\n{total} typos through LibreOffice, {unique} located to one cell by the tool and marked there",
        file=sys.stderr,
    )
    assert unique >= 0.9 * total * 175 / 190  # 表三's cells sit in two or more relations: located
