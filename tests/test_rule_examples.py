"""Every rule's own examples (``Rule.examples``, written beside the rule in its format module):
the one that fires fires, the one that passes does not, in every registered format; and the
example report they start from passes every rule. A new rule without both examples fails the
format contract (tests/test_formats.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from validator.engine import validate
from validator.formats import get_format, known_formats
from validator.readers import xlsx
from validator.spec import Example, FormatSpec
from validator.submission import JSON, Submission

TODAY = dt.date(2026, 1, 1)
CASES = [
    (format_id, rule.id, i)
    for format_id in known_formats()
    for rule in get_format(format_id).rules
    for i in range(len(rule.examples))
]


def example_values(fmt: FormatSpec, changes: dict) -> dict:
    """The format's example report (every figure 0 unless named) with `changes` applied."""
    return {**{c.key: 0 for c in fmt.figure_cells()}, **fmt.example, **changes}


def findings(fmt: FormatSpec, rule_id: str, example: Example) -> list:
    kind = xlsx.KIND if example.workbook else JSON
    sub = Submission(fmt, example_values(fmt, example.changes), "example", [], kind)
    last = None
    if example.last_year is not None:
        values = example_values(fmt, {"year": fmt.example["year"] - 1, **example.last_year})
        last = Submission(fmt, values, "上年报告.json", [], JSON)
    return [f for f in validate(sub, last_year=last, today=TODAY).findings if f.rule == rule_id]


@pytest.mark.parametrize("format_id,rule_id,index", CASES, ids=[f"{f}:{r}:{i}" for f, r, i in CASES])
def test_rule_example(format_id, rule_id, index):
    fmt = get_format(format_id)
    example = fmt.rule(rule_id).examples[index]
    found = findings(fmt, rule_id, example)
    assert bool(found) == example.fires, (example.changes, [f.message for f in found])
    for f in found:
        assert f.message and "{" not in f.message


@pytest.mark.parametrize("format_id", known_formats())
def test_the_example_report_passes_every_rule(format_id):
    fmt = get_format(format_id)
    report = validate(Submission(fmt, example_values(fmt, {}), "example", [], JSON), today=TODAY)
    assert [f.message for f in report.findings] == []


@pytest.mark.parametrize("format_id", known_formats())
def test_every_rule_has_an_example_that_fires_and_one_that_passes(format_id):
    for rule in get_format(format_id).rules:
        assert {e.fires for e in rule.examples} == {True, False}, rule.id
