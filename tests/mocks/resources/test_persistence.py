"""Persistence that loses nothing: concurrent writes, kill -9, own writes, edits, reset, errors."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import anyio
import httpx
from watchfiles import Change

from devserve.live.watcher import plan
from devserve.project import load_project as load_config
from tests.mocks.resources.helpers import SAMPLE, client, on_disk, write_db
from tests.support.configs import config_toml
from tests.support.process import StartDevserve, free_ports, run_command
from tests.support.waiting import wait_until


def _config(port: int, dashboard: int | None = None) -> str:
    return config_toml(
        {"api": {"port": port, "resources": "db.json"}}, {"dashboard_port": dashboard or False}
    )


def test_200_concurrent_posts_are_all_persisted(
    tmp_path: Path, start_devserve: StartDevserve
) -> None:
    write_db(tmp_path)
    (port,) = free_ports(1)
    start_devserve(_config(port), ports=[port])

    async def burst() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            url = f"http://127.0.0.1:{port}/comments"
            responses: list[httpx.Response] = []

            async def post(index: int) -> None:
                responses.append(await http.post(url, json={"body": f"c{index}", "postId": 1}))

            async with anyio.create_task_group() as group:
                for index in range(200):
                    group.start_soon(post, index)
            return responses

    responses = anyio.run(burst)
    assert [r.status_code for r in responses] == [201] * 200
    ids = {r.json()["id"] for r in responses}
    assert ids == set(range(5, 205))  # every id once: no two writes raced for one
    saved = on_disk(tmp_path)["comments"]
    assert {c["id"] for c in saved} == {1, 2, 3, 4} | ids
    assert {c["body"] for c in saved} >= {f"c{i}" for i in range(200)}


def test_kill_9_during_a_write_burst_leaves_a_valid_file_with_every_answered_write(
    tmp_path: Path, start_devserve: StartDevserve
) -> None:
    write_db(tmp_path)
    (port,) = free_ports(1)
    server = start_devserve(_config(port), ports=[port])
    answered: list[int] = []
    done = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(timeout=10) as http:
            for index in range(40):
                try:
                    response = http.post(
                        f"http://127.0.0.1:{port}/posts", json={"title": f"w{worker}-{index}"}
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 201:
                    answered.append(response.json()["id"])
        done.set()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    wait_until(lambda: len(answered) >= 60 or done.is_set(), "a burst of answered writes")
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    for worker in workers:
        worker.join(timeout=20)
    assert len(answered) >= 60
    saved = json.loads((tmp_path / "db.json").read_text())  # parses: never half-written
    assert set(answered) <= {post["id"] for post in saved["posts"]}  # an answer means on disk


def test_devserves_own_writes_are_not_edits(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    write_db(tmp_path / "web")  # inside a static folder: a reload here would be visible
    api = client(tmp_path / "web", static=".")
    assert api.post("/posts", json={"title": "saved"}).status_code == 201
    toml = tmp_path / "web" / "devserve.toml"
    toml.write_text('[origins.api]\nport = 8001\nstatic = "."\nresources = "db.json"\n')
    config = load_config(toml)
    db = (tmp_path / "web" / "db.json").resolve()
    own = plan({(Change.modified, str(db))}, config, toml.resolve())
    assert own.pages == {} and own.resources == set()
    write_db(tmp_path / "web")  # a person edits the file
    edit = plan({(Change.modified, str(db))}, config, toml.resolve())
    assert edit.resources == {"api"} and edit.pages == {"api": "reload"}


def test_invalid_json_at_start_is_a_config_error_with_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "db.json").write_text('{\n  "posts": [\n    {"id": 1}\n  ]\n  "users": []\n}\n')
    (tmp_path / "devserve.toml").write_text(_config(free_ports(1)[0]))
    for command in (["check-config"], ["run", "--no-reload"]):
        result = run_command(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "origins.api.resources:" in result.stderr
        assert f"{tmp_path / 'db.json'}: invalid JSON at line 5, column 3" in result.stderr
        assert "Traceback" not in result.stderr


def test_shape_errors_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text(_config(free_ports(1)[0]))
    missing = run_command("check-config", cwd=tmp_path)
    assert missing.returncode == 2 and "file not found; create it" in missing.stderr
    (tmp_path / "db.json").write_text('{"posts": 3, "a/b": []}')
    shaped = run_command("check-config", cwd=tmp_path)
    assert "key 'posts' is a number" in shaped.stderr and "contains '/'" in shaped.stderr


def test_a_live_invalid_edit_is_reported_and_the_last_good_data_served(
    tmp_path: Path, start_devserve: StartDevserve
) -> None:
    write_db(tmp_path)
    (port,) = free_ports(1)
    server = start_devserve(_config(port), ports=[port])
    (tmp_path / "db.json").write_text('{"posts": [}')
    # Reported by the watcher, before any request asks for the data.
    wait_until(
        lambda: "still serving the last good data" in server.output(),
        "the error report",
        output=server.output,
    )
    assert "line 1, column 12" in server.output()
    assert len(httpx.get(f"http://127.0.0.1:{port}/posts").json()) == 5
    write_db(tmp_path, {"posts": [{"id": 1}]})
    assert httpx.get(f"http://127.0.0.1:{port}/posts").json() == [{"id": 1}]


def test_devserve_reset_restores_the_original_data(
    tmp_path: Path, start_devserve: StartDevserve
) -> None:
    write_db(tmp_path)
    port, dashboard = free_ports(2)
    start_devserve(_config(port, dashboard), ports=[port, dashboard])
    base = f"http://127.0.0.1:{port}"
    httpx.post(f"{base}/posts", json={"title": "temporary"})
    httpx.delete(f"{base}/posts/1")
    assert on_disk(tmp_path) != SAMPLE
    result = run_command("reset", "api", "-c", "devserve.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "restored (posts: 5 items, comments: 4 items" in result.stdout
    assert on_disk(tmp_path) == SAMPLE
    answer: dict[str, Any] = httpx.post(f"{base}/posts", json={}).json()
    assert answer["id"] == 6
    unknown = run_command("reset", "nope", "-c", "devserve.toml", cwd=tmp_path)
    assert unknown.returncode == 2 and "no origin named 'nope'" in unknown.stderr
