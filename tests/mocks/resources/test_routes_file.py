"""``resources_routes``: json-server's ``--routes`` file, rewriting URLs as json-server does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from devserve.live.events import CONFIG
from devserve.mocks.resources.rewrite import compile_rule, rewrite
from devserve.serving.origin import build_origin
from tests.mocks.conftest import config_problems
from tests.mocks.resources.helpers import SAMPLE, write_db
from tests.mocks.resources.sidebyside import side_by_side
from tests.support.configs import build_config, config_toml
from tests.support.peers import node, peer
from tests.support.process import StartDevserve, free_ports
from tests.support.sse import EventReader

# Keys in every shape path-to-regexp 1.x reads: parameters with and without a prefix, optional
# and repeated ones, custom patterns, unnamed groups, `*`, escapes, a `.` prefix, the query.
PATTERNS = [
    ("/api/*", "/$1"),
    ("/blog/:resource/:id/show", "/:resource/:id"),
    ("/comments/special/:userId-:body", "/comments/?userId=:userId&body=:body"),
    ("/articles\\?_id=:id", "/posts/:id"),
    ("/v2/:resource/:id?", "/:resource/:id"),
    ("/n/:id(\\d+)", "/posts/:id"),
    ("/many/:path+", "/x/:path"),
    ("/any/:path*", "/x/:path"),
    ("/files/:name.:ext", "/files/:ext/:name"),
    ("/f/*.json", "/$1"),
    ("/(foo|bar)/:id", "/$1s/$2"),
    ("/paged/:page", "/posts?_page=:page&_limit=2"),
    ("/first", "/posts?_limit=1"),
    ("/posts/:id", "/things/:id"),
    ("/:a/:b", "/$2/$1"),
    ("/Static/Path/", "/somewhere"),
    ("/:resource", "/$0"),
]
URLS = [
    "/api/posts", "/API/Posts/1", "/api/posts?_page=2&_limit=2", "/api/", "/api",
    "/blog/posts/1/show", "/blog/posts/1/show/", "/blog/posts/1/show?x=1",
    "/comments/special/1-quux", "/comments/special/1-2-3", "/comments/special/-x",
    "/articles?_id=1", "/articles?_id=1&more=2", "/v2/posts", "/v2/posts/", "/v2/posts/7",
    "/n/12", "/n/abc", "/many/a/b/c", "/many", "/any", "/any/a/b", "/files/report.pdf",
    "/files/a.b.c", "/f/data.json", "/f/x/y.json", "/foo/1", "/BAR/2", "/baz/3",
    "/paged/3", "/first", "/first?x=1", "/posts/1", "/posts/1?_embed=comments",
    "/posts/a%20b", "/a/b", "/a/b/", "/static/path", "/static/path/", "/x", "/",
]  # fmt: skip


def _rewritten_by_express(pairs: list[tuple[str, str]], urls: list[str]) -> list[list[str]]:
    """express-urlrewrite's req.url after each single rule, for every URL."""
    module = peer("json-server").parent / "express-urlrewrite"
    script = f"""
const rewrite = require({json.dumps(str(module))});
const rules = {json.dumps(pairs)};
const urls = {json.dumps(urls)};
console.log(JSON.stringify(rules.map(([src, dst]) => urls.map((url) => {{
  const req = {{ url, params: {{}} }};
  rewrite(src, dst)(req, {{}}, () => {{}});
  return req.url;
}}))));
"""
    output = subprocess.run(
        [node(), "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    result: list[list[str]] = json.loads(output.stdout)
    return result


def test_each_rule_rewrites_every_url_as_express_urlrewrite_does() -> None:
    expected = _rewritten_by_express(PATTERNS, URLS)
    differences = []
    for (source, target), wanted in zip(PATTERNS, expected, strict=True):
        rule = compile_rule(source, target)
        for url, express in zip(URLS, wanted, strict=True):
            ours = rewrite([rule], url) or url
            if ours != express:
                differences.append(f"{source!r} on {url!r}: express {express!r}, devserve {ours!r}")
    assert not differences, "\n".join(differences)


def test_rules_apply_one_after_the_other() -> None:
    rules = [compile_rule("/api/*", "/$1"), compile_rule("/blog/:id", "/posts/:id")]
    assert rewrite(rules, "/api/blog/3") == "/posts/3"
    assert rewrite(rules, "/elsewhere") is None


ROUTES = {
    "/api/*": "/$1",
    "/blog/:resource/:id/show": "/:resource/:id",
    "/by-user/:userId": "/posts?userId=:userId",
    "/paged/:page": "/posts?_page=:page&_limit=2",
    "/first": "/posts?_limit=1",
    "/v2/:resource/:id?": "/:resource/:id",
    "/n/:id(\\d+)": "/posts/:id",
}
# (method, path, JSON body): requests that reach a resource through the rules (answers to
# unknown paths differ on purpose, so none is here).
REQUESTS: list[tuple[str, str, Any]] = [
    ("GET", "/api/posts", None),
    ("GET", "/API/posts/1", None),
    ("GET", "/api/posts?title=json-server", None),
    ("GET", "/api/posts?_page=2&_limit=2", None),
    ("GET", "/api/posts/1/comments", None),
    ("GET", "/api/tags/x%32", None),
    ("GET", "/api/db", None),
    ("GET", "/blog/posts/1/show", None),
    ("GET", "/blog/users/2/show", None),
    ("GET", "/by-user/2", None),
    ("GET", "/paged/2", None),
    ("GET", "/first", None),
    ("GET", "/v2/posts", None),
    ("GET", "/v2/posts/3", None),
    ("GET", "/n/4", None),
    ("GET", "/__rules", None),
    ("POST", "/api/posts", {"title": "through the rules"}),
    ("PATCH", "/blog/posts/2/show", {"title": "patched"}),
    ("DELETE", "/api/posts/1", None),
    ("GET", "/api/comments", None),
]


def _seen(response: httpx.Response, base: str) -> dict[str, Any]:
    headers = {
        name: response.headers[name].replace(base, "BASE")
        for name in ("x-total-count", "link", "location")
        if name in response.headers
    }
    return {"status": response.status_code, "body": response.json(), "headers": headers}


def test_a_routes_file_answers_as_json_servers_routes_option(tmp_path: Path) -> None:
    cli = peer("json-server") / "lib" / "cli" / "bin.js"
    files = {"routes.json": json.dumps(ROUTES)}
    options = ["--quiet", "--routes", "routes.json"]
    differences = []
    with (
        side_by_side(
            tmp_path, cli, options=options, origin={"resources_routes": "routes.json"}, files=files
        ) as bases,
        httpx.Client(timeout=10) as client,
    ):
        for method, path, body in REQUESTS:
            js, ds = (
                _seen(client.request(method, base + path, json=body), base) for base in bases
            )
            if js != ds:
                differences.append(f"{method} {path}\n  json-server: {js}\n  devserve:    {ds}")
    assert not differences, "\n".join(differences)


def _client(folder: Path, **origin: Any) -> TestClient:
    config = build_config(folder, {"api": {"port": 8001, "resources": "db.json", **origin}})
    app = build_origin("api", config.origins["api"], config.devserve).app
    return TestClient(app, base_url="http://localhost")


def test_rules_rewrite_below_the_prefix_and_what_they_miss_falls_through(tmp_path: Path) -> None:
    write_db(tmp_path)
    (tmp_path / "routes.json").write_text(json.dumps({"/v1/*": "/$1"}))
    api = _client(tmp_path, resources_prefix="/api", resources_routes="routes.json")
    assert api.get("/api/v1/posts/2").json() == SAMPLE["posts"][1]
    assert api.get("/api/posts/2").json() == SAMPLE["posts"][1]  # no rule: as before
    assert api.get("/v1/posts/2").status_code == 404  # outside the prefix: not rewritten
    assert api.get("/api/__rules").json() == {"/v1/*": "/$1"}
    missed = api.get("/api/v1/nothing")  # rewritten to no resource: the next layer's answer
    assert missed.status_code == 404 and "/api/v1/nothing" in missed.json()["error"]
    created = api.post("/api/v1/posts", json={"title": "new"})
    assert created.headers["location"] == "http://localhost/api/posts/6"


def test_an_edited_routes_file_is_used_at_once_and_a_broken_one_reported(
    tmp_path: Path,
) -> None:
    write_db(tmp_path)
    routes = tmp_path / "routes.json"
    routes.write_text(json.dumps({"/a/*": "/$1"}))
    config = build_config(
        tmp_path, {"api": {"port": 8001, "resources": "db.json", "resources_routes": "routes.json"}}
    )
    reports: list[tuple[str, str | None]] = []
    origin = build_origin(
        "api",
        config.origins["api"],
        config.devserve,
        report=lambda key, error: reports.append((key, error)),
    )
    api = TestClient(origin.app, base_url="http://localhost")
    assert api.get("/a/posts/1").status_code == 200
    routes.write_text(json.dumps({"/b/*": "/$1"}))
    assert api.get("/b/posts/1").status_code == 200 and api.get("/a/posts/1").status_code == 404
    routes.write_text('{"/c/*": "/$1",}')
    assert api.get("/b/posts/1").status_code == 200  # the last good rules keep rewriting
    assert len(reports) == 1 and reports[0][0] == "resources_routes"
    assert "invalid JSON at line 1, column 16" in str(reports[0][1])
    assert "still rewriting with the last good rules" in str(reports[0][1])
    assert origin.file_error("resources_routes") is not None
    routes.write_text(json.dumps({"/c/*": "/$1"}))
    assert api.get("/c/posts/1").status_code == 200
    assert reports[-1] == ("resources_routes", None)


def test_broken_edits_of_both_files_are_shown_together_until_fixed(
    tmp_path: Path, start_devserve: StartDevserve
) -> None:
    """The watcher reports each broken file (terminal, dashboard, page overlay) at once."""
    write_db(tmp_path)
    routes = tmp_path / "routes.json"
    routes.write_text(json.dumps({"/api/*": "/$1"}))
    (port,) = free_ports(1)
    origin = {"port": port, "resources": "db.json", "resources_routes": "routes.json"}
    server = start_devserve(config_toml({"api": origin}, {"dashboard_port": False}), ports=[port])
    events = EventReader(f"http://127.0.0.1:{port}/__devserve/events")
    routes.write_text('{"/v2/*": "/$1"')
    events.wait_for(CONFIG)
    assert "origins.api.resources_routes: " in events.data(CONFIG)[-1]["error"]
    (tmp_path / "db.json").write_text('{"posts": [}')
    events.wait_for(CONFIG, 2)
    both = events.data(CONFIG)[-1]["error"]
    assert "origins.api.resources_routes: " in both and "origins.api.resources: " in both
    assert "still rewriting with the last good rules" in server.output()
    assert len(httpx.get(f"http://127.0.0.1:{port}/api/posts").json()) == 5  # last good ones
    routes.write_text(json.dumps({"/v2/*": "/$1"}))
    events.wait_for(CONFIG, 3)
    assert "resources_routes" not in str(events.data(CONFIG)[-1]["error"])
    write_db(tmp_path)
    events.wait_for(CONFIG, 4)
    assert events.data(CONFIG)[-1] == {"error": None}
    assert len(httpx.get(f"http://127.0.0.1:{port}/v2/posts").json()) == 5


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (None, ["file not found; create it", "/$1"]),
        ('{"/a/*": "/$1",}', ["invalid JSON at line 1, column 16", "fix the file there"]),
        ('["/a"]', ["the top level is an array", "an object of rules"]),
        ('{"/a": 5}', ["rule '/a': the target is a number", '"/posts/:id"']),
        ('{"/a": ""}', ["rule '/a': the target is an empty string"]),
        ('{"/a/:id": "/posts/:pid"}', ["rule '/a/:id'", "names ':pid'", "does not capture"]),
        ('{"/a/*": "/$2"}', ["rule '/a/*'", "uses $2, but the pattern captures 1 value"]),
        ('{"/a/:id([)": "/b"}', ["rule '/a/:id([)'", "not a valid path"]),
    ],
)
def test_a_broken_routes_file_is_a_config_error(
    tmp_path: Path, text: str | None, words: list[str]
) -> None:
    write_db(tmp_path)
    if text is not None:
        (tmp_path / "routes.json").write_text(text)
    origin = {"resources": "db.json", "resources_routes": "routes.json"}
    problems = config_problems(tmp_path, origin)
    assert len(problems) == 1
    assert problems[0].startswith(f"origins.api.resources_routes: {tmp_path / 'routes.json'}: ")
    assert all(word in problems[0] for word in words), problems[0]
