"""Every accelerator gives exactly what its plain path gives (validator/accel.py).

:data:`COMPARED` holds, for each registered accelerator, what to compare and on which inputs: the
outcome with the accelerator on must equal the outcome with it off (:func:`validator.accel.plain`),
value for value and type for type, refusal for refusal. An accelerator registered without an entry
here fails :func:`test_every_accelerator_is_compared`. ``XXGK_PLAIN=1`` turns every one off: a
whole check and a whole collect give the same result without any.

The fast workbook reader's own, deeper comparison (edited, mutated and LibreOffice-saved
workbooks) is tests/test_workbook_fastread.py.
"""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import validator.jsonio
from validator import accel
from validator.collect import run as run_module
from validator.collect.inbox import canonical, content_hash, figures_of
from validator.collect.result import dumps_result, result_dict
from validator.collect.run import Options, collect
from validator.engine import validate
from validator.errors import UnusableInput
from validator.jsonio import JsonNumber, dump_model, report_to_model, submission_from_dict
from validator.jsonshape import read_report
from validator.readers import xlsx as xlsx_reader
from validator.submission import Submission

from conftest import EXAMPLE, REPORTS, ROOT, TEMPLATE
from support.json_reports import ALL_BASES, BASES, FMT, NAMES, mutated, outcome, snapshot
from support.strategies import explanation, valid_submission

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def _edited(key_path: tuple, value: object, base: int = 0) -> dict:
    obj = copy.deepcopy(BASES[base])
    node = obj
    for part in key_path[:-1]:
        node = node[part]
    node[key_path[-1]] = value
    return obj


def _json_cases() -> Iterable[dict]:
    """Exported reports, the source fixtures, and edits each path must judge alike."""
    yield from ALL_BASES
    for name in NAMES:
        yield json.loads((REPORTS / f"{name}.source.json").read_text(encoding="utf-8"))
    for key_path, value in (
        (("year",), True),
        (("year",), JsonNumber("2023.0")),
        (("published_on",), "2024-02-30"),
        (("published_on",), "2024-01-29T00:00:00"),
        (("generator",), None),
        (("applications", "new", "total"), -1),
        (("proactive", "fees", "amount_wan_yuan"), JsonNumber("1.5")),
        (("proactive", "fees", "amount_wan_yuan"), "12.500"),
        (("body", "name"), "  某某局\r\n "),
        (("body", "region_code"), JsonNumber("141000.0")),
        (("narrative", "overview"), "一\r\n二\r三"),
        (("schema_version",), JsonNumber("1.0")),
        (("unreadable",), {"year": "二〇二三"}),
        (("aggregate",), {"bodies": ["甲局", " 乙局 "]}),  # a sum collect made: the model reads it
        (("aggregate",), None),
        (("aggregate",), {"bodies": ["甲局\x07"]}),
    ):
        yield _edited(key_path, value)
    twice = copy.deepcopy(BASES[3])
    twice["explanations"].append(copy.deepcopy(twice["explanations"][0]))
    yield twice


def _workbooks() -> Iterable[Path]:
    yield EXAMPLE
    yield TEMPLATE
    yield from sorted(REPORTS.glob("*.xlsx"))
    yield from sorted((ROOT / "xlsx_templates").glob("*.xls[xm]"))


def _grids(path: Path) -> tuple:
    try:
        fmt, grids = xlsx_reader.read_grids(path)
    except UnusableInput as exc:
        return ("refused", exc.code, str(exc))
    return ("read", fmt.id, [(s, [[(type(v).__name__, repr(v)) for v in row] for row in g]) for s, g in grids.items()])


def _hash_cases() -> Iterable[dict[str, str]]:
    for obj in ALL_BASES:
        yield canonical(submission_from_dict(copy.deepcopy(obj)))[0]
    yield {}
    yield {"b": '引号"与\\反斜杠', "a": "\x00\x1f\n", "explanations": "é汇总"}


def _canonical(sub: Submission) -> tuple:
    unreadable: list[str] = []
    canon, figures = canonical(sub, unreadable)
    only, texts = figures_of(sub)
    typed = lambda d: sorted((k, type(v).__name__, str(v)) for k, v in d.items())  # noqa: E731
    return sorted(canon.items()), typed(figures), unreadable, typed(only), sorted(texts.items())


