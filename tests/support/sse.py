"""One server-sent-event reader for the tests: reads a stream in the background, as EventSource."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SseEvent:
    kind: str
    data: str
    id: str | None

    def json(self) -> Any:
        return json.loads(self.data)


class EventStream:
    """The events of one stream so far, read by a daemon thread until ``close``."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: list[SseEvent] = []
        self._client = httpx.Client(timeout=None)
        self._closed = False
        self._thread = threading.Thread(target=self._read, args=(url, headers or {}), daemon=True)
        self._thread.start()

    def _read(self, url: str, headers: dict[str, str]) -> None:
        kind, data, event_id = "message", [], None
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                for line in response.iter_lines():
                    if self._closed:
                        return
                    if line.startswith("event: "):
                        kind = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        data.append(line.removeprefix("data: "))
                    elif line.startswith("id: "):
                        event_id = line.removeprefix("id: ")
                    elif line == "" and data:
                        self.events.append(SseEvent(kind, "\n".join(data), event_id))
                        kind, data, event_id = "message", [], None
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by the test, or devserve stopped

    def of(self, kind: str) -> list[SseEvent]:
        return [event for event in self.events if event.kind == kind]

    def wait(self, condition: Callable[[EventStream], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self):
            assert time.monotonic() < deadline, f"condition not met; events: {self.events}"
            time.sleep(0.02)

    def close(self) -> None:
        self._closed = True
        self._client.close()


@contextmanager
def event_stream(url: str, headers: dict[str, str] | None = None) -> Iterator[EventStream]:
    stream = EventStream(url, headers)
    try:
        yield stream
    finally:
        stream.close()
