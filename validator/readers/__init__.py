"""Reading a submission: which reader a file goes to is decided here, by its content.

:func:`load` is what ``check``, ``export``, ``collect``, the web page and the board use for a
workbook or a JSON; :mod:`validator.importer.document` reads published documents.
"""

from __future__ import annotations

import os
from pathlib import Path

from validator.errors import UnusableInput
from validator.fileio import read_up_to, sniff
from validator.jsonio import MAX_JSON_BYTES, load_json, read_json_bytes
from validator.submission import Submission

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")


def load(path: str | os.PathLike[str]) -> Submission:
    """A Submission from a workbook or a JSON file, chosen by content, not by name.

    Downloads arrive as ``报告.xlsx.1``, ``报告(1).xlsx.download`` or without a suffix, and a
    workbook is sometimes saved under ``.json``: a zip or compound file goes to the workbook
    reader (which tells .xls, encrypted and .ods files apart), a ``{`` to the JSON reader.
    A regular JSON file within the size limit is read whole here, once (the receiving office
    reads thousands); anything else goes to ``load_json``, which says what is wrong."""
    from validator.workbook.read import read_workbook  # zip, XML and openpyxl machinery: only for a workbook

    p = Path(path)
    is_json = p.suffix.lower() == ".json"
    try:
        if not p.is_file():  # missing, a folder, a FIFO (never opened: it would block)
            return load_json(p) if is_json else read_workbook(p)
        with p.open("rb") as fh:
            head = fh.read(8)
            kind = sniff(head, is_json)
            data = _rest(fh, head) if kind == "json" else None
    except OSError as exc:
        raise UnusableInput(f"无法读取文件：{exc.strerror or exc}", where=str(path), code="not-found") from None
    if kind == "workbook":
        return read_workbook(p)
    if kind == "json":
        if data is not None:
            return read_json_bytes(data, p.name)
        return load_json(p)  # too large or unreadable: it says so
    if p.suffix.lower() in WORKBOOK_SUFFIXES:
        return read_workbook(p)
    raise UnusableInput("不支持的文件类型：请提供 .xlsx 工作簿或 .json 文件", where=p.name, code="not-xlsx")


def _rest(fh, head: bytes) -> bytes | None:
    """The whole file after its first bytes, or None when it is over the JSON size limit or
    cannot be read."""
    try:
        return read_up_to(fh, os.fstat(fh.fileno()).st_size, MAX_JSON_BYTES, head)
    except OSError:
        return None


def refuse_workbook(path: str | os.PathLike[str], command: str) -> None:
    """A workbook given where a JSON is needed: say so, rather than “不是 UTF-8”."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return  # the JSON reader says why it cannot be read
    if sniff(head, False) == "workbook":
        raise UnusableInput(
            f"这是 Excel 工作簿，{command} 需要 JSON 文件；请先用 xxgk export 工作簿 -o 报告.json 导出 JSON",
            where=str(path),
        )
