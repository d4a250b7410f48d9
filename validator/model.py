"""The normalized JSON: a pydantic v2 model generated from the format data.

Figure fields come from the format's cell keys (``applications.new.natural_person`` becomes
``applications -> new -> natural_person``), so the model, its JSON Schema and the workbook
cannot drift apart. Counts are strict non-negative integers; the 万元 fee is a decimal
written as a JSON string, never a float. Unknown fields are rejected.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    WithJsonSchema,
    create_model,
)

from validator import GENERATOR, __version__
from validator.spec import CellSpec, FormatSpec
from validator.values import MAX_COUNT, canonical_decimal, normalize_newlines

SCHEMA_VERSION = "1.0"
_MONEY_TEXT = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class JsonNumber(str):
    """A JSON number with a fraction or exponent, kept as its text: strict integer fields refuse
    it, and amounts refuse it too (they must be strings), so no float ever carries a figure."""


def _money_from_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, JsonNumber) or not isinstance(value, str) or not _MONEY_TEXT.match(value):
        raise ValueError("金额应写成字符串形式的非负十进制数，如 \"12.5\"（不能用 JSON 数字，以免精度丢失）")
    return Decimal(value)


def _money_check(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValueError("金额应为非负数")
    return canonical_decimal(value)  # ValueError past 15 significant digits


def _text(value: Any) -> Any:
    if isinstance(value, str):
        value = normalize_newlines(value)
        if _CONTROL.search(value):
            raise ValueError("文字中含有不可见的控制字符")
    return value


Count = Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT)]
Year = Annotated[int, Strict(), Field(ge=1000, le=9999)]
Money = Annotated[
    Decimal,
    BeforeValidator(_money_from_json),
    AfterValidator(_money_check),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": _MONEY_TEXT.pattern, "description": "万元，十进制字符串"}),
]
Text = Annotated[str, BeforeValidator(_text)]
Name = Annotated[str, BeforeValidator(_text), AfterValidator(str.strip)]
"""Names and codes: surrounding spaces are never meaningful (the workbook reader trims them too)."""

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Generator(BaseModel):
    model_config = _STRICT
    name: str
    version: str


class ExplanationModel(BaseModel):
    model_config = _STRICT
    rule: str = Field(description="规则编号，如 TXT-T3")
    cells: list[str] = Field(description="该提示涉及的单元格键")
    text: Text = Field(description="填报人对该提示的情况说明")


def _unique_explanations(items: list[ExplanationModel]) -> list[ExplanationModel]:
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for e in items:
        key = (e.rule, tuple(e.cells))
        if key in seen:
            raise ValueError(f"同一提示（{e.rule}，{'、'.join(e.cells)}）有两条情况说明，请合并为一条")
        seen.add(key)
    return items


class CellRefModel(BaseModel):
    model_config = _STRICT
    ref: str
    key: str


class FindingModel(BaseModel):
    model_config = _STRICT
    rule: str
    severity: Literal["error", "warning"]
    scope: str
    cells: list[CellRefModel]
    expected: int | str | None = None
    actual: int | str | None = None
    message: str
    explanation: str | None = None


class ValidationModel(BaseModel):
    model_config = _STRICT
    valid: bool
    errors: int
    warnings: int
    findings: list[FindingModel]


def _value_type(cell: CellSpec) -> Any:
    return Money if cell.kind == "money" else Count


def _tree(cells: list[tuple[list[str], CellSpec]]) -> dict:
    tree: dict = {}
    for path, cell in cells:
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = cell
    return tree


def _camel(key: str) -> str:
    return "".join(p.capitalize() for p in key.split("_"))


def _model_from_tree(name: str, tree: dict, description: str | None = None) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for key, node in tree.items():
        if isinstance(node, dict):
            fields[key] = (_model_from_tree(name + _camel(key), node), ...)
        else:
            fields[key] = (_value_type(node) | None, Field(description=node.label))
    return create_model(name, __config__=_STRICT, __doc__=description, **fields)


def _section_model(fmt: FormatSpec, prefix: str, name: str) -> type[BaseModel]:
    """``body`` and ``narrative`` from the cover and narrative cells of the format."""
    fields: dict[str, Any] = {}
    for cell in fmt.cells:
        if not cell.key.startswith(prefix + "."):
            continue
        field_name = cell.key[len(prefix) + 1:]
        if cell.kind == "longtext":
            fields[field_name] = (Text, Field(default="", description=cell.label))
        elif cell.kind == "choice":
            fields[field_name] = (Literal[cell.choices] | None, Field(description=cell.label))  # type: ignore[valid-type]
        elif cell.required:
            fields[field_name] = (Name, Field(description=cell.label))
        else:
            fields[field_name] = (Name | None, Field(default=None, description=cell.label))
    return create_model(name, __config__=_STRICT, **fields)


@cache
def report_model(fmt: FormatSpec) -> type[BaseModel]:
    """The pydantic model of one format's normalized JSON."""
    body, narrative = _section_model(fmt, "body", "Body"), _section_model(fmt, "narrative", "Narrative")
    figures = _tree([(c.key.split("."), c) for c in fmt.figure_cells()])
    baseline = _tree([(c.key.split(".")[1:], c) for c in fmt.baseline_cells if c.key != "last_year.year"])
    sections = {
        root: (_model_from_tree(_camel(root), sub), ...)
        for root, sub in figures.items()
    }
    last_year = create_model(
        "LastYear", __config__=_STRICT,
        __doc__="上年报告中历年核对所需的数字（由 xxgk new --from 带入，或在“上年数据”表填写）",
        year=(Year | None, Field(default=None, description="上年报告年度")),
        **{root: (_model_from_tree(f"LastYear{_camel(root)}", sub) | None, None)
           for root, sub in baseline.items()},
    )
    return create_model(
        "AnnualReport",
        __config__=ConfigDict(extra="forbid", frozen=True, title="政府信息公开工作年度报告（规范化 JSON）"),
        __doc__=f"{fmt.name} 格式的政府信息公开工作年度报告数据",
        format=(Literal[fmt.id], Field(description="格式编号")),  # type: ignore[valid-type]
        schema_version=(Literal[SCHEMA_VERSION], Field(description="本 JSON 结构的版本")),  # type: ignore[valid-type]
        generator=(Generator, Field(default_factory=lambda: Generator(name=GENERATOR, version=__version__))),
        body=(body, ...),
        year=(Year | None, Field(description="报告年度")),
        published_on=(dt.date | None, Field(default=None, description="发布日期")),
        **sections,
        narrative=(narrative, Field(default_factory=narrative)),
        last_year=(last_year | None, Field(default=None)),
        explanations=(Annotated[list[ExplanationModel], AfterValidator(_unique_explanations)],
                      Field(default_factory=list, description="填报人对“提示”的情况说明，每个（规则，单元格）一条")),
        validation=(ValidationModel | None, Field(default=None, description="导出时的校验结果")),
    )


def json_schema(fmt: FormatSpec) -> dict:
    schema = report_model(fmt).model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
