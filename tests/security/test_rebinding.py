"""DNS rebinding: every endpoint (each origin kind, live reload, dashboard, control API) refuses
a Host that is not local or listed, and a malformed one, and judges the host the target names."""

from __future__ import annotations

import json

import pytest

from tests.support.everykind import SECRET, EveryKind
from tests.support.rawhttp import Reply, exchange, request_bytes

JSON_ON = [("Content-Type", "application/json")]
ENABLE = json.dumps({"enabled": True}).encode()

# (name, method, target, body): every kind of endpoint an origin has.
ORIGIN_ENDPOINTS = [
    ("page", "GET", "/", b""),
    ("file", "GET", "/hello.txt", b""),
    ("route", "GET", "/data", b""),
    ("route-post", "POST", "/echo/x", b'{"a": 1}'),
    ("script", "GET", "/__devserve/livereload.js", b""),
    ("events", "GET", "/__devserve/events", b""),
]
DASHBOARD_ENDPOINTS = [
    ("dashboard", "GET", "/", b""),
    ("dashboard-js", "GET", "/dashboard.js", b""),
    ("api-origins", "GET", "/api/origins", b""),
    ("api-instance", "GET", "/api/instance", b""),
    ("api-events", "GET", "/api/events", b""),
    ("api-switch", "PUT", "/api/origins/api/cors", ENABLE),
]
ENDPOINTS = [(kind, *e) for kind in ("site", "api", "spa", "public") for e in ORIGIN_ENDPOINTS]
ENDPOINTS += [("dashboard", *e) for e in DASHBOARD_ENDPOINTS]
STREAMS = {"/__devserve/events", "/api/events"}

# Host header values a rebinding page (or a confused client) sends, and the refusal they get.
REFUSED_HOSTS = [
    ("evil.example", 403),
    ("evil.example:{port}", 403),
    ("localhost.evil.example", 403),
    ("127.0.0.1.nip.io:{port}", 403),
    ("myapp.test.evil.example", 403),
    ("xn--localhost-.example", 403),
    ("[::1]evil.com", 400),
    ("[::1", 400),
    ("[evil.com]:{port}", 400),
    ("localhost:abc", 400),
    ("localhost:{port}:1", 400),
    ("", 400),
    ("local host", 400),
]
ALLOWED_HOSTS = [
    "localhost:{port}",
    "127.0.0.1:{port}",
    "[::1]:{port}",
    "app.localhost:{port}",
    "myapp.test",
    "MyApp.Test.",
]


def _port(fortress: EveryKind, kind: str) -> int:
    return fortress.dashboard if kind == "dashboard" else fortress.origins[kind]


def _send(
    fortress: EveryKind,
    kind: str,
    method: str,
    target: str,
    body: bytes,
    *,
    host: str | None,
    extra: list[tuple[str, str]] | None = None,
    version: str = "HTTP/1.1",
) -> Reply:
    port = _port(fortress, kind)
    headers = [*(JSON_ON if body else []), *(extra or [])]
    data = request_bytes(
        method,
        target,
        host=None if host is None else host.format(port=port),
        headers=headers,
        body=body,
        version=version,
    )
    return exchange(port, data, read_body=not target.endswith(tuple(STREAMS)))


def _assert_refused(reply: Reply, status: int) -> None:
    assert reply.status == status, reply
    assert SECRET not in reply.text
    assert "access-control-allow-origin" not in reply.headers
    assert reply.headers.get("content-type", "").startswith("text/plain")


endpoints = pytest.mark.parametrize(
    ("kind", "name", "method", "target", "body"),
    ENDPOINTS,
    ids=[f"{e[0]}-{e[1]}" for e in ENDPOINTS],
)


@endpoints
def test_foreign_and_malformed_hosts_are_refused(
    fortress: EveryKind, kind: str, name: str, method: str, target: str, body: bytes
) -> None:
    for host, status in REFUSED_HOSTS:
        reply = _send(fortress, kind, method, target, body, host=host)
        assert reply.status == status, (host, reply)
        _assert_refused(reply, status)


@endpoints
def test_local_and_listed_hosts_are_served(
    fortress: EveryKind, kind: str, name: str, method: str, target: str, body: bytes
) -> None:
    for host in ALLOWED_HOSTS:
        reply = _send(fortress, kind, method, target, body, host=host)
        assert reply.status not in (400, 403), (host, reply)


@endpoints
def test_http11_without_host_is_a_bad_request_and_http10_is_not(
    fortress: EveryKind, kind: str, name: str, method: str, target: str, body: bytes
) -> None:
    _assert_refused(_send(fortress, kind, method, target, body, host=None), 400)
    old = _send(fortress, kind, method, target, body, host=None, version="HTTP/1.0")
    assert old.status not in (400, 403), old


@endpoints
def test_two_host_headers_are_a_bad_request(
    fortress: EveryKind, kind: str, name: str, method: str, target: str, body: bytes
) -> None:
    reply = _send(
        fortress, kind, method, target, body, host="localhost", extra=[("Host", "evil.example")]
    )
    _assert_refused(reply, 400)


@endpoints
def test_an_absolute_form_target_is_judged_by_its_own_host(
    fortress: EveryKind, kind: str, name: str, method: str, target: str, body: bytes
) -> None:
    """RFC 9112 §3.2.2: the target's authority replaces Host, whatever Host says."""
    foreign = _send(fortress, kind, method, f"http://evil.example{target}", body, host="localhost")
    _assert_refused(foreign, 403)
    port = _port(fortress, kind)
    local = _send(fortress, kind, method, f"http://localhost:{port}{target}", body, host="evil")
    assert local.status not in (400, 403), local


def test_refused_requests_changed_nothing(fortress: EveryKind) -> None:
    for host, _ in REFUSED_HOSTS:
        disable = json.dumps({"enabled": False}).encode()
        reply = _send(fortress, "dashboard", "PUT", "/api/origins/api/cors", disable, host=host)
        assert reply.status in (400, 403)
    origins = _send(fortress, "dashboard", "GET", "/api/origins", b"", host="localhost")
    api = next(o for o in json.loads(origins.body) if o["name"] == "api")
    assert api["cors"]["enabled"] is True
