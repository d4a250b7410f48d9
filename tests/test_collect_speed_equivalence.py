"""The receiving office's shortcuts give exactly what the plain path gives.

``collect`` reads thousands of JSON files, so: the JSON our exporter writes is read without the
pydantic model (validator/jsonfast.py), ``load_any`` reads a JSON file once, ``canonical``
takes this year's counts at once and ``content_hash`` skips escaping values that need none.
Each is compared here with the plain computation on the real reports, on random exported
reports and on mutations of them (a field removed, added, or holding anything JSON can hold):
the same submission down to the type and order of every value, or the same refusal with the
same message. A whole collect run with the shortcuts switched off gives the same result.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fast_paths import odd_submission
from test_roundtrip import explanation, valid_submission

import validator.jsonfast
import validator.jsonio
from validator import checks as checks_module
from validator.collect import inbox as inbox_module
from validator.collect import run as run_module
from validator.collect.inbox import _all_cells, _canonical_cells, canonical, content_hash, figures_of, read_item
from validator.collect.result import dumps_result, result_dict
from validator.collect.run import Options, collect
from validator.engine import validate
from validator.formats import get_format
from validator.jsonfast import JsonNumber, fast_submission
from validator.jsonio import (
    MAX_JSON_BYTES,
    BadJson,
    dump_model,
    load_json,
    parse_json_bytes,
    report_from_dict,
    report_to_model,
    submission_from_dict,
    submission_from_report,
)
from validator.readers import load as load_any
from validator.submission import Explanation, Submission

from conftest import REPORTS

FMT = get_format()
NAMES = ("fenxi-zfb_2023", "huaian-shi_2024", "pingtan_2021")
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def set_limit(monkeypatch, name: str, value: int) -> None:
    """A JSON size limit changed wherever a reader holds it."""
    import validator.jsonfast
    import validator.jsonio
    import validator.readers

    for module in (validator.jsonio, validator.jsonfast, validator.readers):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, value)


def exported(name: str, explanations: list[Explanation] = (), last_year: bool = False) -> dict:
    """A real report as the exporter writes it, with its 校验结果 (findings) and staff's notes."""
    sub = load_json(REPORTS / f"{name}.source.json")
    values = dict(sub.values)
    if last_year:
        values["last_year.year"] = 2020
        for key in FMT.baseline_keys:
            values[f"last_year.{key}"] = 1
    sub = Submission(sub.format, values, sub.source, list(explanations), sub.origin)
    return json.loads(dump_model(report_to_model(sub, validate(sub))))


BASES = [exported(n) for n in NAMES] + [
    exported("huaian-shi_2024", [Explanation("TXT-T3", ("applications.new.total",), "见说明\r\n第二行")], True)
]


def exported_2019() -> dict:
    """A report in the read-only 2019 format (its figures include signed ones), filled in by kind."""
    fmt = get_format("gb-2019-60")
    by_kind = {"count": 1, "signed": -1, "money": "1.50", "year": 2019, "date": "2020-01-20", "text": "某单位"}
    values: dict[str, object] = {c.key: by_kind.get(c.kind, "概述") for c in (*fmt.cells, *fmt.baseline_cells)}
    values.update({c.key: c.choices[0] for c in fmt.cells if c.kind == "choice"}, **{"last_year.year": 2018})
    sub = Submission(fmt, values, "2019.json")
    return json.loads(dump_model(report_to_model(sub, validate(sub))))


ALL_BASES = [*BASES, exported_2019()]


def snapshot(sub: Submission) -> tuple:
    """Everything a Submission carries, with the type and spelling of every value."""
    values = [(k, type(v).__name__, repr(v)) for k, v in sub.values.items()]
    return sub.format.id, values, sub.explanations, sub.source, sub.origin


def via_model(obj: dict) -> tuple:
    try:
        return ("ok", snapshot(submission_from_report(report_from_dict(obj, "x.json"), "x.json")))
    except BadJson as exc:
        return ("refused", str(exc))


def via_reader(obj: dict) -> tuple:
    try:
        return ("ok", snapshot(submission_from_dict(obj, "x.json")))
    except BadJson as exc:
        return ("refused", str(exc))


def assert_same(obj: dict) -> None:
    expected = via_model(copy.deepcopy(obj))
    assert via_reader(copy.deepcopy(obj)) == expected
    fast = fast_submission(copy.deepcopy(obj), "x.json")
    if fast is not None:  # the shortcut never accepts what the model refuses
        assert ("ok", snapshot(fast)) == expected


# --------------------------------------------------------------------------- mutations


def paths(node: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += paths(value, (*prefix, i))
    return out


ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.integers(-3, 10**15 + 3),
    st.sampled_from(
        [
            JsonNumber("1.0"),
            JsonNumber("2.5"),
            JsonNumber("1e3"),
            "",
            " ",
            "3",
            "12.50",
            "12\n",
            "0.000000000000000001",
            "1234567890123456",
            "-1",
            "2024-01-29",
            "2024-02-30",
            "2024-1-29",
            "20240129",
            "0000-01-01",
            "２０２４-01-29",
            "2024-01-29T00:00:00",
            "政府",
            "部门 ",
            "a\r\nb\rc",
            "\x01",
            "\ufffe",
            "x" * 32768,
            "TXT-T3",
            "applications.new.total",
            "gb-2021-30",
            "1.0",
            {},
            [],
            {"a": 1},
            [1],
            {"rule": "TXT-T3", "cells": [], "text": "x"},
            {"ref": "A1", "key": "year"},
        ]
    ),
    st.text(max_size=8),
)


