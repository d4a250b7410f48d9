"""A workbook file as the payload an Office.js client sends to xlwings' remote engine, and the
actions the engine would apply in Excel. The remote engine is for tests only
(XLWINGS_LICENSE_KEY=noncommercial, set in conftest)."""

from __future__ import annotations

import datetime as dt

import openpyxl


def _office_js(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    return value


def remote_book(path, name: str = "report.xlsm"):
    """The workbook as xlwings' remote engine sees it: values and note addresses per sheet."""
    import xlwings as xw

    wb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        rows = max(ws.max_row, 1)
        cols = max(ws.max_column, 1)
        values = [[_office_js(c.value) for c in row] for row in ws.iter_rows(min_row=1, max_row=rows, max_col=cols)]
        notes = [{"address": f"${c.column_letter}${c.row}"} for row in ws.iter_rows() for c in row if c.comment]
        sheets.append({"name": ws.title, "values": values, "notes": notes, "pictures": [], "tables": []})
    payload = {
        "version": xw.__version__,
        "client": "Office.js",
        "book": {"name": name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }
    return xw.Book(json=payload)


def actions(book, func: str | None = None) -> list[dict]:
    """The actions the engine would apply, those of one function (``alert``, ``addNote``…) if named."""
    acts = book.json()["actions"]
    return [a for a in acts if func is None or a["func"] == func]


def edit_cells(path, edits: dict[str, object]) -> None:
    """Set ``{"表三!J4": 4, …}`` in the workbook file, in place."""
    wb = openpyxl.load_workbook(path)
    for where, value in edits.items():
        sheet, ref = where.split("!")
        wb[sheet][ref] = value
    wb.save(path)
