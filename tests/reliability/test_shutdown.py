"""Ctrl-C and SIGTERM: the first lets in-flight requests finish with their real response, the
second drops them; neither prints a traceback (issue 12, item 1)."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest

from tests.support.configs import config_toml
from tests.support.process import Devserve, StartDevserve, free_ports, port_open
from tests.support.waiting import wait_until

SLOW_MS = 800


@dataclass
class InFlight:
    """Requests sent on raw connections: written before ``send`` returns, read in a thread.

    ``results`` gets each one's status and body (``"200 slow"``), or ``"dropped"``.
    """

    results: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def send(self, port: int, path: str) -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )

        def read() -> None:
            with sock:
                answer = b""
                with contextlib.suppress(OSError):
                    while chunk := sock.recv(65536):
                        answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            status = head.split(b" ")[1].decode() if head.startswith(b"HTTP/1.1 ") else "dropped"
            self.results.append(f"{status} {body.decode(errors='replace')}".strip())

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=10)


def start_with_requests_in_flight(
    start_devserve: StartDevserve, *, delay_ms: int, count: int = 4
) -> tuple[Devserve, InFlight]:
    api, dashboard = free_ports(2)
    routes = [
        {"path": "/slow", "body": "slow", "delay_ms": delay_ms},
        {"path": "/fast", "body": "fast"},
    ]
    server = start_devserve(
        config_toml({"api": {"port": api, "routes": routes}}, {"dashboard_port": dashboard}),
        ports=[api],
    )
    flight = InFlight()
    for _ in range(count):
        flight.send(api, "/slow")
    # Connections are accepted in order, and the slow requests were already sent: once a later
    # request on the same port is answered, they are being served.
    assert httpx.get(f"http://127.0.0.1:{api}/fast", timeout=5).text == "fast"
    return server, flight


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_first_signal_lets_in_flight_requests_finish(
    start_devserve: StartDevserve, sig: signal.Signals
) -> None:
    server, flight = start_with_requests_in_flight(start_devserve, delay_ms=SLOW_MS)
    started = time.monotonic()
    assert server.stop(sig) == 0
    assert time.monotonic() - started < 2
    flight.join()
    assert flight.results == ["200 slow"] * 4, server.output()
    assert "Traceback" not in server.output()
    assert "CancelledError" not in server.output()


def test_second_signal_drops_in_flight_requests(start_devserve: StartDevserve) -> None:
    server, flight = start_with_requests_in_flight(start_devserve, delay_ms=20_000)
    started = time.monotonic()
    server.process.send_signal(signal.SIGINT)
    # The first stop is under way once the port no longer takes connections.
    wait_until(lambda: not port_open(server.ports[0]), "the port to close")
    server.process.send_signal(signal.SIGINT)
    assert server.stop() == 0
    assert time.monotonic() - started < 2
    flight.join()
    assert len(flight.results) == 4, flight.results
    assert not any(result.startswith("200") for result in flight.results), flight.results
    assert "Traceback" not in server.output()
