"""Broken upstreams on purpose: a TCP reset, a closed connection, a request never answered.

ASGI gives an app no access to its connection, so the HTTP protocol class devserve gives
uvicorn (devserve.serving.protocol) puts the transport into each request's scope under
``TRANSPORT_KEY``.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct

from starlette.types import Receive, Scope

TRANSPORT_KEY = "devserve.transport"


async def delay(delay_ms: int, jitter_ms: int) -> None:
    """Wait ``delay_ms`` plus a random share of ``jitter_ms``, without holding any thread."""
    seconds = (delay_ms + random.uniform(0, jitter_ms)) / 1000
    if seconds > 0:
        await asyncio.sleep(seconds)


async def trigger(fault: str, scope: Scope, receive: Receive) -> None:
    """Break the connection as ``fault`` says, then wait until it is gone."""
    transport: asyncio.Transport | None = scope.get(TRANSPORT_KEY)
    if fault != "hang":
        if transport is None:
            raise RuntimeError(f"fault {fault!r} needs a real connection (run devserve)")
        if fault == "reset":
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
    # "hang" answers nothing and waits here, on the event loop, until the client gives up; for
    # reset and close this returns as soon as uvicorn has seen the connection go, so it does not
    # answer a "500 returned without a response" into a closed socket.
    while (await receive())["type"] != "http.disconnect":
        pass
