"""The shared check path's shortcuts give exactly what the plain path gives.

``build_context`` takes a JSON figure as it is instead of converting it, the 总体情况 scan
(TXT-T3) skips a pattern whose required words the text lacks, ``collect`` hashes its
canonical form without ``json.dumps`` and the JSON reader tests keys for duplicates in C.
Each is compared here with the plain computation on the fixtures and on random reports
(the strategy of tests/test_roundtrip.py, plus odd cell contents).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_roundtrip import narrative_text, valid_submission

from validator import checks
from validator.collect.inbox import _all_cells, canonical, content_hash
from validator.context import build_context
from validator.engine import validate
from validator.formats import get_format
from validator.formats.gb_2021_30 import TEXT_PATTERNS
from validator.jsonio import MAX_JSON_OBJECTS, BadJson, load_json, parse_json_bytes
from validator.profile import Profile
from validator.submission import Submission
from validator.values import Problem, to_count, to_money, to_signed

from conftest import REPORTS

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


def plain_findings(sub: Submission, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    with monkeypatch.context() as m:
        m.setattr(checks, "_may_match", lambda pattern, text: True)
        return [f.as_dict() for f in validate(sub).findings]


@st.composite
def odd_submission(draw) -> Submission:
    """A valid report with some numeric cells replaced by anything a workbook cell may hold."""
    sub = draw(valid_submission())
    values = dict(sub.values)
    for cell in draw(st.lists(st.sampled_from(NUMERIC), max_size=8)):
        values[cell.key] = draw(ODD)
    return Submission(sub.format, values, sub.source, sub.explanations, sub.origin)


@pytest.mark.parametrize("path", FIXTURE_JSONS, ids=lambda p: p.name)
def test_fixtures_same_context_and_findings(path, monkeypatch):
    sub = load_json(path)
    assert_same_context(sub)
    assert [f.as_dict() for f in validate(sub).findings] == plain_findings(sub, monkeypatch)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(odd_submission())
def test_random_reports_same_context(sub):
    assert_same_context(sub)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(valid_submission())
def test_random_reports_same_findings(sub):
    with pytest.MonkeyPatch.context() as mp:
        assert [f.as_dict() for f in validate(sub).findings] == plain_findings(sub, mp)


WORDS = sorted(
    {w for w in ("新收", "收到", "受理", "接收", "办结", "答复", "完成办理", "结转", "顺延", "行政复议")}
    | set("申请件份个条起宗下年度至到政府信息公开诉讼，。 0123456789,")
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(narrative_text(), st.lists(st.sampled_from(WORDS), max_size=30).map("".join)))
def test_pattern_prefilter_never_hides_a_match(text):
    for spec in TEXT_PATTERNS.values():
        for pattern in spec["patterns"]:
            if checks._compiled(pattern).search(text):
                assert checks._may_match(pattern, text), (pattern, text)


def test_pattern_prefilter_skips_text_without_the_words():
    """The shortcut does something: an overview without 结转/顺延 skips the look-behind pattern."""
    slow = TEXT_PATTERNS["carried_forward"]["patterns"][1]
    assert not checks._may_match(slow, "本年度共收到申请12件，办结12件。")
    assert checks._may_match(slow, "12件申请结转下年度")


def plain_hash(canon: dict[str, str]) -> str:
    text = json.dumps(canon, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
