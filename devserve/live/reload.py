"""Live reload: the event hub, the reserved `/__devserve/` endpoints, script injection."""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devserve._resources import templates_dir
from devserve.live.events import Event, Hub, Resume, config_event
from devserve.origins import foreign_request
from devserve.records import FINAL_BODY_KEY

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
_NO_CACHE = {"Cache-Control": "no-cache"}


class ReloadHub(Hub):
    """The pages' channels (one per origin), plus the config error every page should show."""

    def __init__(self) -> None:
        super().__init__()
        self.config_error: str | None = None
        self.notices: list[Event] = []  # told to every page as it connects (e.g. trust the CA)
        self.origins: Event | None = None  # every origin's CORS state now, for page scripts

    def page_events(self) -> list[Event]:
        """What a page that connects now must hear first."""
        error = [config_event(self.config_error)] if self.config_error else []
        origins = [self.origins] if self.origins is not None else []
        return [*origins, *error, *self.notices]

    def report_origins(self, event: Event) -> None:
        """Every origin's CORS state changed (a runtime switch, a config change): pages hear it,
        and a page's own scripts can follow it (the demo labels its APIs by it)."""
        self.origins = event
        self.publish_all(event)

    def report_config(self, error: str | None) -> None:
        """Show (or clear) the config-error overlay in every open page."""
        changed = error != self.config_error
        self.config_error = error
        if changed:
            self.publish_all(config_event(error))


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
        # Only the origin's own pages: no other site may read or hold open its streams.
        if foreign_request(scope) is not None:
            refused = "devserve: the live-reload endpoints answer only their own origin"
            await _plain(403, refused)(scope, receive, send)
        elif scope["path"] == SCRIPT_PATH and scope["method"] in ("GET", "HEAD"):
            script = Response(self.script, media_type="text/javascript", headers=_NO_CACHE)
            await script(scope, receive, send)
        elif scope["path"] == EVENTS_PATH and scope["method"] == "GET":
            # Blocked requests made while the page loaded, before this stream connected.
            kept = self.hub.kept(self.origin, Resume.from_scope(scope))
            await self.hub.stream(self.origin, receive, send, [*self.hub.page_events(), *kept])
        else:
            await _plain(404, "Not Found")(scope, receive, send)


def _plain(status: int, text: str) -> Response:
    return PlainTextResponse(text + "\n", status, headers=_NO_CACHE)


def inject_html(media_type: str, body: bytes) -> bytes:
    """``inject`` for HTML bodies only: what the static file cache applies once per version."""
    return inject(body) if media_type.startswith("text/html") else body


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
                if scope.get(FINAL_BODY_KEY):  # the static app put the script in already
                    is_html = False
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
