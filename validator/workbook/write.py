"""Write into workbooks with openpyxl: fill a template from a submission, annotate findings.

Both commands write a *new* file (atomically); the user's input is never modified.
"""

from __future__ import annotations

import io
import posixpath
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from validator import results, textfit
from validator.errors import UnusableInput
from validator.fileio import atomic_write, atomic_write_bytes, cannot_write
from validator.kinds import KINDS, write_text
from validator.report import ValidationReport, findings_by_cell, note_text, worst
from validator.spec import FormatSpec, split_ref
from validator.submission import Explanation, Submission
from validator.values import to_text
from validator.workbook import preserve, styles
from validator.workbook.build import template_bytes
from validator.workbook.grids import AGGREGATE_SHEET
from validator.workbook.read import check_editable_workbook, read_workbook
from validator.workbook.zipsafe import DAMAGED, DAMAGED_HINT

COMMENT_AUTHOR = "xxgk校验"
_set_text = write_text


def _argb(hex_color: str) -> str:
    return "FF" + hex_color.lstrip("#").upper()


def write_values(wb, submission: Submission) -> None:
    """Every cell's value as its kind writes it (:meth:`validator.kinds.Kind.write`)."""
    fmt = submission.format
    for spec in (*fmt.cells, *fmt.baseline_cells):
        value = submission.values.get(spec.key)
        try:
            KINDS[spec.kind].write(wb[spec.sheet][spec.ref], value)
        except ValueError as exc:  # a text no cell can hold
            raise UnusableInput(f"“{spec.label}”{exc}，无法写入工作簿", where=spec.a1, code="bad-text") from None
        if spec.kind == "longtext":
            _fit_row(wb, fmt, spec, to_text(value) if value is not None else "")


EXPLANATION_COLUMN = results.column("explanation")
"""情况说明 in 校验结果: the one column staff type into, unlocked on the protected sheet."""


def write_results(
    wb, fmt: FormatSpec, report: ValidationReport, explanations: list[Explanation], notes: Sequence[str] = ()
) -> None:
    """Fill 校验结果 with :meth:`ValidationReport.sheet_rows`, then one row per note (things
    the written copy could not keep). A cell written here gets a style of its own, which does
    not inherit the column's unlocked protection: the 情况说明 cells are unlocked explicitly,
    or staff could not type into them on the protected sheet."""
    from openpyxl.styles import Alignment, PatternFill, Protection
    from openpyxl.worksheet.hyperlink import Hyperlink

    ws = wb[fmt.results_sheet]
    first = fmt.results_header_row + 1
    if ws.max_row >= first:
        ws.delete_rows(first, ws.max_row - first + 1)
    _set_text(ws[results.SUMMARY_CELL], report.summary_zh())
    wrap, top = Alignment(wrap_text=True, vertical="top"), Alignment(vertical="top")
    unlocked = Protection(locked=False)
    sheet_rows = report.sheet_rows(explanations)
    rows = [r.values for r in sheet_rows]
    rows += [results.row(severity="注意", message=note) for note in notes]
    widths = [0 if c.name in results.HIDDEN else c.width for c in results.COLUMNS]
    for row, values in enumerate(rows, first):
        ws.row_dimensions[row].height = _results_height(values, widths)
        for col, value in enumerate(values, 1):
            cell = ws.cell(row=row, column=col)
            if isinstance(value, str):
                if value:
                    _set_text(cell, value)
            else:
                cell.value = value
            cell.alignment = wrap if widths[col - 1] else top  # the hidden keys stay one line
            if col == EXPLANATION_COLUMN:
                cell.protection = unlocked
    for row, sheet_row in enumerate(sheet_rows, first):
        if sheet_row.severity:
            fill = styles.ERROR_FILL if sheet_row.severity == "error" else styles.WARNING_FILL
            ws.cell(row=row, column=results.column("severity")).fill = PatternFill("solid", fgColor=_argb(fill))
        if sheet_row.link and "!" in sheet_row.link:  # not a published document's line
            sheet, ref = sheet_row.link.split("!")
            link = ws.cell(row=row, column=results.column("where"))
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!{ref}", tooltip="转到该单元格")
            link.alignment = wrap  # the link takes openpyxl's Hyperlink style, which does not wrap


