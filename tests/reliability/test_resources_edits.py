"""A hand edit of a resource file is never overwritten: not while it does not parse, and not
when it lands while devserve is saving a change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from devserve.mocks.resources.filetext import FileText
from tests.mocks.resources.helpers import client, write_db
from tests.support.configs import config_toml
from tests.support.process import StartDevserve, free_ports
from tests.support.waiting import wait_until

BROKEN = '{"posts": [}'  # line 1, column 12
WRITES: list[tuple[str, str, Any]] = [
    ("POST", "/posts", {"title": "new"}),
    ("PUT", "/posts/2", {"title": "put"}),
    ("PATCH", "/posts/2", {"title": "patched"}),
    ("DELETE", "/posts/2", None),
    ("PATCH", "/profile", {"name": "x"}),
]


@pytest.mark.parametrize("dialect", ["0.17", "v1"])
def test_writes_over_a_broken_edit_are_refused_until_it_is_fixed(
    tmp_path: Path, start_devserve: StartDevserve, dialect: str
) -> None:
    write_db(tmp_path)
    port, dashboard = free_ports(2)
    config = config_toml(
        {"api": {"port": port, "resources": "db.json", "dialect": dialect}},
        {"dashboard_port": dashboard},
    )
    server = start_devserve(config, ports=[port, dashboard])
    base = f"http://127.0.0.1:{port}"
    (tmp_path / "db.json").write_text(BROKEN)  # a typo, saved while devserve serves the file
    for method, path, body in WRITES:  # at once: the write itself looks at the file first
        response = httpx.request(method, base + path, json=body)
        assert response.status_code == 503, (method, path, response.text)
        error = response.json()["error"]
        assert "db.json on disk cannot be read" in error
        assert "line 1, column 12" in error and "fix the file" in error
        assert str(tmp_path) not in error  # the page learns the file's name, not its place
    assert (tmp_path / "db.json").read_text() == BROKEN  # the edit is still there
    assert len(httpx.get(f"{base}/posts").json()) == 5  # reads: the last good data
    # Reported as a config error is (terminal, dashboard, page overlay), saying so.
    wait_until(
        lambda: "writes are refused until it is fixed" in server.output(),
        "the report",
        output=server.output,
    )
    reset = httpx.post(f"http://127.0.0.1:{dashboard}/api/origins/api/reset", json={})
    assert reset.status_code == 409 and "cannot be read" in reset.json()["error"]
    assert (tmp_path / "db.json").read_text() == BROKEN
    log = server.output()
    assert "write refused: db.json on disk cannot be read" in log and "Traceback" not in log
    # Fixed: writes work again, on top of the fixed content.
    write_db(tmp_path, {"posts": [{"id": "1", "title": "fixed"}], "profile": {}})
    created = httpx.post(f"{base}/posts", json={"title": "after"})
    assert created.status_code == 201, created.text
    saved = json.loads((tmp_path / "db.json").read_text())
    assert [post["title"] for post in saved["posts"]] == ["fixed", "after"]


def test_an_edit_landing_while_a_change_is_saved_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher has not seen the edit yet: the write checks the file right before renaming."""
    api = client(tmp_path)
    edit = {"posts": [{"id": 1, "title": "edited by hand"}], "comments": []}
    serialize = FileText.render

    def edit_meanwhile(text: FileText, data: dict[str, Any]) -> list[bytes]:
        write_db(tmp_path, edit)  # the editor saves while devserve serializes its change
        monkeypatch.setattr(FileText, "render", serialize)
        return serialize(text, data)

    monkeypatch.setattr(FileText, "render", edit_meanwhile)
    lost = api.post("/posts", json={"title": "mine"})
    assert lost.status_code == 503
    assert "edited on disk while this change was being saved" in lost.json()["error"]
    assert json.loads((tmp_path / "db.json").read_text()) == edit  # the edit wins
    assert api.get("/posts").json() == edit["posts"]  # and is what is served
    created = api.post("/posts", json={"title": "again"})
    assert created.status_code == 201 and created.json()["id"] == 2
    saved = json.loads((tmp_path / "db.json").read_text())
    assert [post["title"] for post in saved["posts"]] == ["edited by hand", "again"]


def test_with_persist_false_a_broken_edit_does_not_hold_up_writes(tmp_path: Path) -> None:
    """Nothing is written to the file then, so nothing of the edit can be lost."""
    write_db(tmp_path)
    api = client(tmp_path, persist=False)
    (tmp_path / "db.json").write_text(BROKEN)
    assert api.post("/posts", json={"title": "in memory"}).status_code == 201
    assert len(api.get("/posts").json()) == 6
    assert (tmp_path / "db.json").read_text() == BROKEN
