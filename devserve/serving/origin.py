"""Build one origin's ASGI app: mock layers, static files, CORS, delay, Host guard, request log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.config import Origin, Settings
from devserve.cors.annotate import VerdictReporter
from devserve.cors.guard import CrossSiteGuard, WriteGuard
from devserve.cors.middleware import CorsMiddleware
from devserve.cors.origins import LocalOrigins
from devserve.cors.policy import CorsSwitch, resolve
from devserve.denials import refuse_websocket
from devserve.errors import ConfigError
from devserve.instance import switch_on_advice
from devserve.live.reload import InjectScript, ReloadHub, ReservedEndpoints, inject_html
from devserve.mocks.check import route_warnings
from devserve.mocks.folders import MockFolder
from devserve.mocks.limits import Limits
from devserve.mocks.resources.keys import Keys
from devserve.mocks.resources.router import ResourceApp
from devserve.mocks.resources.routes_v1 import not_found_v1
from devserve.mocks.resources.routesfile import RoutesFile
from devserve.mocks.resources.store import Store
from devserve.mocks.resources.writes_v1 import normalize
from devserve.mocks.routes import MockRoutes, compile_routes, not_found
from devserve.records import Observer
from devserve.serving.bodylimit import BodyLimit
from devserve.serving.fallthrough import FallThrough
from devserve.serving.hosts import HostGuard
from devserve.serving.requestlog import RequestLog
from devserve.serving.static import StaticFiles
from devserve.serving.stopping import AnswerWhenStopping, Stopping
from devserve.serving.upgrade import NoWebSockets
from devserve.state import CorsState, OriginState
from devserve.terminal import printable

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
            parts.append(f"resources {config.resources}{prefix}{mode}")
        if self.config.static is not None:
            parts.append(f"static {self.config.static}{' (spa)' if self.config.spa else ''}")
        if self.config.openapi is not None:
            parts.append(f"openapi {self.config.openapi.name}")
        if self.proxy is not None:
            parts.append(self.proxy.describe())
        return parts or ["nothing (404 for every path)"]


# The first message that answers a request: after it, an error can no longer become a 500.
_ANSWERED = frozenset(
    {"http.response.start", "websocket.accept", "websocket.close", "websocket.http.response.start"}
)


class ErrorResponses:
    """Turn a crash into a 500 *inside* the CORS layer, so the browser can still read the error."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] in _ANSWERED
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            # The client left before its body arrived: nobody to answer, nothing went wrong here.
            return
        except Exception:
            path = printable(str(scope.get("path")))
            errors.exception("origin '%s': error while answering %s", self.name, path)
            if started or scope["type"] not in ("http", "websocket"):
                raise
            if scope["type"] == "websocket":
                reason = "internal error (see the devserve terminal)"
                await refuse_websocket(scope, send, 500, reason)
                return
            response = PlainTextResponse("Internal Server Error (see the devserve terminal)\n", 500)
            await response(scope, receive, send)


class Delay:
    """Hold every response of the origin back by a fixed time (``delay_ms``); when devserve
    stops, the wait ends early, so the request is answered in time."""

    def __init__(self, app: ASGIApp, delay_ms: int, stopping: Stopping | None = None) -> None:
        self.app = app
        self.seconds = delay_ms / 1000
        self.sleep = stopping.sleep if stopping is not None else asyncio.sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.sleep(self.seconds)
        await self.app(scope, receive, send)


Report = Callable[[str, str | None], None]


def _below(prefix: str) -> Callable[[Scope], bool]:
    """Whether a request's path is under ``prefix`` (every path when there is none)."""

    def test(scope: Scope) -> bool:
        path: str = scope["path"]
        return not prefix or path == prefix or path.startswith(prefix + "/")

    return test


