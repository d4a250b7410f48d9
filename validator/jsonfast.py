"""The JSON our own exporter writes, read without the pydantic model.

:func:`fast_submission` gives exactly the :class:`~validator.submission.Submission` that
``submission_from_report(report_from_dict(obj))`` gives, or None as soon as anything is not
plainly well formed: a missing or extra field, a value of another type (a ``bool`` for a count,
a JSON number with a fraction, a ``str`` subclass), a figure out of range, a text no cell can
hold, anything in ``unreadable``. None sends the caller to the model, which gives the message,
so a file is refused with the same words either way; only the common case skips the model
(a tenth of a millisecond per file, and the receiving office reads 10,000 of them).
tests/test_collect_speed_equivalence.py compares both paths on real, random and mutated reports.

Also here, because the model and the JSON parser share them without importing pydantic: the
types and checks of amounts and texts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from validator.jsonlimits import MAX_CELLS_PER_ITEM, MAX_JSON_OBJECTS, MAX_LIST_ITEMS
from validator.spec import FormatSpec
from validator.submission import Explanation, Submission, text_problem, unknown_key, unknown_rule
from validator.values import MAX_COUNT, canonical_decimal, normalize_newlines

SCHEMA_VERSION = "1.0"
MONEY_TEXT = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_INT = 2**63
"""Plain ints beyond this (in ``validation``) go to the model, which decides about them."""


class JsonNumber(str):
    """A JSON number with a fraction or exponent, kept as its text: strict integer fields refuse
    it, and amounts refuse it too (they must be strings), so no float ever carries a figure."""


def money_from_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, JsonNumber) or not isinstance(value, str) or not MONEY_TEXT.match(value):
        raise ValueError('金额应写成字符串形式的非负十进制数，如 "12.5"（不能用 JSON 数字，以免精度丢失）')
    return Decimal(value)


def money_check(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValueError("金额应为非负数")
    return canonical_decimal(value)  # ValueError past 15 significant digits


def checked_text(value: Any) -> Any:
    if isinstance(value, str):
        value = normalize_newlines(value)
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
    return value


class _Refused(Exception):
    """Not the plain shape: the model decides."""


@dataclass(frozen=True)
class _Walk:
    """The JSON objects under one root and the figures in them, read by one function made for
    the format (:func:`_reader`): each object checked for its exact keys, parents first."""

    root_keys: frozenset[str]
    count_keys: tuple[str, ...]
    others: tuple[tuple[str, str], ...]
    """(cell key, kind) of the other figures (money, signed)."""
    read: Callable[[dict], tuple[tuple, tuple]]
    """The count values and the other figures' values under a root, or :class:`_Refused`."""
    keys: int
    """Keys of the objects under the root (each object's keys are exactly known)."""


@dataclass(frozen=True)
class _Plan:
    required: frozenset[str]
    allowed: frozenset[str]
    sections: _Walk
    baseline: dict[str, _Walk]
    """Per section of ``last_year`` (each may be null)."""
    body: tuple[tuple[str, str, str, bool, tuple[str, ...]], ...]
    """(field, cell key, kind, required, choices) of the cover."""
    narrative: tuple[tuple[str, str], ...]
    blank: dict[str, object]
    """Every cell key, in the format's order, each set by the reader."""
    baseline_keys: tuple[str, ...]


def _walk(tree: dict, prefix: tuple[str, ...]) -> _Walk:
    steps: list[tuple[int, str, frozenset[str]]] = []
    counts: list[tuple[int, str, str]] = []
    others: list[tuple[int, str, str, str]] = []

    def visit(node: dict, index: int, path: tuple[str, ...]) -> None:
        for name, sub in node.items():
            if sub == "count":
                counts.append((index, name, ".".join((*prefix, *path, name))))
            elif isinstance(sub, str):
                others.append((index, name, ".".join((*prefix, *path, name)), sub))
        for name, sub in node.items():
            if isinstance(sub, dict):
                steps.append((index, name, frozenset(sub)))
                visit(sub, len(steps), (*path, name))

    visit(tree, 0, ())
    return _Walk(
        frozenset(tree),
        tuple(key for _, _, key in counts),
        tuple((key, kind) for _, _, key, kind in others),
        _reader(steps, [(i, n) for i, n, _ in counts], [(i, n) for i, n, _, _ in others]),
        sum(len(keys) for _, _, keys in steps),
    )


