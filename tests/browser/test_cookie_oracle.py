"""Cookies, with the browsers as the oracle: Chromium and Firefox each agree with `devserve check`.

Each scenario is a page origin, an API origin (same-site or cross-site: ``localhost`` and
``127.0.0.1`` are different sites, ports do not count) and one ``Set-Cookie`` with a name of
its own. In the browser, three credentialed fetches run in order: the page fetches step 0 (the
response sets the cookie), the page fetches step 1 (is the cookie sent back?), then a page on
the API's own origin fetches step 2 (is the cookie shared with the API's own pages, or kept in
a partition for the page's site?). The test server records the Cookie header of each request,
and the browser's cookie jar says whether the cookie was stored at all. `devserve check` fetches
step 0 as that page, with ``--browser chromium`` or ``firefox``, and judges the Set-Cookie.

Chromium runs with a regular (persistent) profile, not Playwright's incognito-like contexts, and
Firefox with its own default cookie policy (``tests/browser/firefox.py``): what users get.
``pytest -s`` shows the tables.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from devserve.check.simulate import run_check
from devserve.cors.cookies import CookieVerdict
from devserve.cors.engines import ENGINE_NAMES, Engine
from devserve.urls import site
from tests.browser.firefox import FirefoxFetch, run_in_firefox
from tests.browser.pagefetch import browser_fetch
from tests.browser.sites import Fate, Outcome
from tests.support.browsers import CHROMIUM_ARGS, PLAYWRIGHT_TIMEOUT_MS, chromium_path
from tests.support.oracle_server import OracleServer, Reply, oracle_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

Pair = tuple[str, str]  # the page's host, the API's host
SAME: Pair = ("localhost", "localhost")
SAME_IP: Pair = ("127.0.0.1", "127.0.0.1")
CROSS: Pair = ("127.0.0.1", "localhost")  # the usual mistake: page on the IP, API on the name
CROSS_IP: Pair = ("localhost", "127.0.0.1")
PAST = "Expires=Thu, 01 Jan 2000 00:00:00 GMT"


@dataclass(frozen=True)
class Scenario:
    """A Set-Cookie ``{prefix}{sid}=v; {attributes}`` from the API to a page, pinned per browser."""

    sid: str
    pair: Pair
    attributes: str
    chromium: Fate  # pinned: what Chromium 156 does
    firefox: Fate | None = None  # pinned: what Firefox 153 ESR does, where it differs
    prefix: str = ""
    credentials: bool = True  # False: the setting fetch uses fetch()'s default credentials
    cors_ok: bool = True  # False: the response fails the CORS check (no ACAC)

    @property
    def name(self) -> str:
        return self.prefix + self.sid

    def pinned(self, engine: Engine) -> Fate:
        return self.firefox if engine == "firefox" and self.firefox else self.chromium


SCENARIOS: tuple[Scenario, ...] = (
    # --- same-site: localhost:A -> localhost:B (ports do not count) ---
    Scenario("same-plain", SAME, "", "kept"),
    Scenario("same-lax", SAME, "SameSite=Lax", "kept"),
    Scenario("same-strict", SAME, "SameSite=Strict", "kept"),
    Scenario("same-none-insecure", SAME, "SameSite=None", "dropped"),
    Scenario("same-none-secure", SAME, "SameSite=None; Secure", "kept"),
    Scenario("same-secure", SAME, "Secure", "kept"),
    Scenario("same-partitioned", SAME, "Partitioned; Secure", "kept"),
    Scenario("same-partitioned-insecure", SAME, "Partitioned", "dropped"),
    Scenario("same-path-elsewhere", SAME, "Path=/elsewhere", "not-sent"),
    Scenario("same-path-root", SAME, "Path=/", "kept"),
    Scenario("same-max-age-0", SAME, "Max-Age=0", "dropped"),
    Scenario("same-expired", SAME, PAST, "dropped"),
    Scenario("same-domain-host", SAME, "Domain=localhost", "kept"),
    Scenario("same-domain-other", SAME, "Domain=example.com", "dropped"),
    Scenario("same-domain-ip", SAME, "Domain=127.0.0.1", "dropped"),
    Scenario("same-host-prefix", SAME, "Secure; Path=/", "kept", prefix="__Host-"),
    Scenario("same-host-insecure", SAME, "Path=/", "dropped", prefix="__Host-"),
    Scenario(
        "same-host-domain",
        SAME,
        "Secure; Path=/; Domain=localhost",
        "dropped",
        firefox="kept",
        prefix="__Host-",
    ),
    Scenario("same-secure-prefix", SAME, "Secure", "kept", prefix="__Secure-"),
    Scenario("same-secure-prefix-insecure", SAME, "", "dropped", prefix="__Secure-"),
    Scenario("same-omit", SAME, "SameSite=None; Secure", "dropped", credentials=False),
    Scenario("same-cors-blocked", SAME, "SameSite=None; Secure", "kept", cors_ok=False),
    # --- cross-site: a page on 127.0.0.1 calls the API on localhost ---
    Scenario("cross-plain", CROSS, "", "dropped", firefox="partitioned"),
    Scenario("cross-lax", CROSS, "SameSite=Lax", "dropped"),
    Scenario("cross-strict", CROSS, "SameSite=Strict", "dropped"),
    Scenario("cross-lax-secure", CROSS, "SameSite=Lax; Secure", "dropped"),
    Scenario("cross-none-insecure", CROSS, "SameSite=None", "dropped"),
    Scenario("cross-none-secure", CROSS, "SameSite=None; Secure", "dropped", firefox="partitioned"),
    Scenario("cross-chips", CROSS, "SameSite=None; Secure; Partitioned", "partitioned"),
    Scenario("cross-secure", CROSS, "Secure", "dropped", firefox="partitioned"),
    Scenario(
        "cross-partitioned-lax", CROSS, "Partitioned; Secure", "dropped", firefox="partitioned"
    ),
    Scenario("cross-path-elsewhere", CROSS, "Path=/elsewhere", "dropped", firefox="not-sent"),
    Scenario("cross-domain-host", CROSS, "Domain=localhost", "dropped", firefox="partitioned"),
    Scenario(
        "cross-host-prefix",
        CROSS,
        "Secure; Path=/",
        "dropped",
        firefox="partitioned",
        prefix="__Host-",
    ),
    Scenario("cross-omit", CROSS, "SameSite=None; Secure", "dropped", credentials=False),
    # --- cross-site the other way: a page on localhost calls the API on 127.0.0.1 ---
    Scenario("crossip-plain", CROSS_IP, "", "dropped", firefox="partitioned"),
    Scenario("crossip-chips", CROSS_IP, "SameSite=None; Secure; Partitioned", "partitioned"),
    Scenario("crossip-domain-ip", CROSS_IP, "Domain=127.0.0.1", "dropped", firefox="partitioned"),
    # --- same-site on an IP address ---
    Scenario("ip-plain", SAME_IP, "", "kept"),
    Scenario("ip-secure", SAME_IP, "Secure", "kept"),
    Scenario("ip-domain-ip", SAME_IP, "Domain=127.0.0.1", "kept"),
    Scenario("ip-domain-localhost", SAME_IP, "Domain=localhost", "dropped"),
    Scenario("ip-partitioned", SAME_IP, "Partitioned; Secure", "kept"),
    Scenario(
        "ip-host-domain",
        SAME_IP,
        "Secure; Path=/; Domain=127.0.0.1",
        "kept",
        prefix="__Host-",
    ),
)


@dataclass(frozen=True)
class Urls:
    page: str  # the page's origin
    api: str  # the API's origin
    setting: str  # step 0 on the API
    reading: str  # step 1
    sharing: str  # step 2


def urls(server: OracleServer, scenario: Scenario) -> Urls:
    page_host, api_host = scenario.pair
    page = f"http://{page_host}:{server.origins['page'].rsplit(':', 1)[1]}"
    api = f"http://{api_host}:{server.origins['api'].rsplit(':', 1)[1]}"
    step = f"{api}/s/{scenario.sid}/"
    return Urls(page, api, step + "0", step + "1", step + "2")


@pytest.fixture(scope="module")
def server() -> Iterator[OracleServer]:
    with oracle_server() as running:
        for scenario in SCENARIOS:
            page = urls(running, scenario).page
            cors = ((ACAO, page), (ACAC, "true")) if scenario.cors_ok else ((ACAO, page),)
            line = "; ".join(part for part in (f"{scenario.name}=v", scenario.attributes) if part)
            running.replies[scenario.sid] = {
                "0": Reply(200, (*cors, ("Set-Cookie", line))),
                "1": Reply(200, ((ACAO, page), (ACAC, "true"))),
                "2": Reply(200),
            }
        yield running


ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"


def _seen(server: OracleServer, scenario: Scenario, stored: bool, detail: str = "") -> Outcome:
    """What the server's log says about steps 1 and 2."""
    got = {entry.step: entry.cookie or "" for entry in server.take_log(scenario.sid)}
    sent = f"{scenario.name}=" in got.get("1", "")
    shared = f"{scenario.name}=" in got.get("2", "")
    return Outcome(stored=stored, sent=sent, shared=shared, detail=detail)


