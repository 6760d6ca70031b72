"""Declared mock routes, as a client sees them."""

from __future__ import annotations

import time
from pathlib import Path

from tests.mocks.conftest import mock_client as client


def test_json_route_with_templates(tmp_path: Path) -> None:
    api = client(
        tmp_path,
        {
            "routes": [
                {
                    "path": "/users/{id:int}",
                    "status": 201,
                    "headers": {"X-Request-Id": "r-{{ path.id }}"},
                    "json": {"id": "{{ path.id }}", "q": "{{ query.q }}", "tags": ["{{ method }}"]},
                }
            ]
        },
    )
    response = api.get("/users/7?q=ada")
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "r-7"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"id": 7, "q": "ada", "tags": ["GET"]}  # typed: {id:int}
    assert api.get("/users/x").status_code == 404  # {id:int} does not match


def test_body_template_sees_the_request_json_and_headers(tmp_path: Path) -> None:
    api = client(
        tmp_path,
        {
            "routes": [
                {
                    "method": "POST",
                    "path": "/echo",
                    "body": "{{ json.name }} via {{ headers['x-via'] }}",
                }
            ]
        },
    )
    response = api.post("/echo", json={"name": "Ada"}, headers={"X-Via": "test"})
    assert response.text == "Ada via test"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_file_route_is_read_on_every_request(tmp_path: Path) -> None:
    data = tmp_path / "users.json"
    data.write_text('[{"id": 1}]')
    api = client(tmp_path, {"routes": [{"path": "/users", "file": "users.json"}]})
    assert api.get("/users").json() == [{"id": 1}]
    data.write_text('[{"id": 2}]')
    response = api.get("/users")
    assert response.json() == [{"id": 2}]
    assert response.headers["content-type"] == "application/json; charset=utf-8"  # the static table


def test_methods_list_any_and_405(tmp_path: Path) -> None:
    api = client(
        tmp_path,
        {
            "routes": [
                {"method": ["PUT", "PATCH"], "path": "/a", "body": "a"},
                {"method": "*", "path": "/b", "body": "b"},
            ]
        },
    )
    assert api.put("/a").text == "a"
    assert api.patch("/a").text == "a"
    refused = api.get("/a")
    assert refused.status_code == 405
    assert set(refused.headers["allow"].split(", ")) == {"PUT", "PATCH"}
    assert api.delete("/b").text == "b"
    assert api.request("REPORT", "/b").text == "b"


def test_first_matching_route_wins_and_routes_win_over_static(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "users").write_text("static")
    api = client(
        tmp_path,
        {
            "static": "web",
            "routes": [
                {"path": "/users", "body": "first"},
                {"path": "/users", "body": "second"},
            ],
        },
    )
    assert api.get("/users").text == "first"


def test_content_type_header_overrides_the_default(tmp_path: Path) -> None:
    api = client(
        tmp_path,
        {
            "routes": [
                {"path": "/x", "body": "<a/>", "headers": {"Content-Type": "application/xml"}}
            ]
        },
    )
    assert api.get("/x").headers["content-type"] == "application/xml"


def test_empty_route_and_status(tmp_path: Path) -> None:
    api = client(tmp_path, {"routes": [{"method": "DELETE", "path": "/x", "status": 204}]})
    response = api.delete("/x")
    assert response.status_code == 204
    assert response.content == b""


def test_broken_template_is_a_500_that_says_why(tmp_path: Path) -> None:
    api = client(tmp_path, {"routes": [{"path": "/x", "body": "{{ 1 / 0 }}"}]})
    response = api.get("/x")
    assert response.status_code == 500
    assert response.json() == {
        "error": "mock GET /x failed",
        "route": "GET /x",
        "reason": "origins.api.routes[0].body: ZeroDivisionError: division by zero",
    }


def test_templates_are_sandboxed(tmp_path: Path) -> None:
    api = client(tmp_path, {"routes": [{"path": "/x", "body": "{{ method.__class__.__mro__ }}"}]})
    response = api.get("/x")
    assert response.status_code == 500
    assert "object" not in response.text.split("route /x:")[0]


