"""Hot reload seen from a real page (README, "Live reload"): HTML reloads, CSS swaps, config
applied in place.

Every test starts its own devserve on free ports with a tmp project (a static ``page`` origin
serving ``web/`` and an ``api`` origin), opens the page in headless Chromium, edits a file with
one whole-file write and waits (polling, never a fixed sleep) for the page to react.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.pagefetch import STREAM_OPEN_JS, browser_fetch, open_live_page
from tests.support.configs import config_toml
from tests.support.process import Devserve, StartDevserve, free_ports, port_open
from tests.support.waiting import stays_true, wait_until

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

OVERLAY = "#__devserve-overlay"


def _html(title: str) -> str:
    return (
        "<!doctype html><html><head><title>reload</title>"
        '<link rel="stylesheet" href="style.css"></head>'
        f'<body><h1 id="title">{title}</h1></body></html>'
    )


def _css(color: str) -> str:
    return f"body {{ color: {color}; }}\n"


def _origin(port: int, cors: str, message: str, name: str) -> dict[str, Any]:
    route = {"method": "GET", "path": "/data", "json": {"from": name, "message": message}}
    return {"port": port, "cors": cors, "routes": [route]}


@dataclass(frozen=True)
class Ports:
    page: int
    api: int
    spare: int  # free at start: the origin a test adds


def config_text(
    ports: Ports, *, api_cors: str = "off", api_message: str = "v1", extra: bool = False
) -> str:
    origins = {
        "page": {"port": ports.page, "static": "web", "cors": "off"},
        "api": _origin(ports.api, api_cors, api_message, "api"),
    }
    if extra:
        origins["extra"] = _origin(ports.spare, "on", "added", "extra")
    return config_toml(origins, {"host": "127.0.0.1", "dashboard_port": False})


@dataclass
class Project:
    """A running devserve on a tmp project; ``write_config`` rewrites devserve.toml whole."""

    root: Path
    server: Devserve
    ports: Ports

    @property
    def config_path(self) -> Path:
        return self.root / "devserve.toml"

    @property
    def web(self) -> Path:
        return self.root / "web"

    @property
    def page_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.page}/"

    def api_url(self, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.ports.api}/data"

    def config(self, **changes: Any) -> str:
        return config_text(self.ports, **changes)

    def write_config(self, text: str) -> None:
        self.config_path.write_text(text)

    def reloads_seen(self) -> int:
        return self.server.output().count("config reloaded")

    def wait_output(self, needle: str, count: int, timeout: float = 5) -> None:
        wait_until(
            lambda: self.server.output().count(needle) >= count,
            f"{count} x {needle!r}",
            timeout=timeout,
            output=self.server.output,
        )

    def probe_watcher(self) -> int:
        """Rewrite the config unchanged: a no-op diff that still logs "config reloaded".

        Returns the count to wait beyond with :meth:`wait_watching`.
        """
        seen = self.reloads_seen()
        self.write_config(self.config_path.read_text())
        return seen

    def wait_watching(self, seen: int, timeout: float = 5) -> None:
        """Wait until the file watcher runs (the probe was reloaded); probe again meanwhile.

        The ports answer a little before the watcher starts: an edit in that gap would be missed.
        """
        retry = time.monotonic() + 0.5

        def reloaded() -> bool:
            nonlocal retry
            if time.monotonic() > retry:
                self.write_config(self.config_path.read_text())
                retry = time.monotonic() + 0.5
            return self.reloads_seen() > seen

        wait_until(reloaded, "the watcher", timeout=timeout, output=self.server.output)


@pytest.fixture
def project(tmp_path: Path, start_devserve: StartDevserve) -> Project:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text(_html("v1"))
    (tmp_path / "web" / "style.css").write_text(_css("rgb(1, 2, 3)"))
    ports = Ports(*free_ports(3))
    server = start_devserve(config_text(ports), ports=[ports.page, ports.api])
    return Project(tmp_path, server, ports)


@pytest.fixture
def page(context: BrowserContext, project: Project) -> Page:
    """The project's page, open with its event stream connected, and the file watcher running."""
    seen = project.probe_watcher()  # overlaps the watcher's start with the page load
    live = open_live_page(context, project.page_url)
    project.wait_watching(seen)
    return live


def http_get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        return json.load(response)


def wait_fetch(page: Page, url: str, *, readable: bool, timeout: float = 5) -> dict[str, Any]:
    """Repeat the page's ``fetch(url)`` until its readability is ``readable``."""
    results: list[dict[str, Any]] = []

    def fetched_as_wanted() -> bool:
        results.append(browser_fetch(page, url))
        return results[-1]["readable"] is readable

    wait_until(
        fetched_as_wanted,
        f"fetch {url} to be readable={readable}",
        timeout=timeout,
    )
    return results[-1]


def test_html_edit_reloads_the_page(page: Page, project: Project) -> None:
    assert page.text_content("#title") == "v1"
    page.evaluate("window.marker = 1")

    (project.web / "index.html").write_text(_html("v2"))

    page.wait_for_function(
        "() => document.getElementById('title')?.textContent === 'v2'"
        " && window.marker === undefined"
    )
    # The reloaded page has the script again and listens for the next change.
    page.wait_for_function(STREAM_OPEN_JS)
    (project.web / "index.html").write_text(_html("v3"))
    page.wait_for_function("() => document.getElementById('title')?.textContent === 'v3'")


