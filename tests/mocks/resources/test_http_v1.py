"""dialect = "v1": each json-server 1.0 query feature, with fixed expectations (no Node needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.mocks.resources.helpers import client, write_db

DATA: dict[str, Any] = {
    "posts": [
        {"id": 1, "title": "alpha", "views": 10, "author": {"name": "Ada"}, "userId": "1"},
        {"id": "2", "title": "Beta", "views": 200, "author": {"name": "bob"}, "userId": "2"},
        {"id": "3", "title": "gamma", "views": 50, "userId": "1"},
        {"title": "no id", "views": 5},
    ],
    "comments": [
        {"id": "1", "postId": "1", "body": "x"},
        {"id": "2", "postId": "2", "body": "y"},
        {"id": "3", "postId": None, "body": "z"},
    ],
    "users": [{"id": "1", "name": "Ann"}, {"id": "2", "name": "Ben"}],
    "profile": {"name": "p"},
}


@pytest.fixture
def api(tmp_path: Path) -> TestClient:
    write_db(tmp_path, DATA)
    return client(tmp_path, dialect="v1")


def titles(api: TestClient, query: str) -> list[str]:
    response = api.get(f"/posts?{query}")
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()]


def test_ids_become_strings_and_missing_ids_are_generated(api: TestClient) -> None:
    ids = [item["id"] for item in api.get("/posts").json()]
    assert ids[:3] == ["1", "2", "3"] and isinstance(ids[3], str) and len(ids[3]) == 11
    assert api.get("/posts/1").json()["title"] == "alpha"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("views:gt=10", ["Beta", "gamma"]),
        ("views:gte=50", ["Beta", "gamma"]),
        ("views:lt=50", ["alpha", "no id"]),
        ("views:lte=10", ["alpha", "no id"]),
        ("views:ne=10", ["Beta", "gamma", "no id"]),
        ("views:eq=10", ["alpha"]),
        ("views=10", ["alpha"]),
        ("views_gte=200", ["Beta"]),  # 0.17's spelling of the operators 1.0 also has
        ("views:in=5,50", ["gamma", "no id"]),
        ("title:contains=ET", ["Beta"]),
        ("title:startsWith=G", ["gamma"]),
        ("title:endsWith=A", ["alpha", "Beta", "gamma"]),
        ("title:gte=b", ["gamma", "no id"]),  # strings compare by code unit: "B" < "a"
        ("author.name=Ada", ["alpha", "gamma", "no id"]),  # no author: the condition is skipped
        ("views:gt=10&views:lt=100", ["gamma"]),
        ("id=1", []),  # "1" is coerced to the number 1, and ids are strings
        ("userId=1", []),
        ("views:unknown=1", ["alpha", "Beta", "gamma", "no id"]),
        ("nope=1", []),  # unlike 0.17, an unknown field is a filter that matches nothing
        ("_limit=1", []),  # 0.17's _limit/_start/_end/q are filters on those names in 1.0
        ("q=alpha", []),
    ],
)
def test_filters(api: TestClient, query: str, expected: list[str]) -> None:
    assert titles(api, query) == expected


def test_where_json_overrides_the_other_filters(api: TestClient) -> None:
    where = json.dumps({"or": [{"views": {"gt": 100}}, {"title": {"eq": "alpha"}}]})
    assert titles(api, f"_where={where}&views:lt=0") == ["alpha", "Beta"]
    assert titles(api, "_where={bad&views:gt=100") == ["Beta"]  # invalid JSON: ignored


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("views", ["no id", "alpha", "gamma", "Beta"]),
        ("-views", ["Beta", "gamma", "alpha", "no id"]),
        ("title", ["alpha", "Beta", "gamma", "no id"]),  # localeCompare: case after letters
        ("userId,-views", ["gamma", "alpha", "Beta", "no id"]),  # missing values last
        ("-author.name", ["gamma", "no id", "Beta", "alpha"]),  # and first when descending
    ],
)
def test_sort(api: TestClient, sort: str, expected: list[str]) -> None:
    assert titles(api, f"_sort={sort}") == expected


def test_pagination_object(api: TestClient) -> None:
    page = api.get("/posts?_page=2&_per_page=3&_sort=views").json()
    assert {k: v for k, v in page.items() if k != "data"} == {
        "first": 1, "prev": 1, "next": None, "last": 2, "pages": 2, "items": 4
    }  # fmt: skip
    assert [item["title"] for item in page["data"]] == ["Beta"]
    clamped = api.get("/posts?_page=99&_per_page=0").json()
    assert (clamped["prev"], clamped["last"], len(clamped["data"])) == (3, 4, 1)
    assert len(api.get("/posts?_page=1").json()["data"]) == 4  # _per_page defaults to 10
    assert isinstance(api.get("/posts?_page=x").json(), list)  # not a number: no pagination


def test_embed_children_and_parent(api: TestClient) -> None:
    post = api.get("/posts/1?_embed=comments").json()
    assert [c["id"] for c in post["comments"]] == ["1"]
    comments = api.get("/comments?_embed=post").json()
    assert comments[0]["post"]["title"] == "alpha" and "post" not in comments[2]
    embedded = api.get("/posts?_embed=user&_embed=comments&user.name=Ann").json()
    # embedded before filtering; "no id" has no user, so the nested condition is passed over
    assert [p["title"] for p in embedded] == ["alpha", "gamma", "no id"]


def test_writes(api: TestClient) -> None:
    created = api.post("/posts", json={"id": "mine", "title": "new"})
    assert created.status_code == 201
    assert created.json()["id"] != "mine" and len(created.json()["id"]) == 11
    assert api.post("/posts", json=[1]).json() == {"error": "Body must be a JSON object"}
    assert api.put("/posts/2", json={"id": "9", "t": 1}).json() == {"id": "2", "t": 1}
    patched = api.patch("/posts/3", json={"views": 1}).json()
    assert patched == {"id": "3", "title": "gamma", "views": 1, "userId": "1"}
    assert api.patch("/profile", json={"a": 1}).json() == {"name": "p", "a": 1}
    assert api.put("/posts", json={}).status_code == 404
    deleted = api.delete("/posts/1?_dependent=comments")
    assert deleted.status_code == 200 and deleted.json()["title"] == "alpha"
    # comment 1 pointed at post 1: its key was nulled, and every null-keyed comment goes
    assert [c["id"] for c in api.get("/comments").json()] == ["2"]
    assert api.delete("/users/1").json() == {"id": "1", "name": "Ann"}
    assert api.get("/posts/3").json()["userId"] is None  # nulled, not removed


def test_routes_1_0_does_not_have(api: TestClient) -> None:
    assert api.get("/posts/1/comments").json() == {"error": "Not Found"}
    assert api.get("/posts/999").status_code == 404
    assert api.delete("/posts").status_code == 404
    assert api.post("/posts/1", json={}).status_code == 404
    assert api.get("/db").status_code == 404


def test_filters_nested_past_32_levels_are_a_400_not_a_crash(api: TestClient) -> None:
    """Matching recurses per level: a hostile `_where` ("or" in "or" ...) or dotted keys
    (`or.0.or.0...`) must not reach the stack's limit (it was a 500 and a traceback)."""
    deep_where = '{"or":[' * 400 + "{}" + "]}" * 400
    for query in ["_where=" + deep_where, "or.0." * 2000 + "title=alpha"]:
        response = api.get("/posts?" + query)
        assert response.status_code == 400
        assert response.json() == {
            "error": "the filters nest deeper than 32 levels (_where, or dotted keys)"
        }
    fine = '{"or":[' * 15 + '{"title":{"eq":"alpha"}}' + "]}" * 15
    assert titles(api, "_where=" + fine) == ["alpha"]


