"""Starlette pieces the check page and the board share: uploads read into a private temp
folder under the per-file cap, and findings grouped for a page."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from validator.report import listing
from validator.serve.check import CheckFailed, display_name, upload_dir, upload_path


class TooLarge(Exception):
    pass


async def _upload(request: Request, tmp: Path, max_files: int = 1) -> list[tuple[str, Path]]:
    """The uploaded files copied under fixed names into `tmp`; raises CheckFailed for a bad form."""
    try:
        form = await request.form(max_files=max_files, max_fields=10)
    except TooLarge:
        raise CheckFailed({"code": "too-large", "message": "上传的文件超过上限；已拒绝读取"}) from None
    except Exception:  # python-multipart's and Starlette's parse errors
        raise CheckFailed({"code": "bad-argument", "message": "上传的表单不完整或格式不对"}) from None
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
        return out
    finally:
        await form.close()


@asynccontextmanager
async def uploads(request: Request, max_files: int = 1) -> AsyncIterator[list[tuple[str, Path]]]:
    """The request's files in a private temp directory that is removed afterwards."""
    with upload_dir() as tmp:
        yield await _upload(request, tmp, max_files)


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
