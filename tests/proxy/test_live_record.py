"""Recording sockets and event streams through the proxy, redacted like any recording, and
replaying them offline: the same messages in the same order, request/answer pairs driven by
the page, Last-Event-ID resume, gaps kept or compressed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.sync.client import ClientConnection, connect

from tests.proxy.conftest import ProxyFactory
from tests.support.served import served
from tests.support.waiting import wait_until

TOKEN = "tok-3f9a8b7c6d"  # what the page sends: a secret by its field name
GAP_MS = 250


async def chat(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_json({"type": "hello"})
    await asyncio.sleep(GAP_MS / 1000)
    await socket.send_text("news")
    try:
        while True:
            message = json.loads(await socket.receive_text())
            if message["type"] == "auth":
                await socket.send_json({"type": "welcome", "echo": message["token"]})
            else:
                await socket.send_json({"type": "pong", "n": message.get("n")})
    except WebSocketDisconnect:
        return


async def feed(request: Request) -> StreamingResponse:
    events = [
        (1, "greeting", {"hello": "world"}),
        (2, "secret", {"api_key": "k-9f8e7d6c5b", "note": "shh"}),
        (3, "tick", "plain text"),
        (4, "tick", [4]),
        (5, "bye", {"n": 5}),
    ]
    last = int(request.headers.get("last-event-id", "0"))
    endless = "endless" in request.query_params

    async def stream() -> AsyncIterator[bytes]:
        yield b"retry: 750\n\n"
        sent = 0
        for number, kind, data in events:
            if number <= last:
                continue
            text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
            yield f"id: {number}\nevent: {kind}\ndata: {text}\n\n".encode()
            sent += 1
            await asyncio.sleep(0.03)
            if sent == 3 and not last:
                return  # the first connection ends after three: the page reconnects
        while endless:
            await asyncio.sleep(0.05)
            yield b": still here\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream")


@pytest.fixture
def live_upstream() -> Iterator[str]:
    app = Starlette(routes=[Route("/feed", feed), WebSocketRoute("/chat", chat)])
    with served(app) as url:
        yield url


def messages(socket: ClientConnection, count: int) -> list[Any]:
    got = []
    for _ in range(count):
        text = socket.recv(timeout=5)
        assert isinstance(text, str)
        got.append(json.loads(text) if text.startswith("{") else text)
    return got


def talk(url: str) -> tuple[list[Any], float]:
    """The page's side of the chat; and how long the gap before "news" took."""
    with connect(url.replace("http://", "ws://") + "/chat?room=1", open_timeout=5) as socket:
        started = time.monotonic()
        first = messages(socket, 2)
        gap = time.monotonic() - started
        answers = []
        for question in ({"type": "auth", "token": TOKEN}, {"type": "ping", "n": 1}):
            socket.send(json.dumps(question, separators=(",", ":")))
            answers += messages(socket, 1)
        return first + answers, gap


EXPECTED_CHAT = [
    {"type": "hello"},
    "news",
    {"type": "welcome", "echo": "REDACTED"},  # the page's secret, echoed: scrubbed
    {"type": "pong", "n": 1},
]


@pytest.mark.parametrize("timing", ["recorded", "compressed"])
def test_a_socket_conversation_is_recorded_redacted_and_replayed_offline(
    tmp_path: Path, live_upstream: str, proxy_origin: ProxyFactory, timing: str
) -> None:
    settings = {"proxy": live_upstream, "record": "rec", "replay_timing": timing}
    with proxy_origin(**settings) as proxied:
        live, _ = talk(proxied.url)
        assert live[2] == {"type": "welcome", "echo": TOKEN}
        envelope = tmp_path / "rec" / "chat.WS.mock.json"
        wait_until(envelope.exists, "the conversation to be written")
    recorded = json.loads(envelope.read_text())
    assert TOKEN not in envelope.read_text()
    assert recorded["match"] == {"query": {"room": "1"}, "exact_query": True}
    frames = [(f["from"], f.get("json", f.get("text"))) for f in recorded["conversation"]]
    assert frames[:6] == [
        ("server", {"type": "hello"}),
        ("server", "news"),
        ("client", {"type": "auth", "token": "REDACTED"}),
        ("server", {"type": "welcome", "echo": "REDACTED"}),
        ("client", {"type": "ping", "n": 1}),
        ("server", {"type": "pong", "n": 1}),
    ]
    assert recorded["conversation"][1]["at_ms"] >= GAP_MS - 50
    with proxy_origin(offline=True, **settings) as replayed:
        again, gap = talk(replayed.url)
        assert again == EXPECTED_CHAT
        if timing == "recorded":
            assert gap >= (GAP_MS - 50) / 1000
        else:
            assert gap < (GAP_MS - 50) / 1000
        log = [(r.method, r.status) for r in replayed.records]
        assert log == [("WS", 101)]


