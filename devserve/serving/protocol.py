"""The HTTP protocol devserve's servers run: uvicorn's own, plus what an ASGI app cannot do.

- The connection goes into each request's scope (``TRANSPORT_KEY``), so a mock ``fault`` can
  reset or close it (devserve.mocks.faults).
- The WebSocket protocol puts the connection into a socket's scope too (a mock socket cuts a
  page that stops reading), and at a stop closes with 1001 ("going away": uvicorn says 1012,
  "service restart") and cuts a page that does not read instead of waiting for it.
- RFC 9112 §3.2.2: a server that gets an absolute-form target (``GET http://evil.com/x``) MUST
  ignore the Host header and use the target's authority. uvicorn's httptools protocol keeps
  only the target's path, so ``GET http://evil.com/x`` with ``Host: localhost`` would pass the
  Host allow-list. Here the target's authority replaces Host before the app sees the request,
  so the allow-list (devserve.serving.hosts) judges the host the request really names. (h11,
  uvicorn's fallback without httptools, keeps the whole target as the path: no file or route
  matches it.)
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any, cast

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

from devserve.mocks.faults import TRANSPORT_KEY
from devserve.serving.corking import CorkedTransport

# After the stop's close frame, how long a page has to take it before its connection is cut.
_CUT_SECONDS = 0.3
_SCHEME = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*://")
_AUTHORITY_END = re.compile(rb"[/?#]")


def split_absolute_form(target: bytes) -> tuple[bytes, bytes] | None:
    """``http://u@host:81/x?y`` -> (``host:81``, ``/x?y``); None for an origin-form target."""
    scheme = _SCHEME.match(target)
    if scheme is None:
        return None
    rest = target[scheme.end() :]
    end = _AUTHORITY_END.search(rest)
    authority, path = (rest[: end.start()], rest[end.start() :]) if end else (rest, b"")
    authority = authority.rpartition(b"@")[2]  # userinfo is never part of the host
    if not path.startswith(b"/"):
        path = b"/" + path
    return authority, path


class _WithTransport:
    def __init__(self, app: ASGIApp, protocol: Any) -> None:
        self.app = app
        self.protocol = protocol

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope[TRANSPORT_KEY] = self.protocol.transport
        await self.app(scope, receive, send)


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    AutoHTTPProtocol.__init__(self, *args, **kwargs)
    # The origin's answers sent at once (serving/fastpath.py): not where uvicorn would do more
    # than send them (an access log, a concurrency limit).
    plain = self.limit_concurrency is None and not self.access_log
    self.answer_at_once = getattr(self.app, "answer_at_once", None) if plain else None
    self.defaults_of = None  # the server's default headers (Date), as last written
    self.defaults = b""
    self.app = _WithTransport(self.app, self)


def _connection_made(self: Any, transport: asyncio.Transport) -> None:
    # A duck-typed stand-in: what it does not define goes to the real transport.
    corked = cast(asyncio.Transport, CorkedTransport(transport, self.loop))
    AutoHTTPProtocol.connection_made(self, corked)


def _on_headers_complete(self: Any) -> None:
    """httptools' callback once the request line and headers are in: the target's host wins;
    an answer the origin can give at once is sent here, without starting the request."""
    if self.url[:1] == b"/":  # origin-form: no host in it
        if self.answer_at_once is not None and _answered_at_once(self):
            return
    elif (split := split_absolute_form(self.url)) is not None:
        authority, self.url = split
        self.headers[:] = [(name, value) for name, value in self.headers if name != b"host"]
        self.headers.append((b"host", authority))
    AutoHTTPProtocol.on_headers_complete(self)  # type: ignore[attr-defined]


class _Done:
    def set(self) -> None:
        """Nothing waits for an answer sent at once."""


class _AnsweredCycle:
    """Stands for the request/response cycle of an answer sent at once: complete."""

    response_complete = True
    disconnected = False
    keep_alive = True
    message_event = _Done()


_ANSWERED = _AnsweredCycle()


def _answered_at_once(self: Any) -> bool:
    """Send the origin's answer to this request now, if it has one and nothing else is under
    way on the connection: the bytes uvicorn would write, the connection kept as it would.

    Only for what uvicorn does nothing more for: an HTTP/1.1 keep-alive request, no upgrade, no
    Expect, no earlier response still going out or waiting for the client to read.
    """
    cycle, parser = self.cycle, self.parser
    if (cycle is not None and not cycle.response_complete) or self.pipeline:
        return False
    if self.flow.write_paused or self.expect_100_continue or parser.should_upgrade():
        return False
    if parser.get_http_version() != "1.1" or not parser.should_keep_alive():
        return False
    key = (parser.get_method(), self.url, self.scheme, tuple(self.headers))
    answer = self.answer_at_once(key)
    if answer is None:
        return False
    status, head, body = answer
    defaults = self.server_state.default_headers
    if defaults is not self.defaults_of:  # uvicorn makes a new list when the Date changes
        self.defaults_of = defaults
        self.defaults = b"".join([n.lower() + b": " + v + b"\r\n" for n, v in defaults])
    self.transport.write(b"".join((STATUS_LINE[status], self.defaults, head, body)))
    self.cycle = _ANSWERED
    self.on_response_complete()
    return True


# Built with type(): uvicorn declares AutoHTTPProtocol as a variable (httptools, else h11).
_METHODS: dict[str, Any] = {"__init__": _init, "connection_made": _connection_made}
if hasattr(AutoHTTPProtocol, "on_url"):  # httptools
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE

    _METHODS["on_headers_complete"] = _on_headers_complete
HTTP_PROTOCOL: type[asyncio.Protocol] = type("DevserveHTTPProtocol", (AutoHTTPProtocol,), _METHODS)


def _ws_init(self: Any, *args: Any, **kwargs: Any) -> None:
    WS_BASE.__init__(self, *args, **kwargs)
    self.app = _WithTransport(self.app, self)


def _ws_shutdown(self: Any) -> None:
    """devserve stops: an open socket is told 1001 (going away), then cut if it does not take
    the close frame (a page that reads nothing would otherwise hold the stop for seconds)."""
    sansio = hasattr(self, "conn") and hasattr(self, "initial_response")
    if sansio and self.handshake_complete and self.initial_response is None and not self.close_sent:
        self.stop_keepalive()
        self.queue.put_nowait({"type": "websocket.disconnect", "code": 1001})
        self.conn.send_close(1001, "devserve is stopping")
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()
    else:
        WS_BASE.shutdown(self)
    self.loop.call_later(_CUT_SECONDS, _cut_if_stuck, self.transport)


def _cut_if_stuck(transport: asyncio.Transport) -> None:
    with contextlib.suppress(Exception):  # already gone: nothing to cut
        if transport.get_write_buffer_size() > 0:
            transport.abort()


assert AutoWebSocketsProtocol is not None  # uvicorn[standard] brings websockets
WS_BASE: Any = AutoWebSocketsProtocol
WS_PROTOCOL: type[asyncio.Protocol] = type(
    "DevserveWebSocketProtocol", (WS_BASE,), {"__init__": _ws_init, "shutdown": _ws_shutdown}
)