@st.composite
def mutated(draw) -> dict:
    """A base report with 1–3 fields replaced, removed or added (ODD's {} and [] are copied:
    a later mutation may append to them)."""
    obj = copy.deepcopy(draw(st.sampled_from(ALL_BASES)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(obj)))
        parent = obj
        for part in path[:-1]:
            parent = parent[part]
        target = parent[path[-1]] if path else obj
        action = draw(st.sampled_from(("replace", "replace", "delete", "add", "duplicate")))
        if action == "replace" and path:
            parent[path[-1]] = copy.deepcopy(draw(ODD))
        elif action == "delete" and path:
            del parent[path[-1]]
        elif action == "add" and isinstance(target, dict):
            target[draw(st.sampled_from(("extra", "year", "name", "total", "valid")))] = copy.deepcopy(draw(ODD))
        elif action == "duplicate" and isinstance(target, list) and target:
            target.append(copy.deepcopy(target[0]))
        elif action == "add" and isinstance(target, list):
            target.append(copy.deepcopy(draw(ODD)))
    return obj


@pytest.mark.parametrize("index", range(len(ALL_BASES)))
def test_exported_reports_take_the_shortcut_with_the_same_result(index):
    obj = ALL_BASES[index]
    assert fast_submission(copy.deepcopy(obj), "x.json") is not None  # the shortcut is taken
    assert_same(obj)


@pytest.mark.parametrize("name", NAMES)
def test_source_fixtures_same_submission(name):
    obj = json.loads((REPORTS / f"{name}.source.json").read_text(encoding="utf-8"))
    assert fast_submission(copy.deepcopy(obj)) is not None
    assert_same(obj)


@SETTINGS
@given(mutated())
def test_mutated_reports_same_submission_or_same_refusal(obj):
    assert_same(obj)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(valid_submission(), st.lists(explanation(), max_size=3))
def test_random_exported_reports_same_submission(sub, notes):
    sub = Submission(sub.format, sub.values, sub.source, notes, sub.origin)
    obj = json.loads(dump_model(report_to_model(sub, validate(sub))))
    assert fast_submission(copy.deepcopy(obj)) is not None
    assert_same(obj)


def test_every_refusal_goes_to_the_model_with_its_message():
    """A few refusals by name: each is the model's message, word for word."""
    cases = []
    for key, value in (
        ("year", True),
        ("year", JsonNumber("2023.0")),
        ("published_on", "2024-02-30"),
        ("generator", None),
    ):
        obj = copy.deepcopy(BASES[0])
        obj[key] = value
        cases.append(obj)
    obj = copy.deepcopy(BASES[0])
    obj["applications"]["new"]["total"] = -1
    cases.append(obj)
    obj = copy.deepcopy(BASES[0])
    obj["proactive"]["fees"]["amount_wan_yuan"] = JsonNumber("1.5")
    cases.append(obj)
    obj = copy.deepcopy(BASES[3])
    obj["explanations"].append(copy.deepcopy(obj["explanations"][0]))
    cases.append(obj)
    for obj in cases:
        assert fast_submission(copy.deepcopy(obj)) is None
        outcome = via_reader(obj)
        assert outcome[0] == "refused" and outcome == via_model(obj)
    odd_but_accepted = copy.deepcopy(BASES[0])
    odd_but_accepted["schema_version"] = JsonNumber("1.0")  # the number 1.0: not plain, the model takes it
    assert fast_submission(copy.deepcopy(odd_but_accepted)) is None
    assert via_reader(odd_but_accepted) == via_model(odd_but_accepted)


DATES = ("2024-01-29", "2024-02-29", "2023-02-29", "2024-1-29", "20240129", "2024-W05-1", "2024-029", " 2024-01-29")
DATES += ("2024-01-29 ", "2024-01-29T00:00", "2024-01-29T00:00:00Z", "0001-01-01", "9999-12-31", "0000-01-01", "１")


@pytest.mark.parametrize("date", DATES)
def test_dates_same_as_the_model(date):
    obj = copy.deepcopy(BASES[0])
    obj["published_on"] = date
    assert_same(obj)


def test_money_and_text_are_normalized_as_the_model_does():
    obj = copy.deepcopy(BASES[0])
    obj["proactive"]["fees"]["amount_wan_yuan"] = "12.500"
    obj["body"]["name"] = "  某某局\r\n "
    obj["narrative"]["overview"] = "一\r\n二\r三"
    sub = fast_submission(copy.deepcopy(obj))
    assert sub is not None
    assert sub.values["proactive.fees.amount_wan_yuan"] == Decimal("12.5")
    assert str(sub.values["proactive.fees.amount_wan_yuan"]) == "12.5"
    assert sub.values["body.name"] == "某某局"
    assert sub.values["narrative.overview"] == "一\n二\n三"
    assert_same(obj)


# --------------------------------------------------------------------------- load_any reads once


