"""Shared by the resource tests: a sample database and an in-process origin serving it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from devserve.mocks.resources.store import Store
from devserve.serving.origin import OriginApp, build_origin
from tests.support.configs import build_config

# Shaped to reach every 0.17 feature: nested objects, arrays, floats, booleans, nulls, missing
# fields, mixed case, non-ASCII text, foreign keys (postId, userId), a singular resource, and a
# collection with string ids.
SAMPLE: dict[str, Any] = {
    "posts": [
        {"id": 1, "title": "json-server", "author": {"name": "typicode", "age": 30},
         "views": 100, "tags": ["a", "b"], "userId": 1},
        {"id": 2, "title": "Hello World", "author": {"name": "Ada", "age": 25}, "views": 20,
         "userId": 2, "rating": None},
        {"id": 3, "title": "third post", "views": 5.5, "draft": True, "userId": 1},
        {"id": 4, "title": "Zürich café", "views": 20, "userId": 3, "draft": False},
        {"id": 5, "title": "hello again", "author": {"name": "ada"}, "views": 250, "userId": 2},
    ],
    "comments": [
        {"id": 1, "body": "some comment", "postId": 1},
        {"id": 2, "body": "another one", "postId": 1},
        {"id": 3, "body": "hi", "postId": 2},
        {"id": 4, "body": "orphan", "postId": 99},
    ],
    "users": [{"id": 1, "name": "Typi"}, {"id": 2, "name": "Ada"}, {"id": 3, "name": "Zed"}],
    "tags": [{"id": "x1", "label": "red"}, {"id": "x2", "label": "blue"}],
    "profile": {"name": "typicode", "languages": ["js"]},
}  # fmt: skip


def write_db(folder: Path, data: dict[str, Any] | None = None, name: str = "db.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(SAMPLE if data is None else data, indent=2))
    return path


def build(folder: Path, **origin: Any) -> OriginApp:
    """An origin serving ``folder/db.json`` (written from SAMPLE unless it exists)."""
    if not (folder / "db.json").exists():
        write_db(folder)
    config = build_config(folder, {"api": {"port": 8001, "resources": "db.json", **origin}})
    return build_origin("api", config.origins["api"], config.devserve)


def client(folder: Path, **origin: Any) -> TestClient:
    return TestClient(build(folder, **origin).app, base_url="http://127.0.0.1:8001")


def client_and_store(folder: Path, **origin: Any) -> tuple[TestClient, Store]:
    built = build(folder, **origin)
    assert built.resources is not None
    return TestClient(built.app, base_url="http://127.0.0.1:8001"), built.resources


def on_disk(folder: Path) -> Any:
    return json.loads((folder / "db.json").read_text())
