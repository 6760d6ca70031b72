"""What every layer shares about a request: the scope keys where layers leave notes for the log,
and the record of an answered request (the log line, the dashboard event, ``running.requests``).
The ground floor: imported by the CORS, mocks, proxy, live and serving layers alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devserve.terminal import printable

# Where the CORS verdict of a response is left for the log (set by the verdict middleware).
VERDICT_KEY = "devserve.verdict"
# Why a response is what it is, when that is not obvious (a mock's 500, a fault), for the log.
NOTE_KEY = "devserve.note"
# Where the proxy leaves what it did with a request (a ProxyNote), for the log.
PROXY_KEY = "devserve.proxy"

# Set in the scope when the body sent is final (e.g. the live-reload script is already in it),
# so a middleware that would rewrite HTML leaves it alone.
FINAL_BODY_KEY = "devserve.final_body"

# Left by the layer that answered, when its answer can be sent again as it is to every request
# with the same method, target and headers while ``Replayable.still`` holds: the origin's fast
# path (serving/fastpath.py) then answers such a request without running its layers.
REPLAY_KEY = "devserve.replay"
# The request's record, once the request log made it: a replay repeats it with a new time.
RECORD_KEY = "devserve.record"
# How to get the logged verdict again, when it depends on what the log said before (the
# credentials note is logged once per page): a replay asks it each time, as the stack would.
VERDICT_AGAIN_KEY = "devserve.verdict_again"


@dataclass(frozen=True)
class Replayable:
    """An answer that may be sent again: the two messages it was, and ``still()``, whether the
    same request would get the same answer now (None: always, for this build of the origin)."""

    kind: str  # "file": a static file from memory; "fixed": a mock answer built once
    start: dict[str, Any]
    body: dict[str, Any]
    still: Callable[[], bool] | None = None


@dataclass(frozen=True)
class LoggedVerdict:
    """A CORS verdict as the log shows it: ``allowed`` or ``blocked`` and why (the engine's full
    verdict is ``cors.verdict.Verdict``)."""

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
    cors: LoggedVerdict | None
    at: float  # when it was answered: seconds since the epoch (time.time())
    note: str | None = None
    proxy: ProxyNote | None = None
    # Where the request was sent, as the page wrote it (``localhost:8001`` or
    # ``127.0.0.1:8001``): the page notice names the URL the page fetched.
    host: str | None = None
    scheme: str = "http"

    def again(self, ms: float, at: float, cors: LoggedVerdict | None) -> RequestRecord:
        """The record of the same request answered again (the fast path's): every field as
        here but the time taken, the time and the verdict. Copied, not rebuilt field by field:
        it is made for every request."""
        record = object.__new__(RequestRecord)
        fields = record.__dict__
        fields.update(self.__dict__)
        fields["ms"], fields["at"], fields["cors"] = ms, at, cors
        return record

    @property
    def url(self) -> str | None:
        return f"{self.scheme}://{self.host}{self.path}" if self.host else None

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
        """The terminal line; every part that came from the request is escaped (README,
        "Security model")."""
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


# Longest message text a socket record keeps (the log line, the dashboard, the history).
SHOWN_TEXT = 500


@dataclass(frozen=True)
class SocketRecord:
    """Something that happened on an open mock socket: a frame in (``in``: from the page) or
    out, or its close (``close``, with the code and who closed it)."""

    origin: str
    path: str
    connection: int  # numbered per origin: "#3" in the log and on the dashboard
    event: str  # "in", "out", "close"
    at: float
    text: str | None = None  # the message (cut to SHOWN_TEXT characters), or a binary summary
    size: int = 0  # the message's size in bytes
    code: int | None = None
    reason: str | None = None
    by: str | None = None  # who closed: "client" or "devserve"
    note: str | None = None  # why (a dropped client, a message too big, a replay difference)
    source: str | None = None  # on "open": the page's Origin

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "method": "WS",
            "path": self.path,
            "connection": self.connection,
            "event": self.event,
            "text": self.text,
            "size": self.size,
            "code": self.code,
            "reason": self.reason,
            "by": self.by,
            "note": self.note,
            "from": self.source,
            "time": datetime.fromtimestamp(self.at, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }

    def line(self) -> str:
        """The terminal line; the message and the reason came from a page: escaped."""
        arrow = {"in": "WS<", "out": "WS>"}.get(self.event, "WS")
        head = f"{self.origin:<10} {arrow:<7} {self.path} #{self.connection}"
        if self.event == "close":
            reason = f" {self.reason!r}" if self.reason else ""
            body = f"closed {self.code if self.code is not None else '-'}{reason} by {self.by}"
        elif self.event == "open":
            body = f"opened from {self.source}" if self.source else "opened"
        else:
            body = self.text or ""
        note = f"  ({self.note})" if self.note else ""
        return printable(f"{head} {body}{note}")

    def __str__(self) -> str:
        return self.line()


SocketObserver = Callable[[SocketRecord], None]
