"""What each ``cors =`` mode of README "CORS modes" sends: off, on, "*" and a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devserve.cors.guard import SAFE_METHODS

from .helpers import ENABLED, KINDS, OTHER, PAGE, TABLE, Mode, Served, cors_headers, names, single

Serve = Callable[[Any], Served]
modes = pytest.mark.parametrize("mode", ENABLED, ids=lambda mode: mode.id)
SAFELISTED = {"cache-control", "content-language", "content-length", "content-type", "expires"}
SAFELISTED |= {"last-modified", "pragma"}


def exposed(response: Any) -> list[str]:
    return [name.lower() for name in names(single(response, "access-control-expose-headers"))]


# off


@pytest.mark.parametrize("cors", ["off", False], ids=["off", "false"])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("origin", [PAGE, OTHER, "null"])
def test_off_sends_no_cors_header(serve: Serve, cors: Any, kind: str, origin: str) -> None:
    response = serve(cors).fetch(kind, origin=origin, headers={"Cookie": "a=1"})
    foreign_write = origin != PAGE and KINDS[kind][0] not in SAFE_METHODS
    assert response.status_code == (403 if foreign_write else KINDS[kind][2])
    assert cors_headers(response) == {}


@pytest.mark.parametrize("cors", ["off", False], ids=["off", "false"])
def test_off_lets_a_preflight_reach_the_routes(serve: Serve, cors: Any) -> None:
    served = serve(cors)
    response = served.preflight("/data", request_headers="X-Token")
    assert response.status_code == 405  # /data only answers GET
    assert cors_headers(response) == {}
    response = served.preflight("/any")
    assert response.status_code == 200
    assert response.text == "any OPTIONS"
    assert cors_headers(response) == {}


# OPTIONS without Access-Control-Request-Method is an ordinary request.


@modes
def test_options_without_request_method_is_not_a_preflight(serve: Serve, mode: Mode) -> None:
    served = serve(mode.cors)
    expected = {"access-control-allow-origin": [mode.acao(PAGE)]}
    if mode.credentials:
        expected["access-control-allow-credentials"] = ["true"]

    response = served.send("OPTIONS", "/any", origin=PAGE)
    assert response.status_code == 200
    assert response.text == "any OPTIONS"
    assert {k: v for k, v in cors_headers(response).items() if "expose" not in k} == expected

    response = served.send("OPTIONS", "/data", origin=PAGE)
    assert response.status_code == 405
    headers = cors_headers(response)
    assert {k: v for k, v in headers.items() if "expose" not in k} == expected
    assert single(response, "vary") == "Origin"


# on


@pytest.mark.parametrize("cors", ["on", True], ids=["on", "true"])
@pytest.mark.parametrize(
    ("method", "request_headers"),
    [("PATCH", "x-token, content-type"), ("DELETE", "authorization"), ("PUT", "X-A, X-B, X-C")],
)
def test_on_preflight_echoes_requested_method_and_headers(
    serve: Serve, cors: Any, method: str, request_headers: str
) -> None:
    response = serve(cors).preflight(method=method, request_headers=request_headers)
    assert response.status_code == 204
    assert single(response, "access-control-allow-origin") == PAGE
    assert single(response, "access-control-allow-credentials") == "true"
    assert single(response, "access-control-allow-methods") == method
    assert names(single(response, "access-control-allow-headers")) == names(request_headers)


@pytest.mark.parametrize(
    "origin", [PAGE, "http://127.0.0.1:9", "https://app.localhost", "http://[::1]:5173"]
)
def test_on_echoes_local_origins_with_credentials(serve: Serve, origin: str) -> None:
    response = serve("on").send("GET", "/data", origin=origin)
    assert single(response, "access-control-allow-origin") == origin
    assert single(response, "access-control-allow-credentials") == "true"


@pytest.mark.parametrize("origin", [OTHER, "https://app.example.com", "null"])
def test_on_denies_foreign_origins(serve: Serve, origin: str) -> None:
    response = serve("on").send("GET", "/data", origin=origin)
    assert response.status_code == 200
    assert cors_headers(response) == {}


def test_on_exposes_every_non_safelisted_header_by_name(serve: Serve) -> None:
    served = serve("on")
    assert exposed(served.send("GET", "/data", origin=PAGE)) == ["x-custom"]

    static = served.send("GET", "/hello.txt", origin=PAGE)
    assert "etag" in exposed(static)
    assert "accept-ranges" in exposed(static)
    not_safelisted = {name for name in static.headers if name.lower() not in SAFELISTED}
    # X-Devserve-Cors is devserve's diagnostic for the network panel, added after the CORS layer.
    not_safelisted -= {"vary", "x-devserve-cors", *cors_headers(static)}
    assert set(exposed(static)) == not_safelisted
    assert not SAFELISTED & set(exposed(static))
    assert "*" not in exposed(static)


def test_on_exposes_nothing_when_every_header_is_safelisted(serve: Serve) -> None:
    response = serve("on").send("GET", "/missing.txt", origin=PAGE)
    assert response.status_code == 404
    assert "access-control-expose-headers" not in response.headers


# "*"


@pytest.mark.parametrize("kind", list(KINDS))
def test_star_allows_any_origin_without_credentials(serve: Serve, kind: str) -> None:
    response = serve("*").fetch(kind, origin=OTHER, headers={"Cookie": "session=1"})
    assert single(response, "access-control-allow-origin") == "*"
    assert "access-control-allow-credentials" not in response.headers


def test_star_preflight_answers_wildcards_and_no_credentials(serve: Serve) -> None:
    response = serve("*").preflight(
        origin=OTHER,
        method="DELETE",
        request_headers="authorization, x-token",
        extra={"Cookie": "session=1"},
    )
    assert response.status_code == 204
    assert cors_headers(response) == {
        "access-control-allow-origin": ["*"],
        "access-control-allow-methods": ["*"],
        "access-control-allow-headers": ["*"],
        "access-control-max-age": ["0"],
    }


# table


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.com", True),
        ("https://api.example.com", True),
        ("https://app.example.com.evil.net", False),
        ("https://app.example.community", False),
        ("https://app.example.com:8443", False),
        ("xhttps://app.example.com", False),
        ("https://APP.example.com", False),
        ("https://example.com", False),
    ],
)
def test_table_origin_regex_must_match_fully(serve: Serve, origin: str, allowed: bool) -> None:
    served = serve({"allow_origin_regex": r"https://[a-z]+\.example\.com"})
    response = served.send("GET", "/data", origin=origin)
    preflight = served.preflight(origin=origin, method="GET")
    if allowed:
        assert single(response, "access-control-allow-origin") == origin
        assert preflight.status_code == 204
        assert single(preflight, "access-control-allow-origin") == origin
    else:
        assert cors_headers(response) == {}
        assert preflight.status_code == 403
        assert cors_headers(preflight) == {}


def test_table_origin_list_and_regex_combine(serve: Serve) -> None:
    served = serve({"allow_origins": [PAGE], "allow_origin_regex": r"http://127\.0\.0\.1:\d+"})
    for origin in (PAGE, "http://127.0.0.1:5173"):
        response = served.send("GET", "/data", origin=origin)
        assert single(response, "access-control-allow-origin") == origin
    assert cors_headers(served.send("GET", "/data", origin=OTHER)) == {}


@pytest.mark.parametrize(
    ("expose_headers", "expected"),
    [
        ([], None),
        (["X-Custom"], "X-Custom"),
        (["X-Custom", "X-Total-Count"], "X-Custom, X-Total-Count"),
    ],
)
def test_table_expose_headers(
    serve: Serve, expose_headers: list[str], expected: str | None
) -> None:
    served = serve({"allow_origins": [PAGE], "expose_headers": expose_headers})
    response = served.send("GET", "/data", origin=PAGE)
    assert single(response, "access-control-expose-headers") == expected
    # Exposing is for the actual response only, never a preflight header.
    assert "access-control-expose-headers" not in served.preflight(method="GET").headers


def test_table_route_cannot_widen_expose_headers(serve: Serve) -> None:
    response = serve({"allow_origins": [PAGE]}).send("GET", "/spoof", origin=PAGE)
    assert cors_headers(response) == {"access-control-allow-origin": [PAGE]}


@pytest.mark.parametrize(("max_age", "expected"), [(None, "0"), (0, "0"), (600, "600")])
def test_table_max_age(serve: Serve, max_age: int | None, expected: str) -> None:
    cors: dict[str, Any] = {"allow_origins": [PAGE]}
    if max_age is not None:
        cors["max_age"] = max_age
    served = serve(cors)
    assert single(served.preflight(method="GET"), "access-control-max-age") == expected
    # Max-Age is for preflights only.
    assert "access-control-max-age" not in served.send("GET", "/data", origin=PAGE).headers


@pytest.mark.parametrize(
    ("allow_private_network", "requested", "expected"),
    [
        (True, "true", "true"),
        (True, None, None),
        (False, "true", None),
        (None, "true", None),
    ],
)
def test_table_allow_private_network(
    serve: Serve, allow_private_network: bool | None, requested: str | None, expected: str | None
) -> None:
    cors: dict[str, Any] = {"allow_origins": [PAGE]}
    if allow_private_network is not None:
        cors["allow_private_network"] = allow_private_network
    extra = {} if requested is None else {"Access-Control-Request-Private-Network": requested}
    response = serve(cors).preflight(method="GET", extra=extra)
    assert response.status_code == 204
    assert single(response, "access-control-allow-private-network") == expected


def test_table_private_network_not_granted_to_a_denied_origin(serve: Serve) -> None:
    served = serve({"allow_origins": [PAGE], "allow_private_network": True})
    extra = {"Access-Control-Request-Private-Network": "true"}
    response = served.preflight(origin=OTHER, method="GET", extra=extra)
    assert response.status_code == 403
    assert cors_headers(response) == {}


def test_table_with_star_origin_sends_star(serve: Serve) -> None:
    served = serve({"allow_origins": ["*"], "expose_headers": ["X-Custom"]})
    response = served.send("GET", "/data", origin=OTHER, headers={"Cookie": "a=1"})
    assert cors_headers(response) == {
        "access-control-allow-origin": ["*"],
        "access-control-expose-headers": ["X-Custom"],
    }


def test_table_lists_origins_exactly(serve: Serve) -> None:
    served = serve({**TABLE, "allow_origins": [PAGE, "https://app.example.com"]})
    for origin in (PAGE, "https://app.example.com"):
        assert single(served.send("GET", "/", origin=origin), "access-control-allow-origin") == (
            origin
        )
    assert cors_headers(served.send("GET", "/data", origin="https://example.com")) == {}
