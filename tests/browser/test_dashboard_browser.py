"""The dashboard and the in-page blocked notice in headless Chromium (README, "Dashboard and
runtime switches"; issue 5).

One devserve for the module (a static ``page`` origin, an ``api`` origin with CORS on, a
``closed`` origin with CORS off, and the dashboard on a free port). Every test starts from the
configured CORS state (an autouse fixture switches each origin back).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.browser.pagefetch import FETCH_TIMEOUT_MS, browser_fetch, open_live_page, open_page
from tests.support.configs import config_toml
from tests.support.process import Devserve, free_ports, run_devserve
from tests.support.tcpproxy import DroppingProxy
from tests.support.waiting import wait_until

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

NOTICE = "#devserve-cors-notice"
# The notice lives in the host's open shadow root: Playwright's CSS selectors pierce it.
NOTICE_BOX = "#devserve-cors-notice .box"
DISMISS = "#devserve-cors-notice [data-devserve-dismiss]"
CONNECTED = 'body[data-connected="true"]'


def _config(ports: dict[str, int]) -> str:
    def api(name: str) -> list[dict[str, object]]:
        return [{"method": "GET", "path": "/data", "json": {"from": name}}]

    # A login whose cookie the browser drops for a page on another site (the notice test).
    login = {"path": "/login", "json": {"ok": True}, "headers": {"Set-Cookie": "session=1; Path=/"}}

    return config_toml(
        {
            "page": {"port": ports["page"], "static": "web", "cors": "off"},
            "api": {"port": ports["api"], "cors": "on", "routes": [*api("api"), login]},
            "closed": {"port": ports["closed"], "cors": "off", "routes": api("closed")},
        },
        {"host": "127.0.0.1", "dashboard_port": ports["dashboard"]},
    )


@dataclass
class Instance:
    server: Devserve
    ports: dict[str, int]
    config: str

    def url(self, name: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    @property
    def dashboard(self) -> str:
        return self.url("dashboard", "/")

    def origins(self) -> dict[str, dict[str, Any]]:
        """The control state as the control API reports it, by origin name."""
        response = httpx.get(self.url("dashboard", "/api/origins"), timeout=5)
        assert response.status_code == 200
        return {origin["name"]: origin for origin in response.json()}

    def set_cors(self, name: str, enabled: bool) -> None:
        response = httpx.put(
            self.url("dashboard", f"/api/origins/{name}/cors"),
            json={"enabled": enabled},
            timeout=5,
        )
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    root = tmp_path_factory.mktemp("dashboard-browser")
    (root / "web").mkdir()
    (root / "web" / "index.html").write_text(
        "<!doctype html><html><head><title>page</title></head><body><p>page</p></body></html>"
    )
    ports = dict(zip(("page", "api", "closed", "dashboard"), free_ports(4), strict=True))
    # Its inline script fetches while the page loads, before the live-reload script connects.
    (root / "web" / "loading.html").write_text(
        "<!doctype html><html><head><title>loading</title><script>"
        f"fetch('http://127.0.0.1:{ports['closed']}/during-load').catch(() => {{}});"
        "</script></head><body><p>loading</p></body></html>"
    )
    config = _config(ports)
    (root / "devserve.toml").write_text(config)
    server = run_devserve(
        ["run", "-c", str(root / "devserve.toml")], cwd=root, wait_ports=list(ports.values())
    )
    yield Instance(server=server, ports=ports, config=config)
    if server.stop() != 0:
        pytest.fail(f"devserve did not exit cleanly:\n{server.output()}")


@pytest.fixture(autouse=True)
def configured_cors(instance: Instance) -> None:
    """Each test starts with every origin's CORS as configured."""
    for name, origin in instance.origins().items():
        configured_on = origin["cors"]["configured"] != "off"
        if origin["cors"]["enabled"] != configured_on:
            instance.set_cors(name, configured_on)


def open_dashboard(context: BrowserContext, instance: Instance) -> Page:
    page = open_page(context, instance.dashboard)
    page.wait_for_selector(CONNECTED)
    page.wait_for_selector("#cors-api")
    return page


def latest_log_row(dashboard: Page, origin: str, count_before: int) -> dict[str, str]:
    """Wait for a new log row of ``origin`` and return its data attributes and text."""
    rows = dashboard.locator(f'#log tr.log-row[data-origin="{origin}"]')
    wait_until(lambda: rows.count() > count_before, f"a new log row of {origin!r}")
    row: dict[str, str] = rows.first.evaluate("(tr) => ({...tr.dataset, text: tr.textContent})")
    return row


# ---- the dashboard against the real instance -------------------------------------------------


