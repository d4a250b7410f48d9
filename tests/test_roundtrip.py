"""Round-trip properties: report -> JSON -> workbook (xxgk fill) -> JSON (xxgk export).

A valid report, built at random, must come back byte for byte after a trip through a filled
workbook: every figure, the fee as an exact decimal, the cover, the baseline, the staff's
explanations and the narrative (newlines, quotes, emoji, CJK, leading spaces, text that looks
like a formula, 10,000+ characters).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from validator.engine import validate
from validator.formats import get_format
from validator.jsonio import dump_model, parse_json_bytes, report_from_dict, report_to_model
from validator.submission import Explanation, Submission

from conftest import run_cli
from support.strategies import valid_submission

FMT = get_format()


def _differences(a: object, b: object, path: str = "") -> list[str]:
    """Where two parsed JSON documents differ, as short "path: a != b" lines (the texts can be huge)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in {**a, **b} for d in _differences(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    if a == b:
        return []
    if isinstance(a, str) and isinstance(b, str):
        i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        return [
            f"{path}: len {len(a)} != {len(b)}, first difference at {i}: "
            f"{a[max(0, i - 10) : i + 20]!r} != {b[max(0, i - 10) : i + 20]!r}"
        ]
    return [f"{path}: {str(a)[:300]} != {str(b)[:300]}"]


def assert_same_json(a: bytes, b: bytes) -> None:
    assert not (diffs := _differences(json.loads(a), json.loads(b))), "\n".join(diffs[:10])
    assert b == a


def _export_bytes(sub: Submission) -> bytes:
    report = validate(sub)
    assert report.valid, [f.message for f in report.errors]
    return dump_model(report_to_model(sub, report))


def through_workbook(a: bytes, inspect=None) -> bytes:
    """`xxgk fill` the JSON into a workbook, then `xxgk export` that workbook: the JSON bytes it gives."""
    with tempfile.TemporaryDirectory() as tmp:
        src, xlsx, out = Path(tmp, "a.json"), Path(tmp, "a.xlsx"), Path(tmp, "b.json")
        src.write_bytes(a)
        filled = run_cli("fill", src, "-o", xlsx)
        assert filled.code == 0, filled.out + filled.err
        if inspect is not None:
            inspect(xlsx)
        exported = run_cli("export", xlsx, "-o", out)  # no --force: the report is valid
        assert exported.code == 0, exported.out + exported.err
        return out.read_bytes()


# --------------------------------------------------------------------------- properties

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=_SLOW)
@given(valid_submission())
def test_json_workbook_json_roundtrip(sub: Submission):
    a = _export_bytes(sub)
    assert_same_json(a, through_workbook(a))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=_SLOW)
@given(valid_submission())
def test_json_model_json_identity(sub: Submission):
    a = _export_bytes(sub)
    assert_same_json(a, dump_model(report_from_dict(parse_json_bytes(a))))


# --------------------------------------------------------------------------- worked examples


def _zero_report(**values: object) -> dict[str, object]:
    out: dict[str, object] = {c.key: 0 for c in FMT.figure_cells()}
    out.update(
        {
            "body.name": "某某县人民政府",
            "body.type": "政府",
            "year": 2024,
            "published_on": None,
            "body.region_code": None,
            "narrative.overview": "",
            "narrative.problems": "",
            "narrative.other_matters": "",
        }
    )
    out.update(values)
    return out


def test_long_narrative_and_formula_lookalikes_stay_text():
    import openpyxl

    head = '=SUM(A1) 本机关收到申请 3 件。\n他说："公开"，“依申请公开”🙂👍🏽\n'
    long_text = (head + "政府信息公开工作“稳中有进”🙂👍🏽\n" * 1000)[:12_000]
    assert len(long_text) == 12_000
    values = _zero_report(
        **{
            "proactive.fees.amount_wan_yuan": Decimal("24252.311082"),
            "body.name": "=SUM(A1)某某县人民政府",
            "published_on": dt.date(2025, 1, 20),
            "body.region_code": "110101",
            "narrative.overview": long_text,
            "narrative.problems": '=HYPERLINK("http://x")\n存在的问题：“不足”。改进措施：加强。',
            "narrative.other_matters": '+1 本年度未收取信息处理费，未发出收费通知。"引号"',
        }
    )
    # TXT-T3 fires once (“收到申请 3 件” against a table of 0) and carries this explanation
    sub = Submission(FMT, values, "x", [Explanation("TXT-T3", ("applications.new.total",), "口径不同")])
    a = _export_bytes(sub)

    def cells_hold_text(xlsx: Path) -> None:
        wb = openpyxl.load_workbook(xlsx)
        try:
            for key in ("body.name", "narrative.overview", "narrative.problems", "narrative.other_matters"):
                spec = FMT.cell(key)
                cell = wb[spec.sheet][spec.ref]
                assert cell.data_type == "s", (key, cell.data_type)  # a string, not a formula
                assert cell.value == values[key]
        finally:
            wb.close()

    b = through_workbook(a, cells_hold_text)
    assert json.loads(b)["narrative"]["overview"] == long_text
    assert json.loads(b)["explanations"] == [
        {"rule": "TXT-T3", "cells": ["applications.new.total"], "text": "口径不同"}
    ]
    assert_same_json(a, b)


# --------------------------------------------------------------------------- explanations
# Minimal cases the property found. The workbook keeps explanations only in 校验结果: write_results
# (validator/workbook/write.py) puts a note on every row of its finding, in findings order, then the
# notes that match no finding; read_explanations (validator/workbook/read.py) reads the rows back.
# The JSON must already be in that canonical form, or the round trip changes it.


@pytest.mark.slow
def test_explanations_come_back_in_the_same_order():
    sub = Submission(
        FMT,
        _zero_report(),
        "x",
        [
            Explanation("META-REGION", ("body.region_code",), "unmatched note"),
            Explanation("TXT-MISSING", ("narrative.overview",), "matched note"),
        ],
    )
    a = _export_bytes(sub)
    assert_same_json(a, through_workbook(a))


def test_two_explanations_for_one_finding_become_one():
    sub = Submission(
        FMT,
        _zero_report(),
        "x",
        [
            Explanation("TXT-MISSING", ("narrative.overview",), "first"),
            Explanation("TXT-MISSING", ("narrative.overview",), "second"),
        ],
    )
    a = _export_bytes(sub)
    assert len(json.loads(a)["explanations"]) == 1
    assert_same_json(a, through_workbook(a))


def test_explanation_shared_by_two_findings_comes_back_once():
    values = _zero_report(**{"narrative.overview": "本年新收政府信息公开申请5件，收到申请7件。"})
    sub = Submission(FMT, values, "x", [Explanation("TXT-T3", ("applications.new.total",), "统计口径不同")])
    report = validate(sub)
    assert [f.explanation for f in report.findings if f.rule == "TXT-T3"] == ["统计口径不同"] * 2
    a = _export_bytes(sub)
    assert_same_json(a, through_workbook(a))
