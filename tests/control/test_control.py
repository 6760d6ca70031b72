"""The control API and the `status` / `cors` commands against a real running instance."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devserve.instance import DEFAULT_DASHBOARD_PORT
from devserve.live.events import CONFIG, ORIGINS, REQUEST
from tests.support.ci import need
from tests.support.configs import config_toml
from tests.support.process import (
    Devserve,
    StartDevserve,
    free_port,
    free_port_block,
    free_ports,
    port_open,
    run_command,
    run_devserve,
)
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
        value: str | None = response.headers.get("access-control-allow-origin")
        return value


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
            f"http://127.0.0.1:{instance.api}/data", headers={"Origin": "http://a.localhost"}
        )
        assert before.headers["access-control-allow-origin"] == "http://a.localhost"
        off = httpx.put(f"{instance.control}/api/origins/api/cors", json={"enabled": False}).json()
        assert off["cors"] == {**off["cors"], "enabled": False, "mode": "off", "configured": "on"}
        # Same keep-alive connection: no restart, nothing dropped.
        after = client.get(
            f"http://127.0.0.1:{instance.api}/data", headers={"Origin": "http://a.localhost"}
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
    response = httpx.get(
        f"http://127.0.0.1:{instance.page}/x", headers={"Origin": "http://b.localhost"}
    )
    assert response.headers["access-control-allow-origin"] == "http://b.localhost"


def test_event_stream_reports_requests_switches_and_config(instance: Instance) -> None:
    events = EventReader(f"{instance.control}/api/events")
    events.wait_for(CONFIG)
    assert events.kinds == [ORIGINS, CONFIG]
    assert events.data(CONFIG) == [{"error": None}]
    httpx.get(f"http://127.0.0.1:{instance.api}/data", headers={"Origin": "http://a.localhost"})
    events.wait_for(REQUEST)
    (request,) = events.data(REQUEST)
    assert {k: request[k] for k in ("origin", "method", "path", "status", "from")} == {
        "origin": "api",
        "method": "GET",
        "path": "/data",
        "status": 200,
        "from": "http://a.localhost",
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
        # The port's holder never answers: status says at once why there is no dashboard,
        # not, after a wait, that no devserve runs.
        started = time.monotonic()
        status = run_command("status", cwd=server.log_path.parent)
        assert time.monotonic() - started < 2.5  # starting Python included, no HTTP timeout
    assert status.returncode == 2
    assert f"devserve (pid {server.process.pid}) serves" in status.stderr
    assert f"without its dashboard: not started: port {dashboard} is taken" in status.stderr
    server.stop()
    after = run_command("status", cwd=server.log_path.parent)
    assert "without its dashboard" not in after.stderr  # the note went with the process


def test_cli_status_and_cors(instance: Instance, tmp_path: Path) -> None:
    status = run_command("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    api_line = next(line for line in status.stdout.splitlines() if line.startswith("  api "))
    assert re.fullmatch(
        rf"  api +http://127\.0\.0\.1:{instance.api} +1 route +\| CORS on .*", api_line
    )
    as_json = json.loads(run_command("status", "--json", cwd=tmp_path).stdout)
    assert as_json["instance"]["config"] == str(instance.config)
    assert [o["name"] for o in as_json["origins"]] == ["page", "api", "other"]

    off = run_command("cors", "api", "off", cwd=tmp_path)
    assert off.returncode == 0
    assert "switched off at runtime; configured on" in off.stdout
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


def test_a_dashboard_that_connects_later_gets_the_kept_requests_once(instance: Instance) -> None:
    api = f"http://127.0.0.1:{instance.api}"
    httpx.get(f"{api}/early", headers={"Origin": "http://a.localhost"})
    events = f"{instance.control}/api/events"

    def paths(reader: EventReader) -> list[str]:
        return [record["path"] for record in reader.data(REQUEST)]

    first = EventReader(events)
    wait_until(lambda: "/early" in paths(first), "the request made before it connected")
    assert first.kinds[:2] == [ORIGINS, CONFIG]  # the state first
    (early_id,) = [
        first.ids[index]
        for index, (kind, data) in enumerate(first.events)
        if kind == REQUEST and json.loads(data)["path"] == "/early"
    ]
    assert early_id
    first.close()
    # A reconnecting EventSource sends the last id it saw: nothing it saw comes again.
    resumed = EventReader(events, headers={"Last-Event-ID": early_id})
    httpx.get(f"{api}/later")
    wait_until(lambda: "/later" in paths(resumed), "the request made after it reconnected")
    assert "/early" not in paths(resumed)
    resumed.close()
    # An id from another devserve process (a restart) replays everything this one kept.
    restarted = EventReader(events, headers={"Last-Event-ID": "0-99999"})
    wait_until(lambda: {"/early", "/later"} <= set(paths(restarted)), "the whole history")
    assert paths(restarted).count("/early") == 1
    restarted.close()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Devserve, int, int]]:
    """`devserve demo` on free ports; the dashboard off its default port."""
    base, dashboard = free_port_block(4), free_port()
    server = run_devserve(
        ["demo", "--port", str(base), "--dashboard-port", str(dashboard)],
        cwd=tmp_path,
        wait_ports=[base, base + 1, base + 2, base + 3, dashboard],
    )
    yield server, base, dashboard
    assert server.stop() == 0


def test_the_demo_has_an_identity_and_advice_of_its_own(
    demo: tuple[Devserve, int, int], tmp_path: Path
) -> None:
    server, base, dashboard = demo
    control = f"http://127.0.0.1:{dashboard}"
    info = httpx.get(f"{control}/api/instance").json()
    assert info["kind"] == "demo" and info["config"].endswith("demo/devserve.toml")
    assert "the bundled demo" in httpx.get(f"{control}/").text
    status = run_command("status", "--url", control, cwd=tmp_path)
    assert f"(pid {server.process.pid}) serving the bundled demo" in status.stdout
    # A blocked request's advice names what a demo user can do: no devserve.toml to edit.
    page = {"Origin": f"http://127.0.0.1:{base}"}
    reason = httpx.get(f"http://127.0.0.1:{base + 2}/hello", headers=page).headers[
        "x-devserve-cors"
    ]
    assert f"`devserve cors api-off on --url {control}` or its switch on the dashboard" in reason
    assert "devserve.toml" not in reason


@pytest.mark.xdist_group("default-dashboard-port")  # see pyproject.toml: one worker binds 8999
def test_cors_from_an_empty_folder_reaches_the_demo_on_the_default_port(
    tmp_path: Path,
) -> None:
    """The demo page's own "try it" command, typed where the user happens to be."""
    if port_open(DEFAULT_DASHBOARD_PORT):
        need("the default dashboard port", f"port {DEFAULT_DASHBOARD_PORT} is busy")
    base = free_port_block(4)
    server = run_devserve(
        ["demo", "--port", str(base)],
        cwd=tmp_path,
        wait_ports=[base, base + 1, base + 2, base + 3, DEFAULT_DASHBOARD_PORT],
        default_dashboard=True,
    )
    try:
        answering = httpx.get(f"http://127.0.0.1:{DEFAULT_DASHBOARD_PORT}/api/instance").json()
        if answering["pid"] != server.process.pid:  # another test took the port first
            need("the default dashboard port", f"port {DEFAULT_DASHBOARD_PORT} is busy")
        empty = tmp_path / "empty"
        empty.mkdir()
        page = {"Origin": f"http://127.0.0.1:{base}"}
        api_off = f"http://127.0.0.1:{base + 2}/hello"
        reason = httpx.get(api_off, headers=page).headers["x-devserve-cors"]
        assert "`devserve cors api-off on` or its switch on the dashboard" in reason
        switched = run_command("cors", "api-off", "on", cwd=empty)
        assert switched.returncode == 0, switched.stderr
        assert "api-off" in switched.stdout and "switched on at runtime" in switched.stdout
        assert "no devserve.toml here: using the devserve on http://127.0.0.1:8999" in (
            switched.stderr
        )
        assert "(the bundled demo)" in switched.stderr
        allowed = httpx.get(api_off, headers=page)
        assert allowed.headers["access-control-allow-origin"] == page["Origin"]
        status = run_command("status", cwd=empty)
        assert "serving the bundled demo" in status.stdout
    finally:
        assert server.stop() == 0


@pytest.mark.xdist_group("default-dashboard-port")  # see pyproject.toml: one worker binds 8999
def test_with_no_config_and_nothing_on_the_default_port(tmp_path: Path) -> None:
    if port_open(DEFAULT_DASHBOARD_PORT):
        need("the default dashboard port", f"port {DEFAULT_DASHBOARD_PORT} is busy")
    result = run_command("cors", "api", "on", cwd=tmp_path)
    assert result.returncode == 2
    assert "no devserve.toml here or in any parent folder, and no devserve answers" in (
        result.stderr
    )
