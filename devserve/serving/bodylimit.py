"""A request body limit: 413 beyond it, checked on Content-Length and while a body streams in."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(Exception):
    """Raised from ``receive`` once the body passes the limit; never leaves BodyLimit."""


class BodyLimit:
    """Answer 413 (JSON) to a body over ``max_bytes``, before the app holds it in memory.

    A declared Content-Length over the limit is refused without reading a byte; a chunked body
    is counted as it arrives and refused the moment it passes the limit. The connection stays
    open: the server drops the rest of the body as it comes, so the client, which may still be
    sending, reads the 413 instead of a connection reset.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, *, hint: str) -> None:
        self.app = app
        self.max_bytes = max_bytes
        error = f"the request body is over the limit of {max_bytes} bytes; {hint}"
        self.body = json.dumps({"error": error}).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _declared(scope)
        if declared > self.max_bytes:
            await self._refuse(send)
            return
        if not declared and not chunked:  # no body at all (most GETs): nothing to count
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)
            # Else the app answered before reading its whole body: that answer stands, and
            # the server closes the connection once the app returns.

    async def _refuse(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self.body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body})


def _declared(scope: Scope) -> tuple[int, bool]:
    """The Content-Length the client declared (0 if none: the server rejects malformed ones),
    and whether the body comes chunked (a Transfer-Encoding: its length is known at the end)."""
    length, chunked = 0, False
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked
