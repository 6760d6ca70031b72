"""Mock folders: the file-name grammar, envelopes, edits on the next request, layer order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_command
from tests.mocks.conftest import config_problems, mock_client


def write(root: Path, name: str, content: object) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))


@pytest.fixture
def mocks(tmp_path: Path) -> Path:
    root = tmp_path / "mocks"
    write(root, "users.json", [{"id": 1}])
    write(root, "users/1.json", {"id": 1, "name": "Ada"})
    write(root, "users.POST.201.json", {"created": True})
    write(root, "users.DELETE.204.txt", "")
    write(root, "teapot.418.txt", "short and stout")
    write(root, "index.json", {"api": "v1"})
    write(root, "docs/index.html", "<h1>docs</h1>")
    write(root, "logo.svg", "<svg/>")
    write(root, ".env", "SECRET=1")
    return root


def test_file_names_answer_methods_statuses_and_types(tmp_path: Path, mocks: Path) -> None:
    api = mock_client(tmp_path, {"mocks": "mocks"})
    listed = api.get("/users")
    assert listed.json() == [{"id": 1}]
    assert listed.headers["content-type"] == "application/json; charset=utf-8"
    assert api.head("/users").status_code == 200
    assert api.get("/users/1").json() == {"id": 1, "name": "Ada"}
    created = api.post("/users", json={"name": "x"})
    assert (created.status_code, created.json()) == (201, {"created": True})
    assert api.delete("/users").status_code == 204
    teapot = api.get("/teapot")
    assert teapot.status_code == 418 and teapot.headers["content-type"].startswith("text/plain")
    assert api.get("/").json() == {"api": "v1"}
    assert api.get("/docs/").headers["content-type"].startswith("text/html")
    assert api.get("/logo.svg").headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize(
    "path", ["/.env", "/../devserve.toml", "/%2e%2e/devserve.toml", "/users/..%2f..%2fx", "/nope"]
)
def test_nothing_outside_or_hidden_is_served(tmp_path: Path, mocks: Path, path: str) -> None:
    (tmp_path / "devserve.toml").write_text("secret")
    response = mock_client(tmp_path, {"mocks": "mocks"}).get(path)
    assert response.status_code == 404
    assert "SECRET" not in response.text and "secret" not in response.text


def test_edits_are_served_on_the_next_request(tmp_path: Path, mocks: Path) -> None:
    api = mock_client(tmp_path, {"mocks": "mocks"})
    assert api.get("/users").json() == [{"id": 1}]
    write(mocks, "users.json", [{"id": 2}])
    assert api.get("/users").json() == [{"id": 2}]
    write(mocks, "orders.json", [])
    assert api.get("/orders").json() == []


def test_envelopes_headers_query_variants_and_sequences(tmp_path: Path, mocks: Path) -> None:
    write(
        mocks,
        "repos.mock.json",
        {"headers": {"X-Total-Count": "3", "Link": '</repos?page=2>; rel="next"'}, "json": [1, 2]},
    )
    write(mocks, "repos.page-2.mock.json", {"match": {"query": {"page": "2"}}, "json": [3]})
    write(
        mocks,
        "jobs.POST.mock.json",
        {
            "order": "once-then-last",
            "responses": [{"status": 202}, {"status": 200, "json": "done"}],
        },
    )
    write(mocks, "raw.mock.json", {"body": "{{ not a template }}", "status": 203})
    api = mock_client(tmp_path, {"mocks": "mocks"})
    first = api.get("/repos")
    assert first.json() == [1, 2] and first.headers["x-total-count"] == "3"
    assert first.headers["link"] == '</repos?page=2>; rel="next"'
    assert api.get("/repos?page=2").json() == [3]
    assert [api.post("/jobs").status_code for _ in range(3)] == [202, 200, 200]
    raw = api.get("/raw")
    assert (raw.status_code, raw.text) == (203, "{{ not a template }}")


def test_an_invalid_envelope_is_a_500_that_says_why(tmp_path: Path, mocks: Path) -> None:
    api = mock_client(tmp_path, {"mocks": "mocks"})
    write(mocks, "bad.mock.json", {"stauts": 200})
    write(mocks, "broken.mock.json", "{")
    bad = api.get("/bad")
    assert bad.status_code == 500
    assert "bad.mock.json: stauts: unknown key; did you mean 'status'?" in bad.json()["reason"]
    assert "broken.mock.json: not valid JSON" in api.get("/broken").json()["reason"]


def test_check_config_validates_the_folder(tmp_path: Path, mocks: Path) -> None:
    assert config_problems(tmp_path, {"mocks": "missing"}) == [
        f"origins.api.mocks: directory {str(tmp_path / 'missing')!r} does not exist; create it "
        "or fix the path (relative to the config file)"
    ]
    write(mocks, "a/b.mock.json", {"match": {"headers": {"X": "~("}}, "json": 1})
    (tmp_path / "devserve.toml").write_text('[origins.api]\nport = 8001\nmocks = "mocks"\n')
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 2
    assert "origins.api.mocks: a/b.mock.json.match.headers.X: '~(' is not a valid" in result.stderr


def test_layers_follow_the_spec_routes_resources_mocks_static(tmp_path: Path, mocks: Path) -> None:
    """README "Mocks": routes win over resources, resources over mocks, mocks over static."""
    write(tmp_path / "web", "users", "static users")
    write(tmp_path / "web", "page.html", "static page")
    write(tmp_path / "web", "teapot", "static teapot")
    write(mocks, "page.html.POST.json", {"posted": True})
    write(tmp_path, "db.json", {"users": [{"id": 9, "from": "resources"}]})
    api = mock_client(
        tmp_path,
        {
            "static": "web",
            "mocks": "mocks",
            "resources": "db.json",
            "routes": [{"path": "/users", "match": {"query": {"v": "2"}}, "json": "route"}],
        },
    )
    assert api.get("/users?v=2").json() == "route"  # routes over resources
    assert api.get("/users").json() == [{"id": 9, "from": "resources"}]  # resources over mocks
    assert api.get("/teapot").status_code == 418  # mocks over static
    assert api.get("/page.html").text == "static page"  # no GET file: on to static
    assert api.post("/page.html").json() == {"posted": True}


def test_recording_conditions_exact_query_whole_body_and_repeated_headers(
    tmp_path: Path, mocks: Path
) -> None:
    write(
        mocks,
        "search.mock.json",
        {
            "match": {"query": {"q": "ada", "token": True}, "exact_query": True},
            "headers": {"Set-Cookie": ["a=1; Path=/", "b=2; Path=/"]},
            "json": ["ada"],
        },
    )
    write(
        mocks,
        "orders.POST.mock.json",
        {"match": {"body": {"items": [1, 2], "note": "~~literal"}}, "status": 201, "json": 1},
    )
    write(mocks, "ping.HEAD.mock.json", {"status": 204, "headers": {"X-Head": "yes"}})
    write(mocks, "ping.json", {"pong": True})
    api = mock_client(tmp_path, {"mocks": "mocks"})
    found = api.get("/search?token=anything&q=ada")
    assert found.json() == ["ada"]
    assert found.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    extra = api.get("/search?q=ada&token=x&page=2")
    assert extra.status_code == 404
    assert extra.json()["not_matched"] == [
        "GET /search (search.mock.json): query page is not expected"
    ]
    assert api.post("/orders", json={"note": "~literal", "items": [1, 2]}).status_code == 201
    more = api.post("/orders", json={"note": "~literal", "items": [1, 2], "x": 1})
    assert more.json()["not_matched"] == [
        "POST /orders (orders.POST.mock.json): body.x is not expected"
    ]
    assert api.post("/orders", content=b"not json").status_code == 404
    assert (api.head("/ping").status_code, api.head("/ping").headers["x-head"]) == (204, "yes")
    assert api.get("/ping").json() == {"pong": True}


def test_unusual_path_segments_map_to_encoded_names(tmp_path: Path, mocks: Path) -> None:
    write(mocks, "%2Eenv.json", {"hidden": False})
    write(mocks, "back%5Cslash.json", {"slash": True})
    write(mocks, "caf\u00e9.json", {"plain": "unicode"})
    api = mock_client(tmp_path, {"mocks": "mocks"})
    assert api.get("/.env").json() == {"hidden": False}  # never the real dot-file
    assert api.get("/back%5Cslash").json() == {"slash": True}
    assert api.get("/caf%C3%A9").json() == {"plain": "unicode"}


def test_banner_and_status_say_what_an_origin_serves(tmp_path: Path, mocks: Path) -> None:
    from devserve.project import parse_project as parse_config
    from devserve.serving.origin import build_origin

    config = parse_config(
        {"origins": {"api": {"port": 1, "mocks": "mocks"}}}, path=tmp_path / "d.toml", label="t"
    )
    origin = build_origin("api", config.origins["api"], config.devserve)
    assert origin.serves() == [f"mocks {mocks}"]