def _fetch_plan(scenario: Scenario, where: Urls) -> list[tuple[str, str, str]]:
    """(page, url, credentials) of the three fetches, in order."""
    first = "include" if scenario.credentials else "same-origin"
    return [
        (where.page, where.setting, first),
        (where.page, where.reading, "include"),
        (where.api, where.sharing, "include"),
    ]


def run_in_chromium(context: BrowserContext, server: OracleServer) -> list[Outcome]:
    pages: dict[str, Page] = {}
    for scenario in SCENARIOS:
        for page_origin, url, credentials in _fetch_plan(scenario, urls(server, scenario)):
            if page_origin not in pages:
                pages[page_origin] = context.new_page()
                pages[page_origin].goto(page_origin + "/")
            browser_fetch(pages[page_origin], url, credentials=credentials)
    jar = {cookie.get("name") for cookie in context.cookies()}
    return [_seen(server, scenario, scenario.name in jar) for scenario in SCENARIOS]


def run_firefox(server: OracleServer) -> tuple[str, list[Outcome]]:
    fetches = [
        FirefoxFetch(page=page + "/", url=url, credentials=credentials)
        for scenario in SCENARIOS
        for page, url, credentials in _fetch_plan(scenario, urls(server, scenario))
    ]
    run = run_in_firefox(fetches, list_cookies=True)
    jar = {cookie["name"] for cookie in run.cookies}
    return run.version, [_seen(server, scenario, scenario.name in jar) for scenario in SCENARIOS]


