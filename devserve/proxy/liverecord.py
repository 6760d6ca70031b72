"""Write a recorded event stream or socket conversation into the recordings folder, redacted like
any recording: an event stream as a ``.mock.json`` envelope whose ``stream`` holds the events
and their gaps (replayed by the mock-folder reader, ``Last-Event-ID`` resume included), a
socket as ``NAME.WS.mock.json`` with its ``conversation`` (replayed by ``sockets/files.py``).

A stream recorded again in the same run (an EventSource reconnecting with ``Last-Event-ID``)
adds the events it had not seen; a conversation recorded again replaces the last one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.types import Scope

from devserve.errors import DevserveError
from devserve.mocks.names import SOCKET_METHOD
from devserve.proxy.livetaps import Conversation, EventLog, readable
from devserve.proxy.matching import RequestKey
from devserve.proxy.record import Recorder, add_header, envelope_of, without_wire_headers
from devserve.proxy.redact import Redactor
from devserve.proxy.store import endpoint, write_envelope
from devserve.records import ProxyNote


def redacted_text(redactor: Redactor, text: str) -> str:
    """A message as written down: JSON searched field by field, any text for known secrets."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return redactor.scrub(text)
    hidden = redactor.json_value(value)
    if hidden == value:
        return text
    return json.dumps(hidden, ensure_ascii=False, separators=(",", ":"))


def client_secrets(redactor: Redactor, conversation: Conversation) -> Redactor:
    """The rules plus the secret values the page sent in its messages (``{"token": ...}``), to
    scrub where the server echoes them."""
    for frame in conversation.frames:
        if frame.sender == "client" and isinstance(frame.payload, str):
            body = frame.payload.encode()
            redactor = redactor.for_exchange(request=[], query="", body=body, response=[])
    return redactor


def save_conversation(
    root: Path, key: RequestKey, conversation: Conversation, redactor: Redactor
) -> Path:
    """Write ``conversation`` as ``NAME.WS.mock.json``; returns the file."""
    where = endpoint(root, key.path, SOCKET_METHOD)
    path, _ = envelope_of(where, key)
    redactor = client_secrets(redactor, conversation)
    frames = [
        frame.as_json(
            redacted_text(redactor, frame.payload) if isinstance(frame.payload, str) else None
        )
        for frame in conversation.frames
    ]
    write_envelope(path, {"match": key.match, "conversation": frames})
    return path


def save_stream(
    root: Path, key: RequestKey, log: EventLog, redactor: Redactor, *, extend: bool
) -> Path:
    """Write an event stream as an envelope with ``stream``; ``extend``: add to the one this run
    recorded the events it lacks (by id), instead of replacing it."""
    where = endpoint(root, key.path, key.method)
    path, old = envelope_of(where, key)
    events, previous = [], 0
    for event in log.events:
        entry: dict[str, Any] = {}
        if event.event is not None:
            entry["event"] = event.event
        entry["data"] = readable(redacted_text(redactor, event.data)).get("json", None)
        if entry["data"] is None:
            entry["data"] = redacted_text(redactor, event.data)
        for name in ("id", "retry"):
            if getattr(event, name) is not None:
                entry[name] = getattr(event, name)
        entry["delay_ms"] = max(0, event.at_ms - previous)
        previous = event.at_ms
        events.append(entry)
    if extend and old is not None and isinstance(old.get("stream"), list):
        seen = {item.get("id") for item in old["stream"] if isinstance(item, dict)}
        fresh = [e for e in events if e.get("id") is None or e["id"] not in seen]
        events = [*old["stream"], *fresh]
    headers: dict[str, str | list[str]] = {}
    for name, value in without_wire_headers(log.headers):
        add_header(headers, name, redactor.header(name, value))
    data: dict[str, Any] = {"match": key.match, "status": log.status, "headers": headers}
    if log.retry_ms is not None:
        data["retry_ms"] = log.retry_ms
    data["stream"] = events
    write_envelope(path, data)
    return path


class StreamRecordings:
    """The event streams an origin records, and which requests got one in this run (a later
    answer to the same request that is no stream, the 204 of a finished one, is not kept)."""

    def __init__(self, root: Path, recorder: Recorder, redactor: Redactor) -> None:
        self.root = root
        self.recorder = recorder
        self.redactor = redactor
        self._recorded: set[tuple[str, str, str]] = set()

    def has(self, key: RequestKey) -> bool:
        return key.identity in self._recorded

    async def keep(self, key: RequestKey, scope: Scope, events: EventLog, note: ProxyNote) -> None:
        """Record an event stream as its events and their gaps (a stream envelope)."""
        if not events.events:
            note.notes.append("not recorded: no event came")
            return
        root, extend = self.root, self.recorder.recorded_in_this_run(key)
        redactor = self.redactor.for_exchange(
            request=list(Headers(scope=scope).items()),
            query=scope["query_string"].decode("latin-1"),
            body=None,
            response=events.headers,
        )
        try:
            await anyio.to_thread.run_sync(
                lambda: save_stream(root, key, events, redactor, extend=extend)
            )
        except (DevserveError, OSError) as exc:
            note.notes.append(f"not recorded: {exc}")
            return
        self.recorder.remember(key)
        self._recorded.add(key.identity)
        note.state = "recorded"
        if events.problem:
            note.notes.append(events.problem)
