"""WebSocket handshakes at a proxying origin: a recorded conversation answers when the record mode
replays (``replay``, ``--offline``, or ``missing`` with a recording), else the upstream does, and
with ``record``/``missing`` its conversation is recorded (redacted) when the socket closes."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from devserve.config import Origin
from devserve.denials import deny
from devserve.errors import DevserveError
from devserve.proxy.liverecord import save_conversation
from devserve.proxy.livetaps import Conversation
from devserve.proxy.matching import RequestKey, matched_query, request_key
from devserve.proxy.record import Recorder
from devserve.proxy.redact import Redactor
from devserve.proxy.upstream import Upstream
from devserve.proxy.websocket import pass_websocket
from devserve.sockets.files import SocketFiles, nearest_socket
from devserve.sockets.session import Place
from devserve.terminal import printable

log = logging.getLogger("devserve.proxy")
_PENDING = "devserve.proxy.socket"


class SocketProxy:
    """The proxy's side of WebSockets: recordings, else the upstream (recorded)."""

    def __init__(
        self,
        config: Origin,
        *,
        upstream: Upstream,
        mode: str,
        redactor: Redactor,
        recorder: Recorder | None,
        place: Place | None,
    ) -> None:
        self.upstream = upstream
        self.mode = mode
        self.root: Path | None = config.record
        self.match = config.record_match
        self.redactor = redactor
        self.recorder = recorder
        self.files = None
        if self.root is not None and place is not None:
            self.files = SocketFiles(self.root, self._unanswered, place)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope["query_string"].decode("latin-1")
        key = request_key(
            method="WS",
            path=scope["path"],
            query=query,
            headers=list(Headers(scope=scope).items()),
            body=None,
            match=self.match,
            redactor=self.redactor,
        )
        replays = self.mode == "replay" or (
            self.mode == "missing"
            and self.recorder is not None
            and not self.recorder.recorded_in_this_run(key)
        )
        if self.files is None or not replays:
            await self._unanswered(scope, receive, send, key)
            return
        scope[_PENDING] = (key, scope["query_string"])
        # The files see the query as recordings match it: without ignore_query's.
        scope["query_string"] = urlencode(matched_query(query, self.match)).encode("latin-1")
        await self.files(scope, receive, send)

    async def _unanswered(
        self, scope: Scope, receive: Receive, send: Send, key: RequestKey | None = None
    ) -> None:
        """What no recording answered: a refusal in replay mode, else the upstream."""
        if key is None:
            key, scope["query_string"] = scope.pop(_PENDING)
        if self.mode == "replay":
            await self._missed(key, scope, send)
            return
        recording = self.recorder is not None and self.mode in ("record", "missing")
        conversation = Conversation()
        await pass_websocket(scope, receive, send, self.upstream, conversation)
        if recording and conversation.frames:
            await self._save(key, scope, conversation)

    async def _missed(self, key: RequestKey, scope: Scope, send: Send) -> None:
        nearest = None
        if self.root is not None:
            root = self.root
            nearest = await anyio.to_thread.run_sync(lambda: nearest_socket(root, scope))
        error = f"no recording for {key.describe()}"
        answer = {
            "error": error,
            "mode": "replay",
            "nearest": nearest,
            "fix": "record it: run without --offline, with record_mode \"missing\" (the "
            "default), and open the page once",
        }
        await deny(scope, send, 404, answer, note=error)

    async def _save(self, key: RequestKey, scope: Scope, conversation: Conversation) -> None:
        assert self.root is not None and self.recorder is not None
        headers = list(Headers(scope=scope).items())
        redactor = self.redactor.for_exchange(
            request=headers, query=scope["query_string"].decode("latin-1"), body=None, response=[]
        )
        root = self.root
        try:
            path = await anyio.to_thread.run_sync(
                lambda: save_conversation(root, key, conversation, redactor)
            )
        except (DevserveError, OSError) as exc:
            reason = exc.message if isinstance(exc, DevserveError) else str(exc)
            log.warning("proxy: could not record %s", printable(f"{key.describe()}: {reason}"))
            return
        self.recorder.remember(key)
        more = f" ({conversation.problem})" if conversation.problem else ""
        shown = printable(f"{key.describe()}: {len(conversation.frames)} frames in {path}{more}")
        log.info("proxy: recorded %s", shown)


def compressed(place: Place, config: Origin) -> Place:
    """The place of replayed sockets: their gaps as recorded, or none (``compressed``)."""
    return replace(place, timing=0.0 if config.replay_timing == "compressed" else 1.0)
