"""The browsers are the oracle: Chromium and Firefox each agree with `devserve check`.

Each scenario sets exactly the response headers it needs on a tiny test server
(``oracle_server``, independent of devserve) and is run through a real browser and through the
verdict engine of `devserve check` for that browser (``run_check`` directly, a few through the
CLI with ``--json``): headless Chromium (Playwright) against ``--browser chromium``, and
headless Firefox ESR (puppeteer-core over WebDriver BiDi, one launch for the whole table)
against ``--browser firefox``. Both sides must agree on every scenario: readable or not, the
status, whether a preflight was sent, which probed response headers the script can read, and
the exact requests the server saw. Each scenario also pins what each browser does, so a
browser that changes its mind shows up here.

Every scenario has its own URL path, so a preflight cache can never answer one scenario with
another's preflight. ``pytest -s`` shows the tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pytest
from typer.testing import CliRunner

from devserve.check.simulate import run_check
from devserve.cli import app
from devserve.cors.engines import ENGINE_NAMES, Engine
from tests.browser.firefox import FirefoxFetch
from tests.browser.firefox import run_in_firefox as firefox_batch
from tests.browser.pagefetch import browser_fetch, open_page
from tests.support.oracle_server import Logged, OracleServer, Reply, oracle_server

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Frame, Page

Header = tuple[str, str]
Expect = Literal["read", "blocked"]

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
FROM_PAGE: Header = (ACAO, "{page}")
CREDS_OK: tuple[Header, ...] = (FROM_PAGE, (ACAC, "true"))
# Response headers the exposure scenarios try to read (safelisted ones and others).
PROBES = ("content-type", "cache-control", "x-custom", "x-other", "set-cookie")
EXPOSABLE: tuple[Header, ...] = (
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Language", "en"),
    ("Cache-Control", "no-store"),
    ("X-Custom", "custom"),
    ("X-Other", "other"),
    ("Set-Cookie", "sid=1; SameSite=Lax"),
)
LANGUAGE_128 = "en-GB," + ",".join(["en;q=0.9"] * 13) + ",de-DE"  # 128 bytes, all safelisted
LANGUAGE_129 = LANGUAGE_128 + "x"


def ok(*headers: Header, status: int = 200) -> Reply:
    return Reply(status, headers)


def preflight(*headers: Header, status: int = 204) -> Reply:
    return Reply(status, headers, body="")


def hop(to: str, step: str = "1", *headers: Header, status: int = 302) -> Reply:
    """A redirect to step ``step`` of the same scenario on origin ``to``."""
    return Reply(status, (("Location", f"{{{to}}}/s/{{sid}}/{step}"), *headers), body="")


@dataclass(frozen=True)
class Scenario:
    """One cross-origin fetch(): what the page sends, what the server answers, what Chromium does.

    ``replies`` are keyed as in ``oracle_server``: ``"0"`` is the first URL (on origin
    ``start``), ``"1"`` a redirect target, ``"preflight"`` the answer to every preflight.
    ``source`` is the page's origin: ``page``, or ``null`` for a sandboxed iframe on it.
    """

    sid: str
    expect: Expect  # pinned: what Chromium 156 does (and Firefox 153, unless firefox says)
    replies: dict[str, Reply]
    method: str = "GET"
    headers: tuple[Header, ...] = ()
    body: str | None = None
    credentials: bool = False
    start: str = "api"
    source: Literal["page", "null"] = "page"
    probes: tuple[str, ...] = ()  # response headers to try to read (exposure scenarios)
    cli: bool = False  # run `check` through the CLI (`devserve check ... --json`)
    mode: Literal["cors", "no-cors"] = "cors"  # fetch()'s mode
    firefox: Expect | None = None  # pinned: what Firefox 153 ESR does, where it differs

    def pinned(self, engine: Engine) -> Expect:
        return self.firefox if engine == "firefox" and self.firefox else self.expect


SCENARIOS: tuple[Scenario, ...] = (
    # --- simple vs preflighted (no preflight reply registered: a preflight would get 404) ---
    Scenario("simple-get", "read", {"0": ok(FROM_PAGE)}, cli=True),
    Scenario("simple-get-no-acao", "blocked", {"0": ok()}, cli=True),
    Scenario("simple-post-text-plain", "read", {"0": ok(FROM_PAGE)}, method="POST", body="x"),
    Scenario(
        "simple-post-form-charset",
        "read",
        {"0": ok(FROM_PAGE)},
        method="POST",
        headers=(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),),
        body="a=1",
    ),
    Scenario(
        "post-json-preflight-ok",
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAH, "content-type"))},
        method="POST",
        headers=(("Content-Type", "application/json"),),
        body="{}",
        cli=True,
    ),
    Scenario(
        "post-json-no-acah",
        "blocked",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE)},
        method="POST",
        headers=(("Content-Type", "application/json"),),
        body="{}",
    ),
    Scenario(
        "custom-header-acah-listed",
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAH, "X-Custom"))},
        headers=(("X-Custom", "1"),),
    ),
    Scenario(
        "custom-header-no-acao-on-preflight",
        "blocked",
        {"0": ok(FROM_PAGE), "preflight": preflight((ACAH, "x-custom"))},
        headers=(("X-Custom", "1"),),
    ),
    Scenario("range-single", "read", {"0": ok(FROM_PAGE)}, headers=(("Range", "bytes=0-1"),)),
    Scenario(  # Chromium safelists well-formed client hints; Firefox preflights them (-> 404)
        "client-hint-dpr", "read", {"0": ok(FROM_PAGE)}, headers=(("DPR", "2"),), firefox="blocked"
    ),
    # --- Access-Control-Allow-Origin ---
    Scenario("acao-star", "read", {"0": ok((ACAO, "*"))}),
    Scenario("acao-star-credentials", "blocked", {"0": ok((ACAO, "*"))}, credentials=True),
    Scenario("acao-twice", "blocked", {"0": ok(FROM_PAGE, FROM_PAGE)}),
    Scenario("acao-list", "blocked", {"0": ok((ACAO, "{page}, {other}"))}),
    Scenario("acao-trailing-slash", "blocked", {"0": ok((ACAO, "{page}/"))}, cli=True),
    Scenario("acao-upper-case", "blocked", {"0": ok((ACAO, "{PAGE}"))}),
    Scenario("acao-other-port", "blocked", {"0": ok((ACAO, "{api}"))}),
    Scenario("acao-localhost", "blocked", {"0": ok((ACAO, "http://localhost:{page_port}"))}),
    Scenario("acao-null-for-page", "blocked", {"0": ok((ACAO, "null"))}),
    # --- credentials and Access-Control-Allow-Credentials ---
    Scenario("credentials-acac-true", "read", {"0": ok(*CREDS_OK)}, credentials=True),
    Scenario("credentials-no-acac", "blocked", {"0": ok(FROM_PAGE)}, credentials=True),
    Scenario(
        "credentials-acac-True", "blocked", {"0": ok(FROM_PAGE, (ACAC, "True"))}, credentials=True
    ),
    Scenario(
        "credentials-acac-twice",
        "blocked",
        {"0": ok(FROM_PAGE, (ACAC, "true"), (ACAC, "true"))},
        credentials=True,
    ),
    Scenario("acac-false-without-credentials", "read", {"0": ok(FROM_PAGE, (ACAC, "false"))}),
    Scenario(
        "credentials-preflight-no-acac",
        "blocked",
        {"0": ok(*CREDS_OK), "preflight": preflight(FROM_PAGE, (ACAM, "PUT"))},
        method="PUT",
        credentials=True,
    ),
    # --- preflight status codes ---
    *(
        Scenario(
            f"preflight-status-{status}",
            "read" if status < 300 else "blocked",
            {
                "0": ok(FROM_PAGE),
                "preflight": Reply(
                    status,
                    (
                        FROM_PAGE,
                        (ACAM, "PUT"),
                        *((("Location", "/s/{sid}/0"),) if status < 400 else ()),
                    ),
                    body="" if status in (204, 304) else "preflight",
                ),
            },
            method="PUT",
        )
        for status in (200, 204, 301, 302, 307, 404, 500)
    ),
    # --- Access-Control-Allow-Methods ---
    Scenario(
        "put-no-acam",
        "blocked",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE)},
        method="PUT",
    ),
    Scenario(
        "put-acam-star",
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAM, "*"))},
        method="PUT",
    ),
    Scenario(
        "put-acam-star-credentials",
        "blocked",
        {"0": ok(*CREDS_OK), "preflight": preflight(*CREDS_OK, (ACAM, "*"))},
        method="PUT",
        credentials=True,
    ),
    Scenario(
        "put-acam-put-credentials",
        "read",
        {"0": ok(*CREDS_OK), "preflight": preflight(*CREDS_OK, (ACAM, "GET, PUT"))},
        method="PUT",
        credentials=True,
    ),
    Scenario(
        "patch-lower-acam-PATCH",
        "blocked",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAM, "PATCH"))},
        method="patch",
        cli=True,
    ),
    Scenario(
        "patch-lower-acam-patch",
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAM, "patch"))},
        method="patch",
    ),
    Scenario(
        "PATCH-acam-patch",
        "blocked",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAM, "patch"))},
        method="PATCH",
    ),
    Scenario(
        "delete-lower-acam-DELETE",
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAM, "DELETE"))},
        method="delete",
    ),
    Scenario(
        "acam-unparsable",
        "blocked",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAM, "PUT, P(T"))},
        method="PUT",
    ),
    # --- Access-Control-Allow-Headers, Authorization ---
    Scenario(
        "acah-star",
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAH, "*"))},
        headers=(("X-Custom", "1"),),
    ),
    Scenario(
        "acah-star-credentials",
        "blocked",
        {"0": ok(*CREDS_OK), "preflight": preflight(*CREDS_OK, (ACAH, "*"))},
        headers=(("X-Custom", "1"),),
        credentials=True,
    ),
    Scenario(
        "authorization-acah-star",  # Chromium and Firefox deviate from the standard: allowed
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAH, "*"))},
        headers=(("Authorization", "Bearer t"),),
        cli=True,
    ),
    Scenario(
        "authorization-acah-star-credentials",
        "blocked",
        {"0": ok(*CREDS_OK), "preflight": preflight(*CREDS_OK, (ACAH, "*"))},
        headers=(("Authorization", "Bearer t"),),
        credentials=True,
    ),
    Scenario(
        "authorization-listed",
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAH, "Authorization"))},
        headers=(("Authorization", "Bearer t"),),
    ),
    Scenario(
        "authorization-listed-credentials",
        "read",
        {"0": ok(*CREDS_OK), "preflight": preflight(*CREDS_OK, (ACAH, "Authorization"))},
        headers=(("Authorization", "Bearer t"),),
        credentials=True,
    ),
    Scenario(
        "acah-star-literal-with-credentials",  # with credentials "*" is a header name
        "blocked",
        {"0": ok(*CREDS_OK), "preflight": preflight(*CREDS_OK, (ACAH, "authorization, *"))},
        headers=(("Authorization", "Bearer t"), ("X-Custom", "1")),
        credentials=True,
    ),
    Scenario(
        "acah-upper-case-name",
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAH, "X-CUSTOM"))},
        headers=(("x-custom", "1"),),
    ),
    Scenario(
        "acah-unparsable",
        "blocked",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAH, "x-custom, a b"))},
        headers=(("X-Custom", "1"),),
    ),
    # --- response-header exposure ---
    Scenario("expose-nothing", "read", {"0": ok(FROM_PAGE, *EXPOSABLE)}, probes=PROBES),
    Scenario(
        "expose-listed",
        "read",
        {"0": ok(FROM_PAGE, *EXPOSABLE, (ACEH, "X-Custom"))},
        probes=PROBES,
        cli=True,
    ),
    Scenario("expose-star", "read", {"0": ok(FROM_PAGE, *EXPOSABLE, (ACEH, "*"))}, probes=PROBES),
    Scenario(
        "expose-star-credentials",
        "read",
        {"0": ok(*CREDS_OK, *EXPOSABLE, (ACEH, "*"))},
        credentials=True,
        probes=PROBES,
    ),
    Scenario(
        "expose-star-and-name-credentials",
        "read",
        {"0": ok(*CREDS_OK, *EXPOSABLE, (ACEH, "*, x-custom"))},
        credentials=True,
        probes=PROBES,
    ),
    Scenario(
        "expose-set-cookie",
        "read",
        {"0": ok(FROM_PAGE, *EXPOSABLE, (ACEH, "set-cookie, x-other"))},
        probes=PROBES,
    ),
    Scenario(
        "expose-unparsable",
        "read",
        {"0": ok(FROM_PAGE, *EXPOSABLE, (ACEH, "x-custom, a b"))},
        probes=PROBES,
    ),
    # --- the 128-byte rule for safelisted request-header values ---
    Scenario(
        "accept-language-128-bytes",
        "read",
        {"0": ok(FROM_PAGE)},
        headers=(("Accept-Language", LANGUAGE_128),),
    ),
    Scenario(
        "accept-language-129-bytes",
        "blocked",
        {"0": ok(FROM_PAGE)},
        headers=(("Accept-Language", LANGUAGE_129),),
    ),
    Scenario(
        "content-language-129-bytes-listed",
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAH, "content-language"))},
        headers=(("Content-Language", LANGUAGE_129),),
    ),
    # --- redirects ---
    Scenario(
        "redirect-same-origin-hop",
        "read",
        {"0": hop("api", "1", FROM_PAGE), "1": ok(FROM_PAGE)},
    ),
    Scenario(
        "redirect-hop-without-acao",
        "blocked",
        {"0": hop("api"), "1": ok(FROM_PAGE)},
    ),
    Scenario(
        "redirect-cross-origin-acao-page",
        "blocked",
        {"0": hop("other", "1", FROM_PAGE), "1": ok(FROM_PAGE)},
        cli=True,
    ),
    Scenario(
        "redirect-cross-origin-acao-null",
        "read",
        {"0": hop("other", "1", FROM_PAGE), "1": ok((ACAO, "null"))},
    ),
    Scenario(
        "redirect-cross-origin-acao-star",
        "read",
        {"0": hop("other", "1", FROM_PAGE), "1": ok((ACAO, "*"))},
    ),
    Scenario(
        "redirect-307-preflighted-put",  # preflighted again at the target, from origin null
        "read",
        {
            "0": hop("other", "1", FROM_PAGE, status=307),
            "1": ok((ACAO, "*")),
            "preflight:0": preflight(FROM_PAGE, (ACAM, "PUT")),
            "preflight:1": preflight((ACAO, "*"), (ACAM, "PUT")),
        },
        method="PUT",
        body="x",
    ),
    Scenario(  # Firefox sends that second preflight from the page's origin (see cors/engines.py)
        "redirect-307-preflight-acao-page",
        "blocked",
        {
            "0": hop("other", "1", FROM_PAGE, status=307),
            "1": ok((ACAO, "*")),
            "preflight:0": preflight(FROM_PAGE, (ACAM, "PUT")),
            "preflight:1": preflight(FROM_PAGE, (ACAM, "PUT")),
        },
        method="PUT",
        body="x",
        firefox="read",
    ),
    Scenario(
        "redirect-307-preflight-acao-null",
        "read",
        {
            "0": hop("other", "1", FROM_PAGE, status=307),
            "1": ok((ACAO, "*")),
            "preflight:0": preflight(FROM_PAGE, (ACAM, "PUT")),
            "preflight:1": preflight((ACAO, "null"), (ACAM, "PUT")),
        },
        method="PUT",
        body="x",
        firefox="blocked",
    ),
    Scenario(
        "redirect-303-post-becomes-get",
        "read",
        {"0": hop("api", "1", FROM_PAGE, status=303), "1": ok(FROM_PAGE)},
        method="POST",
        body="x",
    ),
    Scenario(
        "redirect-from-page-origin",
        "read",
        {"0": hop("api"), "1": ok(FROM_PAGE)},
        start="page",
    ),
    # --- where the engines part (the third table: 2026-12-06) ---
    *(
        Scenario(f"method-override-{sid}", "read", {"0": ok(FROM_PAGE)}, headers=(header,))
        for sid, header in (
            ("trace", ("X-HTTP-Method-Override", "TRACE")),
            ("connect", ("X-HTTP-Method", "connect")),
            ("list-track", ("X-Method-Override", "GET, TRACK")),
            ("spaced", ("X-HTTP-Method-Override", " get ,  trace ")),
        )
    ),
    Scenario(
        "method-override-patch",  # not a forbidden method: an ordinary custom header
        "blocked",
        {"0": ok(FROM_PAGE)},
        headers=(("X-HTTP-Method-Override", "PATCH"),),
    ),
    Scenario(
        "user-agent-set",
        "read",
        {"0": ok(FROM_PAGE)},
        headers=(("User-Agent", "my-agent/1.0"),),
        firefox="blocked",  # Firefox preflights it (no preflight answer here)
    ),
    Scenario(
        "duplicate-accept-short",
        "read",
        {"0": ok(FROM_PAGE)},
        headers=(("Accept", "text/html"), ("Accept", "text/plain")),
    ),
    Scenario(
        "duplicate-accept-long",  # 70 bytes each: 142 together
        "blocked",
        {"0": ok(FROM_PAGE)},
        headers=(("Accept", "text/" + "a" * 65), ("Accept", "text/" + "b" * 65)),
        firefox="read",
        cli=True,
    ),
    Scenario(
        "duplicate-content-type",
        "blocked",
        {"0": ok(FROM_PAGE)},
        method="POST",
        headers=(("Content-Type", "text/plain"), ("Content-Type", "text/plain")),
        body="x",
        firefox="read",
    ),
    Scenario(
        "redirect-empty-location",
        "read",
        {"0": Reply(302, (FROM_PAGE, ("Location", "")), body="")},
        firefox="blocked",  # follows it to the same URL until it gives up
        cli=True,
    ),
    Scenario(
        "redirect-two-locations-differ",
        "blocked",
        {
            "0": Reply(
                302,
                (FROM_PAGE, ("Location", "{api}/s/{sid}/1"), ("Location", "{api}/s/{sid}/2")),
                body="",
            ),
            "1": ok(FROM_PAGE),
            "2": ok(FROM_PAGE),
        },
    ),
    Scenario(
        "redirect-two-locations-same",
        "read",
        {
            "0": Reply(
                302,
                (FROM_PAGE, ("Location", "{api}/s/{sid}/1"), ("Location", "{api}/s/{sid}/1")),
                body="",
            ),
            "1": ok(FROM_PAGE),
        },
    ),
    Scenario("no-cors-get", "blocked", {"0": ok(FROM_PAGE)}, mode="no-cors", cli=True),
    Scenario(
        "no-cors-post-custom-header",  # the custom header is dropped: no preflight
        "blocked",
        {"0": ok(FROM_PAGE)},
        method="POST",
        headers=(("X-Custom", "1"),),
        body="x",
        mode="no-cors",
    ),
    Scenario(
        "latin1-custom-header",
        "read",
        {"0": ok(FROM_PAGE), "preflight": preflight(FROM_PAGE, (ACAH, "x-name"))},
        headers=(("X-Name", "caf\u00e9"),),
        cli=True,
    ),
    Scenario(
        "latin1-content-language",  # é is not a safelisted Content-Language byte
        "blocked",
        {"0": ok(FROM_PAGE)},
        headers=(("Content-Language", "\u00e9"),),
    ),
    Scenario(
        "latin1-accept",  # the standard allows the byte; Firefox preflights it
        "read",
        {"0": ok(FROM_PAGE)},
        headers=(("Accept", "text/\u00e9"),),
        firefox="blocked",
    ),
    Scenario(
        "latin1-content-type-parameter",
        "read",
        {"0": ok(FROM_PAGE)},
        method="POST",
        headers=(("Content-Type", "text/plain; name=\u00e9"),),
        body="x",
        firefox="blocked",
    ),
    # --- a `null` origin: a sandboxed iframe ---
    Scenario("null-origin-acao-null", "read", {"0": ok((ACAO, "null"))}, source="null", cli=True),
    Scenario("null-origin-acao-star", "read", {"0": ok((ACAO, "*"))}, source="null"),
    Scenario("null-origin-acao-page", "blocked", {"0": ok(FROM_PAGE)}, source="null"),
    Scenario(
        "null-origin-credentials",
        "read",
        {"0": ok((ACAO, "null"), (ACAC, "true"))},
        source="null",
        credentials=True,
    ),
)


@dataclass(frozen=True)
class Outcome:
    """What one side saw of a scenario; equal outcomes mean the two sides agree."""

    readable: bool
    status: int | None
    preflighted: bool
    exposed: tuple[str, ...]  # the probed response headers the script could read
    trace: tuple[str, ...]  # the requests the server saw: "OPTIONS api/0 from page ..."
    detail: str = field(default="", compare=False)  # the block reason(s), for the report

    def cell(self) -> str:
        text = f"read {self.status}" if self.readable else "blocked"
        if self.preflighted:
            text += " +preflight"
        if self.exposed:
            text += f" [{','.join(self.exposed)}]"
        return text


def _trace(server: OracleServer, log: list[Logged]) -> tuple[str, ...]:
    names = {origin: name for name, origin in server.origins.items()}
    lines = []
    for entry in log:
        origin = "-" if entry.origin is None else names.get(entry.origin, entry.origin)
        line = f"{entry.method} {entry.origin_name}/{entry.step} from {origin}"
        if entry.preflight:
            line += f" for {entry.request_method}"
            if entry.request_headers:
                line += f" with {entry.request_headers}"
        lines.append(line)
    return tuple(lines)


def _outcome(
    server: OracleServer,
    scenario: Scenario,
    *,
    readable: bool,
    status: int | None,
    exposed: list[str],
    detail: str,
) -> Outcome:
    log = server.take_log(scenario.sid)
    return Outcome(
        readable=readable,
        status=status,
        preflighted=any(entry.preflight for entry in log),
        exposed=tuple(name for name in scenario.probes if name in exposed),
        trace=_trace(server, log),
        detail=detail,
    )


def _browser_outcome(server: OracleServer, scenario: Scenario, result: dict[str, Any]) -> Outcome:
    """An Outcome from what ``pagefetch.FETCH_JS`` returned in either browser."""
    headers: dict[str, str | None] = result.get("headers", {})
    return _outcome(
        server,
        scenario,
        readable=result["readable"],
        status=result.get("status"),
        exposed=[name for name, value in headers.items() if value is not None],
        detail=result.get("error", ""),
    )


def run_in_chromium(
    server: OracleServer, scenario: Scenario, where: dict[str, Page | Frame]
) -> Outcome:
    result = browser_fetch(
        where[scenario.source],
        server.url(scenario.start, scenario.sid),
        method=scenario.method,
        headers=scenario.headers,
        body=scenario.body,
        credentials=_credentials(scenario),
        read_headers=scenario.probes,
        mode=scenario.mode,
    )
    return _browser_outcome(server, scenario, result)


def run_in_firefox(server: OracleServer) -> tuple[str, list[Outcome]]:
    """The whole table in one Firefox launch; the server's log keeps each scenario apart."""
    fetches = [
        FirefoxFetch(
            page=server.origins["page"] + "/",
            frame=scenario.source,
            url=server.url(scenario.start, scenario.sid),
            method=scenario.method,
            headers=scenario.headers,
            body=scenario.body,
            credentials=_credentials(scenario),
            read_headers=scenario.probes,
            mode=scenario.mode,
        )
        for scenario in SCENARIOS
    ]
    run = firefox_batch(fetches)
    outcomes = [
        _browser_outcome(server, scenario, result)
        for scenario, result in zip(SCENARIOS, run.results, strict=True)
    ]
    return run.version, outcomes


