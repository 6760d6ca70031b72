"""Live reload: the event hub, the reserved `/__devserve/` endpoints, script injection."""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve._resources import templates_dir
from devserve.live.events import Event, Hub

PREFIX = "/__devserve/"
SCRIPT_PATH = PREFIX + "livereload.js"
EVENTS_PATH = PREFIX + "events"
# defer: never holds up the page's own parsing, and runs once the DOM it decorates exists.
SCRIPT_TAG = f'<script src="{SCRIPT_PATH}" defer></script>'.encode()
# Bounded: a tag longer than this is not looked for, so no file makes the scan quadratic.
_MAX_TAG = 4096
_HEAD_END = re.compile(rb"</head\s{0,%d}>" % _MAX_TAG, re.IGNORECASE)
_BODY_START = re.compile(rb"<body(?:[\s/][^>]{0,%d})?>" % _MAX_TAG, re.IGNORECASE)
# The start of one of those tags, cut off at the end of a chunk.
_PARTIAL_TAG = re.compile(
    rb"<(?:/(?:h(?:e(?:a(?:d\s*)?)?)?)?|b(?:o(?:d(?:y(?:[\s/][^>]*)?)?)?)?)?\Z", re.IGNORECASE
)


class ReloadHub(Hub):
    """The pages' channels (one per origin), plus the config error every page should show."""

    def __init__(self) -> None:
        super().__init__()
        self.config_error: str | None = None

    def page_events(self) -> list[Event]:
        """What a page that connects now must hear first."""
        return [Event("config-error", self.config_error)] if self.config_error else []

    def report_config(self, error: str | None) -> None:
        """Show (or clear) the config-error overlay in every open page."""
        changed = error != self.config_error
        self.config_error = error
        if changed:
            self.publish_all(Event("config-error", error) if error else Event("config-ok"))


def _same_origin(scope: Scope, headers: Headers) -> bool:
    """The reserved endpoints answer only their own pages (SPEC §6)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is None:
        return True
    return origin == f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"


class ReservedEndpoints:
    """Serves ``/__devserve/`` (script and event stream) ahead of the origin's CORS and routes."""

    def __init__(self, app: ASGIApp, *, hub: ReloadHub, origin: str) -> None:
        self.app = app
        self.hub = hub
        self.origin = origin
        self.script = (templates_dir() / "livereload.js").read_bytes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not _same_origin(scope, headers):
            await _plain(
                send, 403, "devserve: the live-reload endpoints answer only their own origin"
            )
        elif scope["path"] == SCRIPT_PATH and scope["method"] in ("GET", "HEAD"):
            await _send(send, 200, "text/javascript; charset=utf-8", self.script)
        elif scope["path"] == EVENTS_PATH and scope["method"] == "GET":
            await self.hub.stream(self.origin, receive, send, self.hub.page_events())
        else:
            await _plain(send, 404, "Not Found")


async def _send(send: Send, status: int, content_type: str, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-cache"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _plain(send: Send, status: int, text: str) -> None:
    await _send(send, status, "text/plain; charset=utf-8", (text + "\n").encode())


class Injector:
    """Puts the script tag into HTML as it streams past, holding back at most a few KiB.

    The tag goes before the first ``</head>``, else after the first ``<body ...>``, else at the
    end, so the length grows by exactly ``len(SCRIPT_TAG)`` and Content-Length stays exact.
    """

    def __init__(self) -> None:
        self.held = b""  # the tail of what came in that may be the start of a tag
        self.done = False

    def feed(self, chunk: bytes) -> bytes:
        """What of the stream so far can go out now."""
        if self.done:
            return chunk
        data = self.held + chunk
        found = [m for m in (_HEAD_END.search(data), _BODY_START.search(data)) if m is not None]
        if found:
            first = min(found, key=lambda match: match.start())
            at = first.start() if first.re is _HEAD_END else first.end()
            self.done, self.held = True, b""
            return data[:at] + SCRIPT_TAG + data[at:]
        partial = _PARTIAL_TAG.search(data, max(0, len(data) - _MAX_TAG))
        keep = partial.start() if partial else len(data)
        self.held = data[keep:]
        return data[:keep]

    def finish(self) -> bytes:
        """The end of the stream: what was held, and the tag if no place was found for it."""
        if self.done:
            return b""
        self.done = True
        return self.held + SCRIPT_TAG


def inject(html: bytes) -> bytes:
    """A whole page with the script tag in it (see Injector)."""
    injector = Injector()
    return injector.feed(html) + injector.finish()


class InjectScript:
    """Adds the live-reload script to full HTML responses of a static app (never to mocks).

    It streams: a 150 MB page costs no more memory than a small one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        injector: Injector | None = None

        async def injecting_send(message: Message) -> None:
            nonlocal injector
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                is_html = headers.get("content-type", "").startswith("text/html")
                # Partial (206) and empty (304) responses must stay byte-exact.
                if is_html and message["status"] in (200, 404):
                    if "content-length" in headers:
                        length = int(headers["content-length"]) + len(SCRIPT_TAG)
                        headers["content-length"] = str(length)
                    # HEAD has no body to rewrite, but its length is the GET body's.
                    injector = Injector() if scope["method"] == "GET" else None
            elif message["type"] == "http.response.body" and injector is not None:
                body = injector.feed(message.get("body", b""))
                if not message.get("more_body", False):
                    body += injector.finish()
                message = {**message, "body": body}
            await send(message)

        await self.app(scope, receive, injecting_send)
