"""Route ``match``: exact, ~regex, presence, JSON subsets; fall-through; unreachable routes."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_command
from tests.mocks.conftest import config_problems, mock_client

AUTH_ROUTES = {
    "routes": [
        {
            "path": "/user",
            "match": {"headers": {"Authorization": "~Bearer [A-Za-z0-9_]+"}},
            "json": {"login": "ada"},
        },
        {"path": "/user", "status": 401, "json": {"message": "Requires authentication"}},
    ]
}


def test_a_catch_all_after_a_match_answers_401_without_authorization(tmp_path: Path) -> None:
    api = mock_client(tmp_path, AUTH_ROUTES)
    assert api.get("/user", headers={"Authorization": "Bearer abc_1"}).json() == {"login": "ada"}
    assert api.get("/user").status_code == 401
    # A regex must match the whole value.
    assert api.get("/user", headers={"Authorization": "Bearer abc!"}).status_code == 401
    assert api.get("/user", headers={"authorization": "Bearer x"}).status_code == 200


def test_query_cookies_presence_and_absence(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path,
        {
            "routes": [
                {
                    "path": "/p",
                    "match": {"query": {"page": "2", "sort": "~(asc|desc)"}},
                    "body": "2",
                },
                {"path": "/p", "match": {"query": {"draft": True}}, "body": "has draft"},
                {"path": "/p", "match": {"cookies": {"session": False}}, "body": "anonymous"},
                {"path": "/p", "match": {"query": {"lit": "~~x"}}, "body": "literal"},
            ]
        },
    )
    assert api.get("/p?page=2&sort=asc").text == "2"
    session = {"Cookie": "session=1"}
    assert api.get("/p?page=2&sort=up", headers=session).status_code == 404
    assert api.get("/p?draft=", headers=session).text == "has draft"
    assert api.get("/p").text == "anonymous"
    assert api.get("/p?lit=~x", headers=session).text == "literal"


def test_json_subset_and_form_fields(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path,
        {
            "routes": [
                {
                    "method": "POST",
                    "path": "/orders",
                    "match": {
                        "json": {"customer": {"tier": "gold"}, "items": [{"sku": "~A-\\d+"}]}
                    },
                    "json": {"discount": 10},
                },
                {
                    "method": "POST",
                    "path": "/orders",
                    "match": {"form": {"currency": "eur"}},
                    "json": {"currency": "eur"},
                },
                {"method": "POST", "path": "/orders", "status": 422, "json": {"error": "bad"}},
            ]
        },
    )
    gold = {"customer": {"tier": "gold", "name": "x"}, "items": [{"sku": "A-1", "qty": 2}], "n": 1}
    assert api.post("/orders", json=gold).json() == {"discount": 10}
    silver = {**gold, "customer": {"tier": "silver"}}
    assert api.post("/orders", json=silver).status_code == 422
    two_items = {**gold, "items": [{"sku": "A-1"}, {"sku": "A-2"}]}
    assert api.post("/orders", json=two_items).status_code == 422
    assert api.post("/orders", data={"currency": "eur"}).json() == {"currency": "eur"}


def test_numbers_and_booleans_compare_as_json(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path,
        {
            "routes": [
                {"method": "POST", "path": "/n", "match": {"json": {"n": 1}}, "body": "one"},
                {"method": "POST", "path": "/n", "match": {"json": {"n": True}}, "body": "true"},
            ]
        },
    )
    assert api.post("/n", json={"n": 1.0}).text == "one"
    assert api.post("/n", json={"n": True}).text == "true"
    assert api.post("/n", json={"n": "1"}).status_code == 404


def test_no_match_falls_through_to_static_then_to_a_json_404(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "user").write_text("static user")
    only_authorized = AUTH_ROUTES["routes"][0:1]
    with_static = mock_client(tmp_path, {"static": "web", "routes": only_authorized})
    assert with_static.get("/user").text == "static user"
    mock_only = mock_client(tmp_path, {"routes": only_authorized})
    response = mock_only.get("/user")
    assert response.status_code == 404
    assert response.json() == {
        "error": "no route for GET /user",
        "routes": ["GET /user"],
        "not_matched": ["GET /user: header authorization is missing"],
    }


def test_a_bad_regex_is_a_config_error(tmp_path: Path) -> None:
    found = config_problems(
        tmp_path, {"routes": [{"path": "/x", "match": {"headers": {"X": "~(unclosed"}}}]}
    )
    assert len(found) == 1
    assert found[0].startswith("origins.api.routes[0].match.headers.X: '~(unclosed' is not a valid")


def test_a_catastrophic_regex_fails_the_match_not_the_server(tmp_path: Path) -> None:
    api = mock_client(
        tmp_path, {"routes": [{"path": "/x", "match": {"query": {"q": "~(a|aa)+b"}}, "body": "ok"}]}
    )
    response = api.get("/x", params={"q": "a" * 40})
    assert response.status_code == 404
    assert "timed out" in response.json()["not_matched"][0]


def test_unreachable_routes_are_a_warning(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text(
        """
[origins.api]
port = 8001
[[origins.api.routes]]
path = "/users/{id}"
body = "first"
[[origins.api.routes]]
path = "/users/{uid}"
body = "never"
[[origins.api.routes]]
method = "POST"
path = "/users/{id}"
body = "reachable"
"""
    )
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 0
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "origins.api.routes[1] (GET /users/{uid}) never answers: routes[0]" in warnings[0]


def test_a_number_in_match_says_to_quote_it(tmp_path: Path) -> None:
    found = config_problems(tmp_path, {"routes": [{"path": "/x", "match": {"query": {"page": 2}}}]})
    assert found == [
        'origins.api.routes[0].match.query.page: expected text ("2", "~regex") or true/false '
        'for present/absent (got 2); write numbers in quotes: page = "2"'
    ]


def test_the_404_lists_what_every_layer_answers(tmp_path: Path) -> None:
    (tmp_path / "mocks").mkdir()
    (tmp_path / "db.json").write_text('{"posts": [], "profile": {}}')
    origin = {
        "routes": [{"path": "/health", "body": "ok"}],
        "resources": "db.json",
        "resources_prefix": "/api",
        "mocks": "mocks",
    }
    response = mock_client(tmp_path, origin).get("/nothing")
    assert response.status_code == 404
    listed = response.json()
    assert listed["routes"] == ["GET /health"]
    assert listed["resources"] == ["/api/posts", "/api/profile"]
    assert "users.json answers GET /users" in listed["mocks"]
