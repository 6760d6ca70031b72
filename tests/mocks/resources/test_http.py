"""Resources over HTTP: what devserve adds to json-server (errors, options, CORS), per feature."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from devserve.mocks.resources import query
from devserve.mocks.resources.body import MAX_BODY_BYTES
from tests.mocks.resources.helpers import SAMPLE, client, client_and_store, on_disk, write_db


def test_collections_items_singulars_and_db(tmp_path: Path) -> None:
    api = client(tmp_path)
    assert [p["id"] for p in api.get("/posts").json()] == [1, 2, 3, 4, 5]
    assert api.get("/posts/3").json()["title"] == "third post"
    assert api.get("/profile").json() == SAMPLE["profile"]
    assert api.get("/db").json() == SAMPLE
    missing = api.get("/posts/42")
    assert (missing.status_code, missing.json()) == (404, {})
    assert api.get("/posts").headers["content-type"] == "application/json; charset=utf-8"


def test_create_assigns_the_next_numeric_id_and_persists(tmp_path: Path) -> None:
    api = client(tmp_path)
    created = api.post("/posts", json={"title": "new"})
    assert created.status_code == 201
    assert created.json() == {"title": "new", "id": 6}
    assert created.headers["location"] == "http://127.0.0.1:8001/posts/6"
    assert on_disk(tmp_path)["posts"][-1] == {"title": "new", "id": 6}
    assert api.delete("/posts/6").json() == {}
    assert [p["id"] for p in on_disk(tmp_path)["posts"]] == [1, 2, 3, 4, 5]


def test_head_answers_like_get_without_a_body(tmp_path: Path) -> None:
    api = client(tmp_path)
    response = api.head("/posts?_limit=2")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["x-total-count"] == "5"
    assert int(response.headers["content-length"]) == len(api.get("/posts?_limit=2").content)


def test_method_override_header_as_json_server(tmp_path: Path) -> None:
    api = client(tmp_path)
    response = api.post("/posts/2", json={"views": 1}, headers={"X-HTTP-Method-Override": "PATCH"})
    assert response.json()["views"] == 1 and response.json()["title"] == "Hello World"


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        (
            b"[1, 2]",
            {"content-type": "application/json"},
            400,
            "must be a JSON object, not an array",
        ),
        (b'"text"', {"content-type": "application/json"}, 400, "not a string"),
        (b"null", {"content-type": "application/json"}, 400, "not null"),
        (b'{"a": ', {"content-type": "application/json"}, 400, "not valid JSON"),
        (b'{"a": NaN}', {"content-type": "application/json"}, 400, "NaN is not a JSON value"),
        (b"\xff\xfe{", {"content-type": "application/json"}, 400, "UTF-8"),
        (b'{"a": 1}', {"content-type": "text/plain"}, 415, "Content-Type: application/json"),
        (b"[" * 100_000, {"content-type": "application/json"}, 400, "JSON"),
    ],
)
def test_bad_bodies_get_a_clear_4xx_and_change_nothing(
    tmp_path: Path, body: bytes, headers: dict[str, str], status: int, words: str
) -> None:
    api = client(tmp_path)
    for method, path in (("POST", "/posts"), ("PUT", "/posts/1"), ("PATCH", "/profile")):
        response = api.request(method, path, content=body, headers=headers)
        assert response.status_code == status, (method, response.text)
        assert words in response.json()["error"]
    assert on_disk(tmp_path) == SAMPLE


def test_a_body_over_the_limit_is_413(tmp_path: Path) -> None:
    api = client(tmp_path)
    big = b'{"a": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = api.post("/posts", content=big, headers={"content-type": "application/json"})
    # The origin's body limit (max_body_bytes, 10 MiB by default) answers before resources do.
    assert response.status_code == 413 and "max_body_bytes" in response.json()["error"]


def test_a_colliding_id_is_409_not_500(tmp_path: Path) -> None:
    api = client(tmp_path)
    for taken in (1, "1"):  # ids compare as strings, as in json-server
        response = api.post("/posts", json={"id": taken, "title": "dup"})
        assert response.status_code == 409
        assert "already exists" in response.json()["error"]
    assert on_disk(tmp_path) == SAMPLE


def test_form_bodies_and_empty_bodies_as_json_server(tmp_path: Path) -> None:
    api = client(tmp_path)
    form = api.post("/users", data={"name": "Form", "tag": ["a", "b"]})
    assert form.json() == {"name": "Form", "tag": ["a", "b"], "id": 4}
    assert api.post("/users").json() == {"id": 5}


def test_like_patterns_are_bounded(tmp_path: Path) -> None:
    write_db(tmp_path, {"words": [{"id": i, "text": "a" * 5000 + "!"} for i in range(3)]})
    api = client(tmp_path)
    # Exponential in a backtracking engine; linear in RE2: the right answer, at once.
    assert api.get("/words", params={"text_like": "(a+)+$"}).json() == []
    invalid = api.get("/words", params={"text_like": "(unclosed"})
    assert (
        invalid.status_code == 400 and "not a valid regular expression" in invalid.json()["error"]
    )
    assert api.get("/words", params={"text_like": "A!$"}).json()[0]["id"] == 0


def test_like_matching_stops_after_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linear time per item, but a collection can be huge: a query's matching is bounded too."""
    monkeypatch.setattr(query, "LIKE_BUDGET_SECONDS", -1.0)  # spent before the first item
    response = client(tmp_path).get("/posts", params={"title_like": "o"})
    assert response.status_code == 400
    assert "takes longer than" in response.json()["error"]


