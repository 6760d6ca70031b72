"""CorkedTransport: what one turn of the loop writes goes out in one send, in order, and
closing or aborting keeps the transport's own meaning."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx

import devserve
from devserve.serving.corking import CorkedTransport


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True

    def write_eof(self) -> None:
        self.writes.append(b"<eof>")

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> str:
        return f"extra {name}"


def corked() -> tuple[CorkedTransport, FakeTransport, asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    fake = FakeTransport()
    return CorkedTransport(fake, loop), fake, loop  # type: ignore[arg-type]


def turn(loop: asyncio.AbstractEventLoop) -> None:
    loop.run_until_complete(asyncio.sleep(0))


def test_writes_in_one_turn_are_one_write_in_order() -> None:
    transport, fake, loop = corked()
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"")
    transport.write(memoryview(b"body"))
    assert fake.writes == [] and transport.get_write_buffer_size() == 23
    turn(loop)
    assert fake.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    transport.write(b"next")
    turn(loop)
    assert fake.writes[1:] == [b"next"]
    loop.close()


def test_big_writes_go_out_at_once_uncopied() -> None:
    """Flow control must see them: a writer that never yields cannot pile up memory here."""
    transport, fake, loop = corked()
    head, body = b"h" * 100, b"b" * (1 << 20)
    transport.writelines([head, body])
    assert fake.writes == [head, body] and fake.writes[1] is body  # before the loop turns
    assert transport.get_write_buffer_size() == 0
    for _ in range(20):
        transport.write(b"c" * 16384)
    assert sum(map(len, fake.writes[2:])) >= 16 * 16384  # handed over every 64 KiB
    turn(loop)
    assert sum(map(len, fake.writes[2:])) == 20 * 16384
    loop.close()


def test_close_sends_what_was_written_first_and_abort_drops_it() -> None:
    transport, fake, loop = corked()
    transport.write(b"last words")
    transport.write_eof()
    transport.close()
    assert fake.writes == [b"last words", b"<eof>"] and fake.closed
    turn(loop)  # the flush scheduled by the first write finds nothing more to send
    assert fake.writes == [b"last words", b"<eof>"]

    transport, fake, loop2 = corked()
    transport.write(b"never sent")
    transport.abort()
    turn(loop2)
    assert fake.writes == [] and fake.aborted
    assert transport.get_extra_info("socket") == "extra socket"
    loop.close()
    loop2.close()


def test_responses_on_a_kept_alive_connection_are_whole_and_in_order(tmp_path: Path) -> None:
    """Over a real connection, through the corked transport: pipelined requests get their
    responses whole and in order, and ``Connection: close`` still ends with everything sent."""
    config = devserve.config_from_dict(
        {
            "devserve": {"dashboard_port": False},
            "origins": {"api": {"port": 0, "routes": [{"path": "/x", "json": {"a": 1}}]}},
        },
        base=tmp_path,
    )
    with devserve.run_in_thread(config) as running:
        port = int(running.url("api").rsplit(":", 1)[1])
        assert httpx.get(running.url("api") + "/x").json() == {"a": 1}
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            ask = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            sock.sendall(ask * 3 + ask.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
    responses = received.split(b"HTTP/1.1 ")[1:]
    assert len(responses) == 4
    assert all(r.startswith(b"200 OK") and r.endswith(b'{"a": 1}') for r in responses)
