"""The fast path (serving/fastpath.py): a replayed answer is the answer the layers give, byte
for byte, with the same request record; whatever could change it sends the request through the
layers again.

Two instances of one config run side by side, the second with its fast path off: the same
request sent twice to each must get the same bytes (but the Date) and the same records."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import ASGIApp, Receive, Scope, Send

import devserve
from devserve.embed import RunningInThread
from devserve.live.reload import SCRIPT_TAG
from devserve.records import RequestRecord
from devserve.serving import fastpath
from devserve.serving.fastpath import FastPath
from tests.support.process import StartDevserve, free_ports
from tests.support.rawhttp import KeptAlive
from tests.support.waiting import wait_until

CONFIG = """
[origins.web]
port = 0
static = "web"
cors = "on"
compress = true

[origins.pub]
port = 0
static = "web"
spa = true
cors = "*"

[origins.api]
port = 0
static = "web"
cors = { allow_origins = ["http://localhost:5173"], allow_credentials = true }

[[origins.api.routes]]
path = "/data"
json = { id = 1, name = "Ada" }

[[origins.api.routes]]
path = "/item/{id}"
method = "GET"
json = { item = true }
headers = { "X-Kind" = "item" }

[[origins.api.routes]]
path = "/login"
json = { ok = true }
headers = { "Set-Cookie" = "sid=1; Path=/; SameSite=None; Secure" }

[[origins.api.routes]]
path = "/only-post"
method = "POST"
json = {}

[[origins.api.routes]]
path = "/matched"
match = { query = { a = "1" } }
json = { matched = true }

[[origins.api.routes]]
path = "/empty"
status = 204
"""
NAMES = ("web", "pub", "api")


def site(root: Path) -> None:
    web = root / "web"
    (web / "dir").mkdir(parents=True)
    (web / "file.txt").write_bytes(b"0123456789" * 1024)
    (web / "app.js").write_text("export const answer = 42;\n" * 40)
    (web / "index.html").write_text("<!doctype html><html><head></head><body>home</body></html>")
    (web / "dir" / "index.html").write_text("<p>dir</p>")
    (web / "404.html").write_text("<p>not here</p>")


class Counting:
    """Counts the requests that reach an origin's layers (a replay does not)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


@dataclass
class Side:
    running: RunningInThread
    connections: dict[str, KeptAlive] = field(default_factory=dict)

    def fast(self, name: str) -> FastPath:
        app = self.running._runner.registry.served[name].origin.app
        assert isinstance(app, FastPath)
        return app

    def port(self, name: str) -> int:
        return int(self.running.url(name).rsplit(":", 1)[1])

    def send(self, name: str, data: bytes, *, head_only: bool = False) -> bytes:
        if name not in self.connections:
            self.connections[name] = KeptAlive(self.port(name))
        return self.connections[name].exchange(data, head_only=head_only)

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Side, Side]]:
    root = tmp_path_factory.mktemp("fastpath")
    site(root)
    with (
        devserve.run_in_thread(devserve.config_from_toml(CONFIG, base=root)) as fast,
        devserve.run_in_thread(devserve.config_from_toml(CONFIG, base=root)) as layers,
    ):
        a, b = Side(fast), Side(layers)
        for name in NAMES:
            b.fast(name).enabled = False
            a.fast(name).app = Counting(a.fast(name).app)
        yield a, b
        a.close()
        b.close()


def request(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    *,
    host: str | None = "localhost:8000",
    version: str = "HTTP/1.1",
    body: bytes = b"",
) -> bytes:
    lines = [f"{method} {target} {version}"]
    lines += [f"Host: {host}"] if host is not None else []
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Length: {len(body)}"] if body else []
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def undated(raw: bytes) -> bytes:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.startswith(b"date: ")]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def shown(record: RequestRecord) -> dict[str, Any]:
    """A record as compared: all but when it was answered and how long it took."""
    fields = dict(vars(record))
    del fields["ms"], fields["at"]
    return fields


def twice(side: Side, name: str, data: bytes, head_only: bool) -> tuple[list[bytes], list[Any]]:
    seen = len(side.running.requests)
    answers = [undated(side.send(name, data, head_only=head_only)) for _ in range(2)]
    return answers, [shown(record) for record in side.running.requests[seen:]]


