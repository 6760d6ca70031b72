"""A mock socket's incoming side: the page's messages read a few ahead (its close noticed at once,
even while devserve waits to answer), and the size limit (``max_message_bytes``, 1009)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.types import Message, Receive

from devserve.sockets.connection import Connection
from devserve.sockets.report import Payload

# Client messages read ahead of the script: few, so a fast page is held back by TCP, not memory.
READ_AHEAD = 16
Inbox = asyncio.Queue[Message | None]


def inbox() -> Inbox:
    return asyncio.Queue(maxsize=READ_AHEAD)


async def read_ahead(receive: Receive, box: Inbox, conn: Connection) -> None:
    """Read the page's messages into ``box``; its close ends the connection at once."""
    with contextlib.suppress(Exception):
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                conn.left(int(message.get("code") or 1005), str(message.get("reason") or ""))
                break
            if message["type"] == "websocket.receive":
                await box.put(message)
    with contextlib.suppress(asyncio.QueueFull):
        box.put_nowait(None)  # no more messages


async def next_message(box: Inbox, conn: Connection) -> Message | None:
    """The page's next message; None once the connection ended."""
    if conn.done.done():
        return None
    getter = asyncio.ensure_future(box.get())
    either: set[asyncio.Future[Any]] = {getter, conn.done}
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    if getter.done():
        return getter.result()
    getter.cancel()
    return None


def payload_of(message: Message) -> Payload:
    text = message.get("text")
    return text if text is not None else bytes(message.get("bytes") or b"")


def too_big(payload: Payload, limit: int, conn: Connection) -> bool:
    """Close with 1009 when a page's message is over ``limit`` (``max_message_bytes``)."""
    size = len(payload.encode() if isinstance(payload, str) else payload)
    if size <= limit:
        return False
    why = f"message of {size:,} bytes, over max_message_bytes ({limit:,})"
    conn.log.frame("in", f"<{size:,} bytes>", note=f"refused: {why}")
    conn.end(1009, "message too big")
    return True
