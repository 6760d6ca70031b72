"""The command line as a user types it: exit codes, messages, start-up and clean shutdown."""

from __future__ import annotations

import json
import re
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
    free_port,
    free_port_block,
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
        config_toml(
            {"a": {"port": ports[0]}, "b": {"port": ports[1], "cors": "on"}},
            {"dashboard_port": False},
        ),
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
            },
            {"dashboard_port": False},
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
    assert re.search(
        rf"1 route +\| CORS allow-list: http://127\.0\.0\.1:{ports[0]}, credentials", output
    )
    assert "GET     /users 200" in output and "from http://x.test" in output


def test_host_header_allow_list_over_the_wire(start_devserve: StartDevserve) -> None:
    (port,) = free_ports(1)
    start_devserve(
        config_toml(
            {"a": {"port": port}},
            {"allowed_hosts": ["dev.example.test"], "dashboard_port": False},
        ),
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


@pytest.mark.xdist_group("default-dashboard-port")  # see pyproject.toml: one worker binds 8999
def test_serve_a_folder_with_cors(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hi")
    (port,) = free_ports(1)
    server = run_devserve(
        ["serve", str(tmp_path), "-p", str(port), "--cors", "http://localhost:3000"],
        cwd=tmp_path,
        wait_ports=[port],
        default_dashboard=True,
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


# ---- common options before or after the command (README "CLI reference") -------------------


def test_run_takes_quiet_after_the_command(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    (tmp_path / "devserve.toml").write_text(
        f"[devserve]\ndashboard_port = false\n[origins.a]\nport = {port}\n"
    )
    server = run_devserve(["run", "-q"], cwd=tmp_path, wait_ports=[port])
    assert httpx.get(f"http://127.0.0.1:{port}/quiet-please").status_code == 404
    assert server.stop() == 0
    output = server.output()
    assert f"http://127.0.0.1:{port}" in output  # the banner still says where things are
    assert "/quiet-please" not in output  # but no request lines


def test_config_option_before_the_command_is_used(tmp_path: Path) -> None:
    (tmp_path / "devserve.toml").write_text("[origins.a]\nport = 8000\n")
    other = tmp_path / "other.toml"
    other.write_text("[origins.b]\nport = true\n")
    before = run_command("-c", str(other), "check-config", cwd=tmp_path)
    assert before.returncode == 2
    assert f"error: {other}: origins.b.port: expected a port number" in before.stderr
    other.write_text("[origins.b]\nport = 8001\n")
    after = run_command("check-config", "-c", str(other), cwd=tmp_path)
    assert after.returncode == 0 and "valid, 1 origin(s): b" in after.stdout
    assert run_command("-q", "check-config", "-c", str(other), cwd=tmp_path).stdout == ""


def test_a_common_option_that_does_not_apply_is_an_error(tmp_path: Path) -> None:
    wrong = run_command("-c", "x.toml", "serve", ".", cwd=tmp_path)
    assert wrong.returncode == 2
    assert "-c/--config does not apply to `devserve serve`" in wrong.stderr
    reload = run_command("--no-reload", "check-config", cwd=tmp_path)
    assert reload.returncode == 2
    assert "--no-reload does not apply to `devserve check-config`" in reload.stderr


# ---- serve speaks command-line language -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "DIR 'nope' does not exist; give the folder to serve"),
        (["hello.txt"], "DIR 'hello.txt' is a file; `devserve serve` serves a folder"),
        (["--cors", "maybe"], "--cors 'maybe' is neither a mode nor an origin: use off, on, *"),
        (["--cors", "http://x.test/"], "--cors: 'http://x.test/' has a trailing slash"),
        (["-p", "70000"], "-p/--port must be between 0 (any free port) and 65535 (got 70000)"),
        (["-p", "8005", "--dashboard-port", "8005"], "--dashboard-port 8005 is the origin's port"),
    ],
)
def test_serve_errors_name_the_option(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "hello.txt").write_text("hi")
    result = run_command("serve", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert f"error: {message}" in result.stderr
    assert "origins.site" not in result.stderr and "Traceback" not in result.stderr


def test_serve_with_a_dashboard_port(tmp_path: Path) -> None:
    port, dashboard = free_ports(2)
    server = run_devserve(
        ["serve", "-p", str(port), "--dashboard-port", str(dashboard)],
        cwd=tmp_path,
        wait_ports=[port, dashboard],
    )
    info = httpx.get(f"http://127.0.0.1:{dashboard}/api/instance").json()
    assert info["kind"] == "folder" and info["config"] is None
    blocked = httpx.get(f"http://127.0.0.1:{port}/", headers={"Origin": "http://localhost:1"})
    reason = blocked.headers["x-devserve-cors"]
    assert f"`devserve cors site on --url http://127.0.0.1:{dashboard}`" in reason
    assert "devserve serve --cors on" in reason and "devserve.toml" not in reason
    assert server.stop() == 0


# ---- port advice that matches the command -----------------------------------------------------


def test_port_taken_advice_matches_the_command(tmp_path: Path) -> None:
    base, dashboard = free_port_block(4), free_port()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", base + 2))
        blocker.listen()
        demo = run_command(
            "demo", "--port", str(base), "--dashboard-port", str(dashboard), cwd=tmp_path
        )
        serve = run_command("serve", "-p", str(base + 2), cwd=tmp_path)
    assert demo.returncode == 3
    assert f"origin 'api-off': port {base + 2}" in demo.stderr
    assert "use --port to move the demo's ports" in demo.stderr
    assert serve.returncode == 3
    assert "pick another with -p/--port" in serve.stderr
    assert "pick another port for" not in demo.stderr + serve.stderr


def test_demo_ports_may_not_cover_the_dashboard(tmp_path: Path) -> None:
    result = run_command("demo", "--port", "8997", cwd=tmp_path)
    assert result.returncode == 2
    assert "ports 8997-9000, which include the dashboard's port 8999" in result.stderr


# ---- init -------------------------------------------------------------------------------------


def test_init_names_the_folder_and_says_when_nothing_was_written(tmp_path: Path) -> None:
    first = run_command("init", "site", cwd=tmp_path)
    assert first.returncode == 0
    assert "Next: cd site && devserve" in first.stdout
    again = run_command("init", "site", cwd=tmp_path)
    assert "Nothing written: every starter file already exists in site." in again.stdout
    assert "Next:" not in again.stdout
    here = run_command("init", cwd=tmp_path / "site" / "web")
    assert "Next: run `devserve` here." in here.stdout


@pytest.mark.xdist_group("default-dashboard-port")  # the starter's dashboard is on 8999
def test_init_port_moves_the_page_the_api_and_every_file_that_names_them(
    tmp_path: Path,
) -> None:
    page = free_port_block(2)
    api = page + 1
    assert run_command("init", "site", "--port", str(page), cwd=tmp_path).returncode == 0
    site = tmp_path / "site"
    texts = "".join(path.read_text() for path in site.rglob("*") if path.is_file())
    assert "8000" not in texts and "8001" not in texts
    assert f"localhost:{page}" in texts and f"hostname}}:{api}`" in texts
    server = run_devserve([], cwd=site, wait_ports=[page, api], default_dashboard=True)
    try:
        origin = {"Origin": f"http://localhost:{page}"}
        answer = httpx.get(f"http://localhost:{api}/users", headers=origin, timeout=5)
        assert answer.headers["access-control-allow-origin"] == origin["Origin"]
    finally:
        server.stop()


@pytest.mark.parametrize(
    "args",
    [["serve", "-p", "abc"], ["demo", "--port", "x"], ["init", "-p", "8o00"],
     ["serve", "--dashboard-port", "one"]],
)  # fmt: skip
def test_a_port_that_is_not_a_number_is_one_clear_line(tmp_path: Path, args: list[str]) -> None:
    result = run_command(*args, cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and "is not a port: give a number from 1 to 65535" in line


def test_demo_base_port_may_not_be_zero(tmp_path: Path) -> None:
    result = run_command("demo", "--port", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "--port must be a port, not 0" in result.stderr


def test_serve_on_any_free_port(tmp_path: Path) -> None:
    (dashboard,) = free_ports(1)
    server = run_devserve(
        ["serve", "-p", "0", "--dashboard-port", str(dashboard)],
        cwd=tmp_path,
        wait_ports=[dashboard],
    )
    (site,) = httpx.get(f"http://127.0.0.1:{dashboard}/api/origins").json()
    assert site["port"] != 0 and httpx.get(site["url"] + "/").status_code in (200, 404)
    assert server.stop() == 0


def test_serve_compress_sends_text_files_encoded(tmp_path: Path) -> None:
    script = b"console.log('hello, compressed world');\n" * 100
    (tmp_path / "app.js").write_bytes(script)
    port, dashboard = free_ports(2)
    server = run_devserve(
        ["serve", str(tmp_path), "-p", str(port), "--compress", "--dashboard-port", str(dashboard)],
        cwd=tmp_path,
        wait_ports=[port],
    )
    try:
        url = f"http://127.0.0.1:{port}/app.js"
        packed = httpx.get(url, headers={"Accept-Encoding": "br"})
        plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    finally:
        assert server.stop() == 0
    assert packed.headers["content-encoding"] == "br" and packed.content == script
    assert int(packed.headers["content-length"]) < len(script) // 10
    assert "content-encoding" not in plain.headers and plain.content == script