def _resources(
    config: Origin, fallback: ASGIApp, report: Report | None
) -> tuple[ASGIApp, Store, RoutesFile | None]:
    """The resources layer (answering before ``fallback``), its store and its routes file."""
    assert config.resources is not None

    def reporting(key: str) -> Callable[[str | None], None] | None:
        return None if report is None else lambda error: report(key, error)

    keys = Keys(id=config.id_field, suffix=config.foreign_key_suffix)
    v1 = config.dialect == "v1"
    store = Store(
        config.resources,
        persist=config.persist,
        report=reporting("resources"),
        normalize=(lambda data: normalize(data, keys.id)) if v1 else None,
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


def build_origin(
    name: str,
    config: Origin,
    settings: Settings,
    *,
    hub: ReloadHub | None = None,
    observer: Observer | None = None,
    report: Report | None = None,
    config_path: Path | None = None,
    offline: bool = False,
    host: str | None = None,
    stopping: Stopping | None = None,
) -> OriginApp:
    """Assemble the middleware stack; the order matters and is explained inline.

    With a ``hub``, pages get the live-reload script and the origin answers ``/__devserve/``.
    ``report`` hears about a resource or routes file that became invalid: its key
    (``resources``, ``resources_routes``) and why (None once it is valid again).
    ``host`` is the address the origin is bound to (``--host``; default ``settings.host``):
    pages served from it count as local for ``cors = "on"``. With ``stopping``, requests
    still in flight when devserve stops get a 503 in time.
    """
    # The layers, first to answer wins: routes, resources, mock folder, OpenAPI spec, static
    # files, proxy (README "Mocks"); each passes on what it does not answer. Built from the last.
    limits = Limits.of(settings)
    fallback: ASGIApp = not_found(config.routes)
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
    if config.resources is not None and config.dialect == "v1" and config.proxy is None:
        # json-server 1.0 answers what nothing serves with a JSON 404 (and any OPTIONS with 204)
        fallback = FallThrough(fallback, not_found_v1, only=_below(config.resources_prefix))
    proxy = None
    if config.proxy is not None:
        from devserve.proxy.app import ProxyApp  # httpx and the codecs, only when proxying

        # The proxy takes what nothing else answered, a static 404 or 405 included.
        proxy = ProxyApp(config, limits, offline=offline)
        fallback = proxy if config.static is None else FallThrough(fallback, proxy)
    spec = None
    if config.openapi is not None:
        from devserve.mocks.openapi.layers import OpenApiLayers  # only for origins with a spec

        # After routes, resources and the mock folder; before static files and the proxy.
        spec = OpenApiLayers(name, config, settings)
        fallback = spec.answering(fallback)
    folder = None
    if config.mocks is not None:
        fallback = folder = MockFolder(config.mocks, fallback, limits)
    store: Store | None = None
    routes_file: RoutesFile | None = None
    if config.resources is not None:
        # Resources come before the mock folder: what no resource answers falls through.
        fallback, store, routes_file = _resources(config, fallback, report)
    if spec is not None:
        fallback = spec.gate(fallback)  # openapi_resources: validated, then the resources answer
    problems: list[str] = []
    routes = MockRoutes(compile_routes(name, config.routes, limits, problems), fallback, limits)
    if problems:  # load_config reports these first; a hand-built config can still get here
        raise ConfigError(problems)
    for warning in route_warnings(name, config):
        errors.warning("warning: %s", warning)

    def restart_sequences() -> None:
        routes.reset()
        for replayed in (folder, proxy.recordings if proxy is not None else None):
            if replayed is not None:
                replayed.reset()

    # Inside the CORS layer, so a page can read the 413 and its reason.
    hint = "raise max_body_bytes in [devserve] of devserve.toml if it is meant to work"
    app: ASGIApp = routes if spec is None else spec.responses(routes)
    app = BodyLimit(app, settings.max_body_bytes, hint=hint)
    app = ErrorResponses(app, name)
    if stopping is not None:  # inside CORS too: the page can read why it got no answer
        app = AnswerWhenStopping(app, stopping)
    local = LocalOrigins.for_server(
        bound_host=settings.host if host is None else host, allowed_hosts=settings.allowed_hosts
    )
    switch = CorsSwitch(resolve(config.cors, local=local), local=local)
    # Inside the CORS layer, so a page the policy lets read can read why it was refused.
    app = CrossSiteGuard(app, WriteGuard(name, switch, config.allow_writes_from))
    app = CorsMiddleware(app, switch)
    # Outside the CORS layer: the verdict judges exactly the headers the browser will get.
    app = VerdictReporter(
        app, name, switch, switch_on=switch_on_advice(name, config_path, settings)
    )
    if config.delay_ms:
        app = Delay(app, config.delay_ms, stopping)
    if proxy is None:  # the one layer that speaks WebSocket; without it, refuse at once
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
        resources=store,
        restart_sequences=restart_sequences,
        proxy=proxy,
        resources_routes=routes_file,
    )
