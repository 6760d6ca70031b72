"""WebSocket handshakes on an origin with nothing that speaks WebSocket (no proxy, no socket,
no mock folder): each is refused before the upgrade."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.denials import refuse_websocket


class NoWebSockets:
    """Every handshake gets a 404 here, before any layer that reads only HTTP requests (their
    method, their body) sees it."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.error = (
            f"origin '{name}' takes no WebSocket connections; add [[origins.{name}.sockets]] "
            "to mock one, or a proxy to forward them"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await refuse_websocket(scope, send, 404, self.error)
            return
        await self.app(scope, receive, send)
