"""Mock sockets and event streams under stress and at the end: a page that never reads is dropped
(devserve does not buffer for it), hostile input leaves other origins answering, a config change
closes the old sockets with 1012, and Ctrl-C closes sockets with 1001 and ends streams at once,
devserve gone within two seconds, a stuck page included."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support.configs import config_toml
from tests.support.process import Devserve, free_ports, memory_mb, run_devserve
from tests.support.waiting import wait_until

# The promise is two seconds; uvicorn's own backstop (a connection that will not close is
# cancelled after two seconds) would just about make that, so the bound is tighter.
EXIT_BOUND = 1.8
JSON = {"Content-Type": "application/json"}


@dataclass
class Live:
    server: Devserve
    api: int
    other: int
    dashboard: int
    root: Path
    control: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.api}{path}"

    def send(self, path: str, text: str) -> int:
        answer = self.control.post(
            f"http://127.0.0.1:{self.dashboard}/api/origins/api/sockets/send",
            json={"path": path, "text": text},
        )
        assert answer.status_code == 200, answer.text
        return int(answer.json()["sent"])


def config(api: int, other: int, dashboard: int, *, queued: int = 8) -> str:
    tick = {"event": "tick", "data": "{{ now() }}", "delay_ms": 100, "id": "1"}
    return config_toml(
        {
            "api": {
                "port": api,
                "routes": [{"path": "/events", "stream_repeat": True, "stream": [tick]}],
                "sockets": [
                    {"path": "/ws", "echo": True, "max_queued": queued, "max_connections": 50},
                    {"path": "/patient", "echo": True, "max_queued": 1000},
                ],
            },
            "other": {"port": other, "routes": [{"path": "/ping", "json": {"ok": True}}]},
        },
        {"dashboard_port": dashboard},
    )


def start(root: Path) -> Live:
    api, other, dashboard = free_ports(3)
    (root / "devserve.toml").write_text(config(api, other, dashboard))
    server = run_devserve(
        ["run", "-c", str(root / "devserve.toml")], cwd=root, wait_ports=[api, other, dashboard]
    )
    return Live(server, api, other, dashboard, root)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One devserve for the tests that leave it running (the config change comes last)."""
    live = start(tmp_path_factory.mktemp("live"))
    yield live
    live.server.stop()


@pytest.fixture
def own(tmp_path: Path) -> Iterator[Live]:
    """A devserve of the test's own, for the tests that stop it."""
    live = start(tmp_path)
    yield live
    live.server.stop()


def never_reads(port: int, path: str = "/ws") -> socket.socket:
    """A WebSocket client that completes the handshake, then reads nothing ever again."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills fast
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def ping_ms(port: int) -> float:
    """The median time another origin takes to answer, over a few requests."""
    times = []
    with httpx.Client(timeout=10) as client:
        for _ in range(5):
            started = time.perf_counter()
            assert client.get(f"http://127.0.0.1:{port}/ping").status_code == 200
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def test_a_page_that_never_reads_is_dropped_not_buffered(shared: Live) -> None:
    live = shared
    stuck = never_reads(live.api)
    with connect(live.ws("/ws"), open_timeout=5) as reader:
        big = "x" * 200_000
        for _ in range(40):  # 8 MB for a page that reads nothing, 8 messages allowed to wait
            live.send("/ws", big)
            reader.recv(timeout=10)
        output = live.server.output
        wait_until(lambda: "max_queued" in output(), "the stuck page to be dropped", output=output)
        assert memory_mb(live.server.process.pid, "VmRSS") < 250
        reader.send("still here")
        assert reader.recv(timeout=5) == "still here"
    assert "dropped: 8 messages were waiting and the page read none of them" in output()
    stuck.close()


def handshake(port: int, path: str) -> socket.socket:
    """A raw WebSocket handshake, sent and not yet read."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .encode()
    )
    return sock


def status_of(sock: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head and (chunk := sock.recv(64)):
        head += chunk
    return int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else 0


def test_hostile_sockets_leave_other_origins_answering(shared: Live) -> None:
    live = shared
    before = ping_ms(live.other)
    with contextlib.ExitStack() as stack:
        # A thousand handshakes at once: 50 sockets open (max_connections), the rest get 503;
        # the other origin is asked while devserve answers them.
        raw = [stack.enter_context(handshake(live.api, "/ws")) for _ in range(1000)]
        during = ping_ms(live.other)
        statuses = [status_of(sock) for sock in raw]
        assert (statuses.count(101), statuses.count(503)) == (50, 950)
        with pytest.raises(InvalidStatus) as full:  # a 51st: refused before the upgrade
            connect(live.ws("/ws"), open_timeout=5)
        assert full.value.response.status_code == 503
    wait_until(lambda: live.send("/ws", "anyone?") == 0, "the raw sockets to be gone")
    with connect(live.ws("/ws"), open_timeout=5) as victim:
        victim.send(b"\x00" * (2 * 1024 * 1024))  # over the 1 MiB limit: closed with 1009
        with pytest.raises(ConnectionClosed):
            victim.recv(timeout=5)
        assert victim.close_code == 1009
    # Generous: the machine is shared; what matters is that nothing stalls for seconds.
    assert during < max(200.0, 20 * before), (before, during)


@dataclass
class Stream:
    """An event stream read in a thread: the events' count, and how it ended."""

    url: str
    events: int = 0
    ended: str | None = None
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            with httpx.stream("GET", self.url, timeout=10) as answer:
                for line in answer.iter_lines():
                    self.events += line.startswith("data:")
            self.ended = "ended"
        except httpx.HTTPError as exc:
            self.ended = type(exc).__name__


def test_ctrl_c_closes_sockets_with_1001_and_ends_streams_at_once(own: Live) -> None:
    live = own
    stream = Stream(f"http://127.0.0.1:{live.api}/events")
    stuck = never_reads(live.api, "/patient")
    with connect(live.ws("/patient"), open_timeout=5) as reader:  # devserve closes it
        for _ in range(25):  # 10 MB: the stuck page's buffers fill, its messages wait in devserve
            live.send("/patient", "y" * 400_000)
            reader.recv(timeout=10)
        wait_until(lambda: stream.events >= 2, "the stream's first events")
        started = time.monotonic()
        live.server.process.send_signal(signal.SIGINT)
        with pytest.raises(ConnectionClosed):
            reader.recv(timeout=5)
        assert reader.close_code == 1001
    stream.thread.join(timeout=5)
    assert stream.ended == "ended"  # the response ended: no cut connection
    assert live.server.process.wait(timeout=10) == 0
    assert time.monotonic() - started < EXIT_BOUND
    assert "Traceback" not in live.server.output()
    stuck.close()


def test_a_config_change_closes_the_old_sockets_with_1012(shared: Live) -> None:
    live = shared
    with connect(live.ws("/ws"), open_timeout=5) as socket_before:
        socket_before.send("x")
        assert socket_before.recv(timeout=5) == "x"
        text = config(live.api, live.other, live.dashboard, queued=9)
        (live.root / "devserve.toml").write_text(text)
        with pytest.raises(ConnectionClosed):
            socket_before.recv(timeout=10)
        assert socket_before.close_code == 1012  # service restart: reconnect
    with connect(live.ws("/ws"), open_timeout=5) as socket_after:
        socket_after.send("y")
        assert socket_after.recv(timeout=5) == "y"
