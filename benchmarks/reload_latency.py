"""Live-reload latency in headless Chromium: file write -> page reloaded / stylesheet swapped.

Run from the repository root: ``python benchmarks/reload_latency.py [--edits 30]``.

It starts ``devserve run`` on a tmp project (free ports), opens the page in headless Chromium
(the launch flags of tests/support/browsers.py) and edits files with whole-file writes:

* HTML: each write of index.html embeds a version number; the new document's first inline
  script records ``Date.now()``. Latency = that time - the Python wall-clock time of the write
  (``time.time()``; same machine, same clock). Also reported: the reload's navigation start
  (``performance.timeOrigin``), i.e. when the page was told to reload, and when the new HTML
  was received (navigation timing ``responseEnd``).
* CSS: each write of style.css sets a custom property; the page records ``Date.now()`` when
  the swapped-in ``<link>`` fires ``load``. The page must not reload (checked).

Before each edit it waits until the page's event stream is open, so no edit is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.pagefetch import STREAM_OPEN_JS  # noqa: E402
from tests.conftest import free_ports, run_devserve  # noqa: E402
from tests.support.browsers import CHROMIUM_ARGS, chromium_path  # noqa: E402

TARGET_MS = 150.0

# Before the page's scripts: remember EventSources (to wait for an open stream) and time the
# load of every stylesheet <link> added later (the live-reload CSS swap).
INIT_JS = """
(() => {
  const Native = window.EventSource;
  window.__streams = [];
  window.EventSource = class extends Native {
    constructor(...args) { super(...args); window.__streams.push(this); }
  };
  window.__css = null;
  new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) {
      if (node.tagName !== "LINK") continue;
      node.addEventListener("load", () => {
        const v = getComputedStyle(document.documentElement).getPropertyValue("--v").trim();
        window.__css = {v: Number(v), at: Date.now()};
      });
    }
  }).observe(document, {childList: true, subtree: true});
})();
"""


def html(version: int) -> str:
    return (
        "<!doctype html><html><head><title>bench</title>"
        f"<script>window.__v = {version}; window.__at = Date.now();</script>"
        '<link rel="stylesheet" href="style.css"></head>'
        f"<body><h1>version {version}</h1></body></html>"
    )


def css(version: int) -> str:
    return f":root {{ --v: {version}; }}\nbody {{ color: rgb({version % 256}, 0, 0); }}\n"


def config(page_port: int, api_port: int) -> str:
    return (
        '[devserve]\nhost = "127.0.0.1"\ndashboard_port = false\n\n'
        f'[origins.page]\nport = {page_port}\nstatic = "web"\ncors = "off"\n\n'
        f'[origins.api]\nport = {api_port}\ncors = "on"\n\n'
        '[[origins.api.routes]]\nmethod = "GET"\npath = "/data"\njson = { ok = true }\n'
    )


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[max(0, round(0.9 * len(ordered)) - 1)]
    return (
        f"{name:<34} n={len(values):<3} median {statistics.median(values):6.1f}  "
        f"p90 {p90:6.1f}  min {ordered[0]:6.1f}  max {ordered[-1]:6.1f}  (ms)"
    )


def wait_watcher(config_path: Path, output: Callable[[], str], timeout: float = 10) -> None:
    """Rewrite the config unchanged until devserve logs that it reloaded it: the watcher runs."""
    text = config_path.read_text()
    seen = output().count("config reloaded")
    deadline = time.monotonic() + timeout
    while output().count("config reloaded") <= seen:
        if time.monotonic() > deadline:
            raise SystemExit(f"devserve's watcher never ran:\n{output()}")
        config_path.write_text(text)
        retry = time.monotonic() + 0.5
        while time.monotonic() < retry and output().count("config reloaded") <= seen:
            time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=30, help="edits per kind (default 30)")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between edits")
    args = parser.parse_args()
    if args.edits < 20:
        parser.error("--edits must be at least 20")
    executable = chromium_path()
    if executable is None:
        raise SystemExit("Chromium not found at /usr/bin/chromium nor as `chromium` on PATH")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="devserve-bench-") as tmp:
        root = Path(tmp)
        web = root / "web"
        web.mkdir()
        (web / "index.html").write_text(html(0))
        (web / "style.css").write_text(css(0))
        page_port, api_port = free_ports(2)
        config_path = root / "devserve.toml"
        config_path.write_text(config(page_port, api_port))
        server = run_devserve(
            ["run", "-c", str(config_path)], cwd=root, wait_ports=[page_port, api_port]
        )
        try:
            wait_watcher(config_path, server.output)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.set_default_timeout(10_000)
                page.add_init_script(INIT_JS)
                page.goto(f"http://127.0.0.1:{page_port}/")
                page.wait_for_function(STREAM_OPEN_JS)

                running: list[float] = []
                navigation: list[float] = []
                received: list[float] = []
                for version in range(1, args.edits + 1):
                    time.sleep(args.pause)  # let the previous batch settle
                    written = time.time() * 1000
                    (web / "index.html").write_text(html(version))
                    page.wait_for_function(f"() => window.__v === {version}")
                    at, origin, response_end = page.evaluate(
                        "[window.__at, performance.timeOrigin,"
                        " performance.getEntriesByType('navigation')[0].responseEnd]"
                    )
                    running.append(at - written)
                    navigation.append(origin - written)
                    received.append(origin + response_end - written)
                    page.wait_for_function(STREAM_OPEN_JS)

                swaps: list[float] = []
                page.evaluate("window.__stay = true")
                for version in range(1, args.edits + 1):
                    time.sleep(args.pause)
                    written = time.time() * 1000
                    (web / "style.css").write_text(css(version))
                    page.wait_for_function(f"() => window.__css && window.__css.v === {version}")
                    swaps.append(page.evaluate("window.__css.at") - written)
                if not page.evaluate("window.__stay === true"):
                    raise SystemExit("a CSS edit reloaded the page instead of swapping styles")
                browser.close()
        finally:
            server.stop()

    print(f"devserve live-reload latency, {args.edits} edits each, headless Chromium")
    print(summary("HTML write -> reload starts", navigation))
    print(summary("HTML write -> new HTML received", received))
    print(summary("HTML write -> new page runs", running))
    print(summary("CSS write -> new stylesheet loaded", swaps))
    median = statistics.median(running)
    verdict = "under" if median < TARGET_MS else "OVER"
    print(f"HTML reload median {median:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
