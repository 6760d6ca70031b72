"""The control server: dashboard page and control API, closed to every origin but its own."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
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

    def send(self, name: str, path: str, message: str) -> dict[str, Any]:
        """Broadcast to a mock socket's pages. Raises UnknownOriginError for an unknown name,
        DevserveError when the origin has no socket there."""
        ...

    def sockets_state(self, name: str) -> list[dict[str, Any]]:
        """Raises UnknownOriginError for a name it does not serve."""
        ...


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
    """The control server's ASGI app: the API's routes, behind its guards."""
    api = ControlApi(runner, hub)
    save = "/api/origins/{name}/proxied/{capture:int}/save"
    app = Starlette(
        routes=[
            Route("/", api.dashboard),
            Route("/dashboard.js", api.asset),
            Route("/dashboard-sockets.js", api.asset),
            Route("/dashboard.css", api.asset),
            Route("/api/origins", api.origins),
            Route("/api/origins/{name}/cors", api.set_cors, methods=["PUT"]),
            Route(save, api.save_mock, methods=["POST"]),
            Route("/api/origins/{name}/reset", api.reset, methods=["POST"]),
            Route("/api/origins/{name}/sockets", api.sockets),
            Route("/api/origins/{name}/sockets/send", api.send_socket, methods=["POST"]),
            Route("/api/instance", api.instance),
            Route("/api/events", _Asgi(api.events), methods=["GET"]),
        ],
        exception_handlers=_ERRORS,
    )
    limited = BodyLimit(
        app, CONTROL_MAX_BODY_BYTES, hint="the control API takes small JSON bodies only"
    )
    return HostGuard(OwnOriginOnly(limited), allowed_hosts)


class ControlApi:
    """The endpoints: each asks the runner's side (``Controlled``) and answers JSON; errors
    become answers in ``_ERRORS``."""

    def __init__(self, runner: Controlled, hub: Hub) -> None:
        self.runner = runner
        self.hub = hub
        self.templates = _template_env()

    def identity(self) -> dict[str, Any]:
        path = self.runner.config_path
        return {"config": str(path) if path else None, "kind": instance_kind(path)}

    async def dashboard(self, request: Request) -> Response:
        who = self.identity()
        page = self.templates.get_template("dashboard.html").render(
            version=__version__,
            config=who["config"],
            kind=who["kind"],
            serving=describe_instance(who["kind"], who["config"]),
        )
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    async def asset(self, request: Request) -> Response:
        name = request.url.path.lstrip("/")
        media = {
            "dashboard.js": "text/javascript",
            "dashboard-sockets.js": "text/javascript",
            "dashboard.css": "text/css",
        }[name]
        path = templates_dir() / name
        if not path.is_file():
            raise HTTPException(404, f"{name} is missing from devserve's templates")
        return Response(path.read_bytes(), media_type=f"{media}; charset=utf-8")

    async def origins(self, request: Request) -> Response:
        return JSONResponse([state.as_json() for state in self.runner.origins_state()])

    async def set_cors(self, request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
            raise HTTPException(400, 'send {"enabled": true} or {"enabled": false}')
        state = self.runner.set_cors(request.path_params["name"], body["enabled"])
        return JSONResponse(state.as_json())

    async def save_mock(self, request: Request) -> Response:
        # The JSON body is required only so that no cross-site form can post here.
        name, capture = request.path_params["name"], request.path_params["capture"]
        return JSONResponse({"file": str(await self.runner.save_mock(name, capture))})

    async def reset(self, request: Request) -> Response:
        return JSONResponse(await self.runner.reset_origin(request.path_params["name"]))

    async def send_socket(self, request: Request) -> Response:
        body = await _json_body(request)
        message, name = socket_message(body), request.path_params["name"]
        try:
            return JSONResponse(self.runner.send(name, body["path"], message))
        except UnknownOriginError:
            raise
        except DevserveError as exc:  # no socket at that path
            raise HTTPException(404, exc.message) from None

    async def sockets(self, request: Request) -> Response:
        return JSONResponse(self.runner.sockets_state(request.path_params["name"]))

    async def instance(self, request: Request) -> Response:
        return JSONResponse({**self.identity(), "pid": os.getpid(), "version": __version__})

    async def events(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The state first, then the requests logged before this dashboard connected.
        kept = self.hub.kept(DASHBOARD_CHANNEL, Resume.from_scope(scope))
        greeting = [*self.runner.control_events(), *kept]
        await self.hub.stream(DASHBOARD_CHANNEL, receive, send, greeting)


class _Asgi:
    """A class, so Starlette's Route treats it as a raw ASGI app (an event stream is not a
    Response); ``methods=`` still applies."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Any]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
        raise HTTPException(400, "the body is not JSON") from None


def socket_message(body: Any) -> str:
    """The text frame a broadcast asks for: ``{"path", "text"}``, or ``{"path", "json"}``
    (sent as compact JSON text); HTTPException 400 for anything else."""
    shape = 'send {"path": "/ws", "text": "..."} or {"path": "/ws", "json": {...}}'
    if not isinstance(body, dict) or not isinstance(body.get("path"), str):
        raise HTTPException(400, shape)
    if not body["path"].startswith("/"):
        raise HTTPException(400, f"the path must start with '/' (got {body['path'][:80]!r})")
    given = [key for key in ("text", "json") if key in body]
    if len(given) != 1:
        raise HTTPException(400, shape)
    if given == ["text"]:
        if not isinstance(body["text"], str):
            raise HTTPException(400, f"text: {shape}")
        return body["text"]
    try:
        return json.dumps(body["json"], ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or Infinity: Python reads them, JSON has no such values
        raise HTTPException(400, "json: NaN and Infinity are not JSON") from None


def _error(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def answer(request: Request, exc: Exception) -> Response:
        message = exc.message if isinstance(exc, DevserveError) else str(exc)
        if isinstance(exc, OSError):
            message = f"could not write the file: {exc}"
        return JSONResponse({"error": message}, status)

    return answer


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)


# What a control API call may fail with, and its status: an unknown origin is 404; a request
# devserve cannot carry out (no proxy to save from, a resource file it must not overwrite) 409.
_ERRORS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    HTTPException: _http_error,
    UnknownOriginError: _error(404),
    DevserveError: _error(409),
    OSError: _error(500),
}
