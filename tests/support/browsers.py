"""Real-browser fixtures (a pytest plugin of the whole suite): one headless Chromium per session,
a fresh context per test.

Browser tests skip when Chromium (or Playwright) is missing, except with ``CI=true``,
where a missing browser is a failure: in CI these tests may never silently skip.

pytest-timeout (60 s) is compatible because nothing here can block longer than it:
Playwright's own timeouts are set well below it, and ``pagefetch.browser_fetch`` aborts
its ``fetch`` in the page after a few seconds (``page.evaluate`` itself has no timeout).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from tests.support.ci import need

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Foreign sites for attack tests: names that are not local, resolved to loopback by
    # Chromium alone (no request ever leaves this machine).
    "--host-resolver-rules=MAP evil.test 127.0.0.1, MAP dev.test 127.0.0.1",
]
PLAYWRIGHT_TIMEOUT_MS = 10_000


def chromium_path() -> str | None:
    """The Chromium to drive (Playwright's own download does not work here), or None.

    ``DEVSERVE_CHROMIUM`` names any Chromium or Chrome binary (e.g. on macOS); otherwise
    Debian's path, then ``chromium`` or ``chromium-browser`` (Fedora, snaps) on PATH.
    """
    chosen = os.environ.get("DEVSERVE_CHROMIUM")
    if chosen:
        return chosen
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _unavailable(reason: str) -> NoReturn:
    need("a browser", reason)


def trusting_home(folder: Path) -> dict[str, str]:
    """The environment for a Chromium that trusts devserve's CA (the suite's throwaway one, in
    DEVSERVE_DATA_DIR): HOME is ``folder``, whose .pki/nssdb holds the CA, as `devserve trust`
    would do for a user. Never the machine's own store. Without certutil, nothing is trusted."""
    from devserve.tls.ca import local_ca
    from tests.support.tlspair import trust_in_nss_db

    if shutil.which("certutil") is None:
        return {}
    trust_in_nss_db(folder / ".pki" / "nssdb", local_ca().cert_path)
    return {"HOME": str(folder)}


@pytest.fixture(scope="session")
def browser(_own_data_dir: Path) -> Iterator[Browser]:
    """One headless Chromium for the whole session (starting it costs about a second). It trusts
    devserve's CA, so https origins load (see ``trusting_home``)."""
    executable = chromium_path()
    if executable is None:
        _unavailable(
            "Chromium not found: set DEVSERVE_CHROMIUM, or install it as /usr/bin/chromium "
            "or `chromium` on PATH"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    home = _own_data_dir / "chromium-home"
    environment: dict[str, str | float | bool] = {**os.environ, **trusting_home(home)}
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, env=environment, timeout=30_000
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh context per test: no cookies, HTTP cache or preflight cache shared between tests."""
    ctx = browser.new_context()
    ctx.set_default_timeout(PLAYWRIGHT_TIMEOUT_MS)
    ctx.set_default_navigation_timeout(PLAYWRIGHT_TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def firefox_session() -> Iterator[Any]:
    """One Firefox ESR for the whole session, driven step by step (tests/browser/drivers.py);
    skips (fails under CI=true) without Firefox, Node or puppeteer-core."""
    from tests.browser.drivers import FirefoxSession

    session = FirefoxSession()
    yield session
    session.quit()
