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

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.engine import validate
from validator.formats import get_format
from validator.formats.gb_2021_30 import (
    BODY_TYPES,
    T3_APPLICANTS,
    T3_RESULT_KEYS,
    T4_GROUPS,
    T4_LEAVES,
    t3_key,
    t4_key,
)
from validator.jsonio import dump_model, parse_json_bytes, report_from_dict, report_to_model
from validator.submission import Explanation, Submission

from conftest import run_cli

FMT = get_format()
EXCEL_CELL_LIMIT = 32767

# --------------------------------------------------------------------------- text

# Characters XML 1.0 cannot hold (C0 controls other than tab and LF, lone surrogates, U+FFFE/U+FFFF),
# plus CR: the model normalises CRLF/CR to LF, so a CR would not come back as itself.
_EXCLUDED = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n") + "\ufffe\uffff"
_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters=_EXCLUDED)

# Pieces random text rarely hits on its own: formula look-alikes, XML specials, OOXML _xHHHH_ escapes,
# Unicode line separators, BOM, joiners, and wording the text rules look for.
_TRICKY = (
    "\n",
    "\n\n",
    "\t",
    " ",
    "  ",
    "\u3000",
    '"',
    "'",
    "“",
    "”",
    "“”",
    "‘’",
    "\\",
    "\\n",
    "/",
    "🙂👍🏽",
    "👨\u200d👩\u200d👧",
    "\U0001f600",
    "中华人民共和国政府信息公开条例",
    "；",
    "。",
    "，",
    "=SUM(A1)",
    "+1",
    "-1",
    "@A1",
    "=",
    "<",
    ">",
    "&",
    "&amp;",
    "<t>",
    "]]>",
    "<![CDATA[",
    "_x000D_",
    "_x000A_",
    "_x0041_",
    "x005F_",
    "_x005F_x000D_",
    "\u2028",
    "\u2029",
    "\x85",
    "\xa0",
    "\ufeff",
    "\u200b",
    "\u202e",
    "\x7f",
    "\ufffd",
    "\U0010fffd",
    "#REF!",
    "#DIV/0!",
    "0",
    "1e3",
    "收到政府信息公开申请12件",
    "受理申请7件",
    "处理费",
    "收费通知",
    "问题",
    "改进",
)
_PIECES = st.one_of(st.text(_CHARS, max_size=40), st.sampled_from(_TRICKY))


