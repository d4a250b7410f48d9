"""The Starlette application of ``xxgk serve`` (imported only when the server starts).

Every response carries a strict Content-Security-Policy (no inline script or style, nothing
from another origin); Jinja2 escapes all text; an unexpected error gives a short Chinese
page, never a stack trace. Request bodies are capped before they are read.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from validator import api
from validator.serve.auth import Auth
from validator.serve.board import board_routes
from validator.serve.check import ACCEPT, MAX_UPLOAD_BYTES, WORKBOOKS, CheckFailed, check_file
from validator.serve.openapi import spec
from validator.serve.season_api import Context, api_routes
from validator.serve.submit import submit_routes
from validator.serve.web import SlowClient, TooLarge, findings_view, uploads

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
BATCH_PATHS = ("/board/upload", "/api/uploads")
"""The office's uploads of several files at once; every other request carries at most one."""


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    """The access token of a check-only server on a public binding; with ``db`` the office's token."""
    db: Path | None = None
    roster: Path | None = None
    year: int | None = None
    max_upload: int = MAX_UPLOAD_BYTES
    max_batch: int = 20
    secure: bool = False
    """Served over HTTPS (cookies are then marked Secure)."""
    public_url: str | None = None
    """Where bodies reach the board (printed on the 报送码 list)."""
    body_timeout: float = 30.0
    """Seconds a request body may pause between two chunks before the request is dropped."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
        try:
            await self.app(scope, self._capped(scope, receive), send_with_headers)
        except SlowClient:  # the answer (408, or 500 if the app had begun) is sent; the client is gone
            pass

    def _refusal(self, scope: Scope) -> Response | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if is_loopback(self.config.host) and not is_loopback(_host_name(headers.get("host", ""))):
            return _error(421, "forbidden", "只接受本机地址（127.0.0.1 或 localhost）的访问")
        if self.config.token and self.config.db is None and not self._has_token(scope, headers):
            return _error(401, "unauthorized", "需要访问口令：请使用启动服务时显示的完整地址（含 ?token=…）")
        origin = headers.get("origin")
        if scope["method"] not in ("GET", "HEAD") and (
            (origin and origin.split("://", 1)[-1] != headers.get("host"))
            or headers.get("sec-fetch-site") in ("cross-site", "same-site")
        ):
            return _error(403, "forbidden", "拒绝来自其他网站的提交")
        length = headers.get("content-length")
        if length and (not length.isdigit() or int(length) > self._limit(scope)):
            return _error(413, "too-large", f"上传的文件超过上限 {self._limit(scope) // (1024 * 1024)} MB；已拒绝读取")
        return None

    def _limit(self, scope: Scope) -> int:
        batch = self.config.max_batch if scope["path"] in BATCH_PATHS else 1
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
        """The body's bytes counted against the cap, and each of its chunks awaited at most
        ``body_timeout`` seconds (a client sending a byte now and then is cut off)."""
        limit, seen, done = self._limit(scope), 0, False

        async def capped() -> Message:
            nonlocal seen, done
            if done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.config.body_timeout)
            except TimeoutError:
                raise SlowClient from None
            done = not message.get("more_body", False)
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge
            return message

        return capped


ACCESS = logging.getLogger("xxgk.access")


class AccessLog:
    """One line per request: client, method, path (never the query string, which may hold the
    office's token, nor any header), status, bytes sent and time taken."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status, size = time.monotonic(), 0, 0

        async def counted(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            client = scope.get("client") or ("-", 0)
            ms = (time.monotonic() - start) * 1000
            ACCESS.info('%s "%s %s" %s %d %.0fms', client[0], scope["method"], scope["path"], status or "-", size, ms)


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
    env = Environment(loader=ChoiceLoader(loaders), autoescape=True, undefined=StrictUndefined)
    env.globals.update(accept=ACCEPT, workbooks=WORKBOOKS)  # the file pickers offer what the readers read
    return env


def create_app(config: Config | None = None) -> ASGIApp:
    config = config or Config()
    env = _templates()
    season = _season(config) if config.db is not None else None

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        context.setdefault("board", config.db is not None)
        context.setdefault("role", None)
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    async def index(request: Request) -> Response:
        response: Response = page("check.html", checked=None, error=None)
        token = request.query_params.get("token")
        if config.token and token:  # the printed address: remember the token, drop it from the bar
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", secure=config.secure)
        return response

    async def api_check(request: Request) -> Response:
        try:
            async with uploads(request, 1, config.max_upload) as [(display, path)]:
                checked = await run_in_threadpool(check_file, path, display)
        except CheckFailed as exc:
            return JSONResponse({"error": exc.error}, status_code=422)
        return JSONResponse(checked.report)

    async def check_page(request: Request) -> Response:
        try:
            async with uploads(request, 1, config.max_upload) as [(display, path)]:
                checked = await run_in_threadpool(check_file, path, display, annotate=True, export=True)
        except CheckFailed as exc:
            return page("check.html", status=422, checked=None, error=exc.error)
        return page("check.html", checked=checked, error=None, findings=findings_view(checked.report))

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec())

    async def api_docs(request: Request) -> Response:
        return page("api.html", spec=spec())

    routes = [
        Route("/", index),
        Route("/check", check_page, methods=["POST"]),
        Route("/api/check", api_check, methods=["POST"]),
        Route("/api/openapi.json", openapi),
        Route("/api/docs", api_docs),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    if season is not None:
        routes += _board_routes(config, season, page)

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("没有这个页面", status_code=404)

    async def server_error(request: Request, exc: Exception) -> Response:
        headers = {k.decode(): v.decode() for k, v in SECURITY_HEADERS}
        return PlainTextResponse("服务器内部错误：这是本工具的缺陷，请连同输入文件报告。", 500, headers=headers)

    app = Starlette(routes=routes, exception_handlers={404: not_found, 500: server_error})
    return AccessLog(Guard(app, config))


def _season(config: Config):
    assert config.db is not None
    season = api.open_season(config.db, roster=config.roster, year=config.year)
    if config.public_url:
        season.remember_url(config.public_url)
    return season


def _board_routes(config: Config, season, page) -> list:
    if not config.token:
        config.token = secrets.token_urlsafe(18)
    ctx = Context(season, Auth(season, config.token), config.max_upload, config.max_batch)
    return [
        *api_routes(ctx),
        *board_routes(ctx, page, config.secure),
        *submit_routes(ctx, page, config.secure),
    ]
