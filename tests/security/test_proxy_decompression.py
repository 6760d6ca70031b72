"""Decompression bombs from the upstream: 1 GiB of zeros in a few KB (br, zstd) or 1 MB (gzip,
deflate). The browser gets the bytes as sent, never decoded; the copy decoded for the
recording stops at 10 MiB, in pieces, so memory stays flat and the other origins keep
answering. Run under an address-space cap, so a regression fails here, not on the machine."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.proxy.conftest import Running
from tests.support.bombs import bomb
from tests.support.configs import config_toml
from tests.support.process import Devserve, free_ports, memory_mb, run_devserve
from tests.support.waiting import wait_until

CODINGS = ["gzip", "deflate", "br", "zstd"]
GiB = 1024 * 1024 * 1024


@pytest.fixture
def proxying(upstream: Running, tmp_path: Path) -> Iterator[tuple[Devserve, str, str]]:
    """devserve recording the upstream on one origin, serving a file on another."""
    api, site = free_ports(2)
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "hello.txt").write_text("hello")
    origins = {
        "api": {"port": api, "proxy": upstream.url, "record": "rec"},
        "site": {"port": site, "static": "web"},
    }
    (tmp_path / "devserve.toml").write_text(config_toml(origins, {"dashboard_port": False}))
    server = run_devserve(
        ["run", "-c", str(tmp_path / "devserve.toml"), "--no-reload"],
        cwd=tmp_path,
        wait_ports=[api, site],
        address_space=GiB,
    )
    try:
        yield server, server.url(api), server.url(site)
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def test_bombs_pass_through_undecoded_and_unrecorded_in_flat_memory(
    proxying: tuple[Devserve, str, str], tmp_path: Path
) -> None:
    server, api, site = proxying
    bombs = {coding: bomb(coding) for coding in CODINGS}  # built before anything is timed
    assert httpx.get(api + "/compressed/gzip").status_code == 200  # warm: codecs, client pool
    before = memory_mb(server.process.pid)
    slowest = 0.0
    finished = threading.Event()

    def other_origin() -> None:  # the other origins must keep answering meanwhile
        nonlocal slowest
        with httpx.Client(timeout=30) as client:
            while not finished.is_set():
                started = time.monotonic()
                assert client.get(site + "/hello.txt").text == "hello"
                slowest = max(slowest, time.monotonic() - started)

    watcher = threading.Thread(target=other_origin)
    watcher.start()
    try:
        for coding, sent in bombs.items():
            with httpx.stream("GET", f"{api}/bomb/{coding}", timeout=30) as response:
                received = b"".join(response.iter_raw())
            assert response.headers["content-encoding"] == coding
            assert received == sent  # passed on exactly as it came
    finally:
        finished.set()
        watcher.join()
    grown = memory_mb(server.process.pid) - before
    assert grown < 100, f"devserve grew by {grown:.0f} MB"
    assert slowest < 3, f"another origin took {slowest:.1f} s to answer"
    output = server.output
    wait_until(lambda: output().count("the body decodes to over 10 MiB") == 4, "4 log lines")
    assert not (tmp_path / "rec" / "bomb").exists()
    assert "Traceback" not in output()
    assert server.process.poll() is None
