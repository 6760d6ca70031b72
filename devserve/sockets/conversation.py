"""A recorded socket conversation played back: the server's frames in order, with their gaps
(``replay_timing = "compressed"``: none), each client frame of the recording waiting for the
page's next message, so an answer comes after the question it answered (a request/answer
pattern replays as one). A page message that differs from the recording's is noted."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from devserve.config.live import ConversationFrame
from devserve.sockets.connection import Connection
from devserve.sockets.inbox import Inbox, next_message, payload_of, too_big
from devserve.sockets.report import Payload


def frame_payload(frame: ConversationFrame) -> Payload:
    """The message a recorded frame holds, as it goes on the wire."""
    if frame.base64 is not None:
        return base64.b64decode(frame.base64)
    if "json_body" in frame.model_fields_set:
        return json.dumps(frame.json_body, ensure_ascii=False, separators=(",", ":"))
    return frame.text or ""


async def replay(
    frames: Sequence[ConversationFrame],
    conn: Connection,
    box: Inbox,
    timing: float,
    limit: int,
) -> None:
    """Play ``frames`` on ``conn``; returns at the recording's end (the socket stays open until
    the page closes it, unless the recording ends with the server's close)."""
    previous = 0
    for frame in frames:
        if frame.sender == "client":
            if frame.close is not None:
                break  # the page closed here: it will, or it already did
            message = await next_message(box, conn)
            if message is None:
                return
            payload = payload_of(message)
            if too_big(payload, limit, conn):
                return
            expected = frame_payload(frame)
            conn.log.frame("in", payload, note=_difference(payload, expected))
            previous = frame.at_ms
            continue
        if not await conn.sleep(max(0, frame.at_ms - previous) * timing / 1000):
            return
        previous = frame.at_ms
        if frame.close is not None:
            conn.end(frame.close.code, frame.close.reason)
            return
        conn.offer(frame_payload(frame))
    while (message := await next_message(box, conn)) is not None:
        payload = payload_of(message)
        if not too_big(payload, limit, conn):
            conn.log.frame("in", payload, note="after the end of the recording")


def _difference(got: Payload, expected: Payload) -> str | None:
    """Why a page's message is not the recorded one (JSON compared by value), or None."""
    if got == expected:
        return None
    parsed = _parsed(got)
    if parsed is not None and parsed == _parsed(expected):
        return None
    return "differs from the recording (replayed all the same)"


def _parsed(payload: Payload) -> Any:
    if isinstance(payload, bytes):
        return None
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):
        return None
