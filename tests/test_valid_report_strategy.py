"""The strategy of valid reports (tests/support/strategies.py) is derived from the relations:
every relation of every rule holds in what it draws (提示 included), for each registered
format, and a relation added to the data is met without a line in the strategy."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.engine import validate
from validator.formats import get_format, known_formats
from validator.spec import Relation
from validator.submission import Submission

from support.strategies import plan, valid_submission, valid_values

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]


def failing(fmt, values) -> list[Relation]:
    out = []
    for rule in fmt.rules:
        for rel in rule.relations:
            if any(values.get(k) is None for k in rel.keys):
                continue
            total = sum(c * values[k] for k, c in rel.terms)  # Σ left − Σ right
            if not (total == 0 if rel.op == "==" else total >= 0 if rel.op == ">=" else total <= 0):
                out.append(rel)
    return out


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=_SLOW)
@given(st.sampled_from(known_formats()).flatmap(lambda f: st.tuples(st.just(f), valid_values(get_format(f)))))
def test_every_relation_holds_in_every_drawn_report(drawn):
    format_id, values = drawn
    assert failing(get_format(format_id), values) == []


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=_SLOW)
@given(valid_submission(get_format("gb-2019-60"), years=(2019, 2020)))
def test_drawn_reports_of_the_2019_format_have_no_errors(sub):
    assert validate(sub, today=dt.date(2026, 1, 1)).errors == []


def test_a_relation_added_to_the_data_is_met():
    """One more relation (（一）予以公开 总计 ≤ 一、本年新收 总计): the strategy meets it unchanged."""
    base = get_format()
    extra = Relation(("applications.new.total",), ">=", ("applications.granted.total",), "x")
    rules = tuple(replace(r, relations=(*r.relations, extra)) if r.id == "T3-UNABLE-LIMIT" else r for r in base.rules)
    fmt = replace(base, id="strategy-test", rules=rules)
    assert extra in plan(fmt).inequalities

    @settings(max_examples=80, deadline=None, suppress_health_check=_SLOW)
    @given(valid_values(fmt))
    def check(values):
        assert failing(fmt, values) == []
        assert values["applications.new.total"] >= values["applications.granted.total"]
        Submission(fmt, values, "x")  # a whole report's figures

    check()