def test_load_any_reads_json_once_with_the_same_result(tmp_path, monkeypatch):
    data = json.dumps(BASES[3], ensure_ascii=False).encode("utf-8")
    files = {
        "a.json": data,
        "bom.json": b"\xef\xbb\xbf" + data,
        "no-suffix": b"  \n" + data,
        "saved-as.xlsx": data,
        "bad.json": data[:-10],
        "dup.json": b'{"format": "gb-2021-30", "format": "x"}',
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        expected = submission_from_report(report_from_dict(json.loads(data.decode("utf-8-sig"))))
        if name in ("bad.json", "dup.json"):
            with pytest.raises(BadJson) as got:
                load_any(str(tmp_path / name))
            with pytest.raises(BadJson) as plain:
                parse_json_bytes(content, name)
            assert str(got.value) == str(plain.value)
            continue
        sub = load_any(str(tmp_path / name))
        assert snapshot(sub)[:3] == snapshot(expected)[:3] and sub.source == name
    opened = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self.name) or real_open(self, *a, **k))
    load_any(str(tmp_path / "a.json"))
    assert opened == ["a.json"]  # one open, not one for the sniff and one for the read


def test_oversized_json_is_refused_by_size_without_being_parsed(tmp_path, monkeypatch):
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.write(b"{")
        fh.truncate(MAX_JSON_BYTES + 1)
    monkeypatch.setattr(validator.jsonio, "parse_json_bytes", lambda *a: pytest.fail("parsed an oversized file"))
    with pytest.raises(BadJson, match="文件过大") as got:
        load_any(str(big))
    with pytest.raises(BadJson) as plain:
        load_json(big)
    assert str(got.value) == str(plain.value)


# --------------------------------------------------------------------------- canonical form and hash


def plain_canonical(sub: Submission) -> tuple[dict, dict, list]:
    """Every cell one by one (the general path), as canonical did before it took counts at once."""
    canon: dict = {}
    figures: dict = {}
    unreadable: list[str] = []
    _canonical_cells(sub, _all_cells(sub.format), canon, figures, unreadable)
    canon["explanations"] = canonical(Submission(sub.format, {}, explanations=sub.explanations))[0]["explanations"]
    return canon, figures, unreadable


def assert_same_canonical(sub: Submission) -> None:
    unreadable: list[str] = []
    canon, figures = canonical(sub, unreadable)
    plain, plain_figures, plain_unreadable = plain_canonical(sub)
    assert list(canon.items()) == list(plain.items())
    assert [(k, type(v), v) for k, v in figures.items()] == [(k, type(v), v) for k, v in plain_figures.items()]
    assert unreadable == plain_unreadable
    only_figures, texts = figures_of(sub)  # what describe keeps, without the other cells' texts
    assert [(k, type(v), v) for k, v in only_figures.items()] == [(k, type(v), v) for k, v in plain_figures.items()]
    assert list(texts.items()) == [(k, plain[k]) for k in plain_unreadable]


@pytest.mark.parametrize("index", range(len(BASES)))
def test_canonical_of_exported_reports(index):
    sub = submission_from_dict(copy.deepcopy(BASES[index]))
    assert_same_canonical(sub)


@SETTINGS
@given(odd_submission())
def test_canonical_of_odd_reports(sub):
    assert_same_canonical(sub)


@SETTINGS
@given(mutated())
def test_canonical_of_mutated_reports(obj):
    try:
        sub = submission_from_dict(obj)
    except BadJson:
        return
    assert_same_canonical(sub)


