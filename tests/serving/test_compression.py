"""``compress = true``: static text files in gzip or Brotli when the client accepts it, each
encoding its own representation (ETag, Vary), Range and 304 still right, edits seen at once."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import brotli
import pytest
from starlette.testclient import TestClient

from devserve.serving.compression import choose, compressible, variants
from devserve.serving.origin import build_origin
from tests.support.configs import build_config

SCRIPT = ("export function add(a, b) { return a + b; }\n" * 200).encode()
BOTH = {"br": b"x", "gzip": b"y"}


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("gzip, deflate, br, zstd", "br"),  # what Chromium 156 sends (test_compression_browser)
        ("gzip, deflate", "gzip"),
        ("x-gzip", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip;q=0", None),
        ("*", "br"),
        ("*;q=0, gzip", "gzip"),
        ("identity", None),
        ("", None),
        ("br;q=nan, gzip;q=abc", None),
        ("GZIP;Q=1", "gzip"),
    ],
)
def test_choose_follows_accept_encoding(accept: str, chosen: str | None) -> None:
    assert choose(accept, BOTH) == chosen


def test_only_what_the_file_has_is_chosen() -> None:
    assert choose("br, gzip", {"gzip": b"y"}) == "gzip"
    assert choose("br", {}) is None


def test_text_is_compressed_and_the_rest_is_not() -> None:
    assert compressible("text/javascript; charset=utf-8") and compressible("image/svg+xml")
    assert compressible("application/ld+json") and not compressible("image/png")
    found = variants(SCRIPT, "text/javascript")
    assert set(found) == {"br", "gzip"}
    assert brotli.decompress(found["br"]) == SCRIPT == gzip.decompress(found["gzip"])
    assert variants(b"tiny", "text/plain") == {}  # under 1 KiB: not worth it
    assert variants(os.urandom(4096), "text/plain") == {}  # does not shrink: not kept


def client(tmp_path: Path, **origin: Any) -> TestClient:
    web = tmp_path / "web"
    web.mkdir(exist_ok=True)
    (web / "app.js").write_bytes(SCRIPT)
    (web / "logo.png").write_bytes(b"\x89PNG" + bytes(4000))
    config = build_config(tmp_path, {"app": {"port": 8000, "static": "web", **origin}})
    app = build_origin("app", config.origins["app"], config.devserve).app
    return TestClient(app, base_url="http://127.0.0.1:8000")


def test_each_encoding_is_its_own_representation(tmp_path: Path) -> None:
    app = client(tmp_path, compress=True, cors="on")
    page = {"Origin": "http://localhost:3000"}
    plain = app.get("/app.js", headers={"Accept-Encoding": "identity", **page})
    br = app.get("/app.js", headers={"Accept-Encoding": "br, gzip", **page})
    gz = app.get("/app.js", headers={"Accept-Encoding": "gzip", **page})
    assert "content-encoding" not in plain.headers and plain.content == SCRIPT
    assert br.headers["content-encoding"] == "br" and br.content == SCRIPT  # httpx decodes
    assert gz.headers["content-encoding"] == "gzip" and gz.content == SCRIPT
    assert int(br.headers["content-length"]) < len(SCRIPT) // 5
    assert len({plain.headers["etag"], br.headers["etag"], gz.headers["etag"]}) == 3
    for response in (plain, br, gz):
        vary = {v.strip().lower() for v in response.headers["vary"].split(",")}
        assert vary == {"accept-encoding", "origin"}
        assert response.headers["access-control-allow-origin"] == page["Origin"]
    # Conditional requests compare against the representation asked for.
    again = {"Accept-Encoding": "br", "If-None-Match": br.headers["etag"]}
    assert app.get("/app.js", headers=again).status_code == 304
    other = {"Accept-Encoding": "gzip", "If-None-Match": br.headers["etag"]}
    assert app.get("/app.js", headers=other).status_code == 200
    head = app.head("/app.js", headers={"Accept-Encoding": "br"})
    assert head.headers["content-length"] == br.headers["content-length"]
    assert head.content == b""


def test_ranges_are_of_the_plain_bytes(tmp_path: Path) -> None:
    app = client(tmp_path, compress=True)
    part = app.get("/app.js", headers={"Accept-Encoding": "br", "Range": "bytes=0-5"})
    assert part.status_code == 206 and part.content == SCRIPT[:6]
    assert "content-encoding" not in part.headers


def test_what_is_not_compressed(tmp_path: Path) -> None:
    off = client(tmp_path)  # compress is off by default
    assert "content-encoding" not in off.get("/app.js", headers={"Accept-Encoding": "br"}).headers
    assert "vary" not in off.get("/app.js").headers
    on = client(tmp_path, compress=True)
    png = on.get("/logo.png", headers={"Accept-Encoding": "br"})
    assert "content-encoding" not in png.headers and "vary" not in png.headers


def test_an_edit_is_compressed_anew(tmp_path: Path) -> None:
    app = client(tmp_path, compress=True)
    assert app.get("/app.js", headers={"Accept-Encoding": "br"}).content == SCRIPT
    changed = SCRIPT.replace(b"add", b"sum")
    (tmp_path / "web" / "app.js").write_bytes(changed)  # same size: mtime tells
    assert app.get("/app.js", headers={"Accept-Encoding": "br"}).content == changed


def test_static_cache_bytes_zero_serves_from_disk_uncompressed(tmp_path: Path) -> None:
    app = client(tmp_path, compress=True, static_cache_bytes=0)
    response = app.get("/app.js", headers={"Accept-Encoding": "br"})
    assert response.content == SCRIPT and "content-encoding" not in response.headers
