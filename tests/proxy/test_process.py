"""The proxy in a real `devserve run` process: a 200 MB body passes without the process growing,
`--offline` replays, and the dashboard's "save as mock" writes a proxied response."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import StartDevserve, free_ports
from tests.proxy.conftest import Running
from tests.support.configs import config_toml
from tests.support.sse import EventReader
from tests.support.waiting import wait_until

MB = 1024 * 1024


def _rss(pid: int) -> int:
    """Resident memory of a process, in bytes (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def ports() -> Iterator[list[int]]:
    yield free_ports(2)


def test_a_200_mb_body_streams_through_without_memory_growth(
    upstream: Running, start_devserve: StartDevserve, ports: list[int], tmp_path: Path
) -> None:
    origin = {"port": ports[0], "proxy": upstream.url, "record": "rec"}
    server = start_devserve(
        config_toml({"api": origin}, {"dashboard_port": False}),
        ports=[ports[0]],
        args=["--no-reload"],
    )
    url = server.url(ports[0])
    httpx.get(url + "/big?mb=1", timeout=30)  # warm up: imports, client pool, first recording
    before = _rss(server.process.pid)
    peak, size = before, 0
    with httpx.stream("GET", url + "/big?mb=200", timeout=60) as response:
        for index, chunk in enumerate(response.iter_raw()):
            size += len(chunk)
            if index % 200 == 0:
                peak = max(peak, _rss(server.process.pid))
    assert size == 200 * MB
    assert peak - before < 40 * MB, f"devserve grew by {(peak - before) // MB} MB"
    wait_until(lambda: "the body is over 10 MiB" in server.output(), "the log line")
    envelope = json.loads((tmp_path / "rec" / "big.mock.json").read_text())
    assert envelope["match"]["query"] == {"mb": "1"}  # the 200 MB one was not recorded
    assert [p.name for p in (tmp_path / "rec").iterdir()] == ["big.mock.json"]


def test_offline_replays_and_save_as_mock_writes_a_file(
    upstream: Running, start_devserve: StartDevserve, ports: list[int], tmp_path: Path
) -> None:
    api, dashboard = ports
    origin = {"port": api, "proxy": upstream.url, "record": "rec", "record_mode": "off"}
    config = config_toml({"api": origin}, {"dashboard_port": dashboard})
    server = start_devserve(config, ports=[api, dashboard], args=["--no-reload"])
    wait_until(lambda: "Press Ctrl-C" in server.output(), "the banner")
    assert f"proxy {upstream.url} (record off: {tmp_path / 'rec'})" in server.output()
    events = EventReader(f"http://127.0.0.1:{dashboard}/api/events")
    try:
        httpx.get(server.url(api) + "/users?page=3")
        events.wait_for("request")
        proxied = events.data("request")[-1]["proxy"]
        assert proxied["state"] == "live" and proxied["status"] == 200
        saved = httpx.post(
            f"http://127.0.0.1:{dashboard}/api/origins/api/proxied/{proxied['capture']}/save",
            json={},
        )
    finally:
        events.close()
    assert saved.status_code == 200
    assert saved.json() == {"file": str(tmp_path / "rec" / "users.mock.json")}
    assert server.stop() == 0

    offline = start_devserve(config, ports=[api], args=["--no-reload", "--offline"])
    wait_until(lambda: "record replay" in offline.output(), "the banner saying it replays")
    replayed = httpx.get(offline.url(api) + "/users?page=3")
    missed = httpx.get(offline.url(api) + "/users?page=4")
    assert replayed.json()[0]["id"] == 30
    assert missed.status_code == 404
    assert missed.json()["nearest"]["differs"] == ["query page is '4', not '3'"]
    assert upstream.api.hits["/users"] == 1
