"""Declared mock routes: turn config ``routes`` into Starlette routes that render their response."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from devserve.config import Route as RouteConfig
from devserve.media import media_type as _file_type

# Sandboxed: a mock template must not reach Python internals, whoever wrote the config.
_jinja = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
log = logging.getLogger("devserve.errors")


async def _template_context(request: Request) -> dict[str, Any]:
    body = await request.body()
    try:
        parsed: Any = json.loads(body) if body else None
    except (ValueError, RecursionError):  # not JSON, or nested too deep (`[` x 100000)
        parsed = None
    return {
        "path": dict(request.path_params),
        "query": dict(request.query_params),
        "headers": dict(request.headers),
        "json": parsed,
        "method": request.method,
    }


def render(value: Any, context: dict[str, Any]) -> Any:
    """Render every string inside ``value`` as a Jinja2 template; other values pass through."""
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return value
        return _jinja.from_string(value).render(context)
    if isinstance(value, list):
        return [render(item, context) for item in value]
    if isinstance(value, dict):
        return {key: render(item, context) for key, item in value.items()}
    return value


class MockEndpoint:
    """The ASGI app of one declared route (a class, so Starlette keeps ``method = "*"`` as any)."""

    def __init__(self, config: RouteConfig) -> None:
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        config = self.config
        if config.delay_ms:
            await asyncio.sleep(config.delay_ms / 1000)
        context = await _template_context(request)
        try:
            headers = render(dict(config.headers), context)
            if config.json_body is not None:
                content = json.dumps(render(config.json_body, context), ensure_ascii=False).encode()
                media_type: str | None = "application/json"
            elif config.body is not None:
                content = render(config.body, context).encode()
                media_type = "text/plain; charset=utf-8"
            elif config.file is not None:
                # Read on every request so an edited mock file is served at once.
                content = config.file.read_bytes()
                media_type = _file_type(config.file.name)
            else:
                content, media_type = b"", None
            _check_header_values(headers)
            if any(name.lower() == "content-type" for name in headers):
                media_type = None
            return Response(
                content, status_code=config.status, headers=headers, media_type=media_type
            )
        except OSError as exc:
            # The response may go to any page: it names the route, the terminal names the file.
            log.error("route %s: cannot read %s: %s", config.path, config.file, exc.strerror)
            message = f"devserve: route {config.path}: its file cannot be read ({exc.strerror})\n"
            return Response(message, status_code=500, media_type="text/plain")
        except Exception as exc:  # a broken template is the user's mock failing, not devserve
            kind = "template error" if isinstance(exc, TemplateError) else type(exc).__name__
            message = f"devserve: {kind} in route {config.path}: {exc}\n"
            return Response(message, status_code=500, media_type="text/plain")


def _check_header_values(headers: dict[str, Any]) -> None:
    """A header rendered from request data must be one line of Latin-1 text (HTTP's rule)."""
    for name, value in headers.items():
        text = f"{name}{value}"
        if _CONTROL.search(text) or not all(ord(char) < 0x100 for char in text):
            raise ValueError(f"header {name!r} renders to a value HTTP cannot carry")


def build_routes(configs: list[RouteConfig]) -> list[BaseRoute]:
    """One Starlette route per declared route, in config order (the first match wins)."""
    return [
        Route(config.path, MockEndpoint(config), methods=config.methods, include_in_schema=False)
        for config in configs
    ]
