"""Event streams and sockets in real Chromium and Firefox ESR: scripted events with their types and
JSON data, a cut stream resumed with Last-Event-ID exactly once, a credentialed EventSource under
an allow-list and under "*", socket on-connect messages, rule answers, a `devserve send`
broadcast in two tabs, a scripted close code, a refused origin; and a recorded conversation and
stream replayed offline to the same page, the same messages in the same order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from typer.testing import CliRunner

from devserve.cli.root import app
from tests.browser.drivers import Chromium, Driver
from tests.support.configs import config_toml
from tests.support.process import Devserve, free_ports, run_devserve
from tests.support.served import served
from tests.support.waiting import wait_until

PAGE_JS = Path(__file__).with_name("live_page.js").read_text()
EVENTS = [
    {"event": "greeting", "data": {"hello": "{{ query.name }}", "n": 1}, "id": "1"},
    {"event": "tick", "data": "{{ [2, 3] }}", "id": "2"},
    {"event": "tick", "data": "three", "id": "3"},
    {"event": "tick", "data": {"n": 4}, "id": "4"},
    {"event": "bye", "data": {"n": 5}, "id": "5"},
]
TYPES = ["greeting", "tick", "bye"]


def js(function: str, *args: Any) -> str:
    return f"window.{function}({', '.join(json.dumps(arg) for arg in args)})"


def write_pages(root: Path) -> None:
    (root / "web").mkdir(exist_ok=True)
    (root / "web" / "live_page.js").write_text(PAGE_JS)
    (root / "web" / "index.html").write_text(
        '<!doctype html><title>live</title><script src="/live_page.js"></script><p>live</p>'
    )


@dataclass
class Served:
    server: Devserve
    root: Path
    ports: dict[str, int]

    def url(self, name: str, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.ports[name]}{path}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("live-browser")
    write_pages(root)
    names = ("page", "other", "api", "star", "dashboard")
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    pages = [f"http://127.0.0.1:{ports['page']}", f"http://localhost:{ports['page']}"]
    stream = {"retry_ms": 100, "stream": EVENTS}
    socket = {
        "path": "/ws",
        "allow_origins": pages,
        "on_connect": [{"json": {"type": "hello"}}, {"text": "welcome"}],
        "rules": [
            {"match": {"json": {"type": "ping"}},
             "reply": {"json": {"type": "pong", "n": "{{ json.n + 1 }}"}}},
            {"match": {"text": "bye"}, "close": {"code": 4000, "reason": "bye"}},
        ],
    }
    origins = {
        "page": {"port": ports["page"], "static": "web"},
        "other": {"port": ports["other"], "static": "web"},
        "api": {
            "port": ports["api"],
            "cors": {"allow_origins": pages, "allow_credentials": True},
            "routes": [
                {"path": "/events", **stream},
                {"path": "/cut", **stream, "stream_cut_after": 2},
            ],
            "sockets": [socket],
        },
        "star": {"port": ports["star"], "cors": "*", "routes": [{"path": "/events", **stream}]},
    }
    (root / "devserve.toml").write_text(
        config_toml(origins, {"dashboard_port": ports["dashboard"]})
    )
    server = run_devserve(["run", "--no-reload"], cwd=root, wait_ports=list(ports.values()))
    yield Served(server, root, ports)
    server.stop()


@pytest.fixture(params=["chromium", "firefox"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    chosen: Driver = (
        Chromium(request.getfixturevalue("context"))
        if request.param == "chromium"
        else request.getfixturevalue("firefox_session")
    )
    yield chosen
    chosen.close_all()


def expected_events(name: str) -> list[tuple[str, Any, str]]:
    return [
        ("greeting", {"hello": name, "n": 1}, "1"),
        ("tick", [2, 3], "2"),
        ("tick", "three", "3"),
        ("tick", {"n": 4}, "4"),
        ("bye", {"n": 5}, "5"),
    ]


def received(result: dict[str, Any]) -> list[tuple[str, Any, str]]:
    def data(text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError:
            return text

    return [(e["type"], data(e["data"]), e["id"]) for e in result["events"]]


def test_scripted_events_and_a_cut_stream_resumed_exactly_once(
    live: Served, driver: Driver
) -> None:
    driver.open("page", live.url("page"))
    whole = driver.eval("page", js("collectEvents", live.url("api", "/events?name=Ada"),
                                    {"types": TYPES}))
    assert (whole["end"], received(whole)) == ("closed", expected_events("Ada"))
    cut = driver.eval("page", js("collectEvents", live.url("api", "/cut?name=Bo"),
                                  {"types": TYPES}))
    assert (cut["end"], received(cut)) == ("closed", expected_events("Bo"))
    # Cut after two events each time (a browser may drop what came with the cut: it gets it
    # again on the next connection); every reconnect got the rest, each event exactly once.
    assert cut["opened"] >= 3


def test_a_credentialed_event_source_with_an_allow_list_and_with_a_star(
    live: Served, driver: Driver
) -> None:
    driver.open("page", live.url("page"))
    driver.eval("page", "document.cookie = 'session=s3cr3t; SameSite=Lax'")
    options = {"types": TYPES, "credentials": True}
    listed = driver.eval("page", js("collectEvents", live.url("api", "/events?name=C"), options))
    assert received(listed) == expected_events("C")
    star = driver.eval("page", js("collectEvents", live.url("star", "/events"), options))
    assert (star["end"], star["events"]) == ("closed", [])  # the browser refused to read it
    wait_until(lambda: "star       GET     /events 200" in live.server.output(), "the log line")
    line = next(x for x in live.server.output().splitlines() if x.startswith("star "))
    assert "blocked: Access-Control-Allow-Origin is '*' but the request sends credentials" in line


def test_sockets_answer_broadcast_to_two_tabs_and_close_with_a_code(
    live: Served, driver: Driver
) -> None:
    url = live.url("api", "/ws", scheme="ws")
    for tab in ("one", "two"):
        driver.open(tab, live.url("page"))
        assert driver.eval(tab, js("openSocket", "s", url)) == "open"
        state = driver.eval(tab, js("socketState", "s", 2))
        assert state["messages"] == ['{"type":"hello"}', "welcome"]
    driver.eval("one", js("socketSend", "s", '{"type": "ping", "n": 41}'))
    assert driver.eval("one", js("socketState", "s", 3))["messages"][2] == '{"type":"pong","n":42}'
    # `devserve send`, run in this process (the same command, without a Python start-up).
    dashboard = f"http://127.0.0.1:{live.ports['dashboard']}"
    sent = CliRunner().invoke(app, ["send", "api", "/ws", '{"type":"news"}', "--url", dashboard])
    assert (sent.exit_code, sent.output) == (0, "sent to 2 pages on /ws of 'api'\n")
    for tab, count in (("one", 4), ("two", 3)):
        assert driver.eval(tab, js("socketState", "s", count))["messages"][-1] == '{"type":"news"}'
    driver.eval("two", js("socketSend", "s", "bye"))
    assert driver.eval("two", js("socketClosed", "s"))["close"] == {"code": 4000, "reason": "bye"}


def test_a_socket_from_a_disallowed_origin_is_refused_with_the_verdict_in_the_log(
    live: Served, driver: Driver
) -> None:
    driver.open("other", live.url("other"))
    assert driver.eval("other", js("openSocket", "s", live.url("api", "/ws", "ws"))) == "closed"
    other = live.url("other").rstrip("/")
    expected = (
        f"blocked: refused a WebSocket connection to /ws (browsers apply no CORS to sockets): "
        f"origin '{other}' may not open socket /ws of origin 'api': it is not in the socket's "
        f'allow_origins; add "{other}" to allow_origins of origins.api.sockets[0]'
    )
    wait_until(lambda: expected in live.server.output(), "the refusal's log line",
               output=live.server.output)
    line = next(x for x in live.server.output().splitlines() if expected in x)
    assert line.startswith("api        WS      /ws 403")


# ---- recorded, then replayed offline --------------------------------------------------------


async def chat(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_json({"type": "hello"})
    await asyncio.sleep(0.05)
    await socket.send_text("news")
    try:
        while True:
            message = json.loads(await socket.receive_text())
            await socket.send_json({"type": "answer", "to": message["q"]})
    except WebSocketDisconnect:
        return


async def feed(request: Request) -> Response:
    last = int(request.headers.get("last-event-id", "0"))
    if last >= 4:
        return Response(status_code=204)  # finished: the EventSource stops

    async def stream() -> AsyncIterator[bytes]:
        yield b"retry: 100\n\n"
        for number in range(last + 1, last + 3):  # two events per connection
            kind = "tick" if number % 2 else "tock"
            yield f"id: {number}\nevent: {kind}\ndata: {{\"n\":{number}}}\n\n".encode()
            await asyncio.sleep(0.02)

    return StreamingResponse(stream(), media_type="text/event-stream")


PAGE_TALK = """
(async () => {
  await window.openSocket("c", "URL");
  await window.socketState("c", 2);
  window.socketSend("c", JSON.stringify({q: 1}));
  await window.socketState("c", 3);
  window.socketSend("c", JSON.stringify({q: 2}));
  const state = await window.socketState("c", 4);
  window.socks.c.ws.close(1000);
  return state.messages;
})()
"""


def page_session(driver: Driver, page: str, live_origin: str) -> dict[str, Any]:
    """What the page gets from the socket and the stream of ``live_origin``."""
    driver.open("page", page)
    socket = live_origin.replace("http", "ws") + "/chat"
    talk = driver.eval("page", PAGE_TALK.replace("URL", socket))
    events = driver.eval("page", js("collectEvents", live_origin + "/feed",
                                     {"types": ["tick", "tock"]}))
    return {"socket": talk, "events": received(events), "end": events["end"]}


@pytest.fixture(scope="module")
def recorded(
    tmp_path_factory: pytest.TempPathFactory, browser: Any
) -> Iterator[tuple[dict[str, Any], Served]]:
    """A page's live session through the proxy, recorded (in Chromium), then devserve offline."""
    root = tmp_path_factory.mktemp("live-replay")
    write_pages(root)
    upstream = Starlette(routes=[Route("/feed", feed), WebSocketRoute("/chat", chat)])
    page, proxied = free_ports(2)
    with served(upstream) as url:
        origins = {
            "page": {"port": page, "static": "web"},
            "live": {"port": proxied, "cors": "on", "proxy": url, "record": "rec"},
        }
        (root / "devserve.toml").write_text(config_toml(origins, {"dashboard_port": False}))
        recording = run_devserve(["run", "--no-reload"], cwd=root, wait_ports=[page, proxied])
        context = browser.new_context()
        try:
            live = page_session(Chromium(context), f"http://127.0.0.1:{page}/",
                                f"http://127.0.0.1:{proxied}")
            conversation = root / "rec" / "chat.WS.mock.json"
            wait_until(conversation.exists, "the conversation's recording")
        finally:
            context.close()
            recording.stop()
    offline = run_devserve(["run", "--no-reload", "--offline"], cwd=root,
                           wait_ports=[page, proxied])
    yield live, Served(offline, root, {"page": page, "live": proxied})
    offline.stop()


