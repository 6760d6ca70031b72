"""The renderer processes seen from a request: what a user gets when one cannot start."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devserve.mocks import behaviour, worker
from devserve.mocks.pool import Pool
from tests.mocks.conftest import mock_client


@pytest.fixture
def broken_renderers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pool]:
    """A pool whose renderers fail at start-up, as in an environment missing Jinja2."""
    failing = "import sys; sys.stderr.write('ModuleNotFoundError: jinja2\\n'); sys.exit(3)"
    monkeypatch.setattr(worker, "_LAUNCH", failing)
    pool = Pool(size=2)
    monkeypatch.setattr(behaviour, "POOL", pool)
    yield pool
    pool.stop()


def test_a_renderer_that_cannot_start_is_a_quick_500_that_says_why(
    tmp_path: Path, broken_renderers: Pool
) -> None:
    api = mock_client(tmp_path, {"routes": [{"path": "/x", "json": {"a": "{{ query.a }}"}}]})
    for _ in range(2):  # each request tries again: a passing problem does not stick
        started = time.monotonic()
        response = api.get("/x?a=1")
        assert time.monotonic() - started < 10
        assert response.status_code == 500
        reason = response.json()["reason"]
        assert reason == "the template renderer could not start: ModuleNotFoundError: jinja2"