def _reader(steps: list[tuple[int, str, frozenset[str]]], counts: list, others: list) -> Callable:
    """One function with a line per object and no loop (as ``dataclasses`` and ``namedtuple``
    make theirs): 40 objects and 200 figures per report cost a loop over them 30 µs more."""
    lines = ["def read(o0):"]
    names: dict[str, object] = {"Refused": _Refused}
    for j, (parent, name, keys) in enumerate(steps, 1):
        names[f"K{j}"] = keys
        lines.append(f"    o{j} = o{parent}[{name!r}]")
        lines.append(f"    if type(o{j}) is not dict or o{j}.keys() != K{j}: raise Refused")

    def values(items: list) -> str:
        return "(" + "".join(f"o{i}[{n!r}], " for i, n in items) + ")"

    lines.append(f"    return {values(counts)}, {values(others)}")
    exec("\n".join(lines), names)  # noqa: S102  (the format's own keys, as literals)
    return names["read"]  # type: ignore[return-value]


def key_tree(pairs) -> dict:
    """Nested dicts from (key path, leaf) pairs: the JSON layout of a format's cells."""
    tree: dict = {}
    for parts, leaf in pairs:
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = leaf
    return tree


@cache
def _plan(fmt: FormatSpec) -> _Plan | None:
    """How the model lays out `fmt` (validator.model.report_model), or None if a cell does not
    fit the layout this reader knows."""
    figures = [c for c in fmt.cells if c.kind in ("count", "money", "signed")]
    body, narrative = [], []
    for cell in fmt.cells:
        if cell in figures or cell.key in ("year", "published_on"):
            continue
        section, _, name = cell.key.partition(".")
        if section == "body" and cell.kind in ("text", "choice"):
            body.append((name, cell.key, cell.kind, cell.required, tuple(cell.choices)))
        elif section == "narrative" and cell.kind == "longtext":
            narrative.append((name, cell.key))
        else:
            return None
    kinds = {c.key: c.kind for c in fmt.cells}
    if kinds.get("year") != "year" or kinds.get("published_on") != "date":
        return None
    tree = key_tree([(c.key.split("."), c.kind) for c in figures])
    base = [c for c in fmt.baseline_cells if c.key != "last_year.year"]
    if any(c.kind != "count" for c in base) or "last_year.year" not in {c.key for c in fmt.baseline_cells}:
        return None
    base_tree = key_tree([(c.key.split(".")[1:], c.kind) for c in base])
    if not all(isinstance(sub, dict) for sub in (*tree.values(), *base_tree.values())):
        return None
    return _Plan(
        required=frozenset({"format", "schema_version", "body", "year", *tree}),
        allowed=frozenset(
            {"format", "schema_version", "generator", "body", "year", "published_on", *tree, "narrative"}
            | {"last_year", "unreadable", "explanations", "validation"}
        ),
        sections=_walk(tree, ()),
        baseline={root: _walk(sub, ("last_year", root)) for root, sub in base_tree.items()},
        body=tuple(body),
        narrative=tuple(narrative),
        blank=dict.fromkeys(c.key for c in fmt.cells),
        baseline_keys=tuple(c.key for c in fmt.baseline_cells),
    )


def fast_submission(obj: dict, source: str = "JSON") -> Submission | None:
    """The submission of a plainly well-formed report, or None (then the model reads it)."""
    from validator.formats import get_format, known_formats

    fmt_id, version = obj.get("format"), obj.get("schema_version")
    if (
        type(fmt_id) is not str
        or fmt_id not in known_formats()
        or type(version) is not str
        or version != SCHEMA_VERSION
    ):
        return None
    fmt = get_format(fmt_id)
    plan = _plan(fmt)
    if plan is None or not (plan.required <= obj.keys() <= plan.allowed):
        return None
    try:
        values = plan.blank.copy()  # in the order of the cells, as the model path gives them
        _cover(obj, plan, values)
        _figures(obj, plan.sections, values)
        last = obj.get("last_year")
        if last is not None:
            values.update(_baseline(last, plan))
        unreadable = obj.get("unreadable", {})
        if type(unreadable) is not dict or unreadable:
            return None
        explanations = _explanations(obj.get("explanations", []), fmt)
        _validation(obj.get("validation"))
        _generator(obj.get("generator", _ABSENT))
    except _Refused:
        return None
    return Submission(fmt, values, source, explanations, origin="json")


