"""The command line as a user types it: exit codes, messages, start-up and clean shutdown."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from devserve import __version__
from devserve.cli import app
from tests.support.configs import config_toml
from tests.support.process import (
    StartDevserve,
    free_ports,
    port_open,
    run_command,
    run_devserve,
)

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"devserve {__version__}"


def test_check_config_valid(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text("[origins.a]\nport = 8000\n")
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "valid, 1 origin(s): a" in result.stdout


def test_check_config_invalid_lists_every_error_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text("[origins.a]\nport = 70000\nstatik = 'x'\n")
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(
        line.startswith(f"error: {tmp_path / 'devserve.toml'}: origins.a.") for line in lines
    )
    assert "did you mean 'static'?" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_check_config_without_any_config(tmp_path: Path) -> None:
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 2
    assert "devserve init" in result.stderr


def test_run_with_invalid_config_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "custom.toml"
    config.write_text("[origins.a]\nport = 'eighty'\n")
    result = run_command("run", "-c", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "origins.a.port" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file_given_with_c(tmp_path: Path) -> None:
    result = run_command("run", "-c", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "file not found" in result.stderr


def test_port_in_use_names_origin_and_port_and_starts_nothing(tmp_path: Path) -> None:
    free, taken = free_ports(2)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", taken))
        blocker.listen()
        (tmp_path / "devserve.toml").write_text(
            config_toml({"first": {"port": free}, "second": {"port": taken}})
        )
        result = run_command(cwd=tmp_path)
    assert result.returncode == 3
    assert f"origin 'second': port {taken}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not port_open(free)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_clean_shutdown_frees_every_port(start_devserve: StartDevserve, sig: int) -> None:
    ports = free_ports(2)
    server = start_devserve(
        config_toml({"a": {"port": ports[0]}, "b": {"port": ports[1], "cors": "on"}}),
        ports=ports,
    )
    # A keep-alive connection held open must not block shutdown.
    with httpx.Client() as client:
        assert client.get(f"http://127.0.0.1:{ports[1]}/x").status_code == 404
        assert server.stop(sig) == 0
    output = server.output()
    assert "Traceback" not in output
    for port in ports:
        # SO_REUSEADDR as devserve binds: TIME_WAIT is fine, a listener left behind is not.
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
            sock.listen()


def test_banner_lists_every_origin(start_devserve: StartDevserve, tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    ports = free_ports(2)
    server = start_devserve(
        config_toml(
            {
                "page": {"port": ports[0], "static": "web", "spa": True},
                "api": {
                    "port": ports[1],
                    "cors": {
                        "allow_origins": [f"http://127.0.0.1:{ports[0]}"],
                        "allow_credentials": True,
                    },
                    "routes": [{"path": "/users", "json": []}],
                },
            }
        ),
        ports=ports,
    )
    httpx.get(f"http://127.0.0.1:{ports[1]}/users", headers={"Origin": "http://x.test"})
    server.stop()
    output = server.output()
    assert f"page  http://127.0.0.1:{ports[0]}" in output
    assert f"static {tmp_path / 'web'} (spa)" in output
    assert "CORS off" in output
    assert f"api   http://127.0.0.1:{ports[1]}" in output
    assert f"1 route  | CORS allow-list: http://127.0.0.1:{ports[0]}, credentials" in output
    assert "GET     /users 200" in output and "from http://x.test" in output


def test_host_header_allow_list_over_the_wire(start_devserve: StartDevserve) -> None:
    (port,) = free_ports(1)
    start_devserve(
        config_toml({"a": {"port": port}}, {"allowed_hosts": ["dev.example.test"]}),
        ports=[port],
    )
    url = f"http://127.0.0.1:{port}/"
    assert httpx.get(url, headers={"Host": "evil.example"}).status_code == 403
    assert "allowed_hosts" in httpx.get(url, headers={"Host": "evil.example:80"}).text
    for host in [
        "localhost",
        f"localhost:{port}",
        "app.localhost",
        "127.0.0.1",
        "[::1]:1",
        "dev.example.test",
    ]:
        assert httpx.get(url, headers={"Host": host}).status_code == 404, host


def test_serve_a_folder_with_cors(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hi")
    (port,) = free_ports(1)
    server = run_devserve(
        ["serve", str(tmp_path), "-p", str(port), "--cors", "http://localhost:3000"],
        cwd=tmp_path,
        wait_ports=[port],
    )
    try:
        allowed = httpx.get(
            f"http://127.0.0.1:{port}/hello.txt", headers={"Origin": "http://localhost:3000"}
        )
        denied = httpx.get(
            f"http://127.0.0.1:{port}/hello.txt", headers={"Origin": "http://localhost:3001"}
        )
    finally:
        assert server.stop() == 0
    assert allowed.text == "hi"
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in denied.headers


def test_serve_rejects_mixed_cors_values(tmp_path: Path) -> None:
    result = run_command("serve", ".", "--cors", "on", "--cors", "http://x.test", cwd=tmp_path)
    assert result.returncode == 2
    assert "--cors takes either" in result.stderr


def test_init_writes_starter_and_never_overwrites(tmp_path: Path) -> None:
    first = runner.invoke(app, ["init", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "devserve.toml").is_file()
    assert "wrote" in first.output
    (tmp_path / "devserve.toml").write_text("# mine\n")
    second = runner.invoke(app, ["init", str(tmp_path)])
    assert second.exit_code == 0
    assert "skipped" in second.output and "devserve.toml (already exists)" in second.output
    assert (tmp_path / "devserve.toml").read_text() == "# mine\n"


def test_init_output_is_a_valid_config(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    result = run_command("check-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_schema_is_json_schema_of_the_config() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert "origins" in schema["properties"]
