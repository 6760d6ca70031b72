"""Mocks on a real running devserve: faults on the wire, runaway templates, resets."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import Devserve, free_ports, run_command, run_devserve
from tests.support.waiting import wait_until

CONFIG = """
[devserve]
dashboard_port = {dashboard}

[origins.api]
port = {api}
cors = "on"

[[origins.api.routes]]
path = "/reset"
fault = "reset"

[[origins.api.routes]]
path = "/close"
fault = "close"

[[origins.api.routes]]
path = "/hang"
fault = "hang"

[[origins.api.routes]]
path = "/loop"
body = '''{{% for i in range(query.n|int) %}}
{{% for j in range(query.n|int) %}}.{{% endfor %}}{{% endfor %}}'''

[[origins.api.routes]]
path = "/power"
json = {{ n = "{{{{ query.a|int ** query.b|int }}}}" }}

[[origins.api.routes]]
path = "/calls"
body = '''{{% macro f(n) %}}{{% if n < 40 %}}{{{{ f(n + 1) }}}}{{{{ f(n + 1) }}}}{{% endif %}}
{{% endmacro %}}{{{{ f(0) }}}}'''

[[origins.api.routes]]
path = "/seq"
responses = [{{ body = "one" }}, {{ body = "two" }}]

[origins.other]
port = {other}
[[origins.other.routes]]
path = "/ping"
body = "pong"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devserve]:
    folder = tmp_path_factory.mktemp("live")
    api, other, dashboard = free_ports(3)
    text = CONFIG.format(api=api, other=other, dashboard=dashboard)
    (folder / "devserve.toml").write_text(text)
    running = run_devserve(
        ["run", "-c", str(folder / "devserve.toml")], cwd=folder, wait_ports=[api, other, dashboard]
    )
    running.ports = [api, other, dashboard]
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def url(server: Devserve, path: str, origin: int = 0) -> str:
    return f"http://127.0.0.1:{server.ports[origin]}{path}"


def test_reset_is_a_connection_reset(server: Devserve) -> None:
    with pytest.raises(httpx.TransportError) as caught:
        httpx.get(url(server, "/reset"), timeout=5)
    assert "connection reset by peer" in str(caught.value).lower()


def test_close_ends_the_connection_without_a_response(server: Devserve) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        httpx.get(url(server, "/close"), timeout=5)


def test_hang_never_answers_and_holds_nothing_else(server: Devserve) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        hanging = [pool.submit(_hang, server) for _ in range(8)]
        start = time.monotonic()
        assert httpx.get(url(server, "/ping", 1), timeout=5).text == "pong"
        assert time.monotonic() - start < 1
        # Asserted here, in the test's own thread: an assertion inside a worker thread would
        # only be a warning.
        assert [future.result() for future in hanging] == ["timed out"] * 8


def _hang(server: Devserve) -> str:
    try:
        response = httpx.get(url(server, "/hang"), timeout=1.5)
    except httpx.ReadTimeout:
        return "timed out"
    return f"answered {response.status_code}"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/loop?n=100000", "over a limit"),  # 10^10 iterations: stopped by its budget
        ("/power?a=7&b=100000000", "too large a number"),
        ("/calls", "over a limit"),  # 2^40 macro calls: time or operations, whichever first
    ],
)
def test_a_runaway_template_is_a_quick_500_and_other_origins_keep_answering(
    server: Devserve, path: str, reason: str
) -> None:
    result: dict[str, object] = {}

    def heavy() -> None:
        started = time.monotonic()
        response = httpx.get(
            url(server, path), timeout=10, headers={"Origin": "http://localhost:1"}
        )
        result.update(response=response, took=time.monotonic() - started)

    thread = threading.Thread(target=heavy)
    thread.start()
    pings = []
    while thread.is_alive():
        started = time.monotonic()
        assert httpx.get(url(server, "/ping", 1), timeout=5).text == "pong"
        pings.append(time.monotonic() - started)
    thread.join()
    response = result["response"]
    assert isinstance(response, httpx.Response)
    assert response.status_code == 500
    assert reason in response.json()["reason"]
    assert response.headers["access-control-allow-origin"] == "http://localhost:1"
    assert result["took"] < 2.5  # type: ignore[operator]
    assert max(pings) < 1, pings
    assert reason in server.output()  # the terminal line says why


def test_sequences_reset_by_the_control_api(server: Devserve) -> None:
    assert httpx.get(url(server, "/seq")).text == "one"
    assert httpx.get(url(server, "/seq")).text == "two"
    control = url(server, "/api/origins/api/reset", 2)
    assert httpx.post(control, json={}).json()["name"] == "api"
    assert httpx.get(url(server, "/seq")).text == "one"
    assert httpx.post(url(server, "/api/origins/nope/reset", 2), json={}).status_code == 404
    assert httpx.get(url(server, "/seq")).text == "two"
    config = server.log_path.parent / "devserve.toml"
    result = run_command("reset", "api", "-c", str(config), cwd=config.parent)
    assert result.returncode == 0, result.stderr
    assert "api: mock sequences restart" in result.stdout
    assert httpx.get(url(server, "/seq")).text == "one"
    unknown = run_command("reset", "nope", "-c", str(config), cwd=config.parent)
    assert unknown.returncode == 2 and "no origin named 'nope'" in unknown.stderr


def test_ctrl_c_stops_even_while_requests_hang_or_run_away(server: Devserve) -> None:
    clients = []
    for path in ("/hang", "/loop?n=100000", "/calls"):
        # Sent whole before the signal: the server has them when Ctrl-C comes.
        sock = socket.create_connection(("127.0.0.1", server.ports[0]), timeout=8)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        clients.append(sock)
    started = time.monotonic()
    assert server.stop(signal.SIGINT, timeout=6) == 0
    assert time.monotonic() - started < 4
    for sock in clients:
        sock.close()


def test_sequences_restart_when_the_config_changes(
    tmp_path: Path,
) -> None:
    api, dashboard = free_ports(2)
    config = tmp_path / "devserve.toml"
    text = f"""
[devserve]
dashboard_port = {dashboard}
[origins.api]
port = {api}
[[origins.api.routes]]
path = "/seq"
responses = [{{ body = "one" }}, {{ body = "two" }}]
"""
    config.write_text(text)
    running = run_devserve(["run", "-c", str(config)], cwd=tmp_path, wait_ports=[api])
    try:
        assert httpx.get(f"http://127.0.0.1:{api}/seq").text == "one"
        config.write_text(text + "# edited\n")
        wait_until(
            lambda: "config reloaded" in running.output(), "the reload", output=running.output
        )
        assert httpx.get(f"http://127.0.0.1:{api}/seq").text == "one"
    finally:
        running.stop()