def _results_height(values: list[object], widths: list[float]) -> float | None:
    """A 校验结果 row as tall as its longest wrapped text (LibreOffice prints a row a program
    wrote at the default height, lines over the next row); None for one line."""
    texts = [(str(v), w) for v, w in zip(values, widths) if w and isinstance(v, str) and v]
    if not any(textfit.line_count(t, w) > 1 for t, w in texts):
        return None
    return max(textfit.row_height(t, w) for t, w in texts)


def clear_marks(wb, fmt: FormatSpec) -> None:
    """Take off the marks of a previous run (our shading and notes), so a second run starts
    clean; input cells staff shaded themselves keep their colour."""
    from openpyxl.styles import PatternFill

    fill = PatternFill("solid", fgColor=_argb(styles.INPUT_FILL))
    marks = {_argb(c) for c in (styles.ERROR_FILL, styles.WARNING_FILL, *styles.OLD_WARNING_FILLS)}
    for spec in (*fmt.cells, *fmt.baseline_cells):
        cell = wb[spec.sheet][spec.ref]
        if cell.fill.fill_type == "solid" and cell.fill.fgColor.type == "rgb" and cell.fill.fgColor.rgb in marks:
            cell.fill = fill
        if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
            cell.comment = None


def mark_findings(wb, fmt: FormatSpec, report: ValidationReport) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    for ref, findings in findings_by_cell(report.findings).items():
        sheet, _mark, a1 = ref.partition("!")
        if sheet not in wb.sheetnames or not a1:
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


def _fit_row(wb, fmt: FormatSpec, spec, text: str) -> None:
    """The row of a 文字部分 cell as tall as its text (up to Excel's 409 pt): no spreadsheet
    program fits a row a program wrote. A blank part's row is left to fit what staff type."""
    row = split_ref(spec.ref)[0] + 1
    height = textfit.row_height(text, textfit.cell_width(fmt, spec.sheet, spec.ref)) if text else None
    wb[spec.sheet].row_dimensions[row].height = height


def fill_workbook(
    submission: Submission,
    report: ValidationReport | None,
    out: str | Path,
    read_back: Callable[[Path], Submission] | None = None,
) -> None:
    """A new workbook from the template with the submission's values; with a report, its marks
    and 校验结果 too (``None`` for a workbook staff have yet to fill: nothing to flag). With
    `read_back`, the workbook is read back by it before it is kept, and every cell compared
    with the submission (a copy standing for another file must read like it)."""
    data = filled_workbook(submission, report, out)
    if read_back is not None:
        check_reads_like(data, submission, out, read_back)
    atomic_write_bytes(out, data)


def filled_workbook(submission: Submission, report: ValidationReport | None, out: str | Path) -> bytes:
    """:func:`fill_workbook`'s file (to be written to `out`) as bytes. Made in memory (a filled
    template is some 50 KB), so a full disk fails only the final write: openpyxl's zip, left
    half-written on disk, printed a traceback when the garbage collector closed it. openpyxl
    still writes each sheet to a temporary file first: a full temporary folder is a
    :class:`CannotWrite` for `out` too."""
    try:
        return _filled(submission, report)
    except OSError as exc:
        raise cannot_write(out, exc) from exc


def _filled(submission: Submission, report: ValidationReport | None) -> bytes:
    import openpyxl

    fmt = submission.format
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes(fmt)))
    write_values(wb, submission)
    if report is not None:
        mark_findings(wb, fmt, report)
        write_results(wb, fmt, report, submission.explanations)
        write_status(wb, fmt, report)
    if submission.aggregate_of:
        _write_aggregate_sheet(wb, submission.aggregate_of)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_aggregate_sheet(wb, members: tuple[str, ...]) -> None:
    """The mark of a sum: a hidden sheet naming the bodies it sums (read back by
    :func:`validator.workbook.read.aggregate_members`)."""
    ws = wb.create_sheet(AGGREGATE_SHEET)
    ws.sheet_state = "hidden"
    ws["A1"] = f"本工作簿由 xxgk collect --aggregate 生成，是以下 {len(members)} 个单位报告的汇总："
    for row, name in enumerate(members, 2):
        ws.cell(row=row, column=1, value=name).data_type = "s"


MACRO_FREE_NOTE = "原工作簿含宏（按钮），标注副本按文件名存为不含宏的 .xlsx，没有按钮；需要按钮请把输出文件名改为 .xlsm"


