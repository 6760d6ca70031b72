"""The scenarios of tests/browser/test_sites_oracle.py: which page fetches what, with which
cookie, and what each browser was measured to do (pinned); and the plans of fetches that run
them, in order, in either browser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from devserve.cors.engines import Engine
from devserve.embed import RunningInThread
from devserve.tls.ca import LocalCA
from devserve.urls import Origin

Fate = Literal["kept", "partitioned", "not-sent", "dropped"]
# (origin name in the config, the host name the browser uses for it)
Where = tuple[str, str]
PAIRS: dict[str, tuple[Where, Where]] = {
    "http-cross": (("page", "app.localhost"), ("api", "api.localhost")),
    "https-cross": (("spage", "app.localhost"), ("sapi", "api.localhost")),
    "same-site": (("page", "api.localhost"), ("api", "api.localhost")),
    "http-to-https": (("page", "localhost"), ("sapi", "localhost")),
    "https-to-http": (("spage", "localhost"), ("api", "localhost")),
    "dev-test": (("page", "dev.test"), ("dev", "dev.test")),
}


@dataclass(frozen=True)
class Cookie:
    """A Set-Cookie ``{prefix}{sid}=v; {attributes}`` from the API to a page, pinned per browser."""

    sid: str
    pair: str
    attributes: str
    chromium: Fate
    firefox: Fate | None = None
    prefix: str = ""

    @property
    def name(self) -> str:
        return self.prefix + self.sid

    def pinned(self, engine: Engine) -> Fate:
        return self.firefox if engine == "firefox" and self.firefox else self.chromium


LAX, NONE, CHIPS = "SameSite=Lax", "SameSite=None; Secure", "SameSite=None; Secure; Partitioned"
COOKIES: tuple[Cookie, ...] = (
    # The README's example: a Lax session cookie from the API's site is dropped; the fixes.
    Cookie("hx-lax", "http-cross", LAX, "dropped"),
    Cookie("hx-none", "http-cross", NONE, "dropped", firefox="partitioned"),
    Cookie("hx-plain", "http-cross", "", "dropped", firefox="partitioned"),
    Cookie("hx-chips", "http-cross", CHIPS, "partitioned"),
    Cookie("same-lax", "same-site", LAX, "kept"),
    Cookie("sx-lax", "https-cross", LAX, "dropped"),
    Cookie("sx-none", "https-cross", NONE, "dropped", firefox="partitioned"),
    Cookie("sx-plain", "https-cross", "", "dropped", firefox="partitioned"),
    Cookie("sx-chips", "https-cross", CHIPS, "partitioned"),
    Cookie(
        "sx-host",
        "https-cross",
        "Secure; Path=/; SameSite=None",
        "dropped",
        firefox="partitioned",
        prefix="__Host-",
    ),
    Cookie(
        "sx-hostp",
        "https-cross",
        "Secure; Path=/; SameSite=None; Partitioned",
        "partitioned",
        prefix="__Host-",
    ),
    # Schemeful same-site in Chromium only: Firefox keeps these (http and https are one site).
    Cookie("up-lax", "http-to-https", LAX, "dropped", firefox="kept"),
    Cookie("up-plain", "http-to-https", "", "dropped", firefox="kept"),
    Cookie("down-lax", "https-to-http", LAX, "dropped", firefox="kept"),
    Cookie("dev-secure", "dev-test", "Secure", "dropped"),
    Cookie("dev-plain", "dev-test", "", "kept"),
)


@dataclass(frozen=True)
class Mixed:
    """A fetch from a page to a target (no credentials): readable or blocked, in both browsers."""

    sid: str
    page: Where
    target: Where
    readable: bool


MIXED: tuple[Mixed, ...] = (
    Mixed("to-ip", ("spage", "app.localhost"), ("api", "127.0.0.1"), True),
    Mixed("to-localhost", ("spage", "app.localhost"), ("api", "localhost"), True),
    Mixed("to-sub-localhost", ("spage", "app.localhost"), ("api", "api.localhost"), True),
    Mixed("to-dev-test", ("spage", "app.localhost"), ("dev", "dev.test"), False),
    Mixed("http-page-to-dev-test", ("page", "app.localhost"), ("dev", "dev.test"), True),
)


def routes() -> list[dict[str, Any]]:
    """The API's: /set?c=LINE sets the cookie LINE, /read echoes the Cookie header it got."""
    return [
        {"path": "/set", "headers": {"Set-Cookie": "{{ query.c }}"}, "json": {"set": True}},
        {"path": "/read", "json": {"cookie": "{{ headers.cookie }}"}},
    ]


@dataclass
class Sites:
    running: RunningInThread
    ca: LocalCA
    untrusted: str  # an https server whose certificate comes from another CA
    forged: str  # an https server for evil.test, signed by devserve's CA outside its constraints
    control: str  # the same forgery for ok.localhost, inside them: accepted

    def url(self, where: Where) -> str:
        name, host = where
        origin = Origin.of_url(self.running.url(name))
        assert origin is not None
        return f"{origin.scheme}://{host}:{origin.port}"


@dataclass(frozen=True)
class Outcome:
    stored: bool
    sent: bool  # with the page's next credentialed request
    shared: bool  # with a credentialed request from the API's own page
    detail: str = ""

    def key(self) -> tuple[bool, bool, bool]:
        return self.stored, self.sent, self.shared

    @property
    def fate(self) -> Fate:
        if not self.stored:
            return "dropped"
        if not self.sent:
            return "not-sent"
        return "kept" if self.shared else "partitioned"


Fetch = tuple[str, str, str]  # (page URL, fetched URL, credentials)


def cookie_plan(sites: Sites, cookie: Cookie) -> list[Fetch]:
    page, api = (sites.url(where) for where in PAIRS[cookie.pair])
    line = "; ".join(part for part in (f"{cookie.name}=v", cookie.attributes) if part)
    return [
        (page + "/", f"{api}/set?c={quote(line)}", "include"),
        (page + "/", f"{api}/read?step=1", "include"),
        (api + "/", f"{api}/read?step=2", "include"),
    ]


def mixed_plan(sites: Sites, case: Mixed) -> Fetch:
    return sites.url(case.page) + "/", sites.url(case.target) + "/read", "omit"


def certificate_plan(sites: Sites) -> list[Fetch]:
    page = sites.url(("spage", "app.localhost")) + "/"
    return [(page, url + "/", "omit") for url in (sites.untrusted, sites.forged, sites.control)]


def plan(sites: Sites) -> list[Fetch]:
    """Every fetch, in order: the cookie scenarios, then mixed content, then certificates."""
    fetches = [fetch for cookie in COOKIES for fetch in cookie_plan(sites, cookie)]
    fetches += [mixed_plan(sites, case) for case in MIXED]
    return fetches + certificate_plan(sites)


def outcomes(results: list[dict[str, Any]], jar: set[str]) -> list[Outcome]:
    """One Outcome per cookie scenario from the fetch results (three per scenario)."""
    found = []
    for index, cookie in enumerate(COOKIES):
        _, read, shared = results[3 * index : 3 * index + 3]
        found.append(
            Outcome(
                stored=cookie.name in jar,
                sent=f"{cookie.name}=" in str(read.get("body")),
                shared=f"{cookie.name}=" in str(shared.get("body")),
            )
        )
    return found
