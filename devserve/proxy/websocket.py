"""WebSocket connections through the proxy: one upstream connection per browser connection,
messages relayed as they come, closed together; a ``Conversation`` sees every frame go by (to
record it, see proxy/liverecord.py)."""

from __future__ import annotations

import logging

import anyio
from starlette.types import Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from devserve.localnet import websocket_options
from devserve.proxy.headers import request_headers
from devserve.proxy.livetaps import Conversation
from devserve.proxy.paths import PathEscape
from devserve.proxy.upstream import Upstream
from devserve.terminal import printable

log = logging.getLogger("devserve.proxy")

# Headers the WebSocket client library makes itself for the upstream handshake.
_HANDSHAKE = frozenset(
    {
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "sec-websocket-accept",
        "user-agent",
    }
)
# A browser message larger than this closes the connection (1009) instead of filling memory.
LARGEST_MESSAGE = 16 * 1024 * 1024


def _websocket_url(upstream: Upstream, scope: Scope) -> str:
    target = upstream.target(scope.get("raw_path") or scope["path"].encode(), scope["query_string"])
    scheme = "wss" if target.scheme == "https" else "ws"
    return str(target.copy_with(scheme=scheme))


async def pass_websocket(
    scope: Scope,
    receive: Receive,
    send: Send,
    upstream: Upstream,
    conversation: Conversation | None = None,
) -> None:
    """Relay one WebSocket connection to the upstream and back."""
    seen = conversation or Conversation()
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in request_headers(list(scope["headers"]), upstream.headers)
        if name.decode("latin-1").lower() not in _HANDSHAKE
    ]
    try:
        url = _websocket_url(upstream, scope)
    except PathEscape as exc:
        log.warning("proxy: WebSocket refused: %s", printable(f"{scope['path']}: {exc}"))
        await send({"type": "websocket.close", "code": 1008, "reason": "path leaves the base"})
        return
    try:
        remote = await connect(
            url,
            additional_headers=headers,
            subprotocols=scope.get("subprotocols") or None,
            open_timeout=upstream.timeout,
            max_size=LARGEST_MESSAGE,
            proxy=None,
            user_agent_header=None,
            **websocket_options(url),  # *.localhost upstreams, devserve's CA
        )
    except Exception as exc:  # whatever stopped the handshake, the browser gets a refusal
        log.warning("proxy: WebSocket to %s failed: %s", upstream.url, printable(str(exc)))
        await send({"type": "websocket.close", "code": 1011, "reason": "upstream unreachable"})
        return
    async with remote:
        await send({"type": "websocket.accept", "subprotocol": remote.subprotocol})
        async with anyio.create_task_group() as group:
            group.start_soon(_to_browser, remote, send, group.cancel_scope, seen)
            await _to_upstream(remote, receive, seen)
            group.cancel_scope.cancel()


def sendable_close_code(code: int | None, *, broken: int) -> int:
    """A close code as it may be passed on. 1005 (no code), 1006 (dropped) and 1015 (TLS
    failed) only describe a close and may not be sent (RFC 6455 7.4.1): no code becomes 1000,
    a broken connection ``broken``; a code outside the registered ranges becomes 1000 too."""
    if code in (1006, 1015):
        return broken
    if code is not None and (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
        return code
    return 1000


async def _to_upstream(remote: ClientConnection, receive: Receive, seen: Conversation) -> None:
    while True:
        message = await receive()
        try:
            if message["type"] == "websocket.disconnect":
                # A browser that vanished is "going away"; one that closed says why, or not.
                code = sendable_close_code(message.get("code"), broken=1001)
                seen.closed("client", code, str(message.get("reason") or ""))
                await remote.close(code=code)
                return
            if message.get("text") is not None:
                seen.frame("client", message["text"])
                await remote.send(message["text"])
            elif message.get("bytes") is not None:
                seen.frame("client", message["bytes"])
                await remote.send(message["bytes"])
        except ConnectionClosed:
            return


async def _to_browser(
    remote: ClientConnection, send: Send, scope: anyio.CancelScope, seen: Conversation
) -> None:
    try:
        try:
            async for data in remote:
                seen.frame("server", data)
                if isinstance(data, str):
                    await send({"type": "websocket.send", "text": data})
                else:
                    await send({"type": "websocket.send", "bytes": data})
        except ConnectionClosed:
            pass  # the upstream went away: the browser is told below
        code = sendable_close_code(remote.close_code, broken=1011)
        reason = remote.close_reason or ""
        seen.closed("server", code, reason)
        await send({"type": "websocket.close", "code": code, "reason": reason})
    except OSError:
        pass  # the browser left first: _to_upstream closes the upstream side
    scope.cancel()