def submission_from_bytes(data: bytes, source: str = "JSON") -> Submission | None:
    """:func:`fast_submission` of a file's bytes parsed by orjson (four times faster than the
    standard parser), or None: then the caller parses with :func:`validator.jsonio.parse_json_bytes`,
    which gives the message. orjson keeps the last of a repeated key without a word, so a
    report is taken only when its objects' keys (exactly known once the shape is accepted)
    are as many as the ``":`` in the text: every key is followed by one, with no space
    between (else None), and a ``":`` in a text only adds to the count, never hides a key.
    A text with more “{” than the standard parser's limit on objects goes to it (orjson would
    build them all first: a million tiny objects took 500 MB).
    What the standard parser would refuse, orjson refuses too or gives a value the shape does
    not accept (a ``float``, where the standard parser gives :class:`JsonNumber`); NaN, lone
    surrogates, a BOM (stripped first, as ``utf-8-sig``) and nesting are its own refusals."""

    try:
        import orjson
    except ImportError:  # an installation without it reads every file the standard way
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if len(data) > 2 * MAX_JSON_OBJECTS and data.count(b"{") > MAX_JSON_OBJECTS:
        return None  # every object has its “{” and “}”: more may be many objects, which orjson would build first
    if _SPACE_BEFORE_COLON.search(data):
        return None
    try:
        obj = orjson.loads(data)
    except (ValueError, RecursionError, MemoryError):  # orjson.JSONDecodeError is a ValueError
        return None
    if type(obj) is not dict:
        return None
    sub = fast_submission(obj, source)
    if sub is None:
        return None
    if _key_count(obj, _plan(sub.format)) != data.count(b'":'):  # type: ignore[arg-type]
        return None
    return sub


_SPACE_BEFORE_COLON = re.compile(rb'"[ \t\r\n]+:')


def _key_count(obj: dict, plan: _Plan) -> int:
    """Keys in all objects of a report :func:`fast_submission` accepted (it checked every object)."""
    keys = len(obj) + plan.sections.keys + len(obj["body"]) + len(obj.get("narrative", ()))
    if "generator" in obj:
        keys += 2
    last = obj.get("last_year")
    if last is not None:
        keys += len(last)
        for root, walk in plan.baseline.items():
            if last.get(root) is not None:
                keys += len(walk.root_keys) + walk.keys
    keys += 3 * len(obj.get("explanations", ()))
    validation = obj.get("validation")
    if validation is not None:
        keys += 4 + sum(len(f) + 2 * len(f["cells"]) for f in validation["findings"])
    return keys


def _text(value: object, required: bool) -> object:
    if value is None and not required:
        return None
    if type(value) is not str:
        raise _Refused
    value = normalize_newlines(value)
    if text_problem(value):
        raise _Refused
    return value


def _cover(obj: dict, plan: _Plan, found: dict[str, object]) -> None:
    body = obj["body"]
    if type(body) is not dict or not body.keys() <= {f for f, *_ in plan.body}:
        raise _Refused
    for name, key, kind, required, choices in plan.body:
        if name not in body:
            if kind == "choice" or required:
                raise _Refused
            found[key] = None
            continue
        value = body[name]
        if kind == "choice":
            if value is not None and (type(value) is not str or value not in choices):
                raise _Refused
            found[key] = value
        else:
            text = _text(value, required)
            found[key] = text.strip() if isinstance(text, str) else text
    year = obj["year"]
    if year is not None and (type(year) is not int or not 1000 <= year <= 9999):
        raise _Refused
    found["year"] = year
    found["published_on"] = _date(obj.get("published_on"))
    narrative = obj.get("narrative", {})
    if type(narrative) is not dict or not narrative.keys() <= {n for n, _ in plan.narrative}:
        raise _Refused
    for name, key in plan.narrative:
        found[key] = _text(narrative[name], True) if name in narrative else ""


def _date(value: object) -> dt.date | None:
    if value is None:
        return None
    if type(value) is not str or not _DATE_TEXT.fullmatch(value):
        raise _Refused
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Refused from None


def _figures(root: dict, walk: _Walk, found: dict[str, object]) -> None:
    """Every figure under `root` into `found`, refusing any object whose keys differ."""
    values, other_values = walk.read(root)
    types = set(map(type, values))
    if not types <= _INT_OR_NONE:
        raise _Refused
    present = [v for v in values if v is not None] if _NONE in types else values
    if present and (min(present) < 0 or max(present) > MAX_COUNT):
        raise _Refused
    found.update(zip(walk.count_keys, values))
    for (key, kind), value in zip(walk.others, other_values):
        found[key] = _other(value, kind)


