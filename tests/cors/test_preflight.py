"""Preflights (README "CORS modes"; https://fetch.spec.whatwg.org/#cors-preflight-fetch): when
they succeed, what they say, and how they fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .helpers import ENABLED, OTHER, PAGE, TABLE, Mode, Served, cors_headers, single

Serve = Callable[[Any], Served]
modes = pytest.mark.parametrize("mode", ENABLED, ids=lambda mode: mode.id)

ACAO = "access-control-allow-origin"
ACAC = "access-control-allow-credentials"
ACAM = "access-control-allow-methods"
ACAH = "access-control-allow-headers"
ACMA = "access-control-max-age"


# Rule 7: success is 2xx with the full set of headers.


@pytest.mark.parametrize(
    ("cors", "method", "request_headers", "expected"),
    [
        (
            "on",
            "PUT",
            "X-Token",
            {ACAO: [PAGE], ACAC: ["true"], ACAM: ["PUT"], ACAH: ["X-Token"], ACMA: ["0"]},
        ),
        (
            True,
            "DELETE",
            "x-token, content-type",
            {
                ACAO: [PAGE],
                ACAC: ["true"],
                ACAM: ["DELETE"],
                ACAH: ["x-token, content-type"],
                ACMA: ["0"],
            },
        ),
        ("*", "PUT", "X-Token", {ACAO: ["*"], ACAM: ["*"], ACAH: ["*"], ACMA: ["0"]}),
        (
            TABLE,
            "PUT",
            "X-Token",
            {
                ACAO: [PAGE],
                ACAC: ["true"],
                ACAM: ["GET, PUT"],
                ACAH: ["X-Token"],
                ACMA: ["600"],
            },
        ),
        (
            {"allow_origins": ["*"], "allow_headers": ["X-Token", "X-Trace"]},
            "POST",
            "x-trace",
            {ACAO: ["*"], ACAM: ["GET, HEAD, POST"], ACAH: ["X-Token, X-Trace"], ACMA: ["0"]},
        ),
    ],
    ids=["on", "true", "star", "table", "table-any"],
)
def test_successful_preflight_headers(
    serve: Serve, cors: Any, method: str, request_headers: str, expected: dict[str, list[str]]
) -> None:
    response = serve(cors).preflight(method=method, request_headers=request_headers)
    assert response.status_code == 204
    assert response.content == b""
    assert cors_headers(response) == expected


@pytest.mark.parametrize("status", [200, 204, 299])
def test_preflight_status_is_honoured(serve: Serve, status: int) -> None:
    response = serve({**TABLE, "preflight_status": status}).preflight()
    assert response.status_code == status
    assert single(response, ACAO) == PAGE


@modes
@pytest.mark.parametrize("path", ["/data", "/docs", "/missing.txt", "/boom", "/"])
def test_preflight_is_answered_whatever_the_path(serve: Serve, mode: Mode, path: str) -> None:
    # /docs is a folder: a GET there redirects to /docs/, a preflight must not.
    response = serve(mode.cors).preflight(path, method="GET")
    assert response.status_code == 204
    assert "location" not in response.headers
    assert single(response, ACAO) == mode.acao(PAGE)


def test_get_to_folder_without_slash_redirects_but_its_preflight_does_not(serve: Serve) -> None:
    served = serve("on")
    assert served.send("GET", "/docs", origin=PAGE).status_code == 301
    response = served.preflight("/docs", method="PUT", request_headers="X-Token")
    assert response.status_code == 204
    assert "location" not in response.headers


# Rule 7: failures are 4xx with no ACAO.


def assert_refused(response: Any) -> None:
    assert 400 <= response.status_code < 500
    assert cors_headers(response) == {}


@modes
def test_preflight_from_denied_origin_fails(serve: Serve, mode: Mode) -> None:
    assert_refused(serve(mode.cors).preflight(origin=mode.denied, method="GET"))


@pytest.mark.parametrize("method", ["DELETE", "PATCH", "put", "Put", "OPTIONS"])
def test_preflight_for_method_not_allowed_fails(serve: Serve, method: str) -> None:
    assert_refused(serve(TABLE).preflight(method=method))


@pytest.mark.parametrize("request_headers", ["X-Other", "X-Token, X-Other", "Authorization"])
def test_preflight_for_header_not_allowed_fails(serve: Serve, request_headers: str) -> None:
    assert_refused(serve(TABLE).preflight(method="GET", request_headers=request_headers))


def test_table_default_methods_are_get_head_post(serve: Serve) -> None:
    served = serve({"allow_origins": [PAGE]})
    for method in ("GET", "HEAD", "POST"):
        response = served.preflight(method=method)
        assert response.status_code == 204
        assert single(response, ACAM) == "GET, HEAD, POST"
    assert_refused(served.preflight(method="PUT"))


def test_table_default_allows_no_request_header(serve: Serve) -> None:
    served = serve({"allow_origins": [PAGE]})
    assert_refused(served.preflight(method="GET", request_headers="X-Token"))


def test_preflight_failure_does_not_depend_on_the_route(serve: Serve) -> None:
    # /any answers OPTIONS itself: a refused preflight must still not reach it.
    response = serve(TABLE).preflight("/any", origin=OTHER)
    assert_refused(response)
    assert "any" not in response.text


# Rule 8: methods are case-sensitive, header names are not.


@pytest.mark.parametrize(
    ("allow_methods", "method", "allowed"),
    [
        (["PUT"], "PUT", True),
        (["PUT"], "put", False),
        (["put"], "put", True),
        (["put"], "PUT", False),
        (["PATCH"], "Patch", False),
    ],
)
def test_method_matching_is_case_sensitive(
    serve: Serve, allow_methods: list[str], method: str, allowed: bool
) -> None:
    response = serve({"allow_origins": [PAGE], "allow_methods": allow_methods}).preflight(
        method=method
    )
    if allowed:
        assert response.status_code == 204
        assert single(response, ACAO) == PAGE
    else:
        assert_refused(response)


@pytest.mark.parametrize("request_headers", ["X-Token", "x-token", "X-TOKEN", "x-TOKEN, X-Trace"])
def test_header_name_matching_is_case_insensitive(serve: Serve, request_headers: str) -> None:
    served = serve({"allow_origins": [PAGE], "allow_headers": ["X-Token", "x-trace"]})
    response = served.preflight(method="GET", request_headers=request_headers)
    assert response.status_code == 204
    assert single(response, ACAO) == PAGE
    assert single(response, ACAH) == "X-Token, x-trace"
