"""Whether this run is CI, and the one way a test skips for a missing tool or a busy port:
a skip on a developer's machine, a failure under ``CI=true`` (CI must run every test)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def need(what: str, reason: str) -> NoReturn:
    """Skip the calling test with ``reason`` outside CI; fail it under CI=true."""
    if in_ci():
        pytest.fail(f"{what} is required under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)
