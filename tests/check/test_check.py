"""`devserve check` end to end: the CLI against real HTTP origins on loopback.

The origins come from tests/browser/oracle_server.py: each test registers a scenario (the
exact status and headers every step answers with) and reads the server's request log to see
what `check` really sent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from devserve.cli import app
from tests.support.configs import config_toml
from tests.support.oracle_server import OracleServer, Reply, oracle_server
from tests.support.process import StartDevserve, free_port

runner = CliRunner()

ALLOW_PAGE = ("Access-Control-Allow-Origin", "{page}")
ALLOW_ANY = ("Access-Control-Allow-Origin", "*")


@pytest.fixture(scope="module")
def server() -> Iterator[OracleServer]:
    with oracle_server() as state:
        yield state


def check(server: OracleServer, scenario: str, *args: str, origin: str = "page") -> Result:
    """Run `devserve check` on ``scenario``'s first step at the ``api`` origin."""
    url = server.url("api", scenario)
    return runner.invoke(app, ["check", url, "--origin", server.origins[origin], *args])


def check_json(server: OracleServer, scenario: str, *args: str) -> dict[str, Any]:
    result = check(server, scenario, "--json", *args)
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_readable_simple_get_exits_0(server: OracleServer) -> None:
    server.replies["simple"] = {"0": Reply(200, (ALLOW_PAGE, ("Content-Type", "text/plain")))}
    result = check(server, "simple")
    assert result.exit_code == 0, result.output
    assert "Simple request: no preflight" in result.stdout
    assert "ALLOWED: the page can read the response (status 200)." in result.stdout
    assert "Readable response headers: content-length, content-type" in result.stdout
    [logged] = server.take_log("simple")
    assert logged.method == "GET" and logged.origin == server.origins["page"]


def test_missing_allow_origin_exits_1_with_the_reason(server: OracleServer) -> None:
    server.replies["blocked"] = {"0": Reply(200, (("X-Other", "1"),))}
    result = check(server, "blocked")
    assert result.exit_code == 1, result.output
    assert 'BLOCKED: the page gets only "TypeError: Failed to fetch".' in result.stdout
    page = server.origins["page"]
    assert (
        f"the response has no Access-Control-Allow-Origin header: "
        f"send Access-Control-Allow-Origin: {page}" in result.stdout
    )


def test_json_post_shows_the_preflight_step(server: OracleServer) -> None:
    server.replies["post"] = {
        "preflight": Reply(204, (ALLOW_PAGE, ("Access-Control-Allow-Headers", "Content-Type"))),
        "0": Reply(201, (ALLOW_PAGE,)),
    }
    result = check(server, "post", "-H", "Content-Type: application/json", "-d", '{"a": 1}')
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Needs a preflight:" in out
    assert "Content-Type 'application/json' is not application/x-www-form-urlencoded" in out
    assert f"preflight: OPTIONS {server.url('api', 'post')}" in out
    assert "  > Access-Control-Request-Method: POST" in out
    assert "  > Access-Control-Request-Headers: content-type" in out
    assert "  < access-control-allow-headers: Content-Type" in out
    assert out.index("preflight: OPTIONS") < out.index("request: POST")
    assert "(status 201)" in out
    preflight, request = server.take_log("post")
    assert preflight.preflight and preflight.request_method == "POST"
    assert preflight.request_headers == "content-type"
    assert request.method == "POST" and not request.preflight


def test_failed_preflight_stops_before_the_request(server: OracleServer) -> None:
    server.replies["nopre"] = {"preflight": Reply(404), "0": Reply(200, (ALLOW_PAGE,))}
    result = check(server, "nopre", "-X", "DELETE")
    assert result.exit_code == 1, result.output
    assert "the preflight was answered 404: a preflight needs a 2xx status" in result.stdout
    assert [entry.method for entry in server.take_log("nopre")] == ["OPTIONS"]


def test_lowercase_patch_is_sent_as_written_and_matched_case_sensitively(
    server: OracleServer,
) -> None:
    server.replies["patch"] = {
        "preflight": Reply(204, (ALLOW_PAGE, ("Access-Control-Allow-Methods", "PATCH"))),
        "0": Reply(200, (ALLOW_PAGE,)),
    }
    blocked = check(server, "patch", "-X", "patch")
    assert blocked.exit_code == 1, blocked.output
    assert "methods match case-sensitively, list 'patch' exactly" in blocked.stdout
    [logged] = server.take_log("patch")
    assert logged.request_method == "patch"
    allowed = check(server, "patch", "-X", "PATCH")
    assert allowed.exit_code == 0, allowed.output
    assert [entry.method for entry in server.take_log("patch")] == ["OPTIONS", "PATCH"]