def plain_hash(canon: dict[str, str]) -> str:
    import hashlib

    text = json.dumps(canon, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    try:
        expected = plain_hash(canon)
    except UnicodeEncodeError:  # a lone surrogate: neither can hash it
        with pytest.raises(UnicodeEncodeError):
            content_hash(canon)
        return
    assert content_hash(canon) == expected


# --------------------------------------------------------------------------- a whole run


def _inbox(root: Path) -> tuple[Path, Path]:
    inbox, last = root / "inbox", root / "last"
    inbox.mkdir()
    last.mkdir()
    bases = [copy.deepcopy(b) for b in BASES]
    for i, obj in enumerate(bases):
        obj["year"] = 2023
        obj["body"]["name"] = f"单位{i}"
        (inbox / f"{i}.json").write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
        prior = copy.deepcopy(obj)
        prior["year"], prior["published_on"] = 2022, None
        (last / f"{i}.json").write_text(json.dumps(prior, ensure_ascii=False), encoding="utf-8")
    prior = json.loads((last / "1.json").read_text(encoding="utf-8"))
    (last / "1-copy.json").write_text(json.dumps(prior, ensure_ascii=False, indent=2), encoding="utf-8")
    prior["applications"]["new"]["natural_person"] += 1
    (last / "1-changed.json").write_text(json.dumps(prior, ensure_ascii=False), encoding="utf-8")
    prior = json.loads((last / "2.json").read_text(encoding="utf-8"))
    (last / "2-copy.json").write_text(json.dumps(prior, ensure_ascii=False, indent=2), encoding="utf-8")
    odd = copy.deepcopy(bases[0])
    odd["body"]["name"] = "单位0"
    odd["applications"]["new"]["total"] = None  # a blank figure: the cell-by-cell path
    (inbox / "0-v2.json").write_text(json.dumps(odd, ensure_ascii=False), encoding="utf-8")
    hostile = copy.deepcopy(bases[1])
    hostile["applications"]["new"]["total"] = True
    (inbox / "hostile.json").write_text(json.dumps(hostile, ensure_ascii=False), encoding="utf-8")
    (inbox / "copy-of-1.json").write_text(json.dumps(bases[1], ensure_ascii=False, indent=3), encoding="utf-8")
    (inbox / "quote.json").write_text(
        json.dumps({**bases[2], "body": {**bases[2]["body"], "name": '单位"2\\'}}, ensure_ascii=False), "utf-8"
    )
    return inbox, last


def _plain_canonical(sub: Submission, unreadable: list[str] | None = None) -> tuple[dict, dict]:
    canon, figures, found = plain_canonical(sub)
    if unreadable is not None:
        unreadable.extend(found)
    return canon, figures


def _plain_figures(sub: Submission) -> tuple[dict, dict]:
    canon, figures, unreadable = plain_canonical(sub)
    return figures, {k: canon[k] for k in unreadable}


def _usual_year_of_all_hashes(items) -> int | None:
    """The collect year as found before hashes were made only for files sharing a body."""
    from collections import Counter

    distinct = {i.digest: i.year for i in items if i.readable and i.year is not None}
    years = Counter(distinct.values())
    return max(years, key=lambda y: (years[y], y)) if years else None


def test_collect_gives_the_same_result_without_the_shortcuts(tmp_path, monkeypatch):
    inbox, last = _inbox(tmp_path)
    fast = dumps_result(result_dict(collect(inbox, Options(last_year_dir=last))))
    with monkeypatch.context() as m:
        m.setattr(validator.jsonfast, "fast_submission", lambda obj, source="JSON": None)
        m.setattr(inbox_module, "canonical", _plain_canonical)
        m.setattr(inbox_module, "figures_of", _plain_figures)
        m.setattr(validator.jsonio, "FAST_PARSE", False)
        m.setattr(run_module, "_usual_year", _usual_year_of_all_hashes)
        m.setattr(
            run_module,
            "read_item",
            lambda path, folder, published=False, content=True: read_item(path, folder, published),
        )
        plain = dumps_result(result_dict(collect(inbox, Options(last_year_dir=last))))
    assert fast == plain
    data = json.loads(fast)
    notes = {b["name"]: b.get("last_year_note") for b in data["bodies"]}
    assert "上年有两份内容不同的报告" in notes["单位1"]  # compared by content hash, computed when needed
    assert notes["单位2"] is None  # an identical copy (other spacing) is the same report
    assert data["counts"]["statuses"]["重复报送"] == 1 and data["counts"]["unreadable"] == 1
    hostile = next(f for f in data["files"] if f["file"] == "hostile.json")
    assert "应为整数" in hostile["reason"] or "整数" in hostile["reason"]


def test_hashes_are_made_only_when_something_reads_them(tmp_path, monkeypatch):
    """One file per body and no result JSON or archive: no hash is made (10,000 of them would go
    unread); the result JSON asks for them afterwards and gets the same hashes as made at once."""
    inbox, _ = _inbox(tmp_path)
    for extra in ("0-v2.json", "copy-of-1.json", "hostile.json"):
        (inbox / extra).unlink()
    made = []
    monkeypatch.setattr(inbox_module, "content_hash", lambda canon: made.append(canon) or content_hash(canon))
    result = collect(inbox, Options())
    assert made == [] and {b.status for b in result.bodies} <= {"通过", "有提示", "有错误"}
    files = result_dict(result)["files"]
    assert len(made) == len(files) >= 4
    for f, item in zip(files, result.items):
        assert f["sha256"] == content_hash(canonical(load_any(str(item.path)))[0])


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 2), st.sampled_from([2022, 2023, 2024, None])),
        min_size=1,
        max_size=12,
    )
)
def test_collect_year_counts_copies_once_as_before(files):
    """The collect year hashes only files sharing a body; it is the year found by hashing all:
    files are (body, variant, year) with copies, several versions and stray years."""
    items = []
    for n, (body, variant, year) in enumerate(files):
        values = dict(FMT_BLANK, **{"body.name": f"单位{body}", "year": year, "applications.new.total": variant})
        item = inbox_module.Item(Path(f"{n}.json"), f"{n}.json", None)  # type: ignore[arg-type]
        item.submission = Submission(FMT, values, f"{n}.json", origin="json")
        inbox_module.describe(item)
        items.append(item)
    expected = _usual_year_of_all_hashes([copy.copy(i) for i in items])
    assert run_module._usual_year(items) == expected


FMT_BLANK = dict.fromkeys(c.key for c in (*FMT.cells, *FMT.baseline_cells))