_NONE = type(None)
_INT_OR_NONE = frozenset({int, _NONE})


def _other(value: object, kind: str) -> object:
    if value is None:
        return None
    if kind == "signed":
        if type(value) is not int or not -MAX_COUNT <= value <= MAX_COUNT:
            raise _Refused
        return value
    if type(value) is not str:
        raise _Refused
    try:
        return money_check(money_from_json(value))
    except ValueError:
        raise _Refused from None


def _baseline(last: object, plan: _Plan) -> dict[str, object]:
    """The ``last_year.*`` values the model gives: its year always, each figure when not null."""
    if type(last) is not dict or not last.keys() <= {"year", *plan.baseline}:
        raise _Refused
    year = last.get("year")
    if year is not None and (type(year) is not int or not 1000 <= year <= 9999):
        raise _Refused
    found: dict[str, object] = {}
    for root, walk in plan.baseline.items():
        section = last.get(root)
        if section is not None:
            if type(section) is not dict or section.keys() != walk.root_keys:
                raise _Refused
            _figures(section, walk, found)
    out: dict[str, object] = {}
    for key in plan.baseline_keys:
        if key == "last_year.year":
            out[key] = year
        elif found.get(key) is not None:
            out[key] = found[key]
    return out


def _explanations(items: object, fmt: FormatSpec) -> list[Explanation]:

    if type(items) is not list or len(items) > MAX_LIST_ITEMS:
        raise _Refused
    out: list[Explanation] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for item in items:
        if type(item) is not dict or item.keys() != {"rule", "cells", "text"}:
            raise _Refused
        rule, cells, text = item["rule"], item["cells"], item["text"]
        if type(rule) is not str or unknown_rule(fmt, rule) or type(cells) is not list:
            raise _Refused
        if len(cells) > MAX_CELLS_PER_ITEM or any(type(c) is not str or unknown_key(fmt, c) for c in cells):
            raise _Refused
        key = (rule, tuple(cells))
        if key in seen:
            raise _Refused
        seen.add(key)
        out.append(Explanation(rule, key[1], str(_text(text, True))))
    return out


_FINDING_KEYS = frozenset({"rule", "severity", "scope", "cells", "message"})
_FINDING_OPTIONAL = frozenset({"expected", "actual", "explanation"})


def _validation(block: object) -> None:
    """Checked as the model checks it, though nothing of it is kept (the receiving office checks again)."""

    if block is None:
        return
    if type(block) is not dict or block.keys() != {"valid", "errors", "warnings", "findings"}:
        raise _Refused
    findings = block["findings"]
    if type(block["valid"]) is not bool or not _small_int(block["errors"]) or not _small_int(block["warnings"]):
        raise _Refused
    if type(findings) is not list or len(findings) > MAX_LIST_ITEMS:
        raise _Refused
    for f in findings:
        if type(f) is not dict or not _FINDING_KEYS <= f.keys() <= _FINDING_KEYS | _FINDING_OPTIONAL:
            raise _Refused
        if not all(type(f[k]) is str for k in ("rule", "scope", "message")) or f["severity"] not in _SEVERITIES:
            raise _Refused
        if type(f["severity"]) is not str or type(f["cells"]) is not list or len(f["cells"]) > MAX_CELLS_PER_ITEM:
            raise _Refused
        for ref in f["cells"]:
            if type(ref) is not dict or ref.keys() != {"ref", "key"} or type(ref["ref"]) is not str:
                raise _Refused
            if type(ref["key"]) is not str:
                raise _Refused
        for k in ("expected", "actual"):
            v = f.get(k)
            if v is not None and type(v) is not str and not _small_int(v):
                raise _Refused
        if f.get("explanation") is not None and type(f["explanation"]) is not str:
            raise _Refused


_SEVERITIES = ("error", "warning")


def _small_int(value: object) -> bool:
    return type(value) is int and -_MAX_INT < value < _MAX_INT


def _generator(block: object) -> None:
    if block is _ABSENT:
        return
    if type(block) is not dict or block.keys() != {"name", "version"}:
        raise _Refused
    if type(block["name"]) is not str or type(block["version"]) is not str:
        raise _Refused


_ABSENT = object()
