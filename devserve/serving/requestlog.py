"""One record per request: the middleware that times each answer and hands its record to the log
(a terminal line) and to whoever watches (the dashboard)."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.records import (
    NOTE_KEY,
    PROXY_KEY,
    RECORD_KEY,
    VERDICT_KEY,
    Observer,
    RequestRecord,
)

log = logging.getLogger("devserve.requests")


class RequestLog:
    """Times each request and reports it once the response is done."""

    def __init__(self, app: ASGIApp, name: str, observer: Observer | None = None) -> None:
        self.app = app
        self.name = name
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._handshake(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        reported = False

        def report() -> None:
            nonlocal reported
            reported = True
            self._report(scope, scope["method"], status, start)

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif not message.get("more_body", False) and not reported:
                # Recorded before the last byte leaves: whoever got the response (a test
                # asserting on running.requests) finds its record already there.
                report()
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if not reported:  # no complete response: an error, a disconnect, a fault
                report()

    async def _handshake(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket is logged once, when its handshake is answered: 101 when accepted, the
        refusal's status (403 when closed before the upgrade) otherwise."""
        start = time.perf_counter()
        status = 0
        reported = False

        def report() -> None:
            nonlocal reported
            reported = True
            self._report(scope, "WS", status, start)

        async def recording_send(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if not reported:
                if kind == "websocket.accept":
                    status = 101
                    report()
                elif kind == "websocket.close":
                    status = 403
                    report()
                elif kind == "websocket.http.response.start":
                    status = message["status"]
                elif kind == "websocket.http.response.body" and not message.get("more_body"):
                    report()
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if not reported:
                report()

    def _report(self, scope: Scope, method: str, status: int, start: float) -> None:
        headers = Headers(scope=scope)
        record = RequestRecord(
            origin=self.name,
            method=method,
            path=scope["path"],
            status=status,
            ms=(time.perf_counter() - start) * 1000,
            source=headers.get("origin"),
            cors=scope.get(VERDICT_KEY),
            at=time.time(),
            note=scope.get(NOTE_KEY),
            proxy=scope.get(PROXY_KEY),
            host=headers.get("host"),
            scheme="https" if scope.get("scheme") in ("https", "wss") else "http",
        )
        scope[RECORD_KEY] = record  # what the fast path repeats for the same request
        self.emit(record)

    def emit(self, record: RequestRecord) -> None:
        """Hand one record to the log and to whoever watches."""
        # Formatted only if a handler wants it (nothing under -q); --json-log reads ``request``.
        log.info("%s", record, extra={"request": record})
        if self.observer is not None:
            self.observer(record)
