"""Proxy keys in devserve.toml: what is accepted, and every mistake named with its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devserve.errors import ConfigError
from tests.support.configs import build_config


def problems(tmp_path: Path, origin: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        build_config(tmp_path, {"api": {"port": 8001, **origin}})
    return [p.removeprefix("test config: ") for p in caught.value.problems]


def test_a_full_proxy_origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKEN", "t")
    config = build_config(
        tmp_path,
        {
            "api": {
                "port": 8001,
                "proxy": "https://api.example.com/v1/",
                "proxy_headers": {"Authorization": "Bearer {{ env.API_TOKEN }}"},
                "proxy_timeout": 5,
                "record": "recordings/api",
                "record_mode": "replay",
                "record_match": {"body": True, "headers": ["Accept"], "ignore_query": ["_"]},
                "redact": {"json": ["user.email"], "headers": ["X-Session"], "query": ["sig"]},
            }
        },
    )
    origin = config.origins["api"]
    assert origin.proxy == "https://api.example.com/v1"
    assert origin.record == tmp_path / "recordings" / "api"
    assert origin.redact.json_paths == ["user.email"]


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        (
            {"proxy": "api.example.com"},
            "api.proxy: 'api.example.com' is not an upstream URL; write http(s)://host[:port]"
            "[/base/path] with no query, fragment or user:password@ (put credentials in "
            "proxy_headers)",
        ),
        (
            {
                "proxy": "https://x.example",
                "proxy_headers": {"X-Key": "{{ env.NOT_SET_ANYWHERE }}"},
            },
            "api.proxy_headers.X-Key: environment variable NOT_SET_ANYWHERE is not set; export "
            "it before starting devserve (the value is never logged or recorded)",
        ),
        (
            {"proxy": "https://x.example", "proxy_headers": {"X-Key": "{{ headers.x }}"}},
            "api.proxy_headers.X-Key: only {{ env.NAME }} may appear between {{ and }} here",
        ),
        (
            {"record": "rec"},
            'api.record: only used with a proxy; add proxy = "https://..." to this origin or '
            "remove the key",
        ),
        (
            {"proxy": "https://x.example", "record_mode": "always"},
            "api.record_mode: input should be 'record', 'missing', 'replay' or 'off' "
            "(got 'always')",
        ),
        (
            {"proxy": "https://x.example", "redact": {"jsn": []}},
            "api.redact.jsn: unknown key; did you mean 'json'?",
        ),
        (
            {"proxy": "https://x.example", "proxy_timeout": 0},
            "api.proxy_timeout: input should be greater than 0 (got 0)",
        ),
    ],
)
def test_mistakes(tmp_path: Path, origin: dict[str, Any], expected: str) -> None:
    assert problems(tmp_path, origin) == [f"origins.{expected}"]
