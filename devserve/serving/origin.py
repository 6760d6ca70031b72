"""Build one origin's ASGI app: mock layers, static files, CORS, delay, Host guard, request log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Scope

from devserve.config import Origin, Settings
from devserve.cors.annotate import VerdictReporter
from devserve.cors.guard import CrossSiteGuard, WriteGuard
from devserve.cors.middleware import CorsMiddleware
from devserve.cors.origins import LocalOrigins
from devserve.cors.policy import CorsSwitch, resolve
from devserve.errors import ConfigError
from devserve.instance import switch_on_advice
from devserve.live.reload import InjectScript, ReloadHub, ReservedEndpoints, inject_html
from devserve.mocks.check import route_warnings
from devserve.mocks.folders import MockFolder
from devserve.mocks.limits import Limits
from devserve.mocks.resources.keys import Keys
from devserve.mocks.resources.router import ResourceApp
from devserve.mocks.resources.routesfile import RoutesFile
from devserve.mocks.resources.store import Store
from devserve.mocks.resources.v1.routes import not_found_v1
from devserve.mocks.resources.v1.writes import normalize
from devserve.mocks.routes import MockRoutes, compile_routes, not_found
from devserve.records import Observer
from devserve.serving.bodylimit import BodyLimit
from devserve.serving.fallthrough import FallThrough
from devserve.serving.hosts import HostGuard
from devserve.serving.layers import Delay, ErrorResponses
from devserve.serving.requestlog import RequestLog
from devserve.serving.static import StaticFiles
from devserve.serving.stopping import AnswerWhenStopping, Stopping
from devserve.serving.upgrade import NoWebSockets
from devserve.state import CorsState, OriginState

if TYPE_CHECKING:
    from devserve.proxy.app import ProxyApp

errors = logging.getLogger("devserve.errors")


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
            parts.append(f"openapi {self.config.openapi.name}")
        if self.proxy is not None:
            parts.append(self.proxy.describe())
        return parts or ["nothing (404 for every path)"]


# Told that a file of the origin (its key: "resources", "resources_routes") became invalid
# (why) or valid again (None).
Report = Callable[[str, str | None], None]


def build_origin(
    name: str,
    config: Origin,
    settings: Settings,
    *,
    hub: ReloadHub | None = None,
    observer: Observer | None = None,
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
    ``host`` is the address the origin is bound to (``--host``; default ``settings.host``):
    pages served from it count as local for ``cors = "on"``. With ``stopping``, requests
    still in flight when devserve stops get a 503 in time.
    """
    answering = _answering(name, config, settings, hub=hub, report=report, offline=offline)
    local = LocalOrigins.for_server(
        bound_host=settings.host if host is None else host, allowed_hosts=settings.allowed_hosts
    )
    switch = CorsSwitch(resolve(config.cors, local=local), local=local)
    app = _around(answering, name, config, settings, switch, stopping=stopping)
    app = VerdictReporter(
        app, name, switch, switch_on=switch_on or switch_on_advice(name, None, settings)
    )
    if config.delay_ms:
        app = Delay(app, config.delay_ms, stopping)
    if answering.proxy is None:  # the one layer that speaks WebSocket; without it, refuse at once
        app = NoWebSockets(app, name)
    app = RequestLog(app, name, observer)
    if hub is not None:
        # Outside CORS and the request log: the reserved prefix is devserve's, not the origin's.
        app = ReservedEndpoints(app, hub=hub, origin=name)
    app = HostGuard(app, settings.allowed_hosts)
    return OriginApp(
        name=name,
        config=config,
        switch=switch,
        app=app,
        resources=answering.store,
        restart_sequences=answering.restart_sequences,
        proxy=answering.proxy,
        resources_routes=answering.routes_file,
    )


@dataclass
class _Answering:
    """The layers that answer requests, and the parts of them the runner reaches into."""

    app: ASGIApp
    routes: MockRoutes
    store: Store | None
    routes_file: RoutesFile | None
    folder: MockFolder | None
    proxy: ProxyApp | None

    def restart_sequences(self) -> None:
        self.routes.reset()
        for replayed in (self.folder, self.proxy.recordings if self.proxy else None):
            if replayed is not None:
                replayed.reset()


