"""The process: one uvicorn.Server per origin on one event loop, from start-up to shutdown.

Its phases are named as in uvicorn's Server: ``startup`` (every origin and the dashboard listen),
``main_loop`` (serve; the watcher's changes go through ``serving.executor``) and ``shutdown``
(graceful on the first Ctrl-C, immediate on the second). What is served is the registry's
(``serving.registry``), the dashboard's own server is ``serving.dashboard``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import socket
import webbrowser
from collections.abc import Callable, Generator
from pathlib import Path

import anyio.to_thread

from devserve.config import Config
from devserve.errors import DevserveError
from devserve.live.broadcast import Broadcast
from devserve.live.watcher import Plan as Changes
from devserve.live.watcher import watch
from devserve.mocks.openapi.fetched import settle as settle_specs
from devserve.mocks.pool import POOL
from devserve.project import load_project
from devserve.runnotes import clear as clear_note
from devserve.serving.banner import banner
from devserve.serving.dashboard import Dashboard
from devserve.serving.executor import PlanExecutor, bind_all
from devserve.serving.listener import Listener, quiet_cancellation
from devserve.serving.problems import Problems
from devserve.serving.registry import Registry
from devserve.serving.stopping import Stopping

log = logging.getLogger("devserve")


class Runner:
    """Serves every origin of a config until told to stop, applying config changes in place.

    ``on_banner`` hears the start-up banner (and a new one when a change opens a port); the
    CLI prints it, an embedding caller may ignore it: library code never prints.
    """

    def __init__(
        self,
        config: Config,
        *,
        host: str,
        config_path: Path | None = None,
        watch: bool = True,
        open_browser: bool = False,
        offline: bool = False,
        on_banner: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.watch = watch
        self.open_browser = open_browser
        self.on_banner = on_banner
        self.broadcast = Broadcast(live_reload=self.live_reload)
        self.problems = Problems(show=self.broadcast.config_checked)
        # Requests in flight at a stop: time to finish, then a 503 (serving/stopping.py).
        self.requests_stopping = Stopping()
        self.registry = Registry(
            host=host,
            broadcast=self.broadcast,
            stopping=self.requests_stopping,
            config_path=config_path,
            offline=offline,
            live_reload=self.live_reload,
            report_resources=self.problems.resources,
        )
        self.dashboard = Dashboard(self.registry, self.broadcast, config_path)
        self.executor = PlanExecutor(
            self.registry, self.dashboard, adopt=self._adopt, ports_opened=self._announce
        )
        self._stopping = asyncio.Event()
        self._ready = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None
        self._reloading = asyncio.Lock()
        self._reloads = 0  # reloads asked for so far: the last one is the one to apply

    @property
    def live_reload(self) -> bool:
        return self.watch and self.config.devserve.live_reload

    # ---- phases ---------------------------------------------------------------------------

    async def serve(self, *, signals: bool = True) -> None:
        """Bind every port (one taken port: nothing starts, exit 3), then serve until stopped.

        With ``signals`` (the CLI) Ctrl-C and SIGTERM stop it; an embedding caller owns them.
        """
        sockets = bind_all(list(self.config.origins), self.config, self.registry.host)
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
            await self.registry.start(self.registry.build(name, self.config), sock)
        await self.dashboard.start(self.config.devserve, self.registry.host)
        self.broadcast.origins_changed(self.registry.origins_state())
        self._announce()
        if self.registry.tls is not None and self.live_reload:  # pages to tell: is the CA trusted?
            states = self.registry.origins_state()
            self.broadcast.page_notices(self.registry.tls.page_notices(states))
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
        self.requests_stopping.begin()
        self._ready.set()  # a change seen during start-up is waiting for it: let it see the stop
        POOL.stop()  # a render in progress answers now, and no runaway one delays the exit
        if self.config_path is not None:
            clear_note(self.config_path)
        self.broadcast.close()
        self.registry.end_connections()  # mock streams end, mock sockets close with 1001
        if self._watcher is not None:
            await self._watcher
        await asyncio.gather(*(listener.stop() for listener in self._listeners()))

    def stop(self) -> None:
        """First call (Ctrl-C, SIGTERM): graceful shutdown. A second call: drop connections now."""
        again = self._stopping.is_set()
        self._stopping.set()
        if again:
            self.requests_stopping.expire()  # answered now, as far as the time left allows
        else:
            self.requests_stopping.begin()
        # Before the servers see the stop: mock sockets close with 1001 (not uvicorn's 1012),
        # mock event streams end now rather than at the end of the time to finish.
        self.registry.end_connections()
        for listener in self._listeners():
            listener.exit(force=again)

    def _listeners(self) -> list[Listener]:
        dashboard = self.dashboard.listener
        return self.registry.listeners() + ([dashboard] if dashboard else [])

    # ---- changes --------------------------------------------------------------------------

    async def _changed(self, changes: Changes) -> None:
        await self._ready.wait()  # changes seen during start-up wait for it to finish
        if self._stopping.is_set():
            return
        for name, kind in changes.pages.items():
            self.broadcast.pages_changed(name, kind)
        for name in changes.resources:
            served = self.registry.served.get(name)
            if served is not None:
                await served.origin.refresh_files()  # an edit that breaks one is reported now
        if changes.config_changed:
            await self.reload_config()

    async def reload_config(self) -> None:
        """Apply the config file again; an invalid one is reported and the old one keeps serving.

        The file is read and checked in a worker thread (a spec at a URL can take up to
        ``proxy_timeout`` to fetch, a large spec a second to parse) while every origin keeps
        answering. Reloads run one at a time, in order; one overtaken by a newer reload while
        it waited or loaded is dropped, the newer one reading the file as it is now."""
        self._reloads += 1
        ticket = self._reloads
        async with self._reloading:
            if ticket == self._reloads and not self._stopping.is_set():
                await self._reload(lambda: ticket == self._reloads)

    async def _reload(self, newest: Callable[[], bool]) -> None:
        assert self.config_path is not None
        try:
            new = await self._loaded(self.config_path)
        except BaseException as exc:
            settle_specs(valid=False)  # what it fetched is never served
            if not isinstance(exc, DevserveError):
                raise
            if newest():
                self._failed(exc)
            return
        if new is None or not newest():
            settle_specs(valid=False)
            return
        settle_specs(valid=True)  # before the new origins ask for the specs it fetched
        try:
            await self.apply(new)
        except DevserveError as exc:
            self._failed(exc)
            return
        served = self.registry.served
        for each in served.values():
            each.origin.restart_sequences()  # mock sequences start over with a new config
        self.problems.config_applied(
            lambda name, key: name in served and served[name].origin.file_error(key) is not None
        )
        self.broadcast.origins_changed(self.registry.origins_state())

    def _failed(self, exc: DevserveError) -> None:
        self.problems.config_failed(exc.message)
        log.error("config error, still serving the last good config:\n%s", _indent(exc.message))

    async def _loaded(self, path: Path) -> Config | None:
        """The project at ``path``, loaded in a worker thread; None if devserve stops first (the
        thread is left to finish: a fetch ends within its ``proxy_timeout``)."""
        load = asyncio.ensure_future(
            anyio.to_thread.run_sync(
                functools.partial(load_project, path, settled=False), abandon_on_cancel=True
            )
        )
        stopped = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({load, stopped}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            load.cancel()
            raise
        finally:
            stopped.cancel()
        if not load.done():
            load.cancel()
            return None
        return load.result()

    async def apply(self, new: Config) -> None:
        """Carry out the plan from the running config to ``new``: touch only what changed."""
        await self.executor.apply(self.config, new)

    def _adopt(self, new: Config) -> None:
        self.config = new
        self.registry.live_reload = self.broadcast.live_reload = self.live_reload

    # ---- what others see --------------------------------------------------------------------

    def banner(self) -> str:
        return banner(
            self.registry.origins_state(),
            dashboard=self.dashboard.note,
            host=self.registry.host,
            watch=self.watch,
            live_reload=self.live_reload,
            dashboard_host=self.dashboard.host,
            notes=self.registry.tls.notes() if self.registry.tls is not None else [],
        )

    def _announce(self) -> None:
        if self.on_banner is not None:
            self.on_banner(self.banner())

    def _open_first_page(self) -> None:
        origins = [served.origin for served in self.registry.served.values()]
        pages = [o for o in origins if o.config.static is not None] or origins
        webbrowser.open(self.registry.origin_url(pages[0].name))


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
    on_banner: Callable[[str], None] | None = None,
    offline: bool = False,
) -> None:
    """Serve ``config`` until Ctrl-C or SIGTERM; raise DevserveError for user errors."""

    async def main() -> None:
        runner = Runner(
            config,
            host=host or config.devserve.host,
            config_path=config_path,
            watch=watch,
            open_browser=open_browser,
            on_banner=on_banner,
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
