"""Waiting in tests: for a condition to become true, or to check that one stays true. The only
place a test may sleep: every other wait is for a condition, never for a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

POLL_SECONDS = 0.02


def wait_until(
    condition: Callable[[], object],
    what: str = "the condition",
    *,
    timeout: float = 10.0,
    output: Callable[[], str] | None = None,
) -> None:
    """Poll ``condition`` until it is true; fail after ``timeout`` seconds saying ``what`` did
    not happen (plus ``output()``, e.g. what devserve printed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            said = f"; devserve said:\n{output()}" if output is not None else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{said}")
        time.sleep(POLL_SECONDS)


async def wait_until_async(
    condition: Callable[[], object], what: str = "the condition", *, timeout: float = 10.0
) -> None:
    """``wait_until`` inside a test's own event loop: the loop keeps running while it waits."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)


def stays_true(condition: Callable[[], object], what: str, *, seconds: float = 0.5) -> None:
    """Check that ``condition`` holds throughout ``seconds``: for a "nothing happens" claim that
    has no event to wait for (e.g. that no watcher reacts to an edit)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert condition(), f"no longer true: {what}"
        time.sleep(POLL_SECONDS)
    assert condition(), f"no longer true: {what}"
