"""The ``[devserve]`` limits of mock work, and running the work that stays in devserve (a
``match`` regex, a file read) off the event loop under them.

Templates that depend on the request do not run here: they render in renderer processes
(``devserve.mocks.pool``), which can be killed. What runs here checks its own deadline (regexes
have a timeout), and the ``wait_for`` is the backstop that answers in time regardless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from devserve.config.model import Settings
from devserve.mocks.sandbox import budget
from devserve.mocks.templates import RenderError

T = TypeVar("T")
# A few threads: enough for concurrent regexes and file reads, few enough that they cannot
# starve the event loop of the GIL (each ends itself at its deadline anyway).
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="devserve-mock")
_GRACE_SECONDS = 0.5


@dataclass(frozen=True)
class Limits:
    timeout_ms: int = 1000
    max_bytes: int = 10 * 1024 * 1024
    memory_mb: int = 512  # of each renderer process

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            settings.template_timeout_ms, settings.template_max_bytes, settings.template_memory_mb
        )


def run_limited(work: Callable[[], T], limits: Limits) -> T:
    """Run ``work`` in this thread under the limits."""
    with budget(timeout_ms=limits.timeout_ms, max_bytes=limits.max_bytes):
        return work()


async def off_loop(work: Callable[[], T], limits: Limits) -> T:
    """Run ``work`` in a worker thread under the limits; RenderError if it overstays."""
    future = asyncio.get_running_loop().run_in_executor(_POOL, run_limited, work, limits)
    try:
        return await asyncio.wait_for(future, limits.timeout_ms / 1000 + _GRACE_SECONDS)
    except TimeoutError:
        raise RenderError(
            f"over a limit: the mock did not answer within {limits.timeout_ms} ms"
        ) from None
