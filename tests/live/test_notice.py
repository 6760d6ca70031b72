"""The in-page notice of a blocked request names the URL the page fetched, with the host the
page wrote (``localhost`` or ``127.0.0.1``), not the address devserve is bound to."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.configs import config_toml
from tests.support.process import StartDevserve, free_ports
from tests.support.sse import EventReader
from tests.support.waiting import wait_until


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_the_notice_names_the_host_the_page_fetched(
    start_devserve: StartDevserve, tmp_path: Path, host: str
) -> None:
    page, api, dashboard = free_ports(3)
    (tmp_path / "web").mkdir()
    config = config_toml(
        {
            "page": {"port": page, "static": "web"},
            "api": {"port": api, "routes": [{"path": "/data", "json": {"ok": True}}]},
        },
        {"dashboard_port": dashboard},
    )
    server = start_devserve(config, ports=[page, api])
    reader = EventReader(f"http://127.0.0.1:{page}/__devserve/events")
    try:
        reader.wait_subscribed()
        origin = {"Origin": f"http://{host}:{page}"}
        httpx.get(f"http://{host}:{api}/data", headers=origin, timeout=5)
        wait_until(lambda: any(kind == "cors-blocked" for kind, _ in reader.events), "a notice")
    finally:
        reader.close()
        server.stop()
    notice = next(json.loads(data) for kind, data in reader.events if kind == "cors-blocked")
    assert notice["url"] == f"http://{host}:{api}/data"
