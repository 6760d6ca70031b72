"""The open event streams and sockets of one origin: counted (bounded), found by path for a
broadcast, and ended together when the origin stops or is rebuilt by a config change.

The ground floor: mock event streams (``mocks/stream.py``) and mock sockets (``sockets/``) each
register here through the scope (``CONNECTIONS_KEY``), and the registry ends them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Iterator
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

# Where an origin's Connections is left in every request's scope.
CONNECTIONS_KEY = "devserve.connections"
# Mock event streams one origin keeps open at once; more get a 503 (pages leak EventSources).
MAX_STREAMS = 200
# Frames kept per socket path for a dashboard opened later (and GET .../sockets).
FRAME_HISTORY = 100


class Client(Protocol):
    """One open mock socket, as the origin sees it."""

    @property
    def number(self) -> int: ...

    @property
    def path(self) -> str: ...

    def offer(self, text: str) -> bool:
        """Queue ``text`` for the client; False if it was dropped instead (it fell behind)."""
        ...

    def end(self, code: int, reason: str) -> None:
        """Close the socket with ``code`` (at once if the client does not read)."""
        ...


class Connections:
    """One origin's open event streams and sockets."""

    def __init__(self, max_streams: int | None = None) -> None:
        self.max_streams = MAX_STREAMS if max_streams is None else max_streams
        self.streams = 0
        self.ended = False  # the origin stopped: streams end at once, no new one opens
        self.ended_with: tuple[int, str] = (1001, "")
        self._waiters: set[asyncio.Future[None]] = set()
        self._sockets: dict[str, set[Client]] = defaultdict(set)  # by the socket's config path
        self._frames: dict[str, deque[dict[str, Any]]] = defaultdict(
            lambda: deque(maxlen=FRAME_HISTORY)
        )
        self._numbers = iter(range(1, 1 << 62))

    # ---- event streams ----------------------------------------------------------------------

    def open_stream(self) -> bool:
        """Count one more open stream; False (refuse it) when ``max_streams`` are open."""
        if self.streams >= self.max_streams or self.ended:
            return False
        self.streams += 1
        return True

    def close_stream(self) -> None:
        self.streams -= 1

    def on_end(self) -> asyncio.Future[None]:
        """A future of the running loop, done when the origin's connections end."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.ended:
            future.set_result(None)
        else:
            self._waiters.add(future)
            future.add_done_callback(self._waiters.discard)
        return future

    # ---- sockets ----------------------------------------------------------------------------

    def next_number(self) -> int:
        """A number for a new connection, unique within this origin (log lines, dashboard)."""
        return next(self._numbers)

    def count(self, key: str) -> int:
        return len(self._sockets.get(key, ()))

    def add(self, key: str, client: Client) -> None:
        self._sockets[key].add(client)

    def remove(self, key: str, client: Client) -> None:
        self._sockets[key].discard(client)

    def clients(self, key: str | None = None) -> Iterator[Client]:
        if key is not None:
            yield from list(self._sockets.get(key, ()))
            return
        for clients in list(self._sockets.values()):
            yield from list(clients)

    def send(self, key: str, path: str | None, text: str) -> int:
        """Offer ``text`` to every client of socket ``key`` (only those at ``path`` if given);
        how many got it queued."""
        sent = 0
        for client in self.clients(key):
            if (path is None or client.path == path) and client.offer(text):
                sent += 1
        return sent

    def remember(self, key: str, frame: dict[str, Any]) -> None:
        self._frames[key].append(frame)

    def frames(self, key: str) -> list[dict[str, Any]]:
        return list(self._frames.get(key, ()))

    # ---- the end ----------------------------------------------------------------------------

    def end(self, code: int = 1001, reason: str = "") -> None:
        """End every stream and close every socket (``code``: 1001 when the origin stops, 1012
        when a config change rebuilds it)."""
        if self.ended:
            return
        self.ended, self.ended_with = True, (code, reason)
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(None)
        for client in self.clients():
            client.end(code, reason)


def connections_of(scope: Scope) -> Connections:
    """The origin's Connections, or a fresh one for an app built without (a unit test)."""
    found = scope.get(CONNECTIONS_KEY)
    if isinstance(found, Connections):
        return found
    fresh = Connections()
    scope[CONNECTIONS_KEY] = fresh
    return fresh


class Tracked:
    """Leaves the origin's Connections in every request's scope, for the layers that stream."""

    def __init__(self, app: ASGIApp, connections: Connections) -> None:
        self.app = app
        self.connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope[CONNECTIONS_KEY] = self.connections
        await self.app(scope, receive, send)