def test_route_and_origin_delays(tmp_path: Path) -> None:
    api = client(
        tmp_path,
        {
            "delay_ms": 100,
            "routes": [{"path": "/slow", "body": "", "delay_ms": 150}, {"path": "/f", "body": ""}],
        },
    )
    start = time.monotonic()
    api.get("/f")
    origin_only = time.monotonic() - start
    start = time.monotonic()
    api.get("/slow")
    both = time.monotonic() - start
    assert origin_only >= 0.1
    assert both >= 0.25


def test_a_fixed_route_is_built_once_and_answers_the_same_every_time(tmp_path: Path) -> None:
    """The fast path for a path and its JSON: same bytes and headers as rendering each time,
    and the CORS layer's headers are added afresh per response, never piled up."""
    fixed = {"path": "/x", "json": {"a": [1, 2]}, "status": 201, "headers": {"X-Kind": "fixed"}}
    templated = {**fixed, "path": "/t", "headers": {"X-Kind": "{{ 'fixed' }}"}}
    api = client(tmp_path, {"cors": "on", "routes": [fixed, templated]})
    page = {"Origin": "http://localhost:3000"}
    answers = [api.get("/x", headers=page) for _ in range(3)] + [api.get("/t", headers=page)]
    for answer in answers:
        assert (answer.status_code, answer.json()) == (201, {"a": [1, 2]})
        assert answer.headers.get_list("access-control-allow-origin") == [page["Origin"]]
        assert answer.headers.get_list("x-kind") == ["fixed"]
        assert answer.headers["content-type"] == "application/json"
    assert {tuple(a.headers.multi_items()) for a in answers[:3]} == {
        tuple(answers[0].headers.multi_items())
    }
    head = api.head("/x")
    assert head.status_code == 201 and head.content == b""
    assert head.headers["content-length"] == answers[0].headers["content-length"]


def test_a_fixed_body_over_the_size_limit_is_still_a_500(tmp_path: Path) -> None:
    api = client(
        tmp_path,
        {"routes": [{"path": "/big", "body": "x" * 5_000}]},
        settings={"template_max_bytes": 2_000},
    )
    for _ in range(2):
        answer = api.get("/big")
        assert answer.status_code == 500
        assert "over the size limit of 2,000 bytes" in answer.json()["reason"]


def test_literal_and_patterned_routes_answer_in_config_order(tmp_path: Path) -> None:
    """Routes without a parameter are found by a lookup, the others by their regexes: the
    first route that fits still answers, whichever kind, as the regexes alone would decide."""
    api = client(
        tmp_path,
        {
            "routes": [
                {"path": "/items/{id}", "json": {"by": "pattern"}},
                {"path": "/items/new", "json": {"by": "literal"}},
                {"path": "/things/new", "json": {"by": "literal"}},
                {"path": "/things/{id}", "json": {"by": "pattern"}},
                {"path": "/only", "method": "POST", "json": {"posted": True}},
                {"path": "/a.b(c)", "json": {"by": "escaped"}},
            ]
        },
    )
    assert api.get("/items/new").json() == {"by": "pattern"}
    assert api.get("/things/new").json() == {"by": "literal"}
    assert api.get("/things/7").json() == {"by": "pattern"}
    assert api.get("/a.b(c)").json() == {"by": "escaped"}
    assert api.get("/aXb(c)").status_code == 404
    refused = api.get("/only")
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    # A regex's `$` matches before a final newline: so does the lookup.
    assert api.get("/things/new%0A").json() == {"by": "literal"}


def test_thousands_of_routes_start_and_answer_quickly(tmp_path: Path) -> None:
    """Checking which routes can never answer compares each route with the earlier ones of
    its shape only: 3,000 routes took minutes when every pair was compared."""
    routes = [{"path": f"/r{index}", "json": {"n": index}} for index in range(3000)]
    routes.append({"path": "/r1", "json": {"n": "never"}})  # shadowed by routes[1]
    started = time.monotonic()
    api = client(tmp_path, {"routes": routes})
    assert time.monotonic() - started < 20  # about a second here; minutes before
    assert api.get("/r2999").json() == {"n": 2999}
    assert api.get("/r1").json() == {"n": 1}
