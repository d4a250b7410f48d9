"""The rule engine's shortcuts give exactly what the plain path gives.

The 总体情况 scan (TXT-T3) skips a pattern whose required words the text lacks and tries a
pattern only where a text it must start with occurs; the localiser computes every equation's
residual by one generated function. Each is compared here with the plain computation on the
fixtures and on random reports (the strategy of tests/test_roundtrip.py, plus odd cell contents).
The accelerators of readers and collect are compared in tests/test_accelerators.py.
"""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_roundtrip import narrative_text, valid_submission

from validator import checks
from validator import checks as checks_module
from validator.context import build_context
from validator.engine import validate
from validator.formats import get_format
from validator.formats.gb_2021_30 import TEXT_PATTERNS
from validator.jsonio import BadJson, load_json, submission_from_dict
from validator.profile import Profile
from validator.submission import Submission
from validator.values import to_count, to_money, to_signed

from conftest import REPORTS
from support.json_reports import ALL_BASES, BASES, mutated

FMT = get_format()
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
CONVERT = {"count": to_count, "money": to_money, "signed": to_signed}
NUMERIC = [c for c in (*FMT.figure_cells(), *FMT.baseline_cells) if c.kind in CONVERT]
ODD = st.one_of(
    st.integers(-(10**16), 10**16),
    st.sampled_from([True, False, None, "", " ", "3", "３", "1,234", "/", "-5", "3件", 2.0, 2.5, -1.0]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
FIXTURE_JSONS = sorted(REPORTS.glob("*.source.json"))


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
    return Submission(sub.format, values, sub.source, sub.explanations, sub.kind)


@pytest.mark.parametrize("path", FIXTURE_JSONS, ids=lambda p: p.name)
def test_fixtures_same_findings(path, monkeypatch):
    sub = load_json(path)
    assert [f.as_dict() for f in validate(sub).findings] == plain_findings(sub, monkeypatch)


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


# --------------------------------------------------------------------------- localisation's equations


def _present_both(sub: Submission) -> None:
    """The generated residuals (validator.localize._residuals) give what the loop gives: the
    same equations in the same order and the same residuals; and the whole check report (its
    localised findings, messages, figures) is the same with the shortcut switched off."""
    from validator import localize

    ctx = build_context(sub, Profile())
    static = localize._format_equations(ctx.format, localize._active(ctx))
    fast_eqs, fast_residual = localize._present(ctx.figures, static)
    eqs, residual = localize._present_each(ctx.figures, static)
    assert [id(e) for e in fast_eqs] == [id(e) for e in eqs] and fast_residual == residual
    if len(eqs) == len(static):  # every cell a figure: each generated residual is the loop's
        each = [residual.get(id(eq), 0) for eq in static]
        assert list(localize._residuals(static)(ctx.figures)) == each
    fast = validate(sub).as_dict()
    localize.FAST_RESIDUALS = False
    try:
        assert validate(sub).as_dict() == fast
    finally:
        localize.FAST_RESIDUALS = True


@st.composite
def nudged(draw) -> Submission:
    """A real report with 1–3 figures changed by a little: sums fail, some located, some not;
    or a figure left blank (its equations prove nothing) or given as a Decimal-like text."""
    obj = copy.deepcopy(draw(st.sampled_from(ALL_BASES)))
    sub = submission_from_dict(obj)
    values = dict(sub.values)
    keys = [c.key for c in sub.format.cells if c.kind in ("count", "signed") and type(values.get(c.key)) is int]
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(keys))
        change = draw(st.sampled_from(("add", "add", "blank", "text")))
        if type(values[key]) is not int:  # already changed
            continue
        if change == "add":
            values[key] = max(0, values[key] + draw(st.integers(-3, 3).filter(bool)))
        elif change == "blank":
            values[key] = None
        else:
            values[key] = f"{values[key]}.0"
    return Submission(sub.format, values, sub.source, list(sub.explanations), sub.kind)


@pytest.mark.parametrize("index", range(len(ALL_BASES)))
def test_residuals_of_exported_reports(index, monkeypatch):
    from validator import localize

    _present_both(submission_from_dict(copy.deepcopy(ALL_BASES[index])))
    monkeypatch.setattr(localize, "_present_each", lambda *a: pytest.fail("a valid report took the loop"))
    sub = submission_from_dict(copy.deepcopy(BASES[index % len(BASES)]))
    assert validate(sub).as_dict()  # instrumented: every equation holds, the generated function said so


@SETTINGS
@given(nudged())
def test_residuals_of_nudged_reports(sub):
    _present_both(sub)


@SETTINGS
@given(odd_submission())
def test_residuals_of_odd_reports(sub):
    _present_both(sub)


@SETTINGS
@given(mutated())
def test_residuals_of_mutated_reports(obj):
    try:
        sub = submission_from_dict(obj)
    except BadJson:
        return
    _present_both(sub)


# --------------------------------------------------------------------------- TXT-T3's prefilter


def _overview_patterns() -> list[str]:
    rule = next(r for r in FMT.rules if r.check == "text_numbers")
    return [p for spec in rule.params["patterns"].values() for p in spec["patterns"]]


_PIECES = sorted(
    {s for p in _overview_patterns() for alts in __import__("validator.checks").checks._required_texts(p) for s in alts}
)


_ODD_PATTERNS = [
    "(?:ab|a)c",
    "(?:a|)b",
    "(?:ab)?c",
    "a*b",
    "ab*",
    "(a)(?<=a)b",
    "(?i:a)b",
    "(?:x(?:y|yy)|z)\\d?",
    "a(?<!aa)a",
    "aa|a",
]


def _spans(matches) -> list[tuple]:
    return [(m.span(), m.groups()) for m in matches]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(_PIECES), st.sampled_from(["1", "12", "，", "a", "b", "y", "z"])), max_size=16)
)
def test_matches_tried_where_they_can_start_are_finditers(parts):
    """checks._finditer (the pattern tried only where a text it must start with occurs) gives
    the matches re.finditer gives, for every TXT-T3 pattern and some awkward ones."""
    text = "".join(parts)
    for pattern in [*_overview_patterns(), *_ODD_PATTERNS]:
        expected = _spans(re.compile(pattern).finditer(text))
        assert _spans(checks_module._finditer(pattern, text)) == expected, pattern


def test_leading_texts_are_read_off_the_pattern():
    leading = checks_module._leading_texts
    assert leading("(?:新收|收到)(\\d+)件") == {"新收", "收到"}
    assert leading("行政复议(?:案件)?") == {"行政复议"}
    assert leading("(?:ab|a)c") in ({"ab", "a"}, {"a"})  # the parser may take the common "a" out first
    for pattern in ("(?:a|)b", "(?:ab)?c", "a*b", "(?i:a)b", "(?<![\\d.,])(\\d+)件", "(?i)ab"):
        assert leading(pattern) is None, pattern
    assert sum(leading(p) is not None for p in _overview_patterns()) >= 5  # the shortcut is taken


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)), max_size=12))
def test_prefilter_is_the_generic_test(parts):
    """checks._prefilter (one expression per pattern) says what the generic all/any test says,
    for every TXT-T3 pattern, on texts made of the patterns' own pieces."""
    text = "".join(parts)
    fast = [checks_module._may_match(p, text) for p in _overview_patterns()]
    checks_module.FAST_PREFILTER = False
    try:
        assert [checks_module._may_match(p, text) for p in _overview_patterns()] == fast
    finally:
        checks_module.FAST_PREFILTER = True
    assert checks_module._prefilter("(?i)受理")("") and checks_module._prefilter(r"\d+")("")  # nothing certain
