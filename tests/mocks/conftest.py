"""Mock tests: build one origin from a config dict and talk to it over HTTP (TestClient)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from devserve.errors import ConfigError
from devserve.serving.origin import build_origin
from tests.support.configs import build_config


def mock_client(
    tmp_path: Path, origin: dict[str, Any], settings: dict[str, Any] | None = None
) -> TestClient:
    """A client of origin 'api' (port 8001) built from ``origin``; paths relative to tmp_path."""
    config = build_config(tmp_path, {"api": {"port": 8001, **origin}}, settings)
    app = build_origin("api", config.origins["api"], config.devserve).app
    return TestClient(app, base_url="http://127.0.0.1:8001")


def config_problems(tmp_path: Path, origin: dict[str, Any]) -> list[str]:
    """The problems the config of origin 'api' has, without the file label."""
    try:
        build_config(tmp_path, {"api": {"port": 8001, **origin}})
    except ConfigError as exc:
        return [p.removeprefix("test config: ") for p in exc.problems]
    return []
