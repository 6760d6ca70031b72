"""Sites and https, with the browsers as the oracle: Chromium and Firefox each agree with
`devserve check` on cookies between *.localhost sites (http and https), mixed content, and
certificates (trusted, untrusted, outside the CA's name constraints).

One devserve serves every case: pages and APIs on ``app.localhost``, ``api.localhost``,
``localhost`` and ``dev.test`` (a name that is not local, mapped to loopback by each browser:
Chromium's --host-resolver-rules, Firefox's ``network.dns.localDomains``), over http and https
with certificates from devserve's CA. The CA is trusted in throwaway stores only: the suite's
Chromium runs with HOME pointing at a temporary folder whose ``.pki/nssdb`` holds it
(tests/support/browsers.py), Firefox with a temporary profile whose ``cert9.db`` holds it
(`certutil`, as `devserve trust` does). Two more https servers show what happens without
trust: one with a certificate from another CA, one with a certificate devserve's CA key signs
for ``evil.test``, outside the CA's name constraints (and the same forgery for
``ok.localhost``, inside them, as the control).

A cookie scenario sets a cookie with a credentialed fetch from the page (step 0), reads it back
with the next one (step 1), then from a page on the API's own origin (step 2); the API echoes
the Cookie header it got, and the browser's cookie jar says whether the cookie was stored.
``pytest -s`` shows the tables.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

import devserve
from devserve.check.simulate import run_check
from devserve.cors import lna
from devserve.cors.engines import ENGINE_NAMES, Engine
from devserve.errors import DevserveError
from devserve.tls.ca import local_ca, make_ca
from devserve.tls.leaves import issue_leaf, server_context
from devserve.tls.names import Constraints
from devserve.urls import Origin
from tests.browser.firefox import FirefoxFetch, run_in_firefox
from tests.browser.pagefetch import browser_fetch
from tests.browser.sites import (
    COOKIES,
    MIXED,
    Cookie,
    Fetch,
    Outcome,
    Sites,
    certificate_plan,
    cookie_plan,
    mixed_plan,
    outcomes,
    plan,
    routes,
)
from tests.support.served import served
from tests.support.tlspair import forged_leaf, need_certutil

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

FIREFOX_PREFS = {"network.dns.localDomains": "dev.test,evil.test"}


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    response = PlainTextResponse("hello", headers={"Access-Control-Allow-Origin": "*"})
    await response(scope, receive, send)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    need_certutil()  # the suite's Chromium trusts devserve's CA through it
    folder = tmp_path_factory.mktemp("sites")
    (folder / "web").mkdir()
    (folder / "web" / "index.html").write_text("<!doctype html><title>page</title>")
    origin = {"port": 0, "static": "web"}
    api = {**origin, "cors": "on", "routes": routes()}
    config = devserve.config_from_dict(
        {
            "devserve": {"dashboard_port": False, "allowed_hosts": ["dev.test"]},
            "origins": {
                "page": {**origin, "host": "app.localhost"},
                "spage": {**origin, "host": "app.localhost", "https": True},
                "api": {**api, "host": "api.localhost"},
                "sapi": {**api, "host": "api.localhost", "https": True},
                "dev": {**api, "host": "dev.test"},
            },
        },
        base=folder,
    )
    ca = local_ca()  # in the suite's throwaway data folder (tests/conftest.py)
    assert not ca.constraints.covers("evil.test")
    other = dataclasses.replace(make_ca(Constraints()), folder=folder)
    untrusted = server_context(issue_leaf(other, ["127.0.0.1", "localhost"]), other)
    forged = server_context(forged_leaf(ca, "evil.test"), ca)
    control = server_context(forged_leaf(ca, "ok.localhost"), ca)
    with (
        devserve.run_in_thread(config) as running,
        served(_hello, untrusted) as untrusted_url,
        served(_hello, forged) as forged_url,
        served(_hello, control) as control_url,
    ):
        yield Sites(
            running,
            ca,
            untrusted_url,
            forged_url.replace("127.0.0.1", "evil.test"),
            control_url.replace("127.0.0.1", "ok.localhost"),
        )


def run_chromium(context: BrowserContext, fetches: list[Fetch]) -> list[dict[str, Any]]:
    pages: dict[str, Page] = {}
    results = []
    for page_url, url, credentials in fetches:
        if page_url not in pages:
            pages[page_url] = context.new_page()
            response = pages[page_url].goto(page_url)
            assert response is not None and response.ok, f"could not open {page_url}"
        results.append(browser_fetch(pages[page_url], url, credentials=credentials))
    return results


# ---- what `devserve check` says ----------------------------------------------------------


def check_cookie(sites: Sites, cookie: Cookie, engine: Engine) -> Outcome:
    page, setting, _ = cookie_plan(sites, cookie)[0]
    report = run_check(setting, origin=page.rstrip("/"), credentials=True, engine=engine, timeout=5)
    [verdict] = report.cookies
    api = Origin.of_url(setting)
    assert api is not None
    shared = verdict.sent and verdict.partition in (None, api.site)
    detail = "; ".join(verdict.reasons + verdict.notes)
    return Outcome(verdict.stored, verdict.sent, shared, detail)


def check_readable(sites: Sites, page: str, url: str, engine: Engine) -> bool:
    try:
        return run_check(url, origin=page.rstrip("/"), engine=engine, timeout=5).allowed
    except DevserveError as error:  # a certificate the check refuses, as the browser does
        assert "CERTIFICATE_VERIFY_FAILED" in error.message, error.message
        return False


@contextlib.contextmanager
def names_on_loopback() -> Iterator[None]:
    """dev.test and evil.test reach loopback for `devserve check` too, as in the browsers: a user
    maps their own name in /etc/hosts; a test must not touch it, so it stands in for it."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host in ("dev.test", "evil.test") else host, *args, **kwargs)

    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        hosts = Path(folder) / "hosts"
        hosts.write_text("127.0.0.1 localhost\n127.0.0.1 dev.test evil.test\n")
        patch.setattr(lna, "HOSTS_FILE", hosts)
        patch.setattr(socket, "getaddrinfo", resolve)
        yield


