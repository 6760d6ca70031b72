"""One reader of server-sent event streams (a page's live-reload stream, the dashboard's), in a
background thread, that a test can wait on until the server has subscribed it."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from tests.support.waiting import wait_until


class EventReader:
    """Reads ``url`` as an EventSource does; ``events`` holds ``(name, data)`` in order, and
    ``ids`` each one's SSE id (or None). ``headers`` go with the request, e.g. Last-Event-ID.

    devserve subscribes a stream before it sends the response headers, so once they arrive
    (``wait_subscribed``) every event published afterwards reaches this reader.
    """

    def __init__(
        self, url: str, *, subscribe: bool = True, headers: dict[str, str] | None = None
    ) -> None:
        self.url = url
        self.headers = headers or {}
        self.events: list[tuple[str, str]] = []
        self.ids: list[str | None] = []
        self.status: int | None = None
        self.ended = False
        self._subscribed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        if subscribe:
            self.wait_subscribed()

    def wait_subscribed(self, timeout: float = 10.0) -> None:
        if not self._subscribed.wait(timeout):
            raise AssertionError(f"the event stream {self.url} never opened")
        assert self.status == 200, f"the event stream {self.url} answered {self.status}"

    @property
    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def data(self, kind: str) -> list[Any]:
        """The JSON data of every ``kind`` event so far."""
        return [json.loads(data) for name, data in self.events if name == kind]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``count`` events named ``kind`` have arrived."""
        wait_until(
            lambda: self.kinds.count(kind) >= count,
            f"{count} {kind!r} event(s) on {self.url} (got {self.kinds})",
            timeout=timeout,
        )

    def wait_ended(self, timeout: float = 10.0) -> None:
        wait_until(lambda: self.ended, f"the end of {self.url}", timeout=timeout)

    def close(self) -> None:
        """Stop reading (the connection closes at the next line the server sends)."""
        self._stop.set()

    def _read(self) -> None:
        name, lines, event_id = "message", [], None
        try:
            with (
                httpx.Client(timeout=None) as client,
                client.stream("GET", self.url, headers=self.headers) as response,
            ):
                self.status = response.status_code
                self._subscribed.set()
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("event:"):
                        name = line.removeprefix("event:").strip()
                    elif line.startswith("data:"):
                        lines.append(line.removeprefix("data:").removeprefix(" "))
                    elif line.startswith("id:"):
                        event_id = line.removeprefix("id:").strip()
                    elif not line and lines:
                        self.ids.append(event_id)
                        self.events.append((name, "\n".join(lines)))
                        name, lines, event_id = "message", [], None
                    elif not line:
                        name = "message"
        except httpx.HTTPError:
            pass
        finally:
            self._subscribed.set()
            self.ended = True
