"""The CORS rules README "CORS modes" promises whatever the mode, each checked in every mode
where it applies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devserve.cors.guard import SAFE_METHODS

from .helpers import ENABLED, KINDS, OTHER, PAGE, TABLE, Mode, Served, cors_headers, names, single

Serve = Callable[[Any], Served]
modes = pytest.mark.parametrize("mode", ENABLED, ids=lambda mode: mode.id)
kinds = pytest.mark.parametrize("kind", list(KINDS))
PREFLIGHT_VARY = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]


# Rule 1: no Origin, no CORS headers, and the response is what CORS "off" gives.


@modes
@kinds
def test_rule1_no_origin_gets_no_cors_headers_and_same_response(
    serve: Serve, mode: Mode, kind: str
) -> None:
    baseline = serve("off").fetch(kind)
    response = serve(mode.cors).fetch(kind)
    assert response.status_code == baseline.status_code == KINDS[kind][2]
    assert response.content == baseline.content
    assert cors_headers(response) == {}


@modes
def test_rule1_options_with_request_method_but_no_origin_is_not_a_preflight(
    serve: Serve, mode: Mode
) -> None:
    headers = {"Access-Control-Request-Method": "PUT"}
    response = serve(mode.cors).send("OPTIONS", "/data", headers=headers)
    baseline = serve("off").send("OPTIONS", "/data", headers=headers)
    assert response.status_code == baseline.status_code == 405
    assert response.content == baseline.content
    assert cors_headers(response) == {}


# Rule 2: ACAO is the Origin itself, once; "*" only where the policy is a wildcard.


@modes
@kinds
def test_rule2_allowed_origin_gets_exactly_one_allow_origin(
    serve: Serve, mode: Mode, kind: str
) -> None:
    response = serve(mode.cors).fetch(kind, origin=PAGE)
    assert response.headers.get_list("access-control-allow-origin") == [mode.acao(PAGE)]


@pytest.mark.parametrize(
    "origin", ["http://App.LocalHost:8080", "https://[::1]:3000", "http://xn--bcher-kva.localhost"]
)
def test_rule2_on_mode_echoes_origin_byte_for_byte(serve: Serve, origin: str) -> None:
    response = serve("on").send("GET", "/data", origin=origin)
    assert response.headers.get_list("access-control-allow-origin") == [origin]


@modes
def test_rule2_route_headers_cannot_add_a_second_allow_origin(serve: Serve, mode: Mode) -> None:
    response = serve(mode.cors).send("GET", "/spoof", origin=PAGE)
    assert response.headers.get_list("access-control-allow-origin") == [mode.acao(PAGE)]
    assert response.text == "spoof"


@pytest.mark.parametrize("mode", [m for m in ENABLED if not m.wildcard], ids=lambda m: m.id)
def test_rule2_star_only_in_wildcard_modes(serve: Serve, mode: Mode) -> None:
    served = serve(mode.cors)
    assert single(served.send("GET", "/data", origin=PAGE), "access-control-allow-origin") == PAGE
    assert single(served.preflight(method="GET"), "access-control-allow-origin") == PAGE


@pytest.mark.parametrize(
    "origin",
    [
        "http://LOCALHOST:8000",  # hosts compare byte for byte, as browsers send them lower case
        "http://localhost:8000/",
        "http://localhost",
        "http://localhost:80001",
        "https://localhost:8000",
        "http://localhost:8000.evil.example",
    ],
)
def test_rule2_table_origin_match_is_exact(serve: Serve, origin: str) -> None:
    response = serve(TABLE).send("GET", "/data", origin=origin)
    assert cors_headers(response) == {}


# Rule 3: ACAC is "true", and only when the policy allows credentials.


@modes
@kinds
def test_rule3_allow_credentials_only_true_and_only_with_credentials(
    serve: Serve, mode: Mode, kind: str
) -> None:
    response = serve(mode.cors).fetch(kind, origin=PAGE, headers={"Cookie": "session=1"})
    expected = ["true"] if mode.credentials else []
    assert response.headers.get_list("access-control-allow-credentials") == expected


@modes
def test_rule3_preflight_allow_credentials(serve: Serve, mode: Mode) -> None:
    response = serve(mode.cors).preflight(method="GET", extra={"Cookie": "session=1"})
    assert response.status_code == 204
    expected = ["true"] if mode.credentials else []
    assert response.headers.get_list("access-control-allow-credentials") == expected


def test_rule3_table_without_credentials_sends_no_allow_credentials(serve: Serve) -> None:
    served = serve({**TABLE, "allow_credentials": False})
    response = served.send("GET", "/data", origin=PAGE, headers={"Cookie": "a=1"})
    assert single(response, "access-control-allow-origin") == PAGE
    assert "access-control-allow-credentials" not in response.headers
    preflight = served.preflight()
    assert preflight.status_code == 204
    assert "access-control-allow-credentials" not in preflight.headers


# Rule 4: a denied origin gets the same status and body, without ACAO/ACAC. Writes are the
# exception: the cross-site guard refuses them (tests/security/test_cross_site_guard.py).


@modes
@kinds
def test_rule4_denied_origin_gets_no_cors_headers_and_same_response(
    serve: Serve, mode: Mode, kind: str
) -> None:
    served = serve(mode.cors)
    baseline = served.fetch(kind)
    response = served.fetch(kind, origin=mode.denied)
    assert cors_headers(response) == {}
    if KINDS[kind][0] not in SAFE_METHODS:
        assert response.status_code == 403
        assert response.json()["error"] == "cross-site request refused"
        return
    assert response.status_code == baseline.status_code == KINDS[kind][2]
    assert response.content == baseline.content


@modes
def test_rule4_denied_origin_does_not_get_route_declared_cors_headers(
    serve: Serve, mode: Mode
) -> None:
    response = serve(mode.cors).send("GET", "/spoof", origin=mode.denied)
    assert response.status_code == 200
    assert response.text == "spoof"
    assert cors_headers(response) == {}


def test_rule4_two_origin_headers_are_not_allowed(serve: Serve) -> None:
    served = serve("on")
    response = served.client.get("/data", headers=[("Origin", PAGE), ("Origin", OTHER)])
    assert response.status_code == 200
    assert cors_headers(response) == {}


# Rule 5: "null" is denied unless listed.


@pytest.mark.parametrize(
    "cors",
    [
        "on",
        True,
        "*",
        TABLE,
        {"allow_origins": ["*"]},
        {"allow_origin_regex": ".*"},
        {"allow_origins": [PAGE], "allow_origin_regex": "(null|http://.*)"},
    ],
    ids=["on", "true", "star", "table", "table-any", "regex-any", "regex-null"],
)
def test_rule5_null_origin_is_denied_unless_listed(serve: Serve, cors: Any) -> None:
    served = serve(cors)
    response = served.send("GET", "/data", origin="null")
    assert response.status_code == 200
    assert cors_headers(response) == {}
    preflight = served.preflight(origin="null", method="GET")
    assert 400 <= preflight.status_code < 500
    assert cors_headers(preflight) == {}


@pytest.mark.parametrize("allow_origins", [["null"], [PAGE, "null"]])
def test_rule5_null_origin_allowed_when_listed(serve: Serve, allow_origins: list[str]) -> None:
    served = serve({"allow_origins": allow_origins})
    response = served.send("GET", "/data", origin="null")
    assert response.headers.get_list("access-control-allow-origin") == ["null"]
    preflight = served.preflight(origin="null", method="POST")
    assert preflight.status_code == 204
    assert preflight.headers.get_list("access-control-allow-origin") == ["null"]


# Rule 6: Vary: Origin on every response of an enabled origin; preflights vary on more.


@modes
@kinds
@pytest.mark.parametrize("who", ["absent", "allowed", "denied"])
def test_rule6_every_response_varies_on_origin(
    serve: Serve, mode: Mode, kind: str, who: str
) -> None:
    origin = {"absent": None, "allowed": PAGE, "denied": mode.denied}[who]
    response = serve(mode.cors).fetch(kind, origin=origin)
    assert response.headers.get_list("vary") == ["Origin"]


@modes
@pytest.mark.parametrize("who", ["absent", "allowed", "denied"])
def test_rule6_vary_merges_with_route_vary(serve: Serve, mode: Mode, who: str) -> None:
    origin = {"absent": None, "allowed": PAGE, "denied": mode.denied}[who]
    response = serve(mode.cors).send("GET", "/varied", origin=origin)
    assert response.headers.get_list("vary") == ["Accept, Origin"]


@modes
def test_rule6_successful_preflight_varies_on_request_method_and_headers(
    serve: Serve, mode: Mode
) -> None:
    response = serve(mode.cors).preflight(method="GET")
    assert response.status_code == 204
    assert names(single(response, "vary")) == PREFLIGHT_VARY


@modes
def test_rule6_failed_preflight_varies_on_request_method_and_headers(
    serve: Serve, mode: Mode
) -> None:
    response = serve(mode.cors).preflight(origin=mode.denied, method="GET")
    assert response.status_code == 403
    assert names(single(response, "vary")) == PREFLIGHT_VARY


# Rule 9: CORS headers on every kind of response (rules 2, 3 and 6 above run over KINDS too).


@modes
@kinds
def test_rule9_cors_headers_on_every_kind_of_response(serve: Serve, mode: Mode, kind: str) -> None:
    response = serve(mode.cors).fetch(kind, origin=PAGE)
    assert response.status_code == KINDS[kind][2]
    assert single(response, "access-control-allow-origin") == mode.acao(PAGE)
    assert single(response, "access-control-allow-credentials") == (
        "true" if mode.credentials else None
    )
    assert single(response, "vary") == "Origin"


@modes
def test_rule9_cors_headers_on_a_crash_500(
    serve: Serve, mode: Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(*args: object) -> None:
        raise RuntimeError("a devserve bug")

    # Simulate a bug in devserve itself: the exception escapes the route, not a template error.
    monkeypatch.setattr("devserve.mocks.routes.respond", crash)
    response = serve(mode.cors).send("GET", "/data", origin=PAGE)
    assert response.status_code == 500
    assert single(response, "access-control-allow-origin") == mode.acao(PAGE)
    assert single(response, "vary") == "Origin"


# Rule 10: switching CORS at runtime changes the next response of that origin only.


def test_rule10_switching_off_and_on_affects_only_that_origin(
    serve_many: Callable[[dict[str, Any]], dict[str, Served]],
) -> None:
    served = serve_many({"a": TABLE, "b": "on"})
    a, b = served["a"], served["b"]
    assert single(a.send("GET", "/data", origin=PAGE), "access-control-allow-origin") == PAGE

    a.switch.enabled = False
    response = a.send("GET", "/data", origin=PAGE)
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert "vary" not in response.headers
    # A preflight now reaches the routes, like any OPTIONS.
    assert a.preflight().status_code == 405
    assert single(b.send("GET", "/data", origin=PAGE), "access-control-allow-origin") == PAGE
    assert b.preflight().status_code == 204

    a.switch.enabled = True
    response = a.send("GET", "/data", origin=PAGE)
    assert single(response, "access-control-allow-origin") == PAGE
    assert a.preflight(method="PUT").status_code == 204
    # The configured table is back, not a permissive policy.
    assert a.preflight(method="DELETE").status_code == 403

    b.switch.enabled = False
    assert cors_headers(b.send("GET", "/data", origin=PAGE)) == {}
    assert single(a.send("GET", "/data", origin=PAGE), "access-control-allow-origin") == PAGE


def test_rule10_switching_on_an_origin_configured_off_uses_the_on_policy(
    serve_many: Callable[[dict[str, Any]], dict[str, Served]],
) -> None:
    served = serve_many({"a": "off", "b": "off"})
    a, b = served["a"], served["b"]
    assert cors_headers(a.send("GET", "/data", origin=PAGE)) == {}

    a.switch.enabled = True
    response = a.send("GET", "/data", origin=PAGE)
    assert single(response, "access-control-allow-origin") == PAGE
    assert single(response, "access-control-allow-credentials") == "true"
    exposed = names(single(response, "access-control-expose-headers"))
    assert [name.lower() for name in exposed] == ["x-custom"]
    assert cors_headers(a.send("GET", "/data", origin=OTHER)) == {}  # `on` echoes local pages only
    preflight = a.preflight(origin=PAGE, method="DELETE")
    assert preflight.status_code == 204
    assert single(preflight, "access-control-allow-methods") == "DELETE"
    assert cors_headers(b.send("GET", "/data", origin=PAGE)) == {}
    assert b.preflight(origin=PAGE).status_code == 405
