"""Server-side verdicts (README, "Why was it blocked?"): every cross-origin response carries
devserve's verdict, and is logged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from devserve.records import RequestRecord
from devserve.serving.origin import build_origin
from tests.support.configs import build_config

from .helpers import OTHER, PAGE, TABLE, Served, make_site

HEADER = "x-devserve-cors"
Serve = Callable[[Any], Served]


def test_cors_off_says_so_and_names_the_switch(serve: Serve) -> None:
    value = serve("off").send("GET", "/data", origin=PAGE).headers[HEADER]
    assert value.startswith("blocked; reason=\"CORS is off for origin 'api'")
    assert "devserve cors api on" in value


def test_on_is_allowed_with_and_without_credentials(serve: Serve) -> None:
    assert serve("on").send("GET", "/data", origin=PAGE).headers[HEADER] == "allowed"


def test_star_depends_on_credentials_and_says_both(serve: Serve) -> None:
    value = serve("*").send("GET", "/data", origin=PAGE).headers[HEADER]
    assert value.startswith("allowed; note=")
    assert "blocked with credentials" in value
    assert "Access-Control-Allow-Origin is '*'" in value


def test_a_cookie_means_credentials_so_one_outcome(serve: Serve) -> None:
    response = serve("*").send("GET", "/data", origin=PAGE, headers={"Cookie": "a=1"})
    assert response.headers[HEADER].startswith("blocked; reason=")


def test_origin_not_in_the_allow_list(serve: Serve) -> None:
    value = serve(TABLE).send("GET", "/data", origin=OTHER).headers[HEADER]
    assert value.startswith(f"blocked; reason=\"origin '{OTHER}' is not allowed by origin 'api'")
    assert "allow_origins" in value


def test_refused_preflight_names_the_config_key(serve: Serve) -> None:
    response = serve(TABLE).preflight(request_headers="x-other")
    assert response.status_code == 403
    value = response.headers[HEADER]
    assert "refused the preflight" in value
    assert "header 'x-other' is not in allow_headers" in value


def test_allowed_preflight(serve: Serve) -> None:
    assert serve(TABLE).preflight(request_headers="x-token").headers[HEADER] == "allowed"


def test_authorization_under_star_names_the_engine_that_differs(serve: Serve) -> None:
    # The standard (devserve's default judge) blocks it; Chromium lets it through.
    value = serve("*").preflight(request_headers="authorization").headers[HEADER]
    assert value.startswith("blocked; reason=")
    assert "Authorization" in value or "authorization" in value
    assert "Chromium" in value


def test_errors_get_a_verdict_too(serve: Serve) -> None:
    for path in ("/missing.txt", "/boom"):
        assert serve("on").send("GET", path, origin=PAGE).headers[HEADER] == "allowed"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no Origin: not a CORS request
        {"Origin": "http://127.0.0.1:8001"},  # the origin itself
        {"Origin": PAGE, "Sec-Fetch-Mode": "navigate"},  # a form post: no CORS check
        {"Origin": PAGE, "Sec-Fetch-Mode": "no-cors"},  # an <img>: opaque, never read
    ],
)
def test_nothing_to_judge(serve: Serve, headers: dict[str, str]) -> None:
    assert HEADER not in serve("off").send("GET", "/data", headers=headers).headers


def test_runtime_switch_changes_the_next_verdict(serve: Serve) -> None:
    served = serve("on")
    served.switch.enabled = False
    assert served.send("GET", "/data", origin=PAGE).headers[HEADER].startswith("blocked")
    served.switch.enabled = True
    assert served.send("GET", "/data", origin=PAGE).headers[HEADER] == "allowed"


def test_the_log_line_and_the_record_carry_the_verdict(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_site(tmp_path)
    api = {"port": 8001, "cors": "off", "routes": [{"path": "/d", "body": "x"}]}
    config = build_config(tmp_path, {"api": api})
    records: list[RequestRecord] = []
    origin = build_origin("api", config.origins["api"], config.devserve, observer=records.append)
    client = TestClient(origin.app, base_url="http://127.0.0.1:8001")
    with caplog.at_level(logging.INFO, logger="devserve.requests"):
        client.get("/d", headers={"Origin": PAGE})
        client.get("/d")
    blocked, plain = records
    assert blocked.cors is not None and blocked.cors.verdict == "blocked"
    assert blocked.as_json()["cors"]["reason"].startswith("CORS is off for origin 'api'")
    assert plain.cors is None
    lines = [r.getMessage() for r in caplog.records if r.name == "devserve.requests"]
    assert f"from {PAGE}  blocked: CORS is off for origin 'api'" in lines[0]
    assert "blocked" not in lines[1] and "from" not in lines[1]


def test_null_origin_under_on_points_to_a_table(serve: Serve) -> None:
    value = serve("on").send("GET", "/data", origin="null").headers[HEADER]
    assert "origin 'null' is not allowed by origin 'api'" in value
    assert "allow_origins in a cors table for it" in value


def test_set_cookie_verdicts_ride_along_in_the_header_and_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_site(tmp_path)
    routes = [
        {"path": "/login", "body": "x", "headers": {"Set-Cookie": "session=1; Path=/"}},
        {"path": "/ok", "body": "x", "headers": {"Set-Cookie": "sid=1; SameSite=None; Secure"}},
    ]
    api = {"port": 8001, "cors": "on", "routes": routes}
    config = build_config(tmp_path, {"api": api})
    records: list[RequestRecord] = []
    origin = build_origin("api", config.origins["api"], config.devserve, observer=records.append)
    client = TestClient(origin.app, base_url="http://127.0.0.1:8001")
    with caplog.at_level(logging.INFO, logger="devserve.requests"):
        cross = client.get("/login", headers={"Origin": PAGE})  # localhost page, 127.0.0.1 API
        same = client.get("/ok", headers={"Origin": "http://127.0.0.1:8000"})
    value = cross.headers[HEADER]
    assert value.startswith('allowed; cookies="session dropped: no SameSite attribute, so Chromium')
    assert "open the page from the API's host, e.g. http://127.0.0.1:8000" in value
    assert same.headers[HEADER] == 'allowed; cookies="sid kept"'
    lost, kept = (record.as_json()["cors"] for record in records)
    assert lost["cookies"] == lost["cookies_lost"] and len(lost["cookies"]) == 1
    assert kept["cookies"] == ["sid kept"] and kept["cookies_lost"] == []
    line = next(r.getMessage() for r in caplog.records if r.name == "devserve.requests")
    assert "allowed  cookies: session dropped: no SameSite attribute" in line


def test_the_verdict_header_is_sent_once_per_response_even_when_the_app_sent_one(
    tmp_path: Path,
) -> None:
    """Verdicts are cached and presented once per shape: repeats get one header each, the
    same value, and an X-Devserve-Cors from the app (another devserve behind a proxy, say)
    is replaced, not doubled."""
    route = {"path": "/x", "json": {"a": 1}, "headers": {"X-Devserve-Cors": "from upstream"}}
    config = build_config(tmp_path, {"api": {"port": 8001, "cors": "on", "routes": [route]}})
    app = build_origin("api", config.origins["api"], config.devserve).app
    client = TestClient(app, base_url="http://127.0.0.1:8001")
    values = [client.get("/x", headers={"Origin": PAGE}).headers.get_list(HEADER) for _ in range(3)]
    assert values == [["allowed"]] * 3
    blocked = client.get("/x", headers={"Origin": "https://evil.example"}).headers
    assert len(blocked.get_list(HEADER)) == 1 and blocked[HEADER].startswith("blocked;")


def test_the_log_says_blocked_with_credentials_once_per_page(tmp_path: Path) -> None:
    make_site(tmp_path)
    table = {"allow_origins": [PAGE, OTHER]}  # no credentials allowed
    api = {"port": 8001, "cors": table, "routes": [{"path": "/d", "body": "x"}]}
    config = build_config(tmp_path, {"api": api})
    records: list[RequestRecord] = []
    origin = build_origin("api", config.origins["api"], config.devserve, observer=records.append)
    client = TestClient(origin.app, base_url="http://127.0.0.1:8001")
    headers = [client.get("/d", headers={"Origin": page}).headers[HEADER] for page in
               (PAGE, PAGE, OTHER)]  # fmt: skip
    notes = [record.cors.note if record.cors else None for record in records]
    said = "blocked with credentials"
    assert said in (notes[0] or "") and notes[1] is None and said in (notes[2] or "")
    assert all(said in header for header in headers)  # each response still says it
