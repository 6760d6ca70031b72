"""A tiny configurable server for the oracle: each scenario picks the exact status and headers.

Three origins (``page``, ``api``, ``other``) run the same app on free loopback ports, each in
its own uvicorn thread. ``GET /`` on any of them is a blank page. ``/s/{scenario}/{step}``
answers with the replies registered for that scenario: ``"preflight"`` (or
``"preflight:{step}"``) for a CORS preflight, ``step`` for anything else. In header values,
``{page}``, ``{api}`` and ``{other}`` become those origins (``{PAGE}`` etc. upper-cased,
``{page_port}`` etc. the bare port) and ``{sid}`` the scenario, so a scenario can name the
page's origin, get it subtly wrong, or redirect to another origin. Every request is logged
per scenario.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.support.process import free_ports
from tests.support.waiting import wait_until

ORIGIN_NAMES = ("page", "api", "other")


@dataclass(frozen=True)
class Reply:
    """One response, exactly as sent: duplicate header names are kept."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: str = "ok"


@dataclass(frozen=True)
class Logged:
    """What the server saw of one request."""

    origin_name: str
    method: str
    step: str
    origin: str | None
    request_method: str | None  # Access-Control-Request-Method
    request_headers: str | None  # Access-Control-Request-Headers
    header_names: frozenset[str] = frozenset()  # every request header name, lowercased
    cookie: str | None = None  # the Cookie header, for the cookie oracle

    @property
    def preflight(self) -> bool:
        return self.method == "OPTIONS" and self.request_method is not None


@dataclass
class OracleServer:
    """The running origins, the replies per scenario and the request log."""

    origins: dict[str, str] = field(default_factory=dict)
    replies: dict[str, dict[str, Reply]] = field(default_factory=dict)
    log: dict[str, list[Logged]] = field(default_factory=lambda: defaultdict(list))

    def url(self, origin_name: str, scenario: str, step: str = "0") -> str:
        return f"{self.origins[origin_name]}/s/{scenario}/{step}"

    def take_log(self, scenario: str) -> list[Logged]:
        """The requests seen for ``scenario`` since the last call, and forget them."""
        return self.log.pop(scenario, [])

    def fill(self, value: str, sid: str) -> str:
        """``value`` with the placeholders of the module docstring replaced."""
        for name, origin in self.origins.items():
            value = value.replace("{" + name + "}", origin)
            value = value.replace("{" + name.upper() + "}", origin.upper())
            value = value.replace("{" + name + "_port}", origin.rsplit(":", 1)[1])
        return value.replace("{sid}", sid)

    def app(self, origin_name: str) -> ASGIApp:
        """The ASGI app of one origin; plain ASGI so that any method, even ``patch``, gets in."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            assert scope["type"] == "http"
            request = Request(scope, receive)
            parts = request.url.path.strip("/").split("/")
            if len(parts) != 3 or parts[0] != "s":
                await HTMLResponse("<!doctype html><title>oracle</title>")(scope, receive, send)
                return
            sid, step = parts[1], parts[2]
            headers = request.headers
            entry = Logged(
                origin_name=origin_name,
                method=request.method,
                step=step,
                origin=headers.get("origin"),
                request_method=headers.get("access-control-request-method"),
                request_headers=headers.get("access-control-request-headers"),
                header_names=frozenset(headers.keys()),
                cookie=headers.get("cookie"),
            )
            self.log[sid].append(entry)
            replies = self.replies.get(sid, {})
            if entry.preflight:
                reply = replies.get(f"preflight:{step}") or replies.get("preflight", Reply(404))
            else:
                reply = replies.get(step, Reply(404, body="no such step"))
            empty = reply.status in (204, 304) or request.method == "HEAD"
            response = Response(b"" if empty else reply.body.encode(), status_code=reply.status)
            response.raw_headers.extend(
                (name.lower().encode(), self.fill(value, sid).encode())
                for name, value in reply.headers
            )
            await response(scope, receive, send)

        return app


@contextmanager
def oracle_server() -> Iterator[OracleServer]:
    """Start the three origins on free ports; stop them on exit."""
    state = OracleServer()
    ports = free_ports(len(ORIGIN_NAMES))
    state.origins = {
        name: f"http://127.0.0.1:{port}" for name, port in zip(ORIGIN_NAMES, ports, strict=True)
    }
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []
    try:
        for name, port in zip(ORIGIN_NAMES, ports, strict=True):
            config = uvicorn.Config(
                state.app(name),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                lifespan="off",
                http="h11",  # httptools refuses a lowercase method such as "patch"
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            servers.append((server, thread))
        wait_until(lambda: all(server.started for server, _ in servers), "the oracle server")
        yield state
    finally:
        for server, _ in servers:
            server.should_exit = True
        for _, thread in servers:
            thread.join(timeout=5)
