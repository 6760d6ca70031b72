"""Wait for a condition, never for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], bool],
    what: str,
    *,
    timeout: float = 10.0,
    context: Callable[[], str] = lambda: "",
) -> None:
    """Poll ``condition`` until it holds; after ``timeout``, fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s\n{context()}")
        time.sleep(0.02)
