"""Markdown tables for docs/rules.md and docs/json.md, generated from the format data
(tools/rebuild_generated.py writes them there; tests/test_readme.py keeps them in step). Only the
:class:`~validator.spec.FormatSpec` is read, never a format module."""

from __future__ import annotations

import dataclasses
import json

from validator.formats import get_format
from validator.spec import SEVERITY_ZH, FormatSpec


def rules_markdown(fmt: FormatSpec | None = None) -> str:
    fmt = fmt or get_format()
    lines = ["| 规则 | 级别 | 范围 | 内容 |", "|---|---|---|---|"]
    for r in fmt.rules:
        lines.append(f"| `{r.id}` | {SEVERITY_ZH[r.severity]} | {r.scope} | {r.title} |")
    return "\n".join(lines)


def keys_markdown(fmt: FormatSpec | None = None) -> str:
    """Every figure key with its cell; a matrix (表三) is shown as rows × columns to stay readable."""
    fmt = fmt or get_format()
    prefixes = tuple(f"{m.prefix}." for m in fmt.matrices)
    lines = ["| 键 | 单元格 | 含义 |", "|---|---|---|"]
    for cell in fmt.figure_cells():
        if not cell.key.startswith(prefixes) or not prefixes:
            lines.append(f"| `{cell.key}` | {cell.a1} | {cell.label} |")
    for m in fmt.matrices:
        lines += [
            "",
            f"{m.title} `{m.prefix}.<行>.<列>`：",
            "",
            "| 行 `<行>` | 表三行 | 列 `<列>` | 表三列 |".replace("表三", m.title),
            "|---|---|---|---|",
        ]
        first_row = m.rows[0][0]
        for i, (row, short) in enumerate(m.rows):
            row_no = fmt.cell(f"{m.prefix}.{row}.{m.columns[-1][0]}").ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            if i < len(m.columns):
                col, text = m.columns[i]
                letters = fmt.cell(f"{m.prefix}.{first_row}.{col}").ref.rstrip("0123456789")
                col_cells = f"`{col}` | {text}（{letters} 列）"
            else:
                col_cells = " | "
            lines.append(f"| `{row}` | {short}（第 {row_no} 行） | {col_cells} |")
    return "\n".join(lines)


def spec_snapshot(fmt: FormatSpec) -> str:
    """The built format as stable, human-readable JSON (docs/formats/<id>.json): any change to
    the format data shows up as a reviewable diff (tests/test_formats.py fails on drift)."""
    data = {f.name: getattr(fmt, f.name) for f in dataclasses.fields(fmt)}
    return _dump(_plain(data), "") + "\n"


def _dump(value: object, indent: str) -> str:
    """JSON with one record per line: a list or object of scalars stays on one line."""
    flat = json.dumps(value, ensure_ascii=False)
    scalar = (str, int, float, bool, type(None))
    if (
        not isinstance(value, (dict, list))
        or len(flat) <= 240
        and all(
            isinstance(v, scalar) or (isinstance(v, list) and all(isinstance(x, scalar) for x in v))
            for v in (value.values() if isinstance(value, dict) else value)
        )
    ):
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    return "[\n" + ",\n".join(f"{inner}{_dump(v, inner)}" for v in value) + f"\n{indent}]"


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
