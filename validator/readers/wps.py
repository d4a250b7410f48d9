"""WPS 表格's own format (.et, and .ett for its templates): refused with what to do instead.

An .et file is an OLE compound file, as an old .xls is (WPS calls the format compatible with
.xls), so only its name tells the two apart; WPS saves .xlsx by default and opens and saves
this tool's template as .xlsx. Reading .et would take a BIFF reader for a format no office
sends on purpose: a clear refusal is worth more.
"""

from __future__ import annotations

from pathlib import Path

from validator.errors import UnusableInput
from validator.readers.base import EXACT, NAME, Reader
from validator.submission import InputKind, Submission
from validator.workbook.cfb import OLE_MAGIC

KIND = InputKind("wps")
SUFFIXES = (".et", ".ett")
MESSAGE = "这是 WPS 表格文件（.et），请在 WPS 中“另存为” Excel 工作簿（.xlsx）后再试"


def sniff(head: bytes, name: str) -> int:
    if not name.lower().endswith(SUFFIXES):
        return 0
    return EXACT if head[:8] == OLE_MAGIC else NAME


def read(path: Path, data: bytes | None = None) -> Submission:
    raise UnusableInput(MESSAGE, where=path.name, code="wps")


READER = Reader(KIND, "WPS 表格文件（.et）", SUFFIXES, sniff, read, 0, offered=())
