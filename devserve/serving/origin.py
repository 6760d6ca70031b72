"""Build one origin's ASGI app: mock layers, static files, CORS, delay, Host guard, request log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp

from devserve.config import Origin, Settings
from devserve.config.live import DEFAULT_MESSAGE_BYTES, LARGEST_MESSAGE_BYTES
from devserve.config.proxy import spec_name
from devserve.connections import Connections
from devserve.cors.annotate import VerdictReporter
from devserve.cors.guard import CrossSiteGuard, WriteGuard
from devserve.cors.middleware import CorsMiddleware
from devserve.cors.origins import LocalOrigins
from devserve.cors.policy import CorsSwitch, resolve
from devserve.instance import switch_on_advice
from devserve.live.reload import ReloadHub, ReservedEndpoints
from devserve.mocks.limits import Limits
from devserve.records import Observer, SocketObserver
from devserve.serving.answering import Answering, Report, answering
from devserve.serving.bodylimit import BodyLimit
from devserve.serving.fastpath import FastPath
from devserve.serving.hosts import HostGuard
from devserve.serving.layers import Delay, ErrorResponses
from devserve.serving.requestlog import RequestLog
from devserve.serving.stopping import AnswerWhenStopping, Stopping
from devserve.serving.upgrade import NoWebSockets
from devserve.sockets.layer import MockSockets
from devserve.sockets.session import Place
from devserve.state import CorsState, OriginState

if TYPE_CHECKING:
    from devserve.mocks.resources.routesfile import RoutesFile
    from devserve.mocks.resources.store import Store
    from devserve.proxy.app import ProxyApp

@dataclass
class OriginApp:
    """An origin ready to serve: its app plus the switch that controls its CORS at runtime."""

    name: str
    config: Origin
    switch: CorsSwitch
    app: ASGIApp
    resources: Store | None = None
    restart_sequences: Callable[[], None] = field(default=lambda: None)
    proxy: ProxyApp | None = None
    resources_routes: RoutesFile | None = None
    # Its open event streams and sockets: ended when it stops or a config change rebuilds it.
    connections: Connections = field(default_factory=Connections)
    sockets: MockSockets | None = None

    async def refresh_files(self) -> None:
        """Read the resource file and the routes file again if they changed on disk (an edit
        that breaks one is reported now, not at the next request)."""
        if self.resources is not None:
            await self.resources.refresh()
        if self.resources_routes is not None:
            await self.resources_routes.refresh()

    def file_error(self, key: str) -> str | None:
        """Why the file of ``key`` (``resources`` or ``resources_routes``) is not in use now."""
        held = self.resources if key == "resources" else self.resources_routes
        return held.error if held is not None else None

    async def reset(self) -> dict[str, Any]:
        """Restore mock state: response sequences restart, resources get their original data.
        Returns what was reset, as the control API answers it."""
        self.restart_sequences()
        answer: dict[str, Any] = {"name": self.name, "resources": None, "reset": {}}
        if self.resources is not None:
            answer["reset"] = await self.resources.reset()
            answer["resources"] = str(self.resources.path)
        return answer

    @property
    def largest_message(self) -> int:
        """The largest WebSocket message it may be sent: a proxy's, or its sockets' limit."""
        limits = [DEFAULT_MESSAGE_BYTES, *(s.max_message_bytes for s in self.config.sockets)]
        return LARGEST_MESSAGE_BYTES if self.proxy is not None else max(limits)

    def state(self, url: str, port: int) -> OriginState:
        """This origin as everyone shows it, served at ``url`` on ``port`` (the port bound)."""
        switch = self.switch
        active, configured = switch.active, switch.configured
        return OriginState(
            name=self.name,
            url=url,
            port=port,
            cors=CorsState(
                enabled=switch.enabled,
                mode=active.mode if active else "off",
                configured=configured.mode if configured else "off",
                describe=switch.describe(),
            ),
            serves=tuple(self.serves()),
        )

    def serves(self) -> list[str]:
        """What this origin serves, in words, for the banner and the status output."""
        parts = []
        if self.config.routes:
            count = len(self.config.routes)
            parts.append(f"{count} route{'s' if count != 1 else ''}")
        if self.config.sockets:
            parts.append(f"sockets {', '.join(s.path for s in self.config.sockets)}")
        if self.config.mocks is not None:
            parts.append(f"mocks {self.config.mocks}")
        if self.config.resources is not None:
            config = self.config
            mode = ", read-only" if config.read_only else "" if config.persist else ", in memory"
            prefix = f" at {config.resources_prefix}" if config.resources_prefix else ""
            routes = f", routes {config.resources_routes}" if config.resources_routes else ""
            parts.append(f"resources {config.resources}{prefix}{mode}{routes}")
        if self.config.static is not None:
            parts.append(f"static {self.config.static}{' (spa)' if self.config.spa else ''}")
        if self.config.openapi is not None:
            parts.append(f"openapi {spec_name(self.config.openapi)}")
        if self.proxy is not None:
            parts.append(self.proxy.describe())
        return parts or ["nothing (404 for every path)"]


def build_origin(
    name: str,
    config: Origin,
    settings: Settings,
    *,
    hub: ReloadHub | None = None,
    observer: Observer | None = None,
    socket_observer: SocketObserver | None = None,
    report: Report | None = None,
    switch_on: str | None = None,
    offline: bool = False,
    host: str | None = None,
    stopping: Stopping | None = None,
) -> OriginApp:
    """Assemble the origin: the layers that answer, inside the layers every request passes.

    With a ``hub``, pages get the live-reload script and the origin answers ``/__devserve/``.
    ``report`` hears about a resource or routes file that became invalid: its key
    (``resources``, ``resources_routes``) and why (None once it is valid again).
    ``socket_observer`` hears every frame and close of the origin's mock sockets.
    ``host`` is the address the origin is bound to (``--host``; default ``settings.host``):
    pages served from it count as local for ``cors = "on"``. With ``stopping``, requests
    still in flight when devserve stops get a 503 in time.
    """
    connections = Connections()  # its open streams and sockets, mocked, replayed or proxied
    # Where its mock sockets (configured, socket files, replayed recordings) are reported.
    place = Place(name, "", "", connections, socket_observer, Limits.of(settings))
    answers = answering(
        name, config, settings, hub=hub, report=report, offline=offline, place=place
    )
    local = LocalOrigins.for_server(
        bound_host=settings.host if host is None else host, allowed_hosts=settings.allowed_hosts
    )
    switch = CorsSwitch(resolve(config.cors, local=local), local=local)
    app = _around(answers, name, config, settings, switch, stopping=stopping)
    app = VerdictReporter(
        app, name, switch, switch_on=switch_on or switch_on_advice(name, None, settings)
    )
    if config.delay_ms:
        app = Delay(app, config.delay_ms, stopping)
    if answers.proxy is None and answers.sockets is None and answers.folder is None:
        app = NoWebSockets(app, name)  # nothing here speaks WebSocket: refuse at once
    app = log = RequestLog(app, name, observer)
    if hub is not None:
        # Outside CORS and the request log: the reserved prefix is devserve's, not the origin's.
        app = ReservedEndpoints(app, hub=hub, origin=name)
    app = _fast(HostGuard(app, settings.allowed_hosts), log, answers, config, switch, stopping)
    return OriginApp(
        name=name,
        config=config,
        switch=switch,
        app=app,
        resources=answers.store,
        restart_sequences=answers.restart_sequences,
        proxy=answers.proxy,
        resources_routes=answers.routes_file,
        connections=connections,
        sockets=answers.sockets,
    )


def _fast(
    app: ASGIApp,
    log: RequestLog,
    answers: Answering,
    config: Origin,
    switch: CorsSwitch,
    stopping: Stopping | None,
) -> ASGIApp:
    """In front of everything, the answers an identical request gets again without running
    the layers (serving/fastpath.py). None with ``delay_ms`` (a replay would not wait) or an
    OpenAPI spec (it checks answers); files only where no resources or mock folder may answer
    their paths first."""
    if config.delay_ms or config.openapi is not None:
        return app
    files = answers.store is None and answers.folder is None
    return FastPath(app, switch=switch, log=log, stopping=stopping, files=files)


def _around(
    answers: Answering,
    name: str,
    config: Origin,
    settings: Settings,
    switch: CorsSwitch,
    *,
    stopping: Stopping | None,
) -> ASGIApp:
    """The layers inside CORS, so a page can read their answers (a 413 and its reason, a
    crash's 500, the 503 of a stop, the guard's 403), then CORS itself."""
    hint = "raise max_body_bytes in [devserve] of devserve.toml if it is meant to work"
    app: ASGIApp = BodyLimit(answers.app, settings.max_body_bytes, hint=hint)
    app = ErrorResponses(app, name)
    if stopping is not None:
        app = AnswerWhenStopping(app, stopping)
    # One decision per request: for a mock socket's path, the socket's own allow_origins.
    doors = answers.sockets.door if answers.sockets is not None else None
    app = CrossSiteGuard(app, WriteGuard(name, switch, config.allow_writes_from, doors))
    # The verdict (outside, in build_origin) judges exactly the headers the browser gets.
    return CorsMiddleware(app, switch)