def test_collect_builds_no_model_for_exported_files(tmp_path, monkeypatch):
    """Instrumented: the pydantic model is never asked about files our exporter wrote."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, obj in enumerate(BASES):
        (inbox / f"{i}.json").write_text(json.dumps({**obj, "year": 2023}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(validator.jsonio, "report_from_dict", lambda *a: pytest.fail("the model was built"))
    monkeypatch.setattr(validator.jsonio, "parse_json_bytes", lambda *a: pytest.fail("the standard parser ran"))
    result = collect(inbox, Options())
    assert len(result.items) == len(BASES) and all(i.readable for i in result.items)


# --------------------------------------------------------------------------- orjson's path


def raw_dumps(obj: object, **options) -> str:
    """JSON text of `obj` with each :class:`JsonNumber` written as the number it stands for."""
    numbers: list[str] = []

    def swap(node: object) -> object:
        if isinstance(node, JsonNumber):
            numbers.append(str(node))
            return f"\ue000{len(numbers) - 1}\ue000"
        if isinstance(node, dict):
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    text = json.dumps(swap(obj), **options)
    for i, number in enumerate(numbers):
        text = text.replace(json.dumps(f"\ue000{i}\ue000", **options), number)
    return text


LAYOUTS = (
    {"ensure_ascii": False},
    {"ensure_ascii": True},  # every Chinese character escaped, astral ones as surrogate pairs
    {"ensure_ascii": False, "indent": 2},
    {"ensure_ascii": False, "separators": (",", ":")},
    {"ensure_ascii": False, "separators": (", ", " : ")},  # a space before each colon: the standard way
)
EDITS = (
    None,
    ("\ufeff", 0),  # a BOM
    ('"year": 2020, ', 1),  # a repeated key after the first “{”
    ('"year" : 2020, ', 1),  # … with a space before its colon, so the count of ": misses it
    ('"x": {"a": 1, "a": 2}, ', 1),
    ('"x": 1.5, ', 1),
    ('"x": 123456789012345678901234567890, ', 1),
    ('"x": "\\ud800", ', 1),  # a lone surrogate, escaped
    ('"x": "他说\\":", ', 1),  # a ":" inside a text
)


def read_both_ways(data: bytes, monkeypatch) -> tuple[tuple, tuple]:
    def read() -> tuple:
        try:
            return ("ok", snapshot(validator.jsonio.read_json_bytes(data, "x.json")))
        except BadJson as exc:
            return ("refused", str(exc))

    fast = read()
    with monkeypatch.context() as m:
        m.setattr(validator.jsonio, "FAST_PARSE", False)
        return fast, read()


def edited(text: str, edit: tuple[str, int] | None) -> str:
    if edit is None:
        return text
    insert, at = edit
    return text[:at] + insert + text[at:]


@SETTINGS
@given(mutated(), st.sampled_from(LAYOUTS), st.sampled_from(EDITS))
def test_orjson_path_same_submission_or_same_refusal(obj, layout, edit):
    """Read by orjson (jsonfast.submission_from_bytes) or by the standard parser, a file gives the
    same submission or the same refusal, whatever its layout, with repeated keys, a number
    with a fraction, a huge integer, a lone surrogate, a BOM, a ":" inside a text."""
    data = edited(raw_dumps(obj, **layout), edit).encode("utf-8")
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, plain = read_both_ways(data, monkeypatch)
    assert fast == plain


@pytest.mark.parametrize("index", range(len(ALL_BASES)))
@pytest.mark.parametrize("layout", range(len(LAYOUTS)))
@pytest.mark.parametrize("edit", range(len(EDITS)))
def test_orjson_path_on_exported_reports(index, layout, edit, monkeypatch):
    """Each exported report in each layout and with each edit: the same outcome both ways, and
    orjson's path is taken exactly when the text is plain (a repeated key never is)."""
    data = edited(raw_dumps(ALL_BASES[index], **LAYOUTS[layout]), EDITS[edit]).encode("utf-8")
    fast, plain = read_both_ways(data, monkeypatch)
    assert fast == plain
    taken = validator.jsonfast.submission_from_bytes(data, "x.json") is not None
    assert taken == (layout < 4 and edit in (0, 1))
    if taken:  # the shape's own count of keys is the text's
        pairs: list[int] = []
        json.loads(data.decode("utf-8-sig"), object_pairs_hook=lambda p: pairs.append(len(p)) or dict(p))
        fmt = get_format(ALL_BASES[index]["format"])
        tree = json.loads(data.decode("utf-8-sig"))
        assert validator.jsonfast._key_count(tree, validator.jsonfast._plan(fmt)) == sum(pairs)


@pytest.mark.parametrize("extra", [-1, 0])
def test_orjson_path_keeps_the_limit_on_objects(extra, monkeypatch):
    """A report with more objects than the limit is refused (by the standard parser's words),
    one at the limit is read; orjson's path leaves a text with more “{” than that to it."""
    data = raw_dumps(BASES[3], ensure_ascii=False).encode("utf-8")
    objects = data.count(b"{")
    set_limit(monkeypatch, "MAX_JSON_OBJECTS", objects + extra)
    fast, plain = read_both_ways(data, monkeypatch)
    assert fast == plain and fast[0] == ("refused" if extra < 0 else "ok")
    assert (validator.jsonfast.submission_from_bytes(data, "x.json") is None) == (extra < 0)


@pytest.mark.parametrize("index", range(7))
def test_orjson_path_refuses_repeated_keys(index, monkeypatch):
    """The repeated-key texts: orjson's path never takes one (it would keep the last value)."""
    data = _json_texts()[index]
    assert read_both_ways(data, monkeypatch)[0] == read_both_ways(data, monkeypatch)[1]
    if index in (1, 2, 3, 6):
        assert validator.jsonfast.submission_from_bytes(data, "x.json") is None


# --------------------------------------------------------------------------- 汇总 workbook rows


def _sheet(tmp_path: Path):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp_path / "rows.xlsx"), {"constant_memory": True})
    return wb, wb.add_worksheet("s")


def plain_inline(ws, text: str) -> str:
    """XlsxWriter's escapes, every one applied (what _inline did for any text but letters)."""
    from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate

    if len(text) > ws.xls_strmax // 2 and _utf16_len(text) > ws.xls_strmax:
        text = _utf16_truncate(text, ws.xls_strmax)
    text = ws._escape_control_characters(text)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f' t="inlineStr"><is><t{space}>{ws._escape_data(text)}</t></is>'


TEXTS = st.one_of(
    st.text(max_size=12),
    st.text(st.sampled_from(" \t\n\r\x01\x1f_x0A9F&<>\"'\ufffe\uffff\u3000\xa0汇总"), max_size=10),
    st.sampled_from(["", "第00001号单位", "00001.json", "_x0041_", "a_x00Z1_", " 前", "后 ", "a\u3000", "\x1cx"]),
)