def _canonical_cases() -> Iterable[Submission]:
    for obj in ALL_BASES:
        sub = submission_from_dict(copy.deepcopy(obj))
        yield sub
        for changes in (
            {"applications.new.total": None},
            {"applications.new.total": "3件", "applications.granted.total": -1},
            {"last_year.applications.carried_forward.total": 2, "last_year.year": 2020},
            {"applications.new.total": 10**15},
        ):
            yield Submission(sub.format, {**sub.values, **changes}, sub.source, sub.explanations, sub.kind)


def _sums(case: tuple[list[str], int]) -> list[tuple[str, str]]:
    kinds, rows = case
    rnd = random.Random(rows * 31 + len(kinds))
    keys = [f"k{i}" for i in range(len(kinds))]
    figures = [
        {
            k: (rnd.randrange(10**16) if kind == "count" else Decimal(rnd.randrange(10**30)).scaleb(-rnd.randrange(8)))
            for k, kind in zip(keys, kinds, strict=True)
        }
        for _ in range(rows)
    ]
    sums = run_module._column_sums(keys, figures)
    assert sums == [sum(f[k] for f in figures) for k in keys]
    return [(type(v).__name__, str(v)) for v in sums]


COMPARED: dict[str, tuple[Callable[[object], object], Callable[[], Iterable[object]]]] = {
    "json-model-free": (outcome, _json_cases),
    "xlsx-fast": (_grids, _workbooks),
    "content-hash": (content_hash, _hash_cases),
    "whole-numbers-at-once": (_canonical, _canonical_cases),
    "column-sums": (_sums, lambda: [(["count", "money"], 0), (["count", "money", "count"], 1025), (["money"] * 5, 7)]),
}


def test_every_accelerator_is_compared():
    assert {a.name for a in accel.accelerators()} == set(COMPARED)
    assert all(a.on for a in accel.accelerators())  # the tests run with every accelerator on


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMPARED))
def test_fast_and_plain_paths_agree(name):
    result, cases = COMPARED[name]
    seen = 0
    for case in cases():
        fast = result(case)
        with accel.plain(name):
            assert result(case) == fast, case if not isinstance(case, dict) else None
        seen += 1
    assert seen >= 3


# --------------------------------------------------------------------------- json-model-free


def assert_same_json(obj: dict) -> None:
    """Read with the model-free path and by the model alone: the same submission or the same words;
    the model-free path never accepts what the model refuses."""
    fast = outcome(obj)
    with accel.plain("json-model-free"):
        assert outcome(obj) == fast
    taken = read_report(copy.deepcopy(obj), _fmt(obj), "x.json")
    if taken is not None:
        assert ("ok", snapshot(taken)) == fast


def _fmt(obj: dict):
    from validator.formats import get_format, known_formats

    fmt_id = obj.get("format")
    return get_format(fmt_id) if isinstance(fmt_id, str) and fmt_id in known_formats() else FMT


@pytest.mark.parametrize("index", range(len(ALL_BASES)))
def test_exported_reports_take_the_model_free_path(index):
    obj = ALL_BASES[index]
    assert read_report(copy.deepcopy(obj), _fmt(obj), "x.json") is not None  # the accelerator applies
    assert_same_json(obj)


@pytest.mark.slow
@SETTINGS
@given(mutated())
def test_mutated_reports_same_submission_or_same_refusal(obj):
    assert_same_json(obj)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(valid_submission(), st.lists(explanation(), max_size=3))
def test_random_exported_reports_take_the_model_free_path(sub, notes):
    sub = Submission(sub.format, sub.values, sub.source, notes, sub.kind)
    obj = json.loads(dump_model(report_to_model(sub, validate(sub))))
    assert read_report(copy.deepcopy(obj), sub.format, "x.json") is not None
    assert_same_json(obj)


def test_a_refusal_is_the_models_message_word_for_word():
    for case in _json_cases():
        fast = outcome(case)
        if fast[0] == "refused":
            assert read_report(copy.deepcopy(case), _fmt(case), "x.json") is None


