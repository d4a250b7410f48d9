"""The normalized JSON: a pydantic v2 model generated from the format data.

Figure fields come from the format's cell keys (``applications.new.natural_person`` becomes
``applications -> new -> natural_person``) and each field's type from its cell's kind
(:mod:`validator.kinds`), so the model, its JSON Schema, its model-free reader
(:mod:`validator.jsonshape`) and the workbook cannot drift apart. Counts are strict non-negative
integers; the 万元 fee is a decimal written as a JSON string, never a float. Unknown fields are
rejected. pydantic is imported only when a model is built.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from validator import GENERATOR, __version__
from validator.kinds import KINDS, REQUIRED, json_field, pydantic_types
from validator.spec import CellSpec, FormatSpec
from validator.submission import JSON, quoted, unknown_key, unknown_rule  # noqa: F401  (JSON re-exported)
from validator.values import CellError, display, normalize_newlines

SCHEMA_VERSION = "1.0"
"""The version of this JSON's structure (``schema_version``)."""
UNREADABLE_KINDS = tuple(name for name, kind in KINDS.items() if kind.unreadable)
"""Cells whose JSON field is typed: content the type cannot hold travels in ``unreadable``."""


def typed_value(cell: CellSpec, raw: object) -> object:
    """What the JSON field of `cell` holds for the raw content (:meth:`validator.kinds.Kind.typed`)."""
    return KINDS[cell.kind].typed(cell, raw)


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


# Everything below builds the pydantic model (pydantic is imported when the first model is
# built: a single check of a JSON reads it without, see validator.jsonshape).


@cache
def _base_models() -> dict[str, Any]:
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field

    strict = ConfigDict(extra="forbid", frozen=True)

    class Generator(BaseModel):
        model_config = strict
        name: str
        version: str

    class CellRefModel(BaseModel):
        model_config = strict
        ref: str
        key: str

    class FindingModel(BaseModel):
        model_config = strict
        rule: str
        severity: Literal["error", "warning"]
        scope: str
        cells: list[CellRefModel]
        expected: int | str | None = None
        actual: int | str | None = None
        message: str
        explanation: str | None = None

    class ValidationModel(BaseModel):
        model_config = strict
        valid: bool
        errors: int
        warnings: int
        findings: list[FindingModel]

    Name: Any = pydantic_types()["text"]

    class AggregateModel(BaseModel):
        # what `xxgk collect --aggregate` writes into the sum it makes (no docstring: it would be
        # the schema's English description)
        model_config = strict
        bodies: list[Name] = Field(  # type: ignore[valid-type]
            description="本报告是哪些单位报告的汇总（机关名称）；再次汇总时，与其中单位同在一个收件文件夹中的本报告不再计入"
        )

    return {
        "strict": strict,
        "Generator": Generator,
        "FindingModel": FindingModel,
        "ValidationModel": ValidationModel,
        "AggregateModel": AggregateModel,
    }


def _field(cell: CellSpec) -> tuple[Any, Any]:
    from pydantic import Field

    typ, default = json_field(cell)
    return typ, Field(description=cell.label) if default is REQUIRED else Field(default=default, description=cell.label)


def _refuse(problem: str | None, value: str) -> str:
    if problem:
        raise ValueError(problem)
    return value


def _explanation_model(fmt: FormatSpec) -> Any:
    """An explanation names a rule and cells of this format: anything else (a typo, a control
    character, ``"a,b"``) could not come back from the 校验结果 sheet as written."""
    from typing import Annotated

    from pydantic import AfterValidator, Field, create_model

    rule_ids = [r.id for r in fmt.rules]
    keys = [c.key for c in (*fmt.cells, *fmt.baseline_cells)]
    Rule: Any = Annotated[str, AfterValidator(lambda v: _refuse(unknown_rule(fmt, v), v))]
    Key: Any = Annotated[str, AfterValidator(lambda v: _refuse(unknown_key(fmt, v), v))]
    text: Any = pydantic_types()["longtext"]
    return create_model(  # type: ignore[call-overload]
        "ExplanationModel",
        __config__=_base_models()["strict"],
        rule=(Rule, Field(description="规则编号，如 TXT-T3", json_schema_extra={"enum": rule_ids})),  # type: ignore[dict-item]
        cells=(
            list[Key],
            Field(
                description="该提示涉及的单元格键",
                json_schema_extra={"items": {"type": "string", "enum": keys}},  # type: ignore[dict-item]
            ),
        ),
        text=(text, Field(description="填报人对该提示的情况说明")),
    )


