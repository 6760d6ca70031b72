"""The layers of an origin that answer requests, first to answer wins: its mock sockets, routes,
resources, mock folder, OpenAPI spec, static files, proxy (README "Mocks"). ``origin.py`` puts
them inside the layers every request passes (Host guard, request log, CORS, the guard)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Scope

from devserve.config import Origin, Settings
from devserve.config.proxy import spec_name
from devserve.connections import Tracked
from devserve.errors import ConfigError
from devserve.live.reload import InjectScript, ReloadHub, inject_html
from devserve.mocks.check import route_warnings
from devserve.mocks.folders import MockFolder
from devserve.mocks.limits import Limits
from devserve.mocks.routes import MockRoutes, compile_routes, not_found
from devserve.serving.fallthrough import FallThrough
from devserve.serving.static import StaticFiles
from devserve.sockets.files import SocketFiles
from devserve.sockets.layer import MockSockets, compile_sockets
from devserve.sockets.session import Place

if TYPE_CHECKING:
    from devserve.mocks.resources.routesfile import RoutesFile
    from devserve.mocks.resources.store import Store
    from devserve.proxy.app import ProxyApp

errors = logging.getLogger("devserve.errors")

# Told that a file of the origin (its key: "resources", "resources_routes") became invalid
# (why) or valid again (None).
Report = Callable[[str, str | None], None]


@dataclass
class Answering:
    """The layers that answer requests, and the parts of them the runner reaches into."""

    app: ASGIApp
    routes: MockRoutes
    store: Store | None
    routes_file: RoutesFile | None
    folder: MockFolder | None
    proxy: ProxyApp | None
    sockets: MockSockets | None = None

    def restart_sequences(self) -> None:
        self.routes.reset()
        for replayed in (self.folder, self.proxy.recordings if self.proxy else None):
            if replayed is not None:
                replayed.reset()


def answering(
    name: str,
    config: Origin,
    settings: Settings,
    *,
    hub: ReloadHub | None,
    report: Report | None,
    offline: bool,
    place: Place,
) -> Answering:
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
            found["openapi"] = f"the operations of {spec_name(config.openapi)}"
        return found

    fallback, proxy = _files_and_proxy(
        config, limits, hub=hub, offline=offline, answers=answers, place=place
    )
    spec = None
    if config.openapi is not None:
        from devserve.mocks.openapi.layers import OpenApiLayers  # only for origins with a spec

        spec = OpenApiLayers(name, config, settings)
        fallback = spec.answering(fallback)
    folder = None
    if config.mocks is not None:
        fallback = folder = MockFolder(config.mocks, fallback, limits)
        fallback = SocketFiles(config.mocks, fallback, place)  # NAME.WS.mock.json
    store = routes_file = None
    if config.resources is not None:
        fallback, store, routes_file = _resources(config, fallback, report)
    if spec is not None:
        fallback = spec.gate(fallback)  # openapi_resources: validated, then the resources answer
    problems: list[str] = []
    routes = MockRoutes(compile_routes(name, config.routes, limits, problems), fallback, limits)
    app: ASGIApp = routes if spec is None else spec.responses(routes)
    app, sockets = _live(app, name, config, problems, place)
    if problems:  # load_project reports these first; a hand-built config can still get here
        raise ConfigError(problems)
    for warning in route_warnings(name, config):
        errors.warning("warning: %s", warning)
    return Answering(app, routes, store, routes_file, folder, proxy, sockets)


def _live(
    app: ASGIApp, name: str, config: Origin, problems: list[str], place: Place
) -> tuple[ASGIApp, MockSockets | None]:
    """The origin's mock sockets before its routes (a handshake to a socket's path is the
    socket's), and its open streams and sockets tracked; template and regex errors of the
    sockets go to ``problems``."""
    sockets = None
    compiled = compile_sockets(name, config.sockets, place.limits, problems)
    if compiled:
        app = sockets = MockSockets(
            app,
            name,
            compiled,
            limits=place.limits,
            connections=place.connections,
            observer=place.observer,
        )
    return Tracked(app, place.connections), sockets


def _resources(
    config: Origin, fallback: ASGIApp, report: Report | None
) -> tuple[ASGIApp, Store, RoutesFile | None]:
    """The resources layer (answering before ``fallback``), its store and its routes file."""
    # Imported here, like the proxy and OpenAPI layers: only origins with resources need them.
    from devserve.mocks.resources.keys import Keys
    from devserve.mocks.resources.router import ResourceApp
    from devserve.mocks.resources.routesfile import RoutesFile
    from devserve.mocks.resources.store import Store
    from devserve.mocks.resources.v1.writes import normalize

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
    place: Place,
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
            from devserve.mocks.resources.v1.routes import not_found_v1

            # json-server 1.0 answers what nothing serves with a JSON 404 (any OPTIONS with 204)
            fallback = FallThrough(fallback, not_found_v1, only=_below(config.resources_prefix))
        return fallback, None
    from devserve.proxy.app import ProxyApp  # httpx and the codecs, only when proxying

    proxy = ProxyApp(config, limits, offline=offline, place=place)
    return (proxy if config.static is None else FallThrough(fallback, proxy)), proxy


def _below(prefix: str) -> Callable[[Scope], bool]:
    """Whether a request's path is under ``prefix`` (every path when there is none)."""

    def test(scope: Scope) -> bool:
        path: str = scope["path"]
        return scope["type"] == "http" and (
            not prefix or path == prefix or path.startswith(prefix + "/")
        )

    return test
