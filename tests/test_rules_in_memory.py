"""Rules on in-memory submissions (conftest.make_submission: a dict, no workbook): the fast layer
beside the end-to-end tests in test_rules.py."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validator.engine import validate
from validator.profile import Profile

from conftest import findings_of, make_submission, report_values


def test_a_real_report_has_no_errors_in_memory():
    assert [f for f in findings_of() if f.severity == "error"] == []


@pytest.mark.parametrize(
    "changes,rule,expected,actual",
    [
        ({"applications.new.total": 4}, "T3-COL-TOTAL", 3, 4),
        ({"review_litigation.review.total": 5}, "T4-SUM-REVIEW", 0, 5),
        ({"proactive.normative_documents.in_force": -1}, "VAL-INT", None, "-1"),
        ({"year": 2019}, "META-YEAR", None, "2019"),
    ],
)
def test_one_cell_changed_raises_the_rule(changes, rule, expected, actual):
    [f] = findings_of(changes, rule=rule)
    assert (f.expected, f.actual) == (expected, actual)


def test_balance_names_both_sides():
    values = report_values()
    key = "applications.carried_forward.natural_person"
    findings = findings_of(
        {key: values[key] + 1, "applications.carried_forward.total": values["applications.carried_forward.total"] + 1},
        rule="T3-BALANCE",
    )
    assert {f.keys[-1] for f in findings} == {"applications.carried_in.natural_person", "applications.carried_in.total"}
    assert all(f.actual == f.expected + 1 for f in findings)


def test_deadline_from_rule_params_and_profile():
    late = {"published_on": "2024-02-15", "body.type": "部门"}
    [f] = findings_of(late, rule="DATE-DEADLINE")
    assert f.expected == "2024-01-31"
    relaxed = Profile(deadlines={"部门": (3, 1)})
    assert findings_of(late, rule="DATE-DEADLINE", profile=relaxed) == []


def test_overview_numbers_against_the_table():
    [f] = findings_of({"narrative.overview": "本年度共受理政府信息公开申请999件。"}, rule="TXT-T3")
    assert f.actual == 999 and f.keys == ("applications.new.total",)


def test_cross_year_carry_with_last_year_in_memory():
    last = make_submission({"year": 2022, "applications.carried_forward.total": 7})
    [f] = findings_of(last_year=last, rule="XY-T3-CARRY")
    assert f.expected == 7


def test_2019_format_in_memory_fmt_old_and_signed_change():
    from validator.formats import get_format

    old = get_format("gb-2019-60")
    values = {c.key: 0 for c in old.cells if c.kind in ("count", "signed", "money")}
    values.update(
        {
            "body.name": "某县人民政府办公室",
            "body.type": "部门",
            "year": 2020,
            "published_on": "2021-01-20",
            "proactive.licensing.change": -2,
        }
    )
    ok = validate(make_submission(values, base=None, format_id="gb-2019-60"))
    assert ok.errors == []
    values.update(year=2022, published_on="2023-01-20")
    report = validate(make_submission(values, base=None, format_id="gb-2019-60"))
    assert [f.rule for f in report.errors] == ["FMT-OLD"]


_WORDS = ["新收", "收到", "受理", "接收", "办结", "答复", "完成办理", "结转", "顺延", "行政复议", "行政诉讼"]
_PHRASE = st.tuples(
    st.sampled_from(["", "共", "本年度", "3", "1."]),
    st.sampled_from(_WORDS),
    st.sampled_from(["", "政府信息公开", "各类", "下年度", "至2024年", "案件", "了"]),
    st.sampled_from(["", "申请"]),
    st.sampled_from(["", " ", "申请", "下年度"]),
    st.sampled_from(["3", "12", "1,234", "0"]),
    st.sampled_from(["件", "份", "个", "起", " 件", "天"]),
    st.sampled_from(["", "申请", "结转至下年度", "顺延到2025年", "，", "。"]),
).map("".join)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PHRASE, st.text(max_size=3)), max_size=6).map("".join))
def test_every_overview_match_contains_one_of_its_words(text):
    """TXT-T3 scans an overview for a figure's patterns only when one of its `words` occurs:
    every match contains one, so the shortcut never hides a match."""
    from validator.formats import get_format

    for spec in get_format().rule("TXT-T3").params["patterns"].values():
        for pattern in spec["patterns"]:
            for m in re.finditer(pattern, text):
                assert any(w in m.group(0) for w in spec["words"]), (pattern, m.group(0))