def test_a_recorded_socket_and_stream_replay_offline_the_same(
    recorded: tuple[dict[str, Any], Served], driver: Driver
) -> None:
    live, offline = recorded
    assert live["socket"] == ['{"type":"hello"}', "news", '{"type":"answer","to":1}',
                              '{"type":"answer","to":2}']
    assert [event[2] for event in live["events"]] == ["1", "2", "3", "4"]
    again = page_session(driver, offline.url("page"), offline.url("live").rstrip("/"))
    assert again == live


def test_the_dashboard_shows_connections_and_frames_and_sends_to_the_pages(
    live: Served, context: Any
) -> None:
    page = Chromium(context)
    page.open("page", live.url("page"))
    assert page.eval("page", js("openSocket", "s", live.url("api", "/ws", "ws"))) == "open"
    page.eval("page", js("socketState", "s", 2))
    dashboard = context.new_page()
    dashboard.goto(f"http://127.0.0.1:{live.ports['dashboard']}/")
    # A dashboard opened later still gets the open connection and the socket's last frames.
    dashboard.wait_for_selector("#socket-connections tr")
    assert "/ws" in dashboard.locator("#socket-connections").inner_text()
    dashboard.wait_for_function(
        "document.querySelector('#socket-frames').innerText.includes('welcome')"
    )
    page.eval("page", js("socketSend", "s", "from the page"))
    dashboard.wait_for_function(
        "document.querySelector('#socket-frames').innerText.includes('from the page')"
    )
    dashboard.select_option("#socket-origin", "api")
    dashboard.fill("#socket-path", "/ws")
    dashboard.fill("#socket-message", "from the dashboard")
    dashboard.click("#socket-send button")
    dashboard.wait_for_function(
        "document.querySelector('#socket-send-result').innerText.startsWith('sent to ')"
    )
    messages = page.eval("page", js("socketState", "s", 3))["messages"]
    assert messages[-1] == "from the dashboard"
    page.close_all()
    dashboard.close()