@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_inline_text_is_what_xlsxwriter_writes(tmp_path_factory, text):
    from validator.collect.workbook import _inline

    wb, ws = _sheet(tmp_path_factory.mktemp("inline"))
    assert _inline(ws, text) == plain_inline(ws, text)
    wb.close()


CELL_VALUES = st.one_of(
    st.integers(-(10**16), 10**16),
    st.integers(0, 10**15 + 2),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.sampled_from([Decimal("0.5"), Decimal("123456789012345.6"), Decimal("1E+20")]),
    TEXTS,
    st.booleans(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL_VALUES, max_size=8), max_size=6), st.booleans())
def test_templated_rows_are_the_cell_by_cell_rows(tmp_path_factory, rows, styled):
    """Rows of the same pattern reuse one template; every row's XML is what the general path writes."""
    from validator.collect.workbook import RawRows, _style

    wb, ws = _sheet(tmp_path_factory.mktemp("rows"))
    formats = [wb.add_format({"border": 1}), wb.add_format({"bold": True})]
    raw = RawRows(ws, formats[0], 0, 8)
    for values in rows + rows:  # each pattern twice: the second from the template
        fmts = [formats[i % 2] for i in range(len(values))] if styled else None
        styles = [_style(f) for f in fmts] if fmts else [raw.style] * len(values)
        expected = raw._cell_by_cell("7", values, styles)
        got = raw._templated("7", values, tuple(styles) if fmts else None)
        assert got is None or got == expected
    wb.close()


def test_detail_rows_take_the_template(tmp_path):
    from validator.collect.workbook import RawRows

    wb, ws = _sheet(tmp_path)
    raw = RawRows(ws, wb.add_format({}), 0, 4)
    values = ["单位", "00001.json", 3, Decimal("1.5")]
    assert raw._templated("2", values, None) == raw._cell_by_cell("2", values, [raw.style] * 4)
    assert len(raw.templates) == 1
    wb.close()


# --------------------------------------------------------------------------- the rule engine's figures


def assert_same_context(sub: Submission) -> None:
    """build_context's figures and problems, keys in the same order, as every cell one by one."""
    from validator.context import _convert, _numeric_cells, build_context
    from validator.profile import Profile

    ctx = build_context(sub, Profile())
    figures: dict = {}
    problems: dict = {}
    _convert(sub.values, _numeric_cells(sub.format), figures, problems)
    assert [(k, type(v), v) for k, v in ctx.figures.items()] == [(k, type(v), v) for k, v in figures.items()]
    assert list(ctx.problems.items()) == list(problems.items())


@pytest.mark.parametrize("index", range(len(BASES)))
def test_context_of_exported_reports(index):
    assert_same_context(submission_from_dict(copy.deepcopy(BASES[index])))


@SETTINGS
@given(odd_submission())
def test_context_of_odd_reports(sub):
    assert_same_context(sub)


@SETTINGS
@given(mutated())
def test_context_of_mutated_reports(obj):
    try:
        sub = submission_from_dict(obj)
    except BadJson:
        return
    assert_same_context(sub)


def test_collect_workbook_leaves_xlsxwriter_as_it_was(tmp_path):
    """The 汇总 workbook is zipped at level 1 (validator.collect.workbook._fast_deflate), and
    XlsxWriter's own ZipFile is back afterwards for every other workbook."""
    import zipfile

    import xlsxwriter.workbook

    from validator.collect.workbook import write_collect_workbook

    inbox, _ = _inbox(tmp_path)
    write_collect_workbook(collect(inbox, Options()), tmp_path / "汇总.xlsx")
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    with zipfile.ZipFile(tmp_path / "汇总.xlsx") as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}
        assert z.testzip() is None


# --------------------------------------------------------------------------- localisation's equations


def _present_both(sub: Submission) -> None:
    """The generated residuals (validator.localize._residuals) give what the loop gives: the
    same equations in the same order and the same residuals; and the whole check report (its
    localised findings, messages, figures) is the same with the shortcut switched off."""
    from validator import localize
    from validator.context import build_context
    from validator.profile import Profile

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
    return Submission(sub.format, values, sub.source, list(sub.explanations), sub.origin)


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


# --------------------------------------------------------------------------- opening inbox files


def _odd_files(folder: Path) -> list[Path]:
    """Files ``load_any`` tells apart by content, size and kind."""
    base = json.dumps(BASES[0], ensure_ascii=False).encode("utf-8")
    duplicate = base.replace(b'"year":', b'"year": 2020, "year":', 1)
    files = {
        "plain.json": base,
        "bom.json": b"\xef\xbb\xbf" + base,
        "报告.json.1": b" \r\n\t" + base,
        "报告.txt": b"\xef\xbb\xbf {" + base[1:],
        "no-brace": b"[1, 2]",
        "list.json": b"[1, 2]",
        "empty.json": b"",
        "empty": b"",
        "gbk.json": '{"year": "年"}'.encode("gb18030"),
        "duplicate.json": duplicate,
        "bad.json": base[:-3],
        "zip.json": b"PK\x03\x04" + base,
        "ole.json": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + base,
        "报告.xlsx": (REPORTS / "fenxi-zfb_2023.xlsx").read_bytes(),
        "workbook.json": (REPORTS / "fenxi-zfb_2023.xlsx").read_bytes(),
        "big.json": base + b" " * 64,
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "link.json").symlink_to(folder / "plain.json")
    (folder / "dangling.json").symlink_to(folder / "gone.json")
    (folder / "dir.json").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "fifo.json")
    return sorted(folder.iterdir())


