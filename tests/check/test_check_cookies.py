"""`devserve check` judges every Set-Cookie: stored? sent back? why not, and the fix."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from devserve.cli import app
from tests.browser.oracle_server import OracleServer, Reply, oracle_server

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
