"""HTTP/1.1 over a plain socket: requests no client library would send (bad Host, raw paths)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field


@dataclass
class Reply:
    """A parsed response: status, headers (lower-case names, last value wins) and body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request_bytes(
    method: str = "GET",
    target: str = "/",
    *,
    host: str | None = "127.0.0.1",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    version: str = "HTTP/1.1",
) -> bytes:
    """A request exactly as given: no normalisation of the target, Host only if ``host``."""
    lines = [f"{method} {target} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers or []]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + body


def _parse_head(head: bytes) -> Reply:
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(status=int(status_line.split(" ")[1]), headers=headers)


def exchange(port: int, data: bytes, *, timeout: float = 5.0, read_body: bool = True) -> Reply:
    """Send ``data`` to 127.0.0.1:``port`` and read one response (its body only if asked)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed before a response; got {received!r}")
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        reply = _parse_head(head)
        if read_body and reply.status not in (204, 304):
            reply.body = rest + _read_rest(sock, reply, len(rest))
        return reply


def _read_rest(sock: socket.socket, reply: Reply, have: int) -> bytes:
    length = reply.headers.get("content-length")
    chunks = []
    while length is None or have < int(length):
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        have += len(chunk)
    return b"".join(chunks)


async def async_exchange(port: int, data: bytes, *, timeout: float = 20.0) -> Reply:
    """``exchange`` for many connections at once (one event loop, no threads)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        writer.write(data)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        reply = _parse_head(head[:-4])
        if reply.status not in (204, 304):
            length = reply.headers.get("content-length")
            if length is not None:
                reply.body = await asyncio.wait_for(reader.readexactly(int(length)), timeout)
            else:
                reply.body = await asyncio.wait_for(reader.read(), timeout)
        return reply
    finally:
        writer.close()


class _Truncated(ConnectionError):
    """The server closed the connection in the middle of a response."""


class KeptAlive:
    """One keep-alive connection that returns each response's exact bytes (reconnecting when
    the server closed it): for comparing two servers' answers byte for byte."""

    def __init__(self, port: int, *, timeout: float = 10.0) -> None:
        self.port = port
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def exchange(self, data: bytes, *, head_only: bool = False) -> bytes:
        """Send one request; the response as received, status line to the last body byte.

        A kept connection the server has since closed (its keep-alive timeout) is opened
        again and the request sent once more, as browsers do."""
        reused = self.sock is not None
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
            self.buffer = b""
        try:
            self.sock.sendall(data)
            return self.receive(head_only=head_only)
        except (ConnectionError, BrokenPipeError) as exc:
            if not reused or isinstance(exc, _Truncated):
                raise
            self.close()
            return self.exchange(data, head_only=head_only)

    def receive(self, *, head_only: bool = False) -> bytes:
        """The next response (of requests already sent, e.g. pipelined)."""
        while b"\r\n\r\n" not in self.buffer:
            self._need()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        reply = _parse_head(head)
        closing = reply.headers.get("connection", "").lower() == "close"
        length = reply.headers.get("content-length")
        if head_only or reply.status in (204, 304) or reply.status < 200:
            size = 0
        elif length is not None:
            size = int(length)
        else:  # until the server closes it
            while self._read():
                pass
            size, closing = len(self.buffer), True
        while len(self.buffer) < size:
            self._need()
        body, self.buffer = self.buffer[:size], self.buffer[size:]
        if closing:
            self.close()
        return head + b"\r\n\r\n" + body

    def _read(self) -> bool:
        """Read what came; False once the server closed the connection."""
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def _need(self) -> None:
        if not self._read():
            got = self.buffer
            self.close()
            if got:
                raise _Truncated(f"closed before a whole response; got {got[:200]!r}")
            raise ConnectionError("closed before any response")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""