def _answering(
    name: str,
    config: Origin,
    settings: Settings,
    *,
    hub: ReloadHub | None,
    report: Report | None,
    offline: bool,
) -> _Answering:
    """First to answer wins: routes, resources, mock folder, OpenAPI spec, static files, proxy
    (README "Mocks"); each passes on what it does not answer. Built from the last one."""
    limits = Limits.of(settings)

    def answers() -> dict[str, Any]:
        """What else the origin answers, for its 404 (read at request time: the collections
        are those of the resource file now)."""
        found: dict[str, Any] = {}
        if store is not None:
            prefix = config.resources_prefix
            found["resources"] = [f"{prefix}/{name}" for name in store.data]
        if folder is not None:
            found["mocks"] = f"files under {config.mocks} (users.json answers GET /users)"
        if config.openapi is not None:
            found["openapi"] = f"the operations of {config.openapi.name}"
        return found

    fallback, proxy = _files_and_proxy(config, limits, hub=hub, offline=offline, answers=answers)
    spec = None
    if config.openapi is not None:
        from devserve.mocks.openapi.layers import OpenApiLayers  # only for origins with a spec

        spec = OpenApiLayers(name, config, settings)
        fallback = spec.answering(fallback)
    folder = None
    if config.mocks is not None:
        fallback = folder = MockFolder(config.mocks, fallback, limits)
    store = routes_file = None
    if config.resources is not None:
        fallback, store, routes_file = _resources(config, fallback, report)
    if spec is not None:
        fallback = spec.gate(fallback)  # openapi_resources: validated, then the resources answer
    problems: list[str] = []
    routes = MockRoutes(compile_routes(name, config.routes, limits, problems), fallback, limits)
    if problems:  # load_project reports these first; a hand-built config can still get here
        raise ConfigError(problems)
    for warning in route_warnings(name, config):
        errors.warning("warning: %s", warning)
    app: ASGIApp = routes if spec is None else spec.responses(routes)
    return _Answering(
        app=app, routes=routes, store=store, routes_file=routes_file, folder=folder, proxy=proxy
    )


def _resources(
    config: Origin, fallback: ASGIApp, report: Report | None
) -> tuple[ASGIApp, Store, RoutesFile | None]:
    """The resources layer (answering before ``fallback``), its store and its routes file."""
    assert config.resources is not None

    def reporting(key: str) -> Callable[[str | None], None] | None:
        return None if report is None else lambda error: report(key, error)

    keys = Keys(id=config.id_field, suffix=config.foreign_key_suffix)
    store = Store(
        config.resources,
        persist=config.persist,
        report=reporting("resources"),
        normalize=(lambda data: normalize(data, keys.id)) if config.dialect == "v1" else None,
    )
    routes = None
    if config.resources_routes is not None:
        routes = RoutesFile(config.resources_routes, report=reporting("resources_routes"))
    app = ResourceApp(
        store,
        fallback=fallback,
        prefix=config.resources_prefix,
        read_only=config.read_only,
        dialect=config.dialect,
        keys=keys,
        routes=routes,
    )
    return app, store, routes


def _files_and_proxy(
    config: Origin,
    limits: Limits,
    *,
    hub: ReloadHub | None,
    offline: bool,
    answers: Callable[[], dict[str, Any]],
) -> tuple[ASGIApp, ProxyApp | None]:
    """The last layers: static files, then the proxy, which takes what nothing else answered
    (a static 404 or 405 included)."""
    fallback: ASGIApp = not_found(config.routes, answers)
    if config.static is not None:
        fallback = StaticFiles(
            config.static,
            spa=config.spa,
            transform=inject_html if hub is not None else None,
            max_cached_bytes=config.static_cache_bytes,
            compress=config.compress,
        )
        if hub is not None:
            fallback = InjectScript(fallback)  # static HTML only: never into mock responses
    if config.proxy is None:
        if config.resources is not None and config.dialect == "v1":
            # json-server 1.0 answers what nothing serves with a JSON 404 (any OPTIONS with 204)
            fallback = FallThrough(fallback, not_found_v1, only=_below(config.resources_prefix))
        return fallback, None
    from devserve.proxy.app import ProxyApp  # httpx and the codecs, only when proxying

    proxy = ProxyApp(config, limits, offline=offline)
    return (proxy if config.static is None else FallThrough(fallback, proxy)), proxy


def _below(prefix: str) -> Callable[[Scope], bool]:
    """Whether a request's path is under ``prefix`` (every path when there is none)."""

    def test(scope: Scope) -> bool:
        path: str = scope["path"]
        return scope["type"] == "http" and (
            not prefix or path == prefix or path.startswith(prefix + "/")
        )

    return test


def _around(
    answering: _Answering,
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
    app: ASGIApp = BodyLimit(answering.app, settings.max_body_bytes, hint=hint)
    app = ErrorResponses(app, name)
    if stopping is not None:
        app = AnswerWhenStopping(app, stopping)
    app = CrossSiteGuard(app, WriteGuard(name, switch, config.allow_writes_from))
    # The verdict (outside, in build_origin) judges exactly the headers the browser gets.
    return CorsMiddleware(app, switch)
