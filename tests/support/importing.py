"""Helpers for the import tests: the published reports and their hand-checked figures
(``fixtures/published/expected.json``), ``xxgk import`` and ``check --json`` on a file, a report's
JSON flattened to dotted keys."""

from __future__ import annotations

import json
from pathlib import Path

from validator.cli.program import main
from validator.formats import gb_2021_30 as gb

from conftest import FIXTURES, run_cli

PUBLISHED = FIXTURES / "published"
EXPECTED = json.loads((PUBLISHED / "expected.json").read_text(encoding="utf-8"))["reports"]
# expected.json's row names of 表三, in the format's row order
T3_NAMES = [
    "一",
    "二",
    "三(一)",
    "三(二)",
    *(f"三(三){i}" for i in range(1, 9)),
    *(f"三(四){i}" for i in range(1, 4)),
    *(f"三(五){i}" for i in range(1, 6)),
    *(f"三(六){i}" for i in range(1, 4)),
    "三(七)",
    "四",
]
T4_GROUPS = {"复议": "review", "直接起诉": "litigation_direct", "复议后起诉": "litigation_after_review"}
T4_LEAVES = {"维持": "upheld", "纠正": "corrected", "其他": "other", "尚未审结": "pending", "总计": "total"}
T2_ROWS = {"规章": "rules", "行政规范性文件": "normative_documents"}
T2_SINGLE = {"行政许可": "licensing", "行政处罚": "penalties", "行政强制": "coercive_measures"}


def import_report(tmp_path: Path, src: Path, *extra: str) -> tuple[int, Path]:
    """``xxgk import SRC -o tmp_path/report.json``: the exit code and the output path."""
    out = tmp_path / "report.json"
    return main(["import", str(src), "-o", str(out), *extra]), out


def expected_cells(report: dict) -> dict[str, object]:
    """expected.json's hand-checked values under our JSON's dotted keys."""
    cells: dict[str, object] = {}
    assert list(report["table3"]) == T3_NAMES
    for name, (row, *_rest) in zip(T3_NAMES, gb.T3_ROWS):
        for (col, _), value in zip(gb.T3_COLUMNS, report["table3"][name], strict=True):
            cells[gb.t3_key(row, col)] = value
    for name, value in report["table4"].items():
        group, leaf = name.split("_")
        cells[gb.t4_key(T4_GROUPS[group], T4_LEAVES[leaf])] = value
    t2 = report["table2"]
    for label, base in T2_ROWS.items():
        for leaf, value in zip(("issued", "repealed", "in_force"), t2[label], strict=True):
            cells[f"proactive.{base}.{leaf}"] = value
    for label, base in T2_SINGLE.items():
        cells[f"proactive.{base}.decisions"] = t2[label]
    cells["proactive.fees.amount_wan_yuan"] = t2["行政事业性收费_万元"]
    return cells


def check_json(path: Path, *extra: str) -> dict:
    """``xxgk check FILE --json`` as data (any exit code)."""
    result = run_cli("check", str(path), "--json", *extra)
    return json.loads(result.out)


def flatten(obj: dict, prefix: str = "") -> dict[str, object]:
    """A report's JSON as ``{dotted key: value}``."""
    out: dict[str, object] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