@st.composite
def narrative_text(draw) -> str:
    text = "".join(draw(st.lists(_PIECES, max_size=12)))
    if draw(st.integers(0, 5)) == 0:  # sometimes long: a random chunk repeated past 10,000 characters
        chunk = draw(st.text(_CHARS, min_size=1, max_size=30)) + draw(st.sampled_from(_TRICKY))
        reps = -(-10_000 // len(chunk)) + draw(st.integers(0, 20))
        text = draw(st.sampled_from(("", "  ", "\n"))) + text + chunk * reps + draw(st.sampled_from(("", " ", "\n")))
    text = text[:EXCEL_CELL_LIMIT]
    while len(text.encode("utf-16-le")) // 2 > EXCEL_CELL_LIMIT:  # Excel counts UTF-16 units
        text = text[:-1]
    return text


def body_name() -> st.SearchStrategy[str]:
    prefix = st.sampled_from(("", "=", "+", "-", "@", "=SUM(A1)", "'", " ", "\u3000"))
    core = st.one_of(
        st.sampled_from(("汾西县人民政府办公室", "某某市人民政府", "XX 街道办事处")),
        st.text(_CHARS, min_size=1, max_size=60),
    )
    return st.tuples(prefix, core, st.sampled_from(("", " ", "\n"))).map("".join).filter(lambda s: s.strip())


# --------------------------------------------------------------------------- figures

_COUNT = st.one_of(st.integers(0, 9), st.integers(0, 500), st.integers(0, 10**12))


@st.composite
def fee_amount(draw) -> Decimal:
    """Non-negative, at most 15 significant digits, a few decimal places (Decimal("24252.311082"))."""
    places = draw(st.integers(0, 8))
    mantissa = draw(st.one_of(st.just(0), st.integers(0, 999), st.integers(0, 10**15 - 1)))
    value = Decimal(mantissa).scaleb(-places)
    if draw(st.booleans()):  # a non-canonical spelling of the same amount (1.5 as 1.500, 0 as 0.00)
        value = value.quantize(Decimal(1).scaleb(-places - 2)) if places + 2 + len(str(mantissa)) <= 15 else value
    return value


@st.composite
def valid_values(draw) -> dict[str, object]:
    values: dict[str, object] = {}
    # 表三: per applicant column, results and carry-over are random; 一、本年新收 follows from the balance.
    row_keys = ("new", "carried_in", *T3_RESULT_KEYS, "results_total", "carried_forward")
    totals = dict.fromkeys(row_keys, 0)
    for col in T3_APPLICANTS:
        results = {r: draw(_COUNT) for r in T3_RESULT_KEYS}
        results_total = sum(results.values())
        carried_forward = draw(_COUNT)
        carried_in = draw(st.integers(0, results_total + carried_forward))
        new = results_total + carried_forward - carried_in
        column = {
            **results,
            "results_total": results_total,
            "carried_forward": carried_forward,
            "carried_in": carried_in,
            "new": new,
        }
        for row, value in column.items():
            values[t3_key(row, col)] = value
            totals[row] += value
    for row, value in totals.items():
        values[t3_key(row, "total")] = value
    # 表四: each group's total is the sum of its four results.
    for group, *_ in T4_GROUPS:
        leaves = {leaf: draw(_COUNT) for leaf, _ in T4_LEAVES[:-1]}
        for leaf, value in leaves.items():
            values[t4_key(group, leaf)] = value
        values[t4_key(group, "total")] = sum(leaves.values())
    # 表二: in force is at least issued minus repealed.
    for base in ("proactive.rules", "proactive.normative_documents"):
        issued, repealed = draw(_COUNT), draw(_COUNT)
        values[f"{base}.issued"], values[f"{base}.repealed"] = issued, repealed
        values[f"{base}.in_force"] = max(0, issued - repealed) + draw(_COUNT)
    for key in (
        "proactive.licensing.decisions",
        "proactive.penalties.decisions",
        "proactive.coercive_measures.decisions",
    ):
        values[key] = draw(_COUNT)
    values["proactive.fees.amount_wan_yuan"] = draw(fee_amount())
    assert {c.key for c in FMT.figure_cells()} <= set(values), "strategy misses a figure cell"
    return values


# --------------------------------------------------------------------------- whole report

_RULE_IDS = tuple(r.id for r in FMT.rules)
_CELL_KEYS = tuple(c.key for c in (*FMT.cells, *FMT.baseline_cells))
# (rule, keys) pairs that the generated reports often trigger, so explanations land on real findings.
_LIKELY_FINDINGS = (
    ("TXT-MISSING", ("narrative.overview",)),
    ("TXT-MISSING", ("narrative.problems",)),
    ("TXT-MISSING", ("narrative.other_matters",)),
    ("SEC5-CONTENT", ("narrative.problems",)),
    ("SEC6-FEE", ("narrative.other_matters",)),
    ("DATE-DEADLINE", ("published_on",)),
    ("XY-T4-PENDING", (t4_key("review", "total"), f"last_year.{t4_key('review', 'pending')}")),
    ("TXT-T3", ("applications.new.total",)),  # can fire twice with the same cells
)


@st.composite
def explanation(draw) -> Explanation:
    if draw(st.booleans()):
        rule, keys = draw(st.sampled_from(_LIKELY_FINDINGS))
    else:
        rule = draw(st.sampled_from(_RULE_IDS))
        keys = tuple(draw(st.lists(st.sampled_from(_CELL_KEYS), max_size=3)))
    return Explanation(rule, keys, draw(narrative_text()))


@st.composite
def valid_submission(draw) -> Submission:
    values = draw(valid_values())
    year = draw(st.integers(2021, 2025))
    values["body.name"] = draw(body_name())
    values["body.type"] = draw(st.sampled_from(BODY_TYPES))
    values["year"] = year
    values["published_on"] = draw(st.none() | st.integers(1, 31).map(lambda d: dt.date(year + 1, 1, d)))
    values["body.region_code"] = draw(st.none() | st.from_regex(r"\A[0-9]{6}\Z"))
    for key in ("narrative.overview", "narrative.problems", "narrative.other_matters"):
        values[key] = draw(narrative_text())
    if draw(st.booleans()):
        values["last_year.year"] = year - 1
        for key in FMT.baseline_keys:
            if key.startswith("applications.carried_forward."):
                # last year's 结转下年度 is this year's 上年结转, or XY-T3-CARRY is an 错误
                values[f"last_year.{key}"] = values[key.replace("carried_forward", "carried_in")]
            else:
                values[f"last_year.{key}"] = draw(st.none() | _COUNT)
    # any order, duplicates for one (rule, cells), notes on findings and on nothing: the JSON is canonical
    explanations = draw(st.lists(explanation(), max_size=4))
    return Submission(FMT, values, "hypothesis", explanations)


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


@settings(max_examples=120, deadline=None, suppress_health_check=_SLOW)
@given(valid_submission())
def test_json_workbook_json_roundtrip(sub: Submission):
    a = _export_bytes(sub)
    assert_same_json(a, through_workbook(a))


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
