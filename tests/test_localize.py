"""Error localisation: one typo gives one located cell with its right figure.

Mutations of the three real reports, checked in memory with the same engine as ``xxgk check``.
The full sweep with its rates is ``benchmarks/localize.py``; here every single-cell mutation
and a fixed sample of two-cell mutations."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import openpyxl
import pytest

from conftest import REPORT_NAMES, ROOT, run_cli

sys.path.insert(0, str(ROOT / "benchmarks"))
from localize import count_cells, load, mutated, outcome, position, single_mutations  # noqa: E402

from validator.engine import build_context, validate  # noqa: E402
from validator.localize import equations  # noqa: E402
from validator.profile import Profile  # noqa: E402


def _degree(sub) -> dict[str, int]:
    out: dict[str, int] = {}
    for eq in equations(build_context(sub, Profile())):
        for k in eq.coef:
            out[k] = out.get(k, 0) + 1
    return out


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_single_cell_mutation_is_located_to_that_cell(name):
    sub = load(name)
    degree = _degree(sub)
    cells = count_cells(sub)
    assert len(cells) >= 190  # 表三 175 + 表四 15
    for key in cells:
        original = sub.values[key]
        for value in single_mutations(original):
            got = outcome(mutated(sub, {key: value}), {key: original})
            # a cell in one sum only (表四) cannot be told from that sum's other cells:
            # the 总计 is preferred and this cell named as the alternative
            assert got == "exact" if degree[key] > 1 else got in ("exact", "alternative"), (key, value, got)


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_two_cell_mutations_are_located_or_ambiguous_never_wrong(name):
    sub = load(name)
    rng = random.Random(name)
    keys = count_cells(sub)
    outcomes = []
    while len(outcomes) < 60:
        a, b = rng.sample(keys, 2)
        (sa, ra, ca), (sb, rb, cb) = position(sub, a), position(sub, b)
        if sa == sb and (ra == rb or ca == cb):
            continue
        changes = {k: rng.choice(single_mutations(sub.values[k])) for k in (a, b)}
        outcomes.append(outcome(mutated(sub, changes), {a: sub.values[a], b: sub.values[b]}))
    assert "wrong" not in outcomes
    assert outcomes.count("exact") >= 40


def test_table4_tie_prefers_the_total_and_names_the_alternative():
    sub = load("fenxi-zfb_2023")
    parts = {
        f"review_litigation.litigation_direct.{k}": v
        for k, v in (("upheld", 2), ("corrected", 0), ("other", 0), ("pending", 0), ("total", 0))
    }
    report = validate(mutated(sub, parts))
    [root] = [f for f in report.findings if f.located]
    assert root.cells[0].ref == "表四!J4" and (root.expected, root.actual) == (2, 0)
    assert "表四!J4 最可能填错：应为 2，现为 0" in root.message and "表四!F4 结果维持应为 0" in root.message
    assert [(c.ref, v) for c, v in root.alternatives] == [("表四!F4", 0)]


def test_separate_typos_are_located_separately():
    sub = load("huaian-shi_2024")
    truth = {
        k: sub.values[k]
        for k in (
            "applications.new.natural_person",
            "applications.granted.commercial_enterprise",
            "applications.carried_forward.research_institution",
        )
    }
    report = validate(mutated(sub, {k: v + 1 for k, v in truth.items()}))
    located = {f.keys[0]: f.expected for f in report.findings if f.located}
    assert located == truth


def test_three_typos_in_one_row_are_declared_ambiguous():
    sub = load("huaian-shi_2024")
    changes = {
        f"applications.new.{c}": sub.values[f"applications.new.{c}"] + 1
        for c in ("natural_person", "commercial_enterprise", "research_institution")
    }
    report = validate(mutated(sub, changes))
    errors = report.errors
    assert errors and not any(f.located for f in errors)
    assert "无法确定" in errors[0].message


def _edit(path: Path, edits: dict[str, object]) -> None:
    wb = openpyxl.load_workbook(path)
    for where, value in edits.items():
        sheet, ref = where.split("!")
        wb[sheet][ref] = value
    wb.save(path)


def test_one_typo_one_red_cell(workbook_copy, tmp_path):
    """The issue's case: 表三!J4 3→4 gave three findings with contradictory figures."""
    path = workbook_copy("fenxi-zfb_2023")
    _edit(path, {"表三!J4": 4})
    result = run_cli("check", str(path), "--json", "--annotate", str(tmp_path / "a.xlsx"))
    assert result.code == 1, result.err
    findings = json.loads(result.out)["findings"]
    roots = [f for f in findings if f.get("located")]
    assert [(f["cells"][0]["ref"], f["expected"], f["actual"]) for f in roots] == [("表三!J4", 3, 4)]
    assert roots[0]["message"].startswith("表三!J4 最可能填错：应为 3，现为 4")
    root_index = findings.index(roots[0])
    others = [f for f in findings if f is not roots[0] and f["severity"] == "error"]
    assert others and all(f["caused_by"] == root_index for f in others)
    assert not [f for f in findings if f["rule"] == "TXT-T3"]  # the narrative's 3 is the right figure
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    red = {ref for ref in ("J4", "J5", "J27", "J28") if wb["表三"][ref].fill.fgColor.rgb.endswith("FF9999")}
    assert red == {"J4"}
    assert wb["表三"]["J27"].comment is None
    rows = list(wb["校验结果"].iter_rows(min_row=4, values_only=True))
    assert rows[0][4] == "表三!J4" and rows[0][5] == roots[0]["message"]  # the root first, numbered 1
    follow = [r for r in rows if r[5] and r[5].startswith("　　└ 第 1 条的连带结果")]
    assert len(follow) == len(others) and rows[1 : 1 + len(others)] == follow  # right under it
    text = run_cli("check", str(path)).out
    assert "（第 1 条的连带结果" in text and "] T3-COL-TOTAL" not in text