def _credentials(scenario: Scenario) -> str:
    return "include" if scenario.credentials else "same-origin"


def _origin(server: OracleServer, scenario: Scenario) -> str:
    return "null" if scenario.source == "null" else server.origins["page"]


def run_check_engine(server: OracleServer, scenario: Scenario, engine: Engine) -> Outcome:
    report = run_check(
        server.url(scenario.start, scenario.sid),
        origin=_origin(server, scenario),
        method=scenario.method,
        headers=scenario.headers,
        body=scenario.body,
        credentials=scenario.credentials,
        engine=engine,
        timeout=5,
        mode=scenario.mode,
    )
    return _outcome(
        server,
        scenario,
        readable=report.allowed,
        status=report.status,
        exposed=list(report.readable_headers),
        detail="; ".join(report.verdict.reasons),
    )


def run_check_cli(server: OracleServer, scenario: Scenario, engine: Engine) -> Outcome:
    args = [
        "check",
        server.url(scenario.start, scenario.sid),
        "--origin",
        _origin(server, scenario),
        "-X",
        scenario.method,
        "--browser",
        engine,
        "--json",
        "--timeout",
        "5",
        "--mode",
        scenario.mode,
    ]
    for name, value in scenario.headers:
        args += ["-H", f"{name}: {value}"]
    if scenario.body is not None:
        args += ["-d", scenario.body]
    if scenario.credentials:
        args.append("--credentials")
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), f"devserve {' '.join(args)}: {result.output}"
    report = json.loads(result.stdout)
    assert result.exit_code == (0 if report["allowed"] else 1), result.output
    return _outcome(
        server,
        scenario,
        readable=report["allowed"],
        status=report["status"],
        exposed=list(report["readable_headers"]),
        detail="; ".join(report["reasons"]),
    )


