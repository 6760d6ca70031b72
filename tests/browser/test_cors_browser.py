"""What headless Chromium lets a page read from devserve origins in each mode of README "CORS
modes"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.browser.pagefetch import browser_fetch, open_page
from tests.support.configs import config_toml
from tests.support.process import Devserve, free_port, free_port_block, free_ports, run_devserve

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Frame, Page

API_NAMES = ("on", "off", "star", "list", "other", "narrow")


def _config(ports: dict[str, int]) -> str:
    page = ports["page"]
    page_origins = [f"http://127.0.0.1:{page}", f"http://localhost:{page}"]
    cors: dict[str, object] = {
        "on": "on",
        "off": "off",
        "star": "*",
        # Lists the page origin, with credentials, Authorization and one exposed header.
        "list": {
            "allow_origins": page_origins,
            "allow_credentials": True,
            "allow_headers": ["Authorization", "Content-Type"],
            "expose_headers": ["X-Exposed"],
        },
        # A real API that trusts some other front end only.
        "other": {"allow_origins": ["http://127.0.0.1:1", "http://localhost:1"]},
        # Lists the page origin (and "null") but no request header: no Authorization, no JSON.
        "narrow": {"allow_origins": [*page_origins, "null"]},
    }
    origins: dict[str, dict[str, object]] = {"page": {"port": page, "static": "web", "cors": "off"}}
    for name in API_NAMES:
        routes = [
            {
                "method": "GET",
                "path": "/data",
                "headers": {"X-Exposed": "shown", "X-Hidden": "secret"},
                "json": {"origin": name, "method": "{{ method }}"},
            },
            {
                "method": "POST",
                "path": "/data",
                "status": 201,
                "json": {"origin": name, "received": "{{ json.item }}"},
            },
        ]
        origins[name] = {"port": ports[name], "cors": cors[name], "routes": routes}
    return config_toml(origins, {"host": "127.0.0.1", "dashboard_port": False})


@dataclass
class Origins:
    """The running devserve of this module and the URL of each of its origins."""

    server: Devserve
    ports: dict[str, int]

    @property
    def page(self) -> str:
        return f"http://127.0.0.1:{self.ports['page']}/"

    def api(self, name: str, path: str = "/data") -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"


@pytest.fixture(scope="module")
def origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Origins]:
    """One devserve for the whole module: a page origin and six API origins on free ports."""
    root = tmp_path_factory.mktemp("cors-browser")
    (root / "web").mkdir()
    (root / "web" / "index.html").write_text("<!doctype html><title>page</title><p>page</p>")
    ports = dict(zip(("page", *API_NAMES), free_ports(1 + len(API_NAMES)), strict=True))
    (root / "devserve.toml").write_text(_config(ports))
    server = run_devserve(
        ["run", "-c", str(root / "devserve.toml"), "--no-reload"],
        cwd=root,
        wait_ports=list(ports.values()),
    )
    yield Origins(server=server, ports=ports)
    if server.stop() != 0:
        pytest.fail(f"devserve did not exit cleanly:\n{server.output()}")


@pytest.fixture
def page(context: BrowserContext, origins: Origins) -> Page:
    """A page on http://127.0.0.1:PAGEPORT, the origin every fetch below comes from."""
    return open_page(context, origins.page)


Outcome = int | str | dict[str, Any]


def outcome(result: dict[str, Any], name: str) -> Outcome:
    """What the page got from origin ``name``: "blocked", the status it read, or the raw result."""
    if result == {"readable": False, "error": "TypeError: Failed to fetch"}:
        return "blocked"
    try:
        if result["readable"] and json.loads(result["body"])["origin"] == name:
            return int(result["status"])
    except (ValueError, KeyError, TypeError):
        pass
    return result


def outcomes(
    where: Page | Frame, origins: Origins, expected: dict[str, Outcome], **init: Any
) -> dict[str, Outcome]:
    """Fetch from every origin named in ``expected`` the same way and collect the outcomes."""
    return {
        name: outcome(browser_fetch(where, origins.api(name), **init), name) for name in expected
    }


def test_simple_get(page: Page, origins: Origins) -> None:
    expected: dict[str, Outcome] = {
        "on": 200,
        "star": 200,
        "list": 200,
        "off": "blocked",
        "other": "blocked",
    }
    assert outcomes(page, origins, expected) == expected


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_allow_list_matches_each_listed_page_origin(
    context: BrowserContext, origins: Origins, host: str
) -> None:
    # Two host names of one machine are two origins; the table lists both.
    page = open_page(context, f"http://{host}:{origins.ports['page']}/")
    expected: dict[str, Outcome] = {"list": 200, "other": "blocked"}
    assert outcomes(page, origins, expected) == expected


def test_credentialed_get(page: Page, origins: Origins) -> None:
    # `*` never covers credentials; "narrow" echoes the origin but sends no
    # Access-Control-Allow-Credentials, which credentialed requests also need.
    expected: dict[str, Outcome] = {
        "on": 200,
        "list": 200,
        "star": "blocked",
        "narrow": "blocked",
        "off": "blocked",
    }
    assert outcomes(page, origins, expected, credentials="include") == expected


