"""What the 校验 / 导出JSON / 生成报告 / 清除标记 buttons run inside Excel, through xlwings.

The VBA buttons call :mod:`addin.button`, which imports this module. Every function takes the
book as a parameter (default: the calling workbook) so tests can pass a book of xlwings'
remote engine. Reading is one call per sheet (each COM call costs time in Excel); the rule
engine is exactly the one ``xxgk check`` runs.

Kept light on purpose: no CLI, no openpyxl, no pydantic until an export is asked for.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from validator import results as results_layout
from validator.engine import validate as run_rules
from validator.errors import UnusableInput
from validator.formats import get_format
from validator.report import ValidationReport, findings_by_cell, note_text, worst
from validator.spec import FormatSpec, col_letter, split_ref
from validator.submission import Submission
from validator.values import CellError, to_text, to_year
from validator.workbook import styles
from validator.workbook.grids import MAX_RESULT_ROWS, Grid, detect_format, sheet_extent, submission_from_grids

TITLE = "政府信息公开年报校验"
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#BUSY!",
    }
)
RESULT_COLUMNS = results_layout.WIDTH


# --------------------------------------------------------------------------- entry points


def validate(book=None) -> ValidationReport | None:
    """校验: mark every flagged cell, fill 校验结果, write the status line on 封面."""
    return _guarded(book, _validate)


def export_json(book=None, folder: str | Path | None = None) -> Path | None:
    """导出JSON: next to the workbook, named from body and year; refused while 错误 remain."""
    return _guarded(book, lambda b: _export(b, folder))


def render_report(book=None, folder: str | Path | None = None) -> Path | None:
    """生成报告: the Word report next to the workbook, as ``xxgk render``; refused while 错误
    remain or narrative parts are empty."""
    return _guarded(book, lambda b: _render(b, folder))


def clear_marks(book=None) -> None:
    """清除标记: input shading restored, our notes and the 校验结果 rows removed."""
    return _guarded(book, _clear_only)


# --------------------------------------------------------------------------- plumbing


def _guarded(book, action):
    """Run an action; any failure becomes a Chinese message box, never a traceback window."""
    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    try:
        with _unprotected(book):
            return action(book)
    except UnusableInput as exc:
        _alert(book, f"无法完成：{exc}")
    except Exception as exc:  # a bug: tell staff plainly and leave the details for developers
        log = _log_traceback()
        _alert(
            book,
            f"内部错误（{type(exc).__name__}: {exc}）。这是本工具的缺陷，请把工作簿和日志文件 {log} 发给维护人员。",
        )
    return None


def _log_traceback() -> str:
    import tempfile
    import traceback

    path = Path(tempfile.gettempdir()) / "xxgk-report-error.log"
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')}\n{traceback.format_exc()}\n")
    except OSError:
        return "（无法写入日志）"
    return str(path)


def _alert(book, message: str) -> None:
    book.app.alert(message, title=TITLE)


class _unprotected:
    """Desktop Excel refuses to format cells of a protected sheet: lift the (password-less)
    protection while we write and put it back after. The remote engine has no protection."""

    def __init__(self, book):
        self.sheets = []
        if getattr(book.app, "engine", None) is not None and book.app.engine.name == "excel":
            self.sheets = [s for s in book.sheets if s.api.ProtectContents]

    def __enter__(self):
        for sheet in self.sheets:
            sheet.api.Unprotect()

    def __exit__(self, *exc):
        for sheet in self.sheets:
            sheet.api.Protect(
                DrawingObjects=False, Contents=True, AllowFormattingColumns=True, AllowFormattingRows=True
            )
        return False


def _sheet(book, name: str):
    try:
        return book.sheets[name]
    except Exception:  # xlwings raises different errors per engine for a missing sheet
        raise UnusableInput(
            f"缺少工作表“{name}”；这不是本工具的填报模板，或工作表被删除、改名", where=book.name, code="layout-changed"
        ) from None


def read_grids(book, fmt: FormatSpec) -> dict[str, Grid]:
    """One read per sheet of exactly the block the format uses."""
    grids: dict[str, Grid] = {}
    for name, (rows, cols) in sheet_extent(fmt).items():
        if name == fmt.results_sheet:
            rows = fmt.results_header_row + _result_row_count(book, fmt)
        values = _sheet(book, name).range((1, 1), (rows, cols)).options(ndim=2, err_to_str=True).value
        grids[name] = [[_cell(v) for v in row] for row in values]
    return grids


def _result_row_count(book, fmt: FormatSpec) -> int:
    """How many rows below the 校验结果 header are in use (bounded like the file reader)."""
    sheet = _sheet(book, fmt.results_sheet)
    last = sheet.used_range.last_cell.row
    return min(max(last - fmt.results_header_row, 1), MAX_RESULT_ROWS)


def _cell(value: object) -> object:
    if isinstance(value, str) and value in EXCEL_ERRORS:
        return CellError(value)
    return value


def book_format(book) -> FormatSpec:
    """The format whose marker the book's cover holds (one cell read per registered format);
    the default format otherwise, whose reader then says why the book is not a template."""

    def marker_at(sheet: str, ref: str) -> object:
        try:
            ws = book.sheets[sheet]
        except Exception:  # xlwings raises different errors per engine for a missing sheet
            return None
        return ws.range(ref).value

    return detect_format(marker_at) or get_format()


def read_submission(book) -> tuple[Submission, dict[str, Grid]]:
    fmt = book_format(book)
    grids = read_grids(book, fmt)
    return submission_from_grids(fmt, grids, book.name), grids


def _joined(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge touching (first, last) spans: [(1, 1), (2, 4), (6, 6)] -> [(1, 4), (6, 6)]."""
    out: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if out and first == out[-1][1] + 1:
            out[-1] = (out[-1][0], last)
        else:
            out.append((first, last))
    return out


