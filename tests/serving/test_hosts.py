"""HostGuard in-process: which Host headers reach the app, and what the others get."""

from __future__ import annotations

import pytest
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from devserve.serving.hosts import HostGuard, host_name


async def ok(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("ok")(scope, receive, send)


@pytest.fixture
def client() -> TestClient:
    return TestClient(HostGuard(ok, ["Dev.Example.Test."]), base_url="http://127.0.0.1:8000")


@pytest.mark.parametrize(
    ("header", "name"),
    [("localhost:8000", "localhost"), ("[::1]:8000", "::1"), ("[::1]", "::1"), ("a.b", "a.b")],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8000",
        "LOCALHOST.",
        "app.localhost",
        "127.0.0.1",
        "10.0.0.7:80",
        "[::1]:1",
        "dev.example.test",
        "DEV.example.test:8000",
    ],
)
def test_allowed_hosts_reach_the_app(client: TestClient, host: str) -> None:
    response = client.get("/", headers={"Host": host})
    assert (response.status_code, response.text) == (200, "ok")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "localhost.evil.example"])
def test_other_hosts_get_403_naming_the_fix(client: TestClient, host: str) -> None:
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 403
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert f"Host '{host_name(host)}' is not allowed" in response.text
    assert "allowed_hosts in [devserve]" in response.text


def test_websockets_with_a_foreign_host_are_closed(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/", headers={"Host": "evil.example"}),
    ):
        pass
    assert closed.value.code == 1008
