"""Hot reload over real HTTP: script injection, the reserved endpoints, events and config diffs."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from devserve.live.events import CONFIG, CORS_BLOCKED, CSS, ORIGINS, RELOAD
from devserve.live.reload import SCRIPT_TAG, ReloadHub, inject
from devserve.serving.origin import build_origin
from tests.support.configs import build_config, config_toml
from tests.support.process import Devserve, StartDevserve, free_ports, port_open
from tests.support.sse import EventReader
from tests.support.waiting import stays_true, wait_until


def origin_client(tmp_path: Path, origin: dict[str, Any], *, live: bool = True) -> TestClient:
    config = build_config(tmp_path, {"app": {"port": 8000, **origin}})
    hub = ReloadHub() if live else None
    app = build_origin("app", config.origins["app"], config.devserve, hub=hub).app
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
    client = origin_client(tmp_path, {"static": "web"}, live=False)
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


def config_text(
    page: int,
    api: int,
    *,
    cors: str = "off",
    dashboard: int | None = None,
    **more: dict[str, Any],
) -> str:
    """The page origin ``app`` (static web/) and a mock ``api``, plus ``more`` origins."""
    return config_toml(
        {
            "app": {"port": page, "static": "web"},
            "api": {
                "port": api,
                "cors": cors,
                "routes": [{"path": "/data", "file": "mocks/data.json"}],
            },
            **more,
        },
        {"dashboard_port": dashboard if dashboard else False},
    )


def events_of(port: int) -> EventReader:
    """A page's live-reload stream on ``port``, subscribed."""
    return EventReader(f"http://127.0.0.1:{port}/__devserve/events")


@pytest.fixture
def running(start_devserve: StartDevserve, project: Path) -> Iterator[tuple[Devserve, int, int]]:
    page, api = free_ports(2)
    server = start_devserve(config_text(page, api), ports=[page, api])
    yield server, page, api


def test_static_edits_send_reload_or_css(running: tuple[Devserve, int, int], project: Path) -> None:
    _, page, _ = running
    events = events_of(page)
    (project / "web" / "style.css").write_text("body { color: red }")
    events.wait_for(CSS)
    (project / "web" / "index.html").write_text("<p>new</p>")
    events.wait_for(RELOAD)
    assert events.kinds == [ORIGINS, CSS, RELOAD]  # the origins' state first, as it connects
    # An ignored file changes nothing: the next stylesheet edit is the next event, and a CSS
    # swap (not a reload, which an edit of any other file in the same batch would make).
    (project / "web" / ".hidden.swp").write_text("x")
    (project / "web" / "style.css").write_text("body { color: blue }")
    events.wait_for(CSS, 2)
    assert events.kinds == [ORIGINS, CSS, RELOAD, CSS]


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
    events = events_of(page)
    origin = {"Origin": f"http://127.0.0.1:{page}"}
    with httpx.Client() as client:
        first = client.get(f"http://127.0.0.1:{api}/data", headers=origin)
        assert "access-control-allow-origin" not in first.headers
        (project / "devserve.toml").write_text(config_text(page, api, cors="on"))
        wait_until(
            lambda: (
                "access-control-allow-origin"
                in client.get(f"http://127.0.0.1:{api}/data", headers=origin).headers
            ),
            "CORS on",
            output=server.output,
        )
    assert server.process.poll() is None
    assert not events.ended  # the unchanged origin's open stream was not dropped
    assert "config reloaded" in server.output()
    # The page heard each origin's CORS state: first as it connected, then the new one.
    events.wait_for(ORIGINS, 2)
    first_state, now = events.data(ORIGINS)[0], events.data(ORIGINS)[-1]
    assert {o["name"]: o["cors"]["enabled"] for o in first_state} == {"app": False, "api": False}
    assert {o["name"]: o["cors"]["mode"] for o in now}["api"] == "on"
    assert all(set(o) == {"name", "url", "cors"} for o in now)  # no folders told to pages


def test_invalid_config_keeps_the_last_good_one_and_reports(
    running: tuple[Devserve, int, int], project: Path
) -> None:
    server, page, api = running
    events = events_of(page)
    config = project / "devserve.toml"
    config.write_text(config_text(page, api, cors="maybe"))
    events.wait_for(CONFIG)
    (error,) = events.data(CONFIG)
    assert "origins.api.cors" in error["error"]
    assert "still serving the last good config" in server.output()
    assert httpx.get(f"http://127.0.0.1:{api}/data").status_code == 200
    # A page that connects while the config is broken is told at once.
    late = events_of(page)
    late.wait_for(CONFIG)
    assert late.data(CONFIG) == [error]
    config.write_text(config_text(page, api))
    events.wait_for(CONFIG, 2)
    assert events.data(CONFIG)[-1] == {"error": None}


def test_added_removed_and_moved_origins(running: tuple[Devserve, int, int], project: Path) -> None:
    server, page, api = running
    extra, moved = free_ports(2)
    config = project / "devserve.toml"
    config.write_text(config_text(page, api, more={"port": extra, "cors": "on"}))
    wait_until(lambda: port_open(extra), "the added origin", output=server.output)
    assert httpx.get(f"http://127.0.0.1:{extra}/x").status_code == 404
    config.write_text(config_text(page, moved))
    wait_until(
        lambda: port_open(moved) and not port_open(extra) and not port_open(api),
        "the moved and removed origins",
        output=server.output,
    )
    assert httpx.get(f"http://127.0.0.1:{moved}/data").json() == {"v": 1}


