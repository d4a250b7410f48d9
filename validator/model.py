"""The normalized JSON: a pydantic v2 model generated from the format data.

Figure fields come from the format's cell keys (``applications.new.natural_person`` becomes
``applications -> new -> natural_person``), so the model, its JSON Schema and the workbook
cannot drift apart. Counts are strict non-negative integers; the 万元 fee is a decimal
written as a JSON string, never a float. Unknown fields are rejected.
"""

from __future__ import annotations

import datetime as dt
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
    model_validator,
)

from validator import GENERATOR, __version__
from validator.jsonfast import MONEY_TEXT, SCHEMA_VERSION, checked_text, key_tree, money_check, money_from_json
from validator.spec import CellSpec, FormatSpec
from validator.submission import EXCEL_CELL_LIMIT, quoted, unknown_key, unknown_rule
from validator.values import (
    MAX_COUNT,
    CellError,
    Problem,
    display,
    normalize_newlines,
    to_count,
    to_date,
    to_money,
    to_signed,
    to_text,
    to_year,
)

UNREADABLE_KINDS = ("count", "signed", "money", "year", "date", "choice")
"""Cells whose JSON field is typed: content the type cannot hold travels in ``unreadable``."""
_MONEY_TEXT = MONEY_TEXT
_money_from_json, _money_check, _text = money_from_json, money_check, checked_text


def typed_value(cell: CellSpec, raw: object) -> object:
    """What the JSON field of `cell` holds for the raw content; None when its type cannot hold
    it (blank, “3件”, “二〇二四年一月二十日”…). Export and the model's check of
    ``unreadable`` both ask this, so they cannot disagree."""
    kind = cell.kind
    if kind in ("count", "money", "signed"):
        value = {"money": to_money, "count": to_count, "signed": to_signed}[kind](raw)
        return None if isinstance(value, Problem) else value
    if kind == "year":
        year = to_year(raw)
        return year if year is not None and 1000 <= year <= 9999 else None
    if kind == "date":
        return to_date(raw)
    if kind == "choice":
        text = to_text(raw).strip()
        return text if text in cell.choices else None
    return raw


def raw_text(raw: object) -> str:
    """A cell's content as text: as findings quote it (a datetime to the minute), so reading
    the text back gives the same finding; a float keeps all its digits."""
    if isinstance(raw, dt.datetime) and raw.second and not (raw.hour or raw.minute):
        return raw.strftime("%Y-%m-%d %H:%M:%S")  # “2024-01-20” alone would read as a date
    if isinstance(raw, float):
        return display(raw) if raw.is_integer() else repr(raw)
    if isinstance(raw, CellError):  # Excel's are #DIV/0!, #N/A…; a crafted one may read as a number
        return str(raw) if str(raw).startswith("#") else f"#{raw}"
    if isinstance(raw, str):
        return normalize_newlines(raw)
    return display(raw) if isinstance(raw, (bool, dt.date)) else str(raw)


def unreadable_text(cell: CellSpec, raw: object) -> str:
    """:func:`raw_text`, guaranteed to stay unreadable when read back (else the receiving office
    would see a figure where staff saw an error): a value whose text would read marks its type."""
    text = raw_text(raw)
    if typed_value(cell, text) is not None:
        text = f"{text}（{type(raw).__name__}，无法识别）"
    return text


Count = Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT)]
Signed = Annotated[int, Strict(), Field(ge=-MAX_COUNT, le=MAX_COUNT)]
Year = Annotated[int, Strict(), Field(ge=1000, le=9999)]
Money = Annotated[
    Decimal,
    BeforeValidator(_money_from_json),
    AfterValidator(_money_check),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": _MONEY_TEXT.pattern, "description": "万元，十进制字符串"}),
]
_TEXT_SCHEMA = {
    "type": "string",
    "maxLength": EXCEL_CELL_LIMIT,
    "description": f"最多 {EXCEL_CELL_LIMIT} 个 UTF-16 单位（Excel 单元格上限），不含控制字符",
}
Text = Annotated[str, BeforeValidator(_text), WithJsonSchema(_TEXT_SCHEMA)]
Name = Annotated[str, BeforeValidator(_text), AfterValidator(str.strip), WithJsonSchema(_TEXT_SCHEMA)]
"""Names and codes: surrounding spaces are never meaningful (the workbook reader trims them too)."""

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Generator(BaseModel):
    model_config = _STRICT
    name: str
    version: str


def _refuse(problem: str | None, value: str) -> str:
    if problem:
        raise ValueError(problem)
    return value


class AggregateModel(BaseModel):
    # what `xxgk collect --aggregate` writes into the sum it makes (no docstring: it would be
    # the schema's English description)
    model_config = _STRICT
    bodies: list[Name] = Field(
        description="本报告是哪些单位报告的汇总（机关名称）；再次汇总时，与其中单位同在一个收件文件夹中的本报告不再计入"
    )