def test_a_socket_with_no_recording_is_refused_offline_naming_the_nearest(
    tmp_path: Path, live_upstream: str, proxy_origin: ProxyFactory
) -> None:
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "chat.WS.mock.json").write_text(
        json.dumps({"match": {"query": {"room": "1"}, "exact_query": True}, "conversation": []})
    )
    with proxy_origin(offline=True, proxy=live_upstream, record="rec") as replayed:
        url = replayed.url.replace("http://", "ws://") + "/chat?room=2"
        with pytest.raises(Exception) as refused:
            connect(url, open_timeout=5)
        answer = refused.value.response  # type: ignore[attr-defined]
        assert answer.status_code == 404
        body = json.loads(answer.body)
        assert body["error"] == "no recording for WS /chat?room=2"
        assert body["nearest"] == {
            "file": "chat.WS.mock.json",
            "differs": ["query room is '2', not '1'"],
        }


def read_events(
    url: str, last: str | None = None, count: int | None = None
) -> list[dict[str, str]]:
    headers = {"Last-Event-ID": last} if last else {}
    got: list[dict[str, str]] = []
    with httpx.stream("GET", url, headers=headers, timeout=10) as answer:
        fields: dict[str, str] = {}
        for line in answer.iter_lines():
            if not line:
                if "data" in fields:
                    got.append(fields)
                    if count is not None and len(got) == count:
                        return got
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    return got


def test_an_event_stream_is_recorded_across_a_reconnect_and_replayed_offline(
    tmp_path: Path, live_upstream: str, proxy_origin: ProxyFactory
) -> None:
    settings = {"proxy": live_upstream, "record": "rec"}
    with proxy_origin(**settings) as proxied:
        first = read_events(proxied.url + "/feed")
        rest = read_events(proxied.url + "/feed", last=first[-1]["id"])
    live = first + rest
    assert [e["id"] for e in live] == ["1", "2", "3", "4", "5"]
    envelope = json.loads((tmp_path / "rec" / "feed.mock.json").read_text())
    assert envelope["retry_ms"] == 750
    assert [e["id"] for e in envelope["stream"]] == ["1", "2", "3", "4", "5"]
    assert envelope["stream"][1]["data"] == {"api_key": "REDACTED", "note": "shh"}
    assert envelope["stream"][2]["data"] == "plain text"
    with proxy_origin(offline=True, **settings) as replayed:
        again = read_events(replayed.url + "/feed")
        assert [(e["id"], e["event"]) for e in again] == [(e["id"], e["event"]) for e in live]
        assert again[0]["data"] == live[0]["data"] and again[3]["data"] == "[4]"
        resumed = read_events(replayed.url + "/feed", last="2")
        assert [e["id"] for e in resumed] == ["3", "4", "5"]
        finished = httpx.get(replayed.url + "/feed", headers={"Last-Event-ID": "5"})
        assert finished.status_code == 204


def test_an_endless_stream_is_recorded_up_to_where_the_page_left(
    tmp_path: Path, live_upstream: str, proxy_origin: ProxyFactory
) -> None:
    with proxy_origin(proxy=live_upstream, record="rec") as proxied:
        seen = read_events(proxied.url + "/feed?endless=1", last="1", count=2)
        assert [e["id"] for e in seen] == ["2", "3"]
        envelope = tmp_path / "rec" / "feed.mock.json"
        wait_until(envelope.exists, "the stream to be written once the page left")
    assert [e["id"] for e in json.loads(envelope.read_text())["stream"]][:2] == ["2", "3"]
