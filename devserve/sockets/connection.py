"""One open mock socket: what devserve sends it goes through a bounded queue and one sender task,
so a page that stops reading is dropped once ``max_queued`` messages wait, instead of devserve
buffering for it without end (and no broadcast ever waits on a slow page)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from starlette.types import Scope, Send

from devserve.mocks.faults import TRANSPORT_KEY
from devserve.sockets.report import Payload, SocketLog

# A close devserve sent must be done within this long, else the connection is cut (a page that
# does not read never takes the close frame either).
CLOSE_SECONDS = 1.0


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


class Connection:
    """A mock socket's connection once accepted (the ``Client`` that broadcasts reach)."""

    def __init__(
        self,
        *,
        number: int,
        scope: Scope,
        send: Send,
        max_queued: int,
        log: SocketLog,
    ) -> None:
        self.number = number
        self.path: str = scope["path"]
        self._send = send
        self._transport = scope.get(TRANSPORT_KEY)
        self._queue: asyncio.Queue[Payload | _Close] = asyncio.Queue(maxsize=max_queued)
        self.log = log
        self.closing: _Close | None = None  # devserve is closing it (sent, or queued)
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # ---- what others ask ----------------------------------------------------------------------

    def offer(self, payload: Payload) -> bool:
        """Queue a message; False when the connection is closing or the page fell behind (it
        is then dropped: its connection cut, with a log line that says why)."""
        if self.closing is not None or self.done.done():
            return False
        try:
            self._queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.drop(
                f"dropped: {self._queue.maxsize} messages were waiting and the page read none "
                "of them (max_queued)"
            )
            return False
        return True

    def end(self, code: int, reason: str) -> None:
        """Close from devserve's side, after what is queued; cut it if that does not happen
        within CLOSE_SECONDS (the page does not read)."""
        if self.closing is not None or self.done.done():
            return
        self.closing = _Close(code, reason)
        try:
            self._queue.put_nowait(self.closing)
        except asyncio.QueueFull:  # the sender is stuck on a page that reads nothing
            self.drop(f"closing with {code}, but {self._queue.maxsize} messages wait unread")
            return
        asyncio.get_running_loop().call_later(CLOSE_SECONDS, self._overdue)

    def drop(self, why: str) -> None:
        """Cut the connection now (a page that does not read takes no close frame either)."""
        if self.done.done():
            return
        self.log.closed(1006, "", "devserve", why)
        self._finish()
        if self._transport is not None:
            self._transport.abort()

    def left(self, code: int, reason: str) -> None:
        """The page closed (or its connection went away)."""
        if self.done.done():
            return
        if self.closing is not None:  # the page answering devserve's close
            self.log.closed(self.closing.code, self.closing.reason, "devserve")
        elif code == 1009:  # the server refused a frame over the origin's largest message
            self.log.closed(code, reason, "devserve", "a message over max_message_bytes")
        else:
            self.log.closed(code, reason, "client")
        self._finish()

    async def sleep(self, seconds: float) -> bool:
        """Wait; False if the connection ended meanwhile."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.done), seconds)
        return not self.done.done() and self.closing is None

    # ---- the sender ---------------------------------------------------------------------------

    async def run_sender(self) -> None:
        """Send what is queued, in order, until a close is sent or the connection ends."""
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, _Close):
                    await self._send(
                        {"type": "websocket.close", "code": item.code, "reason": item.reason}
                    )
                    return
                if isinstance(item, str):
                    await self._send({"type": "websocket.send", "text": item})
                else:
                    await self._send({"type": "websocket.send", "bytes": item})
                self.log.frame("out", item)
        except Exception:  # the connection is gone (uvicorn's ClientDisconnected, OSError)
            return

    def _overdue(self) -> None:
        if not self.done.done():
            self.drop(f"the page did not answer the close within {CLOSE_SECONDS:g} s")

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)
