"""Raw TCP servers that misbehave on purpose: an endless body, headers sent a byte at a time,
control characters in a header."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable


def serve_forever(handle: Callable[[socket.socket], None]) -> tuple[int, Callable[[], None]]:
    """A one-connection-at-a-time TCP server in a thread; its port and a stop function."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def loop() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            threading.Thread(target=_guarded, args=(handle, connection), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()

    def close() -> None:
        stop.set()
        listener.close()

    return listener.getsockname()[1], close


def _guarded(handle: Callable[[socket.socket], None], connection: socket.socket) -> None:
    try:
        with connection:
            connection.recv(65536)
            handle(connection)
    except OSError:
        pass  # the check went away: that is the point


def endless_body(connection: socket.socket) -> None:
    connection.sendall(
        b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: text/plain\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"10000\r\n" + b"x" * 65536 + b"\r\n"
    while True:
        connection.sendall(chunk)


def trickled_headers(connection: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
        connection.sendall(bytes([byte]))
        time.sleep(0.2)


def escape_in_header(connection: socket.socket) -> None:
    """A response whose header value holds a terminal escape (ESC, BEL) and a DEL."""
    body = b'{"ok": true}'
    connection.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Title: \x1b]0;pwned\x07\r\n"
        b"X-Del: a\x7fb\r\nX-Fine: yes\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        + body
    )
