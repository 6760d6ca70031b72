"""Shutdown and port moves under load: many open event streams and requests in flight, no
traceback, every request answered, nothing left hanging."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx

from tests.support.process import Devserve, StartDevserve, free_ports, port_open
from tests.support.rawhttp import async_exchange, request_bytes
from tests.support.waiting import wait_until

STREAMS = 50


def _config(page: int, api: int, dashboard: int) -> str:
    return f"""
[devserve]
dashboard_port = {dashboard}

[origins.page]
port = {page}
static = "web"

[origins.api]
port = {api}
cors = "on"
[[origins.api.routes]]
path = "/slow"
body = "slow"
delay_ms = 800
[[origins.api.routes]]
path = "/fast"
body = "fast"
"""


def _start(start_devserve: StartDevserve, root: Path) -> tuple[Devserve, list[int]]:
    (root / "web").mkdir()
    (root / "web" / "index.html").write_text("<html><head></head><body>page</body></html>")
    ports = free_ports(3)
    return start_devserve(_config(*ports), ports=ports), ports


Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _streams(port: int, path: str, count: int) -> list[Stream]:
    """Open ``count`` event streams and read their headers. The writers are kept: a collected
    writer would close its connection, and the stream would end on the client's side."""
    streams = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request_bytes("GET", path, host="localhost").replace(b"close", b"keep-alive"))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.split(b" ")[1] == b"200", head
        streams.append((reader, writer))
    return streams


async def _sent(port: int, path: str) -> asyncio.Task[bytes]:
    """Write a request now; the task reads its whole answer (the connection closes after it)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_bytes("GET", path, host="localhost"))
    await writer.drain()

    async def answer() -> bytes:
        try:
            return await reader.read()
        finally:
            writer.close()  # held until then: a collected writer closes its connection

    return asyncio.create_task(answer())


async def _ended(stream: Stream) -> None:
    """Wait until the server ends the stream (then close this side too)."""
    reader, writer = stream
    while await reader.read(65536):
        pass
    writer.close()


def _clean(server: Devserve) -> None:
    output = server.output()
    for bad in ("Traceback", "CancelledError", "Exception in ASGI"):
        assert bad not in output, output[-3000:]


def test_shutdown_with_open_streams_and_requests_in_flight(
    start_devserve: StartDevserve, tmp_path: Path
) -> None:
    server, (page, api, dashboard) = _start(start_devserve, tmp_path)

    async def main() -> tuple[list[bytes], float]:
        pages = await _streams(page, "/__devserve/events", STREAMS)
        boards = await _streams(dashboard, "/api/events", 5)
        in_flight = [await _sent(api, "/slow") for _ in range(4)]
        # Connections are accepted in order: once a later request on the same port is
        # answered, the slow ones are being served.
        fast = await async_exchange(api, request_bytes("GET", "/fast", host="localhost"))
        assert fast.body == b"fast"
        wait = asyncio.get_running_loop().run_in_executor
        start = time.monotonic()
        server.process.send_signal(signal.SIGINT)
        replies = await asyncio.gather(*in_flight)
        await asyncio.wait_for(asyncio.gather(*(_ended(r) for r in pages + boards)), 3)
        await wait(None, server.process.wait, 5)
        return replies, time.monotonic() - start

    replies, seconds = asyncio.run(main())
    # Each answered in full: status line first, the route's body last.
    assert [reply[:12] + reply[-4:] for reply in replies] == [b"HTTP/1.1 200slow"] * 4, (
        server.output()
    )
    # The slow requests take 0.8 s; streams ended by devserve, not by uvicorn's 2 s limit.
    assert seconds < 1.9
    assert server.process.returncode == 0
    _clean(server)


def test_moving_ports_under_open_streams(start_devserve: StartDevserve, tmp_path: Path) -> None:
    server, (page, api, dashboard) = _start(start_devserve, tmp_path)
    control = f"http://127.0.0.1:{dashboard}"
    assert httpx.put(f"{control}/api/origins/api/cors", json={"enabled": False}).is_success
    new_page, new_api, new_dashboard = free_ports(3)

    async def main() -> float:
        pages = await _streams(page, "/__devserve/events", STREAMS)
        boards = await _streams(dashboard, "/api/events", 5)
        start = time.monotonic()
        config = tmp_path / "devserve.toml"
        config.write_text(_config(new_page, new_api, new_dashboard))
        await asyncio.wait_for(asyncio.gather(*(_ended(r) for r in pages + boards)), 10)
        return time.monotonic() - start

    seconds = asyncio.run(main())
    wait_until(
        lambda: all(port_open(p) for p in (new_page, new_api, new_dashboard)),
        "the new ports to answer",
        output=server.output,
    )
    assert not any(port_open(p) for p in (page, api, dashboard))
    # Ended by devserve at once, not by the old server's 2 s shutdown limit.
    assert seconds < 1.9
    # The runtime switch survives a move that changes nothing but the port (README).
    moved = httpx.get(f"http://127.0.0.1:{new_api}/slow", headers={"Origin": "http://localhost:1"})
    assert "access-control-allow-origin" not in moved.headers
    _clean(server)