def test_credentials_with_star_is_blocked(server: OracleServer) -> None:
    server.replies["star"] = {"0": Reply(200, (ALLOW_ANY,))}
    assert check(server, "star").exit_code == 0
    result = check(server, "star", "--credentials")
    assert result.exit_code == 1, result.output
    assert "credentials: 'include'" in result.stdout
    assert "Access-Control-Allow-Origin is '*' but the request sends credentials" in result.stdout


def test_authorization_under_star_browsers_allow_standard_blocks(server: OracleServer) -> None:
    server.replies["auth"] = {
        "preflight": Reply(204, (ALLOW_PAGE, ("Access-Control-Allow-Headers", "*"))),
        "0": Reply(200, (ALLOW_PAGE,)),
    }
    header = ["-H", "Authorization: Bearer t"]
    for browser in ("chromium", "firefox"):
        result = check(server, "auth", *header, "--browser", browser)
        assert result.exit_code == 0, result.output
        assert "Note: The Fetch standard would block this" in result.stdout
    standard = check(server, "auth", *header, "--browser", "standard")
    assert standard.exit_code == 1, standard.output
    assert "header 'authorization' is not covered by Access-Control-Allow-Headers: *" in (
        standard.stdout
    )
    assert "allowed today in Chromium and Firefox, against the standard" in standard.stdout
    assert "Note: Chromium and Firefox would allow this" in standard.stdout
    default = check(server, "auth", *header)
    assert default.exit_code == 1 and "browser: the Fetch standard" in default.stdout


def test_redirect_across_origins_sends_origin_null(server: OracleServer) -> None:
    server.replies["hop"] = {"0": Reply(302, (ALLOW_ANY, ("Location", "{other}/s/hop/1")))}
    server.replies["hop"]["1"] = Reply(200, (ALLOW_ANY,))
    result = check(server, "hop")
    assert result.exit_code == 0, result.output
    assert f"request: GET {server.url('other', 'hop', '1')}" in result.stdout
    assert "  > Origin: null" in result.stdout
    first, second = server.take_log("hop")
    assert first.origin == server.origins["page"] and first.origin_name == "api"
    assert second.origin == "null" and second.origin_name == "other"


def test_redirect_target_that_names_the_page_is_blocked(server: OracleServer) -> None:
    server.replies["hop2"] = {"0": Reply(307, (ALLOW_ANY, ("Location", "{other}/s/hop2/1")))}
    server.replies["hop2"]["1"] = Reply(200, (ALLOW_PAGE,))
    data = check_json(server, "hop2")
    assert data["allowed"] is False
    assert [step["status"] for step in data["steps"]] == [307, 200]
    assert data["steps"][1]["request_headers"]["origin"] == "null"
    assert "does not match the origin 'null'" in data["reasons"][0]


def test_redirect_without_cors_on_the_hop_is_blocked(server: OracleServer) -> None:
    server.replies["hop3"] = {"0": Reply(302, (("Location", "/s/hop3/1"),))}
    result = check(server, "hop3")
    assert result.exit_code == 1, result.output
    assert len(server.take_log("hop3")) == 1  # the browser stops at the redirect


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("ftp://example.test/x", "which is not a valid http(s) URL: fix its Location header"),
        ("http://[::1/x", "which is not a valid http(s) URL: fix its Location header"),
        ("http://u:p@{other}/x", "a URL with credentials in it: drop the user:password@"),
    ],
)
def test_redirect_to_a_url_the_browser_refuses_is_blocked(
    server: OracleServer, location: str, reason: str
) -> None:
    location = location.replace("http://u:p@{other}", "http://u:p@" + server.origins["other"][7:])
    server.replies["badhop"] = {"0": Reply(302, (ALLOW_ANY, ("Location", location)))}
    result = check(server, "badhop")
    assert result.exit_code == 1, result.output
    assert reason in result.stdout
    assert len(server.take_log("badhop")) == 1


