"""The board's JSON API (``/api/...``), documented in ``docs/board-endpoints.md`` and served as
OpenAPI at ``/api/openapi.json``. Each handler finds the caller, calls the season service
(:class:`validator.season.service.Season`) and turns its answer or refusal into JSON.

Body endpoints take the 报送码 (``X-Xxgk-Code``) and answer 403 to the office's token; office
endpoints take ``Authorization: Bearer <token>`` and answer 403 to a code.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from validator.collect.ledger import Actor
from validator.errors import UnusableInput
from validator.season.service import Season, SeasonError
from validator.serve.auth import CSRF_FIELD, CSRF_HEADER, Auth, Caller
from validator.serve.check import CheckFailed, error_dict
from validator.serve.web import uploads_with_form

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS = {"forbidden": 403, "throttled": 429, "mismatch": 409, "conflict": 409, "not-found": 404, "invalid": 422}


class Denied(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def denied(exc: SeasonError) -> Denied:
    headers = {"retry-after": str(int(exc.retry_after) + 1)} if exc.kind == "throttled" else None
    return Denied(STATUS.get(exc.kind, 400), exc.code, exc.message, headers)


@dataclass
class Context:
    season: Season
    auth: Auth
    max_upload: int
    max_batch: int

    async def caller(self, request: Request, prefer: str = "office") -> Caller:
        try:
            return await run_in_threadpool(self.auth.caller, request, prefer)
        except SeasonError as exc:
            raise denied(exc) from None

    async def office(self, request: Request) -> Caller:
        caller = await self.caller(request)
        if caller.kind == "body":
            raise Denied(403, "office-only", "这是上级机关的功能，报送码不能使用")
        if caller.kind != "office":
            raise Denied(401, "unauthorized", "需要上级机关口令（启动 xxgk serve 时显示）")
        return caller

    async def body(self, request: Request) -> Caller:
        caller = await self.caller(request, "body")
        if caller.kind == "office":
            raise Denied(403, "body-only", "这是下级单位报送的功能：请使用本单位的报送码（X-Xxgk-Code）")
        if caller.kind != "body":
            raise Denied(403, "wrong-code", "需要本单位的报送码")
        return caller

    def check_csrf(self, caller: Caller, request: Request, form_value: str | None = None) -> None:
        given = request.headers.get(CSRF_HEADER) or request.query_params.get(CSRF_FIELD) or form_value
        if not self.auth.csrf_ok(caller, given):
            raise Denied(403, "forbidden", "页面已过期或来自其他网站：请刷新页面后重试")


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status, headers=headers)


def endpoint(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Denied as exc:
            return error(exc.status, exc.code, exc.message, exc.headers)
        except SeasonError as exc:
            d = denied(exc)
            return error(d.status, d.code, d.message, d.headers)
        except CheckFailed as exc:
            status = {"too-large": 413, "timeout": 408}.get(exc.error.get("code", ""), 422)
            return JSONResponse({"error": exc.error}, status_code=status)
        except UnusableInput as exc:  # the archive itself (named by its file name only)
            return error(503, "archive-unusable", f"归档无法使用：{exc}")

    return run


def download(data: bytes, name: str, media: str = XLSX) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media, headers={"content-disposition": disposition})


async def json_body(request: Request) -> dict:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise Denied(422, "bad-json", "请求内容不是 JSON") from None
    if not isinstance(data, dict):
        raise Denied(422, "bad-json", "请求内容应为 JSON 对象")
    return data


def _number(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Denied(422, "bad-argument", f"请给出{what}（整数）")
    try:
        return int(value)
    except ValueError:
        raise Denied(422, "bad-argument", f"请给出{what}（整数）") from None


async def receive_one(ctx: Context, request: Request, caller: Caller, body_id: int, actor: Actor) -> Response:
    """One uploaded file stored as the body's next version (201), or why not."""
    async with uploads_with_form(request, 1, ctx.max_upload) as (files, form):
        value = form.get(CSRF_FIELD)
        ctx.check_csrf(caller, request, value if isinstance(value, str) else None)
        [(display, path)] = files
        try:
            submitted = await run_in_threadpool(ctx.season.submit, body_id, path, display, actor)
        except UnusableInput as exc:
            return JSONResponse({"error": error_dict(exc, path, display)}, status_code=422)
    return JSONResponse(submitted.as_dict(), status_code=201)