def test_a_repeated_request_is_answered_without_the_layers(sides: tuple[Side, Side]) -> None:
    a, b = sides
    cases = [
        ("web", request("GET", "/file.txt", [("Origin", "http://localhost:3000")])),
        ("web", request("GET", "/app.js", [("Accept-Encoding", "gzip, br")])),
        ("web", request("HEAD", "/file.txt", [])),
        ("web", request("GET", "/file.txt", [("If-None-Match", "*")])),
        ("web", request("GET", "/file.txt", [("Range", "bytes=10-19")])),
        ("web", request("GET", "/dir/", [])),
        ("pub", request("GET", "/somewhere", [("Origin", "http://localhost:3000")])),
        ("pub", request("GET", "/nothing.js", [])),
        ("api", request("GET", "/data?x=1", [("Origin", "http://localhost:5173")])),
        ("api", request("GET", "/item/7", [("Origin", "https://evil.example")])),
        ("api", request("HEAD", "/data", [])),
        ("api", request("GET", "/empty", [])),
    ]
    for name, data in cases:
        counting = a.fast(name).app
        assert isinstance(counting, Counting)
        head_only = data.startswith(b"HEAD")
        before = counting.calls
        answers, records = twice(a, name, data, head_only)
        assert counting.calls == before + 1, f"{data!r} was not replayed"
        expected, expected_records = twice(b, name, data, head_only)
        assert answers == expected, data
        assert records == expected_records, data


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("api", request("GET", "/login", [("Origin", "http://localhost:5173")])),  # Set-Cookie
        ("api", request("GET", "/matched?a=1", [])),  # a match: it reads the request
        ("api", request("POST", "/only-post", [], body=b"{}")),  # a body
        ("web", request("GET", "/file.txt", [], version="HTTP/1.0")),
        ("web", request("GET", "/file.txt", [("Connection", "close")])),
        ("web", request("GET", "/", [("Upgrade", "h2c"), ("Connection", "Upgrade")])),
    ],
)
def test_what_may_differ_goes_through_the_layers(
    sides: tuple[Side, Side], name: str, data: bytes
) -> None:
    a, b = sides
    counting = a.fast(name).app
    assert isinstance(counting, Counting)
    before = counting.calls
    answers, records = twice(a, name, data, False)
    assert counting.calls == before + 2
    assert (answers, records) == twice(b, name, data, False)


ORIGINS = [
    "http://localhost:8000", "http://localhost:5173", "https://evil.example", "null",
    "http://127.0.0.1:3000",
]  # fmt: skip
EXTRA = [
    ("Cookie", "a=1"), ("If-None-Match", "*"), ("If-None-Match", '"nope"'),
    ("If-Modified-Since", "Sun, 06 Dec 2099 00:00:00 GMT"), ("Range", "bytes=0-9"),
    ("Range", "bytes=5-"), ("Range", "bytes=99999-"), ("Range", "items=1-2"),
    ("Accept-Encoding", "gzip"), ("Accept-Encoding", "br, gzip"), ("Sec-Fetch-Mode", "cors"),
    ("Sec-Fetch-Mode", "navigate"), ("Access-Control-Request-Method", "PUT"),
    ("Access-Control-Request-Headers", "x-token"), ("Connection", "close"), ("X-Other", "1"),
]  # fmt: skip
TARGETS = [
    "/file.txt", "/", "/dir/", "/dir", "/app.js", "/missing.js", "/spa/route", "/data",
    "/data?x=1", "/data%0A", "/item/3", "/login", "/only-post", "/matched?a=1", "/matched",
    "/empty", "/__devserve/livereload.js", "/%2e%2e/secret", "/file.txt?v=2", "/404.html",
]  # fmt: skip


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(NAMES),
    method=st.sampled_from(["GET", "GET", "GET", "HEAD", "OPTIONS", "POST", "DELETE"]),
    target=st.sampled_from(TARGETS),
    origins=st.lists(st.sampled_from(ORIGINS), max_size=2),
    extra=st.lists(st.sampled_from(EXTRA), max_size=4, unique=True),
    host=st.sampled_from(["localhost:8000", "127.0.0.1:9", "evil.example", None]),
    version=st.sampled_from(["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0"]),
)
def test_replays_and_the_layers_answer_alike(
    sides: tuple[Side, Side],
    name: str,
    method: str,
    target: str,
    origins: list[str],
    extra: list[tuple[str, str]],
    host: str | None,
    version: str,
) -> None:
    a, b = sides
    headers = [("Origin", origin) for origin in origins] + extra
    data = request(method, target, headers, host=host, version=version)
    head_only = method == "HEAD"
    assert twice(a, name, data, head_only) == twice(b, name, data, head_only)


