"""Any ASGI app on a real 127.0.0.1 port, in a thread of this process: an upstream for the
proxy tests, or an origin built in-process, reached over real HTTP."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from tests.support.waiting import wait_until


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own
        pass

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.contextmanager
def served(app: ASGIApp, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve ``app`` on a free port until the block ends; yields its base URL (https with
    ``tls``, a server context)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _Server(
        uvicorn.Config(
            app,
            lifespan="off",
            log_level="warning",
            timeout_graceful_shutdown=1,
            ssl_context_factory=None if tls is None else (lambda _config, _default: tls),
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), "the test server to start")
        assert server.started, "the test server did not start"
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
