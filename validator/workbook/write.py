"""Write into workbooks with openpyxl: fill a template from a submission, annotate findings.

Both commands write a *new* file (atomically); the user's input is never modified.
"""

from __future__ import annotations

import io
from pathlib import Path

from validator.errors import UnusableInput
from validator.fileio import atomic_write
from validator.report import ValidationReport, findings_by_cell, note_text, worst
from validator.spec import FormatSpec
from validator.submission import Explanation, Submission
from validator.values import encode_ooxml, to_date, to_text
from validator.workbook import styles

EXCEL_CELL_LIMIT = 32767
COMMENT_AUTHOR = "xxgk校验"


def _argb(hex_color: str) -> str:
    return "FF" + hex_color.lstrip("#").upper()


def _set_text(cell, text: str) -> None:
    cell.value = encode_ooxml(text)  # openpyxl writes "_x000D_" as is; Excel would read a CR
    cell.data_type = "s"  # never a formula, even when the text starts with = + - @


def write_values(wb, submission: Submission) -> None:
    fmt = submission.format
    for spec in (*fmt.cells, *fmt.baseline_cells):
        value = submission.values.get(spec.key)
        cell = wb[spec.sheet][spec.ref]
        if value is None or value == "":
            cell.value = None
        elif spec.kind in ("text", "longtext", "choice"):
            text = to_text(value)
            units = len(text.encode("utf-16-le")) // 2  # Excel counts UTF-16 units: an emoji is two
            if units > EXCEL_CELL_LIMIT:
                raise UnusableInput(
                    f"“{spec.label}”共 {units} 字（按 Excel 计数），超过单元格上限 {EXCEL_CELL_LIMIT} 字，无法写入工作簿",
                    where=spec.a1)
            _set_text(cell, text)
        elif spec.kind == "date":
            date = to_date(value)
            if date is not None:
                cell.value = date
            else:
                _set_text(cell, to_text(value))
        else:
            cell.value = value


def write_results(wb, fmt: FormatSpec, report: ValidationReport, explanations: list[Explanation]) -> None:
    """Fill 校验结果 with :meth:`ValidationReport.sheet_rows`."""
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    ws = wb[fmt.results_sheet]
    first = fmt.results_header_row + 1
    if ws.max_row >= first:
        ws.delete_rows(first, ws.max_row - first + 1)
    _set_text(ws["A2"], report.summary_zh())
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, sheet_row in enumerate(report.sheet_rows(explanations), first):
        for col, value in enumerate(sheet_row.values, 1):
            cell = ws.cell(row=row, column=col)
            if isinstance(value, str):
                if value:
                    _set_text(cell, value)
            else:
                cell.value = value
            cell.alignment = wrap
        if sheet_row.severity:
            fill = styles.ERROR_FILL if sheet_row.severity == "error" else styles.WARNING_FILL
            ws.cell(row=row, column=3).fill = PatternFill("solid", fgColor=_argb(fill))
        if sheet_row.link:
            sheet, ref = sheet_row.link.split("!")
            link = ws.cell(row=row, column=5)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!{ref}", tooltip="转到该单元格")


def clear_marks(wb, fmt: FormatSpec) -> None:
    """Restore every input cell's shading and drop our notes, so a second run starts clean."""
    from openpyxl.styles import PatternFill

    fill = PatternFill("solid", fgColor=_argb(styles.INPUT_FILL))
    for spec in (*fmt.cells, *fmt.baseline_cells):
        cell = wb[spec.sheet][spec.ref]
        cell.fill = fill
        if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
            cell.comment = None


def mark_findings(wb, fmt: FormatSpec, report: ValidationReport) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    for ref, findings in findings_by_cell(report.findings).items():
        sheet, a1 = ref.split("!")
        if sheet not in wb.sheetnames:
            continue
        cell = wb[sheet][a1]
        color = styles.ERROR_FILL if worst(findings) == "error" else styles.WARNING_FILL
        cell.fill = PatternFill("solid", fgColor=_argb(color))
        comment = Comment(note_text(findings), COMMENT_AUTHOR)
        comment.width, comment.height = 320, 60 + 40 * len(findings)
        cell.comment = comment


def write_status(wb, fmt: FormatSpec, report: ValidationReport) -> None:
    sheet, ref = fmt.status_cell
    _set_text(wb[sheet][ref], report.summary_zh())


def fill_workbook(submission: Submission, report: ValidationReport | None, out: str | Path) -> None:
    """A new workbook from the template with the submission's values; with a report, its marks
    and 校验结果 too (``None`` for a workbook staff have yet to fill: nothing to flag)."""
    import openpyxl

    from validator.workbook.build import template_bytes

    fmt = submission.format
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes(fmt)))
    write_values(wb, submission)
    if report is not None:
        mark_findings(wb, fmt, report)
        write_results(wb, fmt, report, submission.explanations)
        write_status(wb, fmt, report)
    atomic_write(out, wb.save)


def annotate_workbook(source: str | Path, submission: Submission, report: ValidationReport,
                      out: str | Path) -> None:
    """A copy of the user's workbook with flagged cells, notes, 校验结果 and status filled in."""
    import openpyxl

    from validator.workbook.read import check_editable_workbook

    source = Path(source)
    fmt = submission.format
    check_editable_workbook(source)  # a full load builds every cell: refuse giant sheets first
    wb = openpyxl.load_workbook(source, keep_vba=source.suffix.lower() == ".xlsm")
    clear_marks(wb, fmt)
    mark_findings(wb, fmt, report)
    write_results(wb, fmt, report, submission.explanations)
    write_status(wb, fmt, report)
    atomic_write(out, wb.save)
