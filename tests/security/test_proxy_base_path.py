"""A proxy URL with a base path (``http://api/v1``) exposes that part of the upstream and no
more: a path that climbs out of it, in any spelling, gets 400 and never reaches the upstream
(with the ``proxy_headers``). Sent over raw sockets: clients resolve dot segments themselves."""

from __future__ import annotations

import base64
import os

import pytest

from tests.proxy.conftest import ProxyFactory, Running
from tests.support.rawhttp import exchange, request_bytes

ESCAPES = [
    "/../../../pwned",
    "/../pwned",
    "/echo/../../pwned",
    "/%2e%2e/pwned",
    "/%2E%2e/%2e%2E/pwned",
    "/.%2e/pwned",
    "/..%2fpwned",
    "/..%2Fpwned",
    "/..%5cpwned",
    "/..\\pwned",
    "/echo\\..\\..\\pwned",
    "/%252e%252e/pwned",
    "/a/b/../../../pwned",
]


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("base", ["/v1", ""])
def test_a_path_climbing_out_of_the_base_path_is_refused(
    upstream: Running, proxy_origin: ProxyFactory, base: str
) -> None:
    with proxy_origin(
        proxy=upstream.url + base, proxy_headers={"X-Api-Key": "base-path-secret-1"}
    ) as proxied:
        replies = {
            path: exchange(_port(proxied.url), request_bytes("GET", path, host="localhost"))
            for path in ESCAPES
        }
    for path, reply in replies.items():
        assert reply.status == 400, f"{path}: {reply.status} {reply.text}"
        assert "leaves" in reply.text, path
    assert not [seen for seen in upstream.api.paths if "pwned" in seen]


def test_dot_segments_that_stay_inside_are_resolved(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    with proxy_origin(proxy=upstream.url + "/v1") as proxied:
        port = _port(proxied.url)
        inside = exchange(port, request_bytes("GET", "/a/b/../../echo", host="localhost"))
        dotted = exchange(port, request_bytes("GET", "/./x/%2e%2e/echo?q=1", host="localhost"))
    assert inside.status == 200 and '"path":"/v1/echo"' in inside.text
    assert dotted.status == 200 and '"query":"q=1"' in dotted.text
    assert upstream.api.paths == ["/v1/echo", "/v1/echo"]


def test_a_websocket_climbing_out_is_refused(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    key = base64.b64encode(os.urandom(16)).decode()
    upgrade = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
    with proxy_origin(proxy=upstream.url + "/v1") as proxied:
        # Without the check this reaches the upstream's /ws, outside /v1.
        request = request_bytes("GET", "/%2e%2e/ws", host="localhost", headers=upgrade)
        reply = exchange(_port(proxied.url), request.replace(b"Connection: close\r\n", b""))
    assert reply.status == 403
    assert upstream.api.paths == []
