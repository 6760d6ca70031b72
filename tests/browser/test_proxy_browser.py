"""Headless Chromium in front of a proxied API: the origin's CORS policy applies, the rewritten
`Set-Cookie` is stored and sent back, and with the upstream stopped, `--offline` replays."""

from __future__ import annotations

import json
from pathlib import Path

from tests.browser.pagefetch import browser_fetch, open_page
from tests.support.configs import config_toml
from tests.support.process import free_ports, run_devserve
from tests.support.served import served
from tests.support.upstream import Upstream

PAGE_HTML = "<!doctype html><title>proxy page</title><p>page</p>"


def test_a_page_records_through_the_proxy_then_replays_with_the_upstream_stopped(
    context,
    tmp_path: Path,  # type: ignore[no-untyped-def]
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
    assert json.loads(missed["body"])["nearest"]["differs"] == ["query page: recorded '1', got '2'"]
    assert upstream.hits["/users"] == 1
