"""An origin's fast path: an answer that cannot change between two identical requests (a static
file from memory, a fixed mock route) is learnt from the origin's layers once, then sent again
by the HTTP protocol itself, without running them (``serving/protocol.py``).

What the layers answer such a request depends only on what the key holds (the method, the
target, the scheme, every header as received) and on what is checked before each replay: the
origin's CORS policy (a runtime switch or a config change gives another one), the answer's own
``still()`` (for a file: the path still leads to the same version of it), and that devserve is
not stopping. An origin rebuilt by a config change starts with nothing learnt. The rest always
goes through the layers: requests with a body, answers with Set-Cookie (their verdict reads
the clock), origins with ``delay_ms`` or an OpenAPI spec, and the files of an origin whose
resources or mock folder answer before them (their answers change with their files).

A replay still makes its request's record, as the request log would (the same fields, the
verdict included; the credentials note said once per page), and hands it on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.cors.policy import CorsSwitch, Policy
from devserve.records import (
    RECORD_KEY,
    REPLAY_KEY,
    VERDICT_AGAIN_KEY,
    LoggedVerdict,
    Replayable,
    RequestRecord,
)
from devserve.serving.requestlog import RequestLog
from devserve.serving.stopping import Stopping

RawHeaders = tuple[tuple[bytes, bytes], ...]
# A request as the protocol has it: method, target (path and query as sent), scheme, headers.
Key = tuple[bytes, bytes, str, RawHeaders]

# Bounds per origin: answers learnt, and the bytes of their bodies (a body stays held after
# the file cache let it go, until its replay is dropped). Past either, it starts again empty.
MAX_REPLAYS = 512
MAX_BODY_BYTES = 32 * 1024 * 1024
# A request whose headers are longer is not learnt (every key keeps its headers).
MAX_HEADER_BYTES = 8192
# Answers with these headers are left to the layers: the server frames them differently, or
# (Set-Cookie) their verdict depends on the time.
_NOT_REPLAYED = frozenset({b"connection", b"transfer-encoding", b"set-cookie"})


@dataclass(frozen=True, slots=True)
class Replay:
    """One answer learnt, ready to send again."""

    status: int
    head: bytes  # every header line, as uvicorn writes them, and the blank line after them
    body: bytes  # b"" for HEAD
    policy: Policy | None  # the CORS policy it was answered under
    still: Callable[[], bool] | None
    record: RequestRecord
    verdict_again: Callable[[], LoggedVerdict] | None


class FastPath:
    """The outermost layer of an origin: passes every request on, and learns the answers a
    replay can give; ``answer`` gives them."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        switch: CorsSwitch,
        log: RequestLog,
        stopping: Stopping | None,
        files: bool,
    ) -> None:
        self.app = app
        self.switch = switch
        self.log = log
        self.stopping = stopping
        self.files = files  # whether static files' answers may be learnt
        self.enabled = True
        self._replays: dict[Key, Replay] = {}
        self._bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = request_key(scope) if self.enabled else None
        if key is None:
            await self.app(scope, receive, send)
            return
        policy = self.switch.active
        sent: list[Message | None] = []  # the first two messages; None for "and more"

        async def keeping(message: Message) -> None:
            if len(sent) < 3:  # a streamed body is not held here, only counted
                sent.append(message if len(sent) < 2 else None)
            await send(message)

        await self.app(scope, receive, keeping)
        replay = self._learnt(scope, sent, policy)
        if replay is not None:
            self._keep(key, replay)

    def answer(self, key: Key) -> tuple[int, bytes, bytes] | None:
        """The status, head and body that answer a request with ``key``, its record handed
        on; None when the layers must answer it."""
        start = time.perf_counter()
        replay = self._replays.get(key)
        if replay is None or replay.policy is not self.switch.active or self._stopping():
            return None
        if (replay.still is not None and not replay.still()) or not self.enabled:
            return None
        record = replay.record
        cors = record.cors if replay.verdict_again is None else replay.verdict_again()
        self.log.emit(record.again((time.perf_counter() - start) * 1000, time.time(), cors))
        return replay.status, replay.head, replay.body

    def _stopping(self) -> bool:
        return self.stopping is not None and self.stopping.begun

    def _learnt(
        self, scope: Scope, sent: list[Message | None], policy: Policy | None
    ) -> Replay | None:
        """The replay of what was just sent, if it may be one: exactly the two messages the
        answering layer left as replayable, sent under the policy in force now."""
        marker, record = scope.get(REPLAY_KEY), scope.get(RECORD_KEY)
        if not isinstance(marker, Replayable) or not isinstance(record, RequestRecord):
            return None
        if len(sent) != 2 or sent[0] is not marker.start or sent[1] is not marker.body:
            return None  # another layer answered after all, or changed the answer
        if (marker.kind == "file" and not self.files) or marker.body.get("more_body", False):
            return None
        if policy is not self.switch.active or self._stopping():
            return None
        status, headers = marker.start["status"], marker.start.get("headers", [])
        names = {name.lower() for name, _ in headers}
        head_only = scope["method"] == "HEAD"
        if names & _NOT_REPLAYED:
            return None
        if b"content-length" not in names and not head_only and status not in (204, 304):
            return None  # uvicorn would send it chunked
        head = b"".join([name.lower() + b": " + value + b"\r\n" for name, value in headers])
        body = b"" if head_only else bytes(marker.body.get("body", b""))
        again = scope.get(VERDICT_AGAIN_KEY)
        return Replay(status, head + b"\r\n", body, policy, marker.still, record, again)

    def _keep(self, key: Key, replay: Replay) -> None:
        old = self._replays.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        if len(self._replays) >= MAX_REPLAYS or self._bytes + len(replay.body) > MAX_BODY_BYTES:
            self._replays.clear()
            self._bytes = 0
        self._replays[key] = replay
        self._bytes += len(replay.body)


def request_key(scope: Scope) -> Key | None:
    """The key of a request whose answer may be learnt: an HTTP/1.1 GET or HEAD without a
    body; None for any other."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return None
    raw_path = scope.get("raw_path")
    if scope.get("http_version") != "1.1" or not isinstance(raw_path, bytes):
        return None
    headers = scope["headers"]
    size = 0
    for name, value in headers:
        if name in (b"content-length", b"transfer-encoding"):
            return None
        size += len(name) + len(value)
    if size > MAX_HEADER_BYTES:
        return None
    query: bytes = scope.get("query_string", b"")
    target = raw_path + b"?" + query if query else raw_path
    return scope["method"].encode("ascii"), target, scope["scheme"], tuple(headers)
