"""Queries over a big collection run in worker threads while writes change the same data:
every answer is whole and right, and writes wait for no more than the reads under way."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from devserve.mocks.resources import router
from devserve.mocks.resources.query import INLINE_ITEMS, list_collection
from tests.mocks.resources.helpers import build, write_db
from tests.support.configs import config_toml
from tests.support.process import StartDevserve, free_ports
from tests.support.waiting import stays_true, wait_until

ITEMS = INLINE_ITEMS * 3  # big enough to be read in a worker thread


def test_big_queries_and_writes_at_once_all_answer_right(
    tmp_path: Path, start_devserve: StartDevserve
) -> None:
    posts = [{"id": i, "title": f"post {i}", "views": i % 97} for i in range(1, ITEMS + 1)]
    (tmp_path / "db.json").write_text(json.dumps({"posts": posts}))
    (port,) = free_ports(1)
    server = start_devserve(
        config_toml({"api": {"port": port, "resources": "db.json"}}, {"dashboard_port": False}),
        ports=[port],
    )
    base = f"http://127.0.0.1:{port}"
    statuses: list[int] = []
    sizes: list[int] = []

    async def run() -> None:
        limits = httpx.Limits(max_connections=40)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:

            async def read(index: int) -> None:
                query = "title_like=post%201" if index % 2 else "_sort=views,title&views_gte=50"
                response = await http.get(f"/posts?{query}")
                statuses.append(response.status_code)
                sizes.append(len(response.json()))

            async def write(index: int) -> None:
                # New keys on existing items: a dict that grows while a thread walks it.
                patch = {f"extra{index}": index, "views": 50 + index % 40}
                statuses.append((await http.patch(f"/posts/{index + 1}", json=patch)).status_code)
                made = await http.post("/posts", json={"title": f"made {index}", "views": 60})
                statuses.append(made.status_code)

            async with anyio.create_task_group() as group:
                for index in range(60):
                    group.start_soon(read, index)
                    group.start_soon(write, index)

    anyio.run(run)
    assert set(statuses) == {200, 201}, statuses
    assert all(size > 0 for size in sizes)
    final = httpx.get(f"{base}/posts?_limit=1")
    assert final.headers["x-total-count"] == str(ITEMS + 60)
    saved = json.loads((tmp_path / "db.json").read_text())
    assert len(saved["posts"]) == ITEMS + 60
    assert all(saved["posts"][i][f"extra{i}"] == i for i in range(60))
    assert "Traceback" not in server.output()


def test_a_write_waits_for_the_read_under_way_in_a_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read answers the data as it was when it began; the write lands after it."""
    write_db(tmp_path)
    reading, release = threading.Event(), threading.Event()
    listing = list_collection

    def held(*args: Any) -> Any:
        reading.set()
        release.wait(timeout=30)
        return listing(*args)

    monkeypatch.setattr(router, "list_collection", held)
    answers: dict[str, httpx.Response] = {}

    def write_pending() -> bool:
        return "write" not in answers

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=build(tmp_path).app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8001") as api:

            async def send(name: str, method: str, path: str, body: Any = None) -> None:
                answers[name] = await api.request(method, path, json=body)

            async with anyio.create_task_group() as group:
                group.start_soon(send, "read", "GET", "/posts?title_like=o")
                await anyio.to_thread.run_sync(wait_until, reading.is_set, "the read to start")
                group.start_soon(send, "write", "PATCH", "/posts/1", {"title": "changed"})
                try:
                    await anyio.to_thread.run_sync(stays_true, write_pending, "the write waits")
                finally:
                    release.set()
            answers["after"] = await api.get("/posts/1")

    anyio.run(scenario)
    assert answers["write"].status_code == 200
    assert answers["read"].json()[0]["title"] == "json-server"  # as it was when it began
    assert answers["after"].json()["title"] == "changed"