def test_a_sort_field_named_again_changes_nothing_and_33_fields_are_a_400(api: TestClient) -> None:
    """Each field is compared in every comparison: a field named again is dropped (it could
    only compare equal), and more than 32 fields are refused rather than run."""
    once = titles(api, "_sort=-views,title")
    assert titles(api, "_sort=" + ",".join(["-views", "title", "views"] * 500)) == once
    response = api.get("/posts?_sort=" + ",".join(f"f{n}" for n in range(33)))
    assert response.status_code == 400
    assert response.json() == {"error": "_sort names 33 fields; at most 32"}


def test_what_nothing_serves_answers_1_0s_json_404(tmp_path: Path) -> None:
    """With static files too: a path with no file (any method), or a write to a file."""
    write_db(tmp_path, DATA)
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "page.html").write_text("<p>page</p>")
    api = client(tmp_path, dialect="v1", static="web")
    assert api.get("/page.html").text == "<p>page</p>"
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        for path in ("/not-found", "/page.html", "/a/b/c"):
            if method in ("GET", "HEAD") and path == "/page.html":
                continue
            response = api.request(method, path)
            assert response.status_code == 404, (method, path, response.status_code)
            if method != "HEAD":
                assert response.json() == {"error": "Not Found"}, (method, path)
    assert client(tmp_path, dialect="v1").get("/not-found").json() == {"error": "Not Found"}


def test_a_plain_options_answers_204_anywhere(tmp_path: Path) -> None:
    write_db(tmp_path, DATA)
    api = client(tmp_path, dialect="v1")
    for path in ("/posts", "/posts/1", "/profile", "/not-found", "/"):
        response = api.options(path)
        assert response.status_code == 204 and response.content == b"", path
        assert "OPTIONS" in response.headers["allow"]


def test_the_json_404_stays_below_the_prefix_and_a_proxy_keeps_the_rest(tmp_path: Path) -> None:
    write_db(tmp_path, DATA)
    api = client(tmp_path, dialect="v1", resources_prefix="/api")
    assert api.get("/api/nothing").json() == {"error": "Not Found"}
    outside = api.get("/nothing")
    assert outside.status_code == 404 and "no route for GET /nothing" in outside.json()["error"]
    proxied = client(tmp_path, dialect="v1", proxy="http://127.0.0.1:9")  # nothing listens
    assert proxied.get("/nothing").status_code == 502  # the proxy answered, not the JSON 404
