"""One table of cell kinds: what a cell of each kind holds, and how it travels.

A format's cells are of eight kinds (:data:`validator.spec.CellKind`). For each, this table says
once how a cell's content converts (a figure for the rules, or the typed value of its JSON field),
what its JSON field is (the pydantic type, whether it may be null or absent, and the same test
without pydantic), its canonical text (collect's test for identical copies) and how it is written
into a workbook cell. The engine (:mod:`validator.context`), the JSON model (:mod:`validator.model`)
and its model-free reader (:mod:`validator.jsonshape`), collect and the workbook writer ask this
table instead of testing kinds themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from validator import accel
from validator.values import (
    EXCEL_CELL_LIMIT,
    MAX_COUNT,
    Problem,
    canonical_decimal,
    display,
    encode_ooxml,
    normalize_newlines,
    text_problem,
    to_count,
    to_date,
    to_money,
    to_signed,
    to_text,
    to_year,
)

if TYPE_CHECKING:
    from validator.spec import CellSpec

MONEY_TEXT = r"^(0|[1-9][0-9]*)(\.[0-9]+)?$"
"""An amount in JSON: a string of a non-negative decimal, never a JSON number (no float carries a figure)."""
_DATE_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
YEARS = (1000, 9999)
"""A JSON year has four digits; whether it is a plausible report year is META-YEAR's to say."""
REQUIRED: Any = ...
"""A JSON field with no default: the key must be there (its value may still be null)."""
TEXT_SCHEMA = {
    "type": "string",
    "maxLength": EXCEL_CELL_LIMIT,
    "description": f"最多 {EXCEL_CELL_LIMIT} 个 UTF-16 单位（Excel 单元格上限），不含控制字符",
}
MONEY_SCHEMA = {"type": "string", "pattern": MONEY_TEXT, "description": "万元，十进制字符串"}


AT_ONCE = accel.register(
    "whole-numbers-at-once",
    __name__,
    "a report's counts taken all at once when every one is a plain int in range (JSON's common case), for "
    "the rules' figures and collect's canonical form, instead of cell by cell (about 0.4 million "
    "instructions a report less)",
)


class NotPlain(Exception):
    """A JSON value the model-free reader leaves to the model, which says what is wrong."""


# --------------------------------------------------------------------------- JSON checks
# The model's types run these (pydantic) and so does the model-free reader: one test each.


def money_from_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    if type(value) is not str or not re.match(MONEY_TEXT, value):
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


@cache
def pydantic_types() -> dict[str, Any]:
    """The pydantic types of the JSON fields (pydantic is imported only when a model is built)."""
    from typing import Annotated

    from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, Strict, WithJsonSchema

    text = Annotated[str, BeforeValidator(checked_text), WithJsonSchema(TEXT_SCHEMA)]
    return {
        "count": Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT)],
        "signed": Annotated[int, Strict(), Field(ge=-MAX_COUNT, le=MAX_COUNT)],
        "year": Annotated[int, Strict(), Field(ge=YEARS[0], le=YEARS[1])],
        "money": Annotated[
            Decimal,
            BeforeValidator(money_from_json),
            AfterValidator(money_check),
            PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
            WithJsonSchema(MONEY_SCHEMA),
        ],
        "date": dt.date,
        "longtext": text,
        # names and codes: surrounding spaces are never meaningful (the workbook reader trims them too)
        "text": Annotated[str, BeforeValidator(checked_text), AfterValidator(str.strip), WithJsonSchema(TEXT_SCHEMA)],
    }


# --------------------------------------------------------------------------- the kinds


class Kind:
    """A kind of cell; the table below has one instance per kind."""

    name = ""
    figure = False
    """A number the rules add up."""
    low = MAX_COUNT + 1
    """The smallest int :meth:`convert` takes unchanged (none, for a kind that is no whole number)."""
    unreadable = True
    """The JSON field is typed: content its type cannot hold travels in ``unreadable`` (``--force``)."""

    def convert(self, raw: object) -> Any:
        """The figure a cell's content stands for, or the :class:`Problem` of why it is none."""
        raise NotImplementedError(self.name)

    def typed(self, cell: CellSpec, raw: object) -> object:
        """What the JSON field holds for the cell's content; None when its type cannot hold it
        (blank, “3件”, “二〇二四年一月二十日”…). Export and the model's check of ``unreadable``
        both ask this, so they cannot disagree."""
        return raw

    def canonical(self, raw: object) -> tuple[str, Any, bool]:
        """(comparable text, figure or None, unreadable): the same report as JSON and as a
        workbook gives the same texts (3 and 3.0, 0.50 and 0.5, a date cell and "2024-01-29")."""
        return normalize_newlines(to_text(raw)).strip(), None, False

    # JSON

    def nullable(self, cell: CellSpec) -> bool:
        return True

    def json_default(self, cell: CellSpec) -> Any:
        """The field's default, or :data:`REQUIRED`."""
        return REQUIRED if cell.required else None

    def json_type(self, cell: CellSpec) -> Any:
        return pydantic_types()[self.name]

    def from_json(self, cell: CellSpec, value: object) -> object:
        """The value the model gives for a non-null JSON value, or :class:`NotPlain`."""
        raise NotImplementedError(self.name)

    # workbook

    def write(self, cell: Any, value: object) -> None:
        """Into an openpyxl cell: the value, or the text a forced export kept as entered."""
        if value is None or value == "":
            cell.value = None
        elif isinstance(value, str):
            write_text(cell, value)
        else:
            cell.value = value


