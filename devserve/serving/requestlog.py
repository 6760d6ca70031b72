"""One record per request: a terminal line, and an event for whoever watches (the dashboard)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("devserve.requests")

# Where the CORS verdict of a response is left for the log (set by the verdict middleware).
VERDICT_KEY = "devserve.verdict"
# Why a response is what it is, when that is not obvious (a mock's 500, a fault), for the log.
NOTE_KEY = "devserve.note"


@dataclass(frozen=True)
class Verdict:
    """A CORS verdict as the log shows it: ``allowed`` or ``blocked`` and why."""

    verdict: str
    reason: str | None = None
    note: str | None = None
    cookies: tuple[str, ...] = ()  # one summary per Set-Cookie: "sid kept", "sid dropped: why"
    cookies_lost: tuple[str, ...] = ()  # the summaries of those not stored or not sent back


@dataclass(frozen=True)
class RequestRecord:
    origin: str
    method: str
    path: str
    status: int
    ms: float
    source: str | None
    cors: Verdict | None
    time: str
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        cors = self.cors
        return {
            "origin": self.origin,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "ms": round(self.ms, 1),
            "from": self.source,
            "cors": {
                "verdict": cors.verdict if cors else None,
                "reason": cors.reason if cors else None,
                "note": cors.note if cors else None,
                "cookies": list(cors.cookies) if cors else [],
                "cookies_lost": list(cors.cookies_lost) if cors else [],
            },
            "time": self.time,
            "note": self.note,
        }

    def __str__(self) -> str:
        return self.line()

    def line(self) -> str:
        source = f"  from {self.source}" if self.source else ""
        verdict = ""
        if self.cors is not None:
            verdict = f"  {self.cors.verdict}"
            if self.cors.reason:
                verdict += f": {self.cors.reason}"
            if self.cors.note:
                verdict += f" ({self.cors.note})"
            if self.cors.cookies:
                verdict += f"  cookies: {'; '.join(self.cors.cookies)}"
        status = self.status or "-"
        head = f"{self.origin:<10} {self.method:<7} {self.path} {status} {self.ms:.0f}ms"
        note = f"  ({_printable(self.note)})" if self.note else ""
        return head + note + source + verdict


def _printable(text: str) -> str:
    """A note quotes request data: no terminal escapes, one line (SPEC §6)."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:500])


Observer = Callable[[RequestRecord], None]


class RequestLog:
    """Times each request and reports it once the response is done."""

    def __init__(self, app: ASGIApp, name: str, observer: Observer | None = None) -> None:
        self.app = app
        self.name = name
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        reported = False

        def report() -> None:
            nonlocal reported
            reported = True
            record = RequestRecord(
                origin=self.name,
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=(time.perf_counter() - start) * 1000,
                source=Headers(scope=scope).get("origin"),
                cors=scope.get(VERDICT_KEY),
                time=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                note=scope.get(NOTE_KEY),
            )
            # Formatted only if a handler wants it (nothing under -q); --json-log reads ``request``.
            log.info("%s", record, extra={"request": record})
            if self.observer is not None:
                self.observer(record)

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif not message.get("more_body", False) and not reported:
                # Recorded before the last byte leaves: whoever got the response (a test
                # asserting on running.requests) finds its record already there.
                report()
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if not reported:  # no complete response: an error, a disconnect, a fault
                report()
