"""The control server: dashboard page and control API, closed to every origin but its own."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from devserve._resources import templates_dir
from devserve.errors import DevserveError, UnknownOriginError
from devserve.instance import describe_instance, instance_kind
from devserve.live.events import DASHBOARD_CHANNEL, Event, Hub, Resume
from devserve.media import essence
from devserve.origins import foreign_request
from devserve.serving.bodylimit import BodyLimit
from devserve.serving.hosts import HostGuard
from devserve.state import OriginState
from devserve.version import __version__

# The control API takes only small JSON bodies ({"enabled": true}).
CONTROL_MAX_BODY_BYTES = 1024 * 1024

_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Controlled(Protocol):
    """What the control server needs from the runner."""

    config_path: Path | None

    def origins_state(self) -> list[OriginState]: ...

    def set_cors(self, name: str, enabled: bool) -> OriginState:
        """Raises UnknownOriginError for a name it does not serve."""
        ...

    async def save_mock(self, name: str, capture: int) -> Path:
        """Raises DevserveError (UnknownOriginError for an unknown name) when it cannot."""
        ...

    async def reset_origin(self, name: str) -> dict[str, Any]:
        """Raises UnknownOriginError for a name it does not serve."""
        ...

    def control_events(self) -> list[Event]: ...


class OwnOriginOnly:
    """No CORS, only its own Origin, and changes only as JSON, so no web page of another origin
    can use it, not even with a cross-site form (README, "Dashboard and runtime switches")."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _refusal(scope)
        if problem is not None:
            status, message = problem
            await PlainTextResponse(f"devserve control: {message}\n", status)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _refusal(scope: Scope) -> tuple[int, str] | None:
    foreign = foreign_request(scope)
    if foreign is not None:
        return 403, foreign
    if scope["method"] in _CHANGING:
        media = essence(Headers(scope=scope).get("content-type"))
        if media != "application/json":
            return 415, "changes must be sent as application/json"
    if scope["method"] == "OPTIONS":
        return 403, "the control API answers no CORS preflight"
    return None


def _template_env() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(templates_dir()))
    return jinja2.Environment(loader=loader, autoescape=True)


def build_control_app(
    runner: Controlled, hub: Hub, *, allowed_hosts: list[str]
) -> Callable[[Scope, Receive, Send], Any]:
    """The control server's ASGI app."""
    env = _template_env()

    def identity() -> dict[str, Any]:
        config = str(runner.config_path) if runner.config_path else None
        return {"config": config, "kind": instance_kind(runner.config_path)}

    async def dashboard(request: Request) -> Response:
        who = identity()
        page = env.get_template("dashboard.html").render(
            version=__version__,
            config=who["config"],
            kind=who["kind"],
            serving=describe_instance(who["kind"], who["config"]),
        )
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    async def asset(request: Request) -> Response:
        name = request.url.path.lstrip("/")
        media = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}[name]
        path = templates_dir() / name
        if not path.is_file():
            return PlainTextResponse("Not Found\n", 404)
        return Response(path.read_bytes(), media_type=f"{media}; charset=utf-8")

    async def origins(request: Request) -> Response:
        return JSONResponse([state.as_json() for state in runner.origins_state()])

    async def set_cors(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            body = json.loads(await request.body())
        except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
            return JSONResponse({"error": "the body is not JSON"}, 400)
        if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
            return JSONResponse({"error": 'send {"enabled": true} or {"enabled": false}'}, 400)
        try:
            return JSONResponse(runner.set_cors(name, body["enabled"]).as_json())
        except UnknownOriginError as exc:
            return JSONResponse({"error": exc.message}, 404)

    async def save_mock(request: Request) -> Response:
        # The JSON body is required only so that no cross-site form can post here (SPEC 6).
        name, capture = request.path_params["name"], request.path_params["capture"]
        try:
            path = await runner.save_mock(name, capture)
        except UnknownOriginError as exc:
            return JSONResponse({"error": exc.message}, 404)
        except DevserveError as exc:
            return JSONResponse({"error": exc.message}, 409)
        except OSError as exc:
            return JSONResponse({"error": f"could not write the file: {exc}"}, 500)
        return JSONResponse({"file": str(path)})

    async def reset(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            return JSONResponse(await runner.reset_origin(name))
        except UnknownOriginError as exc:
            return JSONResponse({"error": exc.message}, 404)
        except DevserveError as exc:  # the resource file holds an edit it cannot overwrite
            return JSONResponse({"error": exc.message}, 409)
        except OSError as exc:
            return JSONResponse({"error": f"could not write the file: {exc}"}, 500)

    async def instance(request: Request) -> Response:
        return JSONResponse({**identity(), "pid": os.getpid(), "version": __version__})

    async def events(scope: Scope, receive: Receive, send: Send) -> None:
        # The state first, then the requests logged before this dashboard connected.
        kept = hub.kept(DASHBOARD_CHANNEL, Resume.from_scope(scope))
        await hub.stream(DASHBOARD_CHANNEL, receive, send, [*runner.control_events(), *kept])

    app = Starlette(
        routes=[
            Route("/", dashboard),
            Route("/dashboard.js", asset),
            Route("/dashboard.css", asset),
            Route("/api/origins", origins),
            Route("/api/origins/{name}/cors", set_cors, methods=["PUT"]),
            Route("/api/origins/{name}/proxied/{capture:int}/save", save_mock, methods=["POST"]),
            Route("/api/origins/{name}/reset", reset, methods=["POST"]),
            Route("/api/instance", instance),
            Route("/api/events", _EventsEndpoint(events)),
        ]
    )
    limited = BodyLimit(
        app, CONTROL_MAX_BODY_BYTES, hint="the control API takes small JSON bodies only"
    )
    return HostGuard(OwnOriginOnly(limited), allowed_hosts)


class _EventsEndpoint:
    """A class, so Starlette treats it as a raw ASGI app (an event stream is not a Response)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Any]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "GET":
            await PlainTextResponse("Method Not Allowed\n", 405)(scope, receive, send)
            return
        await self.app(scope, receive, send)
