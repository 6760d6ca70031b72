"""Requests are validated against their operation: problem+json naming each field by JSON
pointer, what the spec wants and what came; warn and off; what wins over the spec."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.mocks.conftest import mock_client
from tests.support.served import served


async def _echo(request: Request) -> Response:
    return JSONResponse({"path": request.url.path, "body": (await request.body()).decode()})


ECHO = Starlette(routes=[Route("/{path:path}", _echo, methods=["GET", "POST"])])


def _errors(response: object) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = response.json()["errors"]  # type: ignore[attr-defined]
    return errors


def test_a_body_that_breaks_the_schema_gets_every_field_by_pointer(
    tmp_path: Path, payments: Path
) -> None:
    api = mock_client(tmp_path, {"openapi": "payments.yaml"})
    refused = api.post("/charges", json={"amount": "5", "currency": "yen", "extra": 1})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["status"] == 422 and problem["operation"] == "POST /charges"
    assert problem["operationId"] == "createCharge"
    assert _errors(refused) == [
        {"pointer": "/body/amount", "wanted": "integer", "got": 'string "5"'},
        {"pointer": "/body/currency", "wanted": 'one of "usd", "eur", "gbp"', "got": '"yen"'},
        {
            "pointer": "/body/extra",
            "wanted": "no such property (known: amount, currency, description)",
            "got": "1",
        },
    ]
    missing = api.post("/charges", json={"currency": "usd"})
    assert _errors(missing) == [
        {"pointer": "/body/amount", "wanted": "a value (required)", "got": "nothing"}
    ]
    assert _errors(api.post("/charges"))[0]["pointer"] == "/body"
    not_json = api.post("/charges", content=b"{", headers={"content-type": "application/json"})
    assert _errors(not_json)[0]["wanted"] == "JSON"
    wrong_type = api.post("/charges", content=b"a=1", headers={"content-type": "text/plain"})
    assert _errors(wrong_type)[0]["pointer"] == "/header/content-type"


def test_parameters_are_read_as_their_schema_types(tmp_path: Path, payments: Path) -> None:
    api = mock_client(tmp_path, {"openapi": "payments.yaml"})
    assert _errors(api.get("/charges/abc")) == [
        {"pointer": "/path/id", "wanted": "integer", "got": 'string "abc"'}
    ]
    assert _errors(api.get("/charges?limit=0")) == [
        {"pointer": "/query/limit", "wanted": "minimum 1", "got": "0"}
    ]
    assert _errors(api.get("/account")) == [
        {"pointer": "/header/x-api-key", "wanted": "a value (required)", "got": "nothing"}
    ]
    assert api.get("/charges/7").status_code == 200
    assert api.get("/charges?limit=100").status_code == 200
    assert api.get("/account", headers={"X-Api-Key": "k"}).status_code == 200


def test_validate_status_warn_and_off(
    tmp_path: Path, payments: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = {"amount": "5", "currency": "usd"}
    as_400 = mock_client(tmp_path, {"openapi": "payments.yaml", "validate_status": 400})
    assert as_400.post("/charges", json=bad).status_code == 400
    with caplog.at_level(logging.INFO, logger="devserve.requests"):
        warned = mock_client(tmp_path, {"openapi": "payments.yaml", "validate": "warn"})
        assert warned.post("/charges", json=bad).status_code == 201
    line = next(r.getMessage() for r in caplog.records if "POST" in r.getMessage())
    assert 'request breaks the spec: /body/amount: wanted integer, got string "5"' in line
    off = mock_client(tmp_path, {"openapi": "payments.yaml", "validate": "off"})
    assert off.post("/charges", json=bad).status_code == 201


def test_routes_mock_files_and_resources_win_over_the_spec(tmp_path: Path, payments: Path) -> None:
    (tmp_path / "mocks").mkdir()
    (tmp_path / "mocks" / "account.json").write_text('{"id": "from the mock folder"}')
    api = mock_client(
        tmp_path,
        {
            "openapi": "payments.yaml",
            "mocks": "mocks",
            "routes": [{"path": "/charges/{id}", "json": {"id": "by hand"}}],
        },
    )
    assert api.get("/charges/1").json() == {"id": "by hand"}
    assert api.get("/account").json() == {"id": "from the mock folder"}
    assert api.get("/charges").status_code == 200  # the spec answers the rest
    assert api.get("/nowhere").status_code == 404  # and passes on what it does not describe


def test_with_a_proxy_requests_are_validated_then_forwarded(tmp_path: Path, payments: Path) -> None:
    with served(ECHO) as upstream:
        api = mock_client(tmp_path, {"openapi": "payments.yaml", "proxy": upstream})
        assert api.post("/charges", json={"amount": 1}).status_code == 422
        forwarded = api.post("/charges", json={"amount": 500, "currency": "usd"})
        assert (forwarded.status_code, forwarded.json()["path"]) == (200, "/charges")
        assert json.loads(forwarded.json()["body"]) == {"amount": 500, "currency": "usd"}


def test_validate_responses_flags_an_answer_that_breaks_the_spec(
    tmp_path: Path, payments: Path, caplog: pytest.LogCaptureFixture
) -> None:
    route = {"path": "/charges/{id}", "json": {"id": "ch_1", "amount": 500}}
    api = mock_client(
        tmp_path, {"openapi": "payments.yaml", "validate_responses": True, "routes": [route]}
    )
    with caplog.at_level(logging.INFO, logger="devserve.requests"):
        assert api.get("/charges/1").status_code == 200  # logged, not changed
        assert api.get("/charges").status_code == 200  # the spec's own answer conforms
    lines = [r.getMessage() for r in caplog.records]
    flagged = next(line for line in lines if "/charges/1 " in line)
    assert "answer breaks the spec (GET /charges/{id} (getCharge)): " in flagged
    assert "/body/currency: wanted a value (required), got nothing" in flagged
    assert '/body/id: wanted integer, got string "ch_1"' in flagged
    assert not any("breaks" in line for line in lines if "/charges " in line)


@pytest.mark.parametrize(
    ("path", "headers", "body"),
    [
        ("/charges", {"content-type": "application/json"}, b"[" * 100_000),
        ("/charges", {"content-type": "application/json"}, b'{"amount": 1e999999}'),
        ("/charges", {"content-type": "application/json"}, b"\xff\xfe{"),
        ("/charges", {"content-type": "application/json; charset=bogus"}, b'"x"'),
        ("/charges/%ff%00", {}, None),
        ("/charges/1", {"prefer": "code=99999999999999999999, example=\x7f"}, None),
        ("/account", {"x-api-key": "k", "cookie": '"\\"; ;;='}, None),
    ],
)
def test_hostile_requests_get_a_clear_answer_never_a_500(
    tmp_path: Path, payments: Path, path: str, headers: dict[str, str], body: bytes | None
) -> None:
    api = mock_client(tmp_path, {"openapi": "payments.yaml"})
    method = "POST" if body is not None else "GET"
    response = api.request(method, path, headers=headers, content=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
