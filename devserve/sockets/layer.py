"""The WebSocket mocks of an origin (``[[origins.NAME.sockets]]``): a handshake to one of their
paths opens a mock socket; every other request goes on down the origin's layers.

Who may connect is decided once, by the cross-site guard, with each socket's own
``allow_origins`` (``door``): browsers apply no CORS to sockets, so the origin's CORS policy
has no say here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.convertors import Convertor
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.config.live import Socket
from devserve.connections import Connections
from devserve.cors.guard import SocketDoor
from devserve.mocks.limits import Limits
from devserve.records import SocketObserver
from devserve.sockets.script import Script, compile_script
from devserve.sockets.session import Place, serve_socket


@dataclass(frozen=True)
class _Entry:
    config: Socket
    pattern: re.Pattern[str]
    convertors: dict[str, Convertor[Any]]
    script: Script
    place: Place
    door: SocketDoor


def compile_sockets(
    origin: str, sockets: list[Socket], limits: Limits, problems: list[str]
) -> list[tuple[Socket, Script]]:
    """Every socket of an origin compiled; template and regex errors go to ``problems``."""
    return [
        (socket, compile_script(socket, where=f"origins.{origin}.sockets[{i}]", limits=limits,
                                problems=problems))
        for i, socket in enumerate(sockets)
    ]


class MockSockets:
    """The sockets layer of an origin; what is not a handshake to one of them goes to ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        origin: str,
        compiled: list[tuple[Socket, Script]],
        *,
        limits: Limits,
        connections: Connections,
        observer: SocketObserver | None = None,
    ) -> None:
        self.app = app
        self.entries: list[_Entry] = []
        for index, (socket, script) in enumerate(compiled):
            label = f"origins.{origin}.sockets[{index}] ({socket.path})"
            pattern, _, convertors = compile_path(socket.path)
            place = Place(origin, socket.path, label, connections, observer, limits)
            allowed = None if socket.allow_origins is None else frozenset(socket.allow_origins)
            door = SocketDoor(f"origins.{origin}.sockets[{index}]", socket.path, allowed)
            self.entries.append(_Entry(socket, pattern, convertors, script, place, door))

    def _find(self, path: str) -> tuple[_Entry, dict[str, Any]] | None:
        for entry in self.entries:
            found = entry.pattern.match(path)
            if found is not None:
                params = {k: entry.convertors[k].convert(v) for k, v in found.groupdict().items()}
                return entry, params
        return None

    def door(self, path: str) -> SocketDoor | None:
        """Who may open a socket at ``path`` (for the cross-site guard), or None: no socket."""
        found = self._find(path)
        return None if found is None else found[0].door

    def key_for(self, path: str) -> tuple[str, str | None] | None:
        """The socket a broadcast to ``path`` reaches: its configured path, and the one path
        its clients must be at (None: all of them); None when no socket is there."""
        for entry in self.entries:
            if entry.config.path == path:
                return path, None
        found = self._find(path)
        return None if found is None else (found[0].config.path, path)

    @property
    def paths(self) -> list[str]:
        return [entry.config.path for entry in self.entries]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            found = self._find(scope["path"])
            if found is not None:
                entry, params = found
                await serve_socket(entry.script, entry.place, params, scope, receive, send)
                return
        await self.app(scope, receive, send)
