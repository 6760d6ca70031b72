"""`devserve check` options that change what is sent: --preflight-only, --mode no-cors, header
values fetch() accepts or refuses, and redirects with odd Location headers (a raw server: a
blank Location is not something h11 lets a server send)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from devserve.cli import app
from tests.support.badservers import serve_forever
from tests.support.oracle_server import OracleServer, Reply, oracle_server

runner = CliRunner()
ALLOW_PAGE = ("Access-Control-Allow-Origin", "{page}")


@pytest.fixture(scope="module")
def server() -> Iterator[OracleServer]:
    with oracle_server() as state:
        yield state


def check_json(url: str, origin: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["check", url, "--origin", origin, "--json", *args])
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, data


def test_preflight_only_sends_the_preflight_and_never_the_post(server: OracleServer) -> None:
    preflight = Reply(
        204, (ALLOW_PAGE, ("Access-Control-Allow-Headers", "content-type")), body=""
    )
    server.replies["po"] = {"0": Reply(201, (ALLOW_PAGE,)), "preflight": preflight}
    code, data = check_json(
        server.url("api", "po"),
        server.origins["page"],
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        "{}",
        "--preflight-only",
    )
    assert code == 0 and data["preflight_only"] is True
    assert [entry.method for entry in server.take_log("po")] == ["OPTIONS"]
    assert "the request itself was not sent" in " ".join(data["notes"])


def test_preflight_only_sends_nothing_for_a_simple_request(server: OracleServer) -> None:
    server.replies["po-simple"] = {"0": Reply(201, (ALLOW_PAGE,))}
    code, data = check_json(
        server.url("api", "po-simple"), server.origins["page"], "-d", "x", "--preflight-only"
    )
    assert code == 0 and data["steps"] == [] and data["status"] is None
    assert server.take_log("po-simple") == []


def test_the_help_says_that_data_is_really_sent() -> None:
    result = runner.invoke(app, ["check", "--help"])
    assert "really sent" in result.stdout and "--preflight-only" in result.stdout


def test_no_cors_is_opaque_whatever_the_server_allows(server: OracleServer) -> None:
    server.replies["opaque"] = {"0": Reply(200, (ALLOW_PAGE,))}
    code, data = check_json(
        server.url("api", "opaque"),
        server.origins["page"],
        "--mode",
        "no-cors",
        "-H",
        "X-Custom: 1",
    )
    assert code == 1 and data["mode"] == "no-cors"
    assert "opaque response" in data["reasons"][0]
    [logged] = server.take_log("opaque")
    assert logged.origin is None and "x-custom" not in logged.header_names
    assert any("X-Custom is not CORS-safelisted" in note for note in data["notes"])


def test_no_cors_refuses_an_unsafelisted_method() -> None:
    args = ["--origin", "http://a", "-X", "PUT", "--mode", "no-cors"]
    result = runner.invoke(app, ["check", "http://127.0.0.1:9/", *args])
    assert result.exit_code == 2
    assert "mode 'no-cors' allows only GET, HEAD and POST" in result.stderr


def test_latin1_header_values_are_sent_as_bytes_and_wider_ones_refused(
    server: OracleServer,
) -> None:
    server.replies["latin1"] = {
        "0": Reply(200, (ALLOW_PAGE,)),
        "preflight": Reply(
            204, (ALLOW_PAGE, ("Access-Control-Allow-Headers", "x-name")), body=""
        ),
    }
    code, _ = check_json(server.url("api", "latin1"), server.origins["page"], "-H", "X-Name: café")
    assert code == 0
    assert [entry.method for entry in server.take_log("latin1")] == ["OPTIONS", "GET"]
    wide = runner.invoke(
        app, ["check", server.url("api", "latin1"), "--origin", "http://a", "-H", "X-Name: ☃"]
    )
    assert wide.exit_code == 2 and "characters up to U+00FF" in wide.stderr


def test_a_forbidden_method_override_is_dropped_not_preflighted(server: OracleServer) -> None:
    server.replies["override"] = {"0": Reply(200, (ALLOW_PAGE,))}
    code, data = check_json(
        server.url("api", "override"),
        server.origins["page"],
        "-H",
        "X-HTTP-Method-Override: GET, trace",
    )
    assert code == 0 and data["simple"] is True
    [logged] = server.take_log("override")
    assert "x-http-method-override" not in logged.header_names


def _redirect_with(location_lines: bytes) -> Iterator[str]:
    def answer(connection: socket.socket) -> None:
        connection.sendall(
            b"HTTP/1.1 302 Found\r\nAccess-Control-Allow-Origin: *\r\n"
            + location_lines
            + b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )

    port, stop = serve_forever(answer)
    try:
        yield f"http://127.0.0.1:{port}/start"
    finally:
        stop()


@pytest.mark.parametrize(
    "location", [b"Location: \r\n", b"Location:    \r\n"], ids=["empty", "blank"]
)
def test_an_empty_location_stops_chromium_and_loops_firefox(location: bytes) -> None:
    for url in _redirect_with(location):
        code, chromium = check_json(url, "http://localhost:8000", "--browser", "chromium")
        assert code == 0 and chromium["status"] == 302 and len(chromium["steps"]) == 1
        notes = chromium["engine_notes"]
        assert any("Firefox and the Fetch standard follow it" in note for note in notes)
        code, firefox = check_json(url, "http://localhost:8000", "--browser", "firefox")
        assert code == 1 and "more than 20 redirects" in firefox["reasons"][0]
        assert any("Chromium stops here" in n for n in firefox["engine_notes"])


def test_two_different_locations_are_a_network_error() -> None:
    lines = b"Location: /a\r\nLocation: /b\r\n"
    for url in _redirect_with(lines):
        code, data = check_json(url, "http://localhost:8000")
        assert code == 1 and len(data["steps"]) == 1
        assert "2 different Location headers ('/a', '/b')" in data["reasons"][0]
