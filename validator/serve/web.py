"""Starlette pieces the check page and the board share: uploads read into a private temp
folder under the per-file cap (counted while the body streams in, so an oversized file is cut
off, not stored), and findings grouped for a page."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartParser
from starlette.requests import Request

from validator.report import listing
from validator.serve.check import MAX_UPLOAD_BYTES, CheckFailed, display_name, upload_dir, upload_path


class TooLarge(Exception):
    pass


class SlowClient(Exception):
    """The request body stalled (see ``Config.body_timeout``)."""


class CappedParser(MultiPartParser):
    """Starlette's multipart parser with a cap on each file part, checked as its bytes arrive."""

    def __init__(self, *args, max_file_size: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_file_size = max_file_size
        self._file_size = 0

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self._file_size = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_part.file is not None:
            self._file_size += end - start
            if self._file_size > self.max_file_size:
                raise TooLarge
        super().on_part_data(data, start, end)


async def read_form(request: Request, max_files: int = 1, max_file_size: int = MAX_UPLOAD_BYTES) -> FormData:
    """The request's form; raises CheckFailed for a form that is too large or malformed."""
    content_type = request.headers.get("content-type", "")
    try:
        if not content_type.startswith("multipart/form-data"):
            return await request.form(max_files=max_files, max_fields=10)
        parser = CappedParser(
            request.headers, request.stream(), max_files=max_files, max_fields=10, max_file_size=max_file_size
        )
        return await parser.parse()
    except TooLarge:
        raise CheckFailed(
            {"code": "too-large", "message": f"上传的文件超过上限 {max_file_size // (1024 * 1024)} MB；已拒绝读取"}
        ) from None
    except SlowClient:
        raise CheckFailed({"code": "timeout", "message": "上传中断或过慢（长时间没有收到数据），已放弃"}) from None
    except Exception:  # python-multipart's and Starlette's parse errors
        raise CheckFailed({"code": "bad-argument", "message": "上传的表单不完整或格式不对"}) from None


async def _upload(
    request: Request, tmp: Path, max_files: int = 1, max_file_size: int = MAX_UPLOAD_BYTES
) -> tuple[list[tuple[str, Path]], FormData]:
    """The uploaded files copied under fixed names into `tmp`, and the form's other fields."""
    form = await read_form(request, max_files, max_file_size)
    try:
        files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
        if not files:
            raise CheckFailed({"code": "bad-argument", "message": "没有收到文件：请选择一个工作簿或 JSON 文件"})
        out = []
        for n, f in enumerate(files):
            display = display_name(f.filename)
            sub = tmp / str(n)
            sub.mkdir()
            path = upload_path(sub, display)
            with path.open("wb") as fh:
                await run_in_threadpool(shutil.copyfileobj, f.file, fh)
            out.append((display, path))
        return out, form
    finally:
        await form.close()


@asynccontextmanager
async def uploads(
    request: Request, max_files: int = 1, max_file_size: int = MAX_UPLOAD_BYTES
) -> AsyncIterator[list[tuple[str, Path]]]:
    """The request's files in a private temp directory that is removed afterwards."""
    with upload_dir() as tmp:
        files, _ = await _upload(request, tmp, max_files, max_file_size)
        yield files


@asynccontextmanager
async def uploads_with_form(
    request: Request, max_files: int = 1, max_file_size: int = MAX_UPLOAD_BYTES
) -> AsyncIterator[tuple[list[tuple[str, Path]], FormData]]:
    """:func:`uploads` and the form's text fields (a CSRF token)."""
    with upload_dir() as tmp:
        yield await _upload(request, tmp, max_files, max_file_size)


def findings_view(report: dict) -> list[dict]:
    """Root causes first, each with the consequences that follow from it folded under it: the
    order and numbers of :func:`validator.report.listing`, as in the terminal and 校验结果."""
    findings = report["findings"]
    roots: list[dict] = []
    for number, (i, root) in enumerate(listing([(f["severity"], f.get("caused_by")) for f in findings]), 1):
        entry = {**findings[i], "number": number, "consequences": []}
        if root is None:
            roots.append(entry)
        else:
            roots[-1]["consequences"].append(entry)
    return roots
