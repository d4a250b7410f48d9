"""Reading a JSON report: one parser that words every refusal, the model, and the model-free path.

The standard parser (jsonio.parse_json_bytes) refuses repeated keys, NaN, lone surrogates and
too many objects before anything is read, whichever path reads the result; a JSON number is
never a text. The model-free path (validator/jsonshape.py) lays a report out as the
model does: checked here against the model's own JSON schema, for every format.
"""

from __future__ import annotations

import copy
import json

import pytest

from validator import accel
from validator.formats import get_format, known_formats
from validator.jsonio import BadJson, read_json_bytes
from validator.jsonshape import _FINDING_KEYS, _FINDING_OPTIONAL, _layout, _Object
from validator.kinds import KINDS, REQUIRED
from validator.model import json_schema

from conftest import EXAMPLE
from support.json_reports import BASES, set_limit, snapshot

TEXT = EXAMPLE.with_suffix(".json").read_text(encoding="utf-8")


def read_both_ways(data: bytes) -> tuple:
    """The outcome with the model-free path, and with the model alone: asserted equal."""

    def read() -> tuple:
        try:
            return ("ok", snapshot(read_json_bytes(data, "x.json")))
        except BadJson as exc:
            return ("refused", exc.code, str(exc))

    fast = read()
    with accel.plain("json-model-free"):
        assert read() == fast
    return fast


# --------------------------------------------------------------------------- a number is not a text

TEXT_FIELDS = [
    ("body", "name"),
    ("body", "region_code"),
    ("body", "credit_code"),
    ("narrative", "overview"),
    ("generator", "version"),
]


@pytest.mark.parametrize("path", TEXT_FIELDS, ids=".".join)
@pytest.mark.parametrize("number", ["141000.0", "1.41e5", "-0.5"])
def test_a_json_number_where_the_schema_says_string_is_refused_like_the_integer(path, number):
    """``141000`` is refused there (“应为字符串”); ``141000.0`` and ``1.41e5`` were read as
    the text "141000.0". Now all three are refused with the same reason."""
    obj = json.loads(TEXT)
    obj[path[0]][path[1]] = 141000
    as_int = json.dumps(obj, ensure_ascii=False)
    as_number = as_int.replace(f'"{path[1]}": 141000', f'"{path[1]}": {number}', 1)
    assert as_number != as_int
    integer, fraction = read_both_ways(as_int.encode()), read_both_ways(as_number.encode())
    assert integer[0] == fraction[0] == "refused" and integer[1] == fraction[1] == "bad-json"
    assert f"{'.'.join(path)}：应为字符串，现为 141000" in integer[2]
    assert f"{'.'.join(path)}：应为字符串，现为 {number}" in fraction[2]


@pytest.mark.parametrize("where", ["explanation", "unreadable", "finding"])
def test_a_json_number_is_no_text_anywhere(where):
    obj = copy.deepcopy(BASES[3])
    if where == "explanation":
        obj["explanations"][0]["text"] = "X"
    elif where == "unreadable":
        obj["applications"]["new"]["total"], obj["unreadable"] = None, {"applications.new.total": "X"}
    else:
        obj["validation"]["findings"][0]["message"] = "X"
    text = json.dumps(obj, ensure_ascii=False).replace('"X"', "1.5", 1)
    outcome = read_both_ways(text.encode())
    assert outcome[0] == "refused" and "应为字符串" in outcome[2] and "1.5" in outcome[2]


# --------------------------------------------------------------------------- the parser's refusals


@pytest.mark.parametrize(
    "edit,needle",
    [
        (lambda t: t.replace('"year": 2023', '"year": NaN', 1), "NaN"),
        (lambda t: t.replace('"year": 2023', '"year": Infinity', 1), "Infinity"),
        (lambda t: t.replace('"name": "', '"name": "\\ud800', 1), "不成对的代理项"),
        (lambda t: t.replace('"year": 2023', '"year": 2023, "year": 2024', 1), "字段“year”出现了两次"),
        (lambda t: t.replace('"natural_person": 3', '"natural_person": 3, "natural_person": 4', 1), "natural_person"),
        (lambda t: t.replace('"year": 2023', '"year": 1' + "0" * 5000, 1), "位数过多"),
    ],
    ids=["nan", "infinity", "surrogate", "repeated", "repeated-nested", "digits"],
)
def test_the_parser_refuses_before_either_path_reads(edit, needle):
    text = edit(TEXT)
    assert text != TEXT
    outcome = read_both_ways(text.encode())
    assert outcome[0] == "refused" and needle in outcome[2], outcome