def api_routes(ctx: Context) -> list[Route]:
    season = ctx.season

    @endpoint
    async def submit(request: Request) -> Response:
        caller = await ctx.body(request)
        assert caller.body is not None
        return await receive_one(ctx, request, caller, caller.body.id, Actor("body", caller.body.id, caller.body.name))

    @endpoint
    async def mine(request: Request) -> Response:
        caller = await ctx.body(request)
        assert caller.body is not None
        view = await run_in_threadpool(season.body, caller.body.id)
        return JSONResponse({"year": season.year, **view.as_dict()})

    @endpoint
    async def mine_report(request: Request) -> Response:
        caller = await ctx.body(request)
        assert caller.body is not None
        report = await run_in_threadpool(season.report, caller.body.id, request.path_params["n"])
        return JSONResponse(report)

    @endpoint
    async def board(request: Request) -> Response:
        await ctx.office(request)
        rows = await run_in_threadpool(season.board)
        return JSONResponse([r.as_dict() for r in rows])

    @endpoint
    async def body(request: Request) -> Response:
        await ctx.office(request)
        view = await run_in_threadpool(season.body, request.path_params["id"])
        return JSONResponse({"year": season.year, **view.as_dict()})

    @endpoint
    async def version_report(request: Request) -> Response:
        await ctx.office(request)
        report = await run_in_threadpool(season.report, request.path_params["id"], request.path_params["n"])
        return JSONResponse(report)

    @endpoint
    async def original(request: Request) -> Response:
        await ctx.office(request)
        name, data = await run_in_threadpool(season.original, request.path_params["id"], request.path_params["n"])
        return download(data, name, "application/octet-stream")

    @endpoint
    async def return_(request: Request) -> Response:
        caller = await ctx.office(request)
        ctx.check_csrf(caller, request)
        data = await json_body(request)
        body_id, number = request.path_params["id"], _number(data.get("version"), "版本号 version")
        reason = data.get("reason")
        if data.get("findings") is True and not reason:
            reason = await run_in_threadpool(season.findings_reason, body_id, number)
        if not isinstance(reason, str):
            raise Denied(422, "no-reason", "请写明退回原因（reason）")
        info = await run_in_threadpool(season.return_version, body_id, number, reason)
        return JSONResponse(info.as_dict())

    @endpoint
    async def approve(request: Request) -> Response:
        caller = await ctx.office(request)
        ctx.check_csrf(caller, request)
        data = await json_body(request)
        number = _number(data.get("version"), "版本号 version")
        info = await run_in_threadpool(season.approve, request.path_params["id"], number)
        return JSONResponse(info.as_dict())

    @endpoint
    async def diff(request: Request) -> Response:
        await ctx.office(request)
        old = _number(request.query_params.get("from"), "起始版本 from")
        new = _number(request.query_params.get("to"), "比较版本 to")
        result = await run_in_threadpool(season.diff, request.path_params["id"], old, new)
        return JSONResponse(result.as_dict())

    @endpoint
    async def office_upload(request: Request) -> Response:
        caller = await ctx.office(request)
        return await receive_one(ctx, request, caller, request.path_params["id"], Actor("office"))

    @endpoint
    async def office_batch(request: Request) -> Response:
        caller = await ctx.office(request)
        async with uploads_with_form(request, ctx.max_batch, ctx.max_upload) as (files, form):
            value = form.get(CSRF_FIELD)
            ctx.check_csrf(caller, request, value if isinstance(value, str) else None)
            results = await run_in_threadpool(season.receive, files)
        out = [{"file": name, **(r.as_dict() if not isinstance(r, dict) else {"error": r})} for name, r in results]
        return JSONResponse(out, status_code=201 if all("error" not in r for r in out) else 207)

    @endpoint
    async def audit(request: Request) -> Response:
        await ctx.office(request)
        events = await run_in_threadpool(season.audit)
        verified = await run_in_threadpool(season.verify)
        return JSONResponse(
            {"events": events, "verified": verified.ok, "problems": verified.problems, "head": verified.head}
        )

    @endpoint
    async def summary(request: Request) -> Response:
        await ctx.office(request)
        pending = request.query_params.get("pending") in ("1", "true", "yes")
        data = await run_in_threadpool(season.summary_workbook, pending)
        return download(data, f"{season.year}年度汇总{'（含待审核）' if pending else ''}.xlsx")

    @endpoint
    async def reminders(request: Request) -> Response:
        await ctx.office(request)
        data = await run_in_threadpool(season.reminders_workbook)
        return download(data, f"{season.year}年度催报名单.xlsx")

    @endpoint
    async def issue_codes(request: Request) -> Response:
        caller = await ctx.office(request)
        ctx.check_csrf(caller, request)
        data = await json_body(request)
        which = data.get("which", "missing")
        if which not in ("missing", "all"):
            raise Denied(422, "bad-argument", "which 应为 missing（尚无报送码的单位）或 all（全部重新发放）")
        issued = await run_in_threadpool(season.issue_codes, which, board_url(request))
        return download(issued.workbook, "报送码.xlsx")

    @endpoint
    async def reissue_code(request: Request) -> Response:
        caller = await ctx.office(request)
        ctx.check_csrf(caller, request)
        issued = await run_in_threadpool(season.issue_codes, [request.path_params["id"]], board_url(request))
        return download(issued.workbook, f"报送码-{issued.lines[0].name}.xlsx")

    return [
        Route("/api/submissions", submit, methods=["POST"]),
        Route("/api/submissions/mine", mine),
        Route("/api/submissions/mine/{n:int}", mine_report),
        Route("/api/board", board),
        Route("/api/bodies/{id:int}", body),
        Route("/api/bodies/{id:int}/versions/{n:int}", version_report),
        Route("/api/bodies/{id:int}/versions/{n:int}/file", original),
        Route("/api/bodies/{id:int}/return", return_, methods=["POST"]),
        Route("/api/bodies/{id:int}/approve", approve, methods=["POST"]),
        Route("/api/bodies/{id:int}/diff", diff),
        Route("/api/bodies/{id:int}/submissions", office_upload, methods=["POST"]),
        Route("/api/bodies/{id:int}/code", reissue_code, methods=["POST"]),
        Route("/api/uploads", office_batch, methods=["POST"]),
        Route("/api/audit", audit),
        Route("/api/summary.xlsx", summary),
        Route("/api/reminders.xlsx", reminders),
        Route("/api/codes", issue_codes, methods=["POST"]),
    ]


def board_url(request: Request) -> str:
    """Where bodies reach their page, as this request reached the server."""
    return f"{request.url.scheme}://{request.url.netloc}/submit"
