"""Slow connections end: uvicorn closes an idle kept-alive connection after a few seconds but
waits for ever for a request's header lines. This protocol gives every request
:data:`HEADER_TIMEOUT_S` seconds to complete its headers (from the connection, or from the end of
the previous response) and then closes the connection; a slow request body is bounded by the
guard's per-chunk timeout (:class:`validator.serve.app.Guard`)."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 20.0


class TimedH11Protocol(H11Protocol):
    header_timeout = HEADER_TIMEOUT_S
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _headers_late(self) -> None:
        """No request in progress after the wait: the headers never completed."""
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()