def compare(sites: Sites, results: list[dict[str, Any]], jar: set[str], engine: Engine) -> None:
    """Every row: the browser as pinned, and `devserve check --browser ENGINE` agreeing."""
    with names_on_loopback():
        _compare(sites, results, jar, engine)


def _compare(sites: Sites, results: list[dict[str, Any]], jar: set[str], engine: Engine) -> None:
    browser = ENGINE_NAMES[engine]
    rows, problems = [], []
    for cookie, seen in zip(COOKIES, outcomes(results, jar), strict=True):
        judged = check_cookie(sites, cookie, engine)
        agree = seen.key() == judged.key()
        rows.append(
            f"{cookie.sid:<14} {seen.fate:<11} {judged.fate:<11} {'yes' if agree else 'NO'}"
        )
        if not agree:
            problems.append(
                f"{cookie.sid}: {browser} {seen.fate}, check {judged.fate} ({judged.detail})"
            )
        if seen.fate != cookie.pinned(engine):
            problems.append(f"{cookie.sid}: pinned {cookie.pinned(engine)}, {browser} {seen.fate}")
    rest = results[3 * len(COOKIES) :]
    fetches = [mixed_plan(sites, case) for case in MIXED] + certificate_plan(sites)
    expected = [case.readable for case in MIXED] + [False, False, True]
    for (page, url, _), result, pinned in zip(fetches, rest, expected, strict=True):
        readable, judged_readable = (
            bool(result.get("readable")),
            check_readable(sites, page, url, engine),
        )
        rows.append(f"{page} -> {url}: {browser} {readable}, check {judged_readable}")
        if readable != pinned or judged_readable != pinned:
            problems.append(
                f"{page} -> {url}: pinned {pinned}, {browser} {readable} "
                f"({result.get('error')}), check {judged_readable}"
            )
    table = "\n".join(rows)
    print(f"\nSites: {browser} vs `devserve check --browser {engine}`:\n{table}")
    assert not problems, table + "\n\n" + "\n".join(problems)


def test_chromium_and_check_agree_on_sites(context: BrowserContext, sites: Sites) -> None:
    results = run_chromium(context, plan(sites))
    jar = {str(cookie.get("name")) for cookie in context.cookies()}
    compare(sites, results, jar, "chromium")


def test_firefox_and_check_agree_on_sites(sites: Sites) -> None:
    fetches = [
        FirefoxFetch(page=page, url=url, credentials=cred) for page, url, cred in plan(sites)
    ]
    run = run_in_firefox(fetches, prefs=FIREFOX_PREFS, list_cookies=True, trust=sites.ca.cert_path)
    compare(sites, run.results, {cookie["name"] for cookie in run.cookies}, "firefox")


def test_chromium_loads_an_https_origin_only_with_its_ca_trusted(
    context: BrowserContext, sites: Sites
) -> None:
    from playwright.sync_api import Error

    page = context.new_page()
    loaded = page.goto(sites.url(("spage", "app.localhost")) + "/")  # devserve's CA: trusted
    assert loaded is not None and loaded.ok
    with pytest.raises(Error, match="ERR_CERT_AUTHORITY_INVALID"):
        page.goto(sites.untrusted + "/")  # a CA this browser was not told to trust
    with pytest.raises(Error, match="ERR_CERT"):
        page.goto(sites.forged + "/")  # devserve's CA, but outside its name constraints
