"""One devserve with every kind of origin, shared by the tests of a module (they only read)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.everykind import EveryKind, every_kind


@pytest.fixture(scope="module")
def fortress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EveryKind]:
    with every_kind(tmp_path_factory.mktemp("fortress")) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module: a new httpx client per request costs ~50 ms of TLS setup."""
    with httpx.Client(timeout=10) as client:
        yield client
