"""The pytest plugin (installed with devserve, entry point ``pytest11``).

Fixtures:
- ``devserve``: a factory; ``devserve(config)`` starts a config (a Config, a dict, TOML text or
  a path) for the current test and stops it when the test ends. It returns ``RunningInThread``.
- ``devserve_session``: the same factory, but instances live for the whole session.

Marker: ``@pytest.mark.devserve_cors_off("api", ...)`` runs the test with those origins' CORS
switched off (in every instance the test uses), and restores it afterwards.

Assertion: ``running.assert_no_blocked_requests()`` fails listing every blocked request with
its verdict.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from devserve.embed import ConfigSource, RunningInThread, as_config
from devserve.embed import run_in_thread as _run_in_thread

MARKER = "devserve_cors_off"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*names): run the test with these devserve origins' CORS switched off",
    )


class DevserveFactory:
    """What the ``devserve`` fixtures give: call it with a config to start an instance."""

    def __init__(self, *, base: Path | None, cors_off: list[str]) -> None:
        self._stack = contextlib.ExitStack()
        self._base = base
        self._cors_off = cors_off
        self.instances: list[RunningInThread] = []

    def __call__(
        self, source: ConfigSource, *, base: Path | None = None, host: str | None = None
    ) -> RunningInThread:
        """Start ``source`` (a Config, a dict, TOML text or a path); stopped with the fixture."""
        config = as_config(source, base=base or self._base)
        running = self._stack.enter_context(_run_in_thread(config, host=host))
        self.instances.append(running)
        for name in self._cors_off:
            if name in running.names:
                running.set_cors(name, enabled=False)
        return running

    def close(self) -> None:
        self._stack.close()


def _cors_off_names(request: pytest.FixtureRequest) -> list[str]:
    marker = request.node.get_closest_marker(MARKER)
    return [str(name) for name in marker.args] if marker else []


@pytest.fixture
def devserve(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DevserveFactory]:
    """Start devserve configs for this test: ``running = devserve(config)``."""
    factory = DevserveFactory(base=tmp_path, cors_off=_cors_off_names(request))
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def devserve_session() -> Iterator[DevserveFactory]:
    """Start devserve configs shared by the session: ``running = devserve_session(config)``."""
    factory = DevserveFactory(base=None, cors_off=[])
    yield factory
    factory.close()


@pytest.fixture(autouse=True)
def _devserve_cors_off(request: pytest.FixtureRequest) -> Iterator[None]:
    """``devserve_cors_off`` on session instances: switched off for this test, then back on."""
    names = _cors_off_names(request)
    if not names or "devserve_session" not in request.fixturenames:
        yield
        return
    factory: DevserveFactory = request.getfixturevalue("devserve_session")
    switched = [(r, n) for r in factory.instances for n in names if n in r.names]
    for running, name in switched:
        running.set_cors(name, enabled=False)
    try:
        yield
    finally:
        for running, name in switched:
            running.set_cors(name, enabled=True)
