"""A report's JSON read without pydantic, laid out as the model lays it out.

A single ``check`` of a JSON would spend most of its time importing pydantic and building the
model (together some 1.8 billion instructions, against 0.51 billion for the whole check without them),
so the common case, a plainly well-formed report, is read here: the cells where the model puts
them (the format's cells, :func:`validator.model.key_tree`), each value held to its kind's own
JSON test (:func:`validator.kinds.read_json`, the test the model's types run), and the rest of the
document (generator, staff's notes, the exported 校验结果) held to what the model's classes
accept. Anything else (a missing or extra field, another type, anything in ``unreadable``)
gives None, and the model reads the file and says what is wrong, so a file is refused in the
same words either way. The parsed object comes from the standard parser
(:func:`validator.jsonio.parse_json_bytes`), which refuses repeated keys, NaN, lone surrogates
and too many objects before anything is read.

tests/test_accelerators.py compares this with the model on real, random and mutated reports;
tests/test_json_reading.py checks the layout against the model's own JSON schema.
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

from validator import accel
from validator.jsonlimits import MAX_CELLS_PER_ITEM, MAX_LIST_ITEMS
from validator.kinds import KINDS, REQUIRED, NotPlain, read_json
from validator.model import SCHEMA_VERSION, key_tree
from validator.spec import CellSpec, FormatSpec
from validator.submission import JSON, Explanation, Submission, text_problem, unknown_key, unknown_rule
from validator.values import MAX_COUNT, normalize_newlines

MODEL_FREE = accel.register(
    "json-model-free",
    __name__,
    "a plainly well-formed JSON report read without pydantic (a single check: 0.51 instead of about 2.5 billion "
    "instructions); off, the pydantic model reads every JSON",
)
_ABSENT: Any = object()
_NONE = type(None)
_INT_OR_NONE = frozenset({int, _NONE})
_BIG = 2**63
"""Plain ints beyond this (in ``validation``) go to the model, which decides about them."""


class _Object(NamedTuple):
    """One JSON object of the layout, reached from an earlier one (`parent`, an index into the
    objects read so far: 0 is the report) by its `name`."""

    parent: int
    name: str
    names: frozenset[str]
    """Its keys: all of them required (a section of figures), unless `required` says otherwise."""
    required: frozenset[str] | None
    """The keys it must have when some may be left out (the report, its cover); None: all."""
    cells: tuple[tuple[str, str, Any, CellSpec, Any, bool], ...]
    """(name, cell key, default or REQUIRED, cell, its kind's ``from_json``, nullable) of the
    cells read one by one (:func:`validator.kinds.read_json`, unrolled)."""
    whole: Any
    """The getter of its whole-number figures (counts, signed: present, int or null), taken at
    once and tested together with the report's others; None when it has none."""
    whole_keys: tuple[str, ...]
    """Their cell keys, in the getter's order."""


def _objects(tree: dict, parent: int, name: str, out: list[_Object]) -> None:
    """The objects of `tree` in the order they are read, each after its parent."""
    from operator import itemgetter

    cells, required, subtrees = [], [], []
    whole: list[tuple[str, str]] = []
    for key, node in tree.items():
        if isinstance(node, dict):
            subtrees.append((key, node))
            if key != "narrative":
                required.append(key)
            continue
        kind = KINDS[node.kind]
        default = kind.json_default(node)
        if default is REQUIRED:
            required.append(key)
        if kind.figure and kind.low in _LOWS and default is REQUIRED and kind.nullable(node):
            whole.append((key, node.key))
        else:
            cells.append((key, node.key, default, node, kind.from_json, kind.nullable(node)))
    taken = [n for n, _ in whole]
    get: Any = None
    if taken:
        get = itemgetter(*taken) if len(taken) > 1 else _single(taken[0])
    names = frozenset(tree)
    out.append(
        _Object(
            parent,
            name,
            names,
            None if set(required) == names else frozenset(required),
            tuple(cells),
            get,
            tuple(k for _, k in whole),
        )
    )
    index = len(out) - 1
    for key, node in subtrees:
        _objects(node, index, key, out)


_LOWS = (0, -MAX_COUNT)
"""The lowest values of the whole-number kinds taken at once: counts and signed figures."""


def _single(name: str) -> Any:
    return lambda obj: (obj[name],)


class _Layout(NamedTuple):
    report: tuple[_Object, ...]
    """This year: the report itself, its cover, figures, narrative (``last_year`` and the
    envelope are read apart)."""
    last_year: dict[str, tuple[_Object, ...]]
    last_year_cell: CellSpec
    baseline_keys: tuple[str, ...]
    blank: dict[str, object]
    """Every cell key of this year in the format's order (the model's order)."""
    signed: frozenset[str]
    """The whole-number cells that may be below 0."""


_ENVELOPE = frozenset(
    {"format", "schema_version", "generator", "last_year", "unreadable", "explanations", "validation", "aggregate"}
)


@cache
def _layout(fmt: FormatSpec) -> _Layout:
    report: list[_Object] = []
    _objects(key_tree([(c.key.split("."), c) for c in fmt.cells]), -1, "", report)
    root = report[0]
    required = root.names if root.required is None else root.required
    report[0] = root._replace(names=root.names | _ENVELOPE, required=required | {"format", "schema_version"})
    baseline: dict[str, tuple[_Object, ...]] = {}
    for key, sub in key_tree(
        [(c.key.split(".")[1:], c) for c in fmt.baseline_cells if c.key != "last_year.year"]
    ).items():
        section: list[_Object] = []
        _objects(sub, -1, key, section)
        baseline[key] = tuple(section)
    return _Layout(
        tuple(report),
        baseline,
        fmt.cell("last_year.year"),
        tuple(c.key for c in fmt.baseline_cells),
        {c.key: None for c in fmt.cells},
        frozenset(c.key for c in (*fmt.cells, *fmt.baseline_cells) if KINDS[c.kind].low < 0),
    )


def _read(root: object, objects: tuple[_Object, ...], out: dict[str, object], signed: frozenset[str]) -> None:
    """The objects under `root` checked for their keys and read, each value as
    :func:`validator.kinds.read_json` reads it (the whole numbers tested together)."""
    read: list[Any] = []
    taken: list[Any] = []
    keys: list[str] = []
    for parent, name, names, required, cells, whole, whole_keys in objects:  # plain tuples: unpacked at once
        obj = root if parent < 0 else read[parent].get(name, _ABSENT)
        if obj is _ABSENT:  # only an optional object can be missing: its parent's keys were checked
            read.append({})
            for _, key, default, _, _, _ in cells:
                out[key] = default
            out.update(dict.fromkeys(whole_keys))
            continue
        if type(obj) is not dict:
            raise NotPlain
        if required is None:
            if obj.keys() != names:
                raise NotPlain
        elif not required <= obj.keys() or not obj.keys() <= names:
            raise NotPlain
        read.append(obj)
        if whole is not None:
            taken.extend(whole(obj))
            keys.extend(whole_keys)
        for name, key, default, cell, from_json, nullable in cells:
            value = obj.get(name, _ABSENT)
            if value is _ABSENT:
                out[key] = default
            elif value is not None:
                out[key] = from_json(cell, value)
            elif nullable:
                out[key] = None
            else:
                raise NotPlain
    if not taken:
        return
    # what read_json gives each: an int in range (0 up for a count) or None, else NotPlain
    types = set(map(type, taken))
    if not types <= _INT_OR_NONE:
        raise NotPlain
    present = [v for v in taken if v is not None] if _NONE in types else taken
    if present and (max(present) > MAX_COUNT or min(present) < 0):
        if max(present) > MAX_COUNT or min(present) < -MAX_COUNT:
            raise NotPlain
        if any(v is not None and v < 0 and k not in signed for k, v in zip(keys, taken)):
            raise NotPlain
    out.update(zip(keys, taken))


def read_report(obj: dict, fmt: FormatSpec, source: str) -> Submission | None:
    """The submission the model gives for a plainly well-formed report of `fmt`, or None
    (then the model reads it). `obj` is what :func:`validator.jsonio.parse_json_bytes` parsed."""
    if not MODEL_FREE.on or obj.get("schema_version") != SCHEMA_VERSION or obj.get("format") != fmt.id:
        return None
    layout = _layout(fmt)
    values: dict[str, object] = layout.blank.copy()
    try:
        _read(obj, layout.report, values, layout.signed)
        if type(obj["schema_version"]) is not str or type(obj["format"]) is not str:
            raise NotPlain
        last = obj.get("last_year")
        if last is not None:
            values.update(_last_year(last, layout))
        unreadable = obj.get("unreadable", {})
        if type(unreadable) is not dict or unreadable:  # the model checks each entry against its cell
            raise NotPlain
        if obj.get("aggregate") is not None:  # a sum made by collect --aggregate: one per run
            raise NotPlain
        explanations = _explanations(obj.get("explanations", []), fmt)
        _validation(obj.get("validation"))
        _generator(obj.get("generator", _ABSENT))
    except NotPlain:
        return None
    return Submission(fmt, values, source, explanations, JSON)


def _last_year(last: object, layout: _Layout) -> dict[str, object]:
    """The ``last_year.*`` values the model gives: its year always, each figure when not null."""
    if type(last) is not dict or not last.keys() <= {"year", *layout.last_year}:
        raise NotPlain
    year = last.get("year")
    found: dict[str, object] = {layout.last_year_cell.key: read_json(layout.last_year_cell, year)}
    for root, objects in layout.last_year.items():
        section = last.get(root)
        if section is not None:
            _read(section, objects, found, layout.signed)
    return {k: found[k] for k in layout.baseline_keys if k in found and (found[k] is not None or k == "last_year.year")}


def _explanations(items: object, fmt: FormatSpec) -> list[Explanation]:
    if type(items) is not list or len(items) > MAX_LIST_ITEMS:
        raise NotPlain
    out: list[Explanation] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for item in items:
        if type(item) is not dict or item.keys() != {"rule", "cells", "text"}:
            raise NotPlain
        rule, cells, text = item["rule"], item["cells"], item["text"]
        if type(rule) is not str or unknown_rule(fmt, rule) or type(cells) is not list or type(text) is not str:
            raise NotPlain
        if len(cells) > MAX_CELLS_PER_ITEM or any(type(c) is not str or unknown_key(fmt, c) for c in cells):
            raise NotPlain
        key = (rule, tuple(cells))
        text = normalize_newlines(text)
        if key in seen or text_problem(text):
            raise NotPlain
        seen.add(key)
        out.append(Explanation(rule, key[1], text))
    return out


_FINDING_KEYS = frozenset({"rule", "severity", "scope", "cells", "message"})
_FINDING_OPTIONAL = frozenset({"expected", "actual", "explanation"})


def _validation(block: object) -> None:
    """The exported 校验结果, held to what the model accepts though nothing of it is kept (the
    receiving office checks again)."""
    if block is None:
        return
    if type(block) is not dict or block.keys() != {"valid", "errors", "warnings", "findings"}:
        raise NotPlain
    findings = block["findings"]
    if type(block["valid"]) is not bool or not _small_int(block["errors"]) or not _small_int(block["warnings"]):
        raise NotPlain
    if type(findings) is not list or len(findings) > MAX_LIST_ITEMS:
        raise NotPlain
    for f in findings:
        if type(f) is not dict or not _FINDING_KEYS <= f.keys() <= _FINDING_KEYS | _FINDING_OPTIONAL:
            raise NotPlain
        if not all(type(f[k]) is str for k in ("rule", "scope", "message", "severity")):
            raise NotPlain
        if f["severity"] not in ("error", "warning") or type(f["cells"]) is not list:
            raise NotPlain
        if len(f["cells"]) > MAX_CELLS_PER_ITEM:
            raise NotPlain
        for ref in f["cells"]:
            if type(ref) is not dict or ref.keys() != {"ref", "key"} or type(ref["ref"]) is not str:
                raise NotPlain
            if type(ref["key"]) is not str:
                raise NotPlain
        for k in ("expected", "actual"):
            v = f.get(k)
            if v is not None and type(v) is not str and not _small_int(v):
                raise NotPlain
        if f.get("explanation") is not None and type(f["explanation"]) is not str:
            raise NotPlain


def _small_int(value: object) -> bool:
    return type(value) is int and -_BIG < value < _BIG


def _generator(block: object) -> None:
    if block is _ABSENT:
        return
    if type(block) is not dict or block.keys() != {"name", "version"}:
        raise NotPlain
    if type(block["name"]) is not str or type(block["version"]) is not str:
        raise NotPlain
