"""Answers sent at once by the fast path (serving/fastpath.py) keep HTTP/1.1's rules: pipelined
requests are answered in order, and a client that sends without reading is not answered into
an ever-growing buffer (devserve stops reading it, as for any other request)."""

from __future__ import annotations

import select
from pathlib import Path

import devserve
from tests.support.process import free_ports, memory_mb, run_devserve
from tests.support.rawhttp import KeptAlive, request_bytes

MiB = 1024 * 1024


def get(target: str, *, pad: int = 0) -> bytes:
    headers = [("X-Pad", "p" * pad)] if pad else []
    # request_bytes asks to close the connection: these stay open.
    return request_bytes("GET", target, host="localhost", headers=headers).replace(
        b"Connection: close\r\n", b""
    )


def test_pipelined_requests_are_answered_in_order(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "a.txt").write_text("A" * 100)
    (tmp_path / "web" / "b.txt").write_text("B" * 100)
    config = """
[origins.site]
port = 0
static = "web"
[[origins.site.routes]]
path = "/slow"
json = "slow"
delay_ms = 300
"""
    with devserve.run_in_thread(devserve.config_from_toml(config, base=tmp_path)) as running:
        port = int(running.url("site").rsplit(":", 1)[1])
        connection = KeptAlive(port)
        for target in ("/a.txt", "/b.txt", "/a.txt", "/b.txt"):  # learnt, then replayed
            assert connection.exchange(get(target)).startswith(b"HTTP/1.1 200 ")
        order = ["/slow", "/a.txt", "/b.txt", "/slow", "/a.txt", "/a.txt"]
        assert connection.sock is not None
        connection.sock.sendall(b"".join(get(target) for target in order))
        bodies = [connection.receive().rpartition(b"\r\n\r\n")[2] for _ in order]
        assert bodies == [b'"slow"', b"A" * 100, b"B" * 100, b'"slow"', b"A" * 100, b"A" * 100]
        connection.close()


def test_a_client_that_never_reads_is_not_answered_without_end(tmp_path: Path) -> None:
    """Thousands of requests for a 256 KiB file pipelined, nothing read: devserve stops reading
    them once its answers back up, instead of holding gigabytes of answers for the client;
    when the client reads at last, every answer comes, whole and in order."""
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "big.bin").write_bytes(b"b" * (256 * 1024))
    port, dashboard = free_ports(2)
    (tmp_path / "devserve.toml").write_text(
        f'[devserve]\ndashboard_port = {dashboard}\n\n[origins.site]\nport = {port}\n'
        'static = "web"\n'
    )
    server = run_devserve(
        ["-q", "run", "--no-reload", "-c", str(tmp_path / "devserve.toml")],
        cwd=tmp_path,
        wait_ports=[port],
        address_space=1536 * MiB,
    )
    try:
        request = get("/big.bin", pad=4000)
        flood = KeptAlive(port)
        for _ in range(2):  # learnt, then replayed
            assert flood.exchange(request).startswith(b"HTTP/1.1 200 ")
        before = memory_mb(server.process.pid)
        sent = _send_without_reading(flood, request, limit=32 * MiB)
        assert sent < 32 * MiB, "devserve kept reading requests it could not answer"
        assert memory_mb(server.process.pid) - before < 100, server.output()[-2000:]
        assert server.process.poll() is None, server.output()[-2000:]
        for _ in range(sent // len(request)):
            answer = flood.receive()
            assert answer.startswith(b"HTTP/1.1 200 ")
            assert answer.endswith(b"\r\n\r\n" + b"b" * 262144)
        flood.close()
        assert "Traceback" not in server.output()
    finally:
        server.stop()


def _send_without_reading(connection: KeptAlive, request: bytes, *, limit: int) -> int:
    """Pipeline ``request`` on ``connection``, never reading, until it takes no more for a
    second or ``limit`` bytes went; how many bytes went (whole requests only)."""
    sock = connection.sock
    assert sock is not None
    sent = 0
    while sent < limit:
        if not select.select([], [sock], [], 1.0)[1]:
            break  # nothing more taken for a second: devserve stopped reading
        sock.sendall(request)  # blocks for the rest of a request: only whole ones are counted
        sent += len(request)
    return sent
