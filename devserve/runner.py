"""The process: one uvicorn.Server per origin on one event loop, config diffs, signals, banner."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import webbrowser
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from watchfiles import awatch

from devserve import __version__
from devserve.binding import bind, is_loopback, url_host
from devserve.config import Config, load_config
from devserve.errors import DevserveError
from devserve.origin import OriginApp, build_origin
from devserve.reload import Event, ReloadHub
from devserve.watcher import DevFilter, plan, watch_roots

log = logging.getLogger("devserve")

# Open event streams and keep-alive connections must not hold Ctrl-C hostage (uvicorn #2943).
GRACEFUL_SHUTDOWN_SECONDS = 2


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to the runner, which owns the loop (uvicorn #1600)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class Swappable:
    """The app uvicorn holds: a config change swaps what is inside without closing the port."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


@dataclass
class Running:
    """One origin being served: its current app, its server and the socket it owns."""

    origin: OriginApp
    entry: Swappable
    server: _Server
    sock: socket.socket
    task: asyncio.Task[None]


@dataclass
class Runner:
    """Serves every origin of a config until told to stop, applying config changes in place."""

    config: Config
    host: str
    config_path: Path | None = None
    watch: bool = True
    open_browser: bool = False
    echo: Callable[[str], None] = print
    hub: ReloadHub = field(default_factory=ReloadHub)
    running: dict[str, Running] = field(default_factory=dict)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def live_reload(self) -> bool:
        return self.watch and self.config.devserve.live_reload

    def url(self, port: int) -> str:
        return f"http://{url_host(self.host)}:{port}"

    def stop(self) -> None:
        """First call: graceful shutdown. A second call (Ctrl-C again): drop connections now."""
        if self._stopping.is_set():
            for entry in self.running.values():
                entry.server.force_exit = True
        self._stopping.set()
        self.hub.close()
        for entry in self.running.values():
            entry.server.should_exit = True

    def _build(self, name: str, config: Config) -> OriginApp:
        return build_origin(
            name,
            config.origins[name],
            config.devserve,
            hub=self.hub if self.live_reload else None,
        )

    async def _start(self, origin: OriginApp, sock: socket.socket) -> Running:
        entry = Swappable(origin.app)
        server = _Server(
            uvicorn.Config(
                entry,
                lifespan="off",
                access_log=False,
                log_config=None,
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
                server_header=False,
            )
        )
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.005)
        if task.done():
            sock.close()
            task.result()  # re-raise what stopped it
            raise DevserveError(f"origin '{origin.name}' could not start")
        return Running(origin=origin, entry=entry, server=server, sock=sock, task=task)

    async def _stop(self, entry: Running) -> None:
        entry.server.should_exit = True
        await entry.task
        entry.sock.close()

    def _bind_all(self, names: list[str], config: Config) -> dict[str, socket.socket]:
        """Bind every port first: one taken port means nothing starts (exit 3)."""
        sockets: dict[str, socket.socket] = {}
        try:
            for name in names:
                sockets[name] = bind(name, self.host, config.origins[name].port)
        except DevserveError:
            for sock in sockets.values():
                sock.close()
            raise
        return sockets

    async def serve(self) -> None:
        names = list(self.config.origins)
        sockets = self._bind_all(names, self.config)
        with _signals_stop(asyncio.get_running_loop(), self.stop):
            try:
                for name in names:
                    self.running[name] = await self._start(
                        self._build(name, self.config), sockets[name]
                    )
                self.echo(self.banner())
                if self.open_browser:
                    self._open_first_page()
                self._ready.set()
                watcher = asyncio.create_task(self._watch()) if self.watch else None
                await self._stopping.wait()
                if watcher is not None:
                    await watcher
            finally:
                self.stop()
                await asyncio.gather(*(self._stop(e) for e in self.running.values()))
                for sock in sockets.values():
                    sock.close()

    async def _watch(self) -> None:
        while not self._stopping.is_set():
            roots = watch_roots(self.config, self.config_path)
            async for changes in awatch(
                *roots, watch_filter=DevFilter(), stop_event=self._stopping, step=50
            ):
                todo = plan(changes, self.config, self.config_path)
                for name, kind in todo.pages.items():
                    self.hub.publish(name, Event(kind))
                if todo.config_changed:
                    await self.reload_config()
                if watch_roots(self.config, self.config_path) != roots:
                    break  # the set of folders changed: watch the new ones

    async def reload_config(self) -> None:
        """Apply the config file again; an invalid one is reported and the old one keeps serving."""
        assert self.config_path is not None
        try:
            new = load_config(self.config_path)
            await self.apply(new)
        except DevserveError as exc:
            self.hub.report_config(exc.message)
            log.error("config error, still serving the last good config:\n%s", _indent(exc.message))
            return
        self.hub.report_config(None)

    async def apply(self, new: Config) -> None:
        """Diff ``new`` against the running config; touch only what changed."""
        old = self.config
        if new.devserve.host != old.devserve.host:
            log.warning("host changed in the config: restart devserve to bind the new host")
        settings_changed = new.devserve != old.devserve
        added = [n for n in new.origins if n not in old.origins]
        removed = [n for n in old.origins if n not in new.origins]
        moved = [
            n
            for n in new.origins
            if n in old.origins and new.origins[n].port != old.origins[n].port
        ]
        # Bind the new ports before changing anything, so a taken port changes nothing.
        sockets = self._bind_all(added + moved, new)
        self.config = new
        for name in removed + moved:
            await self._stop(self.running.pop(name))
        for name in added + moved:
            self.running[name] = await self._start(self._build(name, new), sockets[name])
            if name in moved:
                self.hub.publish(name, Event("reload"))
        for name in new.origins:
            if name in added or name in moved:
                continue
            before, after = old.origins[name], new.origins[name]
            if before == after and not settings_changed:
                continue
            entry = self.running[name]
            if before.model_copy(update={"cors": after.cors}) == after and not settings_changed:
                entry.origin.switch.reconfigure(after.cors)  # a CORS change needs no rebuild
            else:
                rebuilt = self._build(name, new)
                if before.cors == after.cors:
                    rebuilt.switch.enabled = entry.origin.switch.enabled  # keep a runtime toggle
                entry.origin = rebuilt
                entry.entry.app = rebuilt.app
                self.hub.publish(name, Event("reload"))
        changes = [f"+{n}" for n in added] + [f"-{n}" for n in removed] + [f"~{n}" for n in moved]
        log.info("config reloaded%s", f" ({' '.join(changes)})" if changes else "")
        if added or moved:
            self.echo(self.banner())

    def banner(self) -> str:
        origins = [entry.origin for entry in self.running.values()]
        lines = [f"devserve {__version__}: {len(origins)} origin(s)"]
        width = max((len(o.name) for o in origins), default=0)
        for origin in origins:
            lines.append(
                f"  {origin.name:<{width}}  {self.url(origin.config.port):<24}  "
                f"{', '.join(origin.serves())}  | CORS {origin.switch.describe()}"
            )
        if self.watch:
            reload = "live reload on" if self.live_reload else "live reload off"
            lines.append(f"  watching for changes ({reload})")
        if not is_loopback(self.host):
            lines.append(
                f"  warning: bound to {self.host}: other machines on your network can reach these "
                "origins. Use --host 127.0.0.1 to keep them local."
            )
        lines.append("Press Ctrl-C to stop.")
        return "\n".join(lines)

    def _open_first_page(self) -> None:
        origins = [entry.origin for entry in self.running.values()]
        pages = [o for o in origins if o.config.static is not None] or origins
        webbrowser.open(self.url(pages[0].config.port))


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


@contextlib.contextmanager
def _signals_stop(
    loop: asyncio.AbstractEventLoop, stop: Callable[[], None]
) -> Generator[None, None, None]:
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def run(
    config: Config,
    *,
    config_path: Path | None = None,
    host: str | None = None,
    watch: bool = True,
    open_browser: bool = False,
) -> None:
    """Serve ``config`` until Ctrl-C or SIGTERM; raise DevserveError for user errors."""

    async def main() -> None:
        runner = Runner(
            config=config,
            host=host or config.devserve.host,
            config_path=config_path,
            watch=watch,
            open_browser=open_browser,
        )
        await runner.serve()

    asyncio.run(main())
