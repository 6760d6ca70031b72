"""json-server 1.0.0-beta.15's own ``src/app.test.ts`` (tag v1.0.0-beta.15), ported: the same
data, requests (already over HTTP there) and expected answers, in the same order, sent to
json-server 1.0 and to devserve with ``dialect = "v1"``, each on its own copy of the data.

The test serves a static folder holding ``file.html`` (``static: [tmpDir]``); both servers
get one. ``GET /`` is json-server's own home page and ``/test.html`` a file of json-server's
repository: devserve has neither (the README's differences table), so those two are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from starlette.testclient import TestClient

from devserve.serving.origin import build_origin
from tests.mocks.resources.sidebyside import json_server
from tests.support.configs import build_config
from tests.support.peers import peer

DATA = {
    "posts": [{"id": "1", "title": "foo"}],
    "comments": [{"id": "1", "postId": "1"}],
    "object": {"f1": "foo"},
}
POSTS, POST_1, POST_NOT_FOUND = "/posts", "/posts/1", "/posts/-1"
OBJECT, OBJECT_1, NOT_FOUND = "/object", "/object/1", "/not-found"
JSON_SERVERS_OWN = {"/", "/test.html"}

# (method, url, status): app.test.ts's table; every 404 must answer {"error": "Not Found"}.
STATUSES: list[tuple[str, str, int]] = [
    ("GET", "/", 200),
    ("GET", "/test.html", 200),
    ("GET", "/file.html", 200),
    ("OPTIONS", POSTS, 204),
    ("GET", POSTS, 200),
    ("GET", "/posts?_embed=comments", 200),
    ("GET", POST_1, 200),
    ("GET", POST_NOT_FOUND, 404),
    ("GET", "/posts/1?_embed=comments", 200),
    ("GET", "/comments", 200),
    ("GET", "/comments?postId=1", 200),
    ("GET", OBJECT, 200),
    ("GET", OBJECT_1, 404),
    ("GET", NOT_FOUND, 404),
    ("POST", POSTS, 201),
    ("POST", POST_1, 404),
    ("POST", POST_NOT_FOUND, 404),
    ("POST", OBJECT, 404),
    ("POST", OBJECT_1, 404),
    ("POST", NOT_FOUND, 404),
    ("PUT", POSTS, 404),
    ("PUT", POST_1, 200),
    ("PUT", OBJECT, 200),
    ("PUT", OBJECT_1, 404),
    ("PUT", POST_NOT_FOUND, 404),
    ("PUT", NOT_FOUND, 404),
    ("PATCH", POSTS, 404),
    ("PATCH", POST_1, 200),
    ("PATCH", OBJECT, 200),
    ("PATCH", OBJECT_1, 404),
    ("PATCH", POST_NOT_FOUND, 404),
    ("PATCH", NOT_FOUND, 404),
    ("DELETE", POSTS, 404),
    ("DELETE", POST_1, 200),
    ("DELETE", OBJECT, 404),
    ("DELETE", OBJECT_1, 404),
    ("DELETE", POST_NOT_FOUND, 404),
    ("DELETE", NOT_FOUND, 404),
]
WHERE = quote(json.dumps({"title": {"eq": "foo"}}, separators=(",", ":")), safe="")
# (title, method, url, JSON body or None, status, expected JSON): the five tests after it.
BODY_CHECKS: list[tuple[str, str, str, Any, int, Any]] = [
    ("GET /posts?_where=... uses JSON query", "GET", f"/posts?_where={WHERE}", None, 200,
     [{"id": "1", "title": "foo"}]),
    ("GET /posts?_where=... overrides query params", "GET", f"/posts?title:eq=bar&_where={WHERE}",
     None, 200, [{"id": "1", "title": "foo"}]),
    ("POST /posts with array body returns 400", "POST", POSTS, [{"title": "foo"}], 400,
     {"error": "Body must be a JSON object"}),
    ("PATCH /posts/1 with string body returns 400", "PATCH", POST_1, "hello", 400,
     {"error": "Body must be a JSON object"}),
    ("PUT /posts/1 with null body returns 400", "PUT", POST_1, None, 400,
     {"error": "Body must be a JSON object"}),
]  # fmt: skip


def _fresh(folder: Path) -> Path:
    """A folder with the test's data and its static folder (``static: [tmpDir]``)."""
    folder.mkdir()
    (folder / "db.json").write_text(json.dumps(DATA))
    (folder / "static").mkdir()
    (folder / "static" / "file.html").write_text("utf-8")  # what app.test.ts writes there
    return folder


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except json.JSONDecodeError:
        return response.text


def _status_problem(client: httpx.Client, method: str, url: str, status: int) -> str | None:
    response = client.request(method, url)
    if response.status_code != status:
        return f"{method} {url}: {response.status_code}, expected {status}"
    if status == 404:
        body = _json(response)
        if body != {"error": "Not Found"}:
            return f"{method} {url}: 404 with {body!r}, expected {{'error': 'Not Found'}}"
    return None


def status_table(client: httpx.Client, skip: set[str]) -> list[str]:
    """The table's tests, in order (they share the data, as in app.test.ts)."""
    return [
        problem
        for method, url, status in STATUSES
        if url not in skip and (problem := _status_problem(client, method, url, status))
    ]


def body_checks(client: httpx.Client) -> list[str]:
    """The five tests after the table; the first puts the data back (a fresh server here)."""
    failed = []
    for title, method, url, body, status, expected in BODY_CHECKS:
        # fetch sends `JSON.stringify(body)`: "null" and "\"hello\"" included
        content = json.dumps(body) if method != "GET" else None
        headers = {"Content-Type": "application/json"} if content is not None else {}
        response = client.request(method, url, content=content, headers=headers)
        if (response.status_code, _json(response)) != (status, expected):
            failed.append(f"{title}: {response.status_code} {response.text}")
    return failed


def test_json_server_1_passes_its_own_app_test(tmp_path: Path) -> None:
    """The port is faithful: json-server 1.0.0-beta.15 passes all 43."""
    assert len(STATUSES) + len(BODY_CHECKS) == 43
    cli = peer("json-server-v1") / "lib" / "bin.js"
    failed = []
    for run in ("table", "bodies"):
        folder = _fresh(tmp_path / run)
        # The repository's public/test.html: json-server serves ./public of its directory.
        (folder / "public").mkdir()
        (folder / "public" / "test.html").write_text("<!doctype html>")
        with (
            json_server(folder, cli, ["--static", str(folder / "static")]) as base,
            httpx.Client(base_url=base, timeout=10) as client,
        ):
            failed += status_table(client, set()) if run == "table" else body_checks(client)
    assert failed == []


def devserve_v1(folder: Path) -> TestClient:
    """An origin with ``dialect = "v1"`` on the test's data, serving its static folder."""
    origin = {"port": 8001, "resources": "db.json", "dialect": "v1", "static": "static"}
    config = build_config(folder, {"api": origin})
    app = build_origin("api", config.origins["api"], config.devserve).app
    return TestClient(app, base_url="http://localhost")


def test_devserve_v1_passes_json_server_1s_app_test(tmp_path: Path) -> None:
    """devserve passes the 41 that are not about json-server's own files."""
    failed = status_table(devserve_v1(_fresh(tmp_path / "table")), JSON_SERVERS_OWN)
    failed += body_checks(devserve_v1(_fresh(tmp_path / "bodies")))
    assert failed == []
