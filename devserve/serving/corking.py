"""One send per response: a transport that gathers what is written in one turn of the loop.

uvicorn writes a response's status line and headers, then its body, as two ``transport.write``
calls; uvloop sends each at once, so a small response costs two ``send`` syscalls and two TCP
segments. Every devserve response (a cached file, a mock route) is written within one turn of
the event loop, so gathering writes until the loop's next turn sends it in one syscall. Bodies
streamed in chunks (large files, proxied responses) still go out as they come: 64 KiB written
in one turn go out at once, uncopied, so backpressure works as without the cork.
"""

from __future__ import annotations

import asyncio
from typing import Any

_JOIN_BELOW = 64 * 1024  # joining copies: worth it for small writes only


class CorkedTransport:
    """Wraps an ``asyncio.Transport``; everything but writing and closing goes straight through."""

    __slots__ = ("_loop", "_pending", "_size", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if self._pending is None:
            self._pending = []
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data) if not isinstance(data, bytes) else data)
        self._size += len(data)
        if self._size >= _JOIN_BELOW:
            # Much written without the loop turning: hand it over now, so the transport's
            # flow control (pause_writing, then uvicorn's drain) sees it and holds the writer.
            self._flush()

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush(self) -> None:
        pending, size = self._pending, self._size
        self._pending, self._size = None, 0
        if not pending or self._transport.is_closing():
            return
        if len(pending) == 1:
            self._transport.write(pending[0])
        elif size < _JOIN_BELOW:
            self._transport.write(b"".join(pending))
        else:
            for chunk in pending:
                self._transport.write(chunk)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._size

    def close(self) -> None:
        self._flush()  # what was written before close goes out before the FIN
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._pending, self._size = None, 0  # abort drops unsent data, as the transport does
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
