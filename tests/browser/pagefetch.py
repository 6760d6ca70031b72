"""Drive real pages: open one (optionally with its live-reload stream connected), run `fetch`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Frame, Page

# Below pytest-timeout's 60 s: a hung request ends the test with a readable result.
FETCH_TIMEOUT_MS = 8_000


def open_page(context: BrowserContext, url: str) -> Page:
    """Open ``url`` in a new tab and wait for it to load; its origin is the fetches' origin."""
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.ok, f"could not open {url}: {response}"
    return page


# Runs before the page's own scripts: remembers every EventSource, so a test can wait until the
# live-reload stream is open (an edit made before that would go unnoticed by the page).
TRACK_STREAMS_JS = """
(() => {
  const Native = window.EventSource;
  if (!Native || Native.__tracked) return;
  window.__streams = [];
  window.EventSource = class extends Native {
    constructor(...args) { super(...args); window.__streams.push(this); }
  };
  window.EventSource.__tracked = true;
})();
"""
STREAM_OPEN_JS = "() => (window.__streams || []).some((s) => s.readyState === EventSource.OPEN)"


def open_live_page(context: BrowserContext, url: str) -> Page:
    """Open ``url`` and wait until its live-reload event stream is connected."""
    page = context.new_page()
    page.add_init_script(TRACK_STREAMS_JS)
    response = page.goto(url)
    assert response is not None and response.ok, f"could not open {url}: {response}"
    page.wait_for_function(STREAM_OPEN_JS)
    return page


# Also run in Firefox by tests/browser/firefox_fetch.mjs: one definition for both browsers.
FETCH_JS = """
async ({url, init, readHeaders, timeoutMs}) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, {...init, signal: controller.signal});
    if (response.type === "opaque") {
      // mode: "no-cors": the script sees status 0, no headers, no body.
      return {readable: false, opaque: true, error: "an opaque response (mode no-cors)"};
    }
    const body = await response.text();
    const headers = {};
    for (const name of readHeaders) headers[name] = response.headers.get(name);
    return {readable: true, status: response.status, body, headers};
  } catch (error) {
    return {readable: false, error: `${error.name}: ${error.message}`};
  } finally {
    clearTimeout(timer);
  }
}
"""


# fetch()'s headers: a dict, or (name, value) pairs when a name comes twice.
Headers = Mapping[str, str] | Sequence[tuple[str, str]]


def fetch_init(
    method: str,
    headers: Headers | None,
    body: str | None,
    credentials: str,
    mode: str = "cors",
) -> dict[str, Any]:
    """The ``init`` argument of fetch()."""
    init: dict[str, Any] = {"method": method, "credentials": credentials, "mode": mode}
    if headers:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        init["headers"] = [[name, value] for name, value in pairs]
    if body is not None:
        init["body"] = body
    return init


def browser_fetch(
    where: Page | Frame,
    url: str,
    *,
    method: str = "GET",
    headers: Headers | None = None,
    body: str | None = None,
    credentials: str = "same-origin",
    read_headers: tuple[str, ...] = (),
    mode: str = "cors",
) -> dict[str, Any]:
    """Run ``fetch(url, ...)`` in the page (or frame) and say what its script could read.

    Returns ``{"readable": True, "status", "body", "headers": {name: value or None}}``, or
    ``{"readable": False, "error"}``: a CORS block surfaces as ``TypeError: Failed to fetch``.
    """
    result: dict[str, Any] = where.evaluate(
        FETCH_JS,
        {
            "url": url,
            "init": fetch_init(method, headers, body, credentials, mode),
            "readHeaders": list(read_headers),
            "timeoutMs": FETCH_TIMEOUT_MS,
        },
    )
    return result
