"""A big resource file: every write reaches the file exactly as json-server writes it (only the
changed part re-encoded, numbers and key order as JavaScript has them), a write runs off the
event loop, and a read waits for a write under way rather than seeing half of it, but not for
the disk."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from devserve import files
from devserve.mocks.resources import store as store_module
from devserve.mocks.resources import writes
from devserve.mocks.resources.data import dump
from devserve.mocks.resources.query import INLINE_ITEMS
from tests.mocks.resources.helpers import build, client, write_db
from tests.support.waiting import stays_true, wait_until

POSTS = INLINE_ITEMS * 2  # a write to this file runs in a worker thread


def big(folder: Path) -> dict[str, Any]:
    data = {
        "posts": [{"id": i, "title": f"post {i}", "views": i * 0.5} for i in range(1, POSTS + 1)],
        "comments": [{"id": i, "postId": i * 7 % POSTS + 1} for i in range(1, 300)],
        "profile": {"name": "typicode"},
    }
    write_db(folder, data)
    return data


def saved(folder: Path) -> Any:
    text = (folder / "db.json").read_bytes()
    data = json.loads(text)
    assert text == dump(data), "not the bytes json-server writes"
    return data


def test_each_write_to_a_big_file_reaches_it_exactly(tmp_path: Path) -> None:
    big(tmp_path)
    api = client(tmp_path)
    steps = [
        ("POST", "/comments", {"body": "first"}),  # every chunk's bytes now kept
        ("PATCH", "/posts/1000", {"title": "patched", "views": 2.0}),
        ("PUT", "/posts/17", {"title": "put"}),
        ("DELETE", "/posts/8", None),  # and the comments pointing at it
        ("POST", "/posts", {"title": "new"}),
        ("PATCH", "/profile", {"age": 3}),
        ("POST", "/posts/5/comments", {"body": "nested"}),
        ("DELETE", "/comments/2", None),
    ]
    for method, path, body in steps:
        assert api.request(method, path, json=body).status_code < 300, (method, path)
        assert saved(tmp_path) == api.get("/db").json(), (method, path)
    on_disk = saved(tmp_path)
    assert on_disk["posts"][998] == {"id": 1000, "title": "patched", "views": 2}
    assert {"id": 17, "title": "put"} in on_disk["posts"]
    assert not [c for c in on_disk["comments"] if c.get("postId") == 8]
    assert on_disk["profile"] == {"name": "typicode", "age": 3}


def test_each_write_to_a_big_file_reaches_it_exactly_in_json_server_1(tmp_path: Path) -> None:
    big(tmp_path)
    api = client(tmp_path, dialect="v1")
    for method, path, body in [
        ("POST", "/comments", {"body": "first"}),  # every chunk's bytes now kept
        ("PATCH", "/posts/1000", {"title": "patched"}),
        ("PUT", "/posts/17", {"title": "put"}),
        ("DELETE", "/posts/8?_dependent=comments", None),  # a foreign key set to null first
        ("POST", "/posts", {"title": "new"}),
        ("PATCH", "/profile", {"age": 3}),
    ]:
        assert api.request(method, path, json=body).status_code < 300, (method, path)
        on_disk = saved(tmp_path)
        assert on_disk["posts"] == api.get("/posts").json(), (method, path)
        assert on_disk["comments"] == api.get("/comments").json(), (method, path)


def test_numbers_and_keys_are_written_in_javascripts_way(tmp_path: Path) -> None:
    """JSON.stringify prints 1.0 as 1 and 1e21 as 1e+21, and lists keys like "2" first."""
    write_db(tmp_path, {"posts": []})
    api = client(tmp_path)
    body = {"b": 1.0, "2": 1e21, "1": 5e-7, "z": -0.0, "n": 123456789012345680000.0}
    assert api.post("/posts", json=body).status_code == 201
    text = (tmp_path / "db.json").read_text()
    assert '"1": 5e-7,\n      "2": 1e+21,\n      "b": 1,\n      "z": 0,\n' in text
    assert '"n": 123456789012345680000,' in text


def test_a_read_waits_for_a_write_under_way_in_a_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the DELETE of a post and the clean-up of its comments, nobody reads."""
    big(tmp_path)
    cleaning, release = threading.Event(), threading.Event()
    find_dangling = writes.dangling

    def held(*args: Any) -> Any:
        cleaning.set()
        release.wait(timeout=30)
        return find_dangling(*args)

    monkeypatch.setattr(writes, "dangling", held)
    answers: dict[str, httpx.Response] = {}

    def read_pending() -> bool:
        return "read" not in answers

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=build(tmp_path).app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8001") as api:

            async def send(name: str, method: str, path: str) -> None:
                answers[name] = await api.request(method, path)

            async with anyio.create_task_group() as group:
                group.start_soon(send, "delete", "DELETE", "/posts/8")
                await anyio.to_thread.run_sync(wait_until, cleaning.is_set, "the clean-up")
                group.start_soon(send, "read", "GET", "/comments")
                try:
                    await anyio.to_thread.run_sync(stays_true, read_pending, "the read waits")
                finally:
                    release.set()

    anyio.run(scenario)
    assert answers["delete"].status_code == 200
    assert not [c for c in answers["read"].json() if c["postId"] == 8]


def test_a_read_does_not_wait_for_a_write_to_reach_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change is made in memory first; a read meanwhile sees it, the disk or not."""
    big(tmp_path)
    writing, release = threading.Event(), threading.Event()
    write = files.write_atomic

    def held(*args: Any, **kwargs: Any) -> Any:
        writing.set()
        release.wait(timeout=30)
        return write(*args, **kwargs)

    monkeypatch.setattr(store_module, "write_atomic", held)
    answers: dict[str, httpx.Response] = {}

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=build(tmp_path).app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8001") as api:

            async def patch() -> None:
                answers["patch"] = await api.patch("/posts/1500", json={"title": "new"})

            async with anyio.create_task_group() as group:
                group.start_soon(patch)
                await anyio.to_thread.run_sync(wait_until, writing.is_set, "the write")
                try:
                    with anyio.fail_after(10):
                        answers["read"] = await api.get("/posts?title=new")
                    answers["item"] = await api.get("/posts/1500")
                finally:
                    release.set()

    anyio.run(scenario)
    assert answers["patch"].status_code == 200
    assert [post["id"] for post in answers["read"].json()] == [1500]
    assert answers["item"].json()["title"] == "new"


def test_embedded_children_follow_every_write_and_edit(tmp_path: Path) -> None:
    """Children grouped for _embed are shared by reads until the data changes, not after."""
    data = big(tmp_path)
    api = client(tmp_path)

    def embedded(path: str) -> list[int]:
        answer = api.get(path).json()
        post = answer[0] if isinstance(answer, list) else answer
        return [comment["id"] for comment in post["comments"]]

    first = embedded("/posts?id=1&_embed=comments")
    assert first == embedded("/posts/1?_embed=comments")
    made = api.post("/comments", json={"postId": 1}).json()["id"]
    assert embedded("/posts?id=1&_embed=comments") == [*first, made]
    assert embedded("/posts/1?_embed=comments") == [*first, made]
    data["comments"] = [{"id": 1, "postId": 1}]
    write_db(tmp_path, data)  # an edit by hand, picked up on the next request
    assert embedded("/posts?id=1&_embed=comments") == [1]
