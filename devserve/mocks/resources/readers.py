"""Reads that may take long (a big collection, a ``_like`` pattern) run in worker threads of
their own store, off the event loop, so no query holds up the other origins; a change waits
until those threads are done, since it mutates the very data they read."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
# Per store: one origin's slow queries queue behind each other, never behind another origin's
# (the event loop's shared default executor also reads and writes files for every origin).
WORKERS = 2


class Readers:
    """The worker threads of one store, and how many reads are running in them."""

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._pool: ThreadPoolExecutor | None = None  # threads only once a read needs them

    def start(self, read: Callable[[Any], T], data: Any) -> Future[T]:
        """``read(data)`` in a worker thread. Call it while no change can start (under the
        store's lock); the read counts as running until its thread returns, even if the request
        that wanted it is gone."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="devserve-resources")
        loop = asyncio.get_running_loop()
        self._running += 1
        self._idle.clear()
        future = self._pool.submit(read, data)
        future.add_done_callback(lambda _: _call_soon(loop, self._finished))
        return future

    def _finished(self) -> None:
        self._running -= 1
        if self._running == 0:
            self._idle.set()

    async def idle(self) -> None:
        """Return once no read is running."""
        await self._idle.wait()


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
        loop.call_soon_threadsafe(callback)
