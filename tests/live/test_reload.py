"""Hot reload over real HTTP: script injection, the reserved endpoints, events and config diffs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from devserve.config import parse_config
from devserve.live.reload import SCRIPT_TAG, ReloadHub, inject
from devserve.serve.origin import build_origin
from tests.conftest import Devserve, StartDevserve, free_ports, port_open
from tests.support.sse import event_stream


def wait_for(
    condition: Callable[[], bool], server: Devserve | None = None, timeout: float = 10.0
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            output = server.output() if server else ""
            raise AssertionError(f"condition not met in time; devserve said:\n{output}")
        time.sleep(0.02)


def origin_client(tmp_path: Path, origin: dict[str, object]) -> TestClient:
    config = parse_config(
        {"origins": {"app": {"port": 8000, **origin}}}, path=tmp_path / "devserve.toml", label="t"
    )
    app = build_origin("app", config.origins["app"], config.devserve, hub=ReloadHub()).app
    return TestClient(app, base_url="http://127.0.0.1:8000")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<html><head><title>t</title></head><body>hi</body></html>")
    (web / "bare.html").write_text("<p>no head</p>")
    (web / "app.js").write_text("console.log('</head>')")
    return web


def test_inject_places_the_script_before_head_end() -> None:
    assert inject(b"<head></HEAD ><body>") == b"<head>" + SCRIPT_TAG + b"</HEAD ><body>"
    assert inject(b"<body class=x>hi") == b"<body class=x>" + SCRIPT_TAG + b"hi"
    assert inject(b"hi") == b"hi" + SCRIPT_TAG


def test_static_html_gets_the_script_with_a_correct_length(tmp_path: Path, site: Path) -> None:
    client = origin_client(tmp_path, {"static": "web"})
    page = client.get("/")
    assert SCRIPT_TAG.decode() in page.text
    assert page.text.index(SCRIPT_TAG.decode()) < page.text.index("</head>")
    assert int(page.headers["content-length"]) == len(page.content)
    head = client.head("/")
    assert int(head.headers["content-length"]) == len(page.content)
    assert SCRIPT_TAG.decode() in client.get("/bare.html").text


def test_no_script_in_non_html_ranges_304_or_mocks(tmp_path: Path, site: Path) -> None:
    client = origin_client(
        tmp_path,
        {
            "static": "web",
            "routes": [
                {
                    "path": "/mock",
                    "body": "<html><head></head></html>",
                    "headers": {"Content-Type": "text/html"},
                }
            ],
        },
    )
    assert SCRIPT_TAG.decode() not in client.get("/app.js").text
    assert SCRIPT_TAG.decode() not in client.get("/mock").text
    partial = client.get("/", headers={"Range": "bytes=0-5"})
    assert partial.status_code == 206 and partial.content == b"<html>"
    etag = client.get("/").headers["etag"]
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304


def test_live_reload_false_injects_nothing(tmp_path: Path, site: Path) -> None:
    config = parse_config(
        {"origins": {"app": {"port": 8000, "static": "web"}}},
        path=tmp_path / "devserve.toml",
        label="t",
    )
    app = build_origin("app", config.origins["app"], config.devserve, hub=None).app
    client = TestClient(app, base_url="http://127.0.0.1:8000")
    assert SCRIPT_TAG.decode() not in client.get("/").text
    assert client.get("/__devserve/livereload.js").status_code == 404


def test_reserved_prefix_answers_only_its_own_origin_and_has_no_cors(
    tmp_path: Path, site: Path
) -> None:
    client = origin_client(tmp_path, {"static": "web", "cors": "on"})
    script = client.get("/__devserve/livereload.js")
    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "access-control-allow-origin" not in script.headers
    same = client.get("/__devserve/livereload.js", headers={"Origin": "http://127.0.0.1:8000"})
    assert same.status_code == 200
    other = client.get("/__devserve/livereload.js", headers={"Origin": "http://localhost:9999"})
    assert other.status_code == 403
    assert "access-control-allow-origin" not in other.headers
    cross_site = client.get("/__devserve/events", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403


@pytest.fixture
def project(tmp_path: Path, site: Path) -> Path:
    (tmp_path / "mocks").mkdir()
    (tmp_path / "mocks" / "data.json").write_text('{"v": 1}')
    return tmp_path


def config_text(page: int, api: int, *, cors: str = "off", extra: str = "") -> str:
    return f"""
