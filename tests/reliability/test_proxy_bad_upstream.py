"""A misbehaving upstream or browser on a proxied origin gets a clear answer and one escaped
log line, never a traceback or a dropped connection: control characters in an upstream
header, a WebSocket the browser closes without a status code."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
from websockets.sync.client import connect

from tests.conftest import StartDevserve
from tests.proxy.conftest import ProxyFactory, Running
from tests.support.badservers import escape_in_header, serve_forever
from tests.support.configs import config_toml
from tests.support.process import Devserve, free_port
from tests.support.waiting import wait_until


def _proxying(start_devserve: StartDevserve, upstream: str, **origin: object) -> Devserve:
    port = free_port()
    origins = {"api": {"port": port, "proxy": upstream, **origin}}
    config = config_toml(origins, {"dashboard_port": False})
    server = start_devserve(config, ports=[port], args=["--no-reload"])
    server.ports = [port]
    return server


def test_an_upstream_header_with_control_characters_is_dropped_with_a_log_line(
    start_devserve: StartDevserve, tmp_path: Path
) -> None:
    port, close = serve_forever(escape_in_header)
    try:
        server = _proxying(start_devserve, f"http://127.0.0.1:{port}", record="rec")
        response = httpx.get(server.url(server.ports[0]) + "/titled", timeout=10)
        wait_until(lambda: "/titled" in server.output(), "the request's log line")
    finally:
        close()
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert response.headers["x-fine"] == "yes"
    assert "x-title" not in response.headers and "x-del" not in response.headers
    output = server.output()
    assert "Traceback" not in output and "\x1b" not in output and "\x07" not in output
    [line] = [line for line in output.splitlines() if "/titled" in line]
    assert "dropped header x-title, x-del (control characters)" in line
    recorded = json.loads((tmp_path / "rec" / "titled.mock.json").read_text())
    assert set(recorded["headers"]) == {"content-type", "x-fine"}


def test_a_browser_closing_a_websocket_without_a_status_code(
    upstream: Running, start_devserve: StartDevserve
) -> None:
    server = _proxying(start_devserve, upstream.url)
    url = server.url(server.ports[0]).replace("http", "ws") + "/ws"
    with connect(url) as socket:
        socket.send("hello")
        assert socket.recv(timeout=5) == "echo: hello (-)"
        # A close frame with no payload: "no status code", which the receiver reads as 1005
        # and which may never be sent on to anyone (RFC 6455 7.4.1).
        socket.socket.sendall(b"\x88\x80" + os.urandom(4))
        wait_until(lambda: upstream.api.websocket_closes, "the upstream to see the close")
    assert upstream.api.websocket_closes == [1000]
    still = httpx.get(server.url(server.ports[0]) + "/echo", timeout=10)
    assert still.status_code == 200
    assert "Traceback" not in server.output() and "ExceptionGroup" not in server.output()


def test_json_too_deep_to_redact_passes_through_unrecorded(
    upstream: Running, proxy_origin: ProxyFactory, tmp_path: Path
) -> None:
    with proxy_origin(proxy=upstream.url, record="rec") as proxied:
        response = proxied.client.get("/deep")
        wait_until(lambda: proxied.records, "the request's log line")
    assert response.status_code == 200 and len(response.content) == 200_000
    assert "not recorded: the JSON body is nested too deeply to redact" in proxied.records[0].line()
    assert not (tmp_path / "rec").exists()


def test_a_request_body_too_deep_to_match_on_is_a_400(
    upstream: Running, proxy_origin: ProxyFactory
) -> None:
    deep = "[" * 800 + "]" * 800  # parses, but is too deep to walk for redaction
    with proxy_origin(proxy=upstream.url, record="rec", record_match={"body": True}) as proxied:
        response = proxied.client.post("/echo", content=deep)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "the request body is nested too deeply to match recordings on"
    )