def _explanation_model(fmt: FormatSpec) -> type[BaseModel]:
    """An explanation names a rule and cells of this format: anything else (a typo, a control
    character, ``"a,b"``) could not come back from the 校验结果 sheet as written."""
    rule_ids = [r.id for r in fmt.rules]
    keys = [c.key for c in (*fmt.cells, *fmt.baseline_cells)]
    Rule = Annotated[str, AfterValidator(lambda v: _refuse(unknown_rule(fmt, v), v))]
    Key = Annotated[str, AfterValidator(lambda v: _refuse(unknown_key(fmt, v), v))]
    return create_model(  # type: ignore[call-overload]
        "ExplanationModel",
        __config__=_STRICT,
        rule=(Rule, Field(description="规则编号，如 TXT-T3", json_schema_extra={"enum": rule_ids})),  # type: ignore[dict-item]
        cells=(
            list[Key],
            Field(
                description="该提示涉及的单元格键",
                json_schema_extra={"items": {"type": "string", "enum": keys}},  # type: ignore[dict-item]
            ),
        ),
        text=(Text, Field(description="填报人对该提示的情况说明")),
    )


def _unique_explanations(items: list[Any]) -> list[Any]:
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
    return {"money": Money, "signed": Signed}.get(cell.kind, Count)


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
        field_name = cell.key[len(prefix) + 1 :]
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
    figures = key_tree([(c.key.split("."), c) for c in fmt.figure_cells()])
    baseline = key_tree([(c.key.split(".")[1:], c) for c in fmt.baseline_cells if c.key != "last_year.year"])
    sections = {root: (_model_from_tree(_camel(root), sub), ...) for root, sub in figures.items()}
    last_year = create_model(  # type: ignore[call-overload]
        "LastYear",
        __config__=_STRICT,
        __doc__="上年报告中历年核对所需的数字（由 xxgk new --from 带入，或在“上年数据”表填写）",
        year=(Year | None, Field(default=None, description="上年报告年度")),
        **{root: (_model_from_tree(f"LastYear{_camel(root)}", sub) | None, None) for root, sub in baseline.items()},
    )
    unreadable_keys = [c.key for c in (*fmt.cells, *fmt.baseline_cells) if c.kind in UNREADABLE_KINDS]
    return create_model(  # type: ignore[call-overload]
        "AnnualReport",
        __validators__={"unreadable_fields_null": model_validator(mode="after")(_unreadable_fields_null)},
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
        unreadable=(
            Annotated[dict[str, Text], AfterValidator(_unreadable_entries(fmt))],
            Field(
                default_factory=dict,
                description=UNREADABLE_DOC,
                json_schema_extra={"propertyNames": {"enum": unreadable_keys}},  # type: ignore[dict-item]
            ),
        ),
        explanations=(
            Annotated[list[_explanation_model(fmt)], AfterValidator(_unique_explanations)],  # type: ignore[misc]
            Field(default_factory=list, description="填报人对“提示”的情况说明，每个（规则，单元格）一条"),
        ),
        validation=(ValidationModel | None, Field(default=None, description="导出时的校验结果")),
        aggregate=(
            AggregateModel | None,
            Field(default=None, description="由 xxgk collect --aggregate 生成的汇总报告才有：汇总了哪些单位"),
        ),
    )


UNREADABLE_DOC = (
    '--force 导出时无法识别的单元格原内容（键为单元格键，值为单元格中的文字，如 "3件"），对应字段为 null；'
    "校验时按原内容给出与工作簿相同的错误，xxgk fill 写回原内容。没有时省略"
)


def _unreadable_entries(fmt: FormatSpec):
    cells = {c.key: c for c in (*fmt.cells, *fmt.baseline_cells) if c.kind in UNREADABLE_KINDS}

    def check(entries: dict[str, str]) -> dict[str, str]:
        for key, text in entries.items():
            cell = cells.get(key)
            if cell is None:
                raise ValueError(f"“{quoted(key)}”不是件数、金额、年度、日期或机关类型的单元格键，不能记录原内容")
            if not text.strip():
                raise ValueError(f"{key} 的原内容为空；空白单元格只需在对应字段写 null")
            if typed_value(cell, text) is not None:
                raise ValueError(f"{key} 的原内容“{quoted(text)}”可以识别，应写在对应字段中，而不是 unreadable")
        return entries

    return check


def _unreadable_fields_null(model: Any) -> Any:
    for key in model.unreadable:
        node: Any = model
        parts = key.split(".")
        for part in parts[:-1]:
            node = getattr(node, part)
            if node is None:
                raise ValueError(f"unreadable.{key}：{parts[0]} 为 null，不能记录其中单元格的原内容")
        if getattr(node, parts[-1]) is not None:
            raise ValueError(f"unreadable.{key}：对应字段 {key} 已有取值，应为 null（两处只能有一处）")
    return model


def json_schema(fmt: FormatSpec) -> dict:
    schema = report_model(fmt).model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
