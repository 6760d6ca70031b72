"""Mock folders (``mocks = "dir"``): files answer requests by their names, read on every request.

A request ``METHOD /a/b/NAME`` is answered from the folder ``DIR/a/b/`` (``NAME`` is
``index`` for ``/`` and for paths ending in ``/``; unusual segments are percent-encoded, see
devserve/mocks/names.py) by a file named::

    NAME[.METHOD][.STATUS][.LABEL...].EXT

- ``METHOD``: upper-case letters (``POST``, ``DELETE``); absent means ``GET``, which also
  answers ``HEAD`` when there is no ``HEAD`` file.
- ``STATUS``: three digits, 100-599; absent means 200.
- ``LABEL``: any other dot-free word (``page-2``, ``v2``): tells variants of one request apart.
- ``EXT``: the Content-Type (``.json``, ``.txt``, ``.html``, ...), and the body is the file,
  sent as it is. ``.mock.json`` is an *envelope* instead: a JSON object with the keys of a
  route (``status``, ``headers``, ``json``/``body``/``file``, ``match``, ``responses`` and
  ``order``, ``delay_ms``, ``jitter_ms``, ``fault``), never templated; its ``file`` is relative
  to its folder (keep raw bodies in a dot-folder such as ``.bodies/``: dot names are never served).

A file named exactly ``NAME`` (``/logo.png`` → ``logo.png``) answers ``GET`` as it is. Among the
files for a request, envelopes with a ``match`` are tried first (by file name), then the rest,
unlabelled before labelled; the first whose ``match`` holds answers. When no file has the
request's method, the request goes on to the next layer. Examples: ``users.json`` → ``GET
/users``; ``users/1.json`` → ``GET /users/1``; ``users.POST.201.json`` → ``POST /users`` with
201; ``users.page-2.mock.json`` with ``{"match": {"query": {"page": "2"}}, "json": [...]}``.

Proxy recordings are envelopes in this format (devserve/proxy/record.py), and this reader
replays them: the proxy puts one in front of its upstream.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio.to_thread
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from devserve.config.messages import ROUTE, describe
from devserve.config.mocks import Behaviour
from devserve.mocks.behaviour import Candidates, CompiledBehaviour, compile_behaviour, fail
from devserve.mocks.limits import Limits
from devserve.mocks.listings import Listings
from devserve.mocks.names import ENVELOPE, SOCKET_METHOD, FileName, parse_name, path_names
from devserve.mocks.routes import respond
from devserve.mocks.sequences import Sequence

_MAX_CHECKED = 2000  # check-config validates at most this many envelopes per folder


class InvalidMock(Exception):
    """A mock file that cannot be used; the message names the file and the problem."""


class MockFolder:
    """The mock-folder layer of an origin; what it does not answer goes to ``fallback``."""

    def __init__(
        self, root: Path, fallback: ASGIApp, limits: Limits, *, timing: float = 1.0
    ) -> None:
        self.root = os.path.realpath(root)
        self.fallback = fallback
        self.limits = limits
        self.timing = timing  # scales event-stream delays (0: recordings replayed compressed)
        self.sequences: dict[str, Sequence] = {}
        self.listings = Listings()

    def reset(self) -> None:
        """Restart the sequences of every envelope with ``responses``."""
        self.sequences.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        try:
            candidates = await anyio.to_thread.run_sync(self._candidates, scope)
        except InvalidMock as exc:
            await fail(f"{scope['method']} {scope['path']}", str(exc), scope, receive, send)
            return
        if candidates:
            following = await respond(candidates, self.limits, scope, receive, send)
            if following is None:
                return
            receive = following
        await self.fallback(scope, receive, send)

    def _candidates(self, scope: Scope) -> Candidates:
        path: str = scope["path"]
        parents, name = path_names(path)
        folder = self._inside(os.path.join(self.root, *parents))
        if folder is None or not os.path.isdir(folder):
            return []
        # HEAD is answered by a HEAD file (a recorded HEAD) first, else by the GET files.
        method: str = scope["method"]
        methods = ("HEAD", "GET") if method == "HEAD" else (method,)
        found: list[tuple[tuple[int, int, bool, str], str, FileName]] = []
        exact = os.path.join(folder, name)
        if "GET" in methods and os.path.isfile(exact) and self._inside(exact):
            found.append(((0, 0, False, name), exact, FileName("GET", None, (), False)))
        for filename in self.listings.named(folder, name):
            parsed = parse_name(filename, name)
            if parsed is None or parsed.method not in methods:
                continue
            if parsed.method == SOCKET_METHOD:  # a WebSocket's file (sockets/files.py)
                continue
            file = os.path.join(folder, filename)
            if not os.path.isfile(file) or self._inside(file) is None:
                continue
            rank = (1, methods.index(parsed.method), bool(parsed.labels), filename)
            found.append((rank, file, parsed))
        compiled = [self._compile(path, file, parsed) for _, file, parsed in sorted(found)]
        # Envelopes with a match come first: they are the specific variants.
        compiled.sort(key=lambda behaviour: behaviour.matcher is None)
        return [(behaviour, {}) for behaviour in compiled]

    def _inside(self, path: str) -> str | None:
        real = os.path.realpath(path)
        return real if real == self.root or real.startswith(self.root + os.sep) else None

    def _compile(self, request: str, file: str, parsed: FileName) -> CompiledBehaviour:
        relative = os.path.relpath(file, self.root)
        config = read_mock(Path(file), parsed, relative)
        if config.file is not None:
            target = self._inside(str(Path(file).parent / config.file))
            if target is None:
                raise InvalidMock(f"{relative}: file: must stay inside the mock folder")
            config = config.model_copy(update={"file": Path(target)})
        problems: list[str] = []
        behaviour = compile_behaviour(
            config,
            label=f"{parsed.method} {request} ({relative})",
            where=relative,
            limits=self.limits,
            problems=problems,
            literal=True,
            sequence=self.sequences.get(file),
            timing=self.timing,
        )
        if problems:
            raise InvalidMock("; ".join(problems))
        self.sequences[file] = behaviour.sequence
        return behaviour


def read_mock(file: Path, parsed: FileName, relative: str) -> Behaviour:
    """The behaviour of one mock file: a plain body, or an envelope's keys."""
    if not parsed.envelope:
        return Behaviour(file=file, status=parsed.status or 200)
    try:
        data: Any = json.loads(file.read_bytes())
    except OSError as exc:  # its reason, not its absolute path: the message may reach a page
        raise InvalidMock(f"{relative}: cannot read it ({exc.strerror})") from None
    except (ValueError, RecursionError) as exc:
        raise InvalidMock(f"{relative}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidMock(f"{relative}: an envelope is a JSON object with the keys of a route")
    if parsed.status is not None:
        data.setdefault("status", parsed.status)
    try:
        return Behaviour.model_validate(data)
    except ValidationError as exc:
        raise InvalidMock(f"{relative}: {'; '.join(describe(exc, within=ROUTE))}") from None


def folder_problems(root: Path, limits: Limits) -> list[str]:
    """Every envelope of the folder that would fail at request time (check-config)."""
    problems: list[str] = []
    envelopes = sorted(root.rglob(f"*{ENVELOPE}"))[:_MAX_CHECKED]
    for file in envelopes:
        relative = str(file.relative_to(root))
        if any(part.startswith(".") for part in file.relative_to(root).parts):
            continue
        name = file.name.split(".", 1)[0]
        parsed = parse_name(file.name, name)
        if parsed is not None and parsed.method == SOCKET_METHOD:
            continue  # a WebSocket's file: checked with the sockets (sockets/check.py)
        if parsed is None:
            problems.append(
                f"{relative}: the name does not follow NAME[.METHOD][.STATUS]{ENVELOPE}"
            )
            continue
        try:
            config = read_mock(file, parsed, relative)
            compile_behaviour(
                config,
                label=relative,
                where=relative,
                limits=limits,
                problems=problems,
                literal=True,
            )
        except InvalidMock as exc:
            problems.append(str(exc))
    return problems
