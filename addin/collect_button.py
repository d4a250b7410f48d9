"""What the 选择文件夹并汇总 button of the collect workbook runs inside Excel, through xlwings.

``Collect.bas`` asks for the inbox folder (and, optionally, the roster) with Excel's own
dialogs, writes both paths into the sheet and calls :func:`collect_folder`. That runs exactly
``xxgk collect INBOX -o …-汇总.xlsx [--roster FILE]`` (:func:`validator.api.collect`),
writes the outcome into the sheet and opens the 汇总 workbook. The book is a parameter
(default: the calling workbook) so tests pass a book of xlwings' remote engine.

The workbook is only for choosing and showing: the 汇总 workbook is written beside the inbox
folder, never inside it (the inbox is never modified).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from addin.excel import _log_traceback
from validator import api
from validator.errors import UnusableInput

TITLE = "政府信息公开年报汇总"
SHEET = "汇总"
MACRO, CAPTION = "CollectFolder", "选择文件夹并汇总"
INBOX_CELL, ROSTER_CELL, OUTPUT_CELL, RESULT_CELL, TIME_CELL = "C4", "C5", "C6", "C7", "C8"
"""Where Collect.bas puts the chosen paths and where the outcome goes (tests check the .bas
uses the same addresses)."""
LABELS = {"B4": "收件文件夹", "B5": "单位名单（可选）", "B6": "汇总工作簿", "B7": "汇总结果", "B8": "汇总时间"}
OUTPUT_SUFFIX = "-汇总.xlsx"


def output_path(inbox: Path) -> Path:
    """``收件箱`` → ``收件箱-汇总.xlsx`` in the folder that holds it (not inside the inbox)."""
    inbox = Path(inbox)
    if not inbox.name:
        raise UnusableInput("请选择存放报送文件的文件夹，不要直接选择磁盘根目录", where=str(inbox))
    return inbox.with_name(inbox.name + OUTPUT_SUFFIX)


def collect_folder(book=None, opener: Callable[[object, Path], None] | None = None) -> Path | None:
    """选择文件夹并汇总 (the Python half): run collect on the paths in the sheet, show the
    result there, open the 汇总 workbook. Any failure is a Chinese message box."""
    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    try:
        return _collect(book, opener or open_in_excel)
    except UnusableInput as exc:
        _alert(book, f"无法汇总：{exc}")
    except Exception as exc:  # a bug: say so plainly, details in the log
        _alert(
            book,
            f"内部错误（{type(exc).__name__}: {exc}）。这是本工具的缺陷，"
            f"请把收件文件夹和日志文件 {_log_traceback()} 发给维护人员。",
        )
    return None


def _collect(book, opener: Callable[[object, Path], None]) -> Path:
    ws = book.sheets[SHEET]
    inbox, roster = _text(ws[INBOX_CELL].value), _text(ws[ROSTER_CELL].value)
    if not inbox:
        raise UnusableInput("还没有选择收件文件夹：请点“选择文件夹并汇总”")
    out = output_path(Path(inbox))
    collected = api.collect(api.CollectRequest(inbox=inbox, out=out, roster=roster or None))
    result = collected.result
    text = "\n".join(
        [api.summary_line(result), *collected.lines, *(f"无法读取：{item.error}" for item in result.unreadable[:20])]
    )
    ws[OUTPUT_CELL].value = str(out)
    ws[RESULT_CELL].value = text
    ws[TIME_CELL].value = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    opener(book, out)
    return out


def open_in_excel(book, path: Path) -> None:
    """Open the 汇总 workbook in the same Excel. (A copy still open from the last run keeps the
    new one from being written: Windows locks it, and the message box says the file is in use.)"""
    book.app.books.open(str(path))


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _alert(book, message: str) -> None:
    book.app.alert(message, title=TITLE)