def test_an_edited_file_is_sent_at_once(sides: tuple[Side, Side], tmp_path: Path) -> None:
    a, _ = sides
    web = Path(a.running._runner.config.origins["web"].static or "")
    page = web / "edited.txt"
    page.write_bytes(b"first")
    data = request("GET", "/edited.txt", [])
    assert a.send("web", data).endswith(b"first")
    assert a.send("web", data).endswith(b"first")  # replayed
    page.write_bytes(b"again")  # same size: only the version tells it apart
    stat = page.stat()
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert a.send("web", data).endswith(b"again")
    page.unlink()
    assert a.send("web", data).startswith(b"HTTP/1.1 404 ")


def test_a_runtime_cors_switch_applies_to_the_next_replay(sides: tuple[Side, Side]) -> None:
    a, _ = sides
    data = request("GET", "/file.txt", [("Origin", "http://localhost:3000")])
    for _ in range(2):
        assert b"access-control-allow-origin: http://localhost:3000" in a.send("web", data)
    a.running.set_cors("web", enabled=False)
    try:
        answer = a.send("web", data)
        assert b"access-control-allow-origin" not in answer
        assert b"x-devserve-cors: blocked" in answer
        record = a.running.requests[-1]
        assert record.cors is not None and record.cors.verdict == "blocked"
    finally:
        a.running.set_cors("web", enabled=True)
    assert b"access-control-allow-origin: http://localhost:3000" in a.send("web", data)


def test_live_reload_pages_and_config_changes(
    start_devserve: StartDevserve, tmp_path: Path
) -> None:
    """The CLI with live reload: a page replayed carries the script once, as the layers put
    it; an edited page and a changed config are answered anew at once."""
    site(tmp_path)
    web, api, dashboard = free_ports(3)
    config = f"""
[devserve]
dashboard_port = {dashboard}

[origins.web]
port = {web}
static = "web"

[origins.api]
port = {api}
cors = "on"
[[origins.api.routes]]
path = "/data"
json = {{ version = 1 }}
"""
    server = start_devserve(config, ports=[web, api])
    pages, data = KeptAlive(web), KeptAlive(api)
    page = request("GET", "/", [])
    first, again = undated(pages.exchange(page)), undated(pages.exchange(page))
    assert first == again and first.count(SCRIPT_TAG) == 1
    (tmp_path / "web" / "index.html").write_text("<html><head></head><body>new</body></html>")
    fresh = pages.exchange(page)
    assert b"new" in fresh and fresh.count(SCRIPT_TAG) == 1
    ask = request("GET", "/data", [("Origin", "http://localhost:3000")])
    assert data.exchange(ask).endswith(b'{"version": 1}')
    assert data.exchange(ask).endswith(b'{"version": 1}')  # replayed
    (tmp_path / "devserve.toml").write_text(config.replace("version = 1", "version = 2"))

    def changed() -> bool:
        answer = KeptAlive(api)
        try:
            return answer.exchange(ask).endswith(b'{"version": 2}')
        finally:
            answer.close()

    wait_until(changed, "the new config's answer", output=server.output)
    assert data.exchange(ask).endswith(b'{"version": 2}')  # the connection open before, too
    pages.close()
    data.close()


def test_what_is_learnt_stays_bounded(sides: tuple[Side, Side]) -> None:
    """Distinct requests (a header that changes each time) and big bodies: the answers kept
    never pass MAX_REPLAYS, nor MAX_BODY_BYTES of bodies."""
    a, _ = sides
    fast = a.fast("web")
    for index in range(fastpath.MAX_REPLAYS + 50):
        a.send("web", request("GET", "/file.txt", [("X-Count", str(index))]))
        assert len(fast._replays) <= fastpath.MAX_REPLAYS
        assert fast._bytes == sum(len(replay.body) for replay in fast._replays.values())
        assert fast._bytes <= fastpath.MAX_BODY_BYTES
