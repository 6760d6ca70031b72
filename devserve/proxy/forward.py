"""Forward one HTTP request to the upstream and stream its answer back, both ways in chunks.

Neither body is ever held whole: a 200 MB download passes through in the upstream's chunks,
and an upload is handed to httpx as it arrives. Only ``proxy_timeout`` bounds the wait for the
response's headers; the body may take as long as the browser keeps listening (an event
stream), and stops the moment the browser hangs up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

import anyio
import httpx
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.proxy.cookies import rewrite_set_cookie
from devserve.proxy.failure import path_refused, upstream_failure
from devserve.proxy.headers import local_location, request_headers, response_headers
from devserve.proxy.paths import PathEscape
from devserve.proxy.upstream import Upstream
from devserve.records import ProxyNote

log = logging.getLogger("devserve.proxy")


class Tap(Protocol):
    """Sees a forwarded response go by (to record it), without slowing it down."""

    def start(self, status: int, headers: list[tuple[str, str]]) -> None: ...

    async def feed(self, chunk: bytes) -> None: ...


class _ClientGone(Exception):
    """The browser hung up before its request body was sent."""


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return "transfer-encoding" in headers or (length is not None and length.strip() != "0")


async def _request_body(
    receive: Receive, seen: Callable[[bytes], None] | None
) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk: bytes = message.get("body", b"")
        if chunk:
            if seen is not None:
                seen(chunk)
            yield chunk
        if not message.get("more_body", False):
            return


def local_origin(scope: Scope) -> str:
    """This origin's URL as the browser addressed it (for ``Location`` rewrites)."""
    host = Headers(scope=scope).get("host", "")
    return f"{scope.get('scheme', 'http')}://{host}"


async def forward(
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    upstream: Upstream,
    note: ProxyNote,
    body: bytes | None = None,
    tap: Tap | None = None,
    passed: Callable[[], Awaitable[None]] | None = None,
    left: Callable[[], Awaitable[None]] | None = None,
    seen: Callable[[bytes], None] | None = None,
    unreachable: ASGIApp | None = None,
) -> None:
    """Answer ``scope`` from the upstream; ``body`` when it was already read.

    ``unreachable`` answers instead of the 502 when the upstream cannot be connected to.

    ``passed`` runs once the whole body went by, before the response ends: what it notes
    (recorded, or why not) is in the request's log line, which is written as the response ends.
    ``left`` runs instead when the body did not end (the browser left an event stream).
    ``seen`` sees the request body go up, chunk by chunk.
    """
    target = await _target(scope, receive, send, upstream, note)
    if target is None:
        return
    request = _upstream_request(scope, receive, upstream, target, body, seen)
    started = time.perf_counter()
    try:
        response = await asyncio.wait_for(
            upstream.client.send(request, stream=True), upstream.timeout
        )
    except _ClientGone:
        note.state = "failed"
        return
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        if unreachable is not None and isinstance(exc, httpx.ConnectError):
            await unreachable(scope, receive, send)
            return
        note.state = "failed"
        note.notes.append(f"upstream error: {type(exc).__name__}")
        failure = upstream_failure(upstream.url, exc, timeout=upstream.timeout)
        await failure(scope, receive, send)
        return
    try:
        note.upstream_status = response.status_code
        note.upstream_ms = (time.perf_counter() - started) * 1000
        raw = _local_headers(response, scope, upstream, note)
        if tap is not None:
            tap.start(response.status_code, _text(raw))
        await send({"type": "http.response.start", "status": response.status_code, "headers": raw})
        await _stream(response, receive, send, tap, note, passed, left)
    finally:
        await response.aclose()


def _upstream_request(
    scope: Scope,
    receive: Receive,
    upstream: Upstream,
    target: httpx.URL,
    body: bytes | None,
    seen: Callable[[bytes], None] | None,
) -> httpx.Request:
    """The request the upstream gets: the browser's, with ``proxy_headers``, its body streamed
    up as it arrives (or ``body``, when it was already read)."""
    content: bytes | AsyncIterator[bytes] | None = body
    if content is None and _has_body(Headers(scope=scope)):
        content = _request_body(receive, seen)
    elif body and seen is not None:
        seen(body)
    return upstream.client.build_request(
        scope["method"],
        target,
        headers=request_headers(list(scope["headers"]), upstream.headers),
        content=content,
    )


async def _target(
    scope: Scope, receive: Receive, send: Send, upstream: Upstream, note: ProxyNote
) -> httpx.URL | None:
    """Where the request goes; None when its path may not go there (answered 400)."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    try:
        return upstream.target(raw_path, scope["query_string"])
    except PathEscape as exc:
        note.state = "failed"
        note.notes.append(f"refused: {exc}")
        refused = path_refused(upstream.url, raw_path.decode("latin-1"), str(exc))
        await refused(scope, receive, send)
        return None


def _local_headers(
    response: httpx.Response, scope: Scope, upstream: Upstream, note: ProxyNote
) -> list[tuple[bytes, bytes]]:
    here = local_origin(scope)
    secure = scope.get("scheme") == "https"
    out = []
    headers, unsendable = response_headers(response.headers.raw)
    if unsendable:
        note.notes.append(f"dropped header {', '.join(unsendable)} (control characters)")
    for name, value in headers:
        text = value.decode("latin-1")
        if name == b"location":
            text = local_location(text, upstream=upstream.url, local=here)
        elif name == b"set-cookie":
            cookie = rewrite_set_cookie(text, secure_origin=secure, base_path=upstream.base_path)
            text = cookie.value
            if cookie.note:
                note.notes.append(f"cookie {cookie.note}")
        out.append((name, text.encode("latin-1")))
    return out


def _text(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]


async def _stream(
    response: httpx.Response,
    receive: Receive,
    send: Send,
    tap: Tap | None,
    note: ProxyNote,
    passed: Callable[[], Awaitable[None]] | None,
    left: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Pass the body on chunk by chunk until it ends or the browser hangs up."""
    ended = False
    try:
        async with anyio.create_task_group() as group:
            ended = await _relay(group, response, receive, send, tap, note, passed)
    finally:
        if not ended and left is not None:
            with anyio.CancelScope(shield=True):
                await left()


async def _relay(
    group: anyio.abc.TaskGroup,
    response: httpx.Response,
    receive: Receive,
    send: Send,
    tap: Tap | None,
    note: ProxyNote,
    passed: Callable[[], Awaitable[None]] | None,
) -> bool:
    """The body, passed on; whether it went by whole."""
    async def hang_up() -> None:
        # Without this, an endless event stream would be read from the upstream forever
        # after the page closed: uvicorn's send() ignores a closed connection.
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                group.cancel_scope.cancel()
                return

    group.start_soon(hang_up)
    whole = False
    try:
        async for chunk in response.aiter_raw():
            if tap is not None:
                await tap.feed(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        whole = True
        if passed is not None:
            await passed()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except httpx.HTTPError as exc:
        # Headers are gone already: all that is left is to cut the connection, so the
        # browser sees a broken download rather than a short one.
        note.state = "failed"
        note.notes.append(f"upstream broke off the body: {type(exc).__name__}")
        log.warning("proxy: %s broke off the body: %s", note.upstream, exc)
    group.cancel_scope.cancel()
    return whole
