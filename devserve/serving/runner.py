"""The process: one uvicorn.Server per origin on one event loop, from start-up to shutdown.

Its phases are named as in uvicorn's Server: ``startup`` (every origin and the dashboard listen),
``main_loop`` (serve, apply config changes as planned by ``serve.reconfigure``) and ``shutdown``
(graceful on the first Ctrl-C, immediate on the second).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import ssl
import webbrowser
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devserve.config import Config, load_config
from devserve.control.server import build_control_app
from devserve.control.state import OriginState
from devserve.errors import DevserveError, UnknownOriginError
from devserve.instance import dashboard_port_advice
from devserve.live.broadcast import Broadcast
from devserve.live.events import Event
from devserve.live.watcher import Plan as Changes
from devserve.live.watcher import watch
from devserve.origins import http_url, site_url
from devserve.serving import reconfigure
from devserve.serving.banner import banner
from devserve.serving.binding import bind, dashboard_bind_host
from devserve.serving.listener import Listener, Served, quiet_cancellation
from devserve.serving.origin import OriginApp, build_origin
from devserve.serving.requestlog import RequestRecord
from devserve.urls import Origin

if TYPE_CHECKING:
    from devserve.tls.serving import SiteTLS

log = logging.getLogger("devserve")


@dataclass
class Runner:
    """Serves every origin of a config until told to stop, applying config changes in place."""

    config: Config
    host: str
    config_path: Path | None = None
    watch: bool = True
    open_browser: bool = False
    offline: bool = False  # proxies answer from their recordings only (run --offline)
    echo: Callable[[str], None] = print
    served: dict[str, Served] = field(default_factory=dict)
    control: Listener | None = None
    control_note: str = "off (dashboard_port = false)"
    config_error: str | None = None
    resource_errors: dict[str, str] = field(default_factory=dict)
    broadcast: Broadcast = field(init=False)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _watcher: asyncio.Task[None] | None = None
    # Called with every request record (the embedding API's ``running.requests``).
    observers: list[Callable[[RequestRecord], None]] = field(default_factory=list)
    _tls: SiteTLS | None = None  # made when the first https origin starts

    def __post_init__(self) -> None:
        self.broadcast = Broadcast(live_reload=self.live_reload)

    @property
    def live_reload(self) -> bool:
        return self.watch and self.config.devserve.live_reload

    def url(self, origin: OriginApp, port: int) -> str:
        """An origin's URL: its name and scheme from its config, the port it really got."""
        return site_url(self.host, port, name=origin.config.host, https=origin.config.https)

    def _tls_context(self, name: str, config: Config) -> ssl.SSLContext | None:
        """An https origin's TLS context (devserve.tls); None for plain http."""
        if not config.origins[name].https:
            return None
        if self._tls is None:
            from devserve.tls.serving import SiteTLS  # cryptography: only for https origins

            self._tls = SiteTLS()
        return self._tls.context(config.origins[name], config)

    # ---- phases ---------------------------------------------------------------------------

    async def serve(self, *, signals: bool = True) -> None:
        """Bind every port (one taken port: nothing starts, exit 3), then serve until stopped.

        With ``signals`` (the CLI) Ctrl-C and SIGTERM stop it; an embedding caller owns them.
        """
        sockets = self._bind_all(list(self.config.origins), self.config)
        handling = _signals_stop if signals else _no_signals
        with handling(asyncio.get_running_loop(), self.stop):
            try:
                await self.startup(sockets)
                await self.main_loop()
            finally:
                await self.shutdown()
                for sock in sockets.values():
                    sock.close()

    async def startup(self, sockets: dict[str, socket.socket]) -> None:
        # Watch before the ports open, so no edit made right after start-up is missed.
        if self.watch:
            self._watcher = asyncio.create_task(
                watch(lambda: (self.config, self.config_path), self._changed, stop=self._stopping)
            )
            await asyncio.sleep(0)
        for name, sock in sockets.items():
            tls = self._tls_context(name, self.config)
            self.served[name] = await Served.start(self._build(name, self.config), sock, tls)
        await self._start_control()
        self.echo(self.banner())
        if self._tls is not None:
            self.broadcast.page_notices(self._tls.page_notices(self.origins_state()))
        if self.open_browser:
            self._open_first_page()
        self._ready.set()

    async def wait_ready(self) -> None:
        """Return once every origin (and the dashboard) listens."""
        await self._ready.wait()

    async def main_loop(self) -> None:
        """Everything happens in the servers' and the watcher's tasks until a stop is asked."""
        await self._stopping.wait()

    async def shutdown(self) -> None:
        """Close every event stream, let in-flight requests finish (up to the graceful timeout,
        or not at all after a second Ctrl-C), and free every port."""
        self._stopping.set()
        self._ready.set()  # a change seen during start-up is waiting for it: let it see the stop
        self.broadcast.close()
        if self._watcher is not None:
            await self._watcher
        await asyncio.gather(*(listener.stop() for listener in self._listeners()))

    def stop(self) -> None:
        """First call (Ctrl-C, SIGTERM): graceful shutdown. A second call: drop connections now."""
        again = self._stopping.is_set()
        self._stopping.set()
        for listener in self._listeners():
            listener.exit(force=again)

    def _listeners(self) -> list[Listener]:
        listeners = [served.listener for served in self.served.values()]
        return listeners + ([self.control] if self.control else [])

    # ---- origins and the dashboard --------------------------------------------------------

    def _build(self, name: str, config: Config) -> OriginApp:
        return build_origin(
            name,
            config.origins[name],
            config.devserve,
            hub=self.broadcast.pages if self.live_reload else None,
            observer=self._observe,
            report=lambda error: self._report_resources(name, error),
            config_path=self.config_path,
            offline=self.offline,
            host=self.host,
        )

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

    async def _start_control(self) -> None:
        settings = self.config.devserve
        if settings.dashboard_port is False:
            self.control_note = "off (dashboard_port = false)"
            return
        host = dashboard_bind_host(settings.dashboard_host, self.host)
        app = build_control_app(
            self, self.broadcast.dashboard, allowed_hosts=settings.allowed_hosts
        )
        try:
            sock = bind("dashboard", host, settings.dashboard_port)
            self.control = await Listener.start(app, sock, "dashboard")
        except DevserveError:  # taken at bind, or at listen when another devserve started with us
            advice = dashboard_port_advice(self.config_path)
            self.control_note = (
                f"not started: port {settings.dashboard_port} is taken (another devserve?); "
                f"{advice}"
            )
            log.warning("dashboard: %s", self.control_note)
            return
        self.control_note = http_url(host, self.control.port)

    async def _stop_control(self) -> None:
        if self.control is not None:
            self.broadcast.end_dashboard()
            await self.control.stop()
            self.control = None

    # ---- changes --------------------------------------------------------------------------

    async def _changed(self, changes: Changes) -> None:
        await self._ready.wait()  # changes seen during start-up wait for it to finish
        if self._stopping.is_set():
            return
        for name, kind in changes.pages.items():
            self.broadcast.pages_changed(name, kind)
        for name in changes.resources:
            store = self.served[name].origin.resources if name in self.served else None
            if store is not None:
                await store.refresh()  # an edit that breaks the file is reported now
        if changes.config_changed:
            await self.reload_config()

    async def reload_config(self) -> None:
        """Apply the config file again; an invalid one is reported and the old one keeps serving."""
        assert self.config_path is not None
        try:
            new = load_config(self.config_path)
            await self.apply(new)
        except DevserveError as exc:
            self.config_error = exc.message
            self._show_errors()
            log.error("config error, still serving the last good config:\n%s", _indent(exc.message))
            return
        self.config_error = None
        for served in self.served.values():
            served.origin.restart_sequences()  # mock sequences start over with a new config
        # Rebuilt origins read their resource file afresh: keep only errors still standing.
        self.resource_errors = {
            name: error
            for name, error in self.resource_errors.items()
            if name in self.served
            and (store := self.served[name].origin.resources) is not None
            and store.error is not None
        }
        self._show_errors()
        self.broadcast.origins_changed(self.origins_state())

    def _report_resources(self, name: str, error: str | None) -> None:
        """A resource file became invalid (its last good data keeps serving) or valid again."""
        if error is None:
            self.resource_errors.pop(name, None)
        else:
            self.resource_errors[name] = f"origins.{name}.resources: {error}"
        self._show_errors()

    def _show_errors(self) -> None:
        # Shown as a config error (terminal, dashboard, page overlay), one problem per line.
        problems = [self.config_error, *self.resource_errors.values()]
        self.broadcast.config_checked("\n".join(p for p in problems if p) or None)

    async def apply(self, new: Config) -> None:
        """Carry out the plan from the running config to ``new``: touch only what changed."""
        plan = reconfigure.plan(self.config, new, running=list(self.served))
        if plan.host_changed:
            log.warning("host changed in the config: restart devserve to bind the new host")
        for name in plan.tls_changed:
            log.warning(
                "origin '%s': https or its name changed: restart devserve to apply it", name
            )
        # Bind the new ports before changing anything, so a taken port changes nothing.
        sockets = self._bind_all(list(plan.bind), new)
        self.config = new
        self.broadcast.live_reload = self.live_reload
        switched = {name: self.served[name].origin.switch.enabled for name in plan.restart}
        for name in plan.stop + plan.restart:
            # Its pages' streams end first: the server would otherwise wait for them to hang up.
            self.broadcast.end_pages(name)
            await self.served.pop(name).listener.stop()
        for name in plan.bind:
            origin = self._build(name, new)
            if name in plan.keep_switch:
                origin.switch.enabled = switched[name]
            self.served[name] = await Served.start(
                origin, sockets[name], self._tls_context(name, new)
            )
        for name in plan.swap:
            served = self.served[name]
            origin = self._build(name, new)
            if name in plan.keep_switch:
                origin.switch.enabled = served.origin.switch.enabled
            served.swap(origin)
            self.broadcast.reload_pages(name)
        for name in plan.cors_only:
            self.served[name].origin.switch.reconfigure(new.origins[name].cors)
        if plan.dashboard_moved:
            await self._stop_control()
            await self._start_control()
            log.info("dashboard: %s", self.control_note)
        summary = plan.summary()
        log.info("config reloaded%s", f" ({summary})" if summary else "")
        if plan.opens_ports:
            self.echo(self.banner())

    # ---- what others see --------------------------------------------------------------------

    def _observe(self, record: RequestRecord) -> None:
        self.broadcast.request(record, self._page_of)
        for observer in self.observers:
            observer(record)

    def _page_of(self, record: RequestRecord) -> tuple[str, str] | None:
        """The origin whose page sent a request (by the port of its ``Origin``), and the URL
        it asked for; None when devserve does not serve that page (or that origin stopped)."""
        source = Origin.of_url(record.source) if record.source else None
        port = None if source is None else source.port
        page = next((n for n, s in self.served.items() if s.listener.port == port), None)
        if page is None or record.origin not in self.served:
            return None
        return page, self.origin_url(record.origin) + record.path

    def origin_url(self, name: str) -> str:
        """The URL of a running origin, with the port it really got (for ``port = 0``)."""
        if name not in self.served:
            raise UnknownOriginError(name, list(self.served))
        served = self.served[name]
        return self.url(served.origin, served.listener.port)

    def origins_state(self) -> list[OriginState]:
        return [self._state(served.origin) for served in self.served.values()]

    def _state(self, origin: OriginApp) -> OriginState:
        port = self.served[origin.name].listener.port
        return OriginState.of(origin, self.url(origin, port), port)

    async def reset(self) -> None:
        """Restore every origin's mock state (sequences, resources)."""
        for served in self.served.values():
            await served.origin.reset()

    def set_cors(self, name: str, enabled: bool) -> OriginState:
        """Switch one origin's CORS; its very next response follows."""
        if name not in self.served:
            raise UnknownOriginError(name, list(self.served))
        origin = self.served[name].origin
        origin.switch.enabled = enabled
        state = "on" if enabled else "off"
        log.info("CORS of '%s' switched %s: %s", name, state, origin.switch.describe())
        self.broadcast.origins_changed(self.origins_state())
        return self._state(origin)

    async def save_mock(self, name: str, capture: int) -> Path:
        """Write a proxied response the dashboard points at as a mock file of its origin."""
        if name not in self.served:
            raise UnknownOriginError(name, list(self.served))
        proxy = self.served[name].origin.proxy
        if proxy is None:
            raise DevserveError(f"origin '{name}' has no proxy, so nothing to save")
        path = await proxy.save_capture(capture)
        log.info("saved a proxied response of '%s' as %s", name, path)
        return path

    async def reset_origin(self, name: str) -> dict[str, Any]:
        """Restart an origin's mock sequences; restore its resource file's original data."""
        if name not in self.served:
            raise UnknownOriginError(name, list(self.served))
        origin = self.served[name].origin
        origin.restart_sequences()
        answer: dict[str, Any] = {"name": name, "resources": None, "reset": {}}
        if origin.resources is not None:
            answer["reset"] = await origin.resources.reset()
            answer["resources"] = str(origin.resources.path)
        log.info("mocks of '%s' reset: sequences restart, resources get their original data", name)
        return answer

    def control_events(self) -> list[Event]:
        return self.broadcast.dashboard_greeting(self.origins_state())

    def banner(self) -> str:
        return banner(
            self.origins_state(),
            dashboard=self.control_note,
            host=self.host,
            watch=self.watch,
            live_reload=self.live_reload,
            notes=self._tls.notes() if self._tls is not None else [],
        )

    def _open_first_page(self) -> None:
        origins = [served.origin for served in self.served.values()]
        pages = [o for o in origins if o.config.static is not None] or origins
        webbrowser.open(self.origin_url(pages[0].name))


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


@contextlib.contextmanager
def _no_signals(
    loop: asyncio.AbstractEventLoop, stop: Callable[[], None]
) -> Generator[None, None, None]:
    yield


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
    echo: Callable[[str], None] = print,
    offline: bool = False,
) -> None:
    """Serve ``config`` until Ctrl-C or SIGTERM; raise DevserveError for user errors."""

    async def main() -> None:
        runner = Runner(
            config=config,
            host=host or config.devserve.host,
            config_path=config_path,
            watch=watch,
            open_browser=open_browser,
            echo=echo,
            offline=offline,
        )
        await runner.serve()

    # Request tasks a forced shutdown leaves behind are cancelled as asyncio.run ends.
    with quiet_cancellation(), asyncio.Runner(loop_factory=event_loop_factory()) as loop:
        loop.run(main())


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (uvicorn[standard] brings it, except on Windows): every
    origin shares one loop, and uvloop's is about twice as fast as asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
