"""Headless Chromium in front of a proxied API: the origin's CORS policy applies, the rewritten
`Set-Cookie` is stored and sent back, and with the upstream stopped, `--offline` replays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from tests.browser.pagefetch import browser_fetch, open_page
from tests.support.configs import config_toml
from tests.support.process import free_ports, run_devserve
from tests.support.served import served
from tests.support.upstream import Upstream

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

PAGE_HTML = "<!doctype html><title>proxy page</title><p>page</p>"


def test_a_page_records_through_the_proxy_then_replays_with_the_upstream_stopped(
    context: BrowserContext,
    tmp_path: Path,
) -> None:
    page_port, api_port = free_ports(2)
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text(PAGE_HTML)
    page_url, api_url = f"http://localhost:{page_port}", f"http://localhost:{api_port}"
    upstream = Upstream()

    def start(upstream_url: str, *extra: str):  # type: ignore[no-untyped-def]
        cors = {
            "allow_origins": [page_url],
            "allow_credentials": True,
            "expose_headers": ["X-Total-Count"],
        }
        origins = {
            "page": {"port": page_port, "static": "web"},
            "api": {"port": api_port, "proxy": upstream_url, "record": "rec", "cors": cors},
        }
        (tmp_path / "devserve.toml").write_text(config_toml(origins, {"dashboard_port": False}))
        return run_devserve(
            ["run", "--no-reload", *extra], cwd=tmp_path, wait_ports=[page_port, api_port]
        )

    with served(upstream.app) as upstream_url:
        server = start(upstream_url)
        try:
            page = open_page(context, page_url)
            live = browser_fetch(
                page,
                api_url + "/users?page=1",
                credentials="include",
                read_headers=("x-total-count",),
            )
            set_cookie = browser_fetch(page, api_url + "/cookie", credentials="include")
            echoed = browser_fetch(page, api_url + "/echo", credentials="include")
        finally:
            server.stop()
    assert live["readable"] and live["status"] == 200
    assert live["headers"]["x-total-count"] == "42"
    assert set_cookie["readable"]
    # Chromium kept the cookie the upstream set for its own domain, and sends it back.
    cookies = json.loads(echoed["body"])["headers"]["cookie"]
    assert "session=abc123xyz" in cookies and "theme=dark" in cookies

    offline = start(upstream_url, "--offline")  # nothing listens there any more
    try:
        page = open_page(context, page_url)
        replayed = browser_fetch(
            page, api_url + "/users?page=1", credentials="include", read_headers=("x-total-count",)
        )
        missed = browser_fetch(page, api_url + "/users?page=2", credentials="include")
    finally:
        offline.stop()
    assert replayed["readable"] and replayed["status"] == 200
    assert json.loads(replayed["body"]) == json.loads(live["body"])  # stored pretty-printed
    assert replayed["headers"]["x-total-count"] == "42"
    assert missed["readable"] and missed["status"] == 404  # the page can read why
    assert json.loads(missed["body"])["nearest"]["differs"] == ["query page is '2', not '1'"]
    assert upstream.hits["/users"] == 1


def test_the_dashboard_shows_a_proxied_request_and_saves_it_as_a_mock(
    context: BrowserContext,
    tmp_path: Path,
) -> None:
    api_port, dashboard_port = free_ports(2)
    upstream = Upstream()
    with served(upstream.app) as upstream_url:
        origins = {"api": {"port": api_port, "proxy": upstream_url, "record": "rec"}}
        config = config_toml(origins, {"dashboard_port": dashboard_port})
        (tmp_path / "devserve.toml").write_text(config)
        server = run_devserve(
            ["run", "--no-reload"], cwd=tmp_path, wait_ports=[api_port, dashboard_port]
        )
        try:
            dashboard = open_page(context, f"http://127.0.0.1:{dashboard_port}/")
            dashboard.wait_for_selector('body[data-connected="true"]')
            httpx.get(f"http://127.0.0.1:{api_port}/users?page=7")
            row = dashboard.locator('#log tr.log-row[data-origin="api"]').first
            row.locator(".proxied").wait_for()
            shown = row.locator(".proxied").inner_text()
            row.locator("button.save-mock").click()
            dashboard.wait_for_function(
                "() => document.querySelector('button.save-mock').textContent.startsWith('saved')"
            )
            saved = row.locator("button.save-mock").inner_text()
        finally:
            server.stop()
    assert shown.startswith("upstream 200 in ") and shown.endswith(", recorded")
    assert saved == f"saved: {tmp_path / 'rec' / 'users.mock.json'}"
    assert json.loads((tmp_path / "rec" / "users.mock.json").read_text())["json"][0]["id"] == 70
