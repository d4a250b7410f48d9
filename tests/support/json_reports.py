"""Real reports as the exporter writes them, and mutations of them, for tests of the JSON readers."""

from __future__ import annotations

import copy
import json

from hypothesis import strategies as st

from validator.engine import validate
from validator.formats import get_format
from validator.jsonio import BadJson, JsonNumber, dump_model, load_json, report_to_model, submission_from_dict
from validator.submission import Explanation, Submission

from conftest import REPORTS

FMT = get_format()
NAMES = ("fenxi-zfb_2023", "huaian-shi_2024", "pingtan_2021")


def set_limit(monkeypatch, name: str, value: int) -> None:
    """A JSON size limit changed wherever a reader holds it."""
    import validator.jsonio
    import validator.jsonlimits
    import validator.jsonshape
    import validator.readers.json_file

    for module in (validator.jsonio, validator.jsonlimits, validator.jsonshape, validator.readers.json_file):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, value)
    if name == "MAX_JSON_BYTES":  # the registry's reader holds it too
        import validator.readers

        json_reader = validator.readers.json_file.READER
        smaller = json_reader.replace(max_bytes=value)
        monkeypatch.setattr(
            validator.readers, "READERS", tuple(smaller if r is json_reader else r for r in validator.readers.READERS)
        )


def exported(name: str, explanations: list[Explanation] = (), last_year: bool = False) -> dict:
    """A real report as the exporter writes it, with its 校验结果 (findings) and staff's notes."""
    sub = load_json(REPORTS / f"{name}.source.json")
    values = dict(sub.values)
    if last_year:
        values["last_year.year"] = 2020
        for key in FMT.baseline_keys:
            values[f"last_year.{key}"] = 1
    sub = Submission(sub.format, values, sub.source, list(explanations), sub.kind)
    return json.loads(dump_model(report_to_model(sub, validate(sub))))


def exported_2019() -> dict:
    """A report in the read-only 2019 format (its figures include signed ones), filled in by kind."""
    fmt = get_format("gb-2019-60")
    by_kind = {"count": 1, "signed": -1, "money": "1.50", "year": 2019, "date": "2020-01-20", "text": "某单位"}
    values: dict[str, object] = {c.key: by_kind.get(c.kind, "概述") for c in (*fmt.cells, *fmt.baseline_cells)}
    values.update({c.key: c.choices[0] for c in fmt.cells if c.kind == "choice"}, **{"last_year.year": 2018})
    sub = Submission(fmt, values, "2019.json")
    return json.loads(dump_model(report_to_model(sub, validate(sub))))


BASES = [exported(n) for n in NAMES] + [
    exported("huaian-shi_2024", [Explanation("TXT-T3", ("applications.new.total",), "见说明\r\n第二行")], True)
]
ALL_BASES = [*BASES, exported_2019()]


def snapshot(sub: Submission) -> tuple:
    """Everything a Submission carries, with the type and spelling of every value."""
    values = [(k, type(v).__name__, repr(v)) for k, v in sub.values.items()]
    return sub.format.id, values, sub.explanations, sub.source, sub.kind, sub.aggregate_of


def outcome(obj: dict) -> tuple:
    """A parsed report read as ``check`` reads it: its submission, or the refusal's words."""
    try:
        return ("ok", snapshot(submission_from_dict(copy.deepcopy(obj), "x.json")))
    except BadJson as exc:
        return ("refused", str(exc))


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