@pytest.mark.parametrize("extra", [-1, 0])
def test_the_limit_on_objects_holds_on_both_paths(extra, monkeypatch):
    data = TEXT.encode()
    set_limit(monkeypatch, "MAX_JSON_OBJECTS", data.count(b"{") + extra)
    outcome = read_both_ways(data)
    assert outcome[0] == ("refused" if extra < 0 else "ok")
    if extra < 0:
        assert "超过" in outcome[2]


def test_a_bom_and_any_layout_read_alike():
    obj = json.loads(TEXT)
    expected = read_both_ways(TEXT.encode())
    for text in (
        "\ufeff" + TEXT,
        json.dumps(obj, ensure_ascii=True),
        json.dumps(obj, ensure_ascii=False, separators=(",", ":")),
        json.dumps(obj, ensure_ascii=False, separators=(", ", " : ")),
    ):
        assert read_both_ways(text.encode("utf-8")) == expected


# --------------------------------------------------------------------------- the layout is the model's


def _resolve(schema: dict, node: dict) -> dict:
    """The object schema a property stands for: through $ref, and through ``anyOf`` with null."""
    if "anyOf" in node:
        node = next(n for n in node["anyOf"] if n.get("type") != "null")
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _nullable(node: dict) -> bool:
    return any(n.get("type") == "null" for n in node.get("anyOf", ()))


def _compare(schema: dict, root: dict, objects: tuple[_Object, ...], where: str) -> None:
    """Each object of the layout against the schema's object at the same path: its keys, the
    keys it must have, and for each cell whether it may be null and its default."""
    nodes: list[dict] = []
    for spec in objects:
        node = root if spec.parent < 0 else _resolve(schema, nodes[spec.parent]["properties"][spec.name])
        nodes.append(node)
        path = f"{where}.{spec.name}"
        if spec.parent >= 0:
            assert set(node["properties"]) == set(spec.names), path
            required = spec.names if spec.required is None else spec.required
            assert set(node.get("required", ())) == set(required), path
        for name, _, default, cell, _, _ in spec.cells:
            leaf = node["properties"][name]
            assert _nullable(leaf) == KINDS[cell.kind].nullable(cell), cell.key
            if default is REQUIRED:
                assert name in node["required"] and "default" not in leaf, cell.key
            else:
                assert name not in node.get("required", ()) and leaf["default"] == default, cell.key
        if spec.whole_keys:  # taken at once: every one present, an int or null
            names = [k.rsplit(".", 1)[1] for k in spec.whole_keys]
            assert all(name in node["required"] and _nullable(node["properties"][name]) for name in names), path
            assert all("integer" in json.dumps(node["properties"][name]) for name in names), path


@pytest.mark.parametrize("fmt_id", known_formats())
def test_the_model_free_layout_is_the_models_json_schema(fmt_id):
    fmt = get_format(fmt_id)
    schema = json_schema(fmt)
    layout = _layout(fmt)
    report = layout.report[0]
    assert set(schema["properties"]) == set(report.names)
    assert set(schema["required"]) == set(report.required)
    _compare(schema, schema, layout.report, "")
    last_year = _resolve(schema, schema["properties"]["last_year"])
    assert set(last_year["properties"]) == {"year", *layout.last_year} and not last_year.get("required")
    for root, objects in layout.last_year.items():
        assert _nullable(last_year["properties"][root])
        node = _resolve(schema, last_year["properties"][root])
        assert set(node["properties"]) == set(objects[0].names) == set(node["required"])
        _compare(schema, node, objects, f"last_year.{root}")
    defs = schema["$defs"]
    assert set(defs["Generator"]["properties"]) == set(defs["Generator"]["required"]) == {"name", "version"}
    finding = defs["FindingModel"]
    assert set(finding["required"]) == _FINDING_KEYS
    assert set(finding["properties"]) == _FINDING_KEYS | _FINDING_OPTIONAL
    validation = defs["ValidationModel"]
    assert set(validation["properties"]) == set(validation["required"]) == {"valid", "errors", "warnings", "findings"}
    explanation = defs["ExplanationModel"]
    assert set(explanation["properties"]) == set(explanation["required"]) == {"rule", "cells", "text"}