def _item_snapshot(item) -> tuple:
    sub = None if item.submission is None else snapshot(item.submission)
    return item.rel, item.received, item.error, item.identity, item.year, item.digest, item.canon, item.figures, sub


def test_read_item_opens_files_as_load_any_does(tmp_path, monkeypatch):
    """One open and one fstat (inbox._regular_json) give every file the item ``load_any``
    gives: same submission, same refusal, same time of arrival; a FIFO is never waited on."""
    size = len(json.dumps(BASES[0], ensure_ascii=False).encode("utf-8"))
    set_limit(monkeypatch, "MAX_JSON_BYTES", size + 16)  # big.json is over it
    paths = _odd_files(tmp_path)
    for content in (True, False):
        fast = [_item_snapshot(read_item(p, tmp_path, content=content)) for p in paths]
        monkeypatch.setattr(inbox_module, "FAST_OPEN", False)
        plain = [_item_snapshot(read_item(p, tmp_path, content=content)) for p in paths]
        monkeypatch.setattr(inbox_module, "FAST_OPEN", True)
        assert fast == plain
    taken = {p.name for p in paths if inbox_module._regular_json(p)[1] is not None}
    # a link is never opened by the one-open path (O_NOFOLLOW): load reads it once its target is
    # known to be inside the inbox
    assert taken == {"plain.json", "bom.json", "报告.json.1", "报告.txt", "list.json", "empty.json", "gbk.json"} | {
        "duplicate.json",
        "bad.json",
    }
    assert sum(_item_snapshot(read_item(p, tmp_path))[2] is None for p in paths) == 7


# --------------------------------------------------------------------------- repeated keys


def _json_texts() -> list[bytes]:
    base = json.dumps(BASES[0], ensure_ascii=False)
    objects = base.count("{")
    return [
        t.encode("utf-8")
        for t in (
            base,
            base.replace('"year":', '"year": 2020, "year":', 1),  # a repeated key at the top
            base.replace('"name":', '"name": "甲", "name":', 1),  # … and inside an object
            base.replace('"body":', '"body": {"a": {}}, "body":', 1),  # a repeated object: fewer kept
            base.replace('"name": "', '"name": "{{{', 1),  # braces in a text are not objects
            "[" + ",".join(["{}"] * objects) + "]",
            "[" + ",".join(['{"a": 1, "a": 2}'] * 3) + "]",
        )
    ]


@pytest.mark.parametrize("index", range(7))
@pytest.mark.parametrize("extra", [None, -1, 0, 1, 3])
def test_repeated_keys_refused_as_the_counting_hook_refuses(index, extra, monkeypatch):
    """Without counting objects (jsonio._unique_pairs, when the “{” are no more than the
    limit), a report reads or is refused exactly as with the counting hook, also at the limit."""
    data = _json_texts()[index]
    if extra is not None:  # the limit near this text's number of objects
        set_limit(monkeypatch, "MAX_JSON_OBJECTS", data.decode("utf-8").count("{") + extra)

    def parsed() -> tuple:
        try:
            return ("ok", parse_json_bytes(data))
        except BadJson as exc:
            return ("refused", str(exc))

    fast = parsed()
    monkeypatch.setattr(validator.jsonio, "FAST_KEYS", False)
    assert parsed() == fast
    if index in (1, 2, 3, 6):
        assert fast[0] == "refused"


# --------------------------------------------------------------------------- 汇总 sums


def _sums_both_ways(kinds: list[str], rows: int, rnd) -> None:
    keys = [f"k{i}" for i in range(len(kinds))]
    figures = [
        {
            k: (rnd.randrange(10**16) if kind == "count" else Decimal(rnd.randrange(10**30)).scaleb(-rnd.randrange(8)))
            for k, kind in zip(keys, kinds, strict=True)
        }
        for _ in range(rows)
    ]
    fast = run_module._column_sums(keys, figures)
    run_module.ADD_BY_ROWS = False
    try:
        plain = run_module._column_sums(keys, figures)
    finally:
        run_module.ADD_BY_ROWS = True
    assert [(type(v), str(v)) for v in fast] == [(type(v), str(v)) for v in plain]
    assert plain == [sum(f[k] for f in figures) for k in keys]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["count", "money"]), min_size=2, max_size=5),
    st.integers(0, 40),
    st.randoms(use_true_random=False),
)
def test_column_sums_are_the_sums_per_cell(kinds, rows, rnd):
    """run._column_sums (a body's row at a time, in blocks) adds exactly what a sum per cell
    adds, in the same order: the same ints, the same Decimals (type and digits)."""
    _sums_both_ways(kinds, rows, rnd)


@pytest.mark.parametrize("rows", [1023, 1024, 1025, 3000])
def test_column_sums_over_several_blocks(rows):
    import random

    _sums_both_ways(["count", "money", "count"], rows, random.Random(rows))


@pytest.mark.parametrize("told", [0, 10, "exact"])
def test_a_file_grown_since_its_fstat_is_read_whole(tmp_path, monkeypatch, told):
    """_regular_json reads the size fstat gave (+1, not the 50 MB limit at once) and goes on
    when the file turns out longer: the bytes are the file's, up to the limit, as load_any
    reads them."""
    path = tmp_path / "r.json"
    path.write_text(json.dumps(BASES[0], ensure_ascii=False), encoding="utf-8")
    real = os.fstat

    def fstat(fd):
        st = real(fd)
        size = st.st_size if told == "exact" else told
        extra = {"st_mtime": st.st_mtime, "st_atime": st.st_atime, "st_ctime": st.st_ctime}
        return os.stat_result((*st[:6], size, *st[7:10]), extra)

    monkeypatch.setattr(inbox_module.os, "fstat", fstat)
    assert inbox_module._regular_json(path)[1] == path.read_bytes()
    set_limit(monkeypatch, "MAX_JSON_BYTES", path.stat().st_size - 1)
    assert inbox_module._regular_json(path)[1] is None  # over the limit: load_any says so