def run_check_for(server: OracleServer, scenario: Scenario, engine: Engine) -> Outcome:
    return (run_check_cli if scenario.cli else run_check_engine)(server, scenario, engine)


@pytest.fixture(scope="module")
def server() -> Iterator[OracleServer]:
    with oracle_server() as running:
        for scenario in SCENARIOS:
            running.replies[scenario.sid] = scenario.replies
        yield running


Row = tuple[Scenario, Outcome, Outcome]


def _table(rows: list[Row], browser: str) -> str:
    header = ("scenario", browser, "check", "agree")
    cells = [
        (
            s.sid + (" (cli)" if s.cli else ""),
            seen.cell(),
            check.cell(),
            "yes" if seen == check else "NO",
        )
        for s, seen, check in rows
    ]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(4)]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True))
        for row in [header, *cells]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    agreed = sum(1 for _, seen, check in rows if seen == check)
    lines.append(f"{agreed}/{len(rows)} scenarios agree")
    return "\n".join(line.rstrip() for line in lines)


def _differences(s: Scenario, seen: Outcome, check: Outcome, browser: str) -> str:
    lines = [f"{s.sid}:"]
    for name in ("readable", "status", "preflighted", "exposed", "trace"):
        mine, theirs = getattr(seen, name), getattr(check, name)
        if mine != theirs:
            lines.append(f"  {name}: {browser} {mine!r} vs check {theirs!r}")
    lines.append(f"  {browser} said: {seen.detail or '-'}; check said: {check.detail or '-'}")
    return "\n".join(lines)


