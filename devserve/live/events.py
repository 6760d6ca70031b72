"""Server-sent events: the event names and payloads (the wire format), a hub of named
channels, and the ASGI loop that streams one channel to a client."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from starlette.datastructures import Headers, QueryParams
from starlette.types import Receive, Scope, Send

# A comment line every so often keeps idle streams from being cut by proxies and sleep.
KEEPALIVE_SECONDS = 15.0
# Browser tabs each hold one stream; hundreds means something is leaking or attacking.
MAX_STREAMS_PER_CHANNEL = 100
MAX_STREAMS = 400
# Events a stream may fall behind by (beyond its replayed history) before it is ended.
QUEUE_LIMIT = 256
# Events kept per channel for streams that connect later (a page whose script connects after
# its own fetches were blocked, a dashboard opened after the requests).
HISTORY = 200

# Event names, shared with templates/livereload.js (pages) and templates/dashboard.js; a test
# checks that each script listens for exactly its set.
RELOAD = "reload"  # pages: reload now; dashboard: {"origin", "kind"} of a page refresh
CSS = "css"  # pages: only stylesheets changed, swap them in place
CONFIG = "config"  # {"error": text or null}: the config file's state, for pages and dashboard
# pages: a request from this page was blocked, and why; or its response's cookies are lost
# ("blocked": false, "cookies": ["session dropped: ..."])
CORS_BLOCKED = "cors-blocked"
REQUEST = "request"  # dashboard: one request record
ORIGINS = "origins"  # dashboard: every origin's state
SOCKET = "socket"  # dashboard: a mock socket opened, a frame in or out, a close
PAGE_EVENTS = frozenset({RELOAD, CSS, CONFIG, CORS_BLOCKED, ORIGINS})
DASHBOARD_EVENTS = frozenset({RELOAD, CONFIG, REQUEST, ORIGINS, SOCKET})

# The dashboard's channel: not a valid origin name, so it can never clash with an origin's.
DASHBOARD_CHANNEL = "#control"


@dataclass(frozen=True)
class Event:
    """One server-sent event; ``id`` and ``at`` are set on events kept in a channel's history.

    ``payload`` is the data as text, or a value (or a function giving one) sent as compact
    JSON: encoded on first use, so an event nobody is listening to yet costs next to nothing
    (one is kept for every request, for a dashboard opened later).
    """

    kind: str
    payload: object = ""  # text, a JSON value, or a Callable[[], object] giving one
    id: str | None = None
    at: float = 0.0

    @cached_property
    def data(self) -> str:
        if isinstance(self.payload, str):
            return self.payload
        value = self.payload() if callable(self.payload) else self.payload
        return json.dumps(value, separators=(",", ":"))

    def encode(self) -> bytes:
        lines = "".join(f"data: {line}\n" for line in self.data.split("\n"))
        # The browser sends the last id back as Last-Event-ID when it reconnects.
        head = f"id: {self.id}\n" if self.id else ""
        return f"{head}event: {self.kind}\n{lines}\n".encode()


_CLOSE = Event("close")


def json_event(kind: str, data: object) -> Event:
    """An event whose data is compact JSON (one line on the wire)."""
    return Event(kind, data)


def config_event(error: str | None) -> Event:
    """The config file's state: the error every page and the dashboard show, or None."""
    return json_event(CONFIG, {"error": error})


@dataclass(frozen=True)
class Resume:
    """Which kept events a new stream still needs: after ``last_id``, and from ``since`` on."""

    last_id: str | None = None
    since: float | None = None

    @classmethod
    def from_scope(cls, scope: Scope) -> Resume:
        """``Last-Event-ID`` (sent on reconnect) and ``?since=`` (epoch ms, sent by pages)."""
        last_id = Headers(scope=scope).get("last-event-id")
        if last_id is not None and (len(last_id) > 64 or not last_id.isprintable()):
            last_id = None
        since: float | None = None
        raw = QueryParams(scope.get("query_string", b"")).get("since", "")
        try:
            since = float(raw[:32]) / 1000 if raw else None
        except ValueError:
            since = None
        if since is not None and not math.isfinite(since):
            since = None
        return cls(last_id=last_id, since=since)


