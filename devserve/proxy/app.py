"""The proxy layer of an origin: replay what is recorded, forward the rest, record what came.

``record_mode`` decides: ``record`` always forwards and records; ``missing`` replays what is
recorded and forwards and records the rest; ``replay`` never touches the upstream (a miss is a
404 naming the nearest recording); ``off`` only forwards. ``devserve run --offline`` makes
every proxying origin replay. Recordings are a mock folder, replayed by the same reader as
``mocks = "dir"``; what it does not answer comes back to this layer.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlencode

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from devserve.config import Origin
from devserve.cors.guard import GUARD_KEY, WriteGuard
from devserve.errors import DevserveError
from devserve.mocks.context import BodyTooLarge, read_body, replaying, request_data
from devserve.mocks.folders import MockFolder
from devserve.mocks.limits import Limits
from devserve.proxy.captures import LARGEST_KEPT, Captures
from devserve.proxy.forward import forward
from devserve.proxy.liverecord import StreamRecordings
from devserve.proxy.livetaps import StreamTap
from devserve.proxy.matching import RequestKey, matched_query, request_key
from devserve.proxy.record import Recorder
from devserve.proxy.redact import Redactor
from devserve.proxy.replay import missed, nearest
from devserve.proxy.sockets import SocketProxy, compressed
from devserve.proxy.tap import BodyTap, RequestCopy
from devserve.proxy.upstream import Upstream
from devserve.records import PROXY_KEY, ProxyNote
from devserve.sockets.session import Place
from devserve.terminal import printable

log = logging.getLogger("devserve.proxy")

# A recording is a file a person reads and edits: larger bodies pass through unrecorded.
LARGEST_RECORDED = 10 * 1024 * 1024
# What a request the recordings did not answer takes back to this layer (see _unanswered).
_PENDING = "devserve.proxy.pending"
# Set when recordings answer because the upstream could not be reached: a miss is then a miss.
_FALLBACK = "devserve.proxy.fallback"


class ProxyApp:
    """Answers what nothing else on the origin answered, from recordings or the upstream."""

    def __init__(
        self, config: Origin, limits: Limits, *, offline: bool = False, place: Place | None = None
    ) -> None:
        """``place``: where replayed sockets are counted and reported (the origin's)."""
        self.upstream = Upstream.of(config)
        self.root: Path | None = config.record
        self.mode = "replay" if offline else config.record_mode if self.root else "off"
        self.match = config.record_match
        self.redactor = Redactor.of(config.redact, self.upstream.headers)
        self.recorder = Recorder(self.root) if self.root is not None else None
        timing = 0.0 if config.replay_timing == "compressed" else 1.0  # of recorded streams
        self.recordings = (
            MockFolder(self.root, self._unanswered, limits, timing=timing)
            if self.root is not None
            else None
        )
        self.sockets = SocketProxy(
            config,
            upstream=self.upstream,
            mode=self.mode,
            redactor=self.redactor,
            recorder=self.recorder,
            place=None if place is None else compressed(place, config),
        )
        self.captures = Captures()
        self.streams = (
            StreamRecordings(self.root, self.recorder, self.redactor)
            if self.root is not None and self.recorder is not None
            else None
        )

    def describe(self) -> str:
        """For the banner and ``devserve status``: where requests go, and what is recorded."""
        if self.root is None:
            offline = " (offline, and nothing is recorded)" if self.mode == "replay" else ""
            return f"proxy {self.upstream.url}{offline}"
        return f"proxy {self.upstream.url} (record {self.mode}: {self.root})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.sockets(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        if self.upstream.headers and await self._refused(scope, receive, send):
            return
        note = ProxyNote(upstream=self.upstream.url)
        scope[PROXY_KEY] = note
        headers = Headers(scope=scope)
        body = None
        if self.match.body and self.mode != "off":
            try:
                body = await read_body(receive, LARGEST_RECORDED)
            except BodyTooLarge:
                why = f"is too large (over {LARGEST_RECORDED // (1024 * 1024)} MiB)"
                await _unmatchable(why, 413)(scope, receive, send)
                return
            receive = replaying(receive, body)
        try:
            key = self._key(scope, headers, body)
        except RecursionError:  # JSON nested deeper than it can be walked to redact it
            await _unmatchable("is nested too deeply", 400)(scope, receive, send)
            return
        if self._replays(key) and self.recordings is not None:
            await self._replay(key, scope, receive, send, note, body)
            return
        if self.mode == "replay":
            await self._missed(key, scope, receive, send, note, body)
            return
        await self._forward(key, scope, receive, send, note, body)

    async def _refused(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Whether the cross-site guard refused a request that would carry ``proxy_headers``
        (the origin's guard has already checked writes; this covers reads too)."""
        guard: WriteGuard | None = scope.get(GUARD_KEY)
        if guard is None:
            return False
        protected = (
            f"a request to {scope['path']} forwarded to {self.upstream.url} with proxy_headers "
            "(your credentials)"
        )
        refusal = guard.refusal(scope, protected)
        if refusal is None:
            return False
        await guard.refuse(scope, receive, send, refusal)
        return True

    async def _replay(
        self,
        key: RequestKey,
        scope: Scope,
        receive: Receive,
        send: Send,
        note: ProxyNote,
        body: bytes | None,
    ) -> None:
        assert self.recordings is not None
        note.state = "replayed"
        query = scope["query_string"]
        scope[_PENDING] = (key, body, query)
        # The reader sees the query as recordings match it: without ignore_query's.
        matched = urlencode(matched_query(query.decode("latin-1"), self.match))
        scope["query_string"] = matched.encode("latin-1")
        try:
            await self.recordings(scope, receive, send)
        finally:
            scope["query_string"] = query

    def _replays(self, key: RequestKey) -> bool:
        """Whether a recording may answer: in replay mode always; in missing mode, unless this
        run recorded the request itself (its repeats join the sequence being recorded)."""
        if self.mode == "replay":
            return True
        recorder = self.recorder
        return (
            self.mode == "missing"
            and recorder is not None
            and not recorder.recorded_in_this_run(key)
        )

    def _key(self, scope: Scope, headers: Headers, body: bytes | None) -> RequestKey:
        return request_key(
            method=scope["method"],
            path=scope["path"],
            query=scope["query_string"].decode("latin-1"),
            headers=list(headers.items()),
            body=body,
            match=self.match,
            redactor=self.redactor,
        )

    async def _unanswered(self, scope: Scope, receive: Receive, send: Send) -> None:
        """What no recording answered: a miss in replay mode, else the upstream's."""
        key, body, query = scope.pop(_PENDING)
        note: ProxyNote = scope[PROXY_KEY]
        if self.mode == "replay" or scope.get(_FALLBACK):
            await self._missed(key, scope, receive, send, note, body)
            return
        scope["query_string"] = query
        note.state = "live"
        await self._forward(key, scope, receive, send, note, body)

    async def _missed(
        self,
        key: RequestKey,
        scope: Scope,
        receive: Receive,
        send: Send,
        note: ProxyNote,
        body: bytes | None,
    ) -> None:
        note.state = "missed"
        found = None
        if self.root is not None:
            data = await request_data(scope, body)
            root, method, path = self.root, scope["method"], scope["path"]
            found = await anyio.to_thread.run_sync(lambda: nearest(root, method, path, data))
        await missed(key, root=self.root, nearest=found)(scope, receive, send)

    async def _forward(
        self,
        key: RequestKey,
        scope: Scope,
        receive: Receive,
        send: Send,
        note: ProxyNote,
        body: bytes | None,
    ) -> None:
        recording = self.recorder is not None and self.mode in ("record", "missing")
        limit = LARGEST_RECORDED if recording else LARGEST_KEPT
        tap = StreamTap(BodyTap(limit))
        sent = RequestCopy(limit)
        copied = RequestCopy.wanted(Headers(scope=scope).get("content-type", ""))

        async def passed() -> None:
            if tap.events is not None:  # an event stream: recorded as its events
                if recording and self.streams is not None:
                    await self.streams.keep(key, scope, tap.events, note)
                return
            if self.streams is not None and self.streams.has(key):  # a finished one's 204
                note.notes.append("not recorded: the event stream recorded for it answers")
                return
            body = tap.body
            await self._keep(key, scope, body, sent if copied else None, note, recording=recording)

        async def left() -> None:
            # An event stream rarely ends: what the page saw until it left is the recording.
            if tap.events is not None and recording and self.streams is not None:
                await self.streams.keep(key, scope, tap.events, note)

        async def unreachable(scope: Scope, receive: Receive, send: Send) -> None:
            # record_mode "missing" forwards what this run recorded, to grow its sequence; with
            # the upstream gone, what was recorded answers, as it would after a restart.
            scope[_FALLBACK] = True
            note.notes.append("upstream unreachable: replayed what this run recorded")
            await self._replay(key, scope, receive, send, note, body)

        recorded_here = (
            self.mode == "missing"
            and self.recorder is not None
            and self.recorder.recorded_in_this_run(key)
        )

        await forward(
            scope,
            receive,
            send,
            upstream=self.upstream,
            note=note,
            body=body,
            tap=tap,
            passed=passed,
            left=left,
            seen=sent.feed if copied else None,
            unreachable=unreachable if recorded_here else None,
        )

    async def _keep(
        self,
        key: RequestKey,
        scope: Scope,
        tap: BodyTap,
        sent: RequestCopy | None,
        note: ProxyNote,
        *,
        recording: bool,
    ) -> None:
        """Keep a response that went by whole: for "save as mock", and recorded if recording."""
        if sent is not None and sent.over and tap.problem is None:
            tap.problem = (
                f"the request body is over {sent.limit // (1024 * 1024)} MiB, "
                "too large to find the secrets in it"
            )
        exchange = None
        if tap.problem is None:
            exchange = tap.exchange(key, await self._redactor(scope, sent, tap))
        if exchange is None:
            if recording:
                note.notes.append(f"not recorded: {tap.problem}")
            return
        note.capture = self.captures.add(exchange)
        if recording and self.recorder is not None:
            try:
                await self.recorder.save(exchange)
            except (DevserveError, OSError) as exc:
                # The browser gets its answer all the same; only the recording failed.
                reason = exc.message if isinstance(exc, DevserveError) else str(exc)
                note.notes.append(f"not recorded: {reason}")
                log.warning("proxy: could not record %s", printable(f"{key.describe()}: {reason}"))
                return
            note.state = "recorded"

    async def _redactor(self, scope: Scope, sent: RequestCopy | None, tap: BodyTap) -> Redactor:
        """The origin's rules plus this exchange's secrets (a JSON body is parsed off the loop)."""
        body = sent.body if sent is not None else b""

        def build() -> Redactor:
            return self.redactor.for_exchange(
                request=list(Headers(scope=scope).items()),
                query=scope["query_string"].decode("latin-1"),
                body=body,
                response=tap.headers,
            )

        return await anyio.to_thread.run_sync(build) if body else build()

    async def save_capture(self, capture: int) -> Path:
        """Write a kept response as a mock file (a recording): the dashboard's "save as mock"."""
        exchange = self.captures.get(capture)
        if exchange is None:
            raise DevserveError(
                f"request {capture} is no longer kept (only the last few are); send it again"
            )
        if self.recorder is None:
            raise DevserveError(
                'this origin has no record folder: set record = "DIR" on it to save mocks there'
            )
        return await self.recorder.save(exchange, fresh=True)


def _unmatchable(why: str, status: int) -> JSONResponse:
    """The answer to a request whose body ``record_match.body`` cannot match recordings on."""
    return JSONResponse(
        {
            "error": f"the request body {why} to match recordings on",
            "fix": "set record_match.body = false for this origin",
        },
        status_code=status,
    )
