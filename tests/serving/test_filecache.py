"""The in-memory cache of small static files: the bytes on disk, bounded, transformed once."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.testclient import TestClient

from devserve.live.reload import SCRIPT_TAG, inject_html
from devserve.serving.filecache import FileCache
from devserve.serving.static import StaticFiles


def make_site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<html><head></head><body>v1</body></html>")
    (root / "a.txt").write_text("0123456789")
    return root


def test_an_edit_is_served_on_the_next_request_without_any_watcher(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    client = TestClient(StaticFiles(root))
    assert client.get("/a.txt").text == "0123456789"
    (root / "a.txt").write_text("changed, and longer")
    assert client.get("/a.txt").text == "changed, and longer"


def test_a_same_size_edit_is_seen_through_its_mtime(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    client = TestClient(StaticFiles(root))
    first = client.get("/a.txt")
    info = os.stat(root / "a.txt")
    (root / "a.txt").write_text("9876543210")
    os.utime(root / "a.txt", ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    second = client.get("/a.txt")
    assert second.text == "9876543210"
    assert second.headers["etag"] != first.headers["etag"]


def test_an_atomically_replaced_file_is_seen_through_its_inode(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    client = TestClient(StaticFiles(root))
    client.get("/a.txt")
    info = os.stat(root / "a.txt")
    replacement = root / "a.tmp"
    replacement.write_text("abcdefghij")
    os.utime(replacement, ns=(info.st_atime_ns, info.st_mtime_ns))  # same size, same mtime
    os.replace(replacement, root / "a.txt")
    assert client.get("/a.txt").text == "abcdefghij"


def test_html_is_transformed_once_per_version(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    calls: list[str] = []

    def counting(media_type: str, body: bytes) -> bytes:
        calls.append(media_type)
        return inject_html(media_type, body)

    client = TestClient(StaticFiles(root, transform=counting))
    for _ in range(5):
        body = client.get("/").content
        assert body.count(SCRIPT_TAG) == 1
    assert len(calls) == 1
    (root / "index.html").write_text("<html><head></head><body>v2</body></html>")
    assert b"v2" in client.get("/").content
    assert len(calls) == 2


def test_conditional_and_range_requests_from_memory(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    client = TestClient(StaticFiles(root))
    full = client.get("/a.txt")
    assert full.headers["content-length"] == "10"
    assert full.headers["cache-control"] == "no-cache"
    again = client.get("/a.txt", headers={"If-None-Match": full.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == full.headers["etag"]
    part = client.get("/a.txt", headers={"Range": "bytes=2-4"})
    assert (part.status_code, part.content, part.headers["content-range"]) == (
        206,
        b"234",
        "bytes 2-4/10",
    )
    assert client.get("/a.txt", headers={"Range": "bytes=-3"}).content == b"789"
    unsatisfiable = client.get("/a.txt", headers={"Range": "bytes=50-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == "bytes */10"
    # Another unit is ignored (RFC 9110 14.2): the whole file, 200.
    other = client.get("/a.txt", headers={"Range": "items=0-1"})
    assert (other.status_code, other.content) == (200, b"0123456789")
    stale = client.get("/a.txt", headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert (stale.status_code, stale.content) == (200, b"0123456789")
    head = client.head("/a.txt")
    assert head.content == b"" and head.headers["content-length"] == "10"


def test_files_over_the_limit_are_streamed_from_disk(tmp_path: Path) -> None:
    root = make_site(tmp_path)
    (root / "big.bin").write_bytes(b"z" * 5000)
    static = StaticFiles(root, max_cached_bytes=1000)
    client = TestClient(static)
    response = client.get("/big.bin")
    assert response.content == b"z" * 5000
    assert static.cache.get(str((root / "big.bin").resolve()), os.stat(root / "big.bin")) is None


def test_the_cache_is_bounded_in_total(tmp_path: Path) -> None:
    cache = FileCache(max_file_bytes=100, max_total_bytes=250)
    paths = []
    for index in range(5):
        path = tmp_path / f"f{index}.txt"
        path.write_bytes(b"x" * 100)
        paths.append(path)
        assert cache.load(str(path), os.stat(path)) is not None
    cached = [p for p in paths if cache.get(str(p), os.stat(p)) is not None]
    assert cached == paths[-2:]  # the least recently used left first