def test_txt_t3_marks_the_narrative_not_the_table(workbook_copy, tmp_path):
    path = workbook_copy("fenxi-zfb_2023")
    wb = openpyxl.load_workbook(path)
    overview = wb["文字部分"]["A4"].value
    assert "申请3件" in overview
    wb["文字部分"]["A4"] = overview.replace("申请3件", "申请5件")
    wb.save(path)
    result = run_cli("check", str(path), "--json", "--annotate", str(tmp_path / "a.xlsx"))
    [txt] = [f for f in json.loads(result.out)["findings"] if f["rule"] == "TXT-T3"]
    assert txt["cells"][0]["ref"] == "表三!J4" and (txt["expected"], txt["actual"]) == (3, 5)
    marked = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert marked["文字部分"]["A4"].comment is not None
    assert marked["表三"]["J4"].comment is None
    rows = list(marked["校验结果"].iter_rows(min_row=4, values_only=True))
    assert [r[4] for r in rows if r[1] == "TXT-T3"] == ["文字部分!A4、表三!J4"]


def test_a_row_short_in_two_columns_names_the_candidate_rows_and_blames_no_cell():
    """The issue's case: 自然人 （七）总计 95 over parts adding to 93 (and the 总计 column likewise),
    一＋二 = （七）＋四 holding: setting （七） to 93 would break the balance, so no cell is “应为 93”;
    one of the （一）…（六） rows is short by 2 in both columns."""
    sub = load("huaian-shi_2024")
    v = sub.values
    report = validate(
        mutated(
            sub,
            {
                "applications.granted.natural_person": v["applications.granted.natural_person"] - 2,
                "applications.granted.total": v["applications.granted.total"] - 2,
            },
        )
    )
    errors = report.errors
    assert [f.rule for f in errors] == ["T3-RESULT-SUM", "T3-RESULT-SUM"]
    assert not any(f.located for f in errors) and all("应为" not in f.message for f in errors)
    first = errors[0].message
    assert first.startswith("“自然人”各项之和 2930，（七） 2932")
    assert "多处错误，无法确定" in first and "“自然人”“总计”两格各少填了 2" in first
    rows = first.split("两格各少填了 2：", 1)[1].split("。", 1)[0].split("；")
    assert len(rows) == 21 and rows[0] == "（一）予以公开" and rows[-1] == "（六）其他处理3.其他"
    assert "T3-" not in first


def test_a_located_fix_keeps_the_relations_that_hold():
    """T3-BALANCE made 提示: 表三!D5 one too high fails its row (an 错误) and its column's balance.
    The row alone cannot tell D5 from its 总计 J5, but changing J5 would break the 总计 column's
    balance, which holds: only D5 keeps every relation, so D5 is the answer, not J5."""
    from validator.profile import RuleOverride

    sub = load("huaian-shi_2024")
    key = "applications.carried_in.natural_person"
    profile = Profile(rules={"T3-BALANCE": RuleOverride(severity="warning")})
    report = validate(mutated(sub, {key: sub.values[key] + 1}), profile)
    [root] = [f for f in report.findings if f.located]
    assert root.keys == (key,) and root.expected == sub.values[key] and root.alternatives == ()


def test_located_messages_name_the_checks_in_words_not_rule_ids():
    sub = load("fenxi-zfb_2023")
    report = validate(mutated(sub, {"applications.new.total": 4}))
    [root] = [f for f in report.findings if f.located]
    assert root.message.endswith("改正后“表三每行总计等于六类申请人之和”“表三勾稽关系：一＋二＝三（七）＋四”均成立")
    assert "T3-" not in root.message