def test_json_post_needs_a_preflight(page: Page, origins: Origins) -> None:
    # Content-Type: application/json is not CORS-safelisted: the browser preflights first,
    # and "narrow" does not allow the Content-Type request header.
    expected: dict[str, Outcome] = {
        "on": 201,
        "list": 201,
        "star": 201,
        "off": "blocked",
        "narrow": "blocked",
    }
    post: dict[str, Any] = {"method": "POST", "headers": {"Content-Type": "application/json"}}
    assert outcomes(page, origins, expected, **post, body='{"item": "book"}') == expected
    echoed = browser_fetch(page, origins.api("list"), **post, body='{"item": "pen"}')
    assert json.loads(echoed["body"])["received"] == "pen"  # the POST itself was sent


def test_authorization_header(page: Page, origins: Origins) -> None:
    expected: dict[str, Outcome] = {
        # Pinned Chromium 156 behaviour: `Access-Control-Allow-Headers: *` lets Authorization
        # through, as Firefox 153 ESR does (test_oracle.py); the Fetch standard says it does not.
        "star": 200,
        "list": 200,
        "on": 200,
        "narrow": "blocked",
        "off": "blocked",
    }
    auth = {"Authorization": "Bearer t0ken"}
    assert outcomes(page, origins, expected, headers=auth) == expected


def test_exposed_response_headers(page: Page, origins: Origins) -> None:
    expected = {
        "list": {"X-Exposed": "shown", "X-Hidden": None},  # expose_headers = ["X-Exposed"]
        "on": {"X-Exposed": "shown", "X-Hidden": "secret"},  # "on" exposes every header by name
        "star": {"X-Exposed": "shown", "X-Hidden": "secret"},  # Expose-Headers: * (no credentials)
    }
    read = ("X-Exposed", "X-Hidden")
    got = {name: browser_fetch(page, origins.api(name), read_headers=read) for name in expected}
    assert {name: result.get("headers") for name, result in got.items()} == expected


def test_404_is_readable_on_an_enabled_origin(page: Page, origins: Origins) -> None:
    # The real error reaches the page instead of an opaque "CORS error"; not so with CORS off.
    got = {name: browser_fetch(page, origins.api(name, "/missing")) for name in API_NAMES}
    for name in ("on", "star", "list", "narrow"):
        assert got[name]["readable"], (name, got[name])
        assert got[name]["status"] == 404
        assert "no route for GET /missing" in got[name]["body"]
    for name in ("off", "other"):
        assert got[name] == {"readable": False, "error": "TypeError: Failed to fetch"}


def test_origin_null_from_a_sandboxed_iframe(page: Page, origins: Origins) -> None:
    # A sandboxed iframe has an opaque origin: its requests send `Origin: null`. Rule 5
    # applies in every mode: only an explicit "null" in allow_origins allows it; neither
    # "on" (never echoes null) nor "*" (no Access-Control-Allow-Origin for null) does.
    page.set_content('<iframe sandbox="allow-scripts" srcdoc="<p>sandboxed</p>"></iframe>')
    frame = page.locator("iframe").element_handle().content_frame()
    assert frame is not None
    assert frame.evaluate("self.origin") == "null"
    expected: dict[str, Outcome] = {
        "narrow": 200,
        "on": "blocked",
        "star": "blocked",
        "list": "blocked",
    }
    assert outcomes(frame, origins, expected) == expected


def test_demo_page_results_match_expectations(context: BrowserContext, tmp_path: Path) -> None:
    base, dashboard = free_port_block(4), free_port()
    server = run_devserve(
        ["demo", "--port", str(base), "--dashboard-port", str(dashboard)],
        cwd=tmp_path,
        wait_ports=[base, base + 1, base + 2, base + 3, dashboard],
    )
    try:
        page = open_page(context, f"http://127.0.0.1:{base}/")
        page.wait_for_function('document.body.dataset.done === "true"')
        cells = page.eval_on_selector_all(
            "td.result[data-case]",
            "cells => cells.map(c => [c.dataset.case, c.dataset.result, c.dataset.expected])",
        )
    finally:
        code = server.stop()
    assert code == 0, server.output()
    results = {case: result for case, result, _ in cells}
    assert results == {case: expected for case, _, expected in cells}
    assert len(results) == 9
    for case, result in results.items():
        api = case.split(":")[0]
        assert result == ("blocked" if api == "api-off" else "allowed"), case


def test_the_demo_follows_a_runtime_switch_and_shows_its_notices(
    context: BrowserContext, tmp_path: Path
) -> None:
    base, dashboard = free_port_block(4), free_port()
    server = run_devserve(
        ["demo", "--port", str(base), "--dashboard-port", str(dashboard)],
        cwd=tmp_path,
        wait_ports=[base, base + 1, base + 2, base + 3, dashboard],
    )
    try:
        page = open_page(context, f"http://127.0.0.1:{base}/")
        page.wait_for_function('document.body.dataset.done === "true"')
        # The first thing people see shows devserve's best feature: why it was blocked.
        page.locator("#devserve-cors-notice").wait_for()
        notice = page.locator("#devserve-cors-notice .box").inner_text()
        assert "CORS is off for origin 'api-off'" in notice
        switched = httpx.put(
            f"http://127.0.0.1:{dashboard}/api/origins/api-off/cors", json={"enabled": True}
        )
        assert switched.status_code == 200
        page.wait_for_function(
            """() => document.querySelector('tbody[data-origin="api-off"] .mode')
                .textContent.startsWith('CORS switched on at runtime')"""
        )
        page.wait_for_function('document.body.dataset.done === "true"')
        cells = page.eval_on_selector_all(
            'tbody[data-origin="api-off"] td.result',
            "cells => cells.map(c => [c.dataset.result, c.dataset.expected])",
        )
    finally:
        server.stop()
    assert cells == [["allowed", "allowed"]] * 3
