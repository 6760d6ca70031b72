"""Parity: json-server 0.17.4 and devserve answer the same requests on the same data alike."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devserve.mocks.resources.inflect import plural, singular
from tests.mocks.resources.sidebyside import side_by_side
from tests.support.peers import node, peer

# (method, path, body); a body of str is sent as a form. Reads first, then writes in sequence:
# each write changes what the following requests see, on both servers.
REQUESTS: list[tuple[str, str, Any]] = [
    ("GET", "/posts", None),
    ("GET", "/posts/1", None),
    ("GET", "/posts/999", None),
    ("GET", "/posts/abc", None),
    ("GET", "/posts/", None),
    ("GET", "/tags/x2", None),
    ("GET", "/posts?title=json-server", None),
    ("GET", "/posts?id=1&id=3", None),
    ("GET", "/posts?author.name=ada", None),
    ("GET", "/posts?author.name=Ada&author.name=typicode", None),
    ("GET", "/posts?draft=true", None),
    ("GET", "/posts?views=5.5", None),
    ("GET", "/posts?rating=null", None),
    ("GET", "/posts?views_gte=20", None),
    ("GET", "/posts?views_lte=20", None),
    ("GET", "/posts?views_gte=10&views_lte=100", None),
    ("GET", "/posts?views_gte=abc", None),
    ("GET", "/posts?title_gte=h", None),
    ("GET", "/posts?id_ne=1", None),
    ("GET", "/posts?id_ne=1&id_ne=2", None),
    ("GET", "/posts?title_like=hello", None),
    ("GET", "/posts?title_like=^h", None),
    ("GET", "/posts?title_like=o.*d&title_like=caf", None),
    ("GET", "/posts?author.name_like=^a", None),
    ("GET", "/posts?tags=a,b", None),
    ("GET", "/posts?nope=1", None),
    ("GET", "/posts?q=typi", None),
    ("GET", "/posts?q=WORLD", None),
    ("GET", "/posts?q=25", None),
    ("GET", "/posts?q=z%C3%BCrich", None),
    ("GET", "/posts?_sort=views", None),
    ("GET", "/posts?_sort=views&_order=desc", None),
    ("GET", "/posts?_sort=userId,views&_order=desc,asc", None),
    ("GET", "/posts?_sort=author.name", None),
    ("GET", "/posts?_sort=title&_order=DESC", None),
    ("GET", "/posts?_sort=draft,id&_order=asc,desc", None),
    ("GET", "/posts?_sort=rating&_order=desc", None),
    ("GET", "/posts?_sort=author.name&_order=desc", None),
    ("GET", "/posts?_sort=title,nope", None),
    ("GET", "/posts?_page=1", None),
    ("GET", "/posts?_page=1&_limit=2", None),
    ("GET", "/posts?_page=2&_limit=2", None),
    ("GET", "/posts?_page=3&_limit=2", None),
    ("GET", "/posts?_page=9&_limit=2", None),
    ("GET", "/posts?_page=0&_limit=2", None),
    ("GET", "/posts?_page=2&_limit=2&_sort=views&_order=desc&views_gte=10", None),
    ("GET", "/posts?_limit=2", None),
    ("GET", "/posts?_start=1&_limit=2", None),
    ("GET", "/posts?_start=1&_end=3", None),
    ("GET", "/posts?_end=2", None),
    ("GET", "/posts?_start=-2&_end=-1", None),
    ("GET", "/posts?_embed=comments", None),
    ("GET", "/posts/1?_embed=comments", None),
    ("GET", "/posts?_expand=user", None),
    ("GET", "/comments?_expand=post", None),
    ("GET", "/comments/1?_expand=post", None),
    ("GET", "/posts/2?_embed=comments&_expand=user", None),
    ("GET", "/posts/1/comments", None),
    ("GET", "/posts/1/comments?_sort=id&_order=desc", None),
    ("GET", "/users/2/posts?_page=1&_limit=1", None),
    ("GET", "/profile", None),
    ("GET", "/db", None),
    ("PUT", "/posts", {"title": "no"}),
    ("DELETE", "/posts", None),
    ("DELETE", "/profile", None),
    ("POST", "/posts/1", {"title": "no"}),
    ("POST", "/posts", {"title": "new", "views": 7, "userId": 2}),
    ("GET", "/posts?_sort=id&_order=desc&_limit=1", None),
    ("POST", "/posts", {"id": 50, "title": "explicit id"}),
    ("POST", "/posts", {"title": "after the explicit id"}),
    ("POST", "/posts", {"id": 0, "title": "falsy id is replaced"}),
    ("POST", "/posts", "title=from+a+form&views=3"),
    ("POST", "/posts", None),
    ("PUT", "/posts/2", {"title": "replaced", "userId": 1}),
    ("PATCH", "/posts/3", {"views": 9, "id": 100, "author": {"name": "new"}}),
    ("PUT", "/posts/999", {"title": "missing"}),
    ("PATCH", "/posts/999", {"title": "missing"}),
    ("DELETE", "/posts/999", None),
    ("POST", "/posts/1/comments", {"body": "nested"}),
    ("GET", "/posts/1/comments", None),
    ("DELETE", "/posts/1", None),
    ("GET", "/comments", None),
    ("DELETE", "/users/3", None),
    ("PATCH", "/profile", {"age": 3}),
    ("PUT", "/profile", {"name": "replaced"}),
    ("POST", "/profile", {"created": True}),
    ("GET", "/posts?_page=2&_limit=3", None),
    ("GET", "/db", None),
]


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """json-server and devserve, each on its own copy of the same data file."""
    cli = peer("json-server") / "lib" / "cli" / "bin.js"
    with side_by_side(tmp_path, cli, options=["--quiet"], origin={}) as bases:
        yield bases


def _send(client: httpx.Client, base: str, method: str, path: str, body: Any) -> httpx.Response:
    if isinstance(body, str):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return client.request(method, base + path, content=body, headers=headers)
    return client.request(method, base + path, json=body)


def _seen(response: httpx.Response, base: str) -> dict[str, Any]:
    """What a client compares: status, JSON body, and the headers that carry meaning."""
    headers = {
        name: response.headers.get(name, "").replace(base, "BASE")
        for name in ("x-total-count", "link", "location")
        if name in response.headers
    }
    try:
        body = response.json()
    except json.JSONDecodeError:
        body = response.text
    return {"status": response.status_code, "body": body, "headers": headers}


def test_same_answers_as_json_server(servers: tuple[str, str]) -> None:
    assert len(REQUESTS) >= 50
    js_base, ds_base = servers
    differences = []
    with httpx.Client(timeout=10) as client:
        for method, path, body in REQUESTS:
            expected = _seen(_send(client, js_base, method, path, body), js_base)
            actual = _seen(_send(client, ds_base, method, path, body), ds_base)
            if expected != actual:
                differences.append(
                    f"{method} {path}\n  json-server: {expected}\n  devserve:    {actual}"
                )
    assert not differences, "\n".join(differences)


def test_string_ids_are_seven_character_nanoids_like_json_servers(
    servers: tuple[str, str],
) -> None:
    with httpx.Client(timeout=10) as client:
        made = [client.post(f"{base}/tags", json={"label": "green"}) for base in servers]
    for response in made:
        assert response.status_code == 201
        created = response.json()
        assert created["label"] == "green"
        assert len(created["id"]) == 7 and created["id"].replace("_", "").replace("-", "").isalnum()


WORDS = [
    "posts",
    "comments",
    "users",
    "people",
    "categories",
    "children",
    "data",
    "news",
    "boxes",
    "wives",
    "analyses",
    "movies",
    "statuses",
    "buses",
    "matrices",
    "mice",
    "sheep",
    "series",
    "octopi",
    "quizzes",
    "heroes",
    "photos",
    "todos",
    "addresses",
    "indices",
    "criteria",
    "geese",
    "teeth",
    "media",
    "analytics",
    "Posts",
    "USERS",
    "leaves",
    "halves",
    "wolves",
    "cacti",
    "aliases",
    "oxen",
    "dice",
    "thieves",
    "grooves",
    "passersby",
    "zombies",
    "movies",
    "shoes",
    "fish",
    "pokémon",
]


def test_names_derive_as_npm_pluralize_derives_them(tmp_path: Path) -> None:
    """Foreign keys and _expand tables come from pluralize: the same words must come out."""
    pluralize = peer("json-server").parent / "pluralize"
    script = (
        f"const p = require({json.dumps(str(pluralize))});"
        f"const words = {json.dumps(WORDS)};"
        "console.log(JSON.stringify([words.map((w) => p.singular(w)), words.map((w) => p(w))]));"
    )
    output = subprocess.run(
        [node(), "-e", script], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    singulars, plurals = json.loads(output)
    assert [singular(w) for w in WORDS] == singulars
    assert [plural(w) for w in WORDS] == plurals


# Texts where JavaScript's regex syntax and RE2's differ: line terminators (`.`), Unicode
# spaces (`\s`), escapes (`\u00e9`, `\z`, `\Q`), empty classes (`[]`, `[^]`).
NOTES = [
    "line\nbreak",
    "carriage\rreturn",
    "para\u2028graph",
    "no\u00a0break space",
    "tab\there",
    "café crème",
    "Zürich",
    "zQ",
    "a]b",
    "a-b_c",
    "[x]",
    "",
]
LIKE_PATTERNS = [
    "line.break",
    "carriage.return",
    "para.graph",
    "tab.here",
    r"no\sbreak",
    r"no\Sbreak",
    r"[\s]space",
    r"caf\u00e9",
    r"CAF\u00c9",
    r"\x5bx",
    r"^z\Q",
    r"\z",
    "[^]",
    "[]",
    "a[^]]b",
    r"a\-b\_c",
    r"\[x\]",
    "^$",
    "ü",
    "ÜRICH$",
    r"\d",
    r"\w+-\w",
    r"\bb\b",
    "(?:c|x)rème",
    "x{1}]",
]


def test_like_patterns_read_as_javascript_reads_them(tmp_path: Path) -> None:
    """devserve rewrites `_like` patterns for RE2; each must select the items RegExp does."""
    cli = peer("json-server") / "lib" / "cli" / "bin.js"
    data = {"notes": [{"id": index, "text": text} for index, text in enumerate(NOTES)]}
    differences = []
    with (
        side_by_side(tmp_path, cli, options=["--quiet"], origin={}, data=data) as bases,
        httpx.Client(timeout=10) as client,
    ):
        for pattern in LIKE_PATTERNS:
            seen = [
                client.get(f"{base}/notes", params={"text_like": pattern}).json()
                for base in bases
            ]
            if seen[0] != seen[1]:
                differences.append(f"{pattern!r}: json-server {seen[0]}, devserve {seen[1]}")
    assert not differences, "\n".join(differences)
