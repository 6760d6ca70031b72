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
from tests.support.waiting import wait_until

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
    assert f"dashboard: http://127.0.0.1:{dashboard}\n" in server.output()
    assert "dashboard and control API are bound" not in server.output()
    # `devserve status` finds it where it is.
    status = run_command("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert httpx.get(f"http://127.0.0.1:{dashboard}/api/instance").status_code == 200


def test_dashboard_host_opens_it_on_purpose_and_the_banner_says_so(
    start_devserve: StartDevserve,
) -> None:
    page, dashboard = free_ports(2)
    server = start_devserve(
        config_toml(
            {"page": {"port": page}}, {"dashboard_port": dashboard, "dashboard_host": "0.0.0.0"}
        ),
        ports=[page, dashboard],
    )
    assert listening_addresses(page) == {"127.0.0.1"}
    assert listening_addresses(dashboard) == {"0.0.0.0"}
    # The banner names the address it really listens on, and what that gives away.
    banner = server.output()
    assert f"dashboard: http://127.0.0.1:{dashboard} (bound to 0.0.0.0:{dashboard})" in banner
    assert (
        "warning: the dashboard and control API are bound to 0.0.0.0: anyone on your network "
        "can switch CORS and read the request log. Remove dashboard_host from [devserve] to "
        "keep them on 127.0.0.1."
    ) in banner
    assert "origins. Use --host" not in banner  # the origins themselves stay on loopback


def test_a_config_edit_that_opens_the_dashboard_warns_too(
    start_devserve: StartDevserve, tmp_path: Path
) -> None:
    page, dashboard = free_ports(2)
    origins = {"page": {"port": page}}
    server = start_devserve(
        config_toml(origins, {"dashboard_port": dashboard}), ports=[page, dashboard]
    )
    (tmp_path / "devserve.toml").write_text(
        config_toml(origins, {"dashboard_port": dashboard, "dashboard_host": "0.0.0.0"})
    )
    warning = "warning: the dashboard and control API are bound to 0.0.0.0"
    wait_until(lambda: warning in server.output(), "the warning", output=server.output)
    assert f"dashboard: http://127.0.0.1:{dashboard} (bound to 0.0.0.0:{dashboard})" in (
        server.output()
    )
    assert listening_addresses(dashboard) == {"0.0.0.0"}
