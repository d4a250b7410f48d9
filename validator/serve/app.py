"""The Starlette application of ``xxgk serve`` (imported only when the server starts).

Every response carries a strict Content-Security-Policy (no inline script or style, nothing
from another origin); Jinja2 escapes all text; an unexpected error gives a short Chinese
page, never a stack trace. Request bodies are capped before they are read.
"""

from __future__ import annotations

import hmac
import ipaddress
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from validator.report import listing
from validator.serve.check import MAX_UPLOAD_BYTES, CheckFailed, check_file, display_name, upload_dir, upload_path

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
FORM_OVERHEAD = 64 * 1024
"""Room for the multipart headers around one capped file."""
TOKEN_COOKIE = "xxgk_token"


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    db: Path | None = None
    roster: Path | None = None
    max_upload: int = MAX_UPLOAD_BYTES
    max_batch: int = 20


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class TooLarge(Exception):
    pass


class Guard:
    """Pure ASGI middleware: security headers, the token, the body cap, a same-origin check for
    POSTs (a page elsewhere must not submit to the board through the user's browser) and, on a
    loopback binding, a loopback Host header (a site whose name is rebound to 127.0.0.1 is refused)."""

    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, self._capped(scope, receive), send_with_headers)

    def _refusal(self, scope: Scope) -> Response | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if is_loopback(self.config.host) and not is_loopback(_host_name(headers.get("host", ""))):
            return _error(421, "forbidden", "只接受本机地址（127.0.0.1 或 localhost）的访问")
        if self.config.token and not self._has_token(scope, headers):
            return _error(401, "unauthorized", "需要访问口令：请使用启动服务时显示的完整地址（含 ?token=…）")
        origin = headers.get("origin")
        if scope["method"] == "POST" and origin and origin.split("://", 1)[-1] != headers.get("host"):
            return _error(403, "forbidden", "拒绝来自其他网站的提交")
        length = headers.get("content-length")
        if length and (not length.isdigit() or int(length) > self._limit(scope)):
            return _error(413, "too-large", f"上传的文件超过上限 {self._limit(scope) // (1024 * 1024)} MB；已拒绝读取")
        return None

    def _limit(self, scope: Scope) -> int:
        batch = self.config.max_batch if scope["path"].startswith("/board") else 1
        return batch * self.config.max_upload + FORM_OVERHEAD

    def _has_token(self, scope: Scope, headers: dict[str, str]) -> bool:
        token = self.config.token or ""
        given = [headers.get("authorization", "").removeprefix("Bearer ").strip()]
        given += parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [])
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == TOKEN_COOKIE:
                given.append(value)
        return any(hmac.compare_digest(g.encode(), token.encode()) for g in given if g)

    def _capped(self, scope: Scope, receive: Receive) -> Receive:
        limit, seen = self._limit(scope), 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge
            return message

        return capped


def _host_name(host: str) -> str:
    """``127.0.0.1:8765`` → ``127.0.0.1``; ``[::1]:8765`` → ``::1``."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _error(status: int, code: str, message: str, where: str | None = None) -> JSONResponse:
    error = {"code": code, "message": message, **({"where": where} if where else {})}
    return JSONResponse({"error": error}, status_code=status)


def _templates() -> Environment:
    loaders = [FileSystemLoader(HERE / "templates"), FileSystemLoader(HERE.parent / "render" / "templates")]
    return Environment(loader=ChoiceLoader(loaders), autoescape=True, undefined=StrictUndefined)


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


def create_app(config: Config | None = None) -> ASGIApp:
    config = config or Config()
    env = _templates()

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        context.setdefault("board", config.db is not None)
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    async def index(request: Request) -> Response:
        response: Response = page("check.html", checked=None, error=None)
        token = request.query_params.get("token")
        if config.token and token:  # the printed address: remember the token, drop it from the bar
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    async def api_check(request: Request) -> Response:
        try:
            async with uploads(request) as [(display, path)]:
                checked = await run_in_threadpool(check_file, path, display)
        except CheckFailed as exc:
            return JSONResponse({"error": exc.error}, status_code=422)
        return JSONResponse(checked.report)

    async def check_page(request: Request) -> Response:
        try:
            async with uploads(request) as [(display, path)]:
                checked = await run_in_threadpool(check_file, path, display, annotate=True, export=True)
        except CheckFailed as exc:
            return page("check.html", status=422, checked=None, error=exc.error)
        return page("check.html", checked=checked, error=None, findings=findings_view(checked.report))

    routes = [
        Route("/", index),
        Route("/check", check_page, methods=["POST"]),
        Route("/api/check", api_check, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    if config.db is not None:
        from validator.serve.board import board_routes

        routes += board_routes(config, page)

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("没有这个页面", status_code=404)

    async def server_error(request: Request, exc: Exception) -> Response:
        headers = {k.decode(): v.decode() for k, v in SECURITY_HEADERS}
        return PlainTextResponse("服务器内部错误：这是本工具的缺陷，请连同输入文件报告。", 500, headers=headers)

    app = Starlette(routes=routes, exception_handlers={404: not_found, 500: server_error})
    return Guard(app, config)


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
