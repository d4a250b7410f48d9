"""The office's pages of the 收报 board (``/board``): every body's status, a body's versions
with their findings, return and approve, the difference between two versions, the audit log,
and the 汇总, 催报 and 报送码 downloads. Plain forms (each carries a CSRF token); every step is
a call to the season service, which records it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from validator.collect.ledger import Actor
from validator.errors import UnusableInput
from validator.season import views
from validator.season.service import SeasonError
from validator.serve.auth import CSRF_FIELD, OFFICE_COOKIE, Caller
from validator.serve.check import CheckFailed, error_dict
from validator.serve.season_api import Context, Denied, board_url, denied, download
from validator.serve.web import findings_view, uploads_with_form

Page = Callable[..., Response]


def board_routes(ctx: Context, page: Page, secure: bool) -> list[Route]:
    season = ctx.season

    def office_page(handler: Callable[[Request, Caller], Awaitable[Response]]):
        async def run(request: Request) -> Response:
            token = request.query_params.get("token")
            if token and request.method == "GET":  # the printed address: keep the token in a cookie
                return await _login(request, token, request.url.path)
            try:
                caller = await ctx.caller(request)
                if caller.kind != "office":
                    return page(
                        "office_login.html",
                        status=403 if caller.kind == "body" else 401,
                        role=caller.kind,
                        message="这是上级机关的收报页面。下级单位请打开“报送”页面，用本单位的报送码登录。"
                        if caller.kind == "body"
                        else None,
                    )
                if request.method == "POST":
                    form = await request.form() if not _multipart(request) else None
                    value = form.get(CSRF_FIELD) if form is not None else None
                    if form is not None:
                        ctx.check_csrf(caller, request, value if isinstance(value, str) else None)
                return await handler(request, caller)
            except Denied as exc:
                return page("message.html", status=exc.status, title="无法完成", message=exc.message, back="/board")
            except SeasonError as exc:
                d = denied(exc)
                return page("message.html", status=d.status, title="无法完成", message=d.message, back=_back(request))
            except CheckFailed as exc:
                return page(
                    "message.html", status=422, title="未能接收", message=exc.error["message"], back=_back(request)
                )
            except UnusableInput as exc:  # the archive itself (named by its file name only)
                return page("message.html", status=503, title="归档无法使用", message=str(exc), back=None)

        return run

    async def board_page(caller: Caller, results=None, status: int = 200) -> Response:
        rows = await run_in_threadpool(season.board)
        return page(
            "board.html",
            status=status,
            rows=rows,
            counts=views.counts(rows),
            year=season.year,
            csrf=ctx.auth.csrf(caller),
            results=results,
        )

    @office_page
    async def show(request: Request, caller: Caller) -> Response:
        return await board_page(caller)

    @office_page
    async def upload(request: Request, caller: Caller) -> Response:
        async with uploads_with_form(request, ctx.max_batch, ctx.max_upload) as (files, form):
            value = form.get(CSRF_FIELD)
            ctx.check_csrf(caller, request, value if isinstance(value, str) else None)
            results = await run_in_threadpool(season.receive, files)
        return await board_page(caller, results, 201 if all(not isinstance(r, dict) for _, r in results) else 207)

    @office_page
    async def body(request: Request, caller: Caller) -> Response:
        body_id = request.path_params["id"]
        view = await run_in_threadpool(season.body, body_id)
        shown = view.versions[-1] if view.versions else None
        asked = request.query_params.get("v")
        if asked and asked.isdigit():
            shown = next((v for v in view.versions if v.number == int(asked)), shown)
        report = await run_in_threadpool(season.report, body_id, shown.number) if shown else None
        return page(
            "office_body.html",
            view=view,
            shown=shown,
            latest=view.versions[-1] if view.versions else None,
            report=report,
            findings=findings_view(report) if report else [],
            csrf=ctx.auth.csrf(caller),
        )

    @office_page
    async def return_(request: Request, caller: Caller) -> Response:
        body_id = request.path_params["id"]
        form = await request.form()
        number = _form_number(form.get("version"))
        reason = form.get("reason")
        if form.get("findings") == "1":
            reason = await run_in_threadpool(season.findings_reason, body_id, number)
        await run_in_threadpool(season.return_version, body_id, number, reason if isinstance(reason, str) else "")
        return RedirectResponse(f"/board/bodies/{body_id}", status_code=303)

    @office_page
    async def approve(request: Request, caller: Caller) -> Response:
        body_id = request.path_params["id"]
        form = await request.form()
        await run_in_threadpool(season.approve, body_id, _form_number(form.get("version")))
        return RedirectResponse(f"/board/bodies/{body_id}", status_code=303)

    @office_page
    async def office_upload(request: Request, caller: Caller) -> Response:
        body_id = request.path_params["id"]
        async with uploads_with_form(request, 1, ctx.max_upload) as (files, form):
            value = form.get(CSRF_FIELD)
            ctx.check_csrf(caller, request, value if isinstance(value, str) else None)
            [(display, path)] = files
            try:
                await run_in_threadpool(season.submit, body_id, path, display, Actor("office"))
            except UnusableInput as exc:
                message = error_dict(exc, path, display)["message"]
                return page(
                    "message.html", status=422, title="未能接收", message=message, back=f"/board/bodies/{body_id}"
                )
        return RedirectResponse(f"/board/bodies/{body_id}", status_code=303)

    @office_page
    async def diff(request: Request, caller: Caller) -> Response:
        body_id = request.path_params["id"]
        view = await run_in_threadpool(season.body, body_id)
        numbers = [v.number for v in view.versions]
        if len(numbers) < 2:
            raise SeasonError("not-found", "只有一版，没有可比较的版本", "one-version")
        old = _query_number(request, "from", numbers[-2])
        new = _query_number(request, "to", numbers[-1])
        result = await run_in_threadpool(season.diff, body_id, old, new)
        return page("diff.html", view=view, diff=result, numbers=numbers)

    @office_page
    async def original(request: Request, caller: Caller) -> Response:
        name, data = await run_in_threadpool(season.original, request.path_params["id"], request.path_params["n"])
        return download(data, name, "application/octet-stream")

    @office_page
    async def audit(request: Request, caller: Caller) -> Response:
        events = await run_in_threadpool(season.audit)
        verified = await run_in_threadpool(season.verify)
        return page("audit.html", events=list(reversed(events)), verified=verified)

    @office_page
    async def summary(request: Request, caller: Caller) -> Response:
        pending = request.query_params.get("pending") == "1"
        data = await run_in_threadpool(season.summary_workbook, pending)
        return download(data, f"{season.year}年度汇总{'（含待审核）' if pending else ''}.xlsx")

    @office_page
    async def reminders(request: Request, caller: Caller) -> Response:
        data = await run_in_threadpool(season.reminders_workbook)
        return download(data, f"{season.year}年度催报名单.xlsx")

    @office_page
    async def codes(request: Request, caller: Caller) -> Response:
        form = await request.form()
        which = "all" if form.get("which") == "all" else "missing"
        url = await run_in_threadpool(season.url) or board_url(request)
        issued = await run_in_threadpool(season.issue_codes, which, url)
        return download(issued.workbook, "报送码.xlsx")

    @office_page
    async def reissue(request: Request, caller: Caller) -> Response:
        url = await run_in_threadpool(season.url) or board_url(request)
        issued = await run_in_threadpool(season.issue_codes, [request.path_params["id"]], url)
        return download(issued.workbook, f"报送码-{issued.lines[0].name}.xlsx")

    async def _login(request: Request, token: object, then: str = "/board") -> Response:
        """The token typed into the form, or given in the printed address, kept in a cookie (the
        address bar then loses it)."""
        try:
            ok = isinstance(token, str) and await run_in_threadpool(ctx.auth.office_token_ok, token.strip(), request)
        except SeasonError as exc:
            d = denied(exc)
            return page("office_login.html", status=d.status, role="none", message=d.message)
        if not ok:
            return page("office_login.html", status=403, role="none", message="口令不正确")
        response = RedirectResponse(then, status_code=303)
        response.set_cookie(OFFICE_COOKIE, str(token).strip(), httponly=True, samesite="strict", secure=secure)
        return response

    async def login(request: Request) -> Response:
        form = await request.form()
        return await _login(request, form.get("token"))

    async def logout(request: Request) -> Response:
        response = RedirectResponse("/board", status_code=303)
        response.delete_cookie(OFFICE_COOKIE)
        return response

    return [
        Route("/board", show),
        Route("/board/login", login, methods=["POST"]),
        Route("/board/logout", logout, methods=["POST"]),
        Route("/board/upload", upload, methods=["POST"]),
        Route("/board/bodies/{id:int}", body),
        Route("/board/bodies/{id:int}/return", return_, methods=["POST"]),
        Route("/board/bodies/{id:int}/approve", approve, methods=["POST"]),
        Route("/board/bodies/{id:int}/upload", office_upload, methods=["POST"]),
        Route("/board/bodies/{id:int}/code", reissue, methods=["POST"]),
        Route("/board/bodies/{id:int}/diff", diff),
        Route("/board/bodies/{id:int}/versions/{n:int}/file", original),
        Route("/board/audit", audit),
        Route("/board/summary.xlsx", summary),
        Route("/board/reminders.xlsx", reminders),
        Route("/board/codes", codes, methods=["POST"]),
    ]


def _multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


def _back(request: Request) -> str:
    parts = request.url.path.split("/")
    return "/".join(parts[:4]) if len(parts) > 3 and parts[2] == "bodies" else "/board"


def _form_number(value: object) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise Denied(422, "bad-argument", "没有给出版本号")


def _query_number(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    return int(value) if value and value.isdigit() else default
