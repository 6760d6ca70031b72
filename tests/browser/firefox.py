"""Real Firefox ESR as an oracle: a batch of fetch() calls through `firefox_fetch.mjs`.

Playwright's patched Firefox cannot be downloaded here; Debian's `firefox-esr` is driven over
WebDriver BiDi by puppeteer-core (a Node peer, see tests/support/peers.py). Firefox starts once
per batch: the fetches run in order, so a cookie set by one is there for the next.

Puppeteer's test profile switches cookie partitioning off (``cookieBehavior0``); ``PREFS`` puts
Firefox's own default back (``network.cookie.cookieBehavior`` 5: Total Cookie Protection), so
what is measured is Firefox as a user gets it.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.browser.pagefetch import FETCH_JS, FETCH_TIMEOUT_MS, Headers, fetch_init
from tests.support.ci import in_ci, need
from tests.support.peers import node, peer
from tests.support.tlspair import trust_in_nss_db

FIREFOX = "/usr/bin/firefox-esr"
SCRIPT = Path(__file__).with_name("firefox_fetch.mjs")
PREFS: dict[str, Any] = {
    "browser.contentblocking.features.standard": "-tp,tpPrivate,cookieBehavior5,cookieBehaviorPBM5",
    "network.cookie.cookieBehavior": 5,
}
# Launch plus a batch of ~130 fetches takes ~10 s; below pytest-timeout (60 s), so a hung Firefox
# ends with its stderr rather than a bare timeout.
BATCH_TIMEOUT_S = 50


@dataclass(frozen=True)
class FirefoxFetch:
    """One fetch() in a page on ``page`` (``frame="null"``: a sandboxed iframe on it)."""

    page: str
    url: str
    method: str = "GET"
    headers: Headers = ()
    body: str | None = None
    credentials: str = "same-origin"
    read_headers: tuple[str, ...] = ()
    frame: str = "page"
    mode: str = "cors"


@dataclass(frozen=True)
class FirefoxRun:
    version: str  # e.g. "firefox/153.7.0"
    results: list[dict[str, Any]]  # as pagefetch.browser_fetch returns them
    cookies: list[dict[str, Any]]  # {"name", "domain", "path"}, every partition


def firefox_available() -> None:
    """Skip (fail under CI=true) unless Firefox ESR, Node and puppeteer-core are all there."""
    if not Path(FIREFOX).exists():
        need("firefox-esr", f"Firefox ESR not found at {FIREFOX} (apt-get install firefox-esr)")
    peer("puppeteer-core")


def run_in_firefox(
    fetches: list[FirefoxFetch],
    *,
    prefs: dict[str, Any] | None = None,
    list_cookies: bool = False,
    trust: Path | None = None,
) -> FirefoxRun:
    """Run ``fetches`` in one Firefox, in order; list the cookie jar afterwards if asked.

    ``trust``: a CA certificate to trust in the (throwaway) profile's cert9.db, as `devserve
    trust` would."""
    firefox_available()
    with tempfile.TemporaryDirectory(prefix="devserve-firefox-") as profile:
        if trust is not None:
            trust_in_nss_db(Path(profile), trust)
        job = {
            "executable": FIREFOX,
            "profile": profile,
            "prefs": {**PREFS, **(prefs or {})},
            "fetchFunction": FETCH_JS,
            "timeoutMs": FETCH_TIMEOUT_MS,
            "fetches": [
                {
                    "page": item.page,
                    "frame": item.frame,
                    "url": item.url,
                    "init": fetch_init(
                        item.method, item.headers, item.body, item.credentials, item.mode
                    ),
                    "readHeaders": list(item.read_headers),
                }
                for item in fetches
            ],
            "cookies": list_cookies,
        }
        env = {**os.environ, "MOZ_HEADLESS": "1"}
        done = subprocess.run(
            [node(), str(SCRIPT), str(peer("puppeteer-core"))],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=BATCH_TIMEOUT_S,
            env=env,
            check=False,
        )
    if done.returncode != 0:  # (a timeout raises subprocess.TimeoutExpired, with the command)
        where = " (CI=true)" if in_ci() else ""
        raise AssertionError(f"Firefox run failed{where}:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout)
    return FirefoxRun(version=data["version"], results=data["results"], cookies=data["cookies"])
