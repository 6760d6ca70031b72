"""One renderer process seen from devserve: start it, send it a request, wait for the reply on
the event loop with a time limit, kill it. The process itself is ``devserve.mocks.renderer``."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import pickle
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from devserve.mocks.rendering import Rendered
from devserve.mocks.templates import RenderError
from devserve.terminal import printable

# A renderer imports Jinja2 and devserve's sandbox (~0.1-0.3 s); a loaded machine is slower.
_READY_SECONDS = 15
# Larger requests (a big request body the template uses) are written from a thread.
_LARGE = 256 * 1024
# The same devserve as this process, whatever the current folder holds (-P: not on the path).
_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds devserve/
_LAUNCH = (
    f"import sys; sys.path.insert(0, {_ROOT!r}); "
    "from devserve.mocks import renderer; renderer.main()"
)


class WorkerDied(Exception):
    """The renderer process ended, or its channel broke, during a request."""


class Worker:
    """A running renderer process and its two pipes."""

    def __init__(self, process: subprocess.Popen[bytes], requests: int, replies: int) -> None:
        self.process = process
        self.requests = Connection(requests, readable=False)
        self.replies = Connection(replies, writable=False)
        self.known: set[str] = set()  # the Program keys it has compiled
        self.stopped = False  # killed because devserve is stopping

    @classmethod
    def start(cls) -> Worker:
        """Start a renderer and wait until it is ready (blocking: call it from a thread)."""
        to_child, requests = os.pipe()
        replies, from_child = os.pipe()
        try:
            process = subprocess.Popen(
                [sys.executable, "-P", "-c", _LAUNCH],
                stdin=to_child,
                stdout=from_child,
                stderr=subprocess.PIPE,  # read only if it fails to start; it then goes quiet
            )
        except OSError as exc:
            os.close(requests)
            os.close(replies)
            raise RenderError(f"the template renderer could not start ({exc})") from exc
        finally:
            os.close(to_child)
            os.close(from_child)
        worker = cls(process, requests, replies)
        try:
            if not worker.replies.poll(_READY_SECONDS):
                raise WorkerDied(f"it was not ready within {_READY_SECONDS} s")
            if pickle.loads(worker.replies.recv_bytes(1024)) != ("ready",):
                raise WorkerDied("it answered something else than ready")
        except (WorkerDied, EOFError, OSError, pickle.UnpicklingError) as exc:
            worker.kill()
            worker.close()
            raise RenderError(f"the template renderer could not start: {worker.why(exc)}") from None
        assert process.stderr is not None
        process.stderr.close()
        return worker

    def why(self, exc: BaseException) -> str:
        """Why a renderer did not start: the last line it printed, else ``exc``."""
        assert self.process.stderr is not None
        with contextlib.suppress(subprocess.TimeoutExpired, OSError, ValueError):
            self.process.wait(timeout=5)
            lines = self.process.stderr.read(65536).decode(errors="replace").strip().splitlines()
            if lines:
                return printable(lines[-1])
        return str(exc) or f"it exited with {self.process.returncode}"

    async def call(self, request: bytes, seconds: float, largest_reply: int) -> Any:
        """Send ``request``, then the reply once it comes; TimeoutError after ``seconds``,
        WorkerDied if the process ended (the caller kills it either way)."""
        loop = asyncio.get_running_loop()
        try:
            if len(request) > _LARGE:
                await asyncio.to_thread(self.requests.send_bytes, request)
            else:
                self.requests.send_bytes(request)
        except OSError as exc:
            raise WorkerDied(str(exc)) from exc
        readable: asyncio.Future[None] = loop.create_future()
        fd = self.replies.fileno()
        loop.add_reader(fd, _wake, readable)
        try:
            await asyncio.wait_for(readable, seconds)
        finally:
            loop.remove_reader(fd)
        try:
            return _Replies(io.BytesIO(self.replies.recv_bytes(largest_reply))).load()
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            raise WorkerDied(str(exc)) from exc

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """End the process now (SIGKILL); it is reaped in the background. Any thread may call
        this; the pipes stay open until ``close`` (an event loop may still be watching one)."""
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(RuntimeError):  # no thread: reaped by a later poll instead
            threading.Thread(target=self.process.wait, daemon=True).start()

    def close(self) -> None:
        """Close the pipes: only once no event loop watches them."""
        self.requests.close()
        self.replies.close()


class _Replies(pickle.Unpickler):
    """Replies hold plain values and a Rendered, nothing else: a reply cannot run code here."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (Rendered.__module__, Rendered.__name__):
            return Rendered
        raise pickle.UnpicklingError(f"a renderer sent a {module}.{name}")


def _wake(readable: asyncio.Future[None]) -> None:
    if not readable.done():
        readable.set_result(None)
