"""`devserve check` beyond CORS: every Set-Cookie judged, and Local Network Access."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from devserve.cli import app
from tests.support.oracle_server import OracleServer, Reply, oracle_server

runner = CliRunner()
CREDENTIALED = (
    ("Access-Control-Allow-Origin", "{page}"),
    ("Access-Control-Allow-Credentials", "true"),
)
COOKIE_KEYS = {"name", "stored", "sent", "partition", "reasons", "notes", "engine_notes"}


@pytest.fixture(scope="module")
def server() -> Iterator[OracleServer]:
    with oracle_server() as state:
        yield state


def page_on(server: OracleServer, host: str) -> str:
    return f"http://{host}:{server.origins['page'].rsplit(':', 1)[1]}"


def test_cross_site_lax_cookie_is_dropped_with_the_fix(server: OracleServer) -> None:
    server.replies["lax"] = {"0": Reply(200, (*CREDENTIALED, ("Set-Cookie", "sid=1")))}
    page = server.origins["page"]  # on 127.0.0.1; the API on localhost: another site
    url = server.url("api", "lax").replace("127.0.0.1", "localhost")
    result = runner.invoke(app, ["check", url, "--origin", page, "--credentials"])
    assert result.exit_code == 0, result.output  # CORS passes; the cookie does not stick
    assert "Cookies (Set-Cookie):" in result.stdout
    assert "sid: DROPPED: no SameSite attribute, so Chromium treats it as SameSite=Lax" in (
        result.stdout
    )
    assert f"open the page from the API's host, e.g. {page_on(server, 'localhost')}" in (
        result.stdout
    )
    assert "Note: Firefox would store it (partitioned for http://127.0.0.1) and send it back" in (
        result.stdout
    )


def test_json_lists_each_cookie(server: OracleServer) -> None:
    server.replies["two"] = {
        "0": Reply(
            200,
            (
                *CREDENTIALED,
                ("Set-Cookie", "a=1; Path=/"),
                ("Set-Cookie", "b=2; Path=/elsewhere"),
                ("Set-Cookie", "c=3; SameSite=None"),
            ),
        )
    }
    result = runner.invoke(
        app,
        ["check", server.url("api", "two"), "--origin", server.origins["page"], "--credentials",
         "--json", "--browser", "chromium"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cookies = json.loads(result.stdout)["cookies"]
    assert all(set(cookie) == COOKIE_KEYS for cookie in cookies)
    a, b, c = cookies
    assert (a["name"], a["stored"], a["sent"], a["reasons"]) == ("a", True, True, [])
    assert (b["stored"], b["sent"]) == (True, False)
    assert b["reasons"][0].startswith("Path=/elsewhere does not cover /s/two/0")
    assert (c["stored"], c["sent"]) == (False, False)
    assert c["reasons"] == [
        "SameSite=None without Secure is rejected: add Secure (accepted on http://localhost)"
    ]


def test_without_credentials_set_cookie_is_ignored(server: OracleServer) -> None:
    server.replies["omit"] = {"0": Reply(200, (*CREDENTIALED, ("Set-Cookie", "a=1")))}
    result = runner.invoke(
        app, ["check", server.url("api", "omit"), "--origin", server.origins["page"], "--json"]
    )
    [cookie] = json.loads(result.stdout)["cookies"]
    assert cookie["stored"] is False
    assert "fetch with credentials: 'include'" in cookie["reasons"][0]


# Local Network Access: the page's address is only classified, never contacted.


def test_a_public_page_cannot_reach_loopback_and_nothing_is_sent(server: OracleServer) -> None:
    server.replies["lna"] = {"0": Reply(200, (("Access-Control-Allow-Origin", "*"),))}
    url = server.url("api", "lna")
    result = runner.invoke(app, ["check", url, "--origin", "http://203.0.113.7:8000"])
    assert result.exit_code == 1, result.output
    assert "Nothing sent" in result.stdout
    assert "blocked by Local Network Access: a page on a public address (203.0.113.7)" in (
        result.stdout
    )
    assert server.take_log("lna") == []
    data = json.loads(
        runner.invoke(app, ["check", url, "--origin", "http://203.0.113.7:8000", "--json"]).stdout
    )
    assert data["steps"] == [] and data["status"] is None and data["allowed"] is False
    assert data["local_network"] == {
        "page": "public",
        "target": "loopback",
        "applies": True,
        "allowed": False,
        "reasons": data["reasons"],
    }


def test_a_lan_page_can_reach_loopback(server: OracleServer) -> None:
    server.replies["lan"] = {"0": Reply(200, (("Access-Control-Allow-Origin", "*"),))}
    url = server.url("api", "lan")
    result = runner.invoke(app, ["check", url, "--origin", "http://192.168.1.10:8000", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["local_network"]["page"] == "local" and data["local_network"]["allowed"] is True
    assert len(server.take_log("lan")) == 1


def test_address_space_option_is_checked() -> None:
    result = runner.invoke(
        app, ["check", "http://127.0.0.1:1/", "--origin", "http://x.test", "--address-space", "x"]
    )
    assert result.exit_code == 2
    assert "HOST[:PORT]=public|local|loopback" in result.output
