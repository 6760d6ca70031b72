"""Refusing a request before anything answers it: a JSON reason, over HTTP or before a WebSocket
upgrade, with the reason left for the log. Every layer that refuses (the cross-site guard, the
routes, static files, an origin without sockets) answers through here."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Scope, Send

from devserve.records import NOTE_KEY

# The ASGI extension that lets a refusal be a real HTTP answer (uvicorn and Starlette have it).
_HTTP_ANSWER = "websocket.http.response"


async def deny(
    scope: Scope, send: Send, status: int, answer: dict[str, Any], *, note: str | None
) -> None:
    """Answer ``status`` with ``answer`` as JSON, and note why for the log line. A WebSocket
    handshake gets it before the upgrade where the server can send one, else a close before
    accepting (which the server answers 403)."""
    if note is not None:
        scope[NOTE_KEY] = note
    body = json.dumps(answer, indent=2).encode() + b"\n"
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-cache"),
    ]
    if scope["type"] == "websocket":
        if _HTTP_ANSWER not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def refuse_websocket(scope: Scope, send: Send, status: int, error: str) -> None:
    """Deny a WebSocket handshake before the upgrade with ``{"error": error}``."""
    await deny(scope, send, status, {"error": error}, note=error)
