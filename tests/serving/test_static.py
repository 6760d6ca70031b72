"""Static file serving: what a browser gets, and what an attacker does not."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

import anyio
import pytest
from starlette.testclient import TestClient
from starlette.types import Message, Scope

from devserve.errors import DevserveError
from devserve.serving.static import StaticFiles

SECRET = "TOP-SECRET-CONTENT"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A served folder inside tmp_path, with a secret just outside it."""
    (tmp_path / "secret.txt").write_text(SECRET)
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "app.js").write_text("console.log(1)")
    (root / "docs").mkdir()
    (root / "docs" / "index.html").write_text("<h1>docs</h1>")
    (root / "files").mkdir()
    (root / "files" / "a.txt").write_text("0123456789")
    (root / ".env").write_text(SECRET)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text(SECRET)
    return root


def client(root: Path, *, spa: bool = False) -> TestClient:
    return TestClient(StaticFiles(root, spa=spa), follow_redirects=False)


def asgi_get(
    app: StaticFiles, raw_path: str, *, method: str = "GET", query: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """Call the app as uvicorn would: `path` percent-decoded once, `raw_path` untouched."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1"),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:8000")],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    anyio.run(app, scope, receive, send)
    start = sent[0]
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], headers, body


def test_missing_directory_fails_at_construction(tmp_path: Path) -> None:
    with pytest.raises(DevserveError, match="nope"):
        StaticFiles(tmp_path / "nope")


def test_root_serves_index_html(site: Path) -> None:
    response = client(site).get("/")
    assert response.status_code == 200
    assert response.text == "<h1>home</h1>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"


def test_subfolder_index_html(site: Path) -> None:
    assert client(site).get("/docs/").text == "<h1>docs</h1>"


def test_folder_without_slash_redirects_keeping_query(site: Path) -> None:
    response = client(site).get("/docs?x=1&y=2")
    assert response.status_code == 301
    assert response.headers["location"] == "/docs/?x=1&y=2"


def test_redirect_is_never_protocol_relative(site: Path) -> None:
    (site / "evil.example").mkdir()
    status, headers, _ = asgi_get(StaticFiles(site), "//evil.example")
    assert status == 301
    assert headers["location"] == "/evil.example/"


def test_listing_shows_folders_first_and_hides_dotfiles(site: Path) -> None:
    (site / "files" / "zdir").mkdir()
    (site / "files" / ".hidden").write_text("x")
    (site / "files" / ".hiddendir").mkdir()
    response = client(site).get("/files/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    body = response.text
    assert body.index('href="zdir/"') < body.index('href="a.txt"')
    assert "10 B" in body
    assert 'href="../"' in body
    assert ".hidden" not in body


def test_listing_escapes_names(site: Path) -> None:
    (site / "files" / "<img src=x onerror=alert(1)>.txt").write_text("x")
    body = client(site).get("/files/").text
    assert "<img" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in body
    assert 'href="%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.txt"' in body


def test_root_listing_has_no_parent_link(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    body = client(tmp_path).get("/").text
    assert 'href="a.txt"' in body
    assert 'href="../"' not in body


def test_listing_hides_symlinks_pointing_outside(site: Path) -> None:
    (site / "files" / "escape.txt").symlink_to(site.parent / "secret.txt")
    assert "escape.txt" not in client(site).get("/files/").text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("page.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("mod.mjs", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("app.js.map", "application/json; charset=utf-8"),
        ("logo.svg", "image/svg+xml; charset=utf-8"),
        ("module.wasm", "application/wasm"),
        ("site.webmanifest", "application/manifest+json; charset=utf-8"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("photo.png", "image/png"),
        ("blob.unknownext", "application/octet-stream"),
        ("archive.tar.bz2", "application/octet-stream"),
    ],
)
def test_content_types(site: Path, name: str, expected: str) -> None:
    (site / name).write_bytes(b"x")
    assert client(site).get(f"/{name}").headers["content-type"] == expected


def test_etag_and_if_none_match(site: Path) -> None:
    app = client(site)
    first = app.get("/app.js")
    etag = first.headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = app.get("/app.js", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["last-modified"] == first.headers["last-modified"]
        assert response.headers["cache-control"] == "no-cache"
    assert app.get("/app.js", headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_none_match_wins_over_if_modified_since(site: Path) -> None:
    app = client(site)
    last_modified = app.get("/app.js").headers["last-modified"]
    headers = {"If-None-Match": '"stale"', "If-Modified-Since": last_modified}
    assert app.get("/app.js", headers=headers).status_code == 200


def test_if_modified_since(site: Path) -> None:
    app = client(site)
    last_modified = app.get("/app.js").headers["last-modified"]
    fresh = app.get("/app.js", headers={"If-Modified-Since": last_modified})
    assert fresh.status_code == 304
    assert fresh.content == b""
    old = app.get("/app.js", headers={"If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"})
    assert old.status_code == 200
    garbage = app.get("/app.js", headers={"If-Modified-Since": "yesterday"})
    assert garbage.status_code == 200


def test_file_changes_invalidate_etag(site: Path) -> None:
    app = client(site)
    etag = app.get("/app.js").headers["etag"]
    (site / "app.js").write_text("console.log('changed, and longer')")
    response = app.get("/app.js", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "changed" in response.text


def test_range_request(site: Path) -> None:
    response = client(site).get("/files/a.txt", headers={"Range": "bytes=2-4"})
    assert response.status_code == 206
    assert response.content == b"234"
    assert response.headers["content-range"] == "bytes 2-4/10"
    assert response.headers["content-length"] == "3"


def test_unsatisfiable_range(site: Path) -> None:
    response = client(site).get("/files/a.txt", headers={"Range": "bytes=50-60"})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */10"


def test_head_sends_headers_without_body(site: Path) -> None:
    app = client(site)
    for path in ("/app.js", "/files/", "/missing.txt"):
        get, head = app.get(path), app.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert head.headers["content-length"] == str(len(get.content)), path
        assert head.headers["content-type"] == get.headers["content-type"], path


def test_other_methods_are_405(site: Path) -> None:
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        response = client(site).request(method, "/app.js")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_spa_fallback_serves_root_index(site: Path) -> None:
    response = client(site, spa=True).get("/users/42")
    assert response.status_code == 200
    assert response.text == "<h1>home</h1>"


def test_spa_fallback_skips_paths_with_an_extension(site: Path) -> None:
    response = client(site, spa=True).get("/missing.js")
    assert response.status_code == 404
    assert response.text == "Not Found: /missing.js"


def test_without_spa_unknown_paths_are_404(site: Path) -> None:
    response = client(site).get("/users/42")
    assert response.status_code == 404
    assert response.text == "Not Found: /users/42"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_custom_404_page(site: Path) -> None:
    (site / "404.html").write_text("<h1>lost</h1>")
    response = client(site).get("/nowhere.png")
    assert response.status_code == 404
    assert response.text == "<h1>lost</h1>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    "raw_path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/files/../../secret.txt",
        "/%252e%252e/secret.txt",
        "/%252E%252E%252Fsecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/%00",
        "/index.html%00.txt",
        "//etc/passwd",
        "/.env",
        "/%2eenv",
        "/.git/config",
        "/files/.%2e/.%2e/secret.txt",
    ],
)
def test_traversal_and_dotfiles_are_refused(site: Path, raw_path: str) -> None:
    status, _, body = asgi_get(StaticFiles(site), raw_path)
    assert status == 404
    assert SECRET.encode() not in body
    assert b"root:" not in body
    # The SPA fallback may answer with the app shell, never with what was asked for.
    status, _, body = asgi_get(StaticFiles(site, spa=True), raw_path)
    assert (status, body) in {(404, b"Not Found"), (200, b"<h1>home</h1>")}


@pytest.mark.parametrize(
    "path", ["/../secret.txt", "/%2e%2e/secret.txt", "/%252e%252e/secret.txt", "/.env"]
)
def test_traversal_through_test_client(site: Path, path: str) -> None:
    response = client(site).get(path)
    assert response.status_code == 404
    assert SECRET not in response.text


def test_symlink_pointing_outside_is_refused(site: Path) -> None:
    (site / "escape.txt").symlink_to(site.parent / "secret.txt")
    (site / "escape-dir").symlink_to(site.parent, target_is_directory=True)
    app = client(site)
    for path in ("/escape.txt", "/escape-dir/secret.txt", "/escape-dir/"):
        response = app.get(path)
        assert response.status_code == 404, path
        assert SECRET not in response.text


def test_symlink_onto_a_dotfile_is_refused(site: Path) -> None:
    (site / "env.txt").symlink_to(site / ".env")
    assert client(site).get("/env.txt").status_code == 404


def test_symlink_inside_root_is_served(site: Path) -> None:
    (site / "alias.txt").symlink_to(site / "files" / "a.txt")
    response = client(site).get("/alias.txt")
    assert response.status_code == 200
    assert response.text == "0123456789"


def test_root_itself_may_be_a_symlink(site: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-site"
    os.symlink(site, link)
    assert client(link).get("/app.js").text == "console.log(1)"