def test_dashboard_lists_origins_with_switches(context: BrowserContext, instance: Instance) -> None:
    dashboard = open_dashboard(context, instance)
    for name, enabled in (("page", False), ("api", True), ("closed", False)):
        switch = dashboard.locator(f'input[type=checkbox]#cors-{name}[data-origin="{name}"]')
        assert switch.count() == 1, name
        assert switch.is_checked() is enabled, name
        row = dashboard.locator(f'tr.origin-row[data-origin="{name}"]')
        assert instance.url(name) in row.inner_text()
    api_row = dashboard.locator('tr.origin-row[data-origin="api"]').inner_text()
    assert "2 routes" in api_row and "echoes local origins" in api_row
    page_row = dashboard.locator('tr.origin-row[data-origin="page"]').inner_text()
    assert "static " in page_row and "/web" in page_row
    assert dashboard.locator("#config-error").is_hidden()
    assert dashboard.evaluate("document.body.dataset.connected") == "true"


def test_switch_blocks_a_page_fetch_and_back(context: BrowserContext, instance: Instance) -> None:
    dashboard = open_dashboard(context, instance)
    page = open_page(context, instance.url("page", "/"))
    api = instance.url("api", "/data")
    rows = dashboard.locator('#log tr.log-row[data-origin="api"]')

    before = rows.count()
    readable = browser_fetch(page, api)
    assert readable["readable"] is True and json.loads(readable["body"]) == {"from": "api"}
    row = latest_log_row(dashboard, "api", before)
    assert row["status"] == "200" and row["origin"] == "api"
    assert row["verdict"] == "allowed"

    dashboard.locator("#cors-api").uncheck()
    wait_until(lambda: instance.origins()["api"]["cors"]["enabled"] is False, "CORS of api off")
    assert dashboard.locator("#cors-api").is_enabled()

    before = rows.count()
    assert browser_fetch(page, api) == {"readable": False, "error": "TypeError: Failed to fetch"}
    row = latest_log_row(dashboard, "api", before)
    assert row["status"] == "200"  # the server answers; the browser is what blocks the read
    assert row["verdict"] == "blocked"
    assert "CORS is off for origin 'api'" in row["text"]
    dashboard.locator("#filter-blocked").check()
    assert dashboard.locator('#log tr.log-row[data-verdict="allowed"]').first.is_hidden()
    assert dashboard.locator('#log tr.log-row[data-verdict="blocked"]').first.is_visible()
    dashboard.locator("#filter-blocked").uncheck()

    dashboard.locator("#cors-api").check()
    wait_until(lambda: instance.origins()["api"]["cors"]["enabled"] is True, "CORS of api on")
    assert browser_fetch(page, api)["readable"] is True
    # Nothing else changed: the other origins keep their configured state.
    state = instance.origins()
    assert state["closed"]["cors"]["enabled"] is False
    assert state["page"]["cors"]["enabled"] is False


def test_switch_state_follows_changes_made_elsewhere(
    context: BrowserContext, instance: Instance
) -> None:
    dashboard = open_dashboard(context, instance)
    instance.set_cors("closed", True)  # e.g. `devserve cors closed on` in a terminal
    dashboard.wait_for_selector("#cors-closed:checked")
    row = dashboard.locator('tr.origin-row[data-origin="closed"]').inner_text()
    assert "echoes local origins" in row
    instance.set_cors("closed", False)
    dashboard.wait_for_selector("#cors-closed:not(:checked)")


def test_log_filter_by_origin(context: BrowserContext, instance: Instance) -> None:
    dashboard = open_dashboard(context, instance)
    headers = {"Origin": instance.url("page")}
    httpx.get(instance.url("api", "/data"), headers=headers, timeout=5)
    httpx.get(instance.url("closed", "/data"), headers=headers, timeout=5)
    dashboard.wait_for_selector('#log tr.log-row[data-origin="api"]', state="attached")
    dashboard.wait_for_selector('#log tr.log-row[data-origin="closed"]', state="attached")
    dashboard.select_option("#filter-origin", "closed")
    assert dashboard.locator('#log tr.log-row[data-origin="api"]').first.is_hidden()
    assert dashboard.locator('#log tr.log-row[data-origin="closed"]').first.is_visible()
    dashboard.select_option("#filter-origin", "")
    assert dashboard.locator('#log tr.log-row[data-origin="api"]').first.is_visible()


