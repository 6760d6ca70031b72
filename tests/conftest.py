"""Shared fixtures: a real `devserve` process started from a config text (tests/support/process.py
holds the helpers; they are re-exported here for the tests that import them from conftest)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.process import (
    Devserve,
    StartDevserve,
    free_port,
    free_ports,
    port_open,
    run_command,
    run_devserve,
)

# pytester: tests of devserve's own pytest plugin; browsers: the real-browser fixtures.
pytest_plugins = ["pytester", "tests.support.browsers"]

__all__ = [
    "Devserve",
    "StartDevserve",
    "free_port",
    "free_ports",
    "port_open",
    "run_command",
    "run_devserve",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the run for two workers on two cores.

    - Tests that drive Chromium through Playwright run last: Playwright's sync API keeps an
      event loop registered on the main thread while its session fixture lives, which would
      break any later test that runs a loop there (anyio.run, asyncio.run). So no browser test
      may be in an xdist_group: pytest-xdist schedules the largest groups first.
    - Tests that only wait on another process (Firefox driven by Node, a pytest of its own)
      are spread through the rest, a module's tests together: while one worker waits on
      Firefox, the other has the CPU. Left at the end, both workers would wait at once.
    """
    grouped = [
        item.nodeid
        for item in items
        if _drives_a_browser(item) and item.get_closest_marker("xdist_group")
    ]
    if grouped:
        raise pytest.UsageError(f"browser tests may not be in an xdist_group: {grouped[:3]}")
    playwright = [item for item in items if _uses_playwright(item)]
    waiting = [item for item in items if _drives_a_browser(item) and not _uses_playwright(item)]
    rest = [item for item in items if not _drives_a_browser(item)]
    blocks: dict[str, list[pytest.Item]] = {}
    for item in waiting:
        blocks.setdefault(item.nodeid.split("::")[0], []).append(item)
    spread: list[pytest.Item] = []
    step = len(rest) / (len(blocks) + 1)
    for index, block in enumerate(blocks.values()):
        at = round(step * (index + 1))
        spread += rest[round(step * index) : at] + block
    spread += rest[round(step * len(blocks)) :]
    items[:] = spread + playwright


def _drives_a_browser(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return "tests/browser/" in item.nodeid or "browser" in fixtures


def _uses_playwright(item: pytest.Item) -> bool:
    """Chromium through Playwright: its fixtures, or a driver parametrized to Chromium."""
    fixtures = getattr(item, "fixturenames", ())
    if {"browser", "context", "page"} & set(fixtures):
        return True
    chromium = "[chromium" in item.nodeid or "-chromium" in item.nodeid
    return _drives_a_browser(item) and (chromium or "firefox" not in item.nodeid.lower())


@pytest.fixture(scope="session", autouse=True)
def _own_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """devserve's CA lives in the user's data folder: the suite (and every devserve it starts)
    uses a throwaway one, never the real ``~/.local/share/devserve``."""
    folder = tmp_path_factory.mktemp("devserve-data")
    saved = os.environ.get("DEVSERVE_DATA_DIR")
    os.environ["DEVSERVE_DATA_DIR"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("DEVSERVE_DATA_DIR", None)
    else:
        os.environ["DEVSERVE_DATA_DIR"] = saved


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
