"""One record per request: a terminal line, and an event for whoever watches (the dashboard)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("devserve.requests")

# Where the CORS verdict of a response is left for the log (set by the verdict middleware).
VERDICT_KEY = "devserve.verdict"
# Why a response is what it is, when that is not obvious (a mock's 500, a fault), for the log.
NOTE_KEY = "devserve.note"
# Where the proxy leaves what it did with a request (a ProxyNote), for the log.
PROXY_KEY = "devserve.proxy"

# What a terminal may act on: C0 and C1 controls (ESC, CSI, BEL, CR, LF...), DEL, Unicode line
# breaks, and the bidi overrides that make a line read differently than it is ("Trojan Source").
_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def printable(text: str) -> str:
    """``text`` safe to print: every control character shown as an escape (``\\x1b``)."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def json_printable(text: str) -> str:
    """JSON text safe to print: what ``json.dumps`` leaves raw (C1 controls, bidi overrides,
    line separators) as ``\\uXXXX`` escapes, which JSON readers decode back."""
    return _UNPRINTABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


@dataclass(frozen=True)
class Verdict:
    """A CORS verdict as the log shows it: ``allowed`` or ``blocked`` and why."""

    verdict: str
    reason: str | None = None
    note: str | None = None
    cookies: tuple[str, ...] = ()  # one summary per Set-Cookie: "sid kept", "sid dropped: why"
    cookies_lost: tuple[str, ...] = ()  # the summaries of those not stored or not sent back


@dataclass
class ProxyNote:
    """What the proxy did: ``live``, ``recorded``, ``replayed``, ``missed`` or ``failed``.

    Filled in while the request runs; never holds a header value (they may be secrets).
    """

    upstream: str
    state: str = "live"
    upstream_status: int | None = None
    upstream_ms: float | None = None
    capture: int | None = None  # what "save as mock" asks for (see devserve.proxy.captures)
    notes: list[str] = field(default_factory=list)  # cookies rewritten, why not recorded

    def as_json(self) -> dict[str, Any]:
        return {
            "upstream": self.upstream,
            "state": self.state,
            "status": self.upstream_status,
            "ms": None if self.upstream_ms is None else round(self.upstream_ms, 1),
            "capture": self.capture,
            "notes": list(self.notes),
        }

    def text(self) -> str:
        if self.state in ("replayed", "missed"):
            return self.state
        got = f"upstream {self.upstream_status or '-'}"
        if self.upstream_ms is not None:
            got += f" in {self.upstream_ms:.0f}ms"
        state = "" if self.state == "live" else f", {self.state}"
        notes = f" ({'; '.join(self.notes)})" if self.notes else ""
        return got + state + notes


@dataclass(frozen=True)
class RequestRecord:
    origin: str
    method: str
    path: str
    status: int
    ms: float
    source: str | None
    cors: Verdict | None
    at: float  # when it was answered: seconds since the epoch (time.time())
    note: str | None = None
    proxy: ProxyNote | None = None

    @property
    def time(self) -> str:
        """``at`` as ISO 8601 in UTC, to the millisecond (``2026-11-25T10:00:00.000Z``);
        formatted when someone reads it, not on every request."""
        moment = datetime.fromtimestamp(self.at, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

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
            "proxy": self.proxy.as_json() if self.proxy else None,
        }

    def __str__(self) -> str:
        return self.line()

    def line(self) -> str:
        """The terminal line; every part that came from the request is escaped (SPEC §6)."""
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
        note = f"  ({self.note[:500]})" if self.note else ""
        proxy = f"  [{self.proxy.text()}]" if self.proxy else ""
        return printable(head + note + proxy + source + verdict)


Observer = Callable[[RequestRecord], None]


class RequestLog:
    """Times each request and reports it once the response is done."""

    def __init__(self, app: ASGIApp, name: str, observer: Observer | None = None) -> None:
        self.app = app
        self.name = name
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._handshake(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        reported = False

        def report() -> None:
            nonlocal reported
            reported = True
            self._report(scope, scope["method"], status, start)

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

    async def _handshake(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket is logged once, when its handshake is answered: 101 when accepted, the
        refusal's status (403 when closed before the upgrade) otherwise."""
        start = time.perf_counter()
        status = 0
        reported = False

        def report() -> None:
            nonlocal reported
            reported = True
            self._report(scope, "WS", status, start)

        async def recording_send(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if not reported:
                if kind == "websocket.accept":
                    status = 101
                    report()
                elif kind == "websocket.close":
                    status = 403
                    report()
                elif kind == "websocket.http.response.start":
                    status = message["status"]
                elif kind == "websocket.http.response.body" and not message.get("more_body"):
                    report()
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if not reported:
                report()

    def _report(self, scope: Scope, method: str, status: int, start: float) -> None:
        record = RequestRecord(
            origin=self.name,
            method=method,
            path=scope["path"],
            status=status,
            ms=(time.perf_counter() - start) * 1000,
            source=Headers(scope=scope).get("origin"),
            cors=scope.get(VERDICT_KEY),
            at=time.time(),
            note=scope.get(NOTE_KEY),
            proxy=scope.get(PROXY_KEY),
        )
        # Formatted only if a handler wants it (nothing under -q); --json-log reads ``request``.
        log.info("%s", record, extra={"request": record})
        if self.observer is not None:
            self.observer(record)
