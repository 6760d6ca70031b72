"""One mock socket from handshake to close: refuse it past ``max_connections``, accept it, then
play its script (on-connect messages, rules, echo, the close after N messages) or its recorded
conversation, with every frame and the close reported."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import URL, Headers, QueryParams
from starlette.requests import cookie_parser
from starlette.types import Receive, Scope, Send

from devserve.connections import Connections
from devserve.denials import deny
from devserve.mocks.limits import Limits, off_loop
from devserve.mocks.templates import CaseInsensitive, RenderError
from devserve.records import NOTE_KEY, SocketObserver
from devserve.sockets.connection import Connection
from devserve.sockets.conversation import replay
from devserve.sockets.inbox import Inbox, inbox, next_message, payload_of, read_ahead, too_big
from devserve.sockets.report import SocketLog
from devserve.sockets.script import Rule, Script

errors = logging.getLogger("devserve.errors")


@dataclass(frozen=True)
class Place:
    """Where a socket lives: its origin, its key (the configured path), how it is reported."""

    origin: str
    key: str
    label: str  # how messages name it: "origins.api.sockets[0] (/ws)", or the file
    connections: Connections
    observer: SocketObserver | None
    limits: Limits
    timing: float = 1.0  # a recorded conversation's gaps: 1 as recorded, 0 compressed


async def serve_socket(
    script: Script, place: Place, params: dict[str, Any], scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer one handshake with this mock socket, and run it until it closes."""
    connections = place.connections
    if connections.count(place.key) >= script.max_connections:
        error = (
            f"already {script.max_connections} connections to {place.key} "
            f"(max_connections of {place.label}); close some pages"
        )
        await deny(scope, send, 503, {"error": error}, note=error)
        return
    if (await receive())["type"] != "websocket.connect":
        return
    number = connections.next_number()
    scope[NOTE_KEY] = f"connection #{number}"
    offered = scope.get("subprotocols") or []
    await send({"type": "websocket.accept", "subprotocol": offered[0] if offered else None})
    log = SocketLog(
        place.origin, place.key, scope["path"], number, connections, place.observer
    )
    connection = Connection(
        number=number, scope=scope, send=send, max_queued=script.max_queued, log=log
    )
    connections.add(place.key, connection)
    log.opened(Headers(scope=scope).get("origin"))
    box = inbox()
    tasks = [
        asyncio.create_task(connection.run_sender()),
        asyncio.create_task(read_ahead(receive, box, connection)),
    ]
    try:
        if script.conversation is not None:
            limit = script.max_message_bytes
            await replay(script.conversation, connection, box, place.timing, limit)
        else:
            await _scripted(script, place, connection, box, handshake_data(scope, params))
        await connection.done
    finally:
        connections.remove(place.key, connection)
        for task in tasks:
            task.cancel()


async def _scripted(
    script: Script,
    place: Place,
    conn: Connection,
    box: Inbox,
    base: dict[str, Any],
) -> None:
    greeting = asyncio.create_task(_send_all(list(script.on_connect), conn, base, place))
    try:
        count = 0
        while (message := await next_message(box, conn)) is not None:
            payload = payload_of(message)
            if conn.closing is not None or too_big(payload, script.max_message_bytes, conn):
                continue
            count += 1
            text = payload if isinstance(payload, str) else None
            rule = await _rule(script, text, place.limits)
            conn.log.frame("in", payload, note=rule.label if rule is not None else None)
            if rule is not None:
                parsed = _json(text) if "json" in script.needs else None
                data = {**base, "message": text, "json": parsed, "count": count}
                await _answer(rule, conn, data, place)
            elif script.echo:
                conn.offer(payload)
            close = script.close_after
            if close is not None and close.after is not None and count >= close.after:
                conn.end(close.code, close.reason)
    finally:
        greeting.cancel()


async def _rule(script: Script, text: str | None, limits: Limits) -> Rule | None:
    if not script.rules:
        return None
    if script.has_regex:  # a regex has a time limit, but not on the event loop
        return await off_loop(lambda: script.rule_for(text), limits)
    return script.rule_for(text)


async def _answer(rule: Rule, conn: Connection, data: dict[str, Any], place: Place) -> None:
    if not await conn.sleep(rule.delay_ms / 1000):
        return
    await _send_all(list(rule.replies), conn, data, place)
    if rule.close is not None:
        conn.end(rule.close.code, rule.close.reason)


async def _send_all(messages: Any, conn: Connection, data: dict[str, Any], place: Place) -> None:
    """Render and queue ``messages`` in order, each after its delay; a failed template closes
    the socket with 1011 and a log line that says why."""
    for message in messages or ():
        if not await conn.sleep(message.delay_ms / 1000):
            return
        try:
            text = await message.text(data)
        except RenderError as exc:
            errors.warning("socket %s: %s", place.label, exc.reason)
            conn.log.frame("out", "", note=f"not sent: {exc.reason}")
            conn.end(1011, "a reply template failed (see the devserve log)")
            return
        conn.offer(text)


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def handshake_data(scope: Scope, params: dict[str, Any]) -> dict[str, Any]:
    """What a socket's templates see of its handshake (as a route's see of a request)."""
    headers = Headers(scope=scope)
    query = QueryParams(scope.get("query_string", b""))
    return {
        "path": params,
        "query": {key: query.getlist(key)[0] for key in query},
        "query_all": {key: query.getlist(key) for key in query},
        "headers": CaseInsensitive((name, ", ".join(headers.getlist(name))) for name in headers),
        "cookies": cookie_parser(headers.get("cookie", "")),
        "url": str(URL(scope=scope)),
    }
