"""A route whose answer is an event stream (``stream = [...]``): its events sent one by one with
their delays, looping with ``stream_repeat``, resumed after ``Last-Event-ID`` without repeating
an event, cut after ``stream_cut_after`` events (a page's reconnect, tested).

The response goes out through the origin's layers like any other (CORS headers, the verdict, the
log line, written when the stream ends). Event data templates render in a renderer process, once
per pass over the list. A stream ends at once when the client leaves or the origin stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from devserve.config.live import StreamEvent
from devserve.config.mocks import Behaviour
from devserve.connections import Connections, connections_of
from devserve.mocks import faults, sse
from devserve.mocks.limits import Limits
from devserve.mocks.rendering import Rendered
from devserve.mocks.templates import RenderError
from devserve.mocks.values import Value
from devserve.records import NOTE_KEY

# An idle stream sends a comment this often, so proxies and sleeping laptops keep it open.
KEEPALIVE_SECONDS = 15.0
_STREAM_HEADERS = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
)


@dataclass(frozen=True)
class CompiledStream:
    """A route's stream, its data templates compiled (one Value for the whole list)."""

    events: tuple[StreamEvent, ...]
    data: Value  # every event's data, as a list of {"data": ...} (its key path in messages)
    as_text: tuple[bool, ...]  # each event's data was written as text (else it is JSON)
    ids: sse.Ids
    repeat: bool
    cut_after: int
    retry_ms: int | None
    timing: float  # 1.0: the delays as written; 0.0: none (replay_timing = "compressed")

    @property
    def needs(self) -> frozenset[str]:
        return self.data.needs

    async def play(
        self,
        rendered: Rendered,
        data: dict[str, Any],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> str | None:
        """Answer with the stream: 204 when the page has seen all of it, 503 past the cap.
        Returns why it could not begin (a template failed), for the caller's 500."""
        last = Headers(scope=scope).get("last-event-id")
        start = sse.resume_at(self.ids, last, repeat=self.repeat)
        if start is None:
            # The HTML standard: a 204 tells an EventSource to stop reconnecting.
            scope[NOTE_KEY] = f"stream finished: Last-Event-ID {last!r} was its last event"
            await Response(status_code=204)(scope, receive, send)
            return None
        if last is not None and self.ids.find(last) is None:
            scope[NOTE_KEY] = f"Last-Event-ID {last[:64]!r} is no id of this stream: from the start"
        try:
            values = await self.data.render(data)
        except RenderError as exc:
            return exc.reason
        connections = connections_of(scope)
        if not connections.open_stream():
            await _too_many(connections, scope, receive, send)
            return None
        try:
            await self._stream(rendered, values, data, start, connections, scope, receive, send)
        finally:
            connections.close_stream()
        return None

    async def _stream(
        self,
        rendered: Rendered,
        values: list[Any],
        data: dict[str, Any],
        start: tuple[int, int],
        connections: Connections,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        headers = _headers(rendered)
        await send({"type": "http.response.start", "status": rendered.status, "headers": headers})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        watch = _Watch(receive, connections)
        try:
            if self.retry_ms is not None:
                await _chunk(send, sse.retry_line(self.retry_ms))
            lap, index = start
            sent = 0
            while True:
                event = self.events[index]
                if not await watch.sleep(event.delay_ms * self.timing / 1000, send):
                    break
                try:
                    text = sse.data_text(values[index]["data"], written_as_text=self.as_text[index])
                except (ValueError, TypeError) as exc:  # NaN in a file: the status is gone
                    scope[NOTE_KEY] = f"stream[{index}].data cannot be sent ({exc})"
                    break
                chunk = sse.encode(
                    text, event=event.event, id=self.ids.of(index, lap), retry=event.retry
                )
                await _chunk(send, chunk)
                sent += 1
                if self.cut_after and sent >= self.cut_after:
                    scope[NOTE_KEY] = f"stream cut after {sent} event(s) (stream_cut_after)"
                    if scope.get(faults.TRANSPORT_KEY) is not None:
                        watch.stop()  # trigger reads the disconnect itself
                        await faults.trigger("close", scope, receive)
                        return
                    break  # no connection to cut (a test client): the stream just ends
                index += 1
                if index == len(self.events):
                    if not self.repeat:
                        break
                    lap, index = lap + 1, 0
                    try:
                        values = await self.data.render(data)
                    except RenderError as exc:  # the status is gone: end it, and say why
                        scope[NOTE_KEY] = exc.reason
                        break
            await send({"type": "http.response.body", "body": b""})
        except OSError:
            pass  # the client left mid-write
        finally:
            watch.stop()


def compile_stream(
    config: Behaviour,
    *,
    where: str,
    limits: Limits,
    problems: list[str],
    literal: bool,
    timing: float,
) -> CompiledStream | None:
    """The route's stream compiled, or None if it has none."""
    if config.stream is None:
        return None
    events = tuple(config.stream)
    data = Value.compile(
        [{"data": event.data} for event in events],
        where=f"{where}.stream",
        limits=limits,
        problems=problems,
        literal=literal,
    )
    return CompiledStream(
        events=events,
        data=data,
        as_text=tuple(isinstance(event.data, str) for event in events),
        ids=sse.Ids(tuple(event.id for event in events)),
        repeat=config.stream_repeat,
        cut_after=config.stream_cut_after,
        retry_ms=config.retry_ms,
        timing=timing,
    )


def _headers(rendered: Rendered) -> list[tuple[bytes, bytes]]:
    own = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in rendered.headers]
    given = {name for name, _ in own}
    return [*(pair for pair in _STREAM_HEADERS if pair[0] not in given), *own]


async def _chunk(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _too_many(connections: Connections, scope: Scope, receive: Receive, send: Send) -> None:
    error = (
        f"already {connections.max_streams} event streams open on this origin; close some "
        "pages (or their EventSources)"
    )
    scope[NOTE_KEY] = error
    await JSONResponse({"error": error}, 503, headers={"Retry-After": "5"})(scope, receive, send)


class _Watch:
    """Waits between events, and notices the client leaving or the origin stopping."""

    def __init__(self, receive: Receive, connections: Connections) -> None:
        self.gone = asyncio.ensure_future(_disconnected(receive))
        self.ending = connections.on_end()

    async def sleep(self, seconds: float, send: Send) -> bool:
        """Wait ``seconds`` (a comment every KEEPALIVE_SECONDS); False if the stream must end."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while True:
            if self.gone.done() or self.ending.done():
                return False
            left = until - loop.time()
            if left <= 0:
                return True
            idle = left > KEEPALIVE_SECONDS  # a long wait: a comment every so often
            done, _ = await asyncio.wait(
                {self.gone, self.ending}, timeout=KEEPALIVE_SECONDS if idle else left
            )
            if not done and idle:
                await _chunk(send, sse.comment("keep-alive"))

    def stop(self) -> None:
        for task in (self.gone, self.ending):
            task.cancel()


async def _disconnected(receive: Receive) -> None:
    with contextlib.suppress(OSError):
        while (await receive())["type"] != "http.disconnect":
            pass


def stream_needs(streams: Sequence[CompiledStream | None]) -> frozenset[str]:
    return frozenset().union(*(s.needs for s in streams if s is not None))