def input_ranges(fmt: FormatSpec) -> dict[str, list[str]]:
    """Input cells grouped into as few rectangles as possible per sheet (for one-call shading)."""
    per_row: dict[str, dict[int, list[tuple[int, int]]]] = {}
    for cell in (*fmt.cells, *fmt.baseline_cells):
        top, left = split_ref(cell.ref)
        _bottom, right = split_ref(cell.merge_to or cell.ref)
        per_row.setdefault(cell.sheet, {}).setdefault(top, []).append((left, right))
    out: dict[str, list[str]] = {}
    for sheet, rows in per_row.items():
        rows_by_span: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for row, spans in rows.items():
            for span in _joined(spans):
                rows_by_span.setdefault(span, []).append((row, row))
        out[sheet] = sorted(
            (
                f"{col_letter(left)}{top + 1}:{col_letter(right)}{bottom + 1}"
                for (left, right), row_spans in rows_by_span.items()
                for top, bottom in _joined(row_spans)
            ),
            key=lambda a: split_ref(a.split(":")[0]),
        )
    return out


def _as_text(value: object) -> object:
    """Excel turns a string starting with = + - @ into a formula; a leading apostrophe keeps it text."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value


# --------------------------------------------------------------------------- actions


def _clear(book, fmt: FormatSpec, grids: dict[str, Grid]) -> None:
    for sheet, ranges in input_ranges(fmt).items():
        ws = _sheet(book, sheet)
        for address in ranges:
            ws.range(address).color = styles.INPUT_FILL
    # notes we added sit on the cells the previous 校验结果 rows name (key column J)
    old_rows = [r for r in grids[fmt.results_sheet][fmt.results_header_row :] if any(v not in (None, "") for v in r)]
    for row in old_rows:
        for key in str((row + [None] * RESULT_COLUMNS)[results_layout.index("keys")] or "").split(","):
            key = key.strip()
            try:
                cell = fmt.cell(key)
            except KeyError:
                continue
            rng = _sheet(book, cell.sheet).range(cell.ref)
            if rng.note is not None:
                rng.note.delete()
    results = _sheet(book, fmt.results_sheet)
    first = fmt.results_header_row + 1
    if old_rows:
        block = results.range((first, 1), (first + len(old_rows) - 1, RESULT_COLUMNS))
        block.clear_contents()
        severity = results_layout.column("severity")
        results.range((first, severity), (first + len(old_rows) - 1, severity)).color = None


def _write(book, fmt: FormatSpec, report: ValidationReport, submission: Submission, seconds: float) -> None:
    for ref, findings in findings_by_cell(report.findings).items():
        sheet, a1 = ref.split("!")
        rng = _sheet(book, sheet).range(a1)
        rng.color = styles.ERROR_FILL if worst(findings) == "error" else styles.WARNING_FILL
        if rng.note is not None:  # a note we did not clear (e.g. staff deleted a 校验结果 row)
            rng.note.text = note_text(findings)
        else:
            rng.add_note(note_text(findings))
    results = _sheet(book, fmt.results_sheet)
    results.range(results_layout.SUMMARY_CELL).value = report.summary_zh()
    rows = report.sheet_rows(submission.explanations)
    first = fmt.results_header_row + 1
    if rows:
        results.range((first, 1)).value = [[_as_text(v) for v in r.values] for r in rows]
        # an annotated copy's rows carry fixed heights (openpyxl writes them so): fit the new text
        results.range((first, 1), (first + len(rows) - 1, RESULT_COLUMNS)).rows.autofit()
    for i, row in enumerate(rows):
        if row.severity:
            fill = styles.ERROR_FILL if row.severity == "error" else styles.WARNING_FILL
            results.range((first + i, results_layout.column("severity"))).color = fill
        if row.link:
            sheet, a1 = row.link.split("!")
            where = results_layout.column("where")
            results.range((first + i, where)).add_hyperlink(f"#'{sheet}'!{a1}", row.values[where - 1], "转到该单元格")
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    sheet, ref = fmt.status_cell
    _sheet(book, sheet).range(ref).value = f"{report.summary_zh()}（{stamp}，用时 {seconds:.1f} 秒）"


def _validate(book) -> ValidationReport:
    start = time.perf_counter()
    submission, grids = read_submission(book)
    report = run_rules(submission)
    _clear(book, submission.format, grids)
    _write(book, submission.format, report, submission, time.perf_counter() - start)
    return report


def _clear_only(book) -> None:
    fmt = book_format(book)
    grids = read_grids(book, fmt)
    submission_from_grids(fmt, grids, book.name)  # refuse foreign workbooks before touching them
    _clear(book, fmt, grids)
    sheet, ref = fmt.status_cell
    _sheet(book, sheet).range(ref).value = "未校验"
    _sheet(book, fmt.results_sheet).range(results_layout.SUMMARY_CELL).value = None


def _refuse(book, report, what: str) -> None:
    """The message box when 错误 remain: what was not done, and the first ten errors as the
    校验结果 sheet lists them (a located typo first, its consequences marked as such)."""
    errors = [row for row in report.rows() if row.finding.severity == "error"]
    lines = []
    for row in errors[:10]:
        f = row.finding
        follows = f"（第 {row.root.number} 条的连带结果）" if row.root is not None else ""
        lines.append(f"{row.number}. {f.cells[0].ref if f.cells else ''} {follows}{f.message}")
    more = f"\n……共 {len(errors)} 个错误" if len(errors) > 10 else ""
    follow = sum(1 for row in errors if row.root is not None)
    note = f"（其中 {follow} 个是已定位填错的连带结果）" if follow else ""
    _alert(book, f"存在 {len(errors)} 个错误{note}，{what}。请先点“校验”查看并改正：\n" + "\n".join(lines) + more)


def _export(book, folder: str | Path | None) -> Path | None:
    from validator import api  # lazy: loads pydantic
    from validator.fileio import atomic_write_bytes, safe_filename  # lazy: off the check path

    submission, _grids = read_submission(book)
    checked = api.check(submission)
    try:
        data = api.export(checked)
    except api.Refused as refused:
        _refuse(book, refused.report, refused.what + " JSON")
        return None
    body = to_text(submission.values.get("body.name")).strip()
    year = to_year(submission.values.get("year"))
    target_dir = Path(folder) if folder is not None else Path(book.fullname).resolve().parent
    target = target_dir / safe_filename(f"{body}{year}年政府信息公开工作年度报告", ".json")
    atomic_write_bytes(target, data)
    report = checked.report
    note = f"（另有 {len(report.warnings)} 个提示，可在“校验结果”表写明情况说明）" if report.warnings else ""
    _alert(book, f"已导出：{target}{note}")
    return target


def _render(book, folder: str | Path | None) -> Path | None:
    from validator import api  # lazy: loads docx
    from validator.fileio import atomic_write_bytes, safe_filename  # lazy: off the check path

    submission, _grids = read_submission(book)
    checked = api.check(submission)
    try:
        rendered = api.render(checked, "docx")
    except api.Refused as refused:
        _refuse(book, refused.report, refused.what)
        return None
    except api.MissingNarrative as exc:
        _alert(book, exc.message(excel=True))
        return None
    body = to_text(submission.values.get("body.name")).strip()
    year = to_year(submission.values.get("year"))
    target_dir = Path(folder) if folder is not None else Path(book.fullname).resolve().parent
    target = target_dir / safe_filename(f"{body}{year}年政府信息公开工作年度报告", ".docx")
    atomic_write_bytes(target, rendered.data)
    _alert(book, f"已生成报告：{target}")
    return target
