"""Shared fixtures: free ports, and a real `devserve` process started from a config text."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last: fast failures first, and Playwright's sync API keeps an
    event loop registered on the main thread while its session fixture lives, which would
    break any later test that runs a loop there (anyio.run, asyncio.run)."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)


@pytest.fixture(autouse=True)
def _restore_loggers() -> Iterator[None]:
    """The CLI points devserve's loggers at stdout and stops propagation; an in-process CLI test
    must not take log records away from a later test's caplog."""
    saved = {
        name: (logger.handlers[:], logger.propagate, logger.level)
        for name in ("devserve", "uvicorn")
        for logger in [logging.getLogger(name)]
    }
    yield
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.setLevel(level)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def free_port_block(count: int) -> int:
    """The first of ``count`` consecutive free ports (`devserve demo --port BASE` uses four)."""
    for _ in range(100):
        base = free_port()
        if base + count > 65535:
            continue
        try:
            with contextlib.ExitStack() as stack:
                for port in range(base, base + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise AssertionError(f"no {count} consecutive free ports found")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Devserve:
    """A running `devserve` process; ``output()`` is everything it printed so far."""

    process: subprocess.Popen[str]
    log_path: Path
    ports: list[int] = field(default_factory=list)

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"


StartDevserve = Callable[..., Devserve]


def run_command(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m devserve ARGS` to completion (a short command, not a server)."""
    return subprocess.run(
        [sys.executable, "-m", "devserve", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


def run_devserve(
    args: list[str], *, cwd: Path, wait_ports: list[int], timeout: float = 15
) -> Devserve:
    """Start `python -m devserve ARGS` and wait until every port in ``wait_ports`` answers."""
    log_path = cwd / f"devserve-{time.monotonic_ns()}.log"
    log = log_path.open("w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "devserve", *args],
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    server = Devserve(process=process, log_path=log_path, ports=wait_ports)
    deadline = time.monotonic() + timeout
    while not all(port_open(p) for p in wait_ports):
        if process.poll() is not None:
            raise AssertionError(f"devserve exited with {process.returncode}:\n{server.output()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"devserve did not start in time:\n{server.output()}")
        time.sleep(0.05)
    return server


@pytest.fixture
def start_devserve(tmp_path: Path) -> Iterator[StartDevserve]:
    """Write ``config`` (a devserve.toml text) into tmp_path and run devserve on it."""
    started: list[Devserve] = []

    def start(config: str, *, ports: list[int], args: list[str] | None = None) -> Devserve:
        (tmp_path / "devserve.toml").write_text(config)
        server = run_devserve(
            ["run", "-c", str(tmp_path / "devserve.toml"), *(args or [])],
            cwd=tmp_path,
            wait_ports=ports,
        )
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
