"""The 汇总 as a report of its own: the receiving body's figures, checked by the same rules.

A county government's annual report sums its departments' tables; ``--as``/``--type`` name
that body and ``--aggregate`` writes the sum as normalized JSON plus a filled template
workbook beside it, so the government's own report starts from checked data.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from validator.engine import validate
from validator.errors import UnusableInput
from validator.fileio import atomic_write_pair
from validator.formats import get_format
from validator.jsonio import dump_model, report_to_model
from validator.report import ValidationReport
from validator.spec import FormatSpec
from validator.submission import InputKind, Submission
from validator.values import MAX_COUNT, canonical_decimal
from validator.workbook.write import filled_workbook

SUMMED = InputKind("summed", typed=True)
"""A 汇总 made here: figures typed, read by no reader."""


def aggregate_submission(
    figures: dict[str, int | Decimal],
    name: str,
    body_type: str,
    year: int | None,
    region_code: str = "",
    last_year: dict[str, int] | None = None,
    fmt: FormatSpec | None = None,
    members: tuple[str, ...] = (),
) -> Submission:
    """The sum as a report in `fmt` (the inbox's format; default the current one); ``last_year``
    (the bodies' last-year figures, summed) fills its 上年数据 so the aggregate is checked against
    last year like any report; ``members`` (the bodies summed) mark it as a sum."""
    fmt = fmt or get_format()
    values: dict[str, object] = {c.key: None for c in (*fmt.cells, *fmt.baseline_cells)}
    values.update({"body.name": name, "body.type": body_type, "year": year, "body.region_code": region_code or None})
    for key, value in figures.items():
        values[key] = _storable(key, value)
    if last_year is not None and year is not None:
        values["last_year.year"] = year - 1
        for key, value in last_year.items():
            values[f"last_year.{key}"] = _storable(f"last_year.{key}", value)
    for cell in fmt.cells:
        if cell.kind == "longtext":
            values[cell.key] = ""
    return Submission(fmt, values, f"{name} {year or ''} 年度汇总".strip(), kind=SUMMED, aggregate_of=tuple(members))


def _storable(key: str, value: int | Decimal) -> int | Decimal:
    """A sum the JSON and a workbook can hold exactly, or a Chinese refusal (never rounded)."""
    if isinstance(value, Decimal):
        try:
            return canonical_decimal(value)
        except ValueError:
            raise UnusableInput(f"汇总后的 {key} 为 {value}，有效数字超过 15 位，Excel 与 JSON 无法精确保存") from None
    if value > MAX_COUNT:
        raise UnusableInput(f"汇总后的 {key} 为 {value}，超过 15 位，Excel 无法精确保存")
    return value


def aggregate_report(sub: Submission) -> ValidationReport:
    return validate(sub)


def workbook_path(json_path: str | Path) -> Path:
    """The filled template written beside the aggregate JSON (same name, .xlsx)."""
    return Path(json_path).with_suffix(".xlsx")


def write_aggregate(sub: Submission, report: ValidationReport, json_path: str | Path) -> Path:
    """The JSON and the filled workbook beside it, both or neither (a full disk never leaves a
    new JSON beside an old workbook)."""
    model = report_to_model(sub, report)
    out = workbook_path(json_path)
    atomic_write_pair((json_path, dump_model(model)), (out, filled_workbook(sub, report, out)))
    return out