class _Figure(Kind):
    figure = True

    def typed(self, cell: CellSpec, raw: object) -> object:
        value = self.convert(raw)
        return None if isinstance(value, Problem) else value

    def canonical(self, raw: object) -> tuple[str, Any, bool]:
        if type(raw) is int and self.low <= raw <= MAX_COUNT:  # JSON's common case, first
            return str(raw), raw, False
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return "", None, False
        value = self.convert(raw)
        if isinstance(value, Problem):
            return "?" + display(raw), None, True
        return self.text(value), value, False

    def text(self, value: Any) -> str:
        return str(value)

    def json_default(self, cell: CellSpec) -> Any:
        return REQUIRED  # every figure is in its section, null when blank

    def from_json(self, cell: CellSpec, value: object) -> object:
        if type(value) is not int or not self.low <= value <= MAX_COUNT:
            raise NotPlain
        return value


class Count(_Figure):
    name = "count"
    low = 0

    def convert(self, raw: object) -> Any:
        return to_count(raw)


class Signed(_Figure):
    """A whole number that may be negative (the 2019 format's 本年增/减)."""

    name = "signed"
    low = -MAX_COUNT

    def convert(self, raw: object) -> Any:
        return to_signed(raw)


class Money(_Figure):
    """万元, an exact decimal."""

    name = "money"

    def convert(self, raw: object) -> Any:
        return to_money(raw)

    def text(self, value: Any) -> str:
        return format(value, "f")

    def from_json(self, cell: CellSpec, value: object) -> object:
        try:
            return money_check(money_from_json(value))
        except ValueError:
            raise NotPlain from None


class Year(Kind):
    name = "year"

    def typed(self, cell: CellSpec, raw: object) -> object:
        year = to_year(raw)
        return year if year is not None and YEARS[0] <= year <= YEARS[1] else None

    def canonical(self, raw: object) -> tuple[str, Any, bool]:
        year = to_year(raw)
        return (str(year) if year is not None else to_text(raw).strip()), None, False

    def from_json(self, cell: CellSpec, value: object) -> object:
        if type(value) is not int or not YEARS[0] <= value <= YEARS[1]:
            raise NotPlain
        return value


class Date(Kind):
    name = "date"

    def typed(self, cell: CellSpec, raw: object) -> object:
        return to_date(raw)

    def canonical(self, raw: object) -> tuple[str, Any, bool]:
        date = to_date(raw)
        return (date.isoformat() if date else to_text(raw).strip()), None, False

    def from_json(self, cell: CellSpec, value: object) -> object:
        if type(value) is not str or not re.fullmatch(_DATE_TEXT, value):
            raise NotPlain
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise NotPlain from None

    def write(self, cell: Any, value: object) -> None:
        date = to_date(value)
        if date is not None:
            cell.value = date
        else:
            super().write(cell, to_text(value))


class _Text(Kind):
    def write(self, cell: Any, value: object) -> None:
        if value is None or value == "":
            cell.value = None
            return
        text = to_text(value)
        problem = text_problem(text)
        if problem:
            raise ValueError(problem)
        write_text(cell, text)


class Choice(_Text):
    """One of the cell's choices (机关类型)."""

    name = "choice"

    def typed(self, cell: CellSpec, raw: object) -> object:
        text = to_text(raw).strip()
        return text if text in cell.choices else None

    def json_type(self, cell: CellSpec) -> Any:
        from typing import Literal

        return Literal[cell.choices]  # type: ignore[valid-type]

    def from_json(self, cell: CellSpec, value: object) -> object:
        if type(value) is not str or value not in cell.choices:
            raise NotPlain
        return value


class Text(_Text):
    """A name or a code: surrounding spaces are never meaningful."""

    name = "text"
    unreadable = False

    def nullable(self, cell: CellSpec) -> bool:
        return not cell.required

    def from_json(self, cell: CellSpec, value: object) -> object:
        if type(value) is not str:
            raise NotPlain
        try:
            return checked_text(value).strip()
        except ValueError:
            raise NotPlain from None


class LongText(_Text):
    """A narrative part: kept exactly (line breaks as LF)."""

    name = "longtext"
    unreadable = False

    def nullable(self, cell: CellSpec) -> bool:
        return False

    def json_default(self, cell: CellSpec) -> Any:
        return ""

    def from_json(self, cell: CellSpec, value: object) -> object:
        if type(value) is not str:
            raise NotPlain
        try:
            return checked_text(value)
        except ValueError:
            raise NotPlain from None


KINDS: dict[str, Kind] = {k.name: k for k in (Count(), Signed(), Money(), Year(), Date(), Choice(), Text(), LongText())}


def kind_of(cell: CellSpec) -> Kind:
    return KINDS[cell.kind]


def json_field(cell: CellSpec) -> tuple[Any, Any]:
    """(pydantic type, default or :data:`REQUIRED`) of the cell's JSON field."""
    kind = KINDS[cell.kind]
    typ = kind.json_type(cell)
    return (typ | None if kind.nullable(cell) else typ), kind.json_default(cell)


def read_json(cell: CellSpec, value: object) -> object:
    """The value the model gives the cell's field for a JSON value, without pydantic; :class:`NotPlain`
    for anything the model must judge."""
    if value is None:
        if KINDS[cell.kind].nullable(cell):
            return None
        raise NotPlain
    return KINDS[cell.kind].from_json(cell, value)


def write_text(cell: Any, text: str) -> None:
    """Text into an openpyxl cell, read back unchanged: ``_xHHHH_`` escaped (openpyxl writes
    "_x000D_" as is; Excel would read a CR), never a formula, even when it starts with = + - @."""
    cell.value = encode_ooxml(text)
    cell.data_type = "s"
