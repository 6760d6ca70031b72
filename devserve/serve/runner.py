"""The process: one uvicorn.Server per origin on one event loop, config diffs, signals, banner."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
import webbrowser
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from watchfiles import awatch

from devserve import __version__
from devserve.config import Config, load_config
from devserve.control.server import CHANNEL, build_control_app
from devserve.errors import DevserveError
from devserve.live.events import Event, Hub
from devserve.live.reload import ReloadHub
from devserve.live.watcher import DevFilter, plan, watch_roots
from devserve.serve.binding import bind, is_loopback, url_host
from devserve.serve.origin import OriginApp, build_origin
from devserve.serve.requestlog import RequestRecord

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
class Launched:
    """A uvicorn server running on a socket it owns."""

    server: _Server
    sock: socket.socket
    task: asyncio.Task[None]


@dataclass
class Running(Launched):
    """One origin being served: its current app behind a swappable entry point."""

    origin: OriginApp | None = None
    entry: Swappable | None = None

    @property
    def app(self) -> OriginApp:
        assert self.origin is not None
        return self.origin


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
    control_hub: Hub = field(default_factory=Hub)
    running: dict[str, Running] = field(default_factory=dict)
    control: Launched | None = None
    control_note: str = "off (dashboard_port = false)"
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def live_reload(self) -> bool:
        return self.watch and self.config.devserve.live_reload

    def url(self, port: int) -> str:
        return f"http://{url_host(self.host)}:{port}"

    def stop(self) -> None:
        """First call: graceful shutdown. A second call (Ctrl-C again): drop connections now."""
        again = self._stopping.is_set()
        self._stopping.set()
        self.hub.close()
        self.control_hub.close()
        for launched in self._launched():
            launched.server.force_exit = again
            launched.server.should_exit = True

    def _launched(self) -> list[Launched]:
        return [*self.running.values(), *([self.control] if self.control else [])]

    def _build(self, name: str, config: Config) -> OriginApp:
        return build_origin(
            name,
            config.origins[name],
            config.devserve,
            hub=self.hub if self.live_reload else None,
            observer=self._observe,
        )

    async def _launch(self, app: ASGIApp, sock: socket.socket, name: str) -> Launched:
        server = _Server(
            uvicorn.Config(
                app,
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
            raise DevserveError(f"'{name}' could not start")
        return Launched(server=server, sock=sock, task=task)

    async def _start(self, origin: OriginApp, sock: socket.socket) -> Running:
        entry = Swappable(origin.app)
        launched = await self._launch(entry, sock, origin.name)
        return Running(
            server=launched.server, sock=sock, task=launched.task, origin=origin, entry=entry
        )

    async def _start_control(self) -> None:
        port = self.config.devserve.dashboard_port
        if port is False:
            self.control_note = "off (dashboard_port = false)"
            return
        try:
            sock = bind("dashboard", self.host, port)
        except DevserveError:
            self.control_note = (
                f"not started: port {port} is taken (another devserve?); "
                "set dashboard_port in [devserve] to use another"
            )
            log.warning("dashboard: %s", self.control_note)
            return
        app = build_control_app(
            self, self.control_hub, allowed_hosts=self.config.devserve.allowed_hosts
        )
        self.control = await self._launch(app, sock, "dashboard")
        self.control_note = self.url(port)

    async def _stop(self, entry: Launched) -> None:
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
            # Watch before the ports open, so no edit made right after start-up is missed.
            watcher = asyncio.create_task(self._watch()) if self.watch else None
            await asyncio.sleep(0)
            try:
                for name in names:
                    self.running[name] = await self._start(
                        self._build(name, self.config), sockets[name]
                    )
                await self._start_control()
                self.echo(self.banner())
                if self.open_browser:
                    self._open_first_page()
                self._ready.set()
                await self._stopping.wait()
            finally:
                self.stop()
                self._ready.set()
                if watcher is not None:
                    await watcher
                await asyncio.gather(*(self._stop(e) for e in self._launched()))
                for sock in sockets.values():
                    sock.close()

    async def _watch(self) -> None:
        while not self._stopping.is_set():
            roots = watch_roots(self.config, self.config_path)
            async for changes in awatch(
                *roots, watch_filter=DevFilter(), stop_event=self._stopping, step=50
            ):
                await self._ready.wait()  # changes seen during start-up wait for it to finish
                if self._stopping.is_set():
                    return
                todo = plan(changes, self.config, self.config_path)
                for name, kind in todo.pages.items():
                    self._reload_pages(name, kind)
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
            self._report_config(exc.message)
            log.error("config error, still serving the last good config:\n%s", _indent(exc.message))
            return
        self._report_config(None)
        self._publish_origins()

    def _report_config(self, error: str | None) -> None:
        self.hub.report_config(error)
        self.control_hub.publish(CHANNEL, _json_event("config", {"error": error}))

    def _reload_pages(self, name: str, kind: str) -> None:
        self.hub.publish(name, Event(kind))
        self.control_hub.publish(CHANNEL, _json_event("reload", {"origin": name, "kind": kind}))

    def _observe(self, record: RequestRecord) -> None:
        if self.control_hub.listeners(CHANNEL):
            self.control_hub.publish(CHANNEL, _json_event("request", record.as_json()))
        cors = record.cors
        trouble = cors is not None and (cors.verdict == "blocked" or bool(cors.cookies_lost))
        if trouble and self.live_reload:
            self._notify_page(record)

    def _notify_page(self, record: RequestRecord) -> None:
        """Tell the pages of the origin a blocked request (or a lost cookie) came from, if devserve
        serves it."""
        page = _served_by(record.source, self.running)
        serving = self.running.get(record.origin)
        if page is None or serving is None or not self.hub.listeners(page):
            return
        cors = record.cors
        assert cors is not None
        data = {
            "origin": record.origin,
            "method": record.method,
            "url": self.url(serving.app.config.port) + record.path,
            "status": record.status,
            "blocked": cors.verdict == "blocked",
            "reason": cors.reason,
            "note": cors.note,
            "cookies": list(cors.cookies_lost),
        }
        self.hub.publish(page, _json_event("cors-blocked", data))

    def _publish_origins(self) -> None:
        self.control_hub.publish(CHANNEL, _json_event("origins", self.origins_state()))

    # The control server's view of this runner (devserve.control.Controlled).

    def origins_state(self) -> list[dict[str, Any]]:
        return [self._origin_state(entry.app) for entry in self.running.values()]

    def _origin_state(self, origin: OriginApp) -> dict[str, Any]:
        switch = origin.switch
        active, configured = switch.active, switch.configured
        return {
            "name": origin.name,
            "url": self.url(origin.config.port),
            "port": origin.config.port,
            "cors": {
                "enabled": switch.enabled,
                "mode": active.mode if active else "off",
                "configured": configured.mode if configured else "off",
                "describe": switch.describe(),
            },
            "serves": origin.serves(),
        }

    def set_cors(self, name: str, enabled: bool) -> dict[str, Any]:
        """Switch one origin's CORS; its very next response follows. KeyError if unknown."""
        origin = self.running[name].app
        origin.switch.enabled = enabled
        state = "on" if enabled else "off"
        log.info("CORS of '%s' switched %s: %s", name, state, origin.switch.describe())
        self._publish_origins()
        return self._origin_state(origin)

    def control_events(self) -> list[Event]:
        return [
            _json_event("origins", self.origins_state()),
            _json_event("config", {"error": self.hub.config_error}),
        ]

    async def apply(self, new: Config) -> None:
        """Diff ``new`` against the running config; touch only what changed."""
        old = self.config
        dashboard_moved = new.devserve.dashboard_port != old.devserve.dashboard_port
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
                entry.app.switch.reconfigure(after.cors)  # a CORS change needs no rebuild
            else:
                rebuilt = self._build(name, new)
                if before.cors == after.cors:
                    rebuilt.switch.enabled = entry.app.switch.enabled  # keep a runtime toggle
                entry.origin = rebuilt
                assert entry.entry is not None
                entry.entry.app = rebuilt.app
                self.hub.publish(name, Event("reload"))
        if dashboard_moved:
            if self.control is not None:
                await self._stop(self.control)
                self.control = None
            await self._start_control()
            log.info("dashboard: %s", self.control_note)
        changes = [f"+{n}" for n in added] + [f"-{n}" for n in removed] + [f"~{n}" for n in moved]
        log.info("config reloaded%s", f" ({' '.join(changes)})" if changes else "")
        if added or moved:
            self.echo(self.banner())

    def banner(self) -> str:
        origins = [entry.app for entry in self.running.values()]
        lines = [f"devserve {__version__}: {len(origins)} origin(s)"]
        width = max((len(o.name) for o in origins), default=0)
        for origin in origins:
            lines.append(
                f"  {origin.name:<{width}}  {self.url(origin.config.port):<24}  "
                f"{', '.join(origin.serves())}  | CORS {origin.switch.describe()}"
            )
        lines.append(f"  dashboard: {self.control_note}")
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
        origins = [entry.app for entry in self.running.values()]
        pages = [o for o in origins if o.config.static is not None] or origins
        webbrowser.open(self.url(pages[0].config.port))


def _served_by(source: str | None, running: dict[str, Running]) -> str | None:
    """The name of the running origin whose port a request's ``Origin`` points at, if any."""
    if not source or source == "null":
        return None
    try:
        parsed = urlsplit(source)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError:
        return None
    for name, entry in running.items():
        if entry.origin is not None and entry.origin.config.port == port:
            return name
    return None


def _json_event(kind: str, data: object) -> Event:
    return Event(kind, json.dumps(data, separators=(",", ":")))


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