def unique_explanations(items: list[Any]) -> list[Any]:
    """One note per (rule, cells): the 校验结果 sheet could not show two."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for e in items:
        key = (e.rule, tuple(e.cells))
        if key in seen:
            raise ValueError(f"同一提示（{e.rule}，{'、'.join(e.cells)}）有两条情况说明，请合并为一条")
        seen.add(key)
    return items


def _camel(key: str) -> str:
    return "".join(p.capitalize() for p in key.split("_"))


def key_tree(pairs) -> dict:
    """Nested dicts from (key path, leaf) pairs: the JSON layout of a format's cells."""
    tree: dict = {}
    for parts, leaf in pairs:
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = leaf
    return tree


def _model_from_tree(name: str, tree: dict, description: str | None = None) -> Any:
    from pydantic import create_model

    fields: dict[str, Any] = {}
    for key, node in tree.items():
        fields[key] = (_model_from_tree(name + _camel(key), node), ...) if isinstance(node, dict) else _field(node)
    return create_model(name, __config__=_base_models()["strict"], __doc__=description, **fields)


def _section_model(fmt: FormatSpec, prefix: str, name: str) -> Any:
    """``body`` and ``narrative`` from the cover and narrative cells of the format."""
    from pydantic import create_model

    fields: dict[str, Any] = {c.key[len(prefix) + 1 :]: _field(c) for c in fmt.cells if c.key.startswith(prefix + ".")}
    return create_model(name, __config__=_base_models()["strict"], **fields)


@cache
def report_model(fmt: FormatSpec) -> Any:
    """The pydantic model of one format's normalized JSON."""
    from typing import Annotated, Literal

    from pydantic import AfterValidator, ConfigDict, Field, create_model, model_validator

    base = _base_models()
    strict, generator = base["strict"], base["Generator"]
    body, narrative = _section_model(fmt, "body", "Body"), _section_model(fmt, "narrative", "Narrative")
    figures = key_tree([(c.key.split("."), c) for c in fmt.figure_cells()])
    baseline = key_tree([(c.key.split(".")[1:], c) for c in fmt.baseline_cells if c.key != "last_year.year"])
    sections = {root: (_model_from_tree(_camel(root), sub), ...) for root, sub in figures.items()}
    last_year_type, _ = json_field(fmt.cell("last_year.year"))
    last_year = create_model(  # type: ignore[call-overload]
        "LastYear",
        __config__=strict,
        __doc__="上年报告中历年核对所需的数字（由 xxgk new --from 带入，或在“上年数据”表填写）",
        year=(last_year_type, Field(default=None, description="上年报告年度")),
        **{root: (_model_from_tree(f"LastYear{_camel(root)}", sub) | None, None) for root, sub in baseline.items()},
    )
    unreadable_keys = [c.key for c in (*fmt.cells, *fmt.baseline_cells) if c.kind in UNREADABLE_KINDS]
    text = pydantic_types()["longtext"]
    return create_model(  # type: ignore[call-overload]
        "AnnualReport",
        __validators__={"unreadable_fields_null": model_validator(mode="after")(_unreadable_fields_null)},
        __config__=ConfigDict(extra="forbid", frozen=True, title="政府信息公开工作年度报告（规范化 JSON）"),
        __doc__=f"{fmt.name} 格式的政府信息公开工作年度报告数据",
        format=(Literal[fmt.id], Field(description="格式编号")),  # type: ignore[valid-type]
        schema_version=(Literal[SCHEMA_VERSION], Field(description="本 JSON 结构的版本")),  # type: ignore[valid-type]
        generator=(generator, Field(default_factory=lambda: generator(name=GENERATOR, version=__version__))),
        body=(body, ...),
        year=_field(fmt.cell("year")),
        published_on=_field(fmt.cell("published_on")),
        **sections,
        narrative=(narrative, Field(default_factory=narrative)),
        last_year=(last_year | None, Field(default=None)),
        unreadable=(
            Annotated[dict[str, text], AfterValidator(_unreadable_entries(fmt))],  # type: ignore[valid-type]
            Field(
                default_factory=dict,
                description=UNREADABLE_DOC,
                json_schema_extra={"propertyNames": {"enum": unreadable_keys}},  # type: ignore[dict-item]
            ),
        ),
        explanations=(
            Annotated[list[_explanation_model(fmt)], AfterValidator(unique_explanations)],  # type: ignore[misc]
            Field(default_factory=list, description="填报人对“提示”的情况说明，每个（规则，单元格）一条"),
        ),
        validation=(base["ValidationModel"] | None, Field(default=None, description="导出时的校验结果")),
        aggregate=(
            base["AggregateModel"] | None,
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