def test_css_edit_swaps_styles_without_reload(page: Page, project: Project) -> None:
    color = "() => getComputedStyle(document.body).color"
    assert page.evaluate(color) == "rgb(1, 2, 3)"
    page.evaluate("window.state = {count: 41}; window.state.count += 1")

    (project.web / "style.css").write_text(_css("rgb(4, 5, 6)"))

    page.wait_for_function(f"() => ({color})() === 'rgb(4, 5, 6)'")
    assert page.evaluate("window.state && window.state.count") == 42, "the page was reloaded"
    # The old <link> is dropped once the new one applies: still exactly one stylesheet.
    page.wait_for_function("() => document.querySelectorAll('link[rel=stylesheet]').length === 1")
    assert "__devserve=" in page.eval_on_selector("link[rel=stylesheet]", "link => link.href")


def test_cors_switched_on_in_config_applies_in_place(page: Page, project: Project) -> None:
    page.evaluate("window.marker = 1")
    blocked = browser_fetch(page, project.api_url())
    assert blocked["readable"] is False, blocked
    pid = project.server.process.pid

    project.write_config(project.config(api_cors="on"))

    result = wait_fetch(page, project.api_url(), readable=True)
    assert json.loads(result["body"]) == {"from": "api", "message": "v1"}
    assert project.server.process.poll() is None and project.server.process.pid == pid
    # The page origin was untouched by the change: its page was not reloaded.
    assert page.evaluate("window.marker") == 1


def wait_overlay_text(page: Page, expected: str) -> None:
    page.locator(OVERLAY).wait_for(state="visible")
    page.wait_for_function(
        f"() => document.querySelector({OVERLAY!r})?.textContent.includes({expected!r})"
    )


def test_broken_config_shows_overlay_and_keeps_serving(page: Page, project: Project) -> None:
    good = project.config_path.read_text()
    bad_value = good.replace(f"port = {project.ports.api}", 'port = "not-a-port"')
    assert bad_value != good
    errors = project.server.output().count("config error")

    project.write_config("[origins.api\nport = ")  # invalid TOML

    wait_overlay_text(page, "invalid TOML")
    project.wait_output("config error", errors + 1)
    # The last good config keeps serving: same API answer, CORS still off for the page.
    assert http_get_json(project.api_url()) == {"from": "api", "message": "v1"}
    assert browser_fetch(page, project.api_url())["readable"] is False
    assert page.text_content("#title") == "v1"

    project.write_config(bad_value)  # valid TOML, invalid value: the overlay shows the new error

    wait_overlay_text(page, "origins.api.port")
    project.wait_output("config error", errors + 2)
    assert http_get_json(project.api_url()) == {"from": "api", "message": "v1"}
    # A page (re)loaded while the config is broken is told at once.
    page.reload()
    page.wait_for_function(STREAM_OPEN_JS)
    wait_overlay_text(page, "origins.api.port")

    project.write_config(project.config(api_message="fixed"))

    page.locator(OVERLAY).wait_for(state="detached")
    assert http_get_json(project.api_url()) == {"from": "api", "message": "fixed"}


def test_added_origin_starts_answering(page: Page, project: Project) -> None:
    page.evaluate("window.marker = 1")
    spare = project.ports.spare
    assert not port_open(spare)
    pid = project.server.process.pid

    project.write_config(project.config(extra=True))

    wait_until(lambda: port_open(spare), f"port {spare}", output=project.server.output)
    assert http_get_json(project.api_url(spare)) == {"from": "extra", "message": "added"}
    result = wait_fetch(page, project.api_url(spare), readable=True)
    assert json.loads(result["body"]) == {"from": "extra", "message": "added"}
    # Untouched origins kept running in the same process, the open page was left alone.
    assert http_get_json(project.api_url()) == {"from": "api", "message": "v1"}
    assert project.server.process.pid == pid and project.server.process.poll() is None
    assert page.evaluate("window.marker") == 1


def test_page_reconnects_and_reloads_once_after_a_restart(
    page: Page, project: Project, start_devserve: StartDevserve
) -> None:
    page.evaluate("window.marker = 1")
    assert project.server.stop() == 0
    page.wait_for_function("() => !window.__streams.some((s) => s.readyState === 1)")
    (project.web / "index.html").write_text(_html("after restart"))  # edited while it was down

    start_devserve(project.config(), ports=[project.ports.page, project.ports.api])

    # EventSource retries on its own (about every 3 s in Chromium), then the page reloads once.
    page.wait_for_function(
        "() => document.getElementById('title')?.textContent === 'after restart'"
        " && window.marker === undefined",
        timeout=15_000,
    )
    page.wait_for_function(STREAM_OPEN_JS)
    page.evaluate("window.marker = 2")
    # Reloaded once, not in a loop.
    stays_true(lambda: page.evaluate("window.marker") == 2, "the page is not reloaded again")