class Hub:
    """Fans events out to every open stream of a channel (an origin's pages, the dashboard)."""

    def __init__(
        self,
        history: int = HISTORY,
        *,
        max_per_channel: int = MAX_STREAMS_PER_CHANNEL,
        max_total: int = MAX_STREAMS,
    ) -> None:
        self.max_per_channel = max_per_channel
        self.max_total = max_total
        self._queues: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._history: dict[str, deque[Event]] = defaultdict(lambda: deque(maxlen=history))
        # Ids start with this process's epoch: a stream that reconnects to a restarted devserve
        # gets that process's whole history, not only ids above the old process's count.
        self._epoch = f"{os.getpid():x}{time.time_ns() % 0xFFFFFF:x}"
        self._ids = itertools.count(1)
        self._closed = False

    def subscribe(self, channel: str, initial: Iterable[Event] = ()) -> asyncio.Queue[Event]:
        initial = list(initial)
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_LIMIT + len(initial))
        for event in initial:
            queue.put_nowait(event)
        if self._closed:  # opened as devserve stops: it ends right after what it was given
            queue.put_nowait(_CLOSE)
        self._queues[channel].add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue[Event]) -> None:
        self._queues[channel].discard(queue)

    def publish(self, channel: str, event: Event, *, keep: bool = False) -> None:
        """Send ``event`` to the channel's streams; ``keep`` also replays it to later ones."""
        if keep:
            number = f"{self._epoch}-{next(self._ids)}"
            event = Event(event.kind, event.payload, number, time.time())
            self._history[channel].append(event)
        for queue in list(self._queues.get(channel, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a client that stopped reading: end its stream
                self.unsubscribe(channel, queue)
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(_CLOSE)

    def refusal(self, channel: str) -> str | None:
        """Why one more stream on ``channel`` is refused, or None."""
        if self.listeners(channel) >= self.max_per_channel:
            return (
                f"devserve: already {self.max_per_channel} event streams open here; close some tabs"
            )
        if sum(len(queues) for queues in self._queues.values()) >= self.max_total:
            return f"devserve: already {self.max_total} event streams open in all; close some tabs"
        return None

    def kept(self, channel: str, resume: Resume | None = None) -> list[Event]:
        """The channel's kept events a stream resuming at ``resume`` has not seen yet.

        Pass the result as ``initial`` to ``stream`` with no await in between, so no event
        is both replayed and delivered live.
        """
        events = list(self._history.get(channel, ()))
        if resume is None:
            return events
        epoch, _, number = (resume.last_id or "").partition("-")
        if epoch == self._epoch and number.isdigit():
            events = [e for e in events if int((e.id or "-0").rpartition("-")[2]) > int(number)]
        if resume.since is not None:
            events = [e for e in events if e.at >= resume.since]
        return events

    def publish_all(self, event: Event) -> None:
        for channel in list(self._queues):
            self.publish(channel, event)

    def listeners(self, channel: str) -> int:
        return len(self._queues.get(channel, ()))

    def end(self, channel: str) -> None:
        """End the open streams of one channel, so its server can stop without waiting."""
        self.publish(channel, _CLOSE)

    def close(self) -> None:
        """End every open stream, and any opened from now on, so shutdown does not wait for
        clients to hang up."""
        self._closed = True
        self.publish_all(_CLOSE)

    async def stream(
        self, channel: str, receive: Receive, send: Send, initial: Iterable[Event] = ()
    ) -> None:
        """Answer one request with the channel's events until the client or the hub ends it.

        Bounded: at most ``max_per_channel`` streams per channel and ``max_total`` in all (more
        get 503), and a stream that falls ``QUEUE_LIMIT`` events behind is ended (its
        EventSource reconnects) instead of queueing without end.
        """
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