def test_prefix_and_fall_through_to_static(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<p>page</p>")
    (tmp_path / "web" / "posts").write_text("a static file named like a resource")
    api = client(tmp_path, resources_prefix="/api", static="web")
    assert api.get("/api/posts/1").json()["id"] == 1
    assert api.get("/api/posts?_limit=1").headers["x-total-count"] == "5"
    assert api.get("/posts").text == "a static file named like a resource"
    assert "page" in api.get("/").text
    assert api.get("/api/unknown").status_code == 404  # not a resource: the static layer answers
    assert api.get("/apiposts").status_code == 404


def test_a_plain_options_answers_204_as_json_servers_cors_layer_does(tmp_path: Path) -> None:
    api = client(tmp_path)
    for path in ("/posts", "/posts/1", "/profile", "/posts/1/comments", "/db"):
        response = api.options(path)
        assert response.status_code == 204 and response.content == b"", path
        assert response.headers["allow"] == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    assert client(tmp_path, read_only=True).options("/posts").headers["allow"] == (
        "GET, HEAD, OPTIONS"
    )


def test_read_only_refuses_writes_with_405(tmp_path: Path) -> None:
    api = client(tmp_path, read_only=True)
    for method, path in (("POST", "/posts"), ("PUT", "/posts/1"), ("PATCH", "/profile"),
                         ("DELETE", "/posts/1")):  # fmt: skip
        response = api.request(method, path, json={"a": 1})
        assert response.status_code == 405 and "read_only" in response.json()["error"]
        assert response.headers["allow"] == "GET, HEAD"
    assert api.get("/posts/1").status_code == 200
    assert on_disk(tmp_path) == SAMPLE


def test_persist_false_keeps_changes_in_memory(tmp_path: Path) -> None:
    api = client(tmp_path, persist=False)
    assert api.post("/posts", json={"title": "memory"}).status_code == 201
    assert api.get("/posts/6").json()["title"] == "memory"
    assert on_disk(tmp_path) == SAMPLE


def test_an_external_edit_is_served_on_the_next_request(tmp_path: Path) -> None:
    api = client(tmp_path)
    assert api.post("/posts", json={"title": "mine"}).status_code == 201
    write_db(tmp_path, {"posts": [{"id": 7, "title": "edited by hand"}]})
    assert api.get("/posts").json() == [{"id": 7, "title": "edited by hand"}]
    assert api.post("/posts", json={"title": "after"}).json()["id"] == 8


def test_an_invalid_edit_keeps_the_last_good_data_and_is_reported(tmp_path: Path) -> None:
    api, store = client_and_store(tmp_path)
    reports: list[str | None] = []
    store.report = reports.append
    (tmp_path / "db.json").write_text('{\n  "posts": [\n    {"id": 1,}\n  ]\n}')
    assert len(api.get("/posts").json()) == 5
    assert len(reports) == 1 and reports[0] is not None
    assert "db.json: invalid JSON at line 3, column 14" in reports[0]
    assert "still serving the last good data" in reports[0]
    api.get("/posts")
    assert len(reports) == 1  # the broken file is not parsed again on every request
    write_db(tmp_path)
    assert len(api.get("/posts").json()) == 5 and reports[-1] is None


def test_reset_restores_the_start_up_data(tmp_path: Path) -> None:
    api, store = client_and_store(tmp_path)
    api.post("/posts", json={"title": "gone after reset"})
    api.delete("/posts/1")
    counts = anyio.run(store.reset)
    assert counts["posts"] == 5 and counts["profile"] == "object"
    assert on_disk(tmp_path) == SAMPLE
    assert api.post("/posts", json={}).json()["id"] == 6  # ids start over from the data


@pytest.mark.parametrize(
    ("cors", "exposed"),
    [
        ("on", {"link", "x-total-count"}),
        ("*", {"*"}),
        ({"allow_origins": ["http://localhost:8000"]}, {"x-total-count", "link"}),
        (
            {"allow_origins": ["http://localhost:8000"], "expose_headers": ["X-Trace"]},
            {"x-trace", "x-total-count", "link"},
        ),
    ],
)
def test_paging_headers_are_exposed_whenever_cors_is_on(
    tmp_path: Path, cors: object, exposed: set[str]
) -> None:
    api = client(tmp_path, cors=cors)
    response = api.get("/posts?_page=1&_limit=2", headers={"Origin": "http://localhost:8000"})
    header = response.headers["access-control-expose-headers"]
    assert {name.strip().lower() for name in header.split(",")} >= exposed
    created = api.post("/posts", json={}, headers={"Origin": "http://localhost:8000"})
    assert "location" in created.headers["access-control-expose-headers"].lower() or cors == "*"


def test_the_written_file_keeps_json_servers_format(tmp_path: Path) -> None:
    api = client(tmp_path)
    api.patch("/profile", json={"city": "Zürich", "ratio": 2.0})
    text = (tmp_path / "db.json").read_text(encoding="utf-8")
    assert '  "profile": {\n    "name": "typicode",' in text and "Zürich" in text
    assert json.loads(text)["profile"]["ratio"] == 2
