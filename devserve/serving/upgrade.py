"""WebSocket handshakes on an origin: only a proxy takes them; anything else refuses them."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.serving.requestlog import NOTE_KEY

# The ASGI extension that lets a refusal be a real HTTP answer (uvicorn and Starlette have it).
_HTTP_ANSWER = "websocket.http.response"


async def refuse_websocket(scope: Scope, send: Send, status: int, error: str) -> None:
    """Deny a WebSocket handshake before the upgrade: ``status`` with a JSON reason where the
    server can send one, else a close before accepting (which the server answers 403)."""
    scope[NOTE_KEY] = error  # the log line says why
    if _HTTP_ANSWER not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"error": error}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-cache"),
    ]
    await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})


class NoWebSockets:
    """An origin without a proxy has nothing that speaks WebSocket: every handshake gets a 404
    here, before any layer that reads only HTTP requests (their method, their body) sees it."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.error = f"origin '{name}' takes no WebSocket connections; only a proxy forwards them"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await refuse_websocket(scope, send, 404, self.error)
            return
        await self.app(scope, receive, send)