[origins.app]
port = {page}
static = "web"

[origins.api]
port = {api}
cors = "{cors}"
[[origins.api.routes]]
path = "/data"
file = "mocks/data.json"
{extra}"""


class Events:
    """Reads a page's event stream in the background, like the injected script does."""

    def __init__(self, url: str) -> None:
        import threading

        self.kinds: list[str] = []
        self.data: list[str] = []
        self.ended = False
        self._client = httpx.Client(timeout=None)
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()

    def _read(self, url: str) -> None:
        try:
            with self._client.stream("GET", url) as response:
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        self.kinds.append(line.removeprefix("event: "))
                    elif line.startswith("data: ") and line != "data: ":
                        self.data.append(line.removeprefix("data: "))
        except httpx.HTTPError:
            pass
        self.ended = True


@pytest.fixture
def running(start_devserve: StartDevserve, project: Path) -> Iterator[tuple[Devserve, int, int]]:
    page, api = free_ports(2)
    server = start_devserve(config_text(page, api), ports=[page, api])
    yield server, page, api


def test_static_edits_send_reload_or_css(running: tuple[Devserve, int, int], project: Path) -> None:
    _, page, _ = running
    events = Events(f"http://127.0.0.1:{page}/__devserve/events")
    time.sleep(0.3)
    (project / "web" / "style.css").write_text("body { color: red }")
    wait_for(lambda: events.kinds == ["css"])
    (project / "web" / "index.html").write_text("<p>new</p>")
    wait_for(lambda: events.kinds == ["css", "reload"])
    (project / "web" / ".hidden.swp").write_text("x")
    time.sleep(0.3)
    assert events.kinds == ["css", "reload"]


def test_mock_file_change_is_served_on_the_next_request(
    running: tuple[Devserve, int, int], project: Path
) -> None:
    _, _, api = running
    assert httpx.get(f"http://127.0.0.1:{api}/data").json() == {"v": 1}
    (project / "mocks" / "data.json").write_text('{"v": 2}')
    assert httpx.get(f"http://127.0.0.1:{api}/data").json() == {"v": 2}


def test_cors_change_applies_in_place_without_dropping_connections(
    running: tuple[Devserve, int, int], project: Path
) -> None:
    server, page, api = running
    events = Events(f"http://127.0.0.1:{page}/__devserve/events")
    origin = {"Origin": f"http://127.0.0.1:{page}"}
    with httpx.Client() as client:
        first = client.get(f"http://127.0.0.1:{api}/data", headers=origin)
        assert "access-control-allow-origin" not in first.headers
        (project / "devserve.toml").write_text(config_text(page, api, cors="on"))
        wait_for(
            lambda: (
                "access-control-allow-origin"
                in client.get(f"http://127.0.0.1:{api}/data", headers=origin).headers
            )
        )
    assert server.process.poll() is None
    assert not events.ended  # the unchanged origin's open stream was not dropped
    assert "config reloaded" in server.output()


def test_invalid_config_keeps_the_last_good_one_and_reports(
    running: tuple[Devserve, int, int], project: Path
) -> None:
    server, page, api = running
    events = Events(f"http://127.0.0.1:{page}/__devserve/events")
    time.sleep(0.3)
    config = project / "devserve.toml"
    good = config.read_text()
    config.write_text(good.replace('cors = "off"', 'cors = "maybe"'))
    wait_for(lambda: "config-error" in events.kinds)
    assert any("origins.api.cors" in line for line in events.data)
    assert "still serving the last good config" in server.output()
    assert httpx.get(f"http://127.0.0.1:{api}/data").status_code == 200
    config.write_text(good)
    wait_for(lambda: events.kinds[-1:] == ["config-ok"])


def test_added_removed_and_moved_origins(running: tuple[Devserve, int, int], project: Path) -> None:
    server, page, api = running
    extra, moved = free_ports(2)
    config = project / "devserve.toml"
    config.write_text(config_text(page, api) + f"\n[origins.more]\nport = {extra}\ncors = 'on'\n")
    wait_for(lambda: port_open(extra), server)
    assert httpx.get(f"http://127.0.0.1:{extra}/x").status_code == 404
    config.write_text(config_text(page, moved))
    wait_for(lambda: port_open(moved) and not port_open(extra) and not port_open(api), server)
    assert httpx.get(f"http://127.0.0.1:{moved}/data").json() == {"v": 1}


