"""Renderer processes: where every mock template that depends on the request is rendered.

A thread cannot be stopped; a process can. So templates render in a few renderer processes
(``devserve.mocks.renderer``), each capped at ``template_memory_mb`` of memory: a render that
passes its time limit is killed and its process replaced, one that runs out of memory ends its
process, and either answers a 500 that says so. devserve itself never holds what a template
builds, and never waits for one longer than the time limit.

Up to ``SIZE`` processes, started in the background when needed (one as soon as a config has a
template), each rendering one request at a time. Any event loop may use the pool (each origin's,
a test client's); renderers are killed when devserve stops, and at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import pickle
import threading
from collections import deque
from concurrent.futures import Future
from typing import Any

from devserve.mocks.rendering import Program, Rendered
from devserve.mocks.templates import RenderError
from devserve.mocks.worker import Worker, WorkerDied

log = logging.getLogger("devserve")

SIZE = 4
# A render runs in a process only where renderers can be watched from the event loop.
AVAILABLE = os.name == "posix"
# How long past its time limit a render is waited for: its own budget usually stops it first,
# with the better message; a render stuck inside one call is killed at the end of this.
GRACE_SECONDS = 0.5
# How long a request may wait for a free renderer beyond the time limit (one starting up).
_START_SECONDS = 5.0
_KNOWN = 4096  # Program keys remembered per renderer; past this they are sent again


class Pool:
    """The renderer processes of this devserve process."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._alive: set[Worker] = set()  # idle or rendering
        self._idle: list[Worker] = []
        self._starting = 0
        self._waiters: deque[Future[Worker]] = deque()
        self._failure: str | None = None  # why the last renderer could not start

    def warm(self) -> None:
        """Start a renderer in the background if none runs, so the first render need not wait."""
        with self._lock:
            if AVAILABLE and not (self._alive or self._starting):
                self._spawn()

    async def render(
        self, program: Program, data: dict[str, Any], *, timeout_ms: int, memory_mb: int
    ) -> Rendered:
        """Render ``program`` with ``data`` in a renderer; RenderError says why it could not."""
        try:
            payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, RecursionError, TypeError) as exc:
            where = program.response.where
            raise RenderError(f"{where}: the request data cannot be rendered ({exc})") from exc
        worker = await self._acquire(timeout_ms / 1000 + GRACE_SECONDS + _START_SECONDS)
        try:
            reply = await self._ask(worker, program, payload, timeout_ms, memory_mb)
        except BaseException:  # over time, ended, or the request was cancelled: never reused
            self._discard(worker)
            raise
        if reply[0] == "memory":  # the renderer ends itself after an out-of-memory render
            self._discard(worker)
        else:
            self._release(worker)
        if reply[0] == "ok":
            assert isinstance(reply[1], Rendered)
            return reply[1]
        raise RenderError(str(reply[1]))

    def stop(self) -> None:
        """Kill every renderer now (devserve is stopping): renders in progress answer at once."""
        with self._lock:
            if self._pid != os.getpid():
                return
            idle, self._idle = self._idle, []
            for worker in self._alive:
                worker.stopped = True
                worker.kill()
            self._alive.clear()
        for worker in idle:
            worker.close()

    async def _ask(
        self,
        worker: Worker,
        program: Program,
        payload: bytes,
        timeout_ms: int,
        memory_mb: int,
    ) -> tuple[Any, ...]:
        where = program.response.where
        largest = 2 * program.max_bytes + 1024 * 1024
        for resend in (False, True):
            sent = program if resend or program.key not in worker.known else None
            request = (program.key, sent, payload, timeout_ms, memory_mb)
            message = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
            try:
                reply = await worker.call(message, timeout_ms / 1000 + GRACE_SECONDS, largest)
            except TimeoutError:
                raise RenderError(
                    f"{where}: over a limit: the template ran past its time limit of "
                    f"{timeout_ms} ms and was stopped"
                ) from None
            except WorkerDied:
                if worker.stopped:
                    raise RenderError(f"{where}: devserve is stopping") from None
                raise RenderError(
                    f"{where}: over a limit: the renderer ended during the render (the "
                    f"template used more than {memory_mb} MiB of memory, or crashed it)"
                ) from None
            if reply[0] != "unknown":
                if len(worker.known) >= _KNOWN:
                    worker.known.clear()
                worker.known.add(program.key)
                return tuple(reply)
            worker.known.discard(program.key)  # it dropped it: send it again
        raise RenderError(f"{where}: the renderer did not take the template")

    async def _acquire(self, seconds: float) -> Worker:
        """An idle renderer, or the first one freed or started within ``seconds``."""
        if self._pid != os.getpid():  # a forked copy of devserve: the renderers are not ours
            self.__init__(self.size)  # type: ignore[misc]
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                self._alive.discard(worker)  # ended while idle (killed from outside)
                worker.close()
            waiter: Future[Worker] = Future()
            self._waiters.append(waiter)
            if self._starting < len(self._waiters) and self._count() < self.size:
                self._spawn()
        try:
            return await asyncio.wait_for(asyncio.wrap_future(waiter), seconds)
        except BaseException as exc:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                if not waiter.cancel() and waiter.exception() is None:
                    self._offer(waiter.result())  # handed one as the wait ended: pass it on
            if isinstance(exc, TimeoutError):
                raise RenderError(
                    f"all {self.size} template renderers stayed busy for {seconds:.1f} s "
                    "(slow templates); try again"
                ) from None
            raise

    def _count(self) -> int:
        return len(self._alive) + self._starting

    def _spawn(self) -> None:
        """Start one renderer in the background (the lock is held)."""
        thread = threading.Thread(target=self._start_one, name="devserve-renderer", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: the waiting requests time out, saying so
            log.warning("could not start a thread to start a template renderer")
            return
        self._starting += 1

    def _start_one(self) -> None:
        try:
            worker = Worker.start()
        except Exception as error:
            exc = error if isinstance(error, RenderError) else RenderError(
                f"the template renderer could not start ({type(error).__name__}: {error})"
            )
            if exc.reason != self._failure:  # once, not on every request that tries again
                log.warning("%s", exc.reason)
            self._failure = exc.reason
            with self._lock:
                self._starting -= 1
                if not self._alive:  # nothing will free up for them: tell them why
                    while self._waiters:
                        waiter = self._waiters.popleft()
                        if waiter.set_running_or_notify_cancel():
                            waiter.set_exception(exc)
            return
        self._failure = None
        with self._lock:
            self._starting -= 1
            self._alive.add(worker)
            self._offer(worker)

    def _offer(self, worker: Worker) -> None:
        """Hand ``worker`` to the first request still waiting, else keep it idle (lock held)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if waiter.set_running_or_notify_cancel():
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    def _release(self, worker: Worker) -> None:
        with self._lock:
            if worker in self._alive:
                self._offer(worker)
                return
        worker.close()  # stopped while it rendered

    def _discard(self, worker: Worker) -> None:
        worker.kill()
        worker.close()
        with self._lock:
            self._alive.discard(worker)
            if worker.stopped:
                return
            # A replacement, ready for the next render (or for the ones already waiting).
            wanted = max(len(self._waiters), 0 if self._idle else 1)
            if self._starting < wanted and self._count() < self.size:
                self._spawn()


POOL = Pool()
atexit.register(POOL.stop)
