"""A json-server from npm and devserve side by side, each on its own copy of one data file:
what the parity tests of both dialects send their requests to."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.mocks.resources.helpers import write_db
from tests.support.configs import config_toml
from tests.support.peers import node
from tests.support.process import Devserve, free_ports, port_open, run_devserve
from tests.support.waiting import wait_until


@contextmanager
def json_server(
    folder: Path, cli: Path, options: list[str], *, meanwhile: Callable[[], object] = lambda: None
) -> Iterator[str]:
    """Run json-server's ``cli`` (with ``options``) on ``folder/db.json``; yield its base URL.
    ``meanwhile`` runs while Node starts (devserve starts then, rather than after)."""
    port = free_ports(1)[0]
    command = [node(), str(cli), "--port", str(port), "--host", "127.0.0.1", *options]
    log_file = folder.parent / f"{folder.name}-json-server.log"
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [*command, "db.json"], cwd=folder, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        meanwhile()

        def listening() -> bool:
            assert process.poll() is None, f"json-server exited:\n{log_file.read_text()}"
            return port_open(port)

        wait_until(listening, "json-server to listen", timeout=20, output=log_file.read_text)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def side_by_side(
    tmp_path: Path,
    cli: Path,
    *,
    options: list[str],
    origin: dict[str, Any],
    data: dict[str, Any] | None = None,
    files: dict[str, str] | None = None,
) -> Iterator[tuple[str, str]]:
    """Run json-server's ``cli`` (with ``options``) and devserve (origin ``api`` with
    ``origin``'s keys) on ``data``, each folder also holding ``files`` (name: text); yield
    their base URLs (json-server's first)."""
    for side in ("js", "ds"):
        (tmp_path / side).mkdir()
        for name, text in (files or {}).items():
            (tmp_path / side / name).write_text(text)
    write_db(tmp_path / "js", data)
    shutil.copy(tmp_path / "js" / "db.json", tmp_path / "ds" / "db.json")
    ds_port = free_ports(1)[0]
    api = {"port": ds_port, "resources": "db.json", **origin}
    (tmp_path / "ds" / "devserve.toml").write_text(
        config_toml({"api": api}, {"dashboard_port": False})
    )
    started: list[Devserve] = []

    def start_devserve() -> None:
        command = ["--no-reload", "run", "-c", "devserve.toml"]
        started.append(run_devserve(command, cwd=tmp_path / "ds", wait_ports=[ds_port]))

    try:
        with json_server(tmp_path / "js", cli, options, meanwhile=start_devserve) as js_base:
            yield js_base, f"http://127.0.0.1:{ds_port}"
    finally:
        for devserve in started:
            devserve.stop()
