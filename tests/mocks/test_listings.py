"""A mock folder's names are looked up, not read for every request: kept while the folder is
unchanged and settled, read again the moment a file comes or goes."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devserve.mocks import listings
from devserve.mocks.listings import Listings
from tests.mocks.conftest import mock_client


def later(folder: Path) -> None:
    """Stamp the folder's modification time a second on, as a clock that moved on since the
    last change would (a test runs faster than a coarse file-system clock ticks)."""
    info = folder.stat()
    os.utime(folder, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders read from now on, in order."""
    reads: list[str] = []
    original = listings._by_name

    def reading(folder: str) -> dict[str, list[str]]:
        reads.append(folder)
        return original(folder)

    monkeypatch.setattr(listings, "_by_name", reading)
    return reads


def test_names_are_found_under_every_prefix_a_dot_ends(tmp_path: Path) -> None:
    for name in ("users.json", "users.POST.201.json", "users.page-2.mock.json", "user.json"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "logo.png").write_bytes(b"")
    (tmp_path / "logo.png.mock.json").write_text("{}")
    found = Listings()
    assert sorted(found.named(str(tmp_path), "users")) == [
        "users.POST.201.json", "users.json", "users.page-2.mock.json",
    ]  # fmt: skip
    assert found.named(str(tmp_path), "logo.png") == ["logo.png.mock.json"]
    assert found.named(str(tmp_path), "nobody") == []


def test_a_settled_folder_is_read_once_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.json").write_text("{}")
    monkeypatch.setattr(listings, "SETTLED_NS", 0)  # every folder counts as settled here
    reads = counted(monkeypatch)
    found = Listings()
    for _ in range(5):
        assert found.named(str(tmp_path), "a") == ["a.json"]
    assert len(reads) == 1
    (tmp_path / "a.POST.json").write_text("{}")
    later(tmp_path)
    assert sorted(found.named(str(tmp_path), "a")) == ["a.POST.json", "a.json"]
    assert len(reads) == 2
    (tmp_path / "a.json").unlink()
    later(tmp_path)
    assert found.named(str(tmp_path), "a") == ["a.POST.json"]


def test_a_folder_changed_a_moment_ago_is_read_on_every_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name added in the same clock tick as a listing would leave the folder's times as
    they were: until the folder is still for a while, nothing is kept."""
    (tmp_path / "a.json").write_text("{}")
    reads = counted(monkeypatch)
    found = Listings()
    found.named(str(tmp_path), "a")
    found.named(str(tmp_path), "a")
    assert len(reads) == 2


def test_a_mock_file_added_to_a_big_folder_answers_at_once(tmp_path: Path) -> None:
    root = tmp_path / "mocks"
    root.mkdir()
    for index in range(2000):
        (root / f"item{index}.json").write_text(f'{{"n": {index}}}')
    api = mock_client(tmp_path, {"mocks": "mocks"})
    assert api.get("/item1999").json() == {"n": 1999}
    assert api.get("/fresh").status_code == 404
    (root / "fresh.json").write_text('{"fresh": true}')
    assert api.get("/fresh").json() == {"fresh": True}
    (root / "item5.json").unlink()
    assert api.get("/item5").status_code == 404


def test_requests_at_once_read_a_folder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests run in worker threads: twenty at once on a big folder read it once, not each
    on its own (each reading 20,000 names, a page of requests took seconds)."""
    for index in range(200):
        (tmp_path / f"item{index}.json").write_text("{}")
    monkeypatch.setattr(listings, "SETTLED_NS", 0)
    reads = counted(monkeypatch)
    found = Listings()
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: found.named(str(tmp_path), "item7"), range(20)))
    assert answers == [["item7.json"]] * 20
    assert len(reads) == 1