def test_collect_builds_no_model_for_exported_files(tmp_path, monkeypatch):
    """Instrumented: the pydantic model is never asked about files our exporter wrote."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, obj in enumerate(BASES):
        (inbox / f"{i}.json").write_text(json.dumps({**obj, "year": 2023}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(validator.jsonio, "report_from_dict", lambda *a: pytest.fail("the model was built"))
    result = collect(inbox, Options())
    assert len(result.items) == len(BASES) and all(i.readable for i in result.items)


def test_a_single_check_of_a_json_never_imports_pydantic():
    """What the model-free path is for: a clerk's check of an exported JSON loads no pydantic."""
    code = "import sys; from validator import api; api.check(sys.argv[1]); print('pydantic' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code, str(EXAMPLE.with_suffix(".json"))], capture_output=True, text=True
    )
    assert out.stdout.strip() == "False", out.stderr


# --------------------------------------------------------------------------- content-hash, column-sums


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(max_size=6), st.sampled_from(['"', "\\", "\x00", "\x1f", "\n", "\ud800", "é"])),
        min_size=3,
        max_size=3,
    )
)
def test_content_hash_with_and_without_characters_to_escape(texts):
    canon = {"b": texts[0], "a": texts[1], "explanations": texts[2]}
    with accel.plain("content-hash"):
        try:
            expected = content_hash(canon)
        except UnicodeEncodeError:  # a lone surrogate: neither can hash it
            with pytest.raises(UnicodeEncodeError):
                content_hash(canon)
            return
    assert content_hash(canon) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["count", "money"]), min_size=2, max_size=5), st.integers(0, 40))
def test_column_sums_are_the_sums_per_cell(kinds, rows):
    """run._column_sums (a body's row at a time, in blocks) adds exactly what a sum per cell
    adds, in the same order: the same ints, the same Decimals (type and digits)."""
    fast = _sums((kinds, rows))
    with accel.plain("column-sums"):
        assert _sums((kinds, rows)) == fast


# --------------------------------------------------------------------------- everything off


def _inbox(root: Path) -> Path:
    inbox = root / "inbox"
    inbox.mkdir()
    for i, obj in enumerate(copy.deepcopy(b) for b in BASES):
        obj["year"], obj["body"]["name"] = 2023, f"单位{i}"
        (inbox / f"{i}.json").write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    (inbox / "copy-of-1.json").write_bytes((inbox / "1.json").read_bytes() + b"\n")
    hostile = json.loads((inbox / "2.json").read_text(encoding="utf-8"))
    hostile["applications"]["new"]["total"] = True
    (inbox / "hostile.json").write_text(json.dumps(hostile, ensure_ascii=False), encoding="utf-8")
    for path in (EXAMPLE, REPORTS / "huaian-shi_2024.xlsx"):
        (inbox / path.name).write_bytes(path.read_bytes())
    return inbox


def test_collect_gives_the_same_result_with_every_accelerator_off(tmp_path):
    inbox = _inbox(tmp_path)
    fast = dumps_result(result_dict(collect(inbox, Options())))
    with accel.plain():
        assert not any(a.on for a in accel.accelerators())
        plain = dumps_result(result_dict(collect(inbox, Options())))
    assert fast == plain
    assert all(a.on for a in accel.accelerators())


@pytest.mark.slow
def test_the_plain_switch_in_the_environment(tmp_path):
    """``XXGK_PLAIN=1``: every accelerator off, and ``check --json`` prints the same report."""
    env = {**os.environ, "XXGK_PLAIN": "1"}
    code = "from validator import accel; print(sorted(a.name for a in accel.accelerators() if a.on))"
    off = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    assert off.stdout.strip() == "[]", off.stderr
    for source in (EXAMPLE, EXAMPLE.with_suffix(".json")):
        args = [sys.executable, "-m", "validator", "check", str(source), "--json"]
        plain = subprocess.run(args, env=env, capture_output=True, text=True, cwd=ROOT)
        fast = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
        assert plain.returncode == fast.returncode == 0 and plain.stdout == fast.stdout
