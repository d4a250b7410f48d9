"""Normalized JSON in and out: Submission <-> AnnualReport model <-> bytes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from validator.errors import UnusableInput
from validator.fileio import read_up_to
from validator.formats import get_format, known_formats
from validator.jsonlimits import (
    MAX_AGGREGATE_BODIES,
    MAX_CELLS_PER_ITEM,
    MAX_JSON_BYTES,
    MAX_JSON_OBJECTS,
    MAX_LIST_ITEMS,
)
from validator.report import ValidationReport
from validator.spec import FormatSpec
from validator.submission import JSON, Explanation, Submission
from validator.values import normalize_newlines, to_text

_PYDANTIC_ZH = {
    "missing": "缺少此字段",
    "extra_forbidden": "不认识的字段（本格式没有这一项）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数（不能带小数点）",
    "int_parsing_size": "数字过大",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为字符串",
    "string_too_long": "文字过长",
    "string_unicode": "文字中含有无效的 Unicode 字符",
    "greater_than_equal": "不能为负数",
    "greater_than": "数字过小",
    "less_than_equal": "数字过大",
    "less_than": "数字过大",
    "literal_error": "取值不在允许范围内",
    "date_from_datetime_parsing": "应为日期，如 2024-01-29",
    "date_from_datetime_inexact": "应为日期，如 2024-01-29（不带时间）",
    "date_parsing": "应为日期，如 2024-01-29",
    "date_type": "应为日期，如 2024-01-29",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "too_long": "项目过多",
    "decimal_type": "应为字符串形式的十进制数",
    "decimal_parsing": "应为字符串形式的十进制数",
    "value_error": "取值无效",
}
_ESCAPED_SURROGATE = r"\\u[dD][89a-fA-F]"
_MAX_INT_DIGITS = 4300  # Python's own limit for int("…") (sys.get_int_max_str_digits)


class BadJson(UnusableInput):
    """A JSON report that cannot be used (code ``bad-json`` unless a more specific one is given)."""

    default_code = "bad-json"


class JsonNumber:
    """A JSON number with a fraction or exponent, kept as written. No field of the model takes
    it (figures are integers; amounts, names and texts are strings), so it is refused where an
    integer would be, and no float ever carries a figure."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"JsonNumber({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise BadJson(f"JSON 中字段“{key}”出现了两次，无法确定以哪个为准")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise BadJson(f"JSON 中含有 {name}，这不是合法的数字")


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    return f"第 {line} 行第 {index - (text.rfind(chr(10), 0, index) + 1) + 1} 列"


def _lone_surrogate_path(obj: Any) -> str | None:
    """The JSON path of the first key or string holding a lone UTF-16 surrogate (``"\\ud800"``):
    valid JSON, but no UTF-8 file, workbook or output can hold it."""
    stack: list[tuple[str, Any]] = [("", obj)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                sub = f"{path}.{key}" if path else str(key)
                if not key.isascii():
                    try:
                        key.encode("utf-8")
                    except UnicodeEncodeError:
                        return path or "（顶层）"
                stack.append((sub, value))
        elif isinstance(node, list):
            stack.extend((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(node))
        elif isinstance(node, str) and not node.isascii():
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return path or "（顶层）"
    return None


def _encoding_hint(data: bytes) -> str:
    """What the bytes probably are, so staff know which “另存为” option to pick."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2].count(0) == 1:
        return "；可能是 UTF-16 编码，请用记事本等“另存为” UTF-8"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    return "；可能是 GBK（GB18030）编码，请用记事本等“另存为” UTF-8"


def parse_json_bytes(data: bytes, source: str = "JSON") -> dict:
    """Strict JSON: UTF-8 (a BOM is tolerated), no duplicate keys, no NaN/Infinity, floats exact,
    no lone surrogates, at most 50 MB."""
    if len(data) > MAX_JSON_BYTES:
        raise _too_large(len(data), source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadJson(
            f"文件不是 UTF-8 编码（第 {exc.start} 字节处无法解码）{_encoding_hint(data)}", where=source
        ) from None
    objects = 0

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict:
        nonlocal objects
        objects += 1
        out = dict(pairs)  # C; _unique_keys names the repeated key when there is one
        if objects <= MAX_JSON_OBJECTS and len(out) == len(pairs):
            return out
        if objects > MAX_JSON_OBJECTS:
            raise BadJson(f"JSON 中的对象（{{…}}）超过 {MAX_JSON_OBJECTS} 个，不是一份年度报告")
        return _unique_keys(pairs)

    try:
        obj = json.loads(text, object_pairs_hook=unique_keys, parse_constant=_reject_constant, parse_float=JsonNumber)
    except UnusableInput as exc:
        raise BadJson(str(exc), where=source) from None
    except json.JSONDecodeError as exc:
        raise BadJson(f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）", where=source) from None
    except RecursionError:
        raise BadJson("JSON 嵌套层数过深", where=source) from None
    except MemoryError:
        raise BadJson("JSON 过大，内存不足，无法读取", where=source, code="too-large") from None
    except ValueError:  # int("…") refuses more than 4300 digits
        long = re.search(rf"\d{{{_MAX_INT_DIGITS + 1},}}", text)
        at = f"（{_position(text, long.start())}）" if long else ""
        raise BadJson(f"JSON 中有位数过多的数字{at}，件数最多 15 位", where=source) from None
    if not isinstance(obj, dict):
        raise BadJson("JSON 顶层应为对象（{…}）", where=source)
    if re.search(_ESCAPED_SURROGATE, text):  # compiled once, by re's own cache
        bad = _lone_surrogate_path(obj)
        if bad is not None:
            raise BadJson(f"{bad}：文字中含有无效的 Unicode 字符（不成对的代理项 \\uD800–\\uDFFF）", where=source)
    return obj


def _shown(value: Any, limit: int = 40) -> str:
    if isinstance(value, (JsonNumber, Decimal)):  # a number as written in the file
        text = str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def _format_of(obj: dict, source: str) -> FormatSpec:
    fmt_id = obj.get("format")
    if not isinstance(fmt_id, str) or fmt_id not in known_formats():
        raise BadJson(
            f"“format”为 {_shown(fmt_id)}，本工具只认识 {'、'.join(known_formats())}",
            where=source,
            code="unknown-format" if isinstance(fmt_id, str) else "bad-json",
        )
    return get_format(fmt_id)


def _reason(err: Mapping[str, Any]) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "greater_than_equal" and ctx.get("ge") not in (None, 0):
        reason = f"不能小于 {ctx['ge']}"
    elif kind == "less_than_equal" and "le" in ctx:
        reason = f"数字过大（不能超过 {ctx['le']}）"
    elif kind == "literal_error" and "expected" in ctx:
        reason = f"取值不在允许范围内（应为 {str(ctx['expected']).replace(' or ', ', ')} 之一）"
    else:
        reason = _PYDANTIC_ZH.get(kind, f"取值无效（{err['msg']}）")
    value = err.get("input")
    if kind not in ("missing", "extra_forbidden") and (value is None or isinstance(value, (str, int, JsonNumber))):
        reason += f"，现为 {_shown(value)}"
    return reason


def _check_list_sizes(obj: dict, source: str) -> None:
    aggregate = obj.get("aggregate")
    members = aggregate.get("bodies") if isinstance(aggregate, dict) else None
    if isinstance(members, list) and len(members) > MAX_AGGREGATE_BODIES:
        raise BadJson(f"aggregate.bodies：共 {len(members)} 项，超过上限 {MAX_AGGREGATE_BODIES}", where=source)
    unreadable = obj.get("unreadable")
    if isinstance(unreadable, dict) and len(unreadable) > MAX_CELLS_PER_ITEM:
        raise BadJson(f"unreadable：共 {len(unreadable)} 项，超过上限 {MAX_CELLS_PER_ITEM}", where=source)
    validation = obj.get("validation")
    lists = [
        ("explanations", obj.get("explanations")),
        ("validation.findings", validation.get("findings") if isinstance(validation, dict) else None),
    ]
    for path, items in lists:
        if not isinstance(items, list):
            continue
        if len(items) > MAX_LIST_ITEMS:
            raise BadJson(f"{path}：共 {len(items)} 项，超过上限 {MAX_LIST_ITEMS}（每个提示最多一条）", where=source)
        for i, item in enumerate(items):
            cells = item.get("cells") if isinstance(item, dict) else None
            if isinstance(cells, list) and len(cells) > MAX_CELLS_PER_ITEM:
                raise BadJson(f"{path}.{i}.cells：共 {len(cells)} 项，超过上限 {MAX_CELLS_PER_ITEM}", where=source)


def _cell_of(fmt: FormatSpec, path: str) -> Any:
    """The workbook cell a JSON path stands for (``narrative.overview`` → 文字部分!A4), if any."""
    try:
        return fmt.cell(path)
    except KeyError:
        return None


def report_from_dict(obj: dict, source: str = "JSON") -> Any:
    """Validate a parsed JSON object against the model; errors name the JSON path in Chinese."""
    from pydantic import ValidationError

    from validator.model import SCHEMA_VERSION, report_model  # lazy: loads pydantic

    fmt = _format_of(obj, source)
    if obj.get("schema_version") != SCHEMA_VERSION:
        raise BadJson(
            f"“schema_version”为 {_shown(obj.get('schema_version'))}，本版本工具读取的是 {SCHEMA_VERSION}", where=source
        )
    _check_list_sizes(obj, source)
    try:
        return report_model(fmt).model_validate(obj)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False)[:20]:
            path = ".".join(str(p) for p in err["loc"])
            cell = _cell_of(fmt, path)
            at = f"（工作簿中为 {cell.a1}）" if cell else ""
            lines.append(f"  {path}：{_reason(err)}{at}" if path else f"  {_reason(err)}")
        more = f"\n  ……共 {exc.error_count()} 处" if exc.error_count() > 20 else ""
        raise BadJson("JSON 内容不符合格式：\n" + "\n".join(lines) + more, where=source) from None


def load_json(path: str | Path) -> Submission:
    path = Path(path)
    try:
        if path.exists() and not path.is_file():
            raise BadJson("不是文件", where=str(path), code="not-found")
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise _too_large(size, path.name)
        with path.open("rb") as fh:
            data = read_up_to(fh, size, MAX_JSON_BYTES)  # what it has, and on if it grew since stat()
    except OSError as exc:
        raise BadJson(f"无法读取文件：{exc.strerror or exc}", where=str(path), code="not-found") from None
    if data is None:
        raise _too_large(MAX_JSON_BYTES + 1, path.name)
    return read_json_bytes(data, path.name)


def _too_large(size: int, where: str) -> BadJson:
    return BadJson(
        f"文件过大（{size // 1024 // 1024} MB），年度报告 JSON 不应超过 50 MB", where=where, code="too-large"
    )


def read_json_bytes(data: bytes, source: str = "JSON") -> Submission:
    """The submission of a JSON file's bytes, or the refusal with its reason: parsed by
    :func:`parse_json_bytes`, then :func:`submission_from_dict`. The one reader of JSON bytes
    for ``check``, ``collect``, the archive and a page's data block."""
    return submission_from_dict(parse_json_bytes(data, source), source)


def submission_from_dict(obj: dict, source: str = "JSON") -> Submission:
    """The submission of a parsed JSON report: read without pydantic when it is plainly well
    formed (:func:`validator.jsonshape.read_report`, the same result), through the model
    otherwise, which names what is wrong."""
    from validator.jsonshape import read_report  # lazy: off the check path

    fmt_id = obj.get("format")
    if type(fmt_id) is str and fmt_id in known_formats():
        submission = read_report(obj, get_format(fmt_id), source)
        if submission is not None:
            return submission
    return submission_from_report(report_from_dict(obj, source), source)


def _attr_path(model: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if model is None:
            return None
        model = getattr(model, part)
    return model


def submission_from_report(model: Any, source: str = "JSON") -> Submission:
    """The raw values of a validated report, read straight off the model (no dump: this is the
    receiving office's hot path)."""
    fmt = get_format(model.format)
    keys, getter = _cell_getter(fmt)
    values: dict[str, object] = dict(zip(keys, getter(model)))
    if model.last_year is not None:
        for cell in fmt.baseline_cells:
            value = _attr_path(model, _split(cell.key))
            if value is not None or cell.key == "last_year.year":
                values[cell.key] = value
    values.update(model.unreadable)  # the fields are null: the cells' content as entered
    explanations = [Explanation(e.rule, tuple(e.cells), e.text) for e in model.explanations]
    members = tuple(model.aggregate.bodies) if model.aggregate is not None else ()
    return Submission(fmt, values, source, explanations, JSON, aggregate_of=members)


@cache
def _split(key: str) -> tuple[str, ...]:
    return tuple(key.split("."))


@cache
def _cell_getter(fmt: FormatSpec) -> tuple[tuple[str, ...], Any]:
    """One C-level getter for every cell's dotted path (sections always present)."""
    from operator import attrgetter

    keys = tuple(c.key for c in fmt.cells)
    return keys, attrgetter(*keys)


def _nest(flat: dict[str, Any]) -> dict:
    out: dict = {}
    for key, value in flat.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def report_to_model(submission: Submission, validation: ValidationReport | None) -> Any:
    """The normalized model of a submission. A cell whose content its field's type cannot hold
    (“3件”, an unreadable date) is null there and kept as entered in ``unreadable``, so the
    receiving office's check gives the same 错误 and ``fill`` writes the same content back."""
    from validator.model import (  # lazy: loads pydantic
        SCHEMA_VERSION,
        UNREADABLE_KINDS,
        report_model,
        typed_value,
        unreadable_text,
    )

    fmt = submission.format
    raw = submission.values
    typed: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    cells = (*fmt.cells, *fmt.baseline_cells) if submission.has_baseline() else fmt.cells
    for cell in cells:
        if cell.kind not in UNREADABLE_KINDS:
            continue
        value = raw.get(cell.key)
        typed[cell.key] = typed_value(cell, value)
        if typed[cell.key] is None and to_text(value).strip():
            unreadable[cell.key] = unreadable_text(cell, value)
    region = to_text(raw.get("body.region_code")).strip()
    data: dict[str, Any] = {
        "format": fmt.id,
        "schema_version": SCHEMA_VERSION,
        "body": {
            "name": normalize_newlines(to_text(raw.get("body.name"))).strip(),
            "type": typed["body.type"],
            "region_code": region or None,
            "credit_code": to_text(raw.get("body.credit_code")).strip() or None,
        },
        "year": typed["year"],
        "published_on": typed["published_on"],
    }
    data.update(_nest({c.key: typed[c.key] for c in fmt.figure_cells()}))
    data["narrative"] = {
        c.key.split(".", 1)[1]: normalize_newlines(to_text(raw.get(c.key)))
        for c in fmt.cells
        if c.key.startswith("narrative.")
    }
    if submission.has_baseline():
        data["last_year"] = _nest({c.key: typed[c.key] for c in fmt.baseline_cells})["last_year"]
    data["unreadable"] = unreadable
    data["explanations"] = [
        {"rule": e.rule, "cells": list(e.keys), "text": normalize_newlines(e.text)}
        for e in canonical_explanations(submission.explanations, validation)
    ]
    if submission.aggregate_of:
        data["aggregate"] = {"bodies": list(submission.aggregate_of)}
    if validation is not None:
        data["validation"] = {
            "valid": validation.valid,
            "errors": len(validation.errors),
            "warnings": len(validation.warnings),
            "findings": [f.as_dict(localisation=False) for f in validation.findings],
        }
    return report_model(fmt).model_validate(data)


def canonical_explanations(explanations: list[Explanation], validation: ValidationReport | None) -> list[Explanation]:
    """One note per (rule, cells), in the order the 校验结果 sheet shows them: notes on current
    findings in findings order, then notes whose finding no longer appears, as given."""
    unique: dict[tuple[str, tuple[str, ...]], Explanation] = {}
    for e in explanations:
        if e.text.strip():
            unique.setdefault((e.rule, e.keys), e)
    if validation is None:
        return list(unique.values())
    order = list(dict.fromkeys((f.rule, f.keys) for f in validation.findings))
    matched = [unique[k] for k in order if k in unique]
    return matched + [e for k, e in unique.items() if k not in order]


def dump_model(model: Any) -> bytes:
    """The JSON file; ``unreadable`` only when there is something in it (valid reports never
    have it), ``aggregate`` only in a sum made by ``collect --aggregate``."""
    exclude = ({"unreadable"} if not model.unreadable else set()) | (
        {"aggregate"} if model.aggregate is None else set()
    )
    return model.model_dump_json(indent=2, exclude=exclude or None).encode("utf-8") + b"\n"
