"""Parity: json-server 1.0.0-beta.15 and devserve with ``dialect = "v1"`` answer alike."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.mocks.resources.sidebyside import side_by_side
from tests.support.peers import peer

# Numeric ids (1.0 makes them strings when it reads the file), string ids, nested objects,
# floats, booleans, nulls, missing fields, mixed case and accents, foreign keys both ways.
DATA: dict[str, Any] = {
    "posts": [
        {"id": 1, "title": "json-server", "author": {"name": "typicode", "age": 30},
         "views": 100, "tags": ["a", "b"], "userId": "1"},
        {"id": 2, "title": "Hello World", "author": {"name": "Ada", "age": 25}, "views": 20,
         "userId": "2", "rating": None},
        {"id": "3", "title": "third post", "views": 5.5, "draft": True, "userId": "1"},
        {"id": "4", "title": "Zürich café", "views": 20, "userId": "3", "draft": False},
        {"id": "5", "title": "hello again", "author": {"name": "ada"}, "views": 250,
         "userId": "2"},
        {"id": "6", "title": "ábc", "views": "30", "userId": 2},
    ],
    "comments": [
        {"id": "1", "body": "some comment", "postId": "1"},
        {"id": "2", "body": "another one", "postId": "1"},
        {"id": "3", "body": "hi", "postId": "2"},
        {"id": "4", "body": "orphan", "postId": "99"},
        {"id": "5", "body": "no post", "postId": None},
    ],
    "users": [{"id": "1", "name": "Typi"}, {"id": "2", "name": "Ada"}, {"id": "3", "name": "Zed"}],
    "profile": {"name": "typicode", "languages": ["js"]},
}  # fmt: skip

REQUESTS: list[tuple[str, str, Any]] = [
    ("GET", "/posts", None),
    ("GET", "/posts/1", None),
    ("GET", "/posts/3", None),
    ("GET", "/posts/999", None),
    ("GET", "/posts/", None),
    ("GET", "/posts?title=json-server", None),
    ("GET", "/posts?id=1", None),
    ("GET", "/posts?userId=1", None),
    ("GET", "/posts?views=20", None),
    ("GET", "/posts?views:eq=20", None),
    ("GET", "/posts?views:ne=20", None),
    ("GET", "/posts?views:gt=20", None),
    ("GET", "/posts?views:gte=20", None),
    ("GET", "/posts?views:lt=20", None),
    ("GET", "/posts?views:lte=20", None),
    ("GET", "/posts?views:gt=10&views:lt=200", None),
    ("GET", "/posts?views:gt=abc", None),
    ("GET", "/posts?title:gte=h", None),
    ("GET", "/posts?title:lt=Z", None),
    ("GET", "/posts?views_gte=20", None),
    ("GET", "/posts?id_ne=3", None),
    ("GET", "/posts?title_like=hello", None),
    ("GET", "/posts?id:in=3,4,9", None),
    ("GET", "/posts?views:in=20, 250", None),
    ("GET", "/posts?title:contains=HELLO", None),
    ("GET", "/posts?title:startsWith=hello", None),
    ("GET", "/posts?title:endsWith=CAFÉ", None),
    ("GET", "/posts?author.name:eq=Ada", None),
    ("GET", "/posts?author.age:gte=26", None),
    ("GET", "/posts?draft=true", None),
    ("GET", "/posts?draft:ne=true", None),
    ("GET", "/posts?rating=null", None),
    ("GET", "/posts?views:foo=1", None),
    ("GET", "/posts?nope=1", None),
    ("GET", "/posts?or=1", None),
    ("GET", '/posts?_where={"or":[{"views":{"gt":100}},{"author":{"name":{"eq":"Ada"}}}]}', None),
    ("GET", '/posts?_where={"views":{"lte":20}}&views:gt=100', None),
    ("GET", "/posts?_where=notjson&views:gt=100", None),
    ("GET", '/posts?_where={"views":20}', None),
    ("GET", "/posts?_sort=views", None),
    ("GET", "/posts?_sort=-views", None),
    ("GET", "/posts?_sort=userId,-views", None),
    ("GET", "/posts?_sort=title", None),
    ("GET", "/posts?_sort=-title", None),
    ("GET", "/posts?_sort=author.name", None),
    ("GET", "/posts?_sort=-rating,id", None),
    ("GET", "/posts?_sort=draft", None),
    ("GET", "/posts?_page=1", None),
    ("GET", "/posts?_page=1&_per_page=2", None),
    ("GET", "/posts?_page=2&_per_page=2", None),
    ("GET", "/posts?_page=9&_per_page=2", None),
    ("GET", "/posts?_page=0&_per_page=0", None),
    ("GET", "/posts?_page=abc&_per_page=2", None),
    ("GET", "/posts?_page=1.7&_per_page=4.2", None),
    ("GET", "/posts?_page=2&_per_page=2&_sort=-views&views:gte=10", None),
    ("GET", "/posts?_limit=2", None),
    ("GET", "/posts?_start=1&_end=3", None),
    ("GET", "/posts?q=hello", None),
    ("GET", "/posts?_embed=comments", None),
    ("GET", "/posts/1?_embed=comments", None),
    ("GET", "/posts?_embed=user", None),
    ("GET", "/comments?_embed=post", None),
    ("GET", "/comments/1?_embed=post", None),
    ("GET", "/posts?_embed=comments&_embed=user&comments:ne=x", None),
    ("GET", "/posts?_embed=nothing", None),
    ("GET", "/posts?_page=1&_per_page=2&_embed=comments", None),
    ("GET", "/comments?_page=1", None),
    ("GET", "/profile", None),
    ("GET", "/profile?_sort=name", None),
    ("GET", "/posts/1/comments", None),
    ("GET", "/profile/1", None),
    ("PUT", "/posts", {"title": "no"}),
    ("DELETE", "/posts", None),
    ("DELETE", "/profile", None),
    ("POST", "/posts/1", {"title": "no"}),
    ("POST", "/profile", {"title": "no"}),
    ("POST", "/posts", [1, 2]),
    ("POST", "/posts", {"title": "new", "views": 7, "userId": "2"}),
    ("POST", "/posts", {"id": "50", "title": "explicit id is replaced"}),
    ("POST", "/posts", None),
    ("PUT", "/posts/2", {"title": "replaced", "userId": "1"}),
    ("PUT", "/posts/2", {"id": "77", "title": "id stays"}),
    ("PATCH", "/posts/3", {"views": 9, "id": "100", "author": {"name": "new"}}),
    ("PATCH", "/posts/3", "not an object"),
    ("PUT", "/posts/999", {"title": "missing"}),
    ("PATCH", "/posts/999", {"title": "missing"}),
    ("DELETE", "/posts/999", None),
    ("DELETE", "/posts/1", None),
    ("GET", "/comments", None),
    ("DELETE", "/posts/2?_dependent=comments", None),
    ("GET", "/comments", None),
    ("DELETE", "/users/1", None),
    ("PATCH", "/profile", {"age": 3}),
    ("PUT", "/profile", {"name": "replaced"}),
    ("GET", "/posts", None),
    ("GET", "/users", None),
]

# 1.0's generated ids are random: 11 base64url characters. They are compared as a placeholder.
_RANDOM_ID = re.compile(r"[A-Za-z0-9_-]{11}")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """json-server 1.0 and devserve (dialect = "v1"), each on its own copy of the same file."""
    cli = peer("json-server-v1") / "lib" / "bin.js"
    with side_by_side(tmp_path, cli, options=[], origin={"dialect": "v1"}, data=DATA) as bases:
        yield bases


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: "RANDOM-ID"
            if key == "id" and isinstance(item, str) and _RANDOM_ID.fullmatch(item)
            else _masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _send(client: httpx.Client, base: str, method: str, path: str, body: Any) -> httpx.Response:
    if isinstance(body, str):
        return client.request(method, base + path, content=json.dumps(body))
    return client.request(method, base + path, json=body)


def _seen(response: httpx.Response) -> dict[str, Any]:
    """What a client compares: the status and the JSON body (random ids masked)."""
    return {"status": response.status_code, "body": _masked(response.json())}


def test_same_answers_as_json_server_1(servers: tuple[str, str]) -> None:
    assert len(REQUESTS) >= 80
    js_base, ds_base = servers
    differences = []
    with httpx.Client(timeout=10) as client:
        for method, path, body in REQUESTS:
            expected = _seen(_send(client, js_base, method, path, body))
            actual = _seen(_send(client, ds_base, method, path, body))
            if expected != actual:
                differences.append(
                    f"{method} {path}\n  json-server: {expected}\n  devserve:    {actual}"
                )
    assert not differences, "\n".join(differences)


def test_created_ids_are_random_11_character_strings_on_both(servers: tuple[str, str]) -> None:
    with httpx.Client(timeout=10) as client:
        made = [client.post(f"{base}/users", json={"name": "new"}).json() for base in servers]
    for created in made:
        assert _RANDOM_ID.fullmatch(created["id"]), created
