"""``cors = "on"`` echoes local origins only: a public site the developer visits reads nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from devserve.project import parse_project as parse_config
from devserve.serving.origin import build_origin
from tests.support.everykind import EveryKind

LOCAL = [
    "http://localhost:8000",
    "http://localhost",
    "https://localhost:5173",
    "http://app.localhost:3000",
    "http://LocalHost:8000",
    "http://127.0.0.1:1",
    "http://127.255.0.9",
    "http://[::1]:8080",
    "http://myapp.test",  # listed in allowed_hosts
    "https://myapp.test:8443",
]
FOREIGN = [
    "http://evil.example",
    "https://github.com",
    "http://localhost.evil.example",
    "http://127.0.0.1.evil.example",
    "http://evil.example:8000",
    "http://myapp.test.evil.example",
    "http://10.0.0.5:8000",
    "http://192.168.1.5:8000",
    "http://0.0.0.0:8000",
    "http://localhost@evil.example",
    "http://localhost:8000/path",
    "chrome-extension://abcdefghijklmnop",
    "file://",
    "null",
]
PRIVATE_NETWORK = {"Access-Control-Request-Private-Network": "true"}


def _cors(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


@pytest.fixture
def api(fortress: EveryKind) -> str:
    return f"http://127.0.0.1:{fortress.api}"


@pytest.mark.parametrize("origin", LOCAL)
def test_local_origins_are_echoed_with_credentials(
    api: str, http: httpx.Client, origin: str
) -> None:
    response = http.get(f"{api}/data", headers={"Origin": origin})
    assert response.headers.get_list("access-control-allow-origin") == [origin]
    assert response.headers["access-control-allow-credentials"] == "true"
    preflight = http.options(
        f"{api}/data",
        headers={"Origin": origin, "Access-Control-Request-Method": "PUT", **PRIVATE_NETWORK},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    # Chrome 142 replaced Private Network Access: `on` no longer answers its preflight.
    assert "access-control-allow-private-network" not in preflight.headers


@pytest.mark.parametrize("origin", FOREIGN)
def test_foreign_origins_get_nothing_and_a_verdict_naming_the_fix(
    api: str, http: httpx.Client, origin: str
) -> None:
    response = http.get(f"{api}/data", headers={"Origin": origin})
    assert response.status_code == 200
    assert _cors(response) == {}
    verdict = response.headers["x-devserve-cors"]
    assert verdict.startswith("blocked")
    if origin.startswith("http") and "/path" not in origin and "@" not in origin:
        assert "echoes only local origins" in verdict
        assert f'allow_origins = [\\"{origin}\\"]' in verdict
        assert "allowed_hosts" in verdict
    preflight = http.options(
        f"{api}/data",
        headers={"Origin": origin, "Access-Control-Request-Method": "PUT", **PRIVATE_NETWORK},
    )
    assert preflight.status_code == 403
    assert _cors(preflight) == {}


def test_an_origin_switched_on_at_runtime_is_local_only_too(
    fortress: EveryKind, http: httpx.Client
) -> None:
    switch = f"http://127.0.0.1:{fortress.dashboard}/api/origins/site/cors"
    site = f"http://127.0.0.1:{fortress.site}/hello.txt"
    assert http.put(switch, json={"enabled": True}).status_code == 200
    try:
        local = http.get(site, headers={"Origin": "http://localhost:3000"})
        assert local.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert _cors(http.get(site, headers={"Origin": "https://github.com"})) == {}
    finally:
        http.put(switch, json={"enabled": False})


def _origin_bound_to(tmp_path: Path, host: str | None) -> TestClient:
    config = parse_config(
        {"origins": {"api": {"port": 8001, "cors": "on"}}},
        path=tmp_path / "devserve.toml",
        label="t",
    )
    app = build_origin("api", config.origins["api"], config.devserve, host=host).app
    return TestClient(app, base_url="http://127.0.0.1:8001")


@pytest.mark.parametrize(
    ("host", "allowed"), [("192.168.7.7", True), ("0.0.0.0", False), (None, False)]
)
def test_the_address_bound_with_host_counts_as_local(
    tmp_path: Path, host: str | None, allowed: bool
) -> None:
    """With --host 192.168.7.7 a page served from that address is local; a wildcard bind names
    no address, so LAN pages must be listed in allowed_hosts (never sent to a LAN address)."""
    client = _origin_bound_to(tmp_path, host)
    response = client.get("/x", headers={"Origin": "http://192.168.7.7:8000"})
    expected = ["http://192.168.7.7:8000"] if allowed else []
    assert response.headers.get_list("access-control-allow-origin") == expected
