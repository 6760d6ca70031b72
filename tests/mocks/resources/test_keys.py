"""``id_field`` and ``foreign_key_suffix`` (json-server's ``--id`` and ``--foreignKeySuffix``)
in both dialects, and the checks of their values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.mocks.conftest import config_problems
from tests.mocks.resources.helpers import client, on_disk, write_db

# MongoDB-style data: `_id` ids, `post_id` and `user_id` foreign keys.
MONGO: dict[str, Any] = {
    "posts": [{"_id": 1, "title": "a", "user_id": 1}, {"_id": 2, "title": "b", "user_id": 2}],
    "comments": [
        {"_id": 1, "body": "x", "post_id": 1},
        {"_id": 2, "body": "y", "post_id": 1},
        {"_id": 3, "body": "z", "post_id": 2},
    ],
    "users": [{"_id": 1, "name": "Ada"}, {"_id": 2, "name": "Bob"}],
}
KEYS = {"id_field": "_id", "foreign_key_suffix": "_id"}


def test_the_017_dialect_uses_the_id_field_and_the_suffix_everywhere(tmp_path: Path) -> None:
    write_db(tmp_path, MONGO)
    api = client(tmp_path, **KEYS)
    assert api.get("/posts/2").json() == MONGO["posts"][1]
    assert [c["_id"] for c in api.get("/posts/1/comments").json()] == [1, 2]
    assert api.get("/posts/1?_embed=comments").json()["comments"] == MONGO["comments"][:2]
    assert api.get("/comments/3?_expand=post").json()["post"] == MONGO["posts"][1]
    created = api.post("/posts", json={"title": "c"})
    assert created.status_code == 201 and created.json() == {"title": "c", "_id": 3}
    assert created.headers["location"] == "http://127.0.0.1:8001/posts/3"
    nested = api.post("/posts/2/comments", json={"body": "w"}).json()
    assert nested == {"body": "w", "post_id": "2", "_id": 4}
    assert api.put("/posts/3", json={"title": "C", "_id": 9}).json() == {"title": "C", "_id": 3}
    patched = api.patch("/posts/3", json={"_id": 9, "extra": True}).json()
    assert patched == {"title": "C", "_id": 3, "extra": True}
    taken = api.post("/posts", json={"_id": 1})
    assert taken.status_code == 409 and 'leave out "_id"' in taken.json()["error"]
    assert api.delete("/posts/1").json() == {}
    # Its comments pointed at it through post_id: they go too, as json-server's clean-up does.
    assert [c["_id"] for c in on_disk(tmp_path)["comments"]] == [3, 4]
    assert api.get("/posts/1").status_code == 404


def test_the_v1_dialect_uses_the_id_field_and_the_suffix(tmp_path: Path) -> None:
    write_db(tmp_path, MONGO)
    api = client(tmp_path, dialect="v1", **KEYS)
    assert api.get("/posts/2").json() == {**MONGO["posts"][1], "_id": "2"}  # ids are strings
    embedded = api.get("/posts/1?_embed=comments").json()["comments"]
    assert embedded == []  # `===`: the comments' post_id is the number 1, the id "1"
    created = api.post("/posts", json={"title": "c", "_id": "mine"}).json()
    assert created["title"] == "c" and len(created["_id"]) == 11  # a new id, as 1.0 makes
    comment = api.post("/comments", json={"body": "w", "post_id": created["_id"]}).json()
    assert api.get(f"/comments/{comment['_id']}?_embed=post").json()["post"] == created
    assert api.get(f"/posts/{created['_id']}?_embed=comments").json()["comments"] == [comment]
    assert api.put(f"/posts/{created['_id']}", json={"t": 1}).json() == {
        "t": 1,
        "_id": created["_id"],
    }
    removed = api.delete(f"/posts/{created['_id']}?_dependent=comments")
    assert removed.json()["_id"] == created["_id"]
    assert [c["body"] for c in on_disk(tmp_path)["comments"]] == ["x", "y", "z"]


def test_the_defaults_are_json_servers(tmp_path: Path) -> None:
    data = {"posts": [{"id": 1, "_id": 7}], "comments": [{"id": 1, "postId": 1, "post_id": 7}]}
    write_db(tmp_path, data)
    api = client(tmp_path)
    assert api.get("/posts/1?_embed=comments").json()["comments"] == data["comments"]
    assert api.get("/posts/7").status_code == 404


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("id_field", "", "not empty"),
        ("id_field", "a.b", "no '.'"),
        ("foreign_key_suffix", "", "not empty"),
        ("foreign_key_suffix", "[0]", "no '.', '[' or ']'"),
        ("id_field", 5, "string"),
    ],
)
def test_field_names_are_checked(tmp_path: Path, key: str, value: Any, words: str) -> None:
    write_db(tmp_path)
    problems = config_problems(tmp_path, {"resources": "db.json", key: value})
    assert len(problems) == 1 and problems[0].startswith(f"origins.api.{key}: ")
    assert words in problems[0], problems[0]


@pytest.mark.parametrize("key", ["id_field", "foreign_key_suffix", "resources_routes"])
def test_the_options_need_resources(tmp_path: Path, key: str) -> None:
    (tmp_path / "routes.json").write_text(json.dumps({"/a": "/b"}))
    value = "routes.json" if key == "resources_routes" else "_id"
    problems = config_problems(tmp_path, {key: value})
    assert problems == [
        f'origins.api.{key}: only applies to resources; add resources = "db.json" or remove it'
    ]
