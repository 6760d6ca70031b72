"""WebSocket files of a mock folder: ``chat.WS.mock.json`` answers a handshake at ``/chat`` with
the keys of a socket (on_connect, rules, echo, close, or a recorded ``conversation``), never
templated; its ``match`` (query, headers, cookies) picks among several. Proxy recordings of
sockets are written in this form, and replayed by this reader."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio.to_thread
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.config.messages import ROUTE, describe
from devserve.config.mocks import SocketFile
from devserve.denials import refuse_websocket
from devserve.mocks.matching import compile_match
from devserve.mocks.names import SOCKET_METHOD, parse_name, path_names
from devserve.sockets.script import Script, compile_script
from devserve.sockets.session import Place, handshake_data, serve_socket


class InvalidSocketFile(Exception):
    """A socket file that cannot be used; the message names the file and the problem."""


class SocketFiles:
    """The WebSocket files of a folder; a handshake no file answers goes on to ``app``."""

    def __init__(self, root: Path, app: ASGIApp, place: Place) -> None:
        self.root = os.path.realpath(root)
        self.app = app
        self.place = place  # its key is replaced by each request's path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        try:
            found = await anyio.to_thread.run_sync(self.find, scope)
        except InvalidSocketFile as exc:
            await refuse_websocket(scope, send, 500, str(exc))
            return
        if found is None:
            await self.app(scope, receive, send)
            return
        place = replace(self.place, key=scope["path"], label=found[0])
        await serve_socket(found[1], place, {}, scope, receive, send)

    def find(self, scope: Scope) -> tuple[str, Script] | None:
        """The first socket file whose ``match`` holds for this handshake (files with a
        ``match`` first), compiled; None when no file is there."""
        data = handshake_data(scope, {})
        files = socket_files(self.root, scope["path"])
        chosen = sorted(files, key=lambda f: (f[1].match is None, f[0]))
        for relative, config in chosen:
            if config.match is not None:
                problems: list[str] = []
                matcher = compile_match(config.match, where=relative, problems=problems)
                if problems:
                    raise InvalidSocketFile("; ".join(problems))
                if matcher.failure(data):
                    continue
            problems = []
            script = compile_script(
                config, where=relative, limits=self.place.limits, problems=problems, literal=True
            )
            if problems:
                raise InvalidSocketFile("; ".join(problems))
            return relative, script
        return None


def socket_files(root: str, path: str) -> Iterator[tuple[str, SocketFile]]:
    """The socket files for a handshake at ``path`` in the folder ``root`` (a real path)."""
    parents, name = path_names(path)
    folder = os.path.realpath(os.path.join(root, *parents))
    if not (folder == root or folder.startswith(root + os.sep)) or not os.path.isdir(folder):
        return
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        parsed = parse_name(entry.name, name)
        if parsed is None or parsed.method != SOCKET_METHOD or not parsed.envelope:
            continue
        real = os.path.realpath(entry.path)
        if not real.startswith(root + os.sep) or not entry.is_file():
            continue
        relative = os.path.relpath(real, root)
        yield relative, read_socket_file(Path(real), relative)


def read_socket_file(file: Path, relative: str) -> SocketFile:
    """A socket file's keys; InvalidSocketFile names the file and what is wrong."""
    try:
        data: Any = json.loads(file.read_bytes())
    except OSError as exc:
        raise InvalidSocketFile(f"{relative}: cannot read it ({exc.strerror})") from None
    except (ValueError, RecursionError) as exc:
        raise InvalidSocketFile(f"{relative}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidSocketFile(f"{relative}: a socket file is a JSON object with a socket's keys")
    try:
        return SocketFile.model_validate(data)
    except ValidationError as exc:
        raise InvalidSocketFile(f"{relative}: {'; '.join(describe(exc, within=ROUTE))}") from None


def nearest_socket(root: Path, scope: Scope) -> dict[str, Any] | None:
    """The socket file at the handshake's path that came closest, and what differs (for a
    replay miss); None when there is none at that path."""
    data = handshake_data(scope, {})
    best: tuple[int, dict[str, Any]] | None = None
    try:
        files = list(socket_files(os.path.realpath(root), scope["path"]))
    except InvalidSocketFile:
        return None
    for relative, config in files:
        differs: list[str] = []
        if config.match is not None:
            differs = compile_match(config.match, where="match", problems=[]).failures(data)
        if best is None or len(differs) < best[0]:
            best = (len(differs), {"file": relative, "differs": differs})
    return None if best is None else best[1]
