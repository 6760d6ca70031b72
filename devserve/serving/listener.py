"""One uvicorn server on a socket bound beforehand, and the origin it serves behind a swappable
entry point: what the runner starts, swaps and stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Generator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.errors import DevserveError
from devserve.serving.binding import listen
from devserve.serving.fastpath import FastPath, Key
from devserve.serving.origin import OriginApp
from devserve.serving.protocol import HTTP_PROTOCOL, WS_PROTOCOL

# Open event streams and keep-alive connections must not hold Ctrl-C hostage (uvicorn #2943).
# Requests in flight are answered by devserve first (serving/stopping.py, 1.5 s after the
# signal); this is only the backstop for anything that ignores even that.
GRACEFUL_SHUTDOWN_SECONDS = 2


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to the runner, which owns the loop (uvicorn #1600),
    and says when it listens (``listening``) rather than being polled for it."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.listening.set()


class Swappable:
    """The app uvicorn holds: a config change swaps what is inside without closing the port."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def answer_at_once(self, key: Key) -> tuple[int, bytes, bytes] | None:
        """The origin's answer to this request without running its layers, if it has one
        (serving/fastpath.py); asked by the protocol before it starts the request."""
        app = self.app
        return app.answer(key) if isinstance(app, FastPath) else None


class QuietCancellation(logging.Filter):
    """uvicorn logs a traceback for every request task cancelled, and a line when its graceful
    timeout cancels them; a forced shutdown (the second Ctrl-C) or the end of the time to
    finish cancels them on purpose, and the request log already has each one: say nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, asyncio.CancelledError):
            return False
        return not str(record.msg).startswith("Cancel %s running task")


@contextlib.contextmanager
def quiet_cancellation() -> Generator[None, None, None]:
    uvicorn_errors = logging.getLogger("uvicorn.error")
    quiet = QuietCancellation()
    uvicorn_errors.addFilter(quiet)
    try:
        yield
    finally:
        uvicorn_errors.removeFilter(quiet)


@dataclass
class Listener:
    """A uvicorn server running on a socket it owns."""

    server: _Server
    sock: socket.socket
    task: asyncio.Task[None]

    @classmethod
    async def start(
        cls,
        app: ASGIApp,
        sock: socket.socket,
        name: str,
        tls: ssl.SSLContext | None = None,
        *,
        ws_max_size: int = 16 * 1024 * 1024,
    ) -> Listener:
        """Serve ``app`` on ``sock``; over TLS with ``tls`` (an https origin's SNI context).
        ``ws_max_size``: a larger WebSocket message is refused (1009) before it is held whole."""
        config = uvicorn.Config(
            app,
            lifespan="off",
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            server_header=False,
            # uvicorn trusts X-Forwarded-For/-Proto from 127.0.0.1 by default: on a dev server
            # every local page is 127.0.0.1, so any of them could pose as another client or
            # scheme. devserve is never behind a proxy of its own; it also saves a layer.
            proxy_headers=False,
            http=HTTP_PROTOCOL,  # the connection in the scope; the target host wins over Host
            ws=WS_PROTOCOL,  # the connection in a socket's scope; 1001 when devserve stops
            ws_max_size=ws_max_size,
            ssl_context_factory=None if tls is None else (lambda _config, _default: tls),
        )
        listen(name, sock, config.backlog)  # a port another process claimed meanwhile: exit 3
        server = _Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        listening = asyncio.create_task(server.listening.wait())
        await asyncio.wait({task, listening}, return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        if task.done():
            sock.close()
            task.result()  # re-raise what stopped it
            raise DevserveError(f"'{name}' could not start")
        return cls(server=server, sock=sock, task=task)

    @property
    def port(self) -> int:
        """The port really bound (the config may say 0: any free port)."""
        return int(self.sock.getsockname()[1])

    def exit(self, *, force: bool) -> None:
        """Ask the server to stop: gracefully (in-flight requests finish), or at once."""
        self.server.force_exit = self.server.force_exit or force
        self.server.should_exit = True

    async def stop(self) -> None:
        self.exit(force=False)
        await self.task
        self.sock.close()


@dataclass
class Served:
    """One origin being served: its current app, behind the entry point its listener holds."""

    origin: OriginApp
    entry: Swappable
    listener: Listener

    @classmethod
    async def start(
        cls, origin: OriginApp, sock: socket.socket, tls: ssl.SSLContext | None = None
    ) -> Served:
        entry = Swappable(origin.app)
        listener = await Listener.start(
            entry, sock, origin.name, tls, ws_max_size=origin.largest_message
        )
        return cls(origin=origin, entry=entry, listener=listener)

    def swap(self, origin: OriginApp) -> None:
        self.origin = origin
        self.entry.app = origin.app
        self.listener.server.config.ws_max_size = origin.largest_message  # new sockets only
