"""Mock tests: build one origin from a config dict and talk to it over HTTP (TestClient)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from devserve.config import parse_config
from devserve.serve.origin import build_origin


def mock_client(
    tmp_path: Path, origin: dict[str, Any], settings: dict[str, Any] | None = None
) -> TestClient:
    """A client of origin 'api' (port 8001) built from ``origin``; paths relative to tmp_path."""
    config = parse_config(
        {"devserve": settings or {}, "origins": {"api": {"port": 8001, **origin}}},
        path=tmp_path / "devserve.toml",
        label="t",
    )
    app = build_origin("api", config.origins["api"], config.devserve).app
    return TestClient(app, base_url="http://127.0.0.1:8001")


def config_problems(tmp_path: Path, origin: dict[str, Any]) -> list[str]:
    """The problems parse_config reports for origin 'api', without the file label."""
    from devserve.errors import ConfigError

    try:
        parse_config(
            {"origins": {"api": {"port": 8001, **origin}}}, path=tmp_path / "x.toml", label="t"
        )
    except ConfigError as exc:
        return [p.removeprefix("t: ") for p in exc.problems]
    return []