def assert_agree(rows: list[Row], engine: Engine, version: str) -> None:
    """Browser and check agree on every row, and the browser still does what is pinned."""
    browser = ENGINE_NAMES[engine]
    table = _table(rows, browser)
    print(f"\n{browser} {version} vs `devserve check --browser {engine}`:\n{table}")
    differences = [_differences(*row, browser) for row in rows if row[1] != row[2]]
    assert not differences, table + "\n\n" + "\n".join(differences)
    unexpected = [
        f"{s.sid}: pinned {s.pinned(engine)}, {browser} {seen.cell()} ({seen.detail or '-'})"
        for s, seen, _ in rows
        if ("read" if seen.readable else "blocked") != s.pinned(engine)
    ]
    assert not unexpected, f"{browser} {version} changed its mind:\n" + "\n".join(unexpected)


def test_scenarios_cover_the_issue() -> None:
    sids = [s.sid for s in SCENARIOS]
    assert len(sids) >= 40
    assert len(set(sids)) == len(sids), "each scenario needs its own URL (preflight cache)"
    assert any(s.source == "null" for s in SCENARIOS)
    assert any(s.credentials for s in SCENARIOS)
    assert any("1" in s.replies for s in SCENARIOS)  # a redirect
    assert any(s.probes for s in SCENARIOS)
    assert any(s.cli for s in SCENARIOS)


def test_chromium_and_check_agree(context: BrowserContext, server: OracleServer) -> None:
    page = open_page(context, server.origins["page"] + "/")
    page.set_content('<iframe sandbox="allow-scripts" srcdoc="<p>sandboxed</p>"></iframe>')
    frame = page.locator("iframe").element_handle().content_frame()
    assert frame is not None and frame.evaluate("self.origin") == "null"
    where: dict[str, Page | Frame] = {"page": page, "null": frame}
    rows = []
    for scenario in SCENARIOS:
        chromium = run_in_chromium(server, scenario, where)
        rows.append((scenario, chromium, run_check_for(server, scenario, "chromium")))
    assert_agree(rows, "chromium", context.browser.version if context.browser else "?")


def test_firefox_and_check_agree(server: OracleServer) -> None:
    version, outcomes = run_in_firefox(server)
    rows = [
        (scenario, firefox, run_check_for(server, scenario, "firefox"))
        for scenario, firefox in zip(SCENARIOS, outcomes, strict=True)
    ]
    assert_agree(rows, "firefox", version)
