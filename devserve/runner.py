"""The process: one uvicorn.Server per origin on one event loop, the banner, and clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import signal
import socket
import sys
import webbrowser
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import uvicorn

from devserve import __version__
from devserve.config import Config
from devserve.errors import DevserveError, PortInUseError
from devserve.origin import OriginApp, build_origin

log = logging.getLogger("devserve")

# Open event streams and keep-alive connections must not hold Ctrl-C hostage.
GRACEFUL_SHUTDOWN_SECONDS = 2


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to the runner, which owns the loop (uvicorn #1600)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def url_host(host: str) -> str:
    """The host to put in URLs: wildcard binds are reached through loopback."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(name: str, host: str, port: int) -> socket.socket:
    """Bind now, before any server starts, so a taken port stops everything with exit 3."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise DevserveError(
            f"cannot use host {host!r}: {exc.strerror}; check --host or [devserve] host"
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        reason = {errno.EADDRINUSE: "already in use", errno.EACCES: "permission denied"}.get(
            exc.errno or 0, exc.strerror or str(exc)
        )
        raise PortInUseError(name, host, port, reason) from None
    sock.set_inheritable(True)
    return sock


@dataclass
class Runner:
    """Serves every origin of a config until told to stop."""

    config: Config
    host: str
    open_browser: bool = False
    echo: Callable[[str], None] = print
    origins: list[OriginApp] = field(default_factory=list)
    _servers: list[_Server] = field(default_factory=list)

    def url(self, origin: OriginApp) -> str:
        return f"http://{url_host(self.host)}:{origin.config.port}"

    def stop(self) -> None:
        """First call: graceful shutdown. A second call (Ctrl-C again): drop connections now."""
        for server in self._servers:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

    async def serve(self) -> None:
        self.origins = [
            build_origin(name, origin, self.config.devserve)
            for name, origin in self.config.origins.items()
        ]
        sockets: list[socket.socket] = []
        try:
            for origin in self.origins:
                sockets.append(bind(origin.name, self.host, origin.config.port))
        except DevserveError:
            for sock in sockets:
                sock.close()
            raise
        self._servers = [
            _Server(
                uvicorn.Config(
                    origin.app,
                    lifespan="off",
                    access_log=False,
                    log_config=None,
                    timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
                    server_header=False,
                )
            )
            for origin in self.origins
        ]
        loop = asyncio.get_running_loop()
        with _signals_stop(loop, self.stop):
            tasks = [
                asyncio.create_task(server.serve(sockets=[sock]))
                for server, sock in zip(self._servers, sockets, strict=True)
            ]
            while not all(s.started for s in self._servers) and not any(t.done() for t in tasks):
                await asyncio.sleep(0.01)
            if all(s.started for s in self._servers):
                self.echo(self.banner())
                if self.open_browser:
                    self._open_first_page()
            else:
                self.stop()
            await asyncio.gather(*tasks)
        for sock in sockets:
            sock.close()

    def banner(self) -> str:
        lines = [f"devserve {__version__}: {len(self.origins)} origin(s)"]
        width = max(len(o.name) for o in self.origins)
        for origin in self.origins:
            lines.append(
                f"  {origin.name:<{width}}  {self.url(origin):<24}  {', '.join(origin.serves())}"
                f"  | CORS {origin.switch.describe()}"
            )
        if not is_loopback(self.host):
            lines.append(
                f"  warning: bound to {self.host}: other machines on your network can reach these "
                "origins. Use --host 127.0.0.1 to keep them local."
            )
        lines.append("Press Ctrl-C to stop.")
        return "\n".join(lines)

    def _open_first_page(self) -> None:
        pages = [o for o in self.origins if o.config.static is not None] or self.origins
        webbrowser.open(self.url(pages[0]))


@contextlib.contextmanager
def _signals_stop(
    loop: asyncio.AbstractEventLoop, stop: Callable[[], None]
) -> Generator[None, None, None]:
    handled = (signal.SIGINT, signal.SIGTERM)
    installed = []
    for sig in handled:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def run(config: Config, *, host: str | None = None, open_browser: bool = False) -> None:
    """Serve ``config`` until Ctrl-C or SIGTERM; raise DevserveError for user errors."""
    runner = Runner(config=config, host=host or config.devserve.host, open_browser=open_browser)
    try:
        asyncio.run(runner.serve())
    except KeyboardInterrupt:  # pragma: no cover - only when no signal handler could be installed
        sys.exit(0)
