"""Build one origin's ASGI app from its config: routes, static files, CORS, delay, Host guard."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.responses import PlainTextResponse
from starlette.routing import Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.config import Origin, Settings
from devserve.cors.annotate import VerdictReporter
from devserve.cors.middleware import CorsMiddleware
from devserve.cors.policy import CorsSwitch, resolve
from devserve.instance import switch_on_advice
from devserve.live.reload import InjectScript, ReloadHub, ReservedEndpoints, inject_html
from devserve.mocks.resources.router import ResourceApp
from devserve.mocks.resources.store import Store
from devserve.mocks.routes import build_routes
from devserve.serving.fallthrough import FallThrough
from devserve.serving.hosts import HostGuard
from devserve.serving.requestlog import Observer, RequestLog
from devserve.serving.static import StaticFiles

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
    proxy: ProxyApp | None = None

    async def reset(self) -> None:
        """Restore mock state: response sequences restart, resources get their original data."""
        if self.resources is not None:
            await self.resources.reset()

    def serves(self) -> list[str]:
        """What this origin serves, in words, for the banner and the status output."""
        parts = []
        if self.config.routes:
            count = len(self.config.routes)
            parts.append(f"{count} route{'s' if count != 1 else ''}")
        if self.config.resources is not None:
            config = self.config
            mode = ", read-only" if config.read_only else "" if config.persist else ", in memory"
            prefix = f" at {config.resources_prefix}" if config.resources_prefix else ""
            parts.append(f"resources {config.resources}{prefix}{mode}")
        if self.config.static is not None:
            parts.append(f"static {self.config.static}{' (spa)' if self.config.spa else ''}")
        if self.proxy is not None:
            parts.append(self.proxy.describe())
        return parts or ["nothing (404 for every path)"]


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse(f"Not Found: {scope['path']}\n", status_code=404)(scope, receive, send)


class ErrorResponses:
    """Turn a crash into a 500 *inside* the CORS layer, so the browser can still read the error."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            errors.exception("origin '%s': error while answering %s", self.name, scope.get("path"))
            if started or scope["type"] != "http":
                raise
            response = PlainTextResponse("Internal Server Error (see the devserve terminal)\n", 500)
            await response(scope, receive, send)


class Delay:
    """Hold every response of the origin back by a fixed time (``delay_ms``)."""

    def __init__(self, app: ASGIApp, delay_ms: int) -> None:
        self.app = app
        self.seconds = delay_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def build_origin(
    name: str,
    config: Origin,
    settings: Settings,
    *,
    hub: ReloadHub | None = None,
    observer: Observer | None = None,
    report: Callable[[str | None], None] | None = None,
    config_path: Path | None = None,
    offline: bool = False,
) -> OriginApp:
    """Assemble the middleware stack; the order matters and is explained inline.

    With a ``hub``, pages get the live-reload script and the origin answers ``/__devserve/``.
    ``report`` hears about a resource file that became invalid (None once it is valid again).
    """
    fallback: ASGIApp = _not_found
    if config.static is not None:
        fallback = StaticFiles(
            config.static, spa=config.spa, transform=inject_html if hub is not None else None
        )
        if hub is not None:
            fallback = InjectScript(fallback)  # static HTML only: never into mock responses
    store = None
    if config.resources is not None:
        # Resources come before static files: what no resource answers falls through.
        store = Store(config.resources, persist=config.persist, report=report)
        fallback = ResourceApp(
            store, fallback=fallback, prefix=config.resources_prefix, read_only=config.read_only
        )
    proxy = None
    if config.proxy is not None:
        from devserve.proxy.app import ProxyApp  # httpx and the codecs, only when proxying

        # The proxy takes what nothing else answered, a static 404 or 405 included.
        proxy = ProxyApp(config, offline=offline)
        fallback = proxy if config.static is None else FallThrough(fallback, proxy)
    # Routes win over static files; anything no route answers falls through to the static app.
    app: ASGIApp = Router(
        routes=build_routes(config.routes), default=fallback, redirect_slashes=False
    )
    app = ErrorResponses(app, name)
    switch = CorsSwitch(resolve(config.cors))
    app = CorsMiddleware(app, switch)
    # Outside the CORS layer: the verdict judges exactly the headers the browser will get.
    app = VerdictReporter(
        app, name, switch, switch_on=switch_on_advice(name, config_path, settings)
    )
    if config.delay_ms:
        app = Delay(app, config.delay_ms)
    app = RequestLog(app, name, observer)
    if hub is not None:
        # Outside CORS and the request log: the reserved prefix is devserve's, not the origin's.
        app = ReservedEndpoints(app, hub=hub, origin=name)
    app = HostGuard(app, settings.allowed_hosts)
    return OriginApp(name=name, config=config, switch=switch, app=app, resources=store, proxy=proxy)