def run_check_for(server: OracleServer, scenario: Scenario, engine: Engine) -> Outcome:
    where = urls(server, scenario)
    report = run_check(
        where.setting,
        origin=where.page,
        credentials=scenario.credentials,
        engine=engine,
        timeout=5,
    )
    server.take_log(scenario.sid)
    [cookie] = report.cookies
    return _judged(cookie, where)


def _judged(cookie: CookieVerdict, where: Urls) -> Outcome:
    shared = cookie.sent and cookie.partition in (None, site(where.api))
    detail = "; ".join(cookie.reasons + cookie.notes)
    return Outcome(stored=cookie.stored, sent=cookie.sent, shared=shared, detail=detail)


Row = tuple[Scenario, Outcome, Outcome]


def assert_agree(rows: list[Row], engine: Engine, version: str) -> None:
    browser = ENGINE_NAMES[engine]
    width = max(len(s.sid) for s, _, _ in rows)
    lines = [
        f"{s.sid:<{width}}  {seen.fate:<11}  {check.fate:<11}  "
        + ("yes" if seen.key() == check.key() else "NO")
        for s, seen, check in rows
    ]
    agreed = sum(1 for _, seen, check in rows if seen.key() == check.key())
    table = "\n".join([f"{'scenario':<{width}}  {browser:<11}  check", *lines])
    table += f"\n{agreed}/{len(rows)} scenarios agree"
    print(f"\nCookies: {browser} {version} vs `devserve check --browser {engine}`:\n{table}")
    differences = [
        f"{s.sid}: {browser} {seen.key()} vs check {check.key()} ({check.detail or '-'})"
        for s, seen, check in rows
        if seen.key() != check.key()
    ]
    assert not differences, table + "\n\n" + "\n".join(differences)
    unexpected = [
        f"{s.sid}: pinned {s.pinned(engine)}, {browser} {seen.fate}"
        for s, seen, _ in rows
        if seen.fate != s.pinned(engine)
    ]
    assert not unexpected, f"{browser} {version} changed its mind:\n" + "\n".join(unexpected)


@pytest.fixture(scope="module")
def regular_profile(browser: Browser) -> Iterator[BrowserContext]:
    """Chromium with a regular on-disk profile: Playwright's new_context() is incognito-like."""
    executable = chromium_path()
    assert executable is not None  # the browser fixture skipped otherwise
    with tempfile.TemporaryDirectory(prefix="devserve-chromium-") as profile:
        assert browser.browser_type is not None
        context = browser.browser_type.launch_persistent_context(
            profile, executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000
        )
        context.set_default_timeout(PLAYWRIGHT_TIMEOUT_MS)
        yield context
        context.close()


def test_scenarios_cover_the_issue() -> None:
    sids = [s.sid for s in SCENARIOS]
    assert len(set(sids)) == len(sids)
    assert {s.pair for s in SCENARIOS} == {SAME, SAME_IP, CROSS, CROSS_IP}
    assert {s.chromium for s in SCENARIOS} == {"kept", "partitioned", "not-sent", "dropped"}


def test_chromium_and_check_agree_on_cookies(
    regular_profile: BrowserContext, server: OracleServer, browser: Browser
) -> None:
    outcomes = run_in_chromium(regular_profile, server)
    rows = [
        (scenario, seen, run_check_for(server, scenario, "chromium"))
        for scenario, seen in zip(SCENARIOS, outcomes, strict=True)
    ]
    assert_agree(rows, "chromium", browser.version)


def test_firefox_and_check_agree_on_cookies(server: OracleServer) -> None:
    version, outcomes = run_firefox(server)
    rows = [
        (scenario, seen, run_check_for(server, scenario, "firefox"))
        for scenario, seen in zip(SCENARIOS, outcomes, strict=True)
    ]
    assert_agree(rows, "firefox", version)
