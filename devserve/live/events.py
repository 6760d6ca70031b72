"""Server-sent events: a hub of named channels and the ASGI loop that streams one to a client."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import Receive, Send

# A comment line every so often keeps idle streams from being cut by proxies and sleep.
KEEPALIVE_SECONDS = 15.0
# Browser tabs each hold one stream; hundreds means something is leaking or attacking.
MAX_STREAMS_PER_CHANNEL = 100
MAX_STREAMS = 400
QUEUE_LIMIT = 256


@dataclass(frozen=True)
class Event:
    """One server-sent event."""

    kind: str
    data: str = ""

    def encode(self) -> bytes:
        lines = "".join(f"data: {line}\n" for line in self.data.split("\n"))
        return f"event: {self.kind}\n{lines}\n".encode()


_CLOSE = Event("close")


class Hub:
    """Fans events out to every open stream of a channel (an origin's pages, the dashboard).

    Bounded: at most ``max_per_channel`` streams per channel and ``max_total`` in all (more
    are refused with 503), and a stream that falls ``QUEUE_LIMIT`` events behind is ended (its
    EventSource reconnects) instead of queueing without end.
    """

    def __init__(
        self, *, max_per_channel: int = MAX_STREAMS_PER_CHANNEL, max_total: int = MAX_STREAMS
    ) -> None:
        self._queues: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self.max_per_channel = max_per_channel
        self.max_total = max_total

    def subscribe(self, channel: str, initial: Iterable[Event] = ()) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        for event in initial:
            queue.put_nowait(event)
        self._queues[channel].add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue[Event]) -> None:
        self._queues[channel].discard(queue)

    def refusal(self, channel: str) -> str | None:
        """Why one more stream on ``channel`` is refused, or None."""
        if self.listeners(channel) >= self.max_per_channel:
            return (
                f"devserve: already {self.max_per_channel} event streams open here; close some tabs"
            )
        if sum(len(queues) for queues in self._queues.values()) >= self.max_total:
            return f"devserve: already {self.max_total} event streams open in all; close some tabs"
        return None

    def publish(self, channel: str, event: Event) -> None:
        for queue in list(self._queues.get(channel, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a client that stopped reading: end its stream
                self.unsubscribe(channel, queue)
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(_CLOSE)

    def publish_all(self, event: Event) -> None:
        for channel in list(self._queues):
            self.publish(channel, event)

    def listeners(self, channel: str) -> int:
        return len(self._queues.get(channel, ()))

    def close(self) -> None:
        """End every open stream, so shutdown does not wait for clients to hang up."""
        self.publish_all(_CLOSE)

    async def stream(
        self, channel: str, receive: Receive, send: Send, initial: Iterable[Event] = ()
    ) -> None:
        """Answer one request with the channel's events until the client or the hub ends it."""
        refusal = self.refusal(channel)
        if refusal is not None:
            await _refuse(send, refusal)
            return
        queue = self.subscribe(channel, initial)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream"),
                        (b"cache-control", b"no-cache"),
                    ],
                }
            )
            await _body(send, b"retry: 500\n\n")
            disconnected = asyncio.ensure_future(_wait_disconnect(receive))
            try:
                while True:
                    getter = asyncio.ensure_future(queue.get())
                    done, _ = await asyncio.wait(
                        {getter, disconnected},
                        timeout=KEEPALIVE_SECONDS,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if disconnected in done:
                        getter.cancel()
                        return
                    if getter not in done:
                        getter.cancel()
                        await _body(send, b": ping\n\n")
                        continue
                    event = getter.result()
                    if event is _CLOSE:
                        break
                    await _body(send, event.encode())
            finally:
                disconnected.cancel()
            await send({"type": "http.response.body", "body": b""})
        except OSError:
            pass  # the client went away mid-write
        finally:
            self.unsubscribe(channel, queue)


async def _refuse(send: Send, reason: str) -> None:
    body = (reason + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"5"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _body(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
