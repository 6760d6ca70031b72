"""Local Network Access, with the browsers as the oracle, on loopback only.

Three origins on 127.0.0.1 play three address spaces: each browser is told that the ``page``
origin's endpoint is public and the ``api`` origin's is local (a private network), while
``other`` stays loopback — Chromium with ``--ip-address-space-overrides``, Firefox with its
``network.lna.address_space.*.override`` prefs. No traffic leaves loopback. Every page fetches
every other origin (a simple GET and a preflighted PUT, answered with
``Access-Control-Allow-Origin: *``), and `devserve check` judges the same fetch with
``--address-space`` saying the same. Both must agree on readable or not and on the requests the
server saw (a blocked request sends nothing, not even its preflight).

Headless Firefox holds such a request for a permission prompt nobody answers; its timeout is
cut from 5 minutes to 0.1 second so that the unanswered prompt fails the request quickly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pytest
from typer.testing import CliRunner

from devserve.check.simulate import run_check
from devserve.cli import app
from devserve.cors.engines import ENGINE_NAMES, Engine
from devserve.cors.lna import AddressSpace
from tests.browser.firefox import FirefoxFetch, run_in_firefox
from tests.browser.pagefetch import browser_fetch
from tests.support.browsers import CHROMIUM_ARGS, chromium_path
from tests.support.oracle_server import OracleServer, Reply, oracle_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SPACES: dict[str, AddressSpace] = {"page": "public", "api": "local", "other": "loopback"}
STAR = ("Access-Control-Allow-Origin", "*")


@dataclass(frozen=True)
class Scenario:
    source: str  # the page's origin name
    target: str  # the fetched origin's name
    method: Literal["GET", "PUT"]
    expect: Literal["read", "blocked"]  # pinned: Chromium 156 and Firefox 153 ESR alike
    by_name: bool = False  # fetch the target as http://localhost:PORT

    @property
    def sid(self) -> str:
        return f"lna-{self.source}-{self.target}-{self.method.lower()}" + (
            "-name" if self.by_name else ""
        )


def _expect(source: str, target: str) -> Literal["read", "blocked"]:
    gated = SPACES[source] == "public" and SPACES[target] != "public"
    return "blocked" if gated else "read"


SCENARIOS: tuple[Scenario, ...] = (
    *(
        Scenario(source, target, method, _expect(source, target))
        for source in SPACES
        for target in SPACES
        if source != target
        for method in ("GET", "PUT")
    ),
    Scenario("page", "other", "GET", "blocked", by_name=True),  # localhost is loopback too
)


def target_url(server: OracleServer, scenario: Scenario) -> str:
    url = server.url(scenario.target, scenario.sid)
    return url.replace("127.0.0.1", "localhost") if scenario.by_name else url


def endpoint(server: OracleServer, name: str) -> str:
    return server.origins[name].removeprefix("http://")


@pytest.fixture(scope="module")
def server() -> Iterator[OracleServer]:
    with oracle_server() as running:
        for scenario in SCENARIOS:
            running.replies[scenario.sid] = {
                "0": Reply(200, (STAR,)),
                "preflight": Reply(204, (STAR, ("Access-Control-Allow-Methods", "PUT")), body=""),
            }
        yield running


@dataclass(frozen=True)
class Outcome:
    readable: bool
    seen: tuple[str, ...]  # the methods the server saw
    detail: str = ""

    def key(self) -> tuple[bool, tuple[str, ...]]:
        return self.readable, self.seen


def _seen(server: OracleServer, scenario: Scenario, readable: bool, detail: str) -> Outcome:
    log = server.take_log(scenario.sid)
    return Outcome(readable, tuple(entry.method for entry in log), detail)


def run_check_for(server: OracleServer, scenario: Scenario, engine: Engine) -> Outcome:
    overrides = {endpoint(server, name): SPACES[name] for name in ("page", "api")}
    if scenario.sid.endswith("get"):  # every GET through the CLI, every PUT through run_check
        args = ["check", target_url(server, scenario), "--origin", server.origins[scenario.source]]
        args += ["--browser", engine, "--json", "--timeout", "5"]
        for where, space in overrides.items():
            args += ["--address-space", f"{where}={space}"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code in (0, 1), result.output
        data = json.loads(result.stdout)
        return _seen(server, scenario, data["allowed"], "; ".join(data["reasons"]))
    report = run_check(
        target_url(server, scenario),
        origin=server.origins[scenario.source],
        method=scenario.method,
        engine=engine,
        timeout=5,
        address_spaces=overrides,
    )
    return _seen(server, scenario, report.allowed, "; ".join(report.verdict.reasons))


Row = tuple[Scenario, Outcome, Outcome]


def _word(outcome: Outcome) -> str:
    return "read" if outcome.readable else "blocked"


def assert_agree(rows: list[Row], engine: Engine, version: str) -> None:
    browser = ENGINE_NAMES[engine]
    lines = [
        f"{SPACES[s.source]:>8} -> {SPACES[s.target]:<8}{' (name)' if s.by_name else '       '} "
        f"{s.method:<3}  {_word(seen):<7}  {_word(check):<7}  "
        + ("yes" if seen.key() == check.key() else "NO")
        for s, seen, check in rows
    ]
    table = "\n".join([f"{'page -> target':<33}  {browser:<7}  check", *lines])
    print(f"\nLocal Network Access: {browser} {version} vs `devserve check`:\n{table}")
    differences = [
        f"{s.sid}: {browser} {seen.key()} vs check {check.key()} ({check.detail or '-'})"
        for s, seen, check in rows
        if seen.key() != check.key()
    ]
    assert not differences, table + "\n" + "\n".join(differences)
    unexpected = [s.sid for s, seen, _ in rows if _word(seen) != s.expect]
    assert not unexpected, f"{browser} {version} changed its mind on {unexpected}"


def test_chromium_and_check_agree_on_local_network_access(
    browser: Browser, server: OracleServer
) -> None:
    flag = "--ip-address-space-overrides=" + ",".join(
        f"{endpoint(server, name)}={SPACES[name]}" for name in ("page", "api")
    )
    assert browser.browser_type is not None
    overridden = browser.browser_type.launch(
        executable_path=chromium_path(), args=[*CHROMIUM_ARGS, flag], timeout=30_000
    )
    try:
        context = overridden.new_context()
        pages: dict[str, Page] = {}
        rows = []
        for scenario in SCENARIOS:
            if scenario.source not in pages:
                pages[scenario.source] = context.new_page()
                pages[scenario.source].goto(server.origins[scenario.source] + "/")
            result = browser_fetch(
                pages[scenario.source], target_url(server, scenario), method=scenario.method
            )
            seen = _seen(server, scenario, result["readable"], result.get("error", ""))
            rows.append((scenario, seen, run_check_for(server, scenario, "chromium")))
        assert_agree(rows, "chromium", overridden.version)
    finally:
        overridden.close()


def test_firefox_and_check_agree_on_local_network_access(server: OracleServer) -> None:
    prefs = {
        "network.lna.address_space.public.override": endpoint(server, "page"),
        "network.lna.address_space.private.override": endpoint(server, "api"),
        "network.lna.prompt.timeout": 100,
    }
    fetches = [
        FirefoxFetch(
            page=server.origins[scenario.source] + "/",
            url=target_url(server, scenario),
            method=scenario.method,
        )
        for scenario in SCENARIOS
    ]
    run = run_in_firefox(fetches, prefs=prefs)
    rows = []
    for scenario, result in zip(SCENARIOS, run.results, strict=True):
        seen = _seen(server, scenario, result["readable"], result.get("error", ""))
        rows.append((scenario, seen, run_check_for(server, scenario, "firefox")))
    assert_agree(rows, "firefox", run.version)