@pytest.mark.parametrize("stated", [10, 59, 60])
def test_load_json_reads_the_size_it_has_and_refuses_a_file_grown_past_the_limit(tmp_path, monkeypatch, stated):
    """load_json (check's path for odd files) reads what stat() said and on, up to the limit:
    a file that grew past the limit since stat() is refused as too large, never parsed."""
    path = tmp_path / "r.json"
    path.write_bytes(b"{" + b" " * 98 + b"}")
    real_stat = Path.stat
    set_limit(monkeypatch, "MAX_JSON_BYTES", 60)
    monkeypatch.setattr(
        Path,
        "stat",
        lambda p, **kw: os.stat_result((0o100644, 0, 0, 1, 0, 0, stated, 0, 0, 0)) if p == path else real_stat(p, **kw),
    )
    monkeypatch.setattr(validator.jsonio, "parse_json_bytes", lambda *a: pytest.fail("parsed"))
    with pytest.raises(BadJson) as refused:
        load_json(path)
    assert refused.value.code == "too-large" and "文件过大" in str(refused.value)


@pytest.mark.parametrize("chunk", [1, 3, 4096, None])
@pytest.mark.parametrize(("size", "limit"), [(0, 10), (5, 10), (10, 10), (11, 10), (3, 100)])
@pytest.mark.parametrize("told", [-2, 0, 1])
def test_reading_a_descriptor_is_reading_the_file_object(tmp_path, monkeypatch, chunk, size, limit, told):
    """fileio.read_up_to on a descriptor (collect, without a buffered file object) gives what it
    gives on a file object, also when the system hands the bytes over a few at a time and when
    the file is longer or shorter than its fstat said."""
    from validator import fileio

    path = tmp_path / "f.json"
    path.write_bytes(bytes(range(65, 65 + size)))
    said = max(size + told, 0)
    with open(path, "rb") as fh:
        expected = fileio.read_up_to(fh, said, limit)
    if chunk is not None:
        real = os.read
        monkeypatch.setattr(fileio.os, "read", lambda fd, n: real(fd, min(n, chunk)))
    fd = os.open(path, os.O_RDONLY)
    try:
        assert fileio.read_up_to(fd, said, limit) == expected
    finally:
        os.close(fd)


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


def test_without_orjson_every_file_is_read_the_standard_way(monkeypatch):
    """orjson only speeds reading up: without it (an odd installation) the same submission comes."""
    data = raw_dumps(BASES[0], ensure_ascii=False).encode("utf-8")
    fast = read_both_ways(data, monkeypatch)[0]
    monkeypatch.setitem(sys.modules, "orjson", None)  # import orjson now raises ImportError
    assert validator.jsonfast.submission_from_bytes(data, "x.json") is None
    assert read_both_ways(data, monkeypatch)[0] == fast


def _discover_by_walking(inbox: Path, exclude) -> list[Path]:
    """discover as it was written with os.walk (a Path and an lstat per file)."""
    found = []
    names = {p.name.casefold() for p in exclude}
    for root, dirs, files in os.walk(inbox, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith((".", "~$")) or name.lower() in inbox_module.SKIPPED_NAMES:
                continue
            path = Path(root) / name
            if (name.casefold() in names or path.is_symlink()) and inbox_module._resolved(path) in exclude:
                continue
            found.append(path)
    return found


def test_discover_finds_what_walking_the_folders_finds(tmp_path):
    """The scandir walk gives the files, in the order, that os.walk gave: sub-folders after a
    folder's files, hidden and lock files and our outputs left out, folder links not followed."""
    inbox = tmp_path / "收件箱"
    for rel in ("b.json", "a.json", "~$a.xlsx", ".hidden.json", "Thumbs.db", "z/1.json", "z/y/2.json", "a-dir/3.json"):
        (inbox / rel).parent.mkdir(parents=True, exist_ok=True)
        (inbox / rel).write_text("{}", encoding="utf-8")
    (inbox / ".git").mkdir()
    (inbox / ".git" / "x.json").write_text("{}", encoding="utf-8")
    (inbox / "汇总.xlsx").write_text("out", encoding="utf-8")
    (inbox / "z" / "link-to-dir").symlink_to(inbox / "a-dir")
    (inbox / "z" / "link-to-file.json").symlink_to(inbox / "a.json")
    (inbox / "z" / "link-to-output.xlsx").symlink_to(inbox / "汇总.xlsx")
    (inbox / "dangling.json").symlink_to(inbox / "gone.json")
    outputs = {(inbox / "汇总.xlsx").resolve(), (tmp_path / "r.json").resolve()}
    for exclude in (outputs, set()):
        found = inbox_module.discover(inbox, exclude)
        assert found == _discover_by_walking(inbox, exclude)
    assert [p.relative_to(inbox).as_posix() for p in inbox_module.discover(inbox, outputs)] == [
        "a.json",
        "b.json",
        "dangling.json",
        "a-dir/3.json",
        "z/1.json",
        "z/link-to-file.json",
        "z/y/2.json",
    ]
    assert inbox_module.discover(tmp_path / "no-such-folder") == []