STABLE_KEYS = {
    "url", "origin", "method", "credentials", "browser", "simple", "preflight_reasons",
    "preflight", "steps", "allowed", "status", "reasons", "engine_notes", "notes",
    "readable_headers", "cookies", "local_network", "credentials_mode", "mode", "preflight_only",
}  # fmt: skip
STEP_KEYS = {
    "kind", "method", "url", "status", "request_headers", "response_headers", "verdict",
}  # fmt: skip


def test_json_output_has_the_documented_keys(server: OracleServer) -> None:
    server.replies["json"] = {
        "preflight": Reply(204, (ALLOW_PAGE, ("Access-Control-Allow-Methods", "PUT"))),
        "0": Reply(200, (ALLOW_PAGE, ("Access-Control-Expose-Headers", "X-Id"), ("X-Id", "7"))),
    }
    data = check_json(server, "json", "-X", "put", "--browser", "firefox")
    assert set(data) == STABLE_KEYS
    assert data["url"] == server.url("api", "json")
    assert data["origin"] == server.origins["page"]
    assert data["method"] == "PUT" and data["browser"] == "firefox"
    assert data["credentials"] is False and data["simple"] is False
    assert data["preflight_reasons"] == ["method 'PUT' is not GET, HEAD or POST"]
    assert data["preflight"]["status"] == 204
    assert data["preflight"]["verdict"] == {"allowed": True, "reasons": []}
    assert [step["kind"] for step in data["steps"]] == ["preflight", "request"]
    assert all(set(step) == STEP_KEYS for step in data["steps"])
    assert data["steps"][0]["request_headers"]["access-control-request-method"] == "PUT"
    assert data["allowed"] is True and data["status"] == 200
    assert data["reasons"] == [] and data["engine_notes"] == []
    assert data["readable_headers"]["x-id"] == "7"
    assert data["cookies"] == []


def test_json_output_when_blocked(server: OracleServer) -> None:
    server.replies["jsonb"] = {"0": Reply(200)}
    result = check(server, "jsonb", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["allowed"] is False and data["status"] is None
    assert data["preflight"] is None and data["readable_headers"] == {}
    assert data["steps"][0]["verdict"]["allowed"] is False


def test_same_origin_request_has_no_cors_check(server: OracleServer) -> None:
    server.replies["same"] = {"0": Reply(200)}
    result = check(server, "same", "-H", "X-Token: 1", origin="api")
    assert result.exit_code == 0, result.output
    assert "same origin: no CORS check" in result.stdout
    assert "Needs a preflight" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--origin", "ftp://x"], "--origin 'ftp://x' is not an origin"),
        (["--origin", "http://a", "--browser", "safari"], "'safari' is not one of"),
        ([], "Missing option '--origin'"),
        (["--origin", "http://a", "-H", "no colon"], "is not a header: write it as 'Name: value'"),
        (["--origin", "http://a", "-H", "Origin: x"], "use --origin"),
        (["--origin", "http://a", "-X", "GET", "-d", "x"], "cannot have a body"),
        (["--origin", "http://a", "-X", "TRACE"], "fetch() refuses it"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["check", "http://127.0.0.1:9/x", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())  # the usage box wraps lines
    assert result.stdout == ""


def test_not_a_url_exits_2() -> None:
    result = runner.invoke(app, ["check", "localhost:8000/x", "--origin", "http://a"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: 'localhost:8000/x' is not an http(s) URL")


def test_refused_connection_exits_2_with_one_line_and_no_traceback() -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    done = subprocess.run(
        [sys.executable, "-m", "devserve", "check", url, "--origin", "http://localhost:8000"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: GET {url} failed:")
    assert "Is the server running" in line


def test_against_devserve_both_judges_are_shown(start_devserve: StartDevserve) -> None:
    # devserve's own server-side verdict (X-Devserve-Cors) appears beside check's.
    port = free_port()
    start_devserve(
        config_toml(
            {
                "api": {
                    "port": port,
                    "cors": "off",
                    "routes": [{"path": "/d", "json": {"ok": True}}],
                }
            },
            {"dashboard_port": False},
        ),
        ports=[port],
    )
    url = f"http://127.0.0.1:{port}/d"
    result = runner.invoke(app, ["check", url, "--origin", "http://localhost:3000", "--json"])
    assert result.exit_code == 1, result.output
    (step,) = json.loads(result.output)["steps"]
    assert step["response_headers"]["x-devserve-cors"].startswith(
        "blocked; reason=\"CORS is off for origin 'api'"
    )
