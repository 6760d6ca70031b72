"""With --host other than loopback the origins are exposed, the control API is not: it stays on
loopback unless ``[devserve] dashboard_host`` says otherwise (issue 12, item 3). Checked on the
listening sockets; no traffic goes to any address but loopback."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests.support.configs import config_toml
from tests.support.process import (
    StartDevserve,
    free_ports,
    listening_addresses,
    run_command,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads listening sockets from /proc/net"
)


def test_wildcard_host_keeps_the_control_api_on_loopback(
    start_devserve: StartDevserve, tmp_path: Path
) -> None:
    page, dashboard = free_ports(2)
    server = start_devserve(
        config_toml({"page": {"port": page}}, {"dashboard_port": dashboard}),
        ports=[page, dashboard],
        args=["--host", "0.0.0.0"],
    )
    assert listening_addresses(page) == {"0.0.0.0"}
    assert listening_addresses(dashboard) == {"127.0.0.1"}
    assert f"dashboard: http://127.0.0.1:{dashboard}" in server.output()
    # `devserve status` finds it where it is.
    status = run_command("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert httpx.get(f"http://127.0.0.1:{dashboard}/api/instance").status_code == 200


def test_dashboard_host_opens_it_on_purpose(start_devserve: StartDevserve) -> None:
    page, dashboard = free_ports(2)
    start_devserve(
        config_toml(
            {"page": {"port": page}}, {"dashboard_port": dashboard, "dashboard_host": "0.0.0.0"}
        ),
        ports=[page, dashboard],
    )
    assert listening_addresses(page) == {"127.0.0.1"}
    assert listening_addresses(dashboard) == {"0.0.0.0"}
