"""An origin's own small layers: a crash becomes a 500 the page can read, and ``delay_ms``."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import ClientDisconnect
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.denials import refuse_websocket
from devserve.serving.stopping import Stopping
from devserve.terminal import printable

errors = logging.getLogger("devserve.errors")


# The first message that answers a request: after it, an error can no longer become a 500.
_ANSWERED = frozenset(
    {"http.response.start", "websocket.accept", "websocket.close", "websocket.http.response.start"}
)


class ErrorResponses:
    """Turn a crash into a 500 *inside* the CORS layer, so the browser can still read the error."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] in _ANSWERED
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            # The client left before its body arrived: nobody to answer, nothing went wrong here.
            return
        except Exception:
            path = printable(str(scope.get("path")))
            errors.exception("origin '%s': error while answering %s", self.name, path)
            if started or scope["type"] not in ("http", "websocket"):
                raise
            if scope["type"] == "websocket":
                reason = "internal error (see the devserve terminal)"
                await refuse_websocket(scope, send, 500, reason)
                return
            response = PlainTextResponse("Internal Server Error (see the devserve terminal)\n", 500)
            await response(scope, receive, send)


class Delay:
    """Hold every response of the origin back by a fixed time (``delay_ms``); when devserve
    stops, the wait ends early, so the request is answered in time."""

    def __init__(self, app: ASGIApp, delay_ms: int, stopping: Stopping | None = None) -> None:
        self.app = app
        self.seconds = delay_ms / 1000
        self.sleep = stopping.sleep if stopping is not None else asyncio.sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.sleep(self.seconds)
        await self.app(scope, receive, send)
