"""Typed templates and the request data in scope, as a client sees them."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tests.conftest import run_command
from tests.mocks.conftest import config_problems, mock_client


def test_a_lone_expression_keeps_its_json_type(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path,
        {
            "routes": [
                {
                    "method": "POST",
                    "path": "/issues/{id:int}",
                    "json": {
                        "id": "{{ path.id }}",
                        "labels": "{{ json.labels }}",
                        "first": "{{ json.labels[0] }}",
                        "next_page": "{{ query.page|int + 1 }}",
                        "ratio": "{{ path.id / 4 }}",
                        "open": "{{ json.open }}",
                        "missing": "{{ json.nothing.here }}",
                        "user": "{{ json.user }}",
                        "upper": "{{ json.labels|map('upper')|list }}",
                        "text": "#{{ path.id }}: {{ json.labels }} {{ json.open }}",
                        "padded": " {{ path.id }}",
                    },
                }
            ]
        },
    )
    body = {"labels": ["bug", "ui"], "open": False, "user": {"login": "ada"}}
    response = api.post("/issues/2?page=1", json=body)
    assert response.status_code == 200
    assert response.json() == {
        "id": 2,
        "labels": ["bug", "ui"],
        "first": "bug",
        "next_page": 2,
        "ratio": 0.5,
        "open": False,
        "missing": None,
        "user": {"login": "ada"},
        "upper": ["BUG", "UI"],
        "text": '#2: ["bug", "ui"] false',  # mixed text stays text; data prints as JSON
        "padded": " 2",
    }
    # No ?page=: an absent value filtered to int is 0, as Jinja's int default intends.
    first_page = api.post("/issues/2", json=body)
    assert first_page.status_code == 200 and first_page.json()["next_page"] == 1


def test_request_data_in_scope(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path,
        {
            "routes": [
                {
                    "method": "*",
                    "path": "/echo",
                    "json": {
                        "method": "{{ method }}",
                        "url": "{{ url }}",
                        "query": "{{ query }}",
                        "all": "{{ query_all.tag }}",
                        "agent": "{{ headers['User-Agent'] }}",
                        "key": "{{ headers.x_api_key or headers['x-api-key'] }}",
                        "session": "{{ cookies.session }}",
                        "body": "{{ body }}",
                    },
                }
            ]
        },
    )
    response = api.put(
        "/echo?tag=a&tag=b&page=2",
        content="raw text",
        headers={"User-Agent": "tests", "X-Api-Key": "k1", "Cookie": "session=s1; other=2"},
    )
    assert response.json() == {
        "method": "PUT",
        "url": "http://127.0.0.1:8001/echo?tag=a&tag=b&page=2",
        "query": {"tag": "a", "page": "2"},  # the first value; query_all has them all
        "all": ["a", "b"],
        "agent": "tests",
        "key": "k1",
        "session": "s1",
        "body": "raw text",
    }


def test_form_bodies_urlencoded_and_multipart(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path,
        {
            "routes": [
                {
                    "method": "POST",
                    "path": "/v1/customers",
                    "json": {"email": "{{ form.email }}", "meta": "{{ form['metadata[plan]'] }}"},
                },
                {"method": "POST", "path": "/upload", "json": "{{ form }}"},
            ]
        },
    )
    stripe_like = api.post("/v1/customers", data={"email": "a@b.test", "metadata[plan]": "pro"})
    assert stripe_like.json() == {"email": "a@b.test", "meta": "pro"}
    upload = api.post(
        "/upload", data={"title": "x"}, files={"file": ("a.txt", b"abc", "text/plain")}
    )
    assert upload.json() == {
        "title": "x",
        "file": {"filename": "a.txt", "content_type": "text/plain", "size": 3},
    }


def test_globals_for_fake_data(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path,
        {
            "routes": [
                {
                    "path": "/fake",
                    "json": {
                        "id": "{{ uuid() }}",
                        "at": "{{ now() }}",
                        "ts": "{{ timestamp() }}",
                        "n": "{{ randint(1, 6) }}",
                        "pick": "{{ choice(['a', 'b']) }}",
                        "name": "{{ fake.name() }}",
                        "email": "{{ fake.email() }}",
                        "company": "{{ fake.company() }}",
                    },
                }
            ]
        },
    )
    data = api.get("/fake").json()
    assert re.fullmatch(r"[0-9a-f-]{36}", data["id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["at"])
    assert isinstance(data["ts"], int) and 1 <= data["n"] <= 6 and data["pick"] in ("a", "b")
    assert " " in data["name"] and data["email"].endswith("@example.test") and data["company"]


def test_status_and_headers_from_templates(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path,
        {
            "routes": [
                {
                    "method": "POST",
                    "path": "/items",
                    "status": "{{ 201 if json.name else 422 }}",
                    "headers": {"Location": "/items/{{ json.name }}", "X-Count": "{{ 3 }}"},
                    "json": {"name": "{{ json.name }}"},
                }
            ]
        },
    )
    created = api.post("/items", json={"name": "pen"})
    assert created.status_code == 201
    assert created.headers["location"] == "/items/pen" and created.headers["x-count"] == "3"
    assert api.post("/items", json={}).status_code == 422


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ({"headers": {"X-A": "{{ query.v }}"}}, "headers.X-A: the value contains a line break"),
        ({"headers": {"X-A": "{{ 'é€' }}"}}, "headers.X-A: the value has characters outside"),
        ({"status": "{{ query.v }}"}, "status: 'a\\nb' is not an HTTP status"),
        ({"json": {"n": "{{ int('x') }}"}}, "json.n: template error: 'int' is undefined"),
        ({"json": {"n": "{{ query.v|float / 0 }}"}}, "json.n: ZeroDivisionError"),
        ({"body": "{{ method.__class__ }}"}, "body: template error: access to attribute"),
    ],
)
def test_runtime_errors_are_a_500_naming_route_and_reason(
    tmp_path: Path, route: dict[str, object], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    api = mock_client(tmp_path, {"cors": "on", "routes": [{"path": "/x", **route}]})
    with caplog.at_level(logging.INFO, logger="devserve.requests"):
        response = api.get("/x", params={"v": "a\nb"}, headers={"Origin": "http://localhost:3000"})
    assert response.status_code == 500
    body = response.json()
    assert body["route"] == "GET /x" and body["error"] == "mock GET /x failed"
    assert body["reason"].startswith("origins.api.routes[0].")
    assert reason in body["reason"]
    # The browser can read why: the 500 goes through the origin's CORS policy.
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    line = next(r.getMessage() for r in caplog.records if " /x 500 " in r.getMessage())
    assert reason.split(":")[0] in line and "\n" not in line


def test_syntax_errors_are_config_errors_with_the_key_path(tmp_path: Path) -> None:
    found = config_problems(
        tmp_path,
        {
            "routes": [
                {"path": "/a", "json": {"id": "{{ path.id "}},
                {"path": "/b", "headers": {"X": "{% for %}"}, "status": "{{ }}"},
                {"path": "/c", "responses": [{"body": "ok"}, {"body": "{{ 1 + }}"}]},
            ]
        },
    )
    assert [p.split(": template syntax error")[0] for p in found] == [
        "origins.api.routes[0].json.id",
        "origins.api.routes[1].status",
        "origins.api.routes[1].headers.X",
        "origins.api.routes[2].responses[1].body",
    ]
    assert "expected 'end of print statement'" in found[0]


def test_check_config_exits_2_on_a_template_typo(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text(
        '[origins.api]\nport = 8001\n[[origins.api.routes]]\npath = "/u"\njson = { id = "{{ x " }\n'
    )
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{tmp_path / 'devserve.toml'}: origins.api.routes[0].json.id: template syntax" in (
        result.stderr
    )
