"""A body's pages of the 收报 board (``/submit``): sign in with the 报送码, upload the report,
see its versions, the check result of each and the office's reasons. The page only ever reads
the signed-in body's own data (its id comes from the session, never from the address).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from validator.collect.ledger import Actor
from validator.errors import UnusableInput
from validator.season.service import SeasonError
from validator.serve.auth import BODY_COOKIE, CSRF_FIELD, Caller
from validator.serve.check import CheckFailed, error_dict
from validator.serve.season_api import Context, Denied, denied
from validator.serve.web import findings_view, uploads_with_form


def submit_routes(ctx: Context, page, secure: bool) -> list[Route]:
    season = ctx.season

    async def signed_in(request: Request) -> Caller | Response:
        try:
            caller = await ctx.caller(request, "body")
        except Denied as exc:
            return page("submit_login.html", status=exc.status, message=exc.message)
        if caller.kind == "office":  # the office looking at the bodies' page: the sign-in form
            status = 200 if request.method == "GET" else 403
            note = "这是下级单位的报送页面：需要下级单位的报送码（上级机关请使用收报页面）。"
            return page("submit_login.html", status=status, message=note)
        if caller.kind != "body":
            return page("submit_login.html", status=200 if request.method == "GET" else 403, message=None)
        return caller

    def unusable(handler):
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except UnusableInput as exc:  # the archive itself (named by its file name only)
                return page("message.html", status=503, title="暂时无法报送", message=str(exc), back=None)

        return run

    @unusable
    async def show(request: Request) -> Response:
        caller = await signed_in(request)
        if isinstance(caller, Response):
            return caller
        assert caller.body is not None
        view = await run_in_threadpool(season.body, caller.body.id)
        latest = view.versions[-1] if view.versions else None
        report = await run_in_threadpool(season.report, caller.body.id, latest.number) if latest else None
        uploaded = request.query_params.get("uploaded")
        return page(
            "submit.html",
            view=view,
            year=season.year,
            latest=latest,
            report=report,
            findings=findings_view(report) if report else [],
            notes=view.arrival_notes() if uploaded else [],
            csrf=ctx.auth.csrf(caller),
            message=None,
        )

    @unusable
    async def upload(request: Request) -> Response:
        caller = await signed_in(request)
        if isinstance(caller, Response):
            return caller
        assert caller.body is not None
        try:
            async with uploads_with_form(request, 1, ctx.max_upload) as (files, form):
                value = form.get(CSRF_FIELD)
                ctx.check_csrf(caller, request, value if isinstance(value, str) else None)
                [(display, path)] = files
                actor = Actor("body", caller.body.id, caller.body.name)
                try:
                    stored = await run_in_threadpool(season.submit, caller.body.id, path, display, actor)
                except UnusableInput as exc:
                    return await _refused(request, caller, error_dict(exc, path, display)["message"], 422)
        except CheckFailed as exc:
            return await _refused(
                request, caller, exc.error["message"], 413 if exc.error["code"] == "too-large" else 422
            )
        except Denied as exc:
            return await _refused(request, caller, exc.message, exc.status)
        except SeasonError as exc:
            d = denied(exc)
            return await _refused(request, caller, d.message, d.status)
        return RedirectResponse(f"/submit?uploaded={stored.version.number}", status_code=303)

    async def _refused(request: Request, caller: Caller, message: str, status: int) -> Response:
        assert caller.body is not None
        view = await run_in_threadpool(season.body, caller.body.id)
        latest = view.versions[-1] if view.versions else None
        report = await run_in_threadpool(season.report, caller.body.id, latest.number) if latest else None
        return page(
            "submit.html",
            status=status,
            view=view,
            year=season.year,
            latest=latest,
            report=report,
            findings=findings_view(report) if report else [],
            notes=[],
            csrf=ctx.auth.csrf(caller),
            message=message,
        )

    @unusable
    async def login(request: Request) -> Response:
        form = await request.form()
        code = form.get("code")
        try:
            body = await run_in_threadpool(
                season.authenticate, code if isinstance(code, str) else "", ctx.auth.client(request)
            )
        except SeasonError as exc:
            d = denied(exc)
            return page("submit_login.html", status=d.status, message=d.message)
        response = RedirectResponse("/submit", status_code=303)
        response.set_cookie(BODY_COOKIE, ctx.auth.sessions.open(body), httponly=True, samesite="strict", secure=secure)
        return response

    async def logout(request: Request) -> Response:
        sid = request.cookies.get(BODY_COOKIE)
        if sid:
            ctx.auth.sessions.close(sid)
        response = RedirectResponse("/submit", status_code=303)
        response.delete_cookie(BODY_COOKIE)
        return response

    return [
        Route("/submit", show),
        Route("/submit/login", login, methods=["POST"]),
        Route("/submit/logout", logout, methods=["POST"]),
        Route("/submit/upload", upload, methods=["POST"]),
    ]
