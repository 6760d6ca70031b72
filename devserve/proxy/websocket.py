"""WebSocket connections through the proxy: one upstream connection per browser connection,
messages relayed as they come, closed together. Not recorded (a conversation is no mock file)."""

from __future__ import annotations

import logging

import anyio
from starlette.types import Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from devserve.localnet import websocket_options
from devserve.proxy.headers import request_headers
from devserve.proxy.upstream import Upstream

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


async def pass_websocket(scope: Scope, receive: Receive, send: Send, upstream: Upstream) -> None:
    """Relay one WebSocket connection to the upstream and back."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in request_headers(list(scope["headers"]), upstream.headers)
        if name.decode("latin-1").lower() not in _HANDSHAKE
    ]
    url = _websocket_url(upstream, scope)
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
        log.warning("proxy: WebSocket to %s failed: %s", upstream.url, exc)
        await send({"type": "websocket.close", "code": 1011, "reason": "upstream unreachable"})
        return
    async with remote:
        await send({"type": "websocket.accept", "subprotocol": remote.subprotocol})
        async with anyio.create_task_group() as group:
            group.start_soon(_to_browser, remote, send, group.cancel_scope)
            await _to_upstream(remote, receive)
            group.cancel_scope.cancel()


async def _to_upstream(remote: ClientConnection, receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            await remote.close(code=message.get("code", 1000))
            return
        try:
            if message.get("text") is not None:
                await remote.send(message["text"])
            elif message.get("bytes") is not None:
                await remote.send(message["bytes"])
        except ConnectionClosed:
            return


async def _to_browser(remote: ClientConnection, send: Send, scope: anyio.CancelScope) -> None:
    try:
        async for data in remote:
            if isinstance(data, str):
                await send({"type": "websocket.send", "text": data})
            else:
                await send({"type": "websocket.send", "bytes": data})
    except ConnectionClosed:
        pass
    # 1005 and 1006 only describe a close, they may not be sent (RFC 6455 7.4.1).
    code = {None: 1000, 1005: 1000, 1006: 1011, 1015: 1011}.get(remote.close_code)
    await send({"type": "websocket.close", "code": code or remote.close_code})
    scope.cancel()
