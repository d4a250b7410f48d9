"""An uploaded file to the report ``xxgk check --json`` prints, without any web framework.

The upload is written under a fixed name in a private temp directory (the sender's file
name is only ever shown, never used as a path; its suffix is kept when a reader claims it) and
read by the same readers as the command line (:func:`validator.api.load`), so it passes the same
size caps and hostile-file defences.
"""

from __future__ import annotations

import base64
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from validator import api, readers
from validator.errors import UnusableInput
from validator.workbook.write import has_macros

MAX_UPLOAD_BYTES = readers.max_upload_bytes()
"""The readers' own caps: a larger upload is refused before its body is read."""
_SUFFIXES = readers.claimed_suffixes()
ACCEPT = ",".join(readers.offered_suffixes())
"""What the pages' file pickers offer (``accept=``)."""
WORKBOOKS = "／".join(readers.offered_suffixes(typed=False))
"""The workbook kinds among them, as the pages name them."""
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
UPLOAD_STEM = "upload"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.12"


def display_name(filename: str | None) -> str:
    """The sender's file name as text to show: last path component, no control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name).strip()[:120]
    return name or "上传的文件"


def _suffix(display: str) -> str:
    suffix = Path(display).suffix.lower()
    return suffix if suffix in _SUFFIXES else ""


@contextmanager
def upload_dir() -> Iterator[Path]:
    """A private temp directory removed when the response is done (also on errors)."""
    with tempfile.TemporaryDirectory(prefix="xxgk-serve-") as tmp:
        yield Path(tmp)


def upload_path(tmp: Path, display: str) -> Path:
    return tmp / f"{UPLOAD_STEM}{_suffix(display)}"


@dataclass
class Download:
    name: str
    media_type: str
    data: bytes

    def data_uri(self) -> str:
        """The file inside the page itself: nothing is kept on the server to fetch later."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass
class Checked:
    """What one check gives: the report as ``check --json`` prints it, and for the page the
    annotated copy, the exported JSON (only without 错误) and notes."""

    name: str
    report: dict
    submission: object = None
    annotated: Download | None = None
    exported: Download | None = None
    notes: list[str] = field(default_factory=list)


class CheckFailed(Exception):
    """The upload cannot be used: `error` is ``{"code", "message", "where"}`` as ``check --json``."""

    def __init__(self, error: dict):
        super().__init__(error["message"])
        self.error = error


def error_dict(exc: UnusableInput, path: Path, display: str) -> dict:
    """The CLI's error JSON with the temp path replaced by the name the sender knows."""

    def shown(text: str) -> str:
        return text.replace(str(path), display).replace(path.name, display)

    message = str(exc)
    prefix = f"{exc.where}：" if exc.where else ""
    if prefix and message.startswith(prefix):
        message = message[len(prefix) :]
    error = {"code": exc.code, "message": shown(message)}
    if exc.where:
        error["where"] = shown(exc.where)
    return error


def check_file(path: Path, display: str, *, annotate: bool = False, export: bool = False) -> Checked:
    """Check the upload at `path` (shown as `display`); raises :class:`CheckFailed`."""
    try:
        submission = api.load(path)
        submission.source = display
        result = api.check(submission)
    except UnusableInput as exc:
        raise CheckFailed(error_dict(exc, path, display)) from None
    checked = Checked(name=display, report=result.report.as_dict(), submission=submission)
    stem = Path(display).stem or "报告"
    if annotate and submission.kind.annotatable:
        _annotate(path, result, stem, checked)
    if export and result.valid:
        checked.exported = Download(f"{stem}.json", "application/json", api.export(result))
    return checked


def _annotate(path: Path, result: api.Checked, stem: str, checked: Checked) -> None:
    suffix = ".xlsm" if has_macros(path) else ".xlsx"
    out = path.with_name(f"annotated{suffix}")
    try:
        checked.notes += api.annotate(path, result, out)
    except UnusableInput as exc:
        checked.notes.append(f"未能生成标注副本：{error_dict(exc, path, checked.name)['message']}")
        return
    media = XLSM_TYPE if suffix == ".xlsm" else XLSX_TYPE
    checked.annotated = Download(f"{stem}-标注{suffix}", media, out.read_bytes())