def has_macros(path: str | Path) -> bool:
    with zipfile.ZipFile(path) as z:
        return any(posixpath.basename(n).lower() == "vbaproject.bin" for n in z.namelist())


def check_annotate_target(source: str | Path, out: str | Path) -> None:
    """Refuse, before anything is written, an output name Excel would not open: macro-free
    content in a file named .xlsm. (A macro workbook annotated to .xlsx becomes macro-free.)"""
    if Path(out).suffix.lower() == ".xlsm" and not has_macros(source):
        raise UnusableInput(
            "原工作簿不含宏，标注副本不能存为 .xlsm（Excel 会拒绝打开）；请把输出文件名改为 .xlsx", where=str(out)
        )


def annotate_workbook(
    source: str | Path,
    submission: Submission,
    report: ValidationReport,
    out: str | Path,
    read_back: Callable[[Path], Submission] | None = None,
) -> list[str]:
    """A copy of the user's workbook with flagged cells, notes, 校验结果 and status filled in.

    The copy reads exactly like its source (formula results and drawings are put back after
    openpyxl saves, see :mod:`validator.workbook.preserve`; the copy is read back to prove
    it, by `read_back`: the reader that read the source, else openpyxl). Its kind follows its
    name: .xlsm keeps the macros, .xlsx is macro-free. Returns notes for staff (Chinese) on what
    the copy could not keep.
    """
    from openpyxl.worksheet.worksheet import Worksheet

    source = Path(source)
    fmt = submission.format
    check_editable_workbook(source)  # a full load builds every cell: refuse giant sheets first
    check_annotate_target(source, out)
    macros = Path(out).suffix.lower() == ".xlsm"
    wb, sheets = _load_for_editing(source, macros)
    kept = {
        name
        for name, sheet in sheets.items()
        if sheet.drawing and not sheet.controls and isinstance(wb[name], Worksheet)
    }
    for name in kept:  # the source's drawing part is copied whole instead of openpyxl's partial rewrite
        wb[name]._images, wb[name]._charts = [], []
    notes = preserve.notes(sheets, kept)
    if not macros and has_macros(source):
        notes.append(MACRO_FREE_NOTE)
    clear_marks(wb, fmt)
    mark_findings(wb, fmt, report)
    write_results(wb, fmt, report, submission.explanations, notes)
    write_status(wb, fmt, report)

    def save(tmp: str) -> None:
        wb.save(tmp)
        with zipfile.ZipFile(source) as z:
            data = preserve.restore(Path(tmp).read_bytes(), z, sheets, kept)
        check_reads_like(data, submission, out, read_back)
        Path(tmp).write_bytes(data)

    atomic_write(out, save)
    return notes


def _load_for_editing(source: Path, macros: bool):
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's warnings about parts it drops: see preserve.notes
            wb = openpyxl.load_workbook(source, keep_vba=macros)
        with zipfile.ZipFile(source) as z:
            sheets = {n: s for n, s in preserve.scan_source(z).items() if n in wb.sheetnames}
    except MemoryError:
        raise UnusableInput("文件过大，内存不足，无法另存标注", where=source.name) from None
    except DAMAGED:
        raise UnusableInput(f"文件有损坏的部分，无法另存标注{DAMAGED_HINT}", where=source.name) from None
    return wb, sheets


def check_reads_like(
    data: bytes, submission: Submission, out: str | Path, read_back: Callable[[Path], Submission] | None = None
) -> None:
    """Read the written copy back the way ``xxgk check`` reads it and compare every input cell
    with the submission it was made from: a copy that validated differently would mislead
    whoever continues in it."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="xxgk-") as folder:
        path = Path(folder) / "copy.xlsx"
        path.write_bytes(data)
        copy = (read_back or read_workbook)(path)
    fmt = submission.format
    differ = [
        c.a1
        for c in (*fmt.cells, *fmt.baseline_cells)
        if not _same(copy.values.get(c.key), submission.values.get(c.key))
    ]
    if differ:
        raise UnusableInput(
            f"标注副本中 {'、'.join(differ[:3])} 等 {len(differ)} 个单元格的读数与原文件不同，为免误导，未写出标注副本；"
            "请在 Excel 中打开原文件并保存后再试",
            where=str(out),
        )


def _same(a: object, b: object) -> bool:
    return a == b or (type(a) is type(b) and repr(a) == repr(b))  # repr: NaN equals itself
