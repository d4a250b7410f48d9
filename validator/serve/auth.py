"""Who is calling the board: the office (its token: ``Authorization: Bearer``, or the cookie the
printed address sets) or a body (its 报送码: ``X-Xxgk-Code``, or the session its code opened in
the browser). Wrong tokens and codes count against the client in the season's throttle.

A form a browser posts with a cookie also carries a CSRF token (an HMAC of the session under a
key made at start): a page elsewhere cannot make one. Calls authenticated by a header need
none, since a page elsewhere cannot set that header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from starlette.requests import Request

from validator.season import views
from validator.season.service import Season, SeasonError
from validator.season.views import BodyRow

OFFICE_COOKIE = "xxgk_token"
BODY_COOKIE = "xxgk_body"
CODE_HEADER = "x-xxgk-code"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_HOURS = 12


@dataclass
class Caller:
    kind: str
    """``office``, ``body`` or ``none``."""
    by_header: bool = False
    body: BodyRow | None = None
    session: str = ""
    """What the CSRF token is bound to (the office token or the body's session id)."""


@dataclass
class Sessions:
    """Body sessions opened with a code in the browser (memory only: a restart asks again)."""

    _open: dict[str, tuple[int, str, float]] = field(default_factory=dict)
    _mutex: threading.Lock = field(default_factory=threading.Lock)

    def open(self, body: BodyRow) -> str:
        sid = secrets.token_urlsafe(32)
        with self._mutex:
            self._open[sid] = (body.id, body.code_handle or "", time.monotonic() + SESSION_HOURS * 3600)
        return sid

    def get(self, sid: str) -> tuple[int, str] | None:
        with self._mutex:
            found = self._open.get(sid)
            if found is None:
                return None
            if found[2] < time.monotonic():
                del self._open[sid]
                return None
            return found[0], found[1]

    def close(self, sid: str) -> None:
        with self._mutex:
            self._open.pop(sid, None)


class Auth:
    def __init__(self, season: Season, token: str) -> None:
        self.season = season
        self.token = token
        self.sessions = Sessions()
        self._key = secrets.token_bytes(32)

    @staticmethod
    def client(request: Request) -> str:
        return request.client.host if request.client else "?"

    def office_token_ok(self, given: str, request: Request) -> bool:
        """Compare in constant time; a wrong token counts against the client."""
        wait = self.season.throttle.wait(self.client(request))
        if wait:
            raise SeasonError("throttled", f"口令错误次数过多，请 {int(wait) + 1} 秒后再试", "too-many-tries", wait)
        if hmac.compare_digest(given.encode(), self.token.encode()):
            return True
        self.season.throttle.failed(self.client(request))
        return False

    def caller(self, request: Request, prefer: str = "office") -> Caller:
        """Who this is; :class:`SeasonError` for a wrong credential (or too many). A header wins;
        of two cookies (the office trying a body's page on its own PC) `prefer` decides."""
        auth = request.headers.get("authorization", "")
        if auth:
            given = auth.removeprefix("Bearer ").strip()
            if not self.office_token_ok(given, request):
                raise SeasonError("forbidden", "上级机关口令不正确", "wrong-token")
            return Caller("office", by_header=True, session=self.token)
        code = request.headers.get(CODE_HEADER)
        if code is not None:
            body = self.season.authenticate(code, self.client(request))
            return Caller("body", by_header=True, body=body)
        order = (
            (self._body_cookie, self._office_cookie) if prefer == "body" else (self._office_cookie, self._body_cookie)
        )
        for find in order:
            found = find(request)
            if found is not None:
                return found
        return Caller("none")

    def _office_cookie(self, request: Request) -> Caller | None:
        cookie = request.cookies.get(OFFICE_COOKIE)
        if cookie and self.office_token_ok(cookie, request):
            return Caller("office", session=self.token)
        return None

    def _body_cookie(self, request: Request) -> Caller | None:
        sid = request.cookies.get(BODY_COOKIE)
        found = self.sessions.get(sid) if sid else None
        if sid is None or found is None:
            return None

        with self.season.archive.read() as con:
            row = views.body(con, found[0]) if con else None
        if row is not None and row.code_handle == found[1]:  # a reissued code ends its sessions
            return Caller("body", body=row, session=sid)
        return None

    def csrf(self, caller: Caller) -> str:
        return hmac.new(self._key, f"{caller.kind}:{caller.session}".encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, caller: Caller, given: str | None) -> bool:
        return caller.by_header or (bool(given) and hmac.compare_digest(self.csrf(caller), given or ""))
