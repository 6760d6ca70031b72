"""Stopping: requests in flight get a moment to finish, then devserve answers them itself (a
JSON 503 inside the CORS layer, so the page can read why) instead of the server cutting them."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve.records import NOTE_KEY

# How long requests in flight may run after Ctrl-C (or SIGTERM) before devserve answers them:
# with the rest of the shutdown, the process is gone within two seconds of the signal.
FINISH_SECONDS = 1.5


class Stopping:
    """One per running devserve: ``begin`` at the first stop; ``FINISH_SECONDS`` later (or at
    a second stop) ``expire``: every request still being answered inside an origin is stopped
    and gets a 503, and delays (``delay_ms``) end at once."""

    def __init__(self) -> None:
        self.expired = False
        self._event = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self.in_flight: set[asyncio.Task[object]] = set()  # kept by AnswerWhenStopping
        self.cancelled: set[asyncio.Task[object]] = set()  # by expire(), not yet answered

    @property
    def begun(self) -> bool:
        """Whether devserve is stopping (the time to finish runs, or is up)."""
        return self._timer is not None or self.expired

    def begin(self) -> None:
        """Start the clock (a second call changes nothing)."""
        if self._timer is None and not self.expired:
            self._timer = asyncio.get_running_loop().call_later(FINISH_SECONDS, self.expire)

    def expire(self) -> None:
        """Answer every request in flight now."""
        if self.expired:
            return
        self.expired = True
        self._event.set()
        if self._timer is not None:
            self._timer.cancel()
        for task in self.in_flight:
            self.cancelled.add(task)
            task.cancel()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``, cut short when the time to finish is up."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()


class AnswerWhenStopping:
    """Inside an origin's CORS layer: a request still unanswered when the time to finish is up
    gets a JSON 503 with the origin's CORS headers. One whose response has begun is cut (its
    status line is gone; nothing else can be said)."""

    def __init__(self, app: ASGIApp, stopping: Stopping) -> None:
        self.app = app
        self.stopping = stopping

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.stopping.expired:
            await _stopping(scope, receive, send)
            return
        task: asyncio.Task[object] | None = asyncio.current_task()
        assert task is not None
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        running, stopped = self.stopping.in_flight, self.stopping.cancelled
        running.add(task)
        try:
            await self.app(scope, receive, tracking_send)
        except asyncio.CancelledError:
            if task not in stopped or started:
                raise
            stopped.discard(task)
            task.uncancel()  # this cancellation is answered: the task goes on to send it
            await _stopping(scope, receive, send)
        finally:
            running.discard(task)


async def _stopping(scope: Scope, receive: Receive, send: Send) -> None:
    scope[NOTE_KEY] = f"not finished within {FINISH_SECONDS:g} s of the stop"
    body = {
        "error": "devserve is stopping",
        "detail": (
            f"this request did not finish within {FINISH_SECONDS:g} s of the stop (Ctrl-C or "
            "SIGTERM); send it again once devserve runs"
        ),
    }
    # No Connection: close of its own: uvicorn ends the connection after it while stopping.
    await JSONResponse(body, 503, headers={"Cache-Control": "no-store"})(scope, receive, send)
