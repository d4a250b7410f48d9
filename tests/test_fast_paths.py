"""The shared check path's shortcuts against an oracle written without them.

``build_context`` takes a whole number as it is instead of converting it (the
``whole-numbers-at-once`` accelerator) and ``collect`` hashes its canonical form without
``json.dumps`` (``content-hash``): each is compared here with the plain computation written out
(every cell through its converter, ``json.dumps``) on the fixtures and on random reports
(tests/support/strategies.py, plus odd cell contents). tests/test_accelerators.py compares every
accelerator with its own plain path.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.collect.inbox import _all_cells, canonical, content_hash
from validator.context import build_context
from validator.formats import get_format
from validator.jsonio import MAX_JSON_OBJECTS, BadJson, load_json, parse_json_bytes
from validator.profile import Profile
from validator.submission import Submission
from validator.values import Problem, to_count, to_money, to_signed

from conftest import REPORTS
from support.strategies import valid_submission

FMT = get_format()
CONVERT = {"count": to_count, "money": to_money, "signed": to_signed}
NUMERIC = [c for c in (*FMT.figure_cells(), *FMT.baseline_cells) if c.kind in CONVERT]
ODD = st.one_of(
    st.integers(-(10**16), 10**16),
    st.sampled_from([True, False, None, "", " ", "3", "３", "1,234", "/", "-5", "3件", 2.0, 2.5, -1.0]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
FIXTURE_JSONS = sorted(REPORTS.glob("*.source.json"))


def plain_figures(sub: Submission) -> tuple[dict, dict]:
    """build_context's figures and problems, every cell through its converter."""
    figures, problems = {}, {}
    for cell in NUMERIC:
        raw = sub.values.get(cell.key)
        if not cell.required and (raw is None or (isinstance(raw, str) and not raw.strip())):
            continue
        value = CONVERT[cell.kind](raw)
        (problems if isinstance(value, Problem) else figures)[cell.key] = value
    return figures, problems


def assert_same_context(sub: Submission) -> None:
    ctx = build_context(sub, Profile())
    figures, problems = plain_figures(sub)
    assert ctx.figures == figures
    assert {k: type(v) for k, v in ctx.figures.items()} == {k: type(v) for k, v in figures.items()}
    assert ctx.problems == problems


@st.composite
def odd_submission(draw) -> Submission:
    """A valid report with some numeric cells replaced by anything a workbook cell may hold."""
    sub = draw(valid_submission())
    values = dict(sub.values)
    for cell in draw(st.lists(st.sampled_from(NUMERIC), max_size=8)):
        values[cell.key] = draw(ODD)
    return Submission(sub.format, values, sub.source, sub.explanations, sub.kind)


@pytest.mark.parametrize("path", FIXTURE_JSONS, ids=lambda p: p.name)
def test_fixtures_same_context(path):
    assert_same_context(load_json(path))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(odd_submission())
def test_random_reports_same_context(sub):
    assert_same_context(sub)


def plain_hash(canon: dict[str, str]) -> str:
    text = json.dumps(canon, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(odd_submission())
def test_content_hash_is_the_json_hash(sub):
    canon, figures = canonical(sub)
    assert content_hash(canon) == plain_hash(canon)
    unreadable: list[str] = []
    canonical(sub, unreadable)
    kinds = dict(_all_cells(FMT))
    assert set(unreadable) == {k for k, v in canon.items() if v.startswith("?") and kinds.get(k) in ("count", "money")}
    assert all(isinstance(v, (int, Decimal)) for v in figures.values())


def test_content_hash_of_fixtures_and_empty():
    assert content_hash({}) == plain_hash({})
    for path in FIXTURE_JSONS:
        canon = canonical(load_json(path))[0]
        assert content_hash(canon) == plain_hash(canon)


def test_duplicate_key_named_in_nested_object():
    with pytest.raises(BadJson, match="字段“b”出现了两次"):
        parse_json_bytes(b'{"a": {"x": 1, "b": 2, "y": 3, "b": 4}}')


def test_object_limit_still_counted():
    data = ("[" + ",".join(["{}"] * (MAX_JSON_OBJECTS + 1)) + "]").encode()
    with pytest.raises(BadJson, match=f"超过 {MAX_JSON_OBJECTS} 个"):
        parse_json_bytes(b'{"a": ' + data + b"}")
