"""The control API and the `status` / `cors` commands against a real running instance."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from devserve.live.events import CONFIG, ORIGINS, REQUEST
from tests.support.configs import config_toml
from tests.support.process import Devserve, StartDevserve, free_ports, run_command
from tests.support.sse import EventReader
from tests.support.waiting import wait_until


def config_text(
    page: int, api: int, other: int, dashboard: int, *, api_cors: str = "on", ok: object = True
) -> str:
    return config_toml(
        {
            "page": {"port": page},
            "api": {
                "port": api,
                "cors": api_cors,
                "routes": [{"path": "/data", "json": {"ok": ok}}],
            },
            "other": {"port": other, "cors": "on"},
        },
        {"dashboard_port": dashboard},
    )


class Instance:
    def __init__(self, server: Devserve, ports: list[int], path: Path) -> None:
        self.server = server
        self.page, self.api, self.other, self.dashboard = ports
        self.control = f"http://127.0.0.1:{self.dashboard}"
        self.config = path

    def write(self, *, api_cors: str = "on", ok: object = True) -> None:
        """Rewrite the config on the same ports."""
        ports = (self.page, self.api, self.other, self.dashboard)
        self.config.write_text(config_text(*ports, api_cors=api_cors, ok=ok))

    def acao(self, port: int) -> str | None:
        response = httpx.get(
            f"http://127.0.0.1:{port}/data", headers={"Origin": f"http://127.0.0.1:{self.page}"}
        )
        return response.headers.get("access-control-allow-origin")


@pytest.fixture
def instance(start_devserve: StartDevserve, tmp_path: Path) -> Instance:
    ports = free_ports(4)
    server = start_devserve(config_text(*ports), ports=ports)
    return Instance(server, ports, tmp_path / "devserve.toml")


def test_origins_and_instance(instance: Instance) -> None:
    origins = httpx.get(f"{instance.control}/api/origins").json()
    assert [o["name"] for o in origins] == ["page", "api", "other"]
    api = origins[1]
    assert api["url"] == f"http://127.0.0.1:{instance.api}"
    assert api["port"] == instance.api
    assert api["cors"]["enabled"] is True and api["cors"]["mode"] == "on"
    assert api["serves"] == ["1 route"]
    info = httpx.get(f"{instance.control}/api/instance").json()
    assert info["config"] == str(instance.config)
    assert info["pid"] == instance.server.process.pid


def test_switch_changes_the_next_response_of_that_origin_only(instance: Instance) -> None:
    with httpx.Client() as client:
        before = client.get(
            f"http://127.0.0.1:{instance.api}/data", headers={"Origin": "http://a.test"}
        )
        assert before.headers["access-control-allow-origin"] == "http://a.test"
        off = httpx.put(f"{instance.control}/api/origins/api/cors", json={"enabled": False}).json()
        assert off["cors"] == {**off["cors"], "enabled": False, "mode": "off", "configured": "on"}
        # Same keep-alive connection: no restart, nothing dropped.
        after = client.get(
            f"http://127.0.0.1:{instance.api}/data", headers={"Origin": "http://a.test"}
        )
        assert "access-control-allow-origin" not in after.headers
    assert instance.acao(instance.other) == f"http://127.0.0.1:{instance.page}"
    httpx.put(f"{instance.control}/api/origins/api/cors", json={"enabled": True})
    assert instance.acao(instance.api) == f"http://127.0.0.1:{instance.page}"


def test_switching_on_an_origin_configured_off_uses_the_permissive_policy(
    instance: Instance,
) -> None:
    state = httpx.put(f"{instance.control}/api/origins/page/cors", json={"enabled": True}).json()
    assert state["cors"]["mode"] == "on" and state["cors"]["configured"] == "off"
    response = httpx.get(f"http://127.0.0.1:{instance.page}/x", headers={"Origin": "http://b.test"})
    assert response.headers["access-control-allow-origin"] == "http://b.test"


def test_event_stream_reports_requests_switches_and_config(instance: Instance) -> None:
    events = EventReader(f"{instance.control}/api/events")
    events.wait_for(CONFIG)
    assert events.kinds == [ORIGINS, CONFIG]
    assert events.data(CONFIG) == [{"error": None}]
    httpx.get(f"http://127.0.0.1:{instance.api}/data", headers={"Origin": "http://a.test"})
    events.wait_for(REQUEST)
    (request,) = events.data(REQUEST)
    assert {k: request[k] for k in ("origin", "method", "path", "status", "from")} == {
        "origin": "api",
        "method": "GET",
        "path": "/data",
        "status": 200,
        "from": "http://a.test",
    }
    httpx.put(f"{instance.control}/api/origins/api/cors", json={"enabled": False})
    events.wait_for(ORIGINS, 2)
    instance.config.write_text(instance.config.read_text().replace("port = ", "prot = ", 1))
    events.wait_for(CONFIG, 2)
    assert "did you mean" in events.data(CONFIG)[-1]["error"]
    events.close()


def test_runtime_switch_survives_a_config_reload_that_keeps_cors(instance: Instance) -> None:
    httpx.put(f"{instance.control}/api/origins/api/cors", json={"enabled": False})
    instance.write(ok=2)
    wait_until(lambda: httpx.get(f"http://127.0.0.1:{instance.api}/data").json() == {"ok": 2})
    assert instance.acao(instance.api) is None
    instance.write(ok=2, api_cors="*")
    wait_until(lambda: instance.acao(instance.api) == "*", "the new cors setting")


def test_dashboard_port_taken_still_starts_origins(start_devserve: StartDevserve) -> None:
    page, api, other, dashboard = free_ports(4)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", dashboard))
        blocker.listen()
        server = start_devserve(config_text(page, api, other, dashboard), ports=[page, api, other])
        wait_until(lambda: "dashboard: not started: port" in server.output(), "the warning")
    assert httpx.get(f"http://127.0.0.1:{api}/data").status_code == 200


def test_cli_status_and_cors(instance: Instance, tmp_path: Path) -> None:
    status = run_command("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert f"api  http://127.0.0.1:{instance.api}  1 route  | CORS on" in status.stdout
    as_json = json.loads(run_command("status", "--json", cwd=tmp_path).stdout)
    assert as_json["instance"]["config"] == str(instance.config)
    assert [o["name"] for o in as_json["origins"]] == ["page", "api", "other"]

    off = run_command("cors", "api", "off", cwd=tmp_path)
    assert off.returncode == 0
    assert "switched off at runtime; the config says on" in off.stdout
    assert instance.acao(instance.api) is None
    shown = run_command("cors", "api", cwd=tmp_path)
    assert "CORS off" in shown.stdout
    assert run_command("cors", "api", "on", cwd=tmp_path).returncode == 0
    assert instance.acao(instance.api) == f"http://127.0.0.1:{instance.page}"

    unknown = run_command("cors", "nope", "on", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "no origin named 'nope'; the origins are: page, api, other" in unknown.stderr
    assert run_command("cors", "api", "maybe", cwd=tmp_path).returncode == 2
    by_url = run_command("status", "--url", instance.control, cwd=tmp_path.parent)
    assert by_url.returncode == 0


def test_cli_says_when_nothing_runs_or_another_project_does(
    instance: Instance, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "devserve.toml").write_text(
        f"[devserve]\ndashboard_port = {instance.dashboard}\n[origins.x]\nport = 1\n"
    )
    other = run_command("status", cwd=elsewhere)
    assert other.returncode == 2
    assert f"serves another project ({instance.config})" in other.stderr
    (free,) = free_ports(1)
    (elsewhere / "devserve.toml").write_text(
        f"[devserve]\ndashboard_port = {free}\n[origins.x]\nport = 1\n"
    )
    nothing = run_command("cors", "x", cwd=elsewhere)
    assert nothing.returncode == 2
    assert "no devserve is running for" in nothing.stderr
    assert "Traceback" not in nothing.stderr
