"""WebSocket mocks over real connections: on-connect messages, rules with typed replies, echo,
closes with a code, broadcasts, the log of every frame, and who may connect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

import devserve
from devserve.embed import RunningInThread
from tests.support.waiting import wait_until

CHAT = {
    "path": "/ws",
    "on_connect": [
        {"json": {"type": "hello", "name": "{{ query.name }}"}},
        {"text": "welcome", "delay_ms": 10},
    ],
    "echo": True,
    "close": {"after": 4, "code": 4001, "reason": "enough"},
    "rules": [
        {
            "match": {"json": {"type": "ping"}},
            "reply": {"json": {"type": "pong", "n": "{{ json.n + 1 }}", "count": "{{ count }}"}},
        },
        {"match": {"text": "~b.e"}, "close": {"code": 4000, "reason": "bye"}},
        {"match": {"text": "twice"}, "reply": [{"text": "one"}, {"text": "two", "delay_ms": 5}]},
        {"match": {"text": "broken"}, "reply": {"text": "{{ 1 / 0 }}"}},
    ],
}
LOCAL = "http://localhost:8000"
FOREIGN = "http://evil.test"


@pytest.fixture(scope="module")
def running() -> Iterator[RunningInThread]:
    config = devserve.config_from_dict(
        {
            "devserve": {"dashboard_port": False},  # 8999 is the default-port tests' own
            "origins": {
                "api": {
                    "port": 0,
                    "sockets": [
                        CHAT,
                        {"path": "/rooms/{room}", "echo": True},
                        {"path": "/listed", "allow_origins": [LOCAL], "echo": True},
                        {"path": "/any", "allow_origins": ["*"], "echo": True},
                        {"path": "/small", "echo": True, "max_message_bytes": 100},
                        {"path": "/two", "echo": True, "max_connections": 2},
                    ],
                    # Not the sockets' business: browsers apply no CORS to sockets.
                    "cors": {"allow_origins": [FOREIGN]},
                    "allow_writes_from": ["http://other.test"],
                }
            }
        }
    )
    with devserve.run_in_thread(config) as started:
        yield started


def url(running: RunningInThread, path: str) -> str:
    return running.url("api").replace("http://", "ws://") + path


def opened(running: RunningInThread, path: str, origin: str | None = None) -> ClientConnection:
    headers = {"Origin": origin} if origin else None
    return connect(url(running, path), additional_headers=headers, open_timeout=5)


def received(socket: ClientConnection) -> Any:
    text = socket.recv(timeout=5)
    assert isinstance(text, str)
    try:
        return json.loads(text)
    except ValueError:
        return text


def closed_with(socket: ClientConnection) -> tuple[int | None, str | None]:
    """The close code and reason, once what was sent before the close is read."""
    with pytest.raises(ConnectionClosed):
        for _ in range(10):
            socket.recv(timeout=5)
    return socket.close_code, socket.close_reason


def test_on_connect_rules_echo_and_a_close_on_a_match(running: RunningInThread) -> None:
    with opened(running, "/ws?name=Ada") as socket:
        assert received(socket) == {"type": "hello", "name": "Ada"}
        assert received(socket) == "welcome"
        socket.send(json.dumps({"type": "ping", "n": 1, "extra": True}))
        assert received(socket) == {"type": "pong", "n": 2, "count": 1}  # typed values
        socket.send("twice")
        assert [received(socket), received(socket)] == ["one", "two"]
        socket.send("anything else")
        assert received(socket) == "anything else"
        socket.send("bye")
        assert closed_with(socket) == (4000, "bye")


def test_close_after_n_messages(running: RunningInThread) -> None:
    with opened(running, "/ws") as socket:
        assert [received(socket), received(socket)] == [{"type": "hello", "name": None}, "welcome"]
        for message in ("a", "b", "c", "d"):
            socket.send(message)
        assert [received(socket) for _ in range(4)] == ["a", "b", "c", "d"]
        assert closed_with(socket) == (4001, "enough")


def test_a_failing_reply_closes_with_1011_and_says_why(running: RunningInThread) -> None:
    with opened(running, "/ws") as socket:
        socket.send("broken")
        code, reason = closed_with(socket)
        assert code == 1011 and reason is not None and "see the devserve log" in reason
    wait_until(lambda: any(r.note and "ZeroDivisionError" in r.note for r in running.socket_events))
    note = next(r.note for r in running.socket_events if r.note and "Zero" in r.note)
    assert note.startswith("not sent: origins.api.sockets[0].rules[3].reply.text: ZeroDivision")


def test_a_broadcast_reaches_every_page_of_the_socket(running: RunningInThread) -> None:
    with (
        opened(running, "/rooms/a") as one,
        opened(running, "/rooms/a") as two,
        opened(running, "/rooms/b") as other,
    ):
        wait_until(lambda: running.send("api", "/rooms/{room}", "ping all") == 3)
        assert [received(s) for s in (one, two, other)] == ["ping all"] * 3
        assert running.send("api", "/rooms/a", {"only": "a"}) == 2
        assert [received(one), received(two)] == [{"only": "a"}] * 2
        other.send("still mine")
        assert received(other) == "still mine"  # /rooms/b got no "only a"
    with pytest.raises(devserve.DevserveError, match="has no socket at /nope"):
        running.send("api", "/nope", "x")


def test_every_frame_and_the_close_are_logged(running: RunningInThread) -> None:
    running.clear()
    with opened(running, "/ws?name=Log") as socket:
        received(socket), received(socket)
        socket.send("bye")
        closed_with(socket)
    wait_until(lambda: any(r.event == "close" for r in running.socket_events))
    handshake = next(r for r in running.requests if r.method == "WS")
    assert (handshake.path, handshake.status) == ("/ws", 101)
    number = handshake.note and handshake.note.removeprefix("connection #")
    lines = [r.line() for r in running.socket_events if r.event != "open"]
    assert lines == [
        f'api        WS>     /ws #{number} {{"type":"hello","name":"Log"}}',
        f"api        WS>     /ws #{number} welcome",
        f"api        WS<     /ws #{number} bye  (origins.api.sockets[0].rules[1])",
        f"api        WS      /ws #{number} closed 4000 'bye' by devserve",
    ]


@pytest.mark.parametrize(
    ("path", "origin", "allowed"),
    [
        ("/ws", LOCAL, True),  # no allow_origins: local origins only...
        ("/ws", FOREIGN, False),  # ...whatever the CORS policy lists
        ("/ws", "http://other.test", False),  # ...and whatever allow_writes_from lists
        ("/listed", LOCAL, True),
        ("/listed", "http://localhost:5173", False),
        ("/any", FOREIGN, True),
    ],
)
def test_the_socket_decides_who_may_connect(
    running: RunningInThread, path: str, origin: str, allowed: bool
) -> None:
    if allowed:
        with opened(running, path, origin) as socket:
            socket.send("x")
            assert received(socket) == "x" or path == "/ws"
        return
    with pytest.raises(InvalidStatus) as refused:
        opened(running, path, origin)
    answer = refused.value.response
    assert answer.status_code == 403
    body = json.loads(answer.body or b"{}")
    assert body["origin"] == origin
    assert f"may not open socket {path} of origin 'api'" in body["reason"]
    assert body["fix"].startswith(f'add "{origin}" to allow_origins of origins.api.sockets[')
    wait_until(lambda: any(r.method == "WS" and r.status == 403 for r in running.requests))
    record = next(r for r in running.requests if r.method == "WS" and r.status == 403)
    assert record.cors is not None and record.cors.verdict == "blocked"
    assert record.cors.reason is not None and origin in record.cors.reason
    running.clear()


def test_a_message_over_the_limit_closes_with_1009(running: RunningInThread) -> None:
    with opened(running, "/small") as socket:
        socket.send("x" * 100)
        assert received(socket) == "x" * 100
        socket.send("x" * 101)
        assert closed_with(socket) == (1009, "message too big")


def test_connections_past_the_limit_are_refused_before_the_upgrade(
    running: RunningInThread,
) -> None:
    with opened(running, "/two"), opened(running, "/two"):
        with pytest.raises(InvalidStatus) as refused:
            opened(running, "/two")
        assert refused.value.response.status_code == 503
        error = json.loads(refused.value.response.body or b"{}")["error"]
        assert error.startswith("already 2 connections to /two (max_connections of")
    with opened(running, "/two") as again:  # closed ones make room
        again.send("x")
        assert received(again) == "x"


def test_binary_messages_are_echoed_as_binary(running: RunningInThread) -> None:
    with opened(running, "/rooms/bin") as socket:
        socket.send(b"\x00\xff")
        assert socket.recv(timeout=5) == b"\x00\xff"


def test_a_message_cannot_write_terminal_escapes_into_the_log(running: RunningInThread) -> None:
    with opened(running, "/rooms/esc") as socket:
        socket.send("\x1b]0;pwned\x07\x1b[2J\nforged line")
        assert received(socket).startswith("\x1b]0;")  # echoed as sent: only the log escapes
    def logged() -> bool:
        return any(r.path == "/rooms/esc" and r.event == "in" for r in running.socket_events)

    wait_until(logged, "the message's log line")
    for record in running.socket_events:
        line = record.line()
        assert "\x1b" not in line and "\x07" not in line and "\n" not in line
