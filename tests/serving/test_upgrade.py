"""A WebSocket handshake an origin cannot take is refused before the upgrade, with a status and
a reason in the request log; a layer that crashes on one refuses it with a 500."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.records import RequestRecord
from devserve.serving.layers import ErrorResponses
from devserve.serving.requestlog import RequestLog
from devserve.serving.upgrade import NoWebSockets


async def accepting(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1000})


async def crashing(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("boom")


def _logged(app: ASGIApp, path: str) -> tuple[list[RequestRecord], int | None, bytes]:
    records: list[RequestRecord] = []
    client = TestClient(RequestLog(app, "api", records.append))
    status, body = None, b""
    try:
        with client.websocket_connect(path) as socket:
            socket.receive()  # the close
    except WebSocketDenialResponse as denied:
        status, body = denied.status_code, denied.content
    return records, status, body


def test_a_refused_handshake_is_logged_with_its_status_and_reason() -> None:
    records, status, body = _logged(NoWebSockets(accepting, "api"), "/ws")
    reason = (
        "origin 'api' takes no WebSocket connections; add [[origins.api.sockets]] to mock one, "
        "or a proxy to forward them"
    )
    assert status == 404 and reason in body.decode()
    assert [(r.status, r.note) for r in records] == [(404, reason)]


def test_a_crash_before_the_handshake_is_a_500(caplog: pytest.LogCaptureFixture) -> None:
    records, status, _ = _logged(ErrorResponses(crashing, "api"), "/ws")
    assert status == 500 and [r.status for r in records] == [500]
    assert "error while answering /ws" in caplog.text
