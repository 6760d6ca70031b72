"""WebSocket handshakes on an origin: only a proxy takes them; anything else refuses them."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.denials import refuse_websocket


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