def test_dashboard_shows_the_config_error(context: BrowserContext, instance: Instance) -> None:
    dashboard = open_dashboard(context, instance)
    config_path = instance.server.log_path.parent / "devserve.toml"
    try:
        config_path.write_text(instance.config.replace("static = ", "statik = ", 1))
        dashboard.wait_for_selector("#config-error", state="visible")
        assert "statik" in dashboard.locator("#config-error").inner_text()
    finally:
        config_path.write_text(instance.config)
    dashboard.wait_for_selector("#config-error", state="hidden")
    # The last good config kept serving throughout.
    assert httpx.get(instance.url("api", "/data"), timeout=5).json() == {"from": "api"}


# ---- the control plane is closed to other origins --------------------------------------------

_NO_CORS_POST_JS = """
async ({url, body, timeoutMs}) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      method: "POST", mode: "no-cors", body, signal: controller.signal,
      headers: {"Content-Type": "text/plain"},
    });
    return {answered: true, type: response.type};
  } catch (error) {
    return {answered: false, error: `${error.name}: ${error.message}`};
  } finally {
    clearTimeout(timer);
  }
}
"""

# The classic JSON CSRF: a text/plain form whose one field spells out a JSON body.
_FORM_POST_JS = """
({action, method}) => new Promise((resolve) => {
  const frame = document.createElement("iframe");
  frame.name = "sink";
  frame.addEventListener("load", () => resolve(true), {once: true});
  document.body.append(frame);
  const form = document.createElement("form");
  form.action = action;
  form.method = method;
  form.enctype = "text/plain";
  form.target = "sink";
  const field = document.createElement("input");
  field.type = "hidden";
  field.name = '{"enabled": false, "x": "';
  field.value = '"}';
  form.append(field);
  document.body.append(form);
  form.submit();
})
"""


def test_other_origin_cannot_read_or_change_control_state(
    context: BrowserContext, instance: Instance
) -> None:
    page = open_page(context, instance.url("page", "/"))
    before = instance.origins()
    assert before["api"]["cors"]["enabled"] is True
    switch = instance.url("dashboard", "/api/origins/api/cors")
    blocked = {"readable": False, "error": "TypeError: Failed to fetch"}

    for path in ("/api/origins", "/api/instance", "/api/events", "/"):
        assert browser_fetch(page, instance.url("dashboard", path)) == blocked, path
    put = browser_fetch(
        page,
        switch,
        method="PUT",
        headers={"Content-Type": "application/json"},
        body='{"enabled": false}',
    )
    assert put == blocked
    # Simple requests reach the server (no preflight): it must refuse them itself.
    for url in (switch, instance.url("dashboard", "/api/origins")):
        sent = page.evaluate(
            _NO_CORS_POST_JS,
            {"url": url, "body": '{"enabled": false}', "timeoutMs": FETCH_TIMEOUT_MS},
        )
        assert sent == {"answered": True, "type": "opaque"}, url
    assert page.evaluate(_FORM_POST_JS, {"action": switch, "method": "post"}) is True

    assert instance.origins() == before
    assert browser_fetch(page, instance.url("api", "/data"))["readable"] is True


def test_wrong_host_header_is_refused(instance: Instance) -> None:
    evil = {"Host": "evil.example"}
    for url in (
        instance.dashboard,
        instance.url("dashboard", "/api/origins"),
        instance.url("dashboard", "/dashboard.js"),
        instance.url("api", "/data"),
        instance.url("page", "/"),
    ):
        response = httpx.get(url, headers=evil, timeout=5)
        assert 400 <= response.status_code < 500, url
    put = httpx.put(
        instance.url("dashboard", "/api/origins/api/cors"),
        json={"enabled": False},
        headers=evil,
        timeout=5,
    )
    assert 400 <= put.status_code < 500
    assert instance.origins()["api"]["cors"]["enabled"] is True
    # The dashboard itself is fine under its own name.
    assert (
        httpx.get(instance.dashboard, headers={"Host": "localhost"}, timeout=5).status_code == 200
    )


# ---- rendering, driven by a scripted event stream --------------------------------------------


def _sse(*events: tuple[str, Any]) -> str:
    # A long retry: the scripted stream ends, and nothing must reconnect during the test.
    chunks = ["retry: 600000\n\n"]
    for kind, data in events:
        chunks.append(f"event: {kind}\ndata: {json.dumps(data)}\n\n")
    return "".join(chunks)


def _serve_stream(page: Page, url: str, body: str) -> None:
    page.route(
        lambda requested: requested.split("?")[0] == url,  # pages add ?since=
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"},
            body=body,
        ),
    )