def test_a_taken_port_in_a_new_config_changes_nothing(
    running: tuple[Devserve, int, int], project: Path
) -> None:
    import socket

    server, page, api = running
    (taken,) = free_ports(1)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", taken))
        blocker.listen()
        (project / "devserve.toml").write_text(
            config_text(page, api, cors="on") + f"\n[origins.more]\nport = {taken}\n"
        )
        wait_for(lambda: f"origin 'more': port {taken}" in server.output())
    # Nothing of the new config was applied: CORS is still off.
    response = httpx.get(f"http://127.0.0.1:{api}/data", headers={"Origin": "http://x.test"})
    assert "access-control-allow-origin" not in response.headers


def test_shutdown_with_open_event_streams_is_quick(running: tuple[Devserve, int, int]) -> None:
    server, page, _ = running
    streams = [Events(f"http://127.0.0.1:{page}/__devserve/events") for _ in range(3)]
    time.sleep(0.3)
    start = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - start < 3
    wait_for(lambda: all(s.ended for s in streams))
    assert "Traceback" not in server.output()


def test_no_reload_watches_nothing(start_devserve: StartDevserve, project: Path) -> None:
    page, api = free_ports(2)
    start_devserve(config_text(page, api), ports=[page, api], args=["--no-reload"])
    assert SCRIPT_TAG.decode() not in httpx.get(f"http://127.0.0.1:{page}/").text
    (project / "devserve.toml").write_text(config_text(page, api, cors="on"))
    time.sleep(0.5)
    response = httpx.get(f"http://127.0.0.1:{api}/data", headers={"Origin": "http://x.test"})
    assert "access-control-allow-origin" not in response.headers


def test_a_blocked_request_is_told_to_the_page_it_came_from(
    running: tuple[Devserve, int, int],
) -> None:
    server, page, api = running  # the api origin has CORS off
    events = Events(f"http://127.0.0.1:{page}/__devserve/events")
    time.sleep(0.3)
    from_page = {"Origin": f"http://localhost:{page}"}
    response = httpx.get(f"http://127.0.0.1:{api}/data", headers=from_page)
    assert response.headers["x-devserve-cors"].startswith("blocked")
    wait_for(lambda: "cors-blocked" in events.kinds, server)
    (notice,) = [json.loads(data) for data in events.data]
    assert notice["origin"] == "api" and notice["method"] == "GET"
    assert notice["url"] == f"http://127.0.0.1:{api}/data"
    assert notice["reason"].startswith("CORS is off for origin 'api'")
    # An allowed request, or one from a page devserve does not serve, tells no page.
    httpx.get(f"http://127.0.0.1:{api}/data", headers={"Origin": "http://localhost:1"})
    time.sleep(0.3)
    assert events.kinds.count("cors-blocked") == 1


def test_a_page_that_connects_later_hears_what_was_blocked_since_it_loaded(
    running: tuple[Devserve, int, int],
) -> None:
    server, page, api = running  # the api origin has CORS off
    from_page = {"Origin": f"http://localhost:{page}"}
    events = f"http://127.0.0.1:{page}/__devserve/events"
    before = int(time.time() * 1000)
    httpx.get(f"http://127.0.0.1:{api}/data", headers=from_page)  # no page is listening yet
    with event_stream(f"{events}?since={before}") as late:
        late.wait(lambda s: bool(s.of("cors-blocked")))
        (notice,) = [event.json() for event in late.of("cors-blocked")]
        assert notice["url"] == f"http://127.0.0.1:{api}/data"
        assert notice["reason"].startswith("CORS is off for origin 'api'")
    # A page loaded after that request does not hear of it, only of its own.
    after = int(time.time() * 1000) + 1
    wait_for(lambda: time.time() * 1000 > after)
    with event_stream(f"{events}?since={after}") as fresh:
        httpx.get(f"http://127.0.0.1:{api}/mine", headers=from_page)
        fresh.wait(lambda s: bool(s.of("cors-blocked")))
        assert [event.json()["url"] for event in fresh.of("cors-blocked")] == [
            f"http://127.0.0.1:{api}/mine"
        ]
    assert "Traceback" not in server.output()
