"""Copies of what went by live, to record: an event stream's events with their gaps, a socket's
frames both ways with their times. Bounded (a stream may never end): past ``MOST_EVENTS`` events
or ``MOST_BYTES`` the copy stops, what came before is kept, and the log says so."""

from __future__ import annotations

import base64
import codecs
import json
import time
from dataclasses import dataclass, field
from typing import Any

from devserve.proxy.tap import BodyTap

MOST_EVENTS = 1000  # events of one stream, frames of one conversation
MOST_BYTES = 10 * 1024 * 1024


@dataclass
class StreamEvent:
    """One server-sent event as received, and when (ms after the response began)."""

    data: str
    at_ms: int
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class EventLog:
    """Parses an event stream as it arrives (the HTML standard's rules, incrementally)."""

    def __init__(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.status = status
        self.headers = headers
        self.events: list[StreamEvent] = []
        self.retry_ms: int | None = None  # a retry: field sent on its own (before the events)
        self.problem: str | None = None
        self._started = time.monotonic()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""
        self._fields: dict[str, Any] = {}
        self._data: list[str] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        if self.problem is not None:
            return
        self._size += len(chunk)
        if self._size > MOST_BYTES or len(self.events) >= MOST_EVENTS:
            self.problem = f"recorded the first {len(self.events)} events only (the rest is over "
            self.problem += f"{MOST_EVENTS} events or {MOST_BYTES // (1024 * 1024)} MiB)"
            return
        text = self._pending + self._decoder.decode(chunk)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._pending = lines.pop()  # an unfinished line waits for the next chunk
        for line in lines:
            self._line(line)

    def _line(self, line: str) -> None:
        if not line:
            self._dispatch()
            return
        if line.startswith(":"):
            return  # a comment (a keep-alive)
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name in ("event", "id"):
            self._fields[name] = value
        elif name == "retry" and value.isdigit():
            self._fields["retry"] = int(value)

    def _dispatch(self) -> None:
        fields, data = self._fields, self._data
        self._fields, self._data = {}, []
        if not data:
            if "retry" in fields and not self.events:
                self.retry_ms = fields["retry"]
            return
        at_ms = int((time.monotonic() - self._started) * 1000)
        self.events.append(StreamEvent("\n".join(data), at_ms, **fields))


class StreamTap:
    """A forwarded response's copy: its events if it is an event stream, else its body."""

    def __init__(self, body: BodyTap) -> None:
        self.body = body
        self.events: EventLog | None = None

    def start(self, status: int, headers: list[tuple[str, str]]) -> None:
        media = next((v for n, v in headers if n == "content-type"), "")
        encoded = any(n == "content-encoding" for n, _ in headers)
        if media.split(";")[0].strip().lower() == "text/event-stream" and not encoded:
            self.events = EventLog(status, headers)
            return
        self.body.start(status, headers)

    async def feed(self, chunk: bytes) -> None:
        if self.events is not None:
            self.events.feed(chunk)
        else:
            await self.body.feed(chunk)


@dataclass
class Frame:
    """One frame of a live socket: who sent it, what, when (ms after the handshake)."""

    sender: str  # "server" or "client"
    at_ms: int
    payload: str | bytes | None = None
    close: tuple[int, str] | None = None

    def as_json(self, text: str | None) -> dict[str, Any]:
        """The frame as a recording keeps it, its text as redacted (``text``)."""
        entry: dict[str, Any] = {"from": self.sender}
        if self.close is not None:
            entry["close"] = {"code": self.close[0], "reason": self.close[1]}
        elif isinstance(self.payload, bytes):
            entry["base64"] = base64.b64encode(self.payload).decode()
        else:
            assert text is not None
            entry.update(readable(text))
        entry["at_ms"] = self.at_ms
        return entry


@dataclass
class Conversation:
    """A live socket's frames both ways, as they go by."""

    frames: list[Frame] = field(default_factory=list)
    problem: str | None = None
    _started: float = field(default_factory=time.monotonic)
    _size: int = 0

    def frame(self, sender: str, payload: str | bytes) -> None:
        if self.problem is not None:
            return
        self._size += len(payload)
        if self._size > MOST_BYTES or len(self.frames) >= MOST_EVENTS:
            self.problem = f"recorded the first {len(self.frames)} frames only"
            return
        self.frames.append(Frame(sender, self._now(), payload))

    def closed(self, sender: str, code: int, reason: str) -> None:
        if not any(frame.close for frame in self.frames):
            self.frames.append(Frame(sender, self._now(), close=(code, reason)))

    def _now(self) -> int:
        return int((time.monotonic() - self._started) * 1000)


def readable(text: str) -> dict[str, Any]:
    """``{"json": value}`` when the text is compact JSON devserve would send byte for byte
    (an object or array), so a recording reads as data; else ``{"text": text}``."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return {"text": text}
    compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, dict | list) and compact == text:
        return {"json": value}
    return {"text": text}