def _record(origin: str, status: int, verdict: str | None, **cors: Any) -> dict[str, Any]:
    return {
        "origin": origin,
        "method": "GET",
        "path": "/data",
        "status": status,
        "ms": 1.5,
        "from": "http://127.0.0.1:1234" if verdict else None,
        "cors": {
            "verdict": verdict,
            "reason": cors.get("reason"),
            "note": cors.get("note"),
            "cookies": cors.get("cookies", []),
            "cookies_lost": cors.get("cookies_lost", []),
        },
        "time": "2030-01-01T12:00:00.000Z",
    }


def test_log_rows_show_verdicts_and_filter_blocked_only(
    context: BrowserContext, instance: Instance
) -> None:
    origins = list(instance.origins().values())
    reason = "blocked: CORS is off for origin 'api'"
    note = "Chromium would allow it"
    dropped = "session dropped: SameSite=Lax cookie from a cross-site response"
    page = context.new_page()
    _serve_stream(
        page,
        instance.url("dashboard", "/api/events"),
        _sse(
            ("origins", origins),
            ("config", {"error": "devserve.toml: origins.api.prot: unknown key"}),
            (
                "request",
                _record(
                    "api", 200, "allowed", cookies=[dropped, "sid kept"], cookies_lost=[dropped]
                ),
            ),
            ("request", _record("api", 200, "blocked", reason=reason, note=note)),
            (
                "request",
                {**_record("page", 500, None), "note": "GET /x: json.n: ZeroDivisionError"},
            ),
            ("reload", {"origin": "page", "kind": "reload"}),
        ),
    )
    page.goto(instance.dashboard)
    page.wait_for_selector("#log tr.log-row >> nth=2", state="attached")

    rows = page.locator("#log tr.log-row")
    seen = rows.evaluate_all("(trs) => trs.map((tr) => ({...tr.dataset}))")
    assert [(r["origin"], r["verdict"], r["status"]) for r in seen] == [
        ("page", "", "500"),  # newest first
        ("api", "blocked", "200"),
        ("api", "allowed", "200"),
    ]
    blocked_row = page.locator('#log tr.log-row[data-verdict="blocked"]')
    assert reason in blocked_row.inner_text() and note in blocked_row.inner_text()
    # A mock's reason for a 500 is on its row, under the path.
    assert "json.n: ZeroDivisionError" in rows.first.locator("td.path").inner_text()
    allowed_row = page.locator('#log tr.log-row[data-verdict="allowed"]')
    assert allowed_row.locator(".cookie.lost").inner_text() == f"cookie {dropped}"
    assert "cookie sid kept" in allowed_row.inner_text()
    background = blocked_row.locator("td").first.evaluate("(td) => getComputedStyle(td).boxShadow")
    assert background != "none"  # blocked rows stand out

    assert page.locator("#config-error").is_visible()
    assert "prot" in page.locator("#config-error").inner_text()
    assert page.locator("#cors-api").is_checked() and not page.locator("#cors-page").is_checked()

    page.check("#filter-blocked")
    assert [row.is_visible() for row in rows.all()] == [False, True, False]
    assert page.locator("#log tr.log-event").first.is_hidden()
    page.uncheck("#filter-blocked")
    assert all(row.is_visible() for row in rows.all())


# ---- the in-page blocked notice (livereload.js) ----------------------------------------------


def _blocked(instance: Instance, n: int) -> dict[str, Any]:
    return {
        "origin": "closed",
        "method": "GET",
        "url": instance.url("closed", f"/item/{n}"),
        "status": 200,
        "reason": f"blocked: CORS is off for origin 'closed' ({n})",
        "note": "a note" if n == 5 else None,
    }


# A page whose own styles would hide the notice's parts if they reached them.
HOSTILE_PAGE_STYLES_JS = """
document.addEventListener("DOMContentLoaded", () => document.head.insertAdjacentHTML(
  "beforeend", "<style>li, button, div, ol { display: none !important; }</style>"));
"""


def test_notice_shows_newest_blocked_requests_and_dismisses(
    context: BrowserContext, instance: Instance
) -> None:
    page = context.new_page()
    events = [("cors-blocked", _blocked(instance, n)) for n in range(1, 6)]
    _serve_stream(page, instance.url("page", "/__devserve/events"), _sse(*events))
    page.add_init_script(HOSTILE_PAGE_STYLES_JS)
    page.goto(instance.url("page", "/"))
    notice = page.locator(NOTICE)
    notice.wait_for()
    items = page.locator(f"{NOTICE} li")
    wait_until(lambda: items.count() == 4, "four entries")
    texts = items.all_inner_texts()
    assert "/item/5" in texts[0] and "GET" in texts[0] and "(5)" in texts[0]
    assert "a note" in texts[0]
    assert "/item/2" in texts[3]
    assert "1 earlier" in page.locator(NOTICE_BOX).inner_text()
    assert page.locator(DISMISS).is_visible()  # the page's styles do not reach into it
    page.click(DISMISS)
    notice.wait_for(state="detached")
    assert page.text_content("p") == "page"


