"""The 收报 board (``xxgk serve --db``): uploads go into a received-files folder beside the
archive, and the same run as ``xxgk collect --db`` judges them, archives them and writes the
汇总 workbook. Uploaded files are stored under generated names (``收件-0001.xlsx``); the
sender's names are kept only as text in a hidden index beside them.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from validator import api
from validator.errors import UnusableInput
from validator.fileio import atomic_write_bytes
from validator.serve.check import CheckFailed
from validator.serve.web import findings_view, uploads

if TYPE_CHECKING:
    from validator.collect.run import CollectResult

NAMES = ".上传文件名.json"


@dataclass
class Board:
    db: Path
    roster: Path | None

    def __post_init__(self) -> None:
        self.inbox = self.db.with_name(f"{self.db.stem}-收件")
        self.summary = self.db.with_name(f"{self.db.stem}-汇总.xlsx")
        self.lock = threading.Lock()
        self.result: CollectResult | None = None
        self.error: str | None = None

    def names(self) -> dict[str, str]:
        try:
            return json.loads((self.inbox / NAMES).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def receive(self, files: list[tuple[str, Path]]) -> None:
        """Move the uploads in under generated names, then judge the whole inbox again."""
        with self.lock:
            self.inbox.mkdir(parents=True, exist_ok=True)
            names = self.names()
            for display, path in files:
                stored = f"收件-{len(names) + 1:04d}{path.suffix}"
                shutil.move(path, self.inbox / stored)  # the temp dir may be on another file system
                names[stored] = display
            atomic_write_bytes(self.inbox / NAMES, json.dumps(names, ensure_ascii=False).encode("utf-8"))
            self._run()

    def current(self):
        with self.lock:
            if self.result is None and self.error is None:
                self._run()
            return self.result

    def _run(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        request = api.CollectRequest(inbox=self.inbox, out=self.summary, roster=self.roster, db=self.db)
        try:
            self.result = api.collect(request).result
            self.error = None
        except UnusableInput as exc:
            self.error = str(exc)


def board_routes(config, page: Callable[..., Response]) -> list[Route]:
    board = Board(config.db, config.roster)

    async def show(request: Request) -> Response:
        result = await run_in_threadpool(board.current)
        names = board.names()
        bodies = list(result.bodies) if result is not None else []
        unreadable = [(names.get(i.rel, i.rel), i.error) for i in result.unreadable] if result is not None else []
        rows = [
            {
                "n": n,
                "name": b.name,
                "status": b.status,
                "errors": len(b.submission.report.errors) if b.submission and b.submission.report else None,
                "warnings": len(b.submission.report.warnings) if b.submission and b.submission.report else None,
                "files": [names.get(i.rel, i.rel) for i in b.items],
                "has_findings": any(i.report is not None and i.report.findings for i in b.versions),
            }
            for n, b in enumerate(bodies)
        ]
        counts = result.status_counts() if result is not None else {}
        return page("board.html", rows=rows, counts=counts, unreadable=unreadable, error=board.error, message=None)

    async def receive(request: Request) -> Response:
        try:
            async with uploads(request, config.max_batch) as files:
                await run_in_threadpool(board.receive, files)
        except CheckFailed as exc:
            return page("board.html", status=422, rows=[], counts={}, unreadable=[], error=None, message=exc.error)
        return RedirectResponse("/board", status_code=303)

    async def findings(request: Request) -> Response:
        result = await run_in_threadpool(board.current)
        n = request.path_params["n"]
        if result is None or n >= len(result.bodies):
            return PlainTextResponse("没有这个单位", status_code=404)
        body, names = result.bodies[n], board.names()
        versions = [
            {
                "file": names.get(i.rel, i.rel),
                "report": i.report.as_dict(),
                "findings": findings_view(i.report.as_dict()),
            }
            for i in body.versions
            if i.report is not None
        ]
        return page("body.html", body=body, versions=versions)

    async def summary(request: Request) -> Response:
        await run_in_threadpool(board.current)
        if not board.summary.is_file():
            return PlainTextResponse("还没有汇总工作簿", status_code=404)
        return FileResponse(board.summary, filename="汇总.xlsx")

    return [
        Route("/board", show),
        Route("/board/upload", receive, methods=["POST"]),
        Route("/board/body/{n:int}", findings),
        Route("/board/summary.xlsx", summary),
    ]