def test_a_taken_port_in_a_new_config_changes_nothing(
    running: tuple[Devserve, int, int], project: Path
) -> None:
    server, page, api = running
    (taken,) = free_ports(1)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", taken))
        blocker.listen()
        (project / "devserve.toml").write_text(
            config_text(page, api, cors="on", more={"port": taken})
        )
        wait_until(lambda: f"origin 'more': port {taken}" in server.output(), "the port error")
    # Nothing of the new config was applied: CORS is still off.
    response = httpx.get(f"http://127.0.0.1:{api}/data", headers={"Origin": "http://x.test"})
    assert "access-control-allow-origin" not in response.headers


def test_shutdown_with_open_event_streams_is_quick(running: tuple[Devserve, int, int]) -> None:
    server, page, _ = running
    streams = [events_of(page) for _ in range(3)]
    start = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - start < 3
    for stream in streams:
        stream.wait_ended()
    assert "Traceback" not in server.output()


def test_no_reload_watches_nothing(start_devserve: StartDevserve, project: Path) -> None:
    page, api = free_ports(2)
    start_devserve(config_text(page, api), ports=[page, api], args=["--no-reload"])
    assert SCRIPT_TAG.decode() not in httpx.get(f"http://127.0.0.1:{page}/").text
    (project / "devserve.toml").write_text(config_text(page, api, cors="on"))

    def cors_still_off() -> bool:
        response = httpx.get(f"http://127.0.0.1:{api}/data", headers={"Origin": "http://x.test"})
        return "access-control-allow-origin" not in response.headers

    stays_true(cors_still_off, "the config edit is not applied without a watcher")


def test_a_blocked_request_is_told_to_the_page_it_came_from(
    running: tuple[Devserve, int, int],
) -> None:
    _, page, api = running  # the api origin has CORS off
    events = events_of(page)
    from_page = {"Origin": f"http://localhost:{page}"}
    response = httpx.get(f"http://127.0.0.1:{api}/data", headers=from_page)
    assert response.headers["x-devserve-cors"].startswith("blocked")
    events.wait_for(CORS_BLOCKED)
    (notice,) = events.data(CORS_BLOCKED)
    assert notice["origin"] == "api" and notice["method"] == "GET"
    assert notice["url"] == f"http://127.0.0.1:{api}/data"
    assert notice["reason"].startswith("CORS is off for origin 'api'")
    # One from a page devserve does not serve tells no page: the next notice is the next
    # blocked request from this page (events arrive in order).
    httpx.get(f"http://127.0.0.1:{api}/other", headers={"Origin": "http://localhost:1"})
    httpx.get(f"http://127.0.0.1:{api}/again", headers=from_page)
    events.wait_for(CORS_BLOCKED, 2)
    assert [n["url"].rsplit("/", 1)[1] for n in events.data(CORS_BLOCKED)] == ["data", "again"]
    assert events.kinds == [ORIGINS, CORS_BLOCKED, CORS_BLOCKED]


def test_moving_ports_under_open_streams_neither_stalls_nor_loses_a_switch(
    start_devserve: StartDevserve, project: Path
) -> None:
    page, api, dashboard, page2, api2, dashboard2 = free_ports(6)
    server = start_devserve(
        config_text(page, api, cors="on", dashboard=dashboard), ports=[page, api, dashboard]
    )
    pages = [events_of(page) for _ in range(3)]
    board = EventReader(f"http://127.0.0.1:{dashboard}/api/events")
    switched = httpx.put(
        f"http://127.0.0.1:{dashboard}/api/origins/api/cors", json={"enabled": False}
    )
    assert switched.status_code == 200
    started = time.monotonic()

    (project / "devserve.toml").write_text(
        config_text(page2, api2, cors="on", dashboard=dashboard2)
    )

    wait_until(
        lambda: "config reloaded" in server.output() and port_open(dashboard2),
        "the config reload",
        output=server.output,
    )
    # Before: each stop waited out the 2 s graceful timeout for the open streams, then cancelled
    # them with a traceback each.
    assert time.monotonic() - started < 1.8, server.output()
    for stream in [*pages, board]:
        stream.wait_ended()
    assert not port_open(page) and not port_open(api) and not port_open(dashboard)
    for problem in ("Traceback", "CancelledError", "graceful shutdown exceeded"):
        assert problem not in server.output()
    # The runtime switch survives a change of port only (the config still says "on").
    response = httpx.get(f"http://127.0.0.1:{api2}/data", headers={"Origin": "http://x.test"})
    assert "access-control-allow-origin" not in response.headers
    states = httpx.get(f"http://127.0.0.1:{dashboard2}/api/origins").json()
    assert [s["cors"]["enabled"] for s in states] == [False, False]


def test_a_page_that_connects_later_hears_what_was_blocked_since_it_loaded(
    running: tuple[Devserve, int, int],
) -> None:
    server, page, api = running  # the api origin has CORS off
    from_page = {"Origin": f"http://localhost:{page}"}
    events = f"http://127.0.0.1:{page}/__devserve/events"
    before = int(time.time() * 1000)
    httpx.get(f"http://127.0.0.1:{api}/data", headers=from_page)  # no page is listening yet
    late = EventReader(f"{events}?since={before}")
    late.wait_for(CORS_BLOCKED)
    (notice,) = late.data(CORS_BLOCKED)
    assert notice["url"] == f"http://127.0.0.1:{api}/data"
    assert notice["reason"].startswith("CORS is off for origin 'api'")
    late.close()
    # A page loaded after that request does not hear of it, only of its own.
    after = int(time.time() * 1000) + 1
    wait_until(lambda: time.time() * 1000 > after, "the next millisecond")
    fresh = EventReader(f"{events}?since={after}")
    httpx.get(f"http://127.0.0.1:{api}/mine", headers=from_page)
    fresh.wait_for(CORS_BLOCKED)
    assert [n["url"] for n in fresh.data(CORS_BLOCKED)] == [f"http://127.0.0.1:{api}/mine"]
    fresh.close()
    assert "Traceback" not in server.output()