def test_notice_appears_after_a_blocked_fetch(context: BrowserContext, instance: Instance) -> None:
    """End to end: a blocked fetch from the page brings the notice, with the reason."""
    page = open_live_page(context, instance.url("page", "/"))
    url = instance.url("closed", "/data")
    assert browser_fetch(page, url) == {"readable": False, "error": "TypeError: Failed to fetch"}
    page.locator(NOTICE).wait_for()
    text = page.locator(NOTICE_BOX).inner_text()
    assert "GET" in text and url in text and "CORS is off for origin 'closed'" in text
    page.click(DISMISS)
    page.locator(NOTICE).wait_for(state="detached")
    # An allowed fetch adds nothing: a blocked one sent after it (events arrive in order) is
    # then the only entry of the next notice.
    allowed = instance.url("api", "/data")
    assert browser_fetch(page, allowed)["readable"] is True
    assert browser_fetch(page, url)["readable"] is False
    page.locator(NOTICE).wait_for()
    text = page.locator(NOTICE_BOX).inner_text()
    assert url in text and allowed not in text


def test_notice_shows_a_dropped_cookie(context: BrowserContext, instance: Instance) -> None:
    """End to end: the page on 127.0.0.1 logs in at the API on localhost, another site: the
    fetch works, the cookie does not stick, and the page is told why."""
    page = open_live_page(context, instance.url("page", "/"))
    url = f"http://localhost:{instance.ports['api']}/login"
    assert browser_fetch(page, url, credentials="include")["readable"] is True
    page.locator(NOTICE).wait_for()
    text = page.locator(NOTICE_BOX).inner_text()
    assert "set a cookie the browser will not keep or send back" in text
    assert "cookie session dropped: no SameSite attribute, so Chromium treats it as" in text
    assert f"http://localhost:{instance.ports['page']}" in text  # the way out


def test_notice_shows_a_request_blocked_while_the_page_loaded(
    context: BrowserContext, instance: Instance
) -> None:
    """The page's own script fetches before the deferred live-reload script connects."""
    url = instance.url("closed", "/during-load")
    for _ in range(3):  # each load shows its own request, never an earlier load's
        page = context.new_page()
        page.goto(instance.url("page", "/loading.html"))
        page.locator(NOTICE).wait_for()
        items = page.locator(f"{NOTICE} li")
        items.first.wait_for()
        text = page.locator(NOTICE_BOX).inner_text()
        assert "a cross-origin request was blocked" in text
        assert url in text and "CORS is off for origin 'closed'" in text
        assert items.count() == 1
        page.close()


def test_a_dashboard_opened_after_the_requests_lists_them(
    context: BrowserContext, instance: Instance
) -> None:
    marker = f"/before-dashboard-{time.monotonic_ns()}"
    origin = {"Origin": instance.url("page")}
    assert httpx.get(instance.url("closed", marker), headers=origin).status_code == 404
    dashboard = open_dashboard(context, instance)
    row = dashboard.locator(f'#log tr.log-row:has(td.path:text-is("{marker}"))')
    row.wait_for()
    assert row.get_attribute("data-verdict") == "blocked"
    assert "CORS is off for origin 'closed'" in row.inner_text()
    assert dashboard.locator("#log-empty").is_hidden()


def test_a_dashboard_that_reconnects_shows_each_request_once(
    context: BrowserContext, instance: Instance
) -> None:
    """Chromium's EventSource resumes with Last-Event-ID, and devserve replays only what the
    dashboard missed while its stream was cut: no request is listed twice."""
    origin = {"Origin": instance.url("page")}
    first, missed = (f"/reconnect-{n}-{time.monotonic_ns()}" for n in ("a", "b"))

    def rows(path: str) -> Any:
        return dashboard.locator(f'#log tr.log-row:has(td.path:text-is("{path}"))')

    with DroppingProxy(instance.ports["dashboard"]) as proxy:
        dashboard = open_page(context, f"http://127.0.0.1:{proxy.port}/")
        dashboard.wait_for_selector(CONNECTED)
        httpx.get(instance.url("closed", first), headers=origin)
        rows(first).wait_for()
        proxy.drop()
        # Sent while the stream is down: it reaches the dashboard only through the replay
        # after the reconnect, and would come right after a second copy of the first.
        httpx.get(instance.url("closed", missed), headers=origin)
        rows(missed).wait_for()
        assert rows(first).count() == 1
        assert rows(missed).count() == 1
