"""A json-server from npm and devserve side by side, each on its own copy of one data file:
what the parity tests of both dialects send their requests to."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.mocks.resources.helpers import write_db
from tests.support.configs import config_toml
from tests.support.peers import node
from tests.support.process import free_ports, port_open, run_devserve
from tests.support.waiting import wait_until


@contextmanager
def side_by_side(
    tmp_path: Path,
    cli: Path,
    *,
    options: list[str],
    origin: dict[str, Any],
    data: dict[str, Any] | None = None,
) -> Iterator[tuple[str, str]]:
    """Run json-server's ``cli`` (with ``options``) and devserve (origin ``api`` with
    ``origin``'s keys) on ``data``; yield their base URLs (json-server's first)."""
    node_path = node()
    (tmp_path / "js").mkdir()
    (tmp_path / "ds").mkdir()
    write_db(tmp_path / "js", data)
    shutil.copy(tmp_path / "js" / "db.json", tmp_path / "ds" / "db.json")
    js_port, ds_port = free_ports(2)
    command = [node_path, str(cli), "--port", str(js_port), "--host", "127.0.0.1", *options]
    log = (tmp_path / "json-server.log").open("w")
    json_server = subprocess.Popen(
        [*command, "db.json"], cwd=tmp_path / "js", stdout=log, stderr=subprocess.STDOUT
    )
    api = {"port": ds_port, "resources": "db.json", **origin}
    (tmp_path / "ds" / "devserve.toml").write_text(
        config_toml({"api": api}, {"dashboard_port": False})
    )
    devserve = run_devserve(
        ["--no-reload", "run", "-c", "devserve.toml"], cwd=tmp_path / "ds", wait_ports=[ds_port]
    )
    try:
        log_text = (tmp_path / "json-server.log").read_text

        def listening() -> bool:
            assert json_server.poll() is None, f"json-server exited:\n{log_text()}"
            return port_open(js_port)

        wait_until(listening, "json-server to listen", timeout=20, output=log_text)
        yield f"http://127.0.0.1:{js_port}", f"http://127.0.0.1:{ds_port}"
    finally:
        json_server.terminate()
        json_server.wait(timeout=10)
        devserve.stop()
