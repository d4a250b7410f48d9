"""Normalized JSON in and out: Submission <-> AnnualReport model <-> bytes."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from validator.engine import build_context
from validator.errors import UnusableInput
from validator.formats import get_format, known_formats
from validator.profile import Profile
from validator.report import ValidationReport
from validator.spec import FormatSpec
from validator.submission import Explanation, Submission
from validator.values import normalize_newlines, to_date, to_text, to_year

MAX_JSON_BYTES = 50 * 1024 * 1024

_PYDANTIC_ZH = {
    "missing": "缺少此字段",
    "extra_forbidden": "不认识的字段（本格式没有这一项）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "string_type": "应为字符串",
    "greater_than_equal": "不能为负数",
    "less_than_equal": "数字过大",
    "literal_error": "取值不在允许范围内",
    "date_from_datetime_parsing": "应为日期，如 2024-01-29",
    "date_parsing": "应为日期，如 2024-01-29",
    "date_type": "应为日期，如 2024-01-29",
    "model_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "value_error": "取值无效",
}


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise UnusableInput(f"JSON 中字段“{key}”出现了两次，无法确定以哪个为准")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise UnusableInput(f"JSON 中含有 {name}，这不是合法的数字")


def parse_json_bytes(data: bytes, source: str = "JSON") -> dict:
    """Strict JSON: UTF-8 (a BOM is tolerated), no duplicate keys, no NaN/Infinity, floats exact."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableInput(f"文件不是 UTF-8 编码（第 {exc.start} 字节处无法解码）", where=source) from None
    try:
        from validator.model import JsonNumber

        obj = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant,
                         parse_float=JsonNumber)
    except UnusableInput as exc:
        raise UnusableInput(str(exc), where=source) from None
    except json.JSONDecodeError as exc:
        raise UnusableInput(f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）", where=source) from None
    except RecursionError:
        raise UnusableInput("JSON 嵌套层数过深", where=source) from None
    if not isinstance(obj, dict):
        raise UnusableInput("JSON 顶层应为对象（{…}）", where=source)
    return obj


def _format_of(obj: dict, source: str) -> FormatSpec:
    fmt_id = obj.get("format")
    if fmt_id not in known_formats():
        raise UnusableInput(
            f"“format”为 {json.dumps(fmt_id, ensure_ascii=False)}，本工具只认识 {'、'.join(known_formats())}",
            where=source)
    return get_format(fmt_id)


def report_from_dict(obj: dict, source: str = "JSON") -> Any:
    """Validate a parsed JSON object against the model; errors name the JSON path in Chinese."""
    from pydantic import ValidationError

    from validator.model import SCHEMA_VERSION, report_model

    fmt = _format_of(obj, source)
    if obj.get("schema_version") != SCHEMA_VERSION:
        raise UnusableInput(
            f"“schema_version”为 {json.dumps(obj.get('schema_version'), ensure_ascii=False)}，"
            f"本版本工具读取的是 {SCHEMA_VERSION}", where=source)
    try:
        return report_model(fmt).model_validate(obj)
    except ValidationError as exc:
        lines = []
        for err in exc.errors()[:20]:
            path = ".".join(str(p) for p in err["loc"])
            reason = _PYDANTIC_ZH.get(err["type"], err["msg"])
            if err["type"] == "value_error":
                reason = str(err.get("ctx", {}).get("error", err["msg"]))
            lines.append(f"  {path}：{reason}")
        more = f"\n  ……共 {exc.error_count()} 处" if exc.error_count() > 20 else ""
        raise UnusableInput("JSON 内容不符合格式：\n" + "\n".join(lines) + more, where=source) from None


def load_json(path: str | Path) -> Submission:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise UnusableInput(f"文件过大（{size // 1024 // 1024} MB），年度报告 JSON 不应超过 50 MB", where=path.name)
        data = path.read_bytes()
    except OSError as exc:
        raise UnusableInput(f"无法读取文件：{exc.strerror or exc}", where=str(path)) from None
    return submission_from_report(report_from_dict(parse_json_bytes(data, path.name), path.name), path.name)


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
    values: dict[str, object] = {
        cell.key: _attr_path(model, _split(cell.key))
        for cell in fmt.cells
    }
    if model.last_year is not None:
        for cell in fmt.baseline_cells:
            value = _attr_path(model, _split(cell.key))
            if value is not None or cell.key == "last_year.year":
                values[cell.key] = value
    explanations = [Explanation(e.rule, tuple(e.cells), e.text) for e in model.explanations]
    return Submission(fmt, values, source, explanations, origin="json")


@cache
def _split(key: str) -> tuple[str, ...]:
    return tuple(key.split("."))


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
    """The normalized model of a submission; unreadable cells become null (see findings)."""
    from validator.model import SCHEMA_VERSION, report_model

    fmt = submission.format
    ctx = build_context(submission, Profile())
    raw = submission.values
    body_type = to_text(raw.get("body.type")).strip()
    region = to_text(raw.get("body.region_code")).strip()
    year = to_year(raw.get("year"))
    data: dict[str, Any] = {
        "format": fmt.id,
        "schema_version": SCHEMA_VERSION,
        "body": {
            "name": normalize_newlines(to_text(raw.get("body.name"))).strip(),
            "type": body_type if body_type in fmt.cell("body.type").choices else None,
            "region_code": region or None,
        },
        "year": year,
        "published_on": to_date(raw.get("published_on")),
    }
    data.update(_nest({c.key: ctx.figures.get(c.key) for c in fmt.figure_cells()}))
    data["narrative"] = {
        c.key.split(".", 1)[1]: normalize_newlines(to_text(raw.get(c.key)))
        for c in fmt.cells if c.key.startswith("narrative.")
    }
    if submission.has_baseline():
        baseline = {c.key: ctx.figures.get(c.key) for c in fmt.baseline_cells if c.kind == "count"}
        baseline["last_year.year"] = to_year(raw.get("last_year.year"))
        data["last_year"] = _nest(baseline)["last_year"]
    data["explanations"] = [
        {"rule": e.rule, "cells": list(e.keys), "text": normalize_newlines(e.text)}
        for e in canonical_explanations(submission.explanations, validation)
    ]
    if validation is not None:
        data["validation"] = {
            "valid": validation.valid,
            "errors": len(validation.errors),
            "warnings": len(validation.warnings),
            "findings": [f.as_dict() for f in validation.findings],
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
    return model.model_dump_json(indent=2).encode("utf-8") + b"\n"
