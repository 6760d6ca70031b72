"""Run mock work off the event loop, under the time and size limits of ``[devserve]``.

The work checks its own deadline (see ``sandbox``), so a runaway template ends itself; the
``wait_for`` here is the backstop that answers in time even if something slips past.
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
# A few threads: enough for concurrent slow templates, few enough that runaways cannot starve
# the event loop of the GIL (each ends itself at its deadline anyway).
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="devserve-mock")
_GRACE_SECONDS = 0.5


@dataclass(frozen=True)
class Limits:
    timeout_ms: int = 1000
    max_bytes: int = 10 * 1024 * 1024

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.template_timeout_ms, settings.template_max_bytes)


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
            f"over a limit: the template did not finish within {limits.timeout_ms} ms"
        ) from None
