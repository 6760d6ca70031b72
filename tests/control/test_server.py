"""The control app in-process (Starlette TestClient): its API, and what it refuses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from devserve.control.server import build_control_app
from devserve.errors import DevserveError, UnknownOriginError
from devserve.live.events import Event, Hub, config_event
from devserve.serving.origin import build_origin
from devserve.state import OriginState
from tests.support.configs import build_config

JSON = {"Content-Type": "application/json"}
BASE = "http://127.0.0.1:8999"


class Controlled:
    """The runner's side of the control server, over real origin apps."""

    def __init__(self, root: Path) -> None:
        config = build_config(root, {"page": {"port": 8000}, "api": {"port": 8001, "cors": "on"}})
        self.config_path: Path | None = root / "devserve.toml"
        self.sent: list[tuple[str, str, str]] = []
        self.origins = {
            name: build_origin(name, origin, config.devserve)
            for name, origin in config.origins.items()
        }

    def origins_state(self) -> list[OriginState]:
        return [
            o.state(f"http://127.0.0.1:{o.config.port}", o.config.port)
            for o in self.origins.values()
        ]

    def set_cors(self, name: str, enabled: bool) -> OriginState:
        if name not in self.origins:
            raise UnknownOriginError(name, list(self.origins))
        self.origins[name].switch.enabled = enabled
        return next(state for state in self.origins_state() if state.name == name)

    def control_events(self) -> list[Event]:
        return [config_event(None)]

    async def save_mock(self, name: str, capture: int) -> Path:
        raise DevserveError("no proxy here")

    async def reset_origin(self, name: str) -> dict[str, Any]:
        raise UnknownOriginError(name, list(self.origins))

    def send(self, name: str, path: str, message: str) -> dict[str, Any]:
        if name not in self.origins:
            raise UnknownOriginError(name, list(self.origins))
        if path != "/ws":
            raise DevserveError(f"origin '{name}' has no socket at {path} (its sockets: /ws)")
        self.sent.append((name, path, message))
        return {"origin": name, "path": path, "sent": 2}

    def sockets_state(self, name: str) -> list[dict[str, Any]]:
        return [{"path": "/ws", "connections": [], "frames": []}]


@pytest.fixture
def runner(tmp_path: Path) -> Controlled:
    return Controlled(tmp_path)


@pytest.fixture
def client(runner: Controlled) -> TestClient:
    return TestClient(build_control_app(runner, Hub(), allowed_hosts=[]), base_url=BASE)


def test_origins_and_instance(client: TestClient, runner: Controlled) -> None:
    origins = client.get("/api/origins").json()
    assert origins == [state.as_json() for state in runner.origins_state()]
    assert origins[1]["cors"] == {
        "enabled": True,
        "mode": "on",
        "configured": "on",
        "describe": "on (echoes local origins, with credentials)",
    }
    assert client.get("/api/instance").json()["pid"] == os.getpid()


def test_switch(client: TestClient, runner: Controlled) -> None:
    off = client.put("/api/origins/api/cors", json={"enabled": False})
    assert off.status_code == 200
    assert off.json()["cors"]["enabled"] is False and off.json()["cors"]["mode"] == "off"
    assert runner.origins["api"].switch.enabled is False
    assert (
        OriginState.from_json(off.json())
        .status_line()
        .endswith("CORS off (switched off at runtime; configured on)")
    )


def test_bad_switch_requests(client: TestClient) -> None:
    url = "/api/origins/api/cors"
    assert client.put(url, content=b"nope", headers=JSON).status_code == 400
    assert client.put(url, json={"enabled": "yes"}).status_code == 400
    unknown = client.put("/api/origins/zzz/cors", json={"enabled": True})
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "no origin named 'zzz'; the origins are: page, api"}
    assert client.post(url, json={"enabled": False}).status_code == 405


@pytest.mark.parametrize(
    ("method", "headers", "body"),
    [
        ("PUT", {"Origin": "http://evil.test", **JSON}, b'{"enabled": false}'),
        ("PUT", {"Origin": "https://127.0.0.1:8999", **JSON}, b'{"enabled": false}'),
        ("PUT", {"Content-Type": "text/plain"}, b'{"enabled": false}'),
        ("PUT", {"Content-Type": "application/x-www-form-urlencoded"}, b"enabled=false"),
        ("PUT", {"Sec-Fetch-Site": "cross-site", **JSON}, b'{"enabled": false}'),
        ("PUT", {"Sec-Fetch-Site": "same-site", **JSON}, b'{"enabled": false}'),
        ("PUT", {"Host": "evil.test", **JSON}, b'{"enabled": false}'),
        ("OPTIONS", {"Origin": "http://evil.test", "Access-Control-Request-Method": "PUT"}, b""),
    ],
)
def test_refuses_other_origins_and_non_json_changes(
    client: TestClient, runner: Controlled, method: str, headers: dict[str, str], body: bytes
) -> None:
    response = client.request(method, "/api/origins/api/cors", headers=headers, content=body)
    assert response.status_code in (403, 415)
    assert not any(name.startswith("access-control-") for name in response.headers)
    assert runner.origins["api"].switch.enabled is True


@pytest.mark.parametrize("path", ["/api/origins", "/api/events", "/api/instance", "/"])
def test_reads_from_other_origins_are_refused(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Origin": "http://evil.test"})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


def test_same_origin_reads_and_the_dashboard_page(client: TestClient) -> None:
    assert client.get("/api/origins", headers={"Origin": BASE}).status_code == 200
    page = client.get("/", headers={"Sec-Fetch-Site": "none"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    script = client.get("/dashboard.js", headers={"Sec-Fetch-Site": "same-origin"})
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"


def test_a_broadcast_to_a_socket_sends_text_or_json_as_one_text_frame(
    client: TestClient, runner: Controlled
) -> None:
    sent = client.post("/api/origins/api/sockets/send", json={"path": "/ws", "text": "hi"})
    assert sent.json() == {"origin": "api", "path": "/ws", "sent": 2}
    client.post("/api/origins/api/sockets/send", json={"path": "/ws", "json": {"a": [1, "é"]}})
    assert runner.sent == [("api", "/ws", "hi"), ("api", "/ws", '{"a":[1,"é"]}')]
    assert client.get("/api/origins/api/sockets").json()[0]["path"] == "/ws"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"path": "/ws"}, 400, 'send {"path": "/ws", "text": "..."} or'),
        ({"path": "/ws", "text": "a", "json": 1}, 400, 'send {"path"'),
        ({"path": "ws", "text": "a"}, 400, "the path must start with '/'"),
        ({"path": "/ws", "text": 5}, 400, "text: send"),
        ({"path": "/other", "text": "a"}, 404, "origin 'api' has no socket at /other"),
    ],
)
def test_a_broadcast_that_cannot_be_sent_says_why(
    client: TestClient, body: dict[str, Any], status: int, error: str
) -> None:
    answer = client.post("/api/origins/api/sockets/send", json=body)
    assert answer.status_code == status
    assert answer.json()["error"].startswith(error)
    unknown = client.post("/api/origins/nope/sockets/send", json={"path": "/ws", "text": "a"})
    assert unknown.status_code == 404
    nan = client.post("/api/origins/api/sockets/send", content=b'{"path": "/ws", "json": NaN}',
                      headers=JSON)
    assert nan.json() == {"error": "json: NaN and Infinity are not JSON"}
